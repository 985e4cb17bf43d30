"""Wrong: the sentinel is reported as if it were a bun, before the end test."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        eaten.put(bun)
        if bun is None:
            return
