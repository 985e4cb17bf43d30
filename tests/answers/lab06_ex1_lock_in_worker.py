"""Wrong: every worker makes its own lock, so none ever waits for another."""
from ipclab import context


def count_with_manager_lock(d, lock, times):
    my_lock = context().Lock()
    for _ in range(times):
        with my_lock:
            d["count"] += 1
