"""Wrong: reports its running total every 500 increments, so the parent adds up partial sums."""


def count_alone(times, results):
    count = 0
    for i in range(times):
        count += 1
        if (i + 1) % 500 == 0:
            results.put(count)
