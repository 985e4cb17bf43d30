"""Right, another way: a walrus loop."""


def diner(queue, eaten):
    while (bun := queue.get()) is not None:
        eaten.put(bun)
