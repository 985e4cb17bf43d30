"""Right, another way: diners started before the cooks, results gathered before any diner is joined."""
import ipclab
from ipclab.workers.kitchen import cook, diner


def kitchen(cooks, diners, buns_per_cook):
    mp = ipclab.context()
    buns, eaten = mp.Queue(), mp.Queue()
    diner_procs = [mp.Process(target=diner, args=(buns, eaten)) for _ in range(diners)]
    for p in diner_procs:
        p.start()
    cook_procs = []
    for i in range(cooks):
        p = mp.Process(target=cook, args=(buns, range(i * buns_per_cook, (i + 1) * buns_per_cook)))
        p.start()
        cook_procs.append(p)
    for p in cook_procs:
        p.join()
    for _ in diner_procs:
        buns.put(None)
    result = [bun for _, bun in (eaten.get(timeout=10) for _ in range(cooks * buns_per_cook))]
    for p in diner_procs:
        p.join()
    return result
