"""Wrong: after queue.join(), takes reports until `eaten` looks empty."""
import queue
from ipclab import context
from ipclab.workers.kitchen import cook, joinable_diner


def kitchen(cooks, diners, buns_per_cook):
    mp = context()
    buns, eaten = mp.JoinableQueue(), mp.Queue()
    for _ in range(diners):
        mp.Process(target=joinable_diner, args=(buns, eaten), daemon=True).start()
    cook_procs = [mp.Process(target=cook, args=(buns, list(range(i * buns_per_cook, (i + 1) * buns_per_cook))))
                  for i in range(cooks)]
    for p in cook_procs:
        p.start()
    for p in cook_procs:
        p.join()
    buns.join()
    result = []
    while True:
        try:
            result.append(eaten.get_nowait()[1])
        except queue.Empty:
            return result
