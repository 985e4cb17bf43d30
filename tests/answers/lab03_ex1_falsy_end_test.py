"""Wrong: `if not bun` also stops at the bun 0."""


def diner(queue, eaten):
    while True:
        bun = queue.get()
        if not bun:
            return
        eaten.put(bun)
