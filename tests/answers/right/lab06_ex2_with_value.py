"""Right, another way: a synchronized Value is itself a context manager that takes its lock."""


def count_with_value(v, times):
    for _ in range(times):
        with v:
            v.value += 1
