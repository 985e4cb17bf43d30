"""Checks for lab 04 (JoinableQueue): a daemon diner that marks each bun done; the kitchen around it."""

from __future__ import annotations

import queue as queue_module
import time
from collections.abc import Callable
from multiprocessing.queues import JoinableQueue
from types import ModuleType

from ipclab.checks import Exercise, ProcessesMade, Wrong, call_with_deadline, reporting, stop_children
from ipclab.labchecks.lab03 import (  # the same kitchen
    BUNS, BUNS_PER_COOK, DINERS, KITCHENS, PAUSE, CheckedKitchen, QueueStandIn, bun_number)
from ipclab.start import context
from ipclab.workers.kitchen import joinable_diner


def _drain(q) -> list:
    items = []
    while True:
        try:
            items.append(q.get(timeout=0.2))
        except queue_module.Empty:
            return items


class GatedReport(QueueStandIn):
    """The ``eaten`` queue a diner reports to, with a gate the check opens.

    ``put`` first tells the check that a report has started, then waits until
    the gate is open.  While it is closed, a diner that reports before
    ``task_done()`` cannot have marked its bun done yet -- so a ``join()`` that
    returns then proves ``task_done()`` came before the report, on every run.
    """

    OWN = ("queue", "started", "gate")

    def __init__(self, mp) -> None:
        self.queue, self.started, self.gate = mp.Queue(), mp.Queue(), mp.Event()

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        self.started.put(item)
        self.gate.wait(30)
        self.queue.put(item, block, timeout)

    def put_nowait(self, item) -> None:
        self.put(item)


def check_diner(answer: ModuleType) -> None:
    """Daemon diners: join() returns only after the bun is reported, and once all 30 are eaten.

    Verifies: ``task_done()`` comes after the report (the check holds the first report at a gate
    and sees whether ``join()`` returns meanwhile, on every run); once per bun (too few: join()
    never returns; too many: the diner's ValueError is named); every bun reported.
    """
    mp = context()
    buns, errors = mp.JoinableQueue(), mp.Queue()
    eaten = GatedReport(mp)
    diners = [mp.Process(target=reporting, args=(answer.diner, errors, buns, eaten), daemon=True) for _ in range(DINERS)]
    for p in diners:
        p.start()
    buns.put(0)
    try:
        eaten.started.get(timeout=10)  # a diner is now reporting bun 0, held at the closed gate
    except queue_module.Empty:
        stop_children()
        raise Wrong("no diner reported the bun it took within 10 s: put every bun you get() on `eaten`.") from None
    joined_early = call_with_deadline(buns.join, timeout=0.5).finished  # read now: the call may finish later
    eaten.gate.set()
    for bun in range(1, BUNS):
        buns.put(bun)
    call = call_with_deadline(buns.join, timeout=3)
    eaten_at_join = len(_drain(eaten.queue))
    time.sleep(0.3)  # let a diner that calls task_done() once too often fail
    failures = _drain(errors)
    stop_children()
    if failures:
        raise Wrong(f"a diner died with {failures[0]} -- call task_done() exactly once per bun you get().")
    if joined_early:
        raise Wrong("queue.join() returned while bun 0 was still being reported: you call task_done() before "
                    "eaten.put(bun), so the main process can go on before the report exists. Call "
                    "task_done() after eating (and reporting) the bun, once per bun.")
    if not call.finished:
        raise Wrong("queue.join() never returned: call task_done() once for every "
                    "bun you get().")
    if eaten_at_join < BUNS:
        raise Wrong(f"queue.join() returned when only {eaten_at_join} of {BUNS} buns were reported eaten: "
                    "call task_done() after eating (and reporting) the bun, once per bun.")


class CheckedJoinableKitchen(CheckedKitchen):
    """Lab 03's checked kitchen, noting too how many ``JoinableQueue.join()`` calls returned in the block."""

    def __init__(self, pause: float) -> None:
        super().__init__(pause)
        self.joins = 0
        self.replace(JoinableQueue, "join", self._counting_joins)

    def _counting_joins(self, original: Callable[[JoinableQueue], None]) -> Callable[[JoinableQueue], None]:
        def noted_join(queue: JoinableQueue) -> None:
            original(queue)
            self.joins += 1

        return noted_join


def check_kitchen(answer: ModuleType) -> None:
    """Several kitchens: all buns eaten once, join() used, diners are daemons.

    Verifies, for kitchens of 1-3 cooks and diners (set up as in lab 03: paced cooks, pausing
    halfway in the first kitchen; diners whose reports reach `eaten` a moment after put()): the
    call returns; as many diner processes were started as asked; the diners still running are
    daemons; the call waited in ``queue.join()``; every bun eaten was returned, exactly once --
    so reports taken until the queue looked empty, after join(), miss the last ones on every run.
    """
    for k, (cooks, diners) in enumerate(KITCHENS):
        expected = list(range(cooks * BUNS_PER_COOK))
        call_text = f"kitchen({cooks}, {diners}, {BUNS_PER_COOK})"
        with CheckedJoinableKitchen(pause=PAUSE if k == 0 else 0.0) as made:
            call = call_with_deadline(answer.kitchen, cooks, diners, BUNS_PER_COOK, timeout=6 + made.pause)
        started = made.started(joinable_diner)
        running = context().active_children()
        not_daemons = [p for p in running if not p.daemon]
        stop_children()
        if not call.finished:
            raise Wrong(f"{call_text} never returned.")
        if call.error is not None:
            raise call.error
        if not_daemons:
            raise Wrong(f"{call_text} returned with {len(not_daemons)} diner(s) running that are not daemons, so "
                        "the program could never exit: start the diners with daemon=True.")
        if started and started != diners:
            raise Wrong(f"{call_text} started {started} diner process(es) for {diners} diners: start one daemon "
                        "process per diner, so that they eat side by side.")
        got = sorted(bun_number(b) for b in (call.value or []))
        if len(got) < len(expected) and not made.joins:
            raise Wrong(f"{call_text} returned {len(got)} of {len(expected)} buns: it returned before every bun "
                        "was eaten. Join the cooks, then call queue.join().")
        if len(got) < len(expected):
            raise Wrong(f"{call_text} returned {len(got)} of {len(expected)} buns, though every bun had been "
                        "eaten when queue.join() returned: it stopped taking reports from `eaten` too early. A report "
                        "reaches the queue a moment after put() returns (a feeder thread sends it), so an empty "
                        "queue is no end. You know how many buns there are: take that many reports.")
        if got != expected:
            raise Wrong(f"{call_text} returned {got}, expected each of {expected} once.")


EXERCISES = [
    Exercise("ex1", "lab04_ex1", "a daemon diner that marks buns done", check_diner, timeout=20),
    Exercise("ex2", "lab04_ex2", "a kitchen that waits with join()", check_kitchen, timeout=45),
]
