"""Wrong: batches on a Pipe, but the consumer stops when nothing came for half a second."""
from ipclab.workers.pipeline import records

BATCH = 500


def open_channel(ctx):
    rx, tx = ctx.Pipe(duplex=False)
    return tx, rx


def produce(tx, n, seed):
    recs = records(n, seed)
    for start in range(0, n, BATCH):
        tx.send(recs[start:start + BATCH])


def consume(rx, n):
    got = []
    while rx.poll(0.5):
        got.extend(rx.recv())
    return got
