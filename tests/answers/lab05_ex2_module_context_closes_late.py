"""Wrong under fork, with the context taken as ipclab.context(): the producer's end closed after the stage started."""
import ipclab
from ipclab.workers.pipes import send_items, transform


def pipeline(items, fn):
    mp = ipclab.context()
    to_stage, producer_end = mp.Pipe(duplex=False)
    producer = mp.Process(target=send_items, args=(producer_end, items))
    producer.start()
    results, stage_end = mp.Pipe(duplex=False)
    stage = mp.Process(target=transform, args=(to_stage, stage_end, fn))
    stage.start()
    producer_end.close()
    to_stage.close()
    stage_end.close()
    collected = []
    while True:
        try:
            collected.append(results.recv())
        except EOFError:
            break
    producer.join()
    stage.join()
    return collected
