"""Right, another way: a partial of a built-in function pickles by name."""
from functools import partial

from ipclab import context


def main(n):
    pool = context().Pool(2)
    try:
        return pool.map(partial(pow, exp=2), range(n))
    finally:
        pool.close()
        pool.join()
