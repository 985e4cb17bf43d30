"""Wrong: the value is read outside get_lock(); only the write is inside."""


def count_with_value(v, times):
    for _ in range(times):
        seen = v.value
        with v.get_lock():
            v.value = seen + 1
