"""Wrong: the producer sends every batch, but the consumer reads a fixed number of whole batches."""
from ipclab.workers.pipeline import records

BATCH = 1000


def open_channel(ctx):
    queue = ctx.SimpleQueue()
    return queue, queue


def produce(tx, n, seed):
    batch = []
    for record in records(n, seed):
        batch.append(record)
        if len(batch) == BATCH:
            tx.put(batch)
            batch = []
    if batch:
        tx.put(batch)


def consume(rx, n):
    got = []
    for _ in range(n // BATCH):
        got.extend(rx.get())
    return got
