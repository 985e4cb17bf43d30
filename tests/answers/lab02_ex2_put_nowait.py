"""Wrong: drops items without giving the consumer any time."""
import queue


def put_with_backpressure(q, items, timeout):
    dropped = 0
    for item in items:
        try:
            q.put_nowait(item)
        except queue.Full:
            dropped += 1
    return dropped
