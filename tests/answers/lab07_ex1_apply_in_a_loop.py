"""Wrong: apply() in a loop -- the right total, one chunk at a time."""
from ipclab import context
from ipclab.workers.pools import count_in


def count_primes(numbers, processes, chunksize, failures):
    total = 0
    with context().Pool(processes) as pool:
        for start in range(0, len(numbers), chunksize):
            try:
                total += pool.apply(count_in, (numbers[start:start + chunksize],))
            except ValueError as exc:
                failures.append(exc)
    return total
