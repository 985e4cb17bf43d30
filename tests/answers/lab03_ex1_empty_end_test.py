"""Wrong: stops when the queue looks empty, although buns are still coming."""


def diner(queue, eaten):
    while not queue.empty():
        bun = queue.get()
        if bun is None:
            return
        eaten.put(bun)
