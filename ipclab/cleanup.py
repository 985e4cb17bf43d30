"""Find child processes that outlived their purpose, and stop them.

Every notebook ends with :func:`assert_no_children`, and the test suite checks
the same after each notebook, so a demo that leaks a process fails CI.  The
helper processes multiprocessing itself starts (the forkserver and the resource
tracker) are not leaks: they serve the whole session and exit with it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

FORKSERVER = "multiprocessing.forkserver"  # in the command line of multiprocessing's helpers
TRACKER = "multiprocessing.resource_tracker"
SHM = Path("/dev/shm")
IPC_PREFIXES = ("sem.mp-", "psm_", "wnsm_")  # multiprocessing's semaphores, SharedMemory blocks
TEMP_PREFIX = "pymp-"  # multiprocessing's temporary folders (util.get_temp_dir)
PR_SET_CHILD_SUBREAPER = 36  # prctl(2), Linux


def become_subreaper() -> bool:
    """Make this process a "child subreaper" (Linux): orphans among its descendants are re-parented to it.

    Without it an orphan goes to init, out of sight -- also one that left the
    process group and session with ``os.setsid()``.  Returns False where the
    platform has no such thing.
    """
    if not sys.platform.startswith("linux"):
        return False
    return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def end_descendants(grace: float = 1.0) -> int:
    """Kill every descendant of this process except multiprocessing's helpers; return how many there were.

    In any process group or session: a subreaper (:func:`become_subreaper`)
    sees even those that called ``os.setsid()`` and whose parent has died.
    Processes already on their way out (a daemon child just terminated) get
    ``grace`` seconds, and are not counted if they make it.
    """
    left = leftover_children(grace)
    kill(left)
    return len(left)


def _command(proc: psutil.Process | None) -> str:
    try:
        return " ".join(proc.cmdline()) if proc else ""
    except psutil.Error:
        return ""


def is_helper(proc: psutil.Process) -> bool:
    """True for the forkserver or resource tracker that multiprocessing starts itself.

    A process forked by a forkserver -- a worker, or a manager's server --
    shares its command line, so the chain of such command lines above a
    process tells them apart: a forkserver started by an ordinary process
    heads the chain, a process it forks comes one below, a forkserver that
    such a process starts (it execs one of its own) one further, and so on.
    Even places are forkservers -- and below the head, only those that hold
    the listening socket the others ask them through (``pymp-*/listener-*``):
    a child that such a process forks itself shares the command line too.  A
    tracker forks nothing: its command line is its own, whoever started it.
    """
    command = _command(proc)
    if TRACKER in command:
        return True
    if FORKSERVER not in command:
        return False
    above = 0
    try:
        parent = proc.parent()
        while parent is not None and FORKSERVER in _command(parent):
            above += 1
            parent = parent.parent()
    except psutil.Error:
        pass
    return above == 0 or (above % 2 == 0 and _listens(proc))


def _listens(proc: psutil.Process) -> bool:
    """True if ``proc`` holds a multiprocessing listener socket (``pymp-*/listener-*``)."""
    try:
        sockets = (getattr(proc, "net_connections", None) or proc.connections)("unix")  # psutil < 6: connections
    except psutil.Error:
        return False
    return any("listener-" in str(s.laddr) for s in sockets)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def leftover_children(grace: float = 3.0, pid: int | None = None) -> list[psutil.Process]:
    """Live descendants of ``pid`` (default: this process), helpers excluded.

    Waits up to ``grace`` seconds for processes that are already on their way
    out, so a child that is just exiting is not reported.
    """
    multiprocessing.active_children()  # joins (reaps) children that have finished
    root = psutil.Process(pid)
    deadline = time.monotonic() + grace
    while True:
        found = [p for p in root.children(recursive=True) if _alive(p) and not is_helper(p)]
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def describe(procs: list[psutil.Process]) -> str:
    """One line per process: pid, name and command line."""
    lines = []
    for p in procs:
        try:
            lines.append(f"pid {p.pid} {p.name()}: {' '.join(p.cmdline())[:120]}")
        except psutil.Error:
            lines.append(f"pid {p.pid} (already gone)")
    return "\n".join(lines)


def kill(procs: list[psutil.Process], timeout: float = 3.0) -> None:
    """SIGKILL ``procs``, wait for them to die, then reap those that are our children.

    Helpers among them go last, in order: first the forkservers, which hold
    a resource tracker's pipe open like any worker; then, once everyone else
    is dead, a resource tracker sees its pipe close, unlinks the semaphores and
    shared memory the others left, and exits by itself -- it is given
    ``timeout`` s for that before it is killed too.  Children started by
    multiprocessing are reaped through multiprocessing, so their
    ``Process.exitcode`` still reads -9 afterwards.
    """
    helpers = [p for p in procs if is_helper(p)]
    trackers = [p for p in helpers if TRACKER in _command(p)]
    _kill_and_wait([p for p in procs if p not in helpers], timeout)
    _kill_and_wait([p for p in helpers if p not in trackers], timeout)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in trackers) and time.monotonic() < deadline:
        time.sleep(0.01)
    _kill_and_wait(trackers, timeout)
    multiprocessing.active_children()
    for p in procs:
        try:
            if p.ppid() == os.getpid():
                os.waitpid(p.pid, os.WNOHANG)
        except (psutil.Error, ChildProcessError):
            pass


def _kill_and_wait(procs: list[psutil.Process], timeout: float) -> None:
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in procs) and time.monotonic() < deadline:
        time.sleep(0.01)


def group_members(pgid: int) -> list[psutil.Process]:
    """The live processes of process group ``pgid`` (this process excluded); none on Windows."""
    if not hasattr(os, "getpgid"):
        return []
    members = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def assert_no_children(grace: float = 3.0) -> None:
    """Raise ``AssertionError`` naming any child left running, after killing it."""
    left = leftover_children(grace)
    if left:
        text = describe(left)
        kill(left)
        raise AssertionError(f"{len(left)} child process(es) were still running:\n{text}")
    print("No child process left running.")


def listening_sockets(pid: int | None = None) -> set[tuple[str, int]]:
    """The TCP and UDP addresses a process (this one by default) listens on, as ``(ip, port)``.

    A server a notebook starts must be gone when its cell ends; the tests
    compare this before and after each notebook.
    """
    proc = psutil.Process(pid)
    connections = getattr(proc, "net_connections", None) or proc.connections  # psutil < 6 names it connections
    return {(c.laddr.ip, c.laddr.port) for c in connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def _temp_root() -> Path:
    return Path(tempfile.gettempdir())


def ipc_names(grace: float = 0.0, besides: set[str] = frozenset(), tag: str | None = None) -> set[str]:
    """What multiprocessing leaves on disk when its owner is killed, not in ``besides``.

    Names in ``/dev/shm`` (semaphores, shared memory) and multiprocessing's
    temporary folders (``pymp-*``: sockets of managers, the forkserver, the
    handle sharer), as paths; with ``tag``, only the semaphores named with
    that tag (:func:`ipclab.start.tag_ipc_names`).  With
    ``grace``, waits up to that long for them to go: the resource tracker
    removes what a finished program left a moment after it exits.
    """
    deadline = time.monotonic() + grace
    while True:
        found = {str(p) for p in SHM.glob("*") if p.name.startswith(IPC_PREFIXES)} if SHM.is_dir() else set()
        found |= {str(p) for p in _temp_root().glob(f"{TEMP_PREFIX}*")}
        found -= besides
        if tag is not None:
            found = {name for name in found if Path(name).name.startswith(f"sem.mp-{tag}-")}
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def remove_ipc_names(names: set[str]) -> None:
    """Remove leaked names from ``/dev/shm`` and leaked temporary folders."""
    for name in map(Path, names):
        if name.is_dir():
            shutil.rmtree(name, ignore_errors=True)
        else:
            name.unlink(missing_ok=True)


def wait_for_exit(process: multiprocessing.process.BaseProcess, timeout: float) -> int | None:
    """Wait up to ``timeout`` s for a started ``process`` to exit; its exit code, or None if it still runs.

    Not ``join()``: that waits for the process's sentinel pipe to close, and
    under fork a grandchild it left running holds a copy of that pipe open.
    The exit code is polled, which also collects the process.
    """
    deadline = time.monotonic() + timeout
    while process.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return process.exitcode


def is_my_child(pid: int | None) -> bool:
    """True if ``pid`` is a running child of this process (a forked child inherits its parent's helper pids)."""
    try:
        return pid is not None and psutil.Process(pid).ppid() == os.getpid()
    except psutil.Error:
        return False


def _stop_forkserver() -> None:
    """Stop the forkserver if this process started it."""
    from multiprocessing import forkserver

    if is_my_child(getattr(forkserver._forkserver, "_forkserver_pid", None)):
        forkserver._forkserver._stop()


def _stop_resource_tracker() -> None:
    """Stop the resource tracker if this process started it (a child shares its parent's)."""
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    if is_my_child(getattr(tracker, "_pid", None)) and hasattr(tracker, "_stop"):
        tracker._stop()


def stop_helpers() -> None:
    """Stop multiprocessing's helper processes, the forkserver and the resource tracker; they restart when needed.

    A Jupyter kernel that still has a child process when it is shut down is
    killed with its process group, so its exit handlers never run and
    multiprocessing's temporary folder (``pymp-*``) stays behind; a kernel
    without children exits normally.  An explorer calls this after each run,
    so moving a slider after a notebook's last cell leaves nothing either.
    The resource tracker unlinks the names it still holds as it stops: a
    queue or lock made earlier can no longer be handed to a new ``spawn``ed
    child afterwards.

    Nothing is stopped while another child runs (a manager from an earlier
    cell, say): the tracker only exits once every process holding its pipe
    has, so stopping it would wait for that child.
    """
    if any(not is_helper(p) for p in psutil.Process().children(recursive=True)):
        return
    _stop_forkserver()
    _stop_resource_tracker()


def release_ipc() -> None:
    """Release the named semaphores, shared memory and temporary sockets this process and its dead children hold.

    Call it when a notebook is done.  A kernel is not a program that exits:
    JupyterLab (ipykernel) and the tests shut it down by killing every process
    in its group, multiprocessing's resource tracker included, so neither the
    kernel's exit handlers nor the tracker ever unlink the names that
    ``spawn`` and ``forkserver`` objects keep in ``/dev/shm``, or remove the
    ``pymp-*`` folder holding the sockets of managers and the forkserver.
    This does what a normal exit would: stop the forkserver, run
    multiprocessing's exit finalizers (queues close, semaphores this process
    made are unlinked, managers shut down, the temporary folder goes), then
    stop the resource tracker, which unlinks what killed children registered
    and never released.  Objects made before this call are unusable
    afterwards; new ones work (helpers start again when needed).
    """
    from multiprocessing import util

    _stop_forkserver()  # first: its socket is in the temporary folder the finalizers remove
    util._run_finalizers()  # what interpreter exit runs, short of joining threads
    _stop_resource_tracker()
