"""The example workers of chapter 06 (shared state: Manager, Value/Array, shared memory)."""

from __future__ import annotations

import os
import signal
import time
from multiprocessing import shared_memory
from typing import Any

import numpy as np

from ipclab.start import context


def report_pid(d, key: str) -> None:
    """Store this process's pid in the managed dict ``d`` under ``key``."""
    d[key] = os.getpid()


def append_to_nested(d, item: str) -> None:
    """The trap: ``d["buns"]`` returns a *copy* of the list, and the append changes only the copy."""
    d["buns"].append(item)


def append_and_reassign(d, item: str) -> None:
    """Fix 1: take the copy, change it, and store it back (one whole new value for the key).

    Not atomic: two workers doing this at once can lose an append (use a lock).
    """
    buns = d["buns"]
    buns.append(item)
    d["buns"] = buns


def decrement(d, times: int, start, lock=None) -> None:
    """``d["count"] -= 1`` ``times`` times (the source's example), with ``lock`` held if given.

    ``start`` is a Barrier: every worker waits there until all are running, so they really overlap.
    """
    start.wait(30)
    for _ in range(times):
        if lock is None:
            d["count"] -= 1  # a read (one round trip), then a write (another)
        else:
            with lock:
                d["count"] -= 1


def increment_value(v, times: int, start, use_lock: bool) -> None:
    """``v.value += 1`` ``times`` times on a synchronized Value, inside ``v.get_lock()`` or not."""
    start.wait(30)
    for _ in range(times):
        if use_lock:
            with v.get_lock():
                v.value += 1
        else:
            v.value += 1  # the lock is taken for the read, released, taken again for the write


def square_into(slots, i: int) -> None:
    """Write ``i * i`` into slot ``i`` of a shared ``multiprocessing.Array``: each worker its own slot, no lock needed."""
    slots[i] = i * i


def lost_updates(kind: str, processes: int, times: int) -> int:
    """Run ``processes`` workers of ``times`` updates each on a shared counter; return how many were lost.

    ``kind``: ``"manager"`` (``d["count"] -= 1`` on a manager dict),
    ``"manager+lock"`` (the same under the manager's Lock), ``"value"``
    (``v.value += 1``) or ``"value+lock"`` (inside ``v.get_lock()``).
    """
    mp = context()
    start = mp.Barrier(processes + 1)  # the workers and this process
    expected = processes * times
    if kind.startswith("manager"):
        with mp.Manager() as manager:
            d = manager.dict(count=expected)
            lock = manager.Lock() if kind.endswith("+lock") else None
            workers = [mp.Process(target=decrement, args=(d, times, start, lock)) for _ in range(processes)]
            _run_together(workers, start)
            return d["count"]  # each decrement that was lost left one too many
    v = mp.Value("i", 0)
    workers = [mp.Process(target=increment_value, args=(v, times, start, kind.endswith("+lock")))
               for _ in range(processes)]
    _run_together(workers, start)
    return expected - v.value


def _run_together(workers: list, start) -> None:
    for w in workers:
        w.start()
    start.wait(60)
    for w in workers:
        w.join(60)


def ops_per_second(kind: str, count: int) -> float:
    """Seconds for ``count`` increments of one counter held in ``kind`` storage, in this process.

    ``kind``: ``"dict"`` (a local dict), ``"manager dict"`` (a proxy),
    ``"Value + lock"``, ``"RawValue"``, ``"shared memory"`` (a numpy view
    of a SharedMemory block).  No other process touches it: this is the cost
    of one access, not of contention.
    """
    mp = context()
    if kind == "manager dict":
        with mp.Manager() as manager:
            d = manager.dict(count=0)
            return _time(lambda: _bump_key(d, count))
    if kind == "dict":
        return _time(lambda: _bump_key({"count": 0}, count))
    if kind == "Value + lock":
        v = mp.Value("q", 0)

        def locked() -> None:
            for _ in range(count):
                with v.get_lock():
                    v.value += 1

        return _time(locked)
    if kind == "RawValue":
        raw = mp.RawValue("q", 0)

        def unlocked() -> None:
            for _ in range(count):
                raw.value += 1

        return _time(unlocked)
    if kind == "shared memory":
        block = shared_memory.SharedMemory(create=True, size=8)
        try:
            view = np.ndarray((1,), dtype=np.int64, buffer=block.buf)

            def in_block() -> None:
                for _ in range(count):
                    view[0] += 1

            took = _time(in_block)
            del view
        finally:
            block.close()
            block.unlink()
        return took
    raise ValueError(f"no storage {kind!r}")


def _bump_key(d, count: int) -> None:
    for _ in range(count):
        d["count"] += 1


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fill_slice(name: str, shape: tuple[int, ...], start: int, stop: int, value: float) -> int:
    """Attach to the shared block ``name``, fill rows ``start:stop`` of its float64 array; return my pid."""
    block = shared_memory.SharedMemory(name=name)
    try:
        array = np.ndarray(shape, dtype=np.float64, buffer=block.buf)
        array[start:stop] = value
        del array  # a view into the block must go before close()
    finally:
        block.close()
    return os.getpid()


def shout(items) -> None:
    """Upper-case every string in a ShareableList, in place."""
    for i, item in enumerate(items):
        items[i] = item.upper()


def receive_arrays(requests, replies) -> None:
    """Serve hand-offs of arrays sent whole (pickled) through ``requests``; ``None`` ends the loop.

    For each array: touch its first and last element, free it, reply.
    """
    while (array := requests.get()) is not None:
        touched = float(array[0] + array[-1])
        del array  # freeing the received copy is part of its cost: not in the next hand-off's time
        replies.put(touched)


def receive_names(requests, replies) -> None:
    """Serve hand-offs of arrays that already sit in shared memory: only ``(name, shape)`` is sent.

    For each: attach to the block, touch the first and last element, detach, reply.
    """
    while (request := requests.get()) is not None:
        name, shape = request
        block = shared_memory.SharedMemory(name=name)
        array = np.ndarray(shape, dtype=np.float64, buffer=block.buf)
        touched = float(array[0] + array[-1])
        del array  # a view into the block must go before close()
        block.close()
        replies.put(touched)


def hand_off_seconds(nbytes: int, repeats: int) -> dict[str, list[float]]:
    """Seconds to hand an array of ``nbytes`` to a waiting worker: through a Queue, through shared memory,
    and, for scale, to copy it within this process.

    Each way has its own worker and queues: a Queue's feeder thread keeps the
    last item it pickled until the next put, so a 64 MiB hand-off would
    otherwise slow down whatever small message came next on the same queue.
    """
    mp = context()
    n = nbytes // 8
    block = shared_memory.SharedMemory(create=True, size=nbytes)  # first: the workers share our resource tracker
    channels = {"Queue (pickled)": (receive_arrays, mp.Queue(), mp.Queue()),
                "shared memory (its name)": (receive_names, mp.Queue(), mp.Queue())}
    workers = [mp.Process(target=serve, args=(requests, replies)) for serve, requests, replies in channels.values()]
    for w in workers:
        w.start()
    times: dict[str, list[float]] = {label: [] for label in [*channels, "copy in this process"]}
    try:
        in_block = np.ndarray((n,), dtype=np.float64, buffer=block.buf)
        in_block[:] = np.arange(n, dtype=np.float64)  # the data is made where it will be shared
        local = np.array(in_block)
        requests_of = {"Queue (pickled)": local, "shared memory (its name)": (block.name, (n,))}
        for _ in range(repeats + 1):  # the first round warms up the workers
            for label, (_, requests, replies) in channels.items():
                t0 = time.perf_counter()
                requests.put(requests_of[label])
                replies.get(timeout=60)
                times[label].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            copied = local.copy()
            times["copy in this process"].append(time.perf_counter() - t0)
            del copied
        del in_block
    finally:
        for _, requests, _ in channels.values():
            requests.put(None)
        for w in workers:
            w.join(30)
        block.close()
        block.unlink()
    return {label: t[1:] for label, t in times.items()}


def leak_a_block() -> str:
    """Create a shared block and forget to unlink it (the mistake the resource tracker warns about)."""
    block = shared_memory.SharedMemory(create=True, size=1024)
    block.close()
    return block.name


def leak_and_die(whole_group: bool) -> None:
    """Create a shared block, print its name, and die by SIGKILL before it can unlink it.

    Alone, or with its whole process group -- its resource tracker too, as
    when a Jupyter kernel is shut down.  Run it as a program of its own, in
    a session of its own (``start_new_session=True``).
    """
    block = shared_memory.SharedMemory(create=True, size=1024)
    print(block.name, flush=True)
    if whole_group:
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def attach(name: str) -> Any:
    """Attach to the block ``name`` (``FileNotFoundError`` once it is unlinked); close at once."""
    block = shared_memory.SharedMemory(name=name)
    size = block.size
    block.close()
    return size
