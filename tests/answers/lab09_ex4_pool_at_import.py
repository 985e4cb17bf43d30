from ipclab import context


def square(x):
    return x * x


pool = context().Pool(2)  # made at import: a spawned child makes one too, while it is still starting

if __name__ == "__main__":
    with pool:
        print(pool.map(square, range(5)))
