from concurrent.futures import ProcessPoolExecutor

from ipclab import context


def square(x):
    return x * x


if __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=context()) as executor:
        print(list(executor.map(square, range(5))))
