"""Right, another way: lists of records pickled whole over a one-way Pipe, a batch size from the count."""
from ipclab.workers.pipeline import records


def open_channel(ctx):
    rx, tx = ctx.Pipe(duplex=False)
    return tx, rx


def produce(tx, n, seed):
    everything = records(n, seed)
    size = max(1, n // 20)
    for start in range(0, n, size):
        tx.send(everything[start:start + size])


def consume(rx, n):
    got = []
    while len(got) < n:
        got += rx.recv()
    return got
