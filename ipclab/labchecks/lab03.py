"""Checks for lab 03 (producer/consumer): a diner that ends at its sentinel; a kitchen of M cooks and N diners."""

from __future__ import annotations

import queue as queue_module
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import ModuleType

from ipclab.workers import kitchen
from ipclab.checks import Exercise, ProcessesMade, Wrong, call_with_deadline, ending, how_it_ended, stop_children
from ipclab.start import context

BUNS, DINERS = 30, 3
KITCHENS = [(1, 1), (2, 3), (3, 2)]
BUNS_PER_COOK = 8
PACE = 0.1  # seconds a cook of the answer takes per bun
PAUSE = 2.0  # seconds the queue stays empty between two halves of the buns: longer than any sensible get() timeout


BALLAST = 1 << 17  # bytes each report of the check's diners carries: 128 KiB, more than a pipe holds (64 KiB on Linux)
SEND_DELAY = 0.05  # seconds each such report takes to pickle: it reaches `eaten` that long after put() returned


def _arrived(bun: int, ballast: bytes) -> int:
    return bun


class Report(int):
    """A bun number as the check's diners report it: heavy and slow on the way, a plain int on arrival.

    A queue's feeder thread pickles what was put after ``put()`` has returned:
    pickling this takes :data:`SEND_DELAY` s and :data:`BALLAST` bytes, and
    unpickling gives the plain number back.  So, on every run, a diner that
    reported a bun cannot exit before its report is taken (a process waits at
    its exit until its queues' data is in the pipe, which holds less), and a
    report is not yet on the queue for a moment after the diner put it there.
    """

    def __reduce__(self):
        time.sleep(SEND_DELAY)
        return _arrived, (int(self), bytes(BALLAST))


class QueueStandIn:
    """A queue the check hands a process in place of a real one (``self.queue``); the rest is the real queue's.

    It travels to a spawned child by pickling: while it is unpickled, before its
    ``__dict__`` is set, looking up its own fields (:attr:`OWN`) or a dunder
    must fail, not ask the queue that is not there yet.
    """

    OWN: tuple[str, ...] = ("queue",)

    def __getattr__(self, name: str):  # get, qsize, task_done, close, join_thread ...
        if name.startswith("__") or name in self.OWN:
            raise AttributeError(name)
        return getattr(self.queue, name)


class Watched(QueueStandIn):
    """A queue a course diner gets from the check in place of the answer's: it counts and weighs what passes.

    ``get()`` counts each sentinel taken in ``counts[1]``; ``put((pid, bun))``
    sends ``(pid, Report(bun))`` and then counts one bun eaten in
    ``counts[0]``.  Everything else (``task_done``, ``qsize``...) is the real
    queue's.  ``counts`` is a shared ``Array("i", 2)``, read by the check.
    """

    OWN = ("queue", "counts")

    def __init__(self, queue, counts) -> None:
        self.queue, self.counts = queue, counts

    def get(self, block: bool = True, timeout: float | None = None):
        item = self.queue.get(block, timeout)
        if item is None:
            self._count(1)
        return item

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        pid, bun = item
        self.queue.put((pid, Report(bun)), block, timeout)
        self._count(0)

    def _count(self, which: int) -> None:
        with self.counts.get_lock():
            self.counts[which] += 1


class PausedBuns:
    """A cook's buns as the check hands them over: :data:`PACE` s apart, with a wait of ``pause`` s halfway.

    The course's ``cook`` iterates over its buns, so the pacing happens in the cook, in its process.
    """

    def __init__(self, buns, pause: float) -> None:
        self.buns, self.pause = list(buns), pause

    def __iter__(self):
        for i, bun in enumerate(self.buns):
            time.sleep(PACE + (self.pause if i == len(self.buns) // 2 else 0.0))
            yield bun


class CheckedKitchen(ProcessesMade):
    """The course's cooks and diners the answer makes in the block, set up so that each mistake shows on every run.

    Each ``kitchen.cook`` gets :class:`PausedBuns` (pausing ``pause`` s
    halfway): sentinels sent before the cooks have finished always reach the
    diners before the last buns, and an answer that stops collecting when
    nothing came for a while stops in the pause.  Each ``kitchen.diner`` (or
    ``joinable_diner``) gets :class:`Watched` queues: heavy reports, and counts
    of buns eaten and sentinels taken (:attr:`eaten`, :attr:`sentinels`).
    """

    def __init__(self, pause: float) -> None:
        super().__init__()
        self.pause = pause
        self.counts = context().Array("i", 2)

    def adopt(self, process: BaseProcess) -> None:
        super().adopt(process)
        target, args = process._target, process._args  # type: ignore[attr-defined]
        if target is kitchen.cook and len(args) >= 2:
            process._args = (args[0], PausedBuns(args[1], self.pause), *args[2:])  # type: ignore[attr-defined]
        elif target in (kitchen.diner, kitchen.joinable_diner) and len(args) == 2:
            process._args = tuple(Watched(q, self.counts) for q in args)  # type: ignore[attr-defined]

    @property
    def eaten(self) -> int:
        return self.counts[0]

    @property
    def sentinels(self) -> int:
        return self.counts[1]


def bun_number(report) -> int:
    """A diner may report a bun or a (pid, bun) pair; both count."""
    return report[-1] if isinstance(report, tuple) else report


def check_diner(answer: ModuleType) -> None:
    """Three diners eat buns 0..29 and stop at their sentinels -- no earlier, and not when the queue is empty.

    The check is the cook: it puts buns 0..14 (2 ms apart), waits until the
    diners have taken them all, lets the queue stay empty for :data:`PAUSE`
    seconds -- longer than any sensible ``get()`` timeout -- then puts buns
    15..29 and one sentinel per diner.  A diner that stops when it finds the
    queue empty (``empty()``, ``get_nowait()``, a timeout) stops in that
    pause, on every run.  A diner that dies is named with how it died -- before
    the diners that could not exit, which its death may have caused.
    """
    mp = context()
    buns, eaten, ends = mp.Queue(), mp.Queue(), mp.Queue()
    diners = [mp.Process(target=ending, args=(answer.diner, ends, buns, eaten)) for _ in range(DINERS)]
    for p in diners:
        p.start()
    got: list[int] = []

    def collect(until: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            try:
                got.append(bun_number(eaten.get(timeout=0.05)))
            except queue_module.Empty:
                pass

    half = BUNS // 2
    for bun in range(half):
        buns.put(bun)
        time.sleep(0.002)
    collect(lambda: buns.empty(), 5)  # every bun of the first half taken (or every diner gone)
    collect(lambda: False, PAUSE)  # the queue stays empty: a diner that stops on an empty queue stops now
    paused = not all(p.is_alive() for p in diners)  # a diner ended while the queue was empty, before any sentinel
    for bun in range(half, BUNS):
        buns.put(bun)
        time.sleep(0.002)
    for _ in diners:
        buns.put(None)
    collect(lambda: not any(p.is_alive() for p in diners) and eaten.empty(), 5)
    died = how_it_ended(diners, ends)  # first: a diner that died can leave the others unable to exit
    stuck = stop_children()
    if died:
        first = next(iter(died.values()))
        after = (f" {stuck} other diner(s) could not exit after it, most likely because it died while its feeder "
                 "thread was sending on `eaten`: the queue's write lock stays taken, and every process that puts on "
                 "that queue waits for it at its exit." if stuck else "")
        raise Wrong(f"{len(died)} of {DINERS} diners died before their sentinel: one {first}. A diner's loop ends "
                    f"at the sentinel and returns; nothing else should end its process.{after}")
    if stuck:
        raise Wrong(f"{stuck} diner(s) were still running after every bun and a sentinel each had been sent: "
                    "end the loop when `bun is None`.")
    missing = sorted(set(range(BUNS)) - set(got))
    if missing == [0]:
        raise Wrong("the bun 0 was never eaten: your diner treats 0 as the end. `if not bun` is true for 0 "
                    "too -- test `if bun is None`.")
    if missing and paused:
        raise Wrong(f"{len(missing)} of {BUNS} buns were never eaten: your diners stopped while the queue was "
                    f"empty for {PAUSE:g} s between two batches of buns. empty() only says no bun is there *now*, "
                    "and so does get_nowait() or a get() that times out; stop at the sentinel and nowhere else.")
    if missing:
        raise Wrong(f"{len(missing)} of {BUNS} buns were never eaten: your diners stopped before their sentinel.")
    if None in got:
        raise Wrong(f"{got.count(None)} of the reports on `eaten` were None: your diners reported their sentinel as a "
                    "bun. Test for the sentinel first, and report only real buns.")
    if len(got) != BUNS:
        raise Wrong(f"{len(got)} buns were reported for {BUNS} cooked: put each bun you eat on `eaten` exactly once.")


def check_kitchen(answer: ModuleType) -> None:
    """Several kitchens of the course's cooks and diners: every bun eaten once, every process ended, the call returns.

    Verifies, for kitchens of 1-3 cooks and diners (:class:`CheckedKitchen` sets them up): the
    call returns; as many cook and diner processes were started as asked (diners that eat side
    by side, not one diner for all); every bun is eaten exactly once and returned; no process is
    left running.  The cooks are paced, and pause :data:`PAUSE` s halfway in the first kitchen,
    so sentinels sent before the cooks finished lose buns on every run.  The diners' reports are
    bigger than a pipe holds and reach `eaten` a moment after put(), so joining a diner before
    taking all its reports -- or after collecting until the queue looked empty -- hangs on every
    run; a hang is told apart by what the diners did (sentinels taken, buns eaten).
    """
    for k, (cooks, diners) in enumerate(KITCHENS):
        expected = list(range(cooks * BUNS_PER_COOK))
        call_text = f"kitchen({cooks}, {diners}, {BUNS_PER_COOK})"
        with CheckedKitchen(pause=PAUSE if k == 0 else 0.0) as made:
            call = call_with_deadline(answer.kitchen, cooks, diners, BUNS_PER_COOK, timeout=6 + made.pause)
        started = {"cook": made.started(kitchen.cook), "diner": made.started(kitchen.diner)}
        watched = started["diner"] > 0
        if not call.finished:
            stuck = stop_children()
            if watched and made.sentinels >= started["diner"] and made.eaten < len(expected):
                raise Wrong(f"{call_text} never returned, and {len(expected) - made.eaten} of {len(expected)} buns "
                            "were never eaten: the diners got their sentinels while buns were still coming -- the "
                            "sentinels went out before every cook had finished. Join the cooks first, then send "
                            "the sentinels.")
            if watched and made.sentinels >= started["diner"]:
                raise Wrong(f"{call_text} never returned: every bun was eaten and every diner got its sentinel, "
                            f"but {stuck} process(es) could not exit. A process that put data on a queue waits at "
                            "its exit until that data is taken, and these diners' reports are bigger than a pipe "
                            "holds (chapter 02b). Take all cooks x buns_per_cook reports from `eaten` before you "
                            "join the diners -- that many, not until the queue looks empty or a get() times out: "
                            "a report reaches the queue a moment after put() returns.")
            raise Wrong(f"{call_text} never returned; {stuck} process(es) were still waiting -- diners that "
                        "never got a sentinel. Send one sentinel per diner.")
        if call.error is not None:
            raise call.error
        left = stop_children()
        if left:
            raise Wrong(f"{call_text} returned with {left} process(es) still running: join every cook and diner "
                        "before returning.")
        for role, asked in (("cook", cooks), ("diner", diners)):
            if started[role] and started[role] != asked:
                raise Wrong(f"{call_text} started {started[role]} {role} process(es) for {asked} {role}s: start "
                            f"one process per {role}, so that they work side by side.")
        got = sorted(bun_number(b) for b in (call.value or []))
        missing = sorted(set(expected) - set(got))
        if missing:
            raise Wrong(f"{call_text}: {len(missing)} of {len(expected)} buns were never eaten, so some diner "
                        "stopped while buns were still coming: the sentinels went out before every cook had "
                        "finished. Join the cooks first, then send the sentinels.")
        if got != expected:
            raise Wrong(f"{call_text} returned {len(got)} buns for {len(expected)} cooked: each bun must be "
                        "eaten exactly once.")


EXERCISES = [
    Exercise("ex1", "lab03_ex1", "a diner that stops at its sentinel", check_diner, timeout=20),
    Exercise("ex2", "lab03_ex2", "a kitchen of M cooks and N diners", check_kitchen, timeout=45),
]
