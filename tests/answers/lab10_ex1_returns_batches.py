"""Wrong: returns the batches instead of the records."""
from ipclab.workers.pipeline import records

BATCH = 500


def open_channel(ctx):
    queue = ctx.SimpleQueue()
    return queue, queue


def produce(tx, n, seed):
    rows = records(n, seed)
    for start in range(0, n, BATCH):
        tx.put(rows[start:start + BATCH])


def consume(rx, n):
    batches, count = [], 0
    while count < n:
        batches.append(rx.get())
        count += len(batches[-1])
    return batches
