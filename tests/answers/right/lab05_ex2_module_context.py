"""Right, another way: the context made at import with ipclab.context(), a walrus-free loop over recv."""
import ipclab
from ipclab.workers.pipes import send_items, transform

mp = ipclab.context()


def pipeline(items, fn):
    inbox, producer_end = mp.Pipe(duplex=False)
    producer = mp.Process(target=send_items, args=(producer_end, items))
    producer.start()
    producer_end.close()
    results, stage_end = mp.Pipe(duplex=False)
    stage = mp.Process(target=transform, args=(inbox, stage_end, fn))
    stage.start()
    for end in (inbox, stage_end):
        end.close()
    collected = []
    try:
        while True:
            collected.append(results.recv())
    except EOFError:
        pass
    for p in (producer, stage):
        p.join()
    return collected
