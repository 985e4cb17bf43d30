"""Wrong: treats a negative exit code (a signal) as an error code."""


def describe_exit(exitcode):
    if exitcode is None:
        return "running"
    if exitcode == 0:
        return "ok"
    return f"error {exitcode}"
