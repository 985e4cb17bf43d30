"""Right, another way: a main() function called under the guard."""
import sys

from ipclab import context


def square(x):
    return x * x


def main():
    with context().Pool(2) as pool:
        squares = pool.map(square, range(5))
    print(squares)
    return 0


if __name__ == "__main__":
    sys.exit(main())
