"""Wrong: still sets a module global for the child to read."""
from ipclab import context

GREETING = "hello"


def shout(result):
    result.put(GREETING.upper())


def main(greeting):
    global GREETING
    GREETING = greeting
    mp = context()
    result = mp.Queue()
    child = mp.Process(target=shout, args=(result,))
    child.start()
    shouted = result.get(timeout=10)
    child.join()
    return shouted
