"""Wrong: forkserver is taken for fork (it forks, but from a server that never ran the parent's code)."""


def predict_sees_update(method):
    return method in ("fork", "forkserver")
