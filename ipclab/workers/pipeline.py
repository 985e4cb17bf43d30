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


def _produce_after_go(produce_fn: Callable[..., None], tx: Any, n: int, seed: int, ready: Any, go: Any) -> None:
    """In the child: say ready, wait for the go, then run the pipeline's producer."""
    ready.set()
    if go.wait(30):
        produce_fn(tx, n, seed)


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
    more_waiting: bool = False  # something was still in the channel after consume() returned


def _more_waiting(rx: Any) -> bool:
    """Whether the channel still holds a message (a Connection polls; a queue is looked at after a moment)."""
    if hasattr(rx, "poll"):
        return rx.poll(0.2)
    time.sleep(0.2)  # a Queue's feeder thread may still be writing
    return not rx.empty()


def run_once(pipeline: ModuleType, n: int, seed: int | None = None) -> Run:
    """Run ``pipeline`` once: a fresh producing child, ``n`` records, the receiving timed from the go."""
    ctx = context()
    seed = random.randrange(1 << 30) if seed is None else seed
    tx, rx = pipeline.open_channel(ctx)
    received: list[Any] = []
    try:
        seconds = timed(ctx, _produce_after_go, (pipeline.produce, tx, n, seed),
                        lambda: received.append(pipeline.consume(rx, n)), name="producer")
        more = _more_waiting(rx)
    finally:
        _close(tx, rx)
    return Run(seconds, received[0], records(n, seed), more)


def measure(pipelines: dict[str, ModuleType], n: int, runs: int = 3) -> dict[str, list[float]]:
    """Seconds of ``runs`` runs of each pipeline, taking turns (so a busy moment hits them alike)."""
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(runs):
        for name, pipeline in pipelines.items():
            seconds[name].append(run_once(pipeline, n).seconds)
    return seconds
