"""Wrong: never calls task_done(), so join() never returns."""


def diner(queue, eaten):
    while True:
        eaten.put(queue.get())
