"""Right, another way: `with` closes each end this process hands to a child, right after the start."""
from ipclab import context
from ipclab.workers.pipes import send_items, transform


def pipeline(items, fn):
    mp = context()
    to_stage, producer_end = mp.Pipe(duplex=False)
    with producer_end:
        producer = mp.Process(target=send_items, args=(producer_end, items))
        producer.start()
    results, stage_end = mp.Pipe(duplex=False)
    with to_stage, stage_end:
        stage = mp.Process(target=transform, args=(to_stage, stage_end, fn))
        stage.start()
    out = []
    with results:
        while True:
            try:
                out.append(results.recv())
            except EOFError:
                break
    for p in (producer, stage):
        p.join()
    return out
