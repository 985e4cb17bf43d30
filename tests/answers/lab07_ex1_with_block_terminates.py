"""Wrong: leaves the `with Pool()` block right after submitting: terminate() loses the running tasks."""
from ipclab import context
from ipclab.workers.pools import count_in


def count_primes(numbers, processes, chunksize, failures):
    counts = []
    with context().Pool(processes) as pool:
        for start in range(0, len(numbers), chunksize):
            pool.apply_async(count_in, (numbers[start:start + chunksize],),
                             callback=counts.append, error_callback=failures.append)
    return sum(counts)
