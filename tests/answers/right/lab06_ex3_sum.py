"""Right, another way: the local count as a sum, put once."""


def count_alone(times, results):
    results.put(sum(1 for _ in range(times)))
