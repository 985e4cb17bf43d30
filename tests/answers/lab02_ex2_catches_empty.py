"""Wrong: catches queue.Empty, but a full queue raises queue.Full."""
import queue


def put_with_backpressure(q, items, timeout):
    dropped = 0
    for item in items:
        try:
            q.put(item, timeout=timeout)
        except queue.Empty:
            dropped += 1
    return dropped
