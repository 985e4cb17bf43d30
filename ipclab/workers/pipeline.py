"""Lab 10's pipeline: a child sends many small records to its parent.

A pipeline is three functions, kept in one module:

- ``open_channel(ctx)`` returns ``(tx, rx)``: what the child sends on and what
  the parent receives from (the same object for a queue);
- ``produce(tx, n, seed)`` runs in the child and sends ``records(n, seed)``;
- ``consume(rx, n)`` runs in the parent and returns the ``n`` records, in order.

The functions below are the starting pipeline: a ``Queue``, one record per
``put()``.  :func:`measure` times any pipeline the way chapter 10 times a
mechanism: a fresh child per run, the clock started at the go, so only moving
the records counts, not starting the child.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ipclab.mechanisms import timed
from ipclab.start import context

Record = tuple[int, int]


def records(n: int, seed: int) -> list[Record]:
    """The ``n`` records a producer sends: ``(i, a number that depends on seed)``."""
    rng = random.Random(seed)
    return [(i, rng.randrange(1_000_000)) for i in range(n)]


def open_channel(ctx: Any) -> tuple[Any, Any]:
    """The starting pipeline's channel: one Queue, sent on and received from."""
    queue = ctx.Queue()
    return queue, queue


def produce(tx: Any, n: int, seed: int) -> None:
    """The starting pipeline's producer: one record per put()."""
    for record in records(n, seed):
        tx.put(record)


def consume(rx: Any, n: int) -> list[Record]:
    """The starting pipeline's consumer: one get() per record."""
    return [rx.get() for _ in range(n)]


class _PausedSender:
    """The producer's channel as a checking run hands it over: its second message waits ``pause`` s.

    So a consumer that ends when nothing came for a while ends in that pause,
    on every run, instead of passing because the producer never paused.
    """

    def __init__(self, tx: Any, pause: float) -> None:
        self._tx, self._pause, self._sent = tx, pause, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._tx, name)
        if name not in ("put", "put_nowait", "send", "send_bytes"):
            return attr

        def send(*args: Any, **kwargs: Any) -> Any:
            self._sent += 1
            if self._sent == 2:
                time.sleep(self._pause)
            return attr(*args, **kwargs)

        return send


def _produce_after_go(produce_fn: Callable[..., None], tx: Any, n: int, seed: int, pause: float,
                      ready: Any, go: Any) -> None:
    """In the child: say ready, wait for the go, then run the pipeline's producer (pausing once if ``pause``)."""
    ready.set()
    if go.wait(30):
        produce_fn(_PausedSender(tx, pause) if pause else tx, n, seed)


def _close(*ends: Any) -> None:
    for end in ends:
        close = getattr(end, "close", None)
        if close is not None:
            close()


@dataclass
class Run:
    """One run of a pipeline: how long the parent took to receive, and what it received."""

    seconds: float
    received: Any
    expected: list[Record]
    more_waiting: bool = False  # something more came on the channel after consume() returned


def _left_over(rx: Any, quiet: float) -> int:
    """Take whatever else arrives on ``rx`` until it has been quiet ``quiet`` s; return how many messages came.

    Run after ``consume()``, before the producer is joined: a producer whose
    rest nobody reads would be held by a full pipe, and what arrives tells a
    consumer that stopped too soon from a producer that never sent the rest.
    A channel that is neither a Connection nor a queue is not looked at.
    """
    if not hasattr(rx, "poll") and not hasattr(rx, "empty"):
        return 0
    taken, deadline = 0, time.monotonic() + quiet
    while time.monotonic() < deadline:
        if hasattr(rx, "poll"):
            ready = rx.poll(0.05)
        else:
            ready = not rx.empty()
            if not ready:
                time.sleep(0.05)
        if ready:
            rx.recv_bytes() if hasattr(rx, "recv_bytes") else rx.get()
            taken += 1
            deadline = time.monotonic() + quiet
    return taken


def run_once(pipeline: ModuleType, n: int, seed: int | None = None, pause: float = 0.0) -> Run:
    """Run ``pipeline`` once: a fresh producing child, ``n`` records, the receiving timed from the go.

    With ``pause`` (a checking run, not a timed one), the producer's second
    message waits ``pause`` s, and what arrives after ``consume()`` returned
    is taken and noted in :attr:`Run.more_waiting`.
    """
    ctx = context()
    seed = random.randrange(1 << 30) if seed is None else seed
    tx, rx = pipeline.open_channel(ctx)
    received: list[Any] = []
    more: list[bool] = []

    def body() -> None:
        received.append(pipeline.consume(rx, n))
        if pause:
            more.append(_left_over(rx, quiet=pause + 0.5) > 0)

    try:
        seconds = timed(ctx, _produce_after_go, (pipeline.produce, tx, n, seed, pause), body, name="producer")
    finally:
        _close(tx, rx)
    return Run(seconds, received[0], records(n, seed), any(more))


def measure(pipelines: dict[str, ModuleType], n: int, runs: int = 3) -> dict[str, list[float]]:
    """Seconds of ``runs`` runs of each pipeline, taking turns (so a busy moment hits them alike)."""
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(runs):
        for name, pipeline in pipelines.items():
            seconds[name].append(run_once(pipeline, n).seconds)
    return seconds
