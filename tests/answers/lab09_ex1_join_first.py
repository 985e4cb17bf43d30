"""Wrong: joins the child before taking its item (the broken program, unchanged)."""
from ipclab import context
from ipclab.workers.pitfalls import put_bytes


def main(nbytes):
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=put_bytes, args=(queue, nbytes))
    child.start()
    child.join()
    return len(queue.get())
