"""Right, another way: a closure adds up, the pool is closed and joined in a finally."""
from ipclab import context
from ipclab.workers.pools import count_in


def count_primes(numbers, processes, chunksize, failures):
    total = 0

    def add(count):
        nonlocal total
        total += count

    pool = context().Pool(processes)
    try:
        for part in (numbers[i:i + chunksize] for i in range(0, len(numbers), chunksize)):
            pool.apply_async(count_in, (part,), callback=add, error_callback=failures.append)
    finally:
        pool.close()
        pool.join()
    return total
