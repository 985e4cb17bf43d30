"""Wrong: after the first timeout, every item left is counted as dropped without being tried."""
import queue


def put_with_backpressure(q, items, timeout):
    for i, item in enumerate(items):
        try:
            q.put(item, timeout=timeout)
        except queue.Full:
            return len(items) - i
    return 0
