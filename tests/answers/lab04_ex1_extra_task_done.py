"""Wrong: calls task_done() twice per bun."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        queue.task_done()
        eaten.put(bun)
        queue.task_done()
