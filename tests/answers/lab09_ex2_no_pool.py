"""Wrong: no pool at all -- the squares are computed in the main process."""


def main(n):
    return [x * x for x in range(n)]
