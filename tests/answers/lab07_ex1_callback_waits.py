"""Wrong: a callback that waits (as a slow log write would), holding back every result behind it."""
import time

from ipclab import context
from ipclab.workers.pools import count_in


def note(counts, count):
    counts.append(count)
    time.sleep(0.05)


def count_primes(numbers, processes, chunksize, failures):
    counts = []
    with context().Pool(processes) as pool:
        for start in range(0, len(numbers), chunksize):
            pool.apply_async(count_in, (numbers[start:start + chunksize],),
                             callback=lambda c: note(counts, c), error_callback=failures.append)
        pool.close()
        pool.join()
    return sum(counts)
