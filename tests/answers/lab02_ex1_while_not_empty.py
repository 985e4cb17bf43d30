"""Wrong: stops as soon as empty() says so, missing items still on their way."""


def drain(q, timeout):
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items
