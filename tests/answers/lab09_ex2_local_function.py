"""Wrong: the lambda became a def, but inside main()."""
from ipclab import context


def main(n):
    def square(x):
        return x * x

    with context().Pool(2) as pool:
        return pool.map(square, range(n))
