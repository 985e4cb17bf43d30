"""Checks for lab 06 (shared state): one counter, made correct three ways.

A lost update shows only when two processes interleave, which is luck.  So the
check does not wait for luck: it hands the answer a counter and a lock that
*watch* how they are used.  Every write is held back a few milliseconds (so a
read by another process in that window would see the old value), and the
counter notes whether the lock the check passed in was held at the moment of
each write.  A write without it, or a lock never taken, is named on every run,
whatever the race did.
"""

from __future__ import annotations

import inspect
import os
import queue as queue_module
import time
from types import ModuleType
from typing import Any

from ipclab.checks import Exercise, Wrong, ending, how_it_ended
from ipclab.start import context

PROCESSES, TIMES = 4, 25
WRITE_DELAY = 0.002  # seconds each write is held back in the check: a wide window for a race
DEADLINE = 20.0  # seconds the workers of one run may take (they need well under one)


class Watch:
    """Shared flags: who holds the check's lock now, was it ever taken, how many reads and writes were made without it.

    "Without it" means without the lock *in the process that reads or writes*: the holder's pid is
    kept (with a depth, for a Value's re-entrant lock), so another worker holding it does not count.
    """

    def __init__(self, mp) -> None:
        self.holder, self.depth, self.taken = mp.RawValue("i", 0), mp.RawValue("i", 0), mp.RawValue("i", 0)
        self.unlocked_writes, self.unlocked_reads = mp.Value("i", 0), mp.Value("i", 0)

    def _unless_held(self, counter) -> None:
        if self.holder.value != os.getpid():
            with counter.get_lock():
                counter.value += 1

    def wrote(self, delay: float) -> None:
        time.sleep(delay)
        self._unless_held(self.unlocked_writes)

    def read(self) -> None:
        self._unless_held(self.unlocked_reads)

    def acquired(self) -> None:
        """Called by the holder just after it got the lock: only it changes holder and depth."""
        if self.holder.value == os.getpid():
            self.depth.value += 1
        else:
            self.holder.value, self.depth.value = os.getpid(), 1
        self.taken.value = 1

    def releasing(self) -> None:
        """Called by the holder just before it lets the lock go."""
        self.depth.value -= 1
        if self.depth.value == 0:
            self.holder.value = 0


class WatchedLock:
    """A lock that tells the :class:`Watch` who holds it: ``acquire``, ``release`` and ``with``, as the real one."""

    def __init__(self, lock, watch: Watch) -> None:
        self._lock, self._watch = lock, watch

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        got = self._lock.acquire(block) if timeout is None else self._lock.acquire(block, timeout)
        if got:
            self._watch.acquired()
        return got

    def release(self) -> None:
        self._watch.releasing()
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# What a manager's dict proxy offers, read or written: the stand-in offers all of it.
DICT_READS = ("__getitem__", "__contains__", "__iter__", "__len__", "get", "keys", "values", "items", "copy")
DICT_WRITES = ("__setitem__", "__delitem__", "update", "setdefault", "pop", "popitem", "clear")


class WatchedDict:
    """A manager dict whose reads are watched and whose writes are held back and watched (see :class:`Watch`)."""

    def __init__(self, d, watch: Watch, delay: float) -> None:
        self._d, self._watch, self._delay = d, watch, delay


def _watched(name: str, write: bool):
    def method(self, *args, **kwargs):
        if write:
            self._watch.wrote(self._delay)
        else:
            self._watch.read()
        return getattr(self._d, name)(*args, **kwargs)
    method.__name__ = name
    return method


for _name in DICT_READS + DICT_WRITES:
    setattr(WatchedDict, _name, _watched(_name, _name in DICT_WRITES))


class WatchedValue:
    """A synchronized Value whose reads and writes are watched; its lock (``get_lock()``, ``with v:``) too."""

    def __init__(self, v, watch: Watch, delay: float) -> None:
        self._v, self._watch, self._delay = v, watch, delay
        self._lock = WatchedLock(v.get_lock(), watch)

    @property
    def value(self):
        self._watch.read()
        return self._v.value

    @value.setter
    def value(self, new) -> None:
        self._watch.wrote(self._delay)
        self._v.value = new

    def get_lock(self) -> WatchedLock:
        return self._lock

    def acquire(self, *args) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc) -> None:
        self._lock.release()


def _together(barrier, ends, target, *args) -> None:
    barrier.wait(DEADLINE)
    ending(target, ends, *args)


def _take(results, reports: list, wait: float) -> bool:
    try:
        reports.append(results.get(timeout=wait))
        return True
    except queue_module.Empty:
        return False


def _run(mp, target, args: tuple, processes: int, results=None) -> list:
    """Run ``processes`` workers together; return what they put on ``results`` (drained as they run, then joined)."""
    barrier, ends = mp.Barrier(processes), mp.Queue()
    workers = [mp.Process(target=_together, args=(barrier, ends, target, *args)) for _ in range(processes)]
    for w in workers:
        w.start()
    reports, deadline = [], time.monotonic() + DEADLINE
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        if results is None:
            time.sleep(0.05)
        else:
            _take(results, reports, 0.05)
    while results is not None and _take(results, reports, 0.2):  # what the last workers put before they ended
        pass
    for w in workers:
        w.join(max(0.1, deadline - time.monotonic()))
    stuck = [w for w in workers if w.is_alive()]
    for w in stuck:
        w.kill()
        w.join(5)
    died = how_it_ended([w for w in workers if w not in stuck], ends)
    if died:
        raise Wrong(f"a worker {next(iter(died.values()))}.")
    if stuck:
        raise Wrong(f"{len(stuck)} of your workers were still running after {DEADLINE:g} s, and were stopped.")
    return reports


def run_counter(kind: str, worker, processes: int = PROCESSES, times: int = TIMES,
                watch: Watch | None = None, delay: float = 0.0) -> int:
    """Run ``processes`` copies of the answer's ``worker`` on a counter of ``kind``; return the final count.

    ``kind``: ``"manager"`` (``worker(d, lock, times)``), ``"value"``
    (``worker(v, times)``) or ``"partial"`` (``worker(times, results)``, the
    counts merged here).  With ``watch``, the counter and lock are watched.
    """
    mp = context()
    if kind == "manager":
        with mp.Manager() as manager:
            d, lock = manager.dict(count=0), manager.Lock()
            if watch is None:
                _run(mp, worker, (d, lock, times), processes)
            else:
                _run(mp, worker, (WatchedDict(d, watch, delay), WatchedLock(lock, watch), times), processes)
            return d["count"]
    if kind == "value":
        v = mp.Value("i", 0)
        _run(mp, worker, (WatchedValue(v, watch, delay) if watch is not None else v, times), processes)
        return v.value
    results = mp.Queue()
    reports = _run(mp, worker, (times, results), processes, results)
    if len(reports) < processes:
        raise Wrong(f"{processes - len(reports)} of {processes} workers put no count on `results`: put your own count "
                    "there once, at the end (what a worker returns goes nowhere: a process has no return value).")
    if len(reports) > processes:
        raise Wrong(f"{len(reports)} items came on `results` from {processes} workers: each worker should put its "
                    "count once, at the end -- not along the way (each increment, or a running total now and "
                    "then), which the parent would add up as more counts.")
    return sum(reports)


def _own_lock(fn) -> bool:
    try:
        return "Lock(" in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


def _judge(kind: str, worker, lock_words: str) -> None:
    watch = Watch(context())
    expected = PROCESSES * TIMES
    count = run_counter(kind, worker, watch=watch, delay=WRITE_DELAY)
    lost = expected - count
    if not watch.taken.value:
        if _own_lock(worker):
            raise Wrong(f"each worker makes a lock of its own, so no worker ever waits for another ({lost} of "
                        f"{expected} updates lost in this run): use {lock_words}, the one lock every worker shares.")
        raise Wrong(f"{lock_words} was never taken: a read and a write by two processes interleave and updates are "
                    f"lost ({lost} of {expected} in this run).")
    if watch.unlocked_writes.value:
        raise Wrong(f"{watch.unlocked_writes.value} writes happened while {lock_words} was not held: the lock must "
                    "cover the read *and* the write of each update, not just the read.")
    if watch.unlocked_reads.value:
        raise Wrong(f"{watch.unlocked_reads.value} reads of the count happened while {lock_words} was not held: "
                    "between such a read and the write after it another worker can change the count, and its update "
                    f"is lost ({lost} of {expected} in this run). Read and write under the lock, as one step.")
    if count != expected:
        raise Wrong(f"{PROCESSES} workers x {TIMES} increments should give {expected}, the counter says {count}.")


def check_manager(answer: ModuleType) -> None:
    """Increments of a manager dict entry under the manager's lock.

    Verifies, with four workers started together and every write held back 2 ms: the count is
    exact; the lock passed in is taken (not one made by each worker); no read and no write of the
    dict happens without it, in the worker that reads or writes; a worker that raises is named
    with its exception and line.  Any dict method works (``d["count"] += 1``, ``d.update(...)``).
    """
    _judge("manager", answer.count_with_manager_lock, "the manager's lock passed in as `lock`")


def check_value(answer: ModuleType) -> None:
    """Increments of a synchronized Value inside its get_lock().

    Verifies, as for exercise 1: the count is exact, and every read and write of ``v.value``
    happens while the worker holds the Value's own lock (``with v.get_lock():``, ``with v:`` or
    ``acquire``/``release``), not a lock of its own.
    """
    watch = Watch(context())
    count = run_counter("value", answer.count_with_value, watch=watch, delay=WRITE_DELAY)
    expected = PROCESSES * TIMES
    if not watch.taken.value or watch.unlocked_writes.value:
        if _own_lock(answer.count_with_value):
            raise Wrong("each worker makes a lock of its own, so no worker ever waits for another: use "
                        "`v.get_lock()`, the lock that comes with the Value.")
        raise Wrong(f"`v.value += 1` without `v.get_lock()`: the Value takes its lock for the read and again for "
                    f"the write, never around both, so updates are lost ({expected - count} of {expected} in this "
                    "run). Write `with v.get_lock(): v.value += 1`.")
    if watch.unlocked_reads.value:
        raise Wrong(f"{watch.unlocked_reads.value} reads of `v.value` happened outside `v.get_lock()`: another "
                    "worker can change the value between your read and your write. Read and write inside the lock.")
    if count != expected:
        raise Wrong(f"{PROCESSES} workers x {TIMES} increments should give {expected}, the Value says {count}.")


def check_partial(answer: ModuleType) -> None:
    """Each worker counts alone and reports once; the merged total is exact, with no lock at all.

    Verifies: exactly one report per worker (not one per increment), and their sum; the reports
    are drained while the workers run, so an answer that puts a lot is named, not stalled.
    """
    times = 2_000
    count = run_counter("partial", answer.count_alone, times=times)
    if count != PROCESSES * times:
        raise Wrong(f"{PROCESSES} workers x {times} increments, merged, should give {PROCESSES * times}; "
                    f"the reports add up to {count}.")


def speeds(answers: dict[str, Any], processes: int = PROCESSES, times: int = 2_000) -> dict[str, float]:
    """Increments per second of each correct answer, unwatched: ``{kind: rate}`` (for the lab's last cell)."""
    rates = {}
    for kind, worker in answers.items():
        t0 = time.perf_counter()
        run_counter(kind, worker, processes, times)
        rates[kind] = processes * times / (time.perf_counter() - t0)
    return rates


EXERCISES = [
    Exercise("ex1", "lab06_ex1", "a manager dict under the manager's lock", check_manager, timeout=DEADLINE + 10),
    Exercise("ex2", "lab06_ex2", "a Value inside get_lock()", check_value, timeout=DEADLINE + 10),
    Exercise("ex3", "lab06_ex3", "partial counts, merged", check_partial, timeout=DEADLINE + 10),
]
