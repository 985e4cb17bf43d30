"""Right, another way: task_done() in a finally, after the report."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        try:
            eaten.put(bun)
        finally:
            queue.task_done()
