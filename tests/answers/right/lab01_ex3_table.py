"""Right, another way: a table."""
SEES = {"fork": True, "spawn": False, "forkserver": False}


def predict_sees_update(method):
    return SEES[method]
