"""Wrong: the script starts its pool at import time."""
from ipclab import context


def square(x):
    return x * x


with context().Pool(2) as pool:
    print(pool.map(square, range(5)))
