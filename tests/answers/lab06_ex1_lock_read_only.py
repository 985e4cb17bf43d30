"""Wrong: the lock covers the read, but the write happens after it is released."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        with lock:
            value = d["count"]
        d["count"] = value + 1
