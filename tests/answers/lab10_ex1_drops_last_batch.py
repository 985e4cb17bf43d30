"""Wrong: batches of 1000, and the last, partial batch is never sent."""
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


def consume(rx, n):
    got = []
    while len(got) < n:
        got.extend(rx.get())
    return got
