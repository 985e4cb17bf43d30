"""The example workers of chapter 07 (pools).

Tasks report when and where they ran -- ``(pid, start, end)`` with
``time.perf_counter()``, which is one clock for every process on Linux and
macOS -- so the notebook can draw who ran what, and when.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from functools import partial

TAG = "not initialised"  # set in each pool worker by `initialise`


def tiny(x: int) -> int:
    """A task that costs almost nothing: the pool's own overhead is all there is to see."""
    return x * x


def nap(seconds: float) -> tuple[int, float, float, float]:
    """Sleep ``seconds``; return ``(pid, start, end, seconds)``: who ran it, when, and which task it was."""
    start = time.perf_counter()
    time.sleep(seconds)
    return os.getpid(), start, time.perf_counter(), seconds


def nap_pair(seconds: float, label: str) -> tuple[str, int, float, float, float]:
    """:func:`nap` for ``starmap``: two arguments, and the label comes back with the times."""
    return (label, *nap(seconds))


def initialise(tag: str) -> None:
    """A pool initializer: runs once in each worker process, before its first task."""
    global TAG
    TAG = f"{tag} (worker {os.getpid()})"


def whoami(_: object = None) -> tuple[int, str]:
    """The worker's pid and what its initializer set."""
    return os.getpid(), TAG


def fail_on(x: int, bad: int) -> int:
    """``x * 2``, but raise ``ValueError`` for ``x == bad``."""
    if x == bad:
        raise ValueError(f"{x} is the bad input")
    return x * 2


def die_on(x: int, bad: int) -> int:
    """``x * 2``, but the process is killed by SIGKILL on ``x == bad`` (as the out-of-memory killer does)."""
    if x == bad:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * 2


def where_callbacks_run() -> tuple[int, str]:
    """Called in a callback: the pid and thread it runs in."""
    return os.getpid(), threading.current_thread().name


def one_pool(n: int, processes: int = 2) -> float:
    """Seconds to run ``n`` tiny tasks on a pool of ``processes`` workers, the pool's start included."""
    from ipclab.start import context

    t0 = time.perf_counter()
    with context().Pool(processes) as pool:
        pool.map(tiny, range(n))
    return time.perf_counter() - t0


def map_dying(bad: int) -> list[int]:
    """``Pool.map`` over a task that kills its worker: the pool replaces the worker, and map waits forever."""
    from ipclab.start import context

    with context().Pool(2) as pool:
        return pool.map(partial(die_on, bad=bad), range(8), chunksize=1)


def executor_dying(bad: int) -> str:
    """The same job on ``ProcessPoolExecutor``: a killed worker breaks the executor, and every waiter hears it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from ipclab.start import context

    with ProcessPoolExecutor(2, mp_context=context()) as executor:
        try:
            list(executor.map(die_on, range(8), [bad] * 8))
        except BrokenProcessPool as exc:
            return f"BrokenProcessPool: {exc}"
    return "finished"


def is_prime(n: int) -> bool:
    """Trial division: a few microseconds for numbers around a million."""
    if n < 0:
        raise ValueError(f"{n} is negative: primes are counted among natural numbers")
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    return all(n % d for d in range(3, int(n ** 0.5) + 1, 2))


def count_in(numbers) -> int:
    """How many of ``numbers`` are prime (``ValueError`` on a negative one): one task of lab 07."""
    return sum(map(is_prime, numbers))
