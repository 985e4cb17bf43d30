"""Wrong: believes every child sees the parent's current state."""


def predict_sees_update(method):
    return True
