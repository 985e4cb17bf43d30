"""Targets for the sandbox tests (importable, so they run under every start method)."""

import subprocess
import threading
import sys

from ipclab import context

BIG = 1_000_000  # bytes: far more than a pipe buffer holds


def _put_big(queue) -> None:
    queue.put(b"x" * BIG)


def join_before_draining() -> None:
    """The documented deadlock: join a child whose queue item is still in the pipe."""
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=_put_big, args=(queue,))
    child.start()
    child.join()  # never returns: the child waits for the pipe to be read
    queue.get()


def drain_then_join() -> int:
    """The fix: get the item first, then join."""
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=_put_big, args=(queue,))
    child.start()
    item = queue.get(timeout=10)
    child.join(10)
    return len(item)


def _start_sleeper(queue, new_session: bool = False) -> None:
    """Start a grandchild that sleeps (in a session of its own if asked), report its pid, and exit without it."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=new_session)
    queue.put(proc.pid)


def orphan_a_sleeper(new_session: bool = False) -> int:
    """Leave an orphaned grandchild behind, in the process group or out of it (``os.setsid``); return its pid."""
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=_start_sleeper, args=(queue, new_session))
    child.start()
    pid = queue.get(timeout=10)
    child.join(10)
    return pid


def fork_sleepers(count: int) -> list[int]:
    """Fork ``count`` children that sleep a minute (each holds a copy of every pipe end) and return at once."""
    import os
    import time

    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        pids.append(pid)
    return pids


def return_a_lock():
    """Return something that cannot be pickled."""
    import threading

    return threading.Lock()


def check_that_hangs(answer) -> None:
    """A lab check that never returns, whatever the answer."""
    import time

    time.sleep(3600)


def check_that_passes(answer) -> None:
    """A lab check that accepts any answer."""


def manager_then_hang() -> None:
    """Start a manager (its socket goes into multiprocessing's temporary folder), then hang."""
    manager = context().Manager()
    manager.dict()
    threading.Event().wait()


def children_after_an_explorer_run() -> list[str]:
    """Run an explorer whose experiment starts a forkserver child; return the command lines of the children left."""
    import ipywidgets as widgets
    import matplotlib
    import psutil

    matplotlib.use("Agg")
    from ipclab.widgets import Explorer
    from ipclab.workers import processes

    Explorer({"n": widgets.IntSlider(value=1)}, lambda n: processes.start_and_join(n, "forkserver"),
             lambda result, fig: None).run()
    return [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)]
