"""The example workers of chapter 01 (processes).

Each is tiny on purpose: the chapter shows its source next to the cell that
runs it.  They report through their exit code, a queue or the tracer, never by
printing (a child's prints go to the terminal that started Jupyter).
"""

from __future__ import annotations

import os
import sys
import time

from ipclab.start import context
from ipclab.trace import TraceWriter

# A module-level setting that chapter 01 changes in the parent at run time, to
# show which start methods let a child see the change.
SETTING = "set at import"


def noop() -> None:
    """Do nothing: starting and joining it measures the cost of a process."""


def nap(seconds: float, exitcode: int = 0, trace: TraceWriter | None = None) -> None:
    """Sleep ``seconds`` (recorded as a begin/end span), then exit with ``exitcode``."""
    if trace:
        trace.mark("begin")
    time.sleep(seconds)
    if trace:
        trace.mark("end")
    sys.exit(exitcode)


def nap_with_the_others(seconds: float, exitcode: int, arrived, go) -> None:
    """Say so on ``arrived``, wait for ``go`` (at most a minute), then nap as :func:`nap` does.

    Lab 01's check sets ``go`` once every nap has arrived, so it knows,
    whatever the machine's load, whether they were all running at once.
    """
    arrived.put(os.getpid())
    go.wait(60)
    nap(seconds, exitcode)


def fail() -> None:
    """Raise an exception: the process ends with exit code 1."""
    raise RuntimeError("something went wrong in the child")


def report_setting(queue) -> None:
    """Send the value of :data:`SETTING` and of ``$IPCLAB_DEMO`` as this child sees them."""
    queue.put((SETTING, os.environ.get("IPCLAB_DEMO")))


def start_and_join(n: int = 1, method: str | None = None) -> float:
    """Seconds to start ``n`` do-nothing processes with ``method`` and join them all."""
    mp = context(method)
    t0 = time.perf_counter()
    procs = [mp.Process(target=noop) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return time.perf_counter() - t0


def parent_of_sleeper(daemon: bool, seconds: float) -> int:
    """Start a child that naps ``seconds``, daemonic or not, and return its pid at once.

    Run in the sandbox, this shows what happens to a child when its parent
    ends: a daemon child is terminated, a normal child is waited for.
    """
    child = context().Process(target=nap, args=(seconds,), daemon=daemon)
    child.start()
    return child.pid
