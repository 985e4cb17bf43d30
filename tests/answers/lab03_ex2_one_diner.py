"""Wrong: one diner process eats for all of them -- every bun eaten, nothing side by side."""
from ipclab import context
from ipclab.workers.kitchen import cook, diner


def kitchen(cooks, diners, buns_per_cook):
    mp = context()
    buns, eaten = mp.Queue(), mp.Queue()
    cook_procs = [mp.Process(target=cook, args=(buns, list(range(i * buns_per_cook, (i + 1) * buns_per_cook))))
                  for i in range(cooks)]
    the_diner = mp.Process(target=diner, args=(buns, eaten))
    for p in cook_procs + [the_diner]:
        p.start()
    for p in cook_procs:
        p.join()
    buns.put(None)
    result = [eaten.get(timeout=10)[1] for _ in range(cooks * buns_per_cook)]
    the_diner.join()
    return result
