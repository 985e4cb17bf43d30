"""Wrong: the squares as the tasks finish, not in the order of the input."""
from ipclab import context


def square(x):
    return x * x


def main(n):
    with context().Pool(2) as pool:
        return list(pool.imap_unordered(square, range(n)))
