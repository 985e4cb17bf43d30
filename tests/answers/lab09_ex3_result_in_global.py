"""Wrong: the child leaves its result in a module global, which the parent never sees."""
from ipclab import context

RESULT = None


def shout(greeting):
    global RESULT
    RESULT = greeting.upper()


def main(greeting):
    child = context().Process(target=shout, args=(greeting,))
    child.start()
    child.join()
    return RESULT
