"""Checks for lab 03 (producer/consumer): a diner that ends at its sentinel; a kitchen of M cooks and N diners."""

from __future__ import annotations

import queue as queue_module
import time
from multiprocessing.process import BaseProcess
from collections.abc import Callable
from types import ModuleType

from ipclab.workers import kitchen
from ipclab.checks import Exercise, ProcessesMade, Wrong, call_with_deadline, ending, how_it_ended, stop_children
from ipclab.start import context

BUNS, DINERS = 30, 3
KITCHENS = [(1, 1), (2, 3), (3, 2)]
BUNS_PER_COOK = 8
PACE = 0.1  # seconds a cook of the answer takes per bun: its last bun comes 0.8 s after it starts
PAUSE = 2.0  # seconds the queue stays empty between the two halves of exercise 1's buns


class PacedCooks(ProcessesMade):
    """Every ``kitchen.cook`` process the answer makes in the block takes :data:`PACE` s per bun.

    Sentinels sent right after ``start()`` then always reach the queue before
    the cooks' last buns, so sending them before the cooks finish loses buns on
    every run, under every start method -- not only when the cooks lose a race.
    """

    def adopt(self, process: BaseProcess) -> None:
        super().adopt(process)
        if process._target is kitchen.cook:  # type: ignore[attr-defined]
            process._args = tuple(process._args[:2])  # type: ignore[attr-defined]  # (queue, buns)
            process._kwargs = {**process._kwargs, "seconds": PACE}  # type: ignore[attr-defined]


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
    pause, on every run.  A diner that dies is named with how it died.
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
    stuck = stop_children()
    if stuck:
        raise Wrong(f"{stuck} diner(s) were still running after every bun and a sentinel each had been sent: "
                    "end the loop when `bun is None`.")
    died = how_it_ended(diners, ends)
    if died:
        first = next(iter(died.values()))
        raise Wrong(f"{len(died)} of {DINERS} diners died before their sentinel: one {first}. A diner's loop ends "
                    "at the sentinel and returns; nothing else should end its process.")
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
    """Several kitchens of paced cooks: every bun eaten once, every process ended, the call returns.

    Verifies, for kitchens of 1-3 cooks and diners whose cooks are paced so that sentinels sent
    too early are caught: the call returns; as many cook and diner processes were started as
    asked (diners that eat side by side, not one diner for all); every bun is eaten exactly once;
    no process is left running.
    """
    for cooks, diners in KITCHENS:
        expected = list(range(cooks * BUNS_PER_COOK))
        with PacedCooks() as made:
            call = call_with_deadline(answer.kitchen, cooks, diners, BUNS_PER_COOK, timeout=5)
        started = {"cook": made.started(kitchen.cook), "diner": made.started(kitchen.diner)}
        if not call.finished:
            stuck = stop_children()
            raise Wrong(f"kitchen({cooks}, {diners}, {BUNS_PER_COOK}) never returned; {stuck} process(es) were "
                        "still waiting -- diners that never got a sentinel. Send one sentinel per diner.")
        if call.error is not None:
            raise call.error
        left = stop_children()
        if left:
            raise Wrong(f"kitchen({cooks}, {diners}, {BUNS_PER_COOK}) returned with {left} process(es) still "
                        "running: join every cook and diner before returning.")
        for role, asked in (("cook", cooks), ("diner", diners)):
            if started[role] and started[role] != asked:
                raise Wrong(f"kitchen({cooks}, {diners}, {BUNS_PER_COOK}) started {started[role]} {role} process(es) for "
                            f"{asked} {role}s: start one process per {role}, so that they work side by side.")
        got = sorted(bun_number(b) for b in (call.value or []))
        missing = sorted(set(expected) - set(got))
        if missing:
            raise Wrong(f"kitchen({cooks}, {diners}, {BUNS_PER_COOK}): {len(missing)} of {len(expected)} buns were "
                        "never eaten, so some diner stopped while buns were still coming: the sentinels went out "
                        "before every cook had finished. Join the cooks first, then send the sentinels.")
        if got != expected:
            raise Wrong(f"kitchen({cooks}, {diners}, {BUNS_PER_COOK}) returned {len(got)} buns for "
                        f"{len(expected)} cooked: each bun must be eaten exactly once.")


EXERCISES = [
    Exercise("ex1", "lab03_ex1", "a diner that stops at its sentinel", check_diner, timeout=20),
    Exercise("ex2", "lab03_ex2", "a kitchen of M cooks and N diners", check_kitchen, timeout=40),
]
