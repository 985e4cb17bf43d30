"""Wrong: a get() without a timeout blocks forever on the empty queue."""


def drain(q, timeout):
    items = []
    while True:
        items.append(q.get())
