"""Wrong: passes the greeting, but joins the child before taking its shout."""
from ipclab import context


def shout(greeting, result):
    result.put(greeting.upper())


def main(greeting):
    mp = context()
    result = mp.Queue()
    child = mp.Process(target=shout, args=(greeting, result))
    child.start()
    child.join()
    return result.get(timeout=10)
