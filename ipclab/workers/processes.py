"""The example workers of chapter 01 (processes).

Each is tiny on purpose: the chapter shows its source next to the cell that
runs it.  They report through their exit code, a queue or the tracer, never by
printing (a child's prints go to the terminal that started Jupyter).
"""

from __future__ import annotations

import os
import sys
import time

from ipclab.cleanup import wait_for_exit
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


def say(text: str) -> None:
    """Print ``text`` from the child, and nothing else: chapter 00 shows where a child's output goes."""
    print(text, flush=True)


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


def _parent_of_daemon(pids, how: str) -> None:
    """Start a daemon child that naps a minute, report its pid, then end ``how``: "return" or "os._exit"."""
    child = context().Process(target=nap, args=(60,), daemon=True)
    child.start()
    pids.put(child.pid)
    pids.close()
    pids.join_thread()
    if how == "os._exit":
        os._exit(0)  # no exit handlers: nobody terminates the daemon


def daemon_outlives_parent(how: str) -> bool:
    """True if a daemon child is still running after its parent ended ``how`` ("return" or "os._exit").

    Run it in the sandbox: the daemon that outlives its parent is orphaned,
    and the sandbox ends it.
    """
    import psutil

    mp = context()
    pids = mp.Queue()
    parent = mp.Process(target=_parent_of_daemon, args=(pids, how))
    parent.start()
    pid = pids.get(timeout=30)
    wait_for_exit(parent, timeout=30)  # not join(): under fork the orphaned daemon holds what join() waits on
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- Why processes: the GIL --------------------------------------------------------------------------


def count_down(n: int) -> int:
    """Pure-Python work that only computes: a loop of ``n`` steps, holding the GIL all along."""
    while n > 0:
        n -= 1
    return n


def count_down_on_cpu(n: int) -> float:
    """:func:`count_down`, returning the CPU time its thread spent on it, in seconds.

    Summed over tasks that ran at the same time and divided by the wall time
    they took, it says how many cores they kept busy at once -- a figure that,
    unlike a duration, a virtual machine's drifting core speed does not change.
    """
    cpu0 = time.thread_time()
    count_down(n)
    return time.thread_time() - cpu0


def wait(seconds: float) -> float:
    """Work that only waits (as for a disk or a network): ``time.sleep`` lets the GIL go meanwhile."""
    time.sleep(seconds)
    return seconds


def gil_enabled() -> bool:
    """True unless this is a free-threaded build (3.13t, 3.14t) running with its GIL off.

    ``sys._is_gil_enabled`` is private and new in 3.13: without it, the GIL is on.
    """
    return getattr(sys, "_is_gil_enabled", lambda: True)()


# -- Getting results back --------------------------------------------------------------------------

RESULTS: list[int] = []  # a module-level list a child appends to: the parent's copy never changes


def square(x: int) -> int:
    """Return ``x * x``: as a Process target, the value is thrown away."""
    return x * x


def square_into_results(x: int) -> None:
    """Append ``x * x`` to :data:`RESULTS` -- the child's own copy of it."""
    RESULTS.append(x * x)


def square_onto(queue, x: int) -> None:
    """Send ``x * x`` back on ``queue``: the way a child's result reaches its parent."""
    queue.put(x * x)

