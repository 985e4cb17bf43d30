"""Wrong: the codes are collected as the processes end, so they come back in ending order."""
from multiprocessing.connection import wait

from ipclab import context


def run_all(target, arg_tuples):
    mp = context()
    procs = [mp.Process(target=target, args=args) for args in arg_tuples]
    for p in procs:
        p.start()
    codes, waiting = [], {p.sentinel: p for p in procs}
    while waiting:
        for sentinel in wait(list(waiting)):
            p = waiting.pop(sentinel)
            p.join()
            codes.append(p.exitcode)
    return codes
