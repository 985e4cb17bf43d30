"""Wrong: returns map_async's AsyncResult instead of the squares (and the pool ends before it is ready)."""
from ipclab import context


def square(x):
    return x * x


def main(n):
    with context().Pool(2) as pool:
        return pool.map_async(square, range(n))
