"""Right, another way: acquire() and release() in try/finally, and an explicit read then write."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        lock.acquire()
        try:
            current = d["count"]
            d["count"] = current + 1
        finally:
            lock.release()
