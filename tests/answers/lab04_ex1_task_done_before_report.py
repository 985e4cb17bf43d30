"""Wrong: marks the bun done before reporting it, so join() can return before the report."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        queue.task_done()
        eaten.put(bun)
