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
import queue as queue_module
import time
from types import ModuleType
from typing import Any

from ipclab.checks import Exercise, Wrong
from ipclab.start import context

PROCESSES, TIMES = 4, 25
WRITE_DELAY = 0.002  # seconds each write is held back in the check: a wide window for a race


class Watch:
    """Shared flags: is the check's lock held now, was it ever taken, how many writes were made without it."""

    def __init__(self, mp) -> None:
        self.held, self.taken, self.unlocked_writes = mp.RawValue("i", 0), mp.RawValue("i", 0), mp.Value("i", 0)

    def wrote(self, delay: float) -> None:
        time.sleep(delay)
        if not self.held.value:
            with self.unlocked_writes.get_lock():
                self.unlocked_writes.value += 1


class WatchedLock:
    """A lock that tells the :class:`Watch` when it is held."""

    def __init__(self, lock, watch: Watch) -> None:
        self._lock, self._watch = lock, watch

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        got = self._lock.acquire(block) if timeout is None else self._lock.acquire(block, timeout)
        if got:
            self._watch.held.value += 1  # a count: Value's lock is re-entrant
            self._watch.taken.value = 1
        return got

    def release(self) -> None:
        self._watch.held.value -= 1
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class WatchedDict:
    """A manager dict whose writes are held back and checked against the :class:`Watch`."""

    def __init__(self, d, watch: Watch, delay: float) -> None:
        self._d, self._watch, self._delay = d, watch, delay

    def __getitem__(self, key):
        return self._d[key]

    def __setitem__(self, key, value) -> None:
        self._watch.wrote(self._delay)
        self._d[key] = value

    def get(self, key, default=None):
        return self._d.get(key, default)


class WatchedValue:
    """A synchronized Value whose writes are held back and checked; ``get_lock()`` is watched too."""

    def __init__(self, v, watch: Watch, delay: float) -> None:
        self._v, self._watch, self._delay = v, watch, delay

    @property
    def value(self):
        return self._v.value

    @value.setter
    def value(self, new) -> None:
        self._watch.wrote(self._delay)
        self._v.value = new

    def get_lock(self) -> WatchedLock:
        return WatchedLock(self._v.get_lock(), self._watch)


def _together(barrier, target, *args) -> None:
    barrier.wait(30)
    target(*args)


def _run(mp, target, args: tuple, processes: int) -> None:
    barrier = mp.Barrier(processes)
    workers = [mp.Process(target=_together, args=(barrier, target, *args)) for _ in range(processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    stuck = [w for w in workers if w.is_alive()]
    for w in stuck:
        w.kill()
        w.join(5)
    if stuck:
        raise Wrong(f"{len(stuck)} of your workers were still running after 60 s.")
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise Wrong(f"a worker failed with exit code {failed[0]} (an exception in your worker).")


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
            if watch is not None:
                d, lock = WatchedDict(d, watch, delay), WatchedLock(lock, watch)
            _run(mp, worker, (d, lock, times), processes)
            return d["count"]
    if kind == "value":
        v = mp.Value("i", 0)
        _run(mp, worker, (WatchedValue(v, watch, delay) if watch is not None else v, times), processes)
        return v.value
    results = mp.Queue()
    _run(mp, worker, (times, results), processes)
    total = 0
    for _ in range(processes):
        try:
            total += results.get(timeout=5)
        except queue_module.Empty:
            raise Wrong("a worker put no count on `results`: put your own count there once, at the end.") from None
    return total


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
    if count != expected:
        raise Wrong(f"{PROCESSES} workers x {TIMES} increments should give {expected}, the counter says {count}.")


def check_manager(answer: ModuleType) -> None:
    """Increments of a manager dict entry under the manager's lock."""
    _judge("manager", answer.count_with_manager_lock, "the manager's lock passed in as `lock`")


def check_value(answer: ModuleType) -> None:
    """Increments of a synchronized Value inside its get_lock()."""
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
    if count != expected:
        raise Wrong(f"{PROCESSES} workers x {TIMES} increments should give {expected}, the Value says {count}.")


def check_partial(answer: ModuleType) -> None:
    """Each worker counts alone and reports once; the merged total is exact, with no lock at all."""
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
    Exercise("ex1", "lab06_ex1", "a manager dict under the manager's lock", check_manager, timeout=60),
    Exercise("ex2", "lab06_ex2", "a Value inside get_lock()", check_value, timeout=60),
    Exercise("ex3", "lab06_ex3", "partial counts, merged", check_partial, timeout=60),
]
