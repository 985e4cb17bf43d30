"""Wrong, and it hangs: also starts a process that never ends and joins it."""
from ipclab import context
from ipclab.workers import processes


def run_all(target, arg_tuples):
    procs = [context().Process(target=target, args=args) for args in arg_tuples]
    procs.append(context().Process(target=processes.nap, args=(3600,)))
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return [p.exitcode for p in procs[:-1]]
