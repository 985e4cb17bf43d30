"""Right, another way: started in one comprehension, joined and read in another."""
import ipclab


def run_all(target, arg_tuples):
    procs = [ipclab.context().Process(target=target, args=args) for args in arg_tuples]
    [p.start() for p in procs]
    return [p.join() or p.exitcode for p in procs]
