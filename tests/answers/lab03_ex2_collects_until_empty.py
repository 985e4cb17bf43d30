"""Wrong: takes reports until `eaten` looks empty, then joins the diners."""
from ipclab import context
from ipclab.workers.kitchen import cook, diner


def kitchen(cooks, diners, buns_per_cook):
    mp = context()
    buns, eaten = mp.Queue(), mp.Queue()
    cook_procs = [mp.Process(target=cook, args=(buns, list(range(i * buns_per_cook, (i + 1) * buns_per_cook))))
                  for i in range(cooks)]
    diner_procs = [mp.Process(target=diner, args=(buns, eaten)) for _ in range(diners)]
    for p in cook_procs + diner_procs:
        p.start()
    for p in cook_procs:
        p.join()
    for _ in diner_procs:
        buns.put(None)
    result = []
    while not eaten.empty():
        result.append(eaten.get()[1])
    for p in diner_procs:
        p.join()
    return result
