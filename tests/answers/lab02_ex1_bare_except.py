"""Wrong: the source tutorial's get_nowait(3) under a bare except."""


def drain(q, timeout):
    items = []
    while True:
        try:
            items.append(q.get_nowait(3))
        except:  # noqa: E722 -- the mistake this fixture reproduces
            return items
