"""Wrong: task_done() only for buns that are true -- bun 0 is never marked done."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        eaten.put(bun)
        if bun:
            queue.task_done()
