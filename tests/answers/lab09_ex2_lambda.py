"""Wrong: still maps a lambda."""
from ipclab import context


def main(n):
    with context().Pool(2) as pool:
        return pool.map(lambda x: x * x, range(n))
