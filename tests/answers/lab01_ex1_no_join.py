"""Wrong: reads exit codes without joining, so they are still None."""
from ipclab import context


def run_all(target, arg_tuples):
    procs = [context().Process(target=target, args=args) for args in arg_tuples]
    for p in procs:
        p.start()
    return [p.exitcode for p in procs]
