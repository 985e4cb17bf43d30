"""Right, another way: a match statement."""
import signal


def describe_exit(exitcode):
    match exitcode:
        case None:
            return "running"
        case 0:
            return "ok"
        case n if n > 0:
            return f"error {n}"
        case n:
            return "killed by " + signal.Signals(-n).name
