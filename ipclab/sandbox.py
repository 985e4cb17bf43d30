"""Run code that may hang or crash, with a watchdog, and leave nothing behind.

Every "this deadlocks" demo of the course goes through :func:`run_guarded`.
The target runs in a child process that first makes itself the leader of a
new session and process group, and (on Linux) a child subreaper, so that
everything it starts stays in sight: in its group, and among its descendants
even when a grandchild leaves the group with ``os.setsid()`` and its parent
dies.  On timeout the group and the child's descendants are killed.  When
the target finishes, the child exits as any process does -- multiprocessing
waits for its non-daemon children first, which is what a "parent waits for
its child" demonstration shows -- and then kills whatever else it left
running, wherever it went, counted in :attr:`Outcome.leftovers`.  The
verdict never waits for such stragglers: the watchdog waits for the child's
exit, not for every holder of its pipes.

The target and its arguments must be picklable (a function from an importable
module, not one defined in a notebook) so this works under every start method.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import forkserver, resource_tracker, util
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext
from typing import Any, Literal

import psutil

from ipclab.cleanup import become_subreaper, end_descendants, group_members, is_helper, is_my_child, kill
from ipclab.start import context

Status = Literal["finished", "hung", "crashed"]


@dataclass(frozen=True)
class Outcome:
    """What happened to a guarded run.

    ``status`` is ``"finished"`` (the target returned and its process exited),
    ``"hung"`` (stopped by the watchdog after ``timeout`` seconds) or
    ``"crashed"`` (raised, or its process died: see ``error`` and ``exitcode``).
    A target that returned or raised, but whose process then could not exit
    (it waited for a child that never ends), is ``"hung"`` with ``value`` or
    ``error`` set from what it reported.  ``elapsed`` counts seconds from the
    moment the target started (from the child's start if it never got there).
    """

    status: Status
    elapsed: float
    value: Any = None
    exitcode: int | None = None
    error_type: str | None = None
    error: str | None = None
    traceback: str | None = None
    leftovers: int = 0

    def __str__(self) -> str:
        text = f"{self.status} after {self.elapsed:.2f} s"
        if self.status == "crashed":
            text += f" with exit code {self.exitcode}"
            if self.error_type:
                text += f": {self.error_type}: {self.error}"
        elif self.status == "finished" and self.value is not None:
            text += f", returned {self.value!r}"
        if self.leftovers:
            text += f"; the sandbox killed {self.leftovers} process(es) it left behind"
        return text


POLL = 0.05  # seconds between looks at whether the child has exited
STARTUP = 60.0  # seconds the child may take to start, before the target's own ``timeout`` begins
HELPERS_GRACE = 1.0  # seconds for the child's forkserver and resource tracker to leave after it


def _guarded_child(conn, tempdir: str, target: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    if hasattr(os, "setsid"):
        os.setsid()
    become_subreaper()
    # Last of all on the way out, after multiprocessing has joined this process's non-daemon children:
    # end what is still running (escaped from the group or not), and say how many that was.
    util.Finalize(None, _end_stragglers, args=(conn,), exitpriority=-100)
    # Sockets of managers or a forkserver the target starts go into a folder
    # the sandbox removes, also when it has to kill them.
    multiprocessing.process.current_process()._config["tempdir"] = tempdir
    # And a resource tracker of its own, in its session: the one it inherits serves the parent (a
    # Jupyter kernel), which is killed with its tracker when it shuts down, before that tracker would
    # unlink what a killed target registered with it.  Its own one does, once the target is gone.
    tracker = resource_tracker._resource_tracker
    tracker._fd = tracker._pid = None  # type: ignore[attr-defined]  # as if never started here
    # And a forkserver of its own: a forked child that inherits its parent's cannot check on it
    # (ensure_running() waits on a pid that is not its child: ChildProcessError).  Private names, the
    # same from 3.8 to 3.14; where they are missing there is nothing to reset.
    server = forkserver._forkserver
    if getattr(server, "_forkserver_pid", None) is not None and not is_my_child(server._forkserver_pid):
        alive = getattr(server, "_forkserver_alive_fd", None)
        if alive is not None:
            os.close(alive)
        server._forkserver_pid = server._forkserver_alive_fd = server._forkserver_address = None
    status = 0
    conn.send(("started",))  # the watchdog's clock starts now, not while a busy machine starts this process
    try:
        report: tuple = ("ok", target(*args, **kwargs))
    except BaseException as exc:  # report every failure, SystemExit included
        report = ("error", type(exc).__name__, str(exc), traceback.format_exc())
        status = exc.code if isinstance(exc, SystemExit) else 1
    try:
        conn.send(report)
    except Exception as exc:  # the return value could not be pickled
        status = 1
        conn.send(("error", type(exc).__name__, f"could not send the result back: {exc}", ""))
    sys.exit(status)


def _end_stragglers(conn) -> None:
    """Kill the target's processes still running as the sandboxed child exits; report their number."""
    try:
        conn.send(("leftovers", end_descendants()))
        conn.close()
    except OSError:  # the watchdog has gone
        pass


def _kill_group(root: psutil.Process | None, pgid: int, grace: float = 0.0) -> int:
    """Kill the process group ``pgid`` and the descendants of ``root``, after ``grace`` s to leave by themselves.

    Returns how many were killed, not counting multiprocessing's own helpers
    (a forkserver the target started is not something it forgot; it leaves
    once the target has, which is what ``grace`` waits for).
    """
    deadline = time.monotonic() + grace
    while True:
        victims = {p.pid: p for p in group_members(pgid)}
        if root is not None:
            try:
                victims.update({p.pid: p for p in [root, *root.children(recursive=True)] if p.is_running()})
            except psutil.Error:
                pass
        if not victims or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    forgotten = sum(not is_helper(p) for p in victims.values())
    kill(list(victims.values()))
    return forgotten


def run_guarded(
    target: Callable[..., Any],
    *args: Any,
    timeout: float = 2.0,
    ctx: BaseContext | None = None,
    **kwargs: Any,
) -> Outcome:
    """Run ``target(*args, **kwargs)`` in a child process for at most ``timeout`` s.

    The clock starts when the target does: starting the child (under spawn, a
    new interpreter importing the course) has a limit of its own, ``STARTUP``,
    so that a busy machine does not turn a slow start into a "hung" verdict.

    Returns an :class:`Outcome`.  Whatever happens, every process the target
    started is gone when this returns, and so is multiprocessing's temporary
    folder in the child (sockets of managers it started).
    """
    ctx = ctx or context()
    reader, writer = ctx.Pipe(duplex=False)
    tempdir = tempfile.mkdtemp(prefix="ipclab-sandbox-")
    try:
        return _watch(ctx, reader, writer, tempdir, target, args, kwargs, timeout)
    finally:
        shutil.rmtree(tempdir, ignore_errors=True)


def _watch(ctx: BaseContext, reader, writer, tempdir: str, target: Callable[..., Any], args: tuple, kwargs: dict,
           timeout: float) -> Outcome:
    """Start the sandboxed child and watch it until it reports, dies, or the deadline passes."""
    proc = ctx.Process(
        target=_guarded_child,
        args=(writer, tempdir, target, args, kwargs),
        name=f"sandbox:{getattr(target, '__name__', 'target')}",
    )
    start = time.perf_counter()
    proc.start()
    writer.close()
    try:
        ps_root: psutil.Process | None = psutil.Process(proc.pid)
    except psutil.Error:
        ps_root = None
    deadline = start + STARTUP
    report, stragglers = None, 0
    waiting = [reader, proc.sentinel]

    def receive() -> None:
        """Take one message of the child: it started the target, its report, or how many stragglers it ended."""
        nonlocal start, deadline, report, stragglers
        try:
            message = reader.recv()
        except EOFError:
            waiting.remove(reader)
            return
        if message[0] == "started":
            start = time.perf_counter()
            deadline = start + timeout
        elif message[0] == "leftovers":
            stragglers = message[1]
        else:
            report = message

    # Until the child has exited -- its exit status is polled, for its sentinel can stay unready after
    # that, held open by a grandchild forked from it -- reading what it reports.
    while proc.exitcode is None and time.perf_counter() < deadline:
        ready = wait(waiting, timeout=min(POLL, max(0.0, deadline - time.perf_counter()))) if waiting else []
        if not waiting:
            time.sleep(POLL)
        for end in ready:
            if end is reader:
                receive()
            else:
                waiting.remove(end)
    elapsed = time.perf_counter() - start
    while reader in waiting and reader.poll(0):
        receive()
    reader.close()

    fields: dict[str, Any] = {}
    if report is not None and report[0] == "ok":
        fields["value"] = report[1]
    elif report is not None:
        fields.update(zip(("error_type", "error", "traceback"), report[1:]))
    if proc.exitcode is None:
        _kill_group(ps_root, proc.pid)
        proc.join()
        return Outcome("hung", elapsed, exitcode=proc.exitcode, **fields)
    proc.join()
    fields["leftovers"] = stragglers + _kill_group(None, proc.pid, grace=HELPERS_GRACE)
    if report is None:
        fields["error"] = "the process died without reporting"
    status: Status = "finished" if report is not None and proc.exitcode == 0 else "crashed"
    return Outcome(status, elapsed, exitcode=proc.exitcode, **fields)
