"""Wrong: the count is read before the lock is taken; only the write is under it."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        current = d["count"]
        with lock:
            d["count"] = current + 1
