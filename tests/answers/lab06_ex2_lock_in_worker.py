"""Wrong: a lock made inside the worker instead of the Value's own."""
from ipclab import context


def count_with_value(v, times):
    lock = context().Lock()
    for _ in range(times):
        with lock:
            v.value += 1
