"""Right, another way: the diners made in a comprehension, the buns collected with a walrus loop."""
import queue

import ipclab
from ipclab.workers.kitchen import cook, joinable_diner


def kitchen(cooks, diners, buns_per_cook):
    mp = ipclab.context()
    buns, eaten = mp.JoinableQueue(), mp.Queue()
    for p in [mp.Process(target=joinable_diner, args=(buns, eaten), daemon=True) for _ in range(diners)]:
        p.start()
    cook_procs = [mp.Process(target=cook, args=(buns, range(i * buns_per_cook, (i + 1) * buns_per_cook)))
                  for i in range(cooks)]
    for p in cook_procs:
        p.start()
    for p in cook_procs:
        p.join()
    buns.join()
    got = []
    try:
        while (report := eaten.get(timeout=1)) is not None:
            got.append(report[1])
    except queue.Empty:
        pass
    return got
