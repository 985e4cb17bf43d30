"""Wrong: a typo in the key, so every worker dies of a KeyError (the verdict must say which, and where)."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        with lock:
            d["counter"] += 1
