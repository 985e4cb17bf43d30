"""Wrong: apply_async with a callback that appends: the list fills in the order the tasks finish."""
from ipclab import context


def square(x):
    return x * x


def main(n):
    squares = []
    with context().Pool(2) as pool:
        waiting = [pool.apply_async(square, (x,), callback=squares.append) for x in range(n)]
        for result in waiting:
            result.wait(10)
    return squares
