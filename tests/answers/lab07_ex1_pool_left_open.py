"""Wrong: waits for every result, then returns with the pool still open."""
from ipclab import context
from ipclab.workers.pools import count_in


def count_primes(numbers, processes, chunksize, failures):
    counts = []
    pool = context().Pool(processes)
    results = [pool.apply_async(count_in, (numbers[i:i + chunksize],), callback=counts.append,
                                error_callback=failures.append) for i in range(0, len(numbers), chunksize)]
    for result in results:
        result.wait(5)
    return sum(counts)
