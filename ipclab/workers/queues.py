"""The example workers of chapter 02 (queues)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
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


# -- Logging from many processes -------------------------------------------------------------------


def _fresh_logger(name: str, handler: logging.Handler) -> logging.Logger:
    """The logger ``name`` with ``handler`` as its only handler (a forked child inherits the parent's loggers)."""
    logger = logging.getLogger(f"ipclab.kitchen.{name}")
    logger.handlers.clear()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def log_line(name: str, i: int) -> str:
    """Line ``i`` of worker ``name``: each worker's lines have a length of their own, so torn ones show."""
    return f"{name} line {i:04d} " + "x" * (10 * len(name))


def log_to_own_file(path: str, name: str, count: int, ready, go) -> None:
    """Log ``count`` lines to ``path`` through a FileHandler of this process's own, as a script's
    module-level ``logging.basicConfig(filename=path, filemode="w")`` does in every spawned child."""
    handler = logging.FileHandler(path, mode="w")
    logger = _fresh_logger(name, handler)
    ready.put(name)
    go.wait(30)
    for i in range(count):
        logger.info(log_line(name, i))
    handler.close()


def log_to_queue(queue, name: str, count: int, ready, go) -> None:
    """Log ``count`` lines through a QueueHandler: the records travel to the parent's QueueListener."""
    logger = _fresh_logger(name, logging.handlers.QueueHandler(queue))
    ready.put(name)
    go.wait(30)
    for i in range(count):
        logger.info(log_line(name, i))


def intact_lines(text: str, names: list[str]) -> int:
    """How many lines of ``text`` are whole lines as :func:`log_line` wrote them."""
    whole = {name: re.compile(rf"{re.escape(name)} line \d{{4}} x{{{10 * len(name)}}}") for name in names}
    return sum(any(pattern.fullmatch(line) for pattern in whole.values()) for line in text.splitlines())


def log_together(path: str, how: str, names: list[str], count: int) -> str:
    """Run one logging worker per name at once, each logging ``how`` ("own file" or "queue"); return the file.

    With "queue", this process runs a QueueListener that writes every record
    to ``path`` through one FileHandler, and stops it when the workers are done.
    """
    mp = context()
    ready, go = mp.Queue(), mp.Event()
    listener = None
    if how == "queue":
        records = mp.Queue()
        handler = logging.FileHandler(path, mode="w")
        listener = logging.handlers.QueueListener(records, handler)
        listener.start()
        workers = [mp.Process(target=log_to_queue, args=(records, name, count, ready, go)) for name in names]
    else:
        workers = [mp.Process(target=log_to_own_file, args=(path, name, count, ready, go)) for name in names]
    for w in workers:
        w.start()
    for _ in workers:  # every file is open (and truncated) before anyone writes
        ready.get(timeout=30)
    go.set()
    for w in workers:
        w.join(timeout=60)
    if listener:
        listener.stop()  # handles every record still queued, then ends its thread
        handler.close()
    with open(path, encoding="utf-8", errors="replace") as log:
        return log.read()
