"""Wrong: joins the stages before reading what they sent (fine for small items, a deadlock for big ones)."""
from ipclab import context
from ipclab.workers.pipes import send_items, transform


def pipeline(items, fn):
    mp = context()
    to_stage, producer_end = mp.Pipe(duplex=False)
    producer = mp.Process(target=send_items, args=(producer_end, items))
    producer.start()
    producer_end.close()
    results, stage_end = mp.Pipe(duplex=False)
    stage = mp.Process(target=transform, args=(to_stage, stage_end, fn))
    stage.start()
    to_stage.close()
    stage_end.close()
    producer.join()
    stage.join()
    collected = []
    while True:
        try:
            collected.append(results.recv())
        except EOFError:
            break
    return collected
