"""The example workers of chapter 02 (queues)."""

from __future__ import annotations

import os
import time

from ipclab.start import context


def producer(queue, count: int) -> None:
    """Put ``count`` items ``(producer pid, i)`` on the queue."""
    pid = os.getpid()
    for i in range(count):
        queue.put((pid, i))


def consumer(queue, results, seconds: float = 0.001) -> None:
    """Take items (``seconds`` of work each) until ``None``; report ``(consumer pid, items taken)``."""
    taken = []
    while (item := queue.get()) is not None:  # None is the end signal (chapter 03)
        time.sleep(seconds)
        taken.append(item)
    results.put((os.getpid(), taken))


def put_and_join_thread(nbytes: int, cancel: bool = False) -> None:
    """Put ``nbytes`` on a fresh queue that nobody reads, close it, wait for its feeder thread.

    ``join_thread()`` waits until the feeder
    thread has written the item into the queue's pipe -- not until anybody has
    taken it.  An item bigger than the pipe's buffer cannot be written while
    nobody reads, so then it never returns, unless ``cancel_join_thread()``
    was called (which lets the process exit and drops the unwritten data).
    """
    queue = context().Queue()
    queue.put(b"x" * nbytes)
    queue.close()
    if cancel:
        queue.cancel_join_thread()
    queue.join_thread()


def send_numbers(queue, count: int, barrier) -> None:
    """After the barrier, put the numbers ``0..count-1`` and then ``None``."""
    barrier.wait()
    for i in range(count):
        queue.put(i)
    queue.put(None)


def receive_seconds(kind: str, count: int) -> float:
    """Seconds to receive ``count`` small items through a ``Queue`` or ``SimpleQueue``.

    A child puts them as fast as it can; process start is excluded by a
    barrier.  ``SimpleQueue.get`` has no timeout, so run this in the sandbox.
    """
    mp = context()
    queue = getattr(mp, kind)()
    barrier = mp.Barrier(2)
    sender = mp.Process(target=send_numbers, args=(queue, count, barrier))
    sender.start()
    barrier.wait(timeout=30)
    t0 = time.perf_counter()
    while queue.get() is not None:
        pass
    took = time.perf_counter() - t0
    sender.join(10)
    return took
