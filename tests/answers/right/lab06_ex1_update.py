"""Right, another way: d.update() under the lock, reading the old count in the same step."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        with lock:
            d.update(count=d.get("count", 0) + 1)
