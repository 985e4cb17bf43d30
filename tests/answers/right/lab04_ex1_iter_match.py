"""Right, another way: iter() with a sentinel that never comes, and match."""


def diner(queue, eaten):
    for bun in iter(queue.get, object()):
        match bun:
            case _:
                eaten.put(bun)
                queue.task_done()
