"""Right, another way: get(True, timeout) in a walrus loop."""
import queue

_END = object()


def _next(q, timeout):
    try:
        return q.get(True, timeout)
    except queue.Empty:
        return _END


def drain(q, timeout):
    items = []
    while (item := _next(q, timeout)) is not _END:
        items.append(item)
    return items
