"""Run code that may hang or crash, with a watchdog, and leave nothing behind.

Every "this deadlocks" demo of the course goes through :func:`run_guarded`.
The target runs in a child process that first makes itself the leader of a
new session and process group, so everything it starts -- even a grandchild
orphaned when its parent dies -- stays in that group.  On timeout the whole
group is killed; when the target finishes, whatever it left running in the
group is killed too and counted in :attr:`Outcome.leftovers`.

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
from multiprocessing import resource_tracker
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext
from typing import Any, Literal

import psutil

from ipclab.cleanup import group_members, is_helper, kill
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
    ``error`` set from what it reported.
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


def _guarded_child(conn, tempdir: str, target: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    if hasattr(os, "setsid"):
        os.setsid()
    # Sockets of managers or a forkserver the target starts go into a folder
    # the sandbox removes, also when it has to kill them.
    multiprocessing.process.current_process()._config["tempdir"] = tempdir
    # And a resource tracker of its own, in its session: the one it inherits serves the parent (a
    # Jupyter kernel), which is killed with its tracker when it shuts down, before that tracker would
    # unlink what a killed target registered with it.  Its own one does, once the target is gone.
    tracker = resource_tracker._resource_tracker
    tracker._fd = tracker._pid = None  # type: ignore[attr-defined]  # as if never started here
    status = 0
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
    conn.close()
    sys.exit(status)


def _kill_group(root: psutil.Process | None, pgid: int) -> int:
    """Kill the process group ``pgid`` and the descendants of ``root``.

    Returns how many were killed, not counting multiprocessing's own helpers
    (a forkserver the target started is not something it forgot).
    """
    victims = {p.pid: p for p in group_members(pgid)}
    if root is not None:
        try:
            victims.update({p.pid: p for p in [root, *root.children(recursive=True)] if p.is_running()})
        except psutil.Error:
            pass
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
    deadline = start + timeout
    report = None
    waiting = [reader, proc.sentinel]
    while proc.sentinel in waiting and time.perf_counter() < deadline:
        for ready in wait(waiting, timeout=max(0.0, deadline - time.perf_counter())):
            if ready is reader:
                try:
                    report = reader.recv()
                except EOFError:
                    pass
            waiting.remove(ready)
    elapsed = time.perf_counter() - start
    if report is None and reader.poll(0):
        try:
            report = reader.recv()
        except EOFError:
            pass
    reader.close()

    fields: dict[str, Any] = {}
    if report is not None and report[0] == "ok":
        fields["value"] = report[1]
    elif report is not None:
        fields.update(zip(("error_type", "error", "traceback"), report[1:]))
    # A readable sentinel means the child has closed its files on the way out;
    # join() then returns at once (is_alive() could still say True for a moment).
    if proc.sentinel in waiting:
        _kill_group(ps_root, proc.pid)
        proc.join()
        return Outcome("hung", elapsed, exitcode=proc.exitcode, **fields)
    proc.join()
    fields["leftovers"] = _kill_group(None, proc.pid)
    if report is None:
        fields["error"] = "the process died without reporting"
    status: Status = "finished" if report is not None and proc.exitcode == 0 else "crashed"
    return Outcome(status, elapsed, exitcode=proc.exitcode, **fields)
