"""Right, another way: apply_async per number, results read in the order they were asked for."""
from ipclab import context


def square(x):
    return x * x


def main(n):
    pool = context().Pool(2)
    try:
        pending = [pool.apply_async(square, (x,)) for x in range(n)]
        return [result.get(timeout=10) for result in pending]
    finally:
        pool.close()
        pool.join()
