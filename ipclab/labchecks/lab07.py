"""Checks for lab 07 (pools): count primes in parallel, results in a callback, failures in an error callback.

The check watches the pool's own result delivery (``ApplyResult._set``, where
the pool calls your callback) to count how many results arrived and how long
your callbacks held the pool's single result thread.  So a blocking callback
and results lost to ``terminate()`` are named from what happened, not guessed
from a slow or wrong total.
"""

from __future__ import annotations

import inspect
import os
import time
from multiprocessing import pool as pool_module
from types import ModuleType

from ipclab.checks import STUB, Exercise, PoolsMade, Wrong, call_with_deadline, stop_children
from ipclab.workers.pools import count_in

SMALL = list(range(1_000, 4_000))
BAD_AT = 1_500  # SMALL gets a -5 here: the chunk holding it fails with ValueError
SMALL_CHUNK = 100
BIG = list(range(10**8, 10**8 + 250_000))  # ~4 s of trial division in one process: a pool start is small beside it
CALLBACK_SHARE = 0.25  # callbacks using more of the run than this are blocking it


class Deliveries(PoolsMade):
    """Counts the results the pools deliver in this process and the time spent in callbacks.

    As :class:`~ipclab.checks.PoolsMade`, it terminates every pool the answer
    made when the block ends (a pool still feeding 250 000 tasks included).
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.seconds = 0.0
        self.raised: BaseException | None = None
        self.pending: set[int] = set()  # results asked for and not yet delivered
        self.most_pending = 0  # the most tasks that were ever in flight at once
        self.results: list = []  # every result asked for, in order
        self.waited: set[int] = set()  # results waited for (get() waits too)
        self.joined: set[int] = set()  # pools joined
        self.cut_short = 0  # pools terminated before they were joined or their results waited for
        watch = self

        def timed_set(original):
            def set_result(result, i, obj):
                if not isinstance(result, pool_module.MapResult):  # done now: before original() wakes its waiter
                    watch.pending.discard(id(result))
                t0 = time.perf_counter()
                try:
                    original(result, i, obj)  # runs the callback or error_callback
                except BaseException as exc:  # it kills the pool's result thread: say so
                    watch.raised = exc
                    raise
                finally:
                    watch.seconds += time.perf_counter() - t0
                    watch.count += 1
                    if result.ready():
                        watch.pending.discard(id(result))
            return set_result

        def counted_init(original):
            def init(result, *args, **kwargs):
                original(result, *args, **kwargs)
                watch.results.append(result)
                watch.pending.add(id(result))
                watch.most_pending = max(watch.most_pending, len(watch.pending), getattr(result, "_number_left", 1))
            return init

        def noted_wait(original):
            def wait(result, timeout=None):
                original(result, timeout)
                if result.ready():
                    watch.waited.add(id(result))
            return wait

        def noted_join(original):
            def join(pool):
                original(pool)
                watch.joined.add(id(pool))
            return join

        def noted_terminate(original):
            def terminate(pool):
                # Cut short: neither joined nor every one of its results waited for -- whether or not the
                # tasks happened to be done by now (on a busy machine tiny tasks can win that race).
                if id(pool) not in watch.joined and any(id(r) not in watch.waited for r in watch.results
                                                       if getattr(r, "_pool", None) is pool):
                    watch.cut_short += 1
                original(pool)
            return terminate

        for cls, name, make in [(pool_module.ApplyResult, "_set", timed_set),
                                (pool_module.ApplyResult, "__init__", counted_init),
                                (pool_module.ApplyResult, "wait", noted_wait),
                                (pool_module.Pool, "join", noted_join),
                                (pool_module.Pool, "terminate", noted_terminate)]:
            self.replace(cls, name, make)


def chunks(numbers: list, size: int) -> list[list]:
    """``numbers`` cut into consecutive chunks of ``size`` (the last one shorter)."""
    return [numbers[i:i + size] for i in range(0, len(numbers), size)]


def check_count(answer: ModuleType) -> None:
    """Every chunk counted, the bad chunk reported once through error_callback, callbacks quick, nothing lost.

    Verifies, on 31 chunks one of which raises: the total of the good chunks; the one ValueError
    in ``failures`` (not raised out of ``count_primes``); tasks in flight side by side (not sent
    one at a time, as ``apply`` does); callbacks that neither raise nor hold the result thread;
    every result delivered before the pool ends; and a return within 4 s.
    """
    numbers = SMALL[:BAD_AT] + [-5] + SMALL[BAD_AT:]
    parts = chunks(numbers, SMALL_CHUNK)
    expected = sum(count_in(c) for c in parts if -5 not in c)
    failures: list = []
    with Deliveries() as delivered:
        t0 = time.perf_counter()
        call = call_with_deadline(answer.count_primes, numbers, 2, SMALL_CHUNK, failures, timeout=4)
        took, finished, arrived = time.perf_counter() - t0, call.finished, delivered.count  # before the pools end
        left_open = delivered.still_open()
    stop_children()
    if delivered.raised is not None:
        raise Wrong(f"your callback raised {type(delivered.raised).__name__}: {delivered.raised}. An exception in a "
                    "callback kills the pool's result thread, and from then on no result arrives and the pool "
                    "waits forever. Do the work in the task; keep callbacks to adding up.")
    if not finished:
        raise Wrong(f"count_primes() did not return within 4 s ({arrived} of {len(parts)} results had "
                    "arrived). Close the pool and join it, or wait for each result with a timeout.")
    if isinstance(call.error, ValueError):
        raise Wrong(f"the ValueError of the chunk holding -5 escaped from count_primes(): {call.error}. Pass "
                    "error_callback=failures.append, and let the other chunks be counted.")
    if call.error is not None:
        raise call.error
    if delivered.seconds > CALLBACK_SHARE * took and delivered.seconds > 0.2:
        raise Wrong(f"your callbacks took {delivered.seconds:.2f} s of the {took:.2f} s run: callbacks run one at a "
                    "time in the pool's single result thread of *this* process, so a callback that works or waits "
                    "holds back every result behind it. Only add the count up there.")
    if delivered.cut_short or delivered.count < len(parts):
        raise Wrong(f"the pool was terminated before it was joined or its results waited for ({delivered.count} of "
                    f"{len(parts)} results had arrived by then -- on a quiet machine, fewer): leaving `with Pool()` "
                    "calls terminate(), which drops the tasks still running. Call close() and join() inside the with "
                    "block.")
    if len(failures) != 1 or not isinstance(failures[0], ValueError):
        raise Wrong(f"`failures` should hold the one ValueError of the chunk with -5; it holds {failures!r}.")
    if call.value != expected:
        raise Wrong(f"{len(parts)} chunks of {SMALL_CHUNK} hold {expected} primes outside the bad chunk; "
                    f"count_primes() returned {call.value!r}.")
    if left_open:
        raise Wrong("count_primes() returned the right total with its pool still open (never closed, nor left through "
                    "`with`): its workers go on running after it returns. close() and join() the pool.")
    if delivered.most_pending < 2:
        raise Wrong(f"the total is right, but only one task was ever in flight: each was sent after the one before "
                    f"had its result (`pool.apply()`, or `.get()` right after `apply_async`), so the {len(parts)} "
                    "chunks were counted one at a time. Send every chunk with apply_async first, then close and join.")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def reference_count_primes(numbers: list, processes: int, chunksize: int, failures: list) -> int:
    """Exercise 1 done right: the check times exercise 2's settings with it while exercise 1 is unsolved."""
    from ipclab.start import context

    counts: list[int] = []
    with context().Pool(processes) as pool:
        for part in chunks(numbers, chunksize):
            pool.apply_async(count_in, (part,), callback=counts.append, error_callback=failures.append)
        pool.close()
        pool.join()
    return sum(counts)


def _exercise_1():
    """The learner's count_primes from exercise 1 when it passes exercise 1's check, else :func:`reference_count_primes`.

    A count_primes that is wrong or serial would make right settings look slow.
    """
    try:
        import lab07_ex1  # from the same folder as this exercise's answer
    except ImportError:
        return reference_count_primes
    if STUB in inspect.getsource(lab07_ex1):
        return reference_count_primes
    try:
        check_count(lab07_ex1)
    except Exception:
        return reference_count_primes
    return lab07_ex1.count_primes


def check_speed(answer: ModuleType) -> None:
    """With the learner's PROCESSES and CHUNKSIZE, count_primes beats the serial count by the target.

    Verifies, as a ratio in one run (best of three, against the serial count timed right before):
    the speedup, and the count; the advice names the cause it can tell -- too small a chunksize,
    too few chunks for the processes, fewer processes than cores.  It times exercise 1's answer
    if that passes its check, else a correct one.
    """
    count_primes = _exercise_1()
    processes, chunksize = answer.PROCESSES, answer.CHUNKSIZE
    target = 1.6 if _cores() >= 2 else 0.8
    t0 = time.perf_counter()
    expected = count_in(BIG)
    serial = time.perf_counter() - t0
    parts = len(chunks(BIG, chunksize))
    if parts < processes:  # no timing needed: some processes cannot have anything to do
        raise Wrong(f"with chunksize {chunksize:,} the {len(BIG):,} numbers make only {parts} task(s) for {processes} "
                    "processes, so at most that many processes ever work: use several chunks per process.")
    advice = (f"with chunksize {chunksize}, {parts:,} tasks each pay a round trip through two queues, far more "
              "than testing a few numbers: use chunks of hundreds or thousands" if chunksize < 100 else
              f"with chunksize {chunksize:,} there are only {parts} task(s) for {processes} processes, so some "
              "processes have nothing to do while the last chunks are counted: use several chunks per process"
              if parts < 2 * processes else
              f"use as many processes as this machine has cores ({_cores()})" if processes < _cores() else
              "more processes than cores do not help, and other programs busy on this machine slow the pool "
              "down: try again when it is quieter")
    best = None
    for _ in range(3):  # a shared machine: the best of three runs
        with Deliveries() as delivered:
            t0 = time.perf_counter()
            # slower than the target allows is a fail: stop waiting there
            call = call_with_deadline(count_primes, BIG, processes, chunksize, [], timeout=serial / target + 1)
            took, finished, arrived = time.perf_counter() - t0, call.finished, delivered.count  # before the pools end
        stop_children()
        if not finished:
            raise Wrong(f"too slow: with chunksize {chunksize}, {parts:,} tasks -- after {took:.1f} s only "
                        f"{arrived:,} results had arrived, while counting all {len(BIG):,} numbers in one "
                        f"process takes {serial:.2f} s and the target is {target}x: {advice}.")
        if call.error is not None:
            raise call.error
        if call.value != expected:
            raise Wrong(f"count_primes() found {call.value} primes among {len(BIG):,} numbers; there are {expected}.")
        best = took if best is None else min(best, took)
        if serial / best >= target:
            return
        if serial / best < target / 2:
            break  # far off: another run will not change the verdict
    speedup = serial / best
    raise Wrong(f"{speedup:.2f}x over serial ({serial:.2f} s serial, {best:.2f} s with {processes} processes and "
                f"chunksize {chunksize}); the target here is {target}x: {advice}.")


EXERCISES = [
    Exercise("ex1", "lab07_ex1", "count primes with callbacks", check_count, timeout=14),
    Exercise("ex2", "lab07_ex2", "fast enough", check_speed, timeout=60),
]
