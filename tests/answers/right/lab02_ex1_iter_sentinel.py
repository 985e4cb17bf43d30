"""Right, another way: a for loop over iter() with a callable that turns queue.Empty into an end mark."""
import queue
from functools import partial

_END = object()


def _get(q, timeout):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return _END


def drain(q, timeout):
    return [item for item in iter(partial(_get, q, timeout), _END)]
