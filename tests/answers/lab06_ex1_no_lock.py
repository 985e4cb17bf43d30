"""Wrong: the source's d["count"] += 1 with no lock at all."""


def count_with_manager_lock(d, lock, times):
    for _ in range(times):
        d["count"] += 1
