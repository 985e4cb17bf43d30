"""Wrong: None is taken for success (it means the process has not ended)."""
import signal


def describe_exit(exitcode):
    if not exitcode:
        return "ok"
    if exitcode > 0:
        return f"error {exitcode}"
    return f"killed by {signal.Signals(-exitcode).name}"
