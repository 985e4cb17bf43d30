"""Wrong: join(timeout) before get() -- it no longer hangs, but returns with the child still running."""
from ipclab import context
from ipclab.workers.pitfalls import put_bytes


def main(nbytes):
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=put_bytes, args=(queue, nbytes))
    child.start()
    child.join(0.5)
    return len(queue.get(timeout=10))
