"""The example workers of chapter 07b (pools: the problems people hit).

Each function is either a task that runs in a pool worker, or a small program
that a cell runs in the sandbox because it hangs, is interrupted or leaves
workers behind on purpose.  Results come back as return values, never prints.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed
from concurrent.futures import wait as wait_for_futures
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

import psutil

from ipclab.cleanup import is_helper
from ipclab.start import context
from ipclab.workers.pools import die_on, tiny

# -- Giving workers a lock, a queue or a shared counter -----------------------------------------------

COUNTER = None  # set in each worker by the initializer `share_counter`


def add_one(counter) -> int:
    """Add 1 to the shared ``counter`` handed over as a task argument: refused by the pool."""
    with counter.get_lock():
        counter.value += 1
    return os.getpid()


def share_counter(counter) -> None:
    """A pool initializer: keep ``counter`` (handed over as the worker starts) in a module global."""
    global COUNTER
    COUNTER = counter


def add_one_to_shared(_: object = None) -> int:
    """Add 1 to the counter the initializer kept, under its lock."""
    with COUNTER.get_lock():
        COUNTER.value += 1
    return os.getpid()


def hold_lock(lock) -> int:
    """Take ``lock`` (a manager's Lock proxy: it travels as a task argument) for a moment."""
    with lock:
        time.sleep(0.001)
    return os.getpid()


# -- A pool inside a pool --------------------------------------------------------------------------


def squares_on_a_pool(n: int) -> list[int]:
    """Square ``range(n)`` on a pool of its own: refused inside a pool worker, which is a daemon."""
    with context().Pool(2) as pool:
        return pool.map(tiny, range(n))


def squares_on_an_executor(n: int) -> list[int]:
    """The same on a ProcessPoolExecutor, whose workers (Python 3.9 and later) are not daemons."""
    with ProcessPoolExecutor(2, mp_context=context()) as executor:
        return list(executor.map(tiny, range(n)))


def am_i_a_daemon(_: object = None) -> bool:
    """Whether the process running this task is a daemon."""
    import multiprocessing

    return multiprocessing.current_process().daemon


# -- Failures that hang or vanish -------------------------------------------------------------------


class ThreadDeaths:
    """Record the exceptions that end threads of this process while the block runs (``threading.excepthook``)."""

    def __enter__(self) -> list[str]:
        self.deaths: list[str] = []
        self._hook = threading.excepthook
        threading.excepthook = lambda hook: self.deaths.append(
            f"{hook.thread.name}: {hook.exc_type.__name__}: {hook.exc_value}")
        return self.deaths

    def __exit__(self, *exc: object) -> None:
        threading.excepthook = self._hook


def _terminate(pool) -> str:
    """``pool.terminate()``, or what it raised: a pool whose result thread died refuses."""
    try:
        pool.terminate()
        return "terminated"
    except AssertionError as exc:
        return f"AssertionError: {exc}"


def _got(result, timeout: float | None) -> Any:
    """``result.get(timeout)``, or what it raised as text ("TimeoutError", "ValueError: ...")."""
    try:
        return result.get(timeout)
    except Exception as exc:  # noqa: BLE001 -- shown to the learner
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _raising_callback(result: Any) -> None:
    raise ValueError(f"the callback could not handle {result!r}")


def callback_raises(timeout: float | None) -> dict[str, Any]:
    """apply_async with a callback that raises, then ``get(timeout)`` of that result and of the next task.

    The exception kills the pool's one result thread: no result arrives after
    it, so ``get()`` without a timeout waits forever (run it in the sandbox).
    With a timeout, report what happened: the thread's exception, both gets,
    and what ``terminate()`` says after.  The second task is sent only once
    the thread has died: sent together, it could finish first and be delivered.
    """
    with ThreadDeaths() as died:
        pool = context().Pool(2)
        report = {"first": _got(pool.apply_async(tiny, (2,), callback=_raising_callback), timeout)}
        deadline = time.monotonic() + 30
        while not died and time.monotonic() < deadline:
            time.sleep(0.01)
        report["second"] = _got(pool.apply_async(tiny, (3,)), timeout)
        report["terminate"] = _terminate(pool)
    return {"result thread": died[0] if died else None, **report}


class Dish:
    """A result that holds an open lock: it cannot be pickled."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


def cook_a_dish(_: object = None) -> Dish:
    """Return a :class:`Dish`: the worker cannot pickle it to send it back."""
    return Dish()


class OrderError(Exception):
    """An exception whose ``__init__`` needs two arguments: it pickles, but unpickles with one only."""

    def __init__(self, order: int, reason: str) -> None:
        super().__init__(f"order {order}: {reason}")


def reject_order(order: int) -> None:
    """Raise :class:`OrderError`: the worker sends it back, and the pool's result thread dies unpickling it."""
    raise OrderError(order, "out of buns")


def apply_and_get(fn: Callable[[int], Any], arg: int, timeout: float = 30.0) -> str:
    """``fn(arg)`` on a fresh pool, and ``get(timeout)``: what came back or was raised, as text.

    If the pool's result thread died meanwhile, that is said too, and the
    pool cannot be terminated: run such a call in the sandbox, which ends the workers.
    """
    with ThreadDeaths() as died:
        pool = context().Pool(2)
        got = _got(pool.apply_async(fn, (arg,)), timeout)
        _terminate(pool)
    text = got if isinstance(got, str) else repr(got)
    return text + (f" -- the pool's result thread died: {died[0]}" if died else "")


def recover_from_broken_pool(tasks: int, bad: int) -> dict[str, Any]:
    """Submit ``tasks`` tasks to a ProcessPoolExecutor; task ``bad`` kills its worker.

    Every future not done when the pool broke raises BrokenProcessPool: those
    tasks are lost, finished ones keep their results.  A new executor runs the
    lost ones again, without the bad input.
    """
    mp = context()
    done, lost = {}, []
    with ProcessPoolExecutor(2, mp_context=mp) as executor:
        futures = {executor.submit(die_on, i, bad): i for i in range(tasks)}
        for future in as_completed(futures, timeout=60):
            try:
                done[futures[future]] = future.result()
            except BrokenProcessPool:
                lost.append(futures[future])
    again = [i for i in sorted(lost) if i != bad]
    with ProcessPoolExecutor(2, mp_context=mp) as executor:  # a broken executor takes no more work
        rerun = dict(zip(again, executor.map(die_on, again, [bad] * len(again), timeout=60)))
    return {"finished": sorted(done), "lost": sorted(lost), "rerun": sorted(rerun)}


# -- Ctrl-C, or the kernel's interrupt ----------------------------------------------------------------

STARTED = None  # set in each worker by `announce_to`: the semaphore a task releases when it starts


def announce_to(started) -> None:
    """A pool initializer: keep the semaphore that tasks release as they start.

    A semaphore, not a queue: a queue's feeder thread in the worker could be the thread the
    interrupt lands on, and then the worker's sleep would go on, uninterrupted, for its 30 s.
    """
    global STARTED
    STARTED = started


def ignore_interrupt(started) -> None:
    """A pool initializer that makes the worker ignore SIGINT (then keeps ``started`` as :func:`announce_to`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    announce_to(started)


def long_task(seconds: float) -> float:
    """Say it has started (on the initializer's semaphore), then sleep ``seconds``."""
    STARTED.release()
    time.sleep(seconds)
    return seconds


def _pool_workers(proc: psutil.Process) -> list[psutil.Process]:
    """The descendants of ``proc`` that are running, but for a resource tracker or forkserver.

    Descendants, not children: under forkserver, workers are children of the forkserver.
    """
    running = []
    for child in proc.children(recursive=True):
        try:
            if not is_helper(child) and child.status() != psutil.STATUS_ZOMBIE:
                running.append(child)
        except psutil.NoSuchProcess:  # reaped since it was listed
            pass
    return running


def interrupted(recipe: str) -> dict[str, Any]:
    """Four long tasks on two workers, interrupted as Jupyter's interrupt does it; how it ended, by ``recipe``.

    Once both workers are busy, SIGINT goes to this process's whole process
    group -- itself and its workers -- as JupyterLab's interrupt button sends
    it to the kernel's group.  Recipes: ``"plain"`` (``Pool.map``),
    ``"ignore in workers"`` (an initializer ignores SIGINT; ``map_async().get(timeout)``;
    ``terminate()`` on KeyboardInterrupt), ``"executor"`` (ProcessPoolExecutor,
    ``shutdown(cancel_futures=True)`` on KeyboardInterrupt; eight tasks of 2 s).  Workers' standard
    error goes to a file, to count their tracebacks.  Run it in the sandbox.

    If the main thread has not taken its KeyboardInterrupt 2 s later, it gets SIGINT again (alone):
    a signal that lands just before the main thread starts to wait is only acted on when that
    wait ends -- on a busy machine, about one run in five here, and as in a kernel, where a
    second press of the interrupt button is the cure.
    """
    mp = context()
    started = mp.Semaphore(0)
    me = psutil.Process()
    reacted = threading.Event()  # the main thread took its KeyboardInterrupt

    def interrupt_once_busy() -> None:
        for _ in range(2):
            started.acquire(timeout=60)
        os.killpg(os.getpgrp(), signal.SIGINT)
        while not reacted.wait(2.0):  # a lost wakeup (see the docstring): press interrupt again
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    # Appending: forked workers write through copies of this file object, each with its own idea of the file's
    # position -- without O_APPEND the second traceback would overwrite the first.
    with tempfile.TemporaryFile("a+") as errors:
        os.dup2(errors.fileno(), 2)  # spawned workers inherit the file descriptor,
        sys.stderr = errors  # forked ones the Python object too (in a kernel, one that forwards to the notebook)
        threading.Thread(target=interrupt_once_busy, daemon=True).start()
        report: dict[str, Any] = {"recipe": recipe}
        t0 = time.perf_counter()
        if recipe == "executor":
            executor = ProcessPoolExecutor(2, mp_context=mp, initializer=announce_to, initargs=(started,))
            futures = [executor.submit(long_task, 2) for _ in range(8)]
            try:
                for future in as_completed(futures, timeout=60):
                    future.result()
            except KeyboardInterrupt:
                reacted.set()
                report["main process"] = "KeyboardInterrupt"
                executor.shutdown(wait=True, cancel_futures=True)
            report["cancelled"] = sum(f.cancelled() for f in futures)
            report["ran to the end"] = sum(f.done() and not f.cancelled() and f.exception() is None for f in futures)
        else:
            initializer = ignore_interrupt if recipe == "ignore in workers" else announce_to
            pool = mp.Pool(2, initializer=initializer, initargs=(started,))
            try:
                if recipe == "plain":
                    pool.map(long_task, [30] * 4, chunksize=1)
                else:
                    pool.map_async(long_task, [30] * 4, chunksize=1).get(timeout=60)
            except KeyboardInterrupt:
                reacted.set()
                report["main process"] = "KeyboardInterrupt"
                if recipe != "plain":
                    pool.terminate()
                    pool.join()
            if recipe == "plain":
                try:  # not terminated: it still takes work, for the replacement workers it starts
                    pool.apply_async(os.getpid)
                    report["pool still takes work"] = True
                except ValueError:  # "Pool not running"
                    report["pool still takes work"] = False
        report["seconds"] = round(time.perf_counter() - t0, 2)
        # A plain pool replaces the workers that died: wait until it has (a new spawned worker can take a second
        # or more on a busy machine); the others should have none left -- looked at after a moment.
        deadline = time.monotonic() + (10 if recipe == "plain" else 0.5)
        while time.monotonic() < deadline and (recipe != "plain" or len(_pool_workers(me)) < 2):
            time.sleep(0.05)
        report["workers running"] = len(_pool_workers(me))
        errors.seek(0)
        report["worker tracebacks"] = errors.read().count("KeyboardInterrupt")
    return report


# -- Memory and resources -------------------------------------------------------------------------------


def in_flight(submit: Callable[[Iterable[int]], Iterator[Any]], n: int) -> int:
    """The most items taken from a generator of ``n`` and not yet returned, while ``submit(generator)`` runs."""
    produced = 0

    def numbers() -> Iterator[int]:
        nonlocal produced
        for i in range(n):
            produced += 1
            yield i

    most = 0
    for returned, _ in enumerate(submit(numbers()), start=1):
        most = max(most, produced - returned + 1)
    return most


def bounded_map(executor: ProcessPoolExecutor, fn: Callable[[Any], Any], items: Iterable[Any],
                limit: int) -> Iterator[Any]:
    """Results of ``fn`` over ``items`` (in finishing order), with never more than ``limit`` tasks submitted at once."""
    pending: set[Future] = set()
    for item in items:
        if len(pending) >= limit:
            done, pending = wait_for_futures(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
        pending.add(executor.submit(fn, item))
    for future in as_completed(pending):
        yield future.result()


def pools_in_a_loop(rounds: int, close: bool) -> dict[str, Any]:
    """Make a Pool(2) ``rounds`` times, as a loop body or a re-run cell does; with ``close``, in a ``with`` block.

    Returns the worker processes still running afterwards and the warnings raised.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(rounds):
            if close:
                with context().Pool(2) as pool:
                    pool.map(tiny, range(4))
            else:
                pool = context().Pool(2)
                pool.map(tiny, range(4))
        del pool
        gc.collect()
        workers = len(_pool_workers(psutil.Process()))
    return {"workers running": workers, "warnings": sorted({f"{w.category.__name__}: {str(w.message)[:38]}"
                                                             for w in caught})}


# -- Oversubscription -----------------------------------------------------------------------------------


def blas_threads() -> int:
    """How many threads this process's BLAS (numpy's matrix library) will use."""
    import numpy  # noqa: F401 -- loads the BLAS that threadpoolctl looks at
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def matmuls(n: int, repeats: int, threads: int | None = None) -> tuple[float, int]:
    """Multiply two ``n`` x ``n`` matrices ``repeats`` times, with the BLAS limited to ``threads`` if given.

    Returns the seconds it took and the BLAS threads it ran with.
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((n, n))
    with threadpool_limits(threads):
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ a
        return time.perf_counter() - t0, blas_threads()
