"""Right, another way: a built-in function pickles by name too; starmap gives it two arguments."""
from ipclab import context


def main(n):
    with context().Pool(2) as pool:
        return pool.starmap(pow, [(x, 2) for x in range(n)])
