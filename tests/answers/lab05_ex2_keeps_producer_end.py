"""Wrong: never closes its own copy of the producer's write end."""
from ipclab import context
from ipclab.workers.pipes import send_items, transform


def pipeline(items, fn):
    """Run the three stages; return [fn(item) for item in items], as collected from the pipe."""
    mp = context()
    to_stage, producer_end = mp.Pipe(duplex=False)
    producer = mp.Process(target=send_items, args=(producer_end, items))
    producer.start()
    results, stage_end = mp.Pipe(duplex=False)
    stage = mp.Process(target=transform, args=(to_stage, stage_end, fn))
    stage.start()
    to_stage.close()
    stage_end.close()
    collected = []
    while True:
        try:
            collected.append(results.recv())
        except EOFError:
            break
    results.close()
    producer.join()
    stage.join()
    return collected
