"""Right, another way: the greeting goes in as an argument, the answer comes back on a Pipe."""
from ipclab import context


def shout(greeting, conn):
    conn.send(greeting.upper())
    conn.close()


def main(greeting):
    mp = context()
    receiver, sender = mp.Pipe(duplex=False)
    child = mp.Process(target=shout, args=(greeting, sender))
    child.start()
    sender.close()
    shouted = receiver.recv() if receiver.poll(10) else None
    child.join()
    return shouted
