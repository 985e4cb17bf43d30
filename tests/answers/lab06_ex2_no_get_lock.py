"""Wrong: v.value += 1 on a synchronized Value, without get_lock()."""


def count_with_value(v, times):
    for _ in range(times):
        v.value += 1
