"""Wrong: joins each process right after starting it, so they run one after another."""
from ipclab import context


def run_all(target, arg_tuples):
    codes = []
    for args in arg_tuples:
        p = context().Process(target=target, args=args)
        p.start()
        p.join()
        codes.append(p.exitcode)
    return codes
