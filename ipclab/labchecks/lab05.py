"""Checks for lab 05 (pipes): a pipeline stage that ends by EOF, and the pipeline around it.

Every mistake named here is caught deterministically: a pipe whose write end
stays open never gives EOF (a hang the check diagnoses by looking at who holds
which end), and the other mistakes change what comes out, or how the stage
ends, on every run.  The items are chosen for it: falsy ones in the middle
(only EOF may end a stage), one larger than a pipe's buffer (a process that
joins before it has read everything waits for ever), and a pause of
:data:`PAUSE` seconds in the middle (a stage that ends when nothing came for
a while ends too soon).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import multiprocessing
import os
import queue as queue_module
import sys
import time
from types import ModuleType
from typing import Any

from ipclab.checks import Exercise, Wrong, answer_line, call_with_deadline, stop_children
import ipclab
from ipclab import start
from ipclab.start import ENV_VAR, available_methods, context
from ipclab.workers.pipes import pipe_ends, send_items, transform

BIG = b"x" * (1 << 17)  # 128 KiB, doubled 256 KiB: more than a pipe holds (64 KiB on Linux)
ITEMS = [1, BIG, 0, 2, b"", "", "ab", 3]  # falsy items in the middle: only EOF may end a stage
FAILING = [1, 2, 3, 4]  # `double_but_not_three` raises on 3
PAUSE, PAUSE_AT = 1.5, 3  # a quiet moment longer than any sensible poll timeout, before ITEMS[PAUSE_AT] (the 2)


def show(items: list) -> str:
    """The items as a learner can read them: a long bytes object as its length."""
    return "[" + ", ".join(f"b'x' * {len(i):,}" if isinstance(i, bytes) and len(i) > 16 else repr(i) for i in items) + "]"


def double(item: Any) -> Any:
    """The pipeline's transform: ``item * 2`` (0 stays 0, b"" stays b"")."""
    return item * 2


def double_but_not_three(item: Any) -> Any:
    """Like :func:`double`, but raises ``ValueError`` on 3: a stage must not hide that."""
    if item == 3:
        raise ValueError("3 is not allowed")
    return item * 2


def send_with_pause(conn, items: list) -> None:
    """In a child: send the items, pausing :data:`PAUSE` s before the item at :data:`PAUSE_AT`; then close."""
    for i, item in enumerate(items):
        if i == PAUSE_AT:
            time.sleep(PAUSE)
        conn.send(item)
    conn.close()


def double_after_a_pause(item: Any) -> Any:
    """:func:`double`, after a pause of :data:`PAUSE` s on the item 2 (the pipeline's transform is slow once)."""
    if item == ITEMS[PAUSE_AT]:
        time.sleep(PAUSE)
    return double(item)


def _stopped_at_pause(got: list, items: list) -> bool:
    """Whether ``got`` is what came before the pause, and nothing after it."""
    return len(got) == PAUSE_AT and got == [double(i) for i in items[:PAUSE_AT]]


def _falsy_stop(got: list, items: list) -> str | None:
    """The item a falsy end test stopped at, if ``got`` is :func:`double` of the items up to a falsy one."""
    expected = [double(i) for i in items]
    k = len(got)
    if k < len(expected) and got == expected[:k] and not items[k]:
        return repr(items[k])
    return None


class WatchedEnd:
    """A stage's input end that notes whether it was closed before anything was read from it."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self.reads = 0
        self.closed_before_reading = False

    def recv(self):
        self.reads += 1
        return self._conn.recv()

    def close(self) -> None:
        if self.reads == 0 and not self._conn.closed:
            self.closed_before_reading = True
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name: str):  # poll, fileno, closed, recv_bytes ...
        return getattr(self._conn, name)


def run_stage(stage, inbox, outbox, fn, report) -> None:
    """In a child: run the answer's stage on a watched input; report how it ended, then end the same way."""
    watched = WatchedEnd(inbox)
    try:
        stage(watched, outbox, fn)
        report.put(("returned", "", watched.closed_before_reading))
        status = 0
    except Exception as exc:
        report.put(("raised", f"{type(exc).__name__}: {exc}{answer_line(exc)}", watched.closed_before_reading))
        status = 1
    report.close()
    report.join_thread()
    sys.exit(status)


def collect(conn, timeout: float) -> tuple[list, bool]:
    """Receive until EOF or ``timeout`` s: ``(items, ended by EOF)``."""
    items: list = []
    deadline = time.monotonic() + timeout
    while conn.poll(max(0.0, deadline - time.monotonic())):
        try:
            items.append(conn.recv())
        except EOFError:
            return items, True
    return items, False


def run_answer_stage(answer: ModuleType, items: list, fn, pause: bool = True) -> tuple[list, bool, tuple | None]:
    """Producer (pausing in the middle, or not) -> the answer's stage -> collected here; unused ends closed in time."""
    mp = context()
    r1, w1 = mp.Pipe(duplex=False)
    producer = mp.Process(target=send_with_pause if pause else send_items, args=(w1, items))
    producer.start()
    w1.close()  # before the stage starts, so a forked stage does not inherit it
    r2, w2 = mp.Pipe(duplex=False)
    report = mp.Queue()
    stage = mp.Process(target=run_stage, args=(answer.transform, r1, w2, fn, report))
    stage.start()
    r1.close()
    w2.close()
    got, eof = collect(r2, timeout=PAUSE + 3)
    r2.close()
    for p in (producer, stage):
        p.join(3)
    try:
        how = report.get(timeout=1)
    except queue_module.Empty:
        how = None
    stop_children()
    return got, eof, how


def check_stage(answer: ModuleType) -> None:
    """The stage passes every item through, falsy ones too, ends at EOF, and lets real errors out.

    Verifies, with a producer that pauses 1.5 s in the middle and an item larger than a pipe's
    buffer: every item arrives doubled, in order; the stage ends at EOF and not at a falsy item or
    a quiet moment; it does not close its input before reading; an exception of ``fn`` comes out
    of the stage (named with its type and message), not swallowed.
    """
    got, eof, how = run_answer_stage(answer, ITEMS, double)
    if how is not None and how[2]:
        raise Wrong("your stage closes its input before reading it: the next recv() is on a closed "
                    "connection (OSError: handle is closed). Close `inbox` only after EOFError.")
    if how is not None and how[0] == "raised":
        raise Wrong(f"your stage raised {how[1]} while the pipeline carried {show(ITEMS)}.")
    falsy = _falsy_stop(got, ITEMS)
    if falsy is not None:
        raise Wrong(f"your stage stopped at the item {falsy}: `if not item` treats 0, b'' and '' as the end. "
                    "A pipe's end is EOFError and nothing else; send falsy items on like any other.")
    if _stopped_at_pause(got, ITEMS):
        raise Wrong(f"your stage stopped when the producer paused for {PAUSE:g} s after {PAUSE_AT} items: a quiet "
                    "moment is not the end (a producer may be slow). End on EOFError alone, with no timeout.")
    if not eof:
        raise Wrong("the collector never saw EOF from your stage within 3 s of its input ending: break out "
                    "of your loop on EOFError, and close `outbox`.")
    expected = [double(i) for i in ITEMS]
    if got != expected:
        raise Wrong(f"for the items {show(ITEMS)} your stage sent {show(got)}, expected {show(expected)}.")

    got, eof, how = run_answer_stage(answer, FAILING, double_but_not_three, pause=False)
    if how is not None and how[0] == "returned":
        raise Wrong("fn raised ValueError on the item 3, and your stage swallowed it and ended as if all was "
                    "well (its exit code says success): catch EOFError by name, and let every other "
                    "exception out, so the failure shows.")
    if how is None or "ValueError" not in how[1]:
        raise Wrong(f"fn raised ValueError on the item 3; your stage ended with {how!r} instead of raising it.")


class RecordingContext:
    """A multiprocessing context that remembers the pipes and processes an answer makes."""

    def __init__(self, method: str) -> None:
        self.method = method
        self._ctx = context(method)
        self.pipes: list[tuple[Any, Any, int]] = []  # (reader, writer, inode)
        self.processes: list[tuple[Any, Any, tuple]] = []  # (process, target, args)

    def Pipe(self, duplex: bool = True):  # noqa: N802 -- the multiprocessing name
        a, b = self._ctx.Pipe(duplex)
        self.pipes.append((a, b, os.fstat(a.fileno()).st_ino))
        return a, b

    def Process(self, *args, **kwargs):  # noqa: N802
        proc = self._ctx.Process(*args, **kwargs)
        bound = inspect.signature(self._ctx.Process).bind(*args, **kwargs).arguments
        self.processes.append((proc, bound.get("target"), tuple(bound.get("args", ()))))
        return proc

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)

    def started(self, target) -> list[tuple[Any, tuple]]:
        """``(process, args)`` of every process made to run ``target``."""
        return [(p, args) for p, t, args in self.processes if t is target]

    def inode_of(self, conn) -> int | None:
        return next((inode for r, w, inode in self.pipes if conn is r or conn is w), None)


def which_end(rec: RecordingContext) -> str:
    """Say which write end is still open, from what the answer made and who holds what now."""
    producers, stages = rec.started(send_items), rec.started(transform)
    if not producers or not stages:
        return ("(make the pipes and processes with `context()` from ipclab, running `send_items` and "
                "`transform`, and the check can say which end)")
    (_, (to_stage, *_)), (stage, (_, stage_out, *_)) = producers[0], stages[0]
    if not stage_out.closed:
        return ("your process still holds its copy of the write end the transform sends to, so your own "
                "reading loop waits for yourself: close it right after starting the transform.")
    if not to_stage.closed:
        return ("your process still holds its copy of the producer's write end, so the transform never sees "
                "EOF, never closes its output, and you never see EOF either: close it right after starting "
                "the producer.")
    inode = rec.inode_of(to_stage)
    if inode is not None and stage.is_alive() and os.path.isdir(f"/proc/{stage.pid}"):
        if pipe_ends(inode, stage.pid)["write"]:
            return ("the transform process holds a copy of the producer's write end: under fork a child "
                    "inherits every end its parent has open when it starts, and it waits for EOF on a pipe it "
                    "could write to itself. Close the producer's write end in your process *before* starting "
                    "the transform.")
    if any(p.is_alive() for p, _ in producers + stages):
        return ("every end is closed where it should be, but the producer or the transform is still running, "
                "blocked writing: a pipe holds about 64 KiB, one item here is larger, and a process that join()s "
                "a child before reading everything it sends waits for a child that waits for it (chapter 09a). "
                "Read until EOFError first, then join.")
    return "a write end of one of the pipes is still open somewhere, so EOF never comes."


@contextlib.contextmanager
def everything_from(rec: RecordingContext, answer: ModuleType):
    """Make every way an answer gets its processes and pipes give ``rec``'s, for the ``with`` block.

    ``from ipclab import context``, ``ipclab.context()``, ``ipclab.start.context()`` and the
    ``multiprocessing`` module's own functions all use ``rec.method`` (the answer is imported again,
    so that what it took at import is taken anew); the first three hand out ``rec`` itself.
    """
    saved = ipclab.context, start.context, os.environ.get(ENV_VAR), multiprocessing.get_start_method(allow_none=True)
    ipclab.context = start.context = lambda method=None: rec
    os.environ[ENV_VAR] = rec.method
    multiprocessing.set_start_method(rec.method, force=True)
    try:
        yield importlib.reload(answer)
    finally:
        ipclab.context, start.context = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = saved[2]
        multiprocessing.set_start_method(saved[3], force=True)


def check_pipeline(answer: ModuleType) -> None:
    """The whole pipeline returns every item, falsy ones too, under the course's method and under fork.

    Verifies, with a transform that pauses 1.5 s once and an item larger than a pipe's buffer:
    ``pipeline`` returns every item doubled, in order; it ends by EOF alone (not at a falsy item,
    not at a quiet moment); it reads before it joins; and under ``fork`` too -- however the answer
    gets its context -- no process keeps a write end it does not use (the end still open is named).
    """
    expected = [double(i) for i in ITEMS]
    methods = [context().get_start_method()]
    if "fork" in available_methods() and "fork" not in methods:
        methods.append("fork")  # the inheritance trap shows under fork: try it there too
    for method in methods:
        rec = RecordingContext(method)
        under = f" (under {method})" if method != methods[0] else ""
        with everything_from(rec, answer) as module:
            call = call_with_deadline(module.pipeline, ITEMS, double_after_a_pause, timeout=PAUSE + 3)
            if not call.finished:
                diagnosis = which_end(rec)
                stop_children()
                raise Wrong(f"pipeline() never returned{under}: {diagnosis}")
        stop_children()
        if call.error is not None:
            raise call.error
        got = list(call.value or [])
        falsy = _falsy_stop(got, ITEMS)
        if falsy is not None:
            raise Wrong(f"pipeline() stopped at the item {falsy}: `if not item` treats 0, b'' and '' as the end. "
                        "Read until EOFError.")
        if _stopped_at_pause(got, ITEMS):
            raise Wrong(f"pipeline() stopped collecting when the transform paused for {PAUSE:g} s: a quiet moment is "
                        "not the end. Read until EOFError, with no timeout.")
        if got != expected:
            raise Wrong(f"pipeline({show(ITEMS)}, fn) returned {show(got)}{under}, expected {show(expected)}.")


EXERCISES = [
    Exercise("ex1", "lab05_ex1", "a stage that ends by EOF", check_stage, timeout=PAUSE + 20),
    Exercise("ex2", "lab05_ex2", "a pipeline with every unused end closed", check_pipeline, timeout=2 * PAUSE + 20),
]
