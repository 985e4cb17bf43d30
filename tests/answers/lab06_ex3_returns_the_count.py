"""Wrong: counts alone, then returns the total -- a process's return value goes nowhere."""


def count_alone(times, results):
    count = 0
    for _ in range(times):
        count += 1
    return count
