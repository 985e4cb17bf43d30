"""Right, another way: the get inside try, the join in its finally."""
import ipclab
from ipclab.workers.pitfalls import put_bytes


def main(nbytes):
    mp = ipclab.context()
    queue = mp.Queue()
    child = mp.Process(target=put_bytes, args=(queue, nbytes))
    child.start()
    try:
        return len(queue.get(timeout=10))
    finally:
        child.join()
