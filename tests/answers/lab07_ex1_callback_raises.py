"""Wrong: the callback does the counting itself (and meets the bad chunk there): its ValueError kills the result thread."""
from ipclab import context
from ipclab.workers.pools import count_in


def _same(chunk):
    return chunk


def count_primes(numbers, processes, chunksize, failures):
    counts = []
    with context().Pool(processes) as pool:
        for start in range(0, len(numbers), chunksize):
            pool.apply_async(_same, (numbers[start:start + chunksize],),
                             callback=lambda chunk: counts.append(count_in(chunk)), error_callback=failures.append)
        pool.close()
        pool.join()
    return sum(counts)
