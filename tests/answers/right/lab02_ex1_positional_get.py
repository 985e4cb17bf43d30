"""Right, another way: get(True, timeout) with positional arguments, the list returned from the except."""
import queue


def drain(q, timeout):
    items = []
    while True:
        try:
            items.append(q.get(True, timeout))
        except queue.Empty:
            return items
