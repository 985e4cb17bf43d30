"""Cheap event recording from many processes, gathered in the parent.

A :class:`Tracer` owns one block of shared memory (a ``RawArray`` of 64-bit
integers).  Each worker gets a :class:`TraceWriter` for its own slot of that
block, so recording an event needs no lock and no message: it reads
``time.perf_counter_ns()`` and stores three integers.  That costs well under
a microsecond per event (0.3 us on the course's 2-core machine; ``make bench``
measures it on yours, and the unit test fails above 20 us), small next to the
tens of microseconds of a queue round trip, so tracing does not change the
timings it shows.

``perf_counter_ns`` reads ``CLOCK_MONOTONIC`` on Linux, which every process on
the machine shares, so events from different processes sit on one time axis.

Hand writers to children as ``Process`` arguments (or a ``Pool`` initializer):
shared ctypes arrays can only travel by inheritance, not through a queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from multiprocessing.context import BaseContext

from ipclab.start import context

DEFAULT_EVENTS = ("start", "stop", "put", "get", "begin", "end", "sentinel", "wait", "done")
_FIELDS = 3  # t_ns, event code, value


@dataclass(frozen=True)
class Event:
    """One recorded event: who, what, when (seconds since the tracer was made)."""

    worker: str
    event: str
    t: float
    value: int


@dataclass(frozen=True)
class Span:
    """A stretch of time a worker spent between a begin and an end event."""

    worker: str
    start: float
    end: float
    value: int

    @property
    def duration(self) -> float:
        return self.end - self.start


class TraceWriter:
    """Records events for one worker into its own slot of the shared block."""

    def __init__(self, array, base: int, capacity: int, codes: dict[str, int]) -> None:
        self._array = array
        self._base = base
        self._capacity = capacity
        self._codes = codes

    def mark(self, event: str, value: int = 0) -> None:
        """Record ``event`` (one of the tracer's event names) with an integer value."""
        t = time.perf_counter_ns()
        array, base = self._array, self._base
        n = array[base]
        array[base] = n + 1
        if n < self._capacity:
            at = base + 1 + _FIELDS * n
            array[at] = t
            array[at + 1] = self._codes[event]
            array[at + 2] = value


class Tracer:
    """Shared event log for up to ``workers`` writers of ``capacity`` events each."""

    def __init__(
        self,
        workers: int,
        capacity: int = 4096,
        events: tuple[str, ...] = DEFAULT_EVENTS,
        ctx: BaseContext | None = None,
    ) -> None:
        self._events = tuple(events)
        self._codes = {name: code for code, name in enumerate(self._events)}
        self._capacity = capacity
        self._stride = 1 + _FIELDS * capacity
        self._array = (ctx or context()).RawArray("q", workers * self._stride)
        self._labels: list[str] = []
        self._workers = workers
        self.t0_ns = time.perf_counter_ns()

    def writer(self, label: str) -> TraceWriter:
        """A writer for a new worker called ``label`` (e.g. ``"cook 0"``)."""
        if len(self._labels) == self._workers:
            raise ValueError(f"this tracer has room for {self._workers} workers")
        self._labels.append(label)
        base = (len(self._labels) - 1) * self._stride
        return TraceWriter(self._array, base, self._capacity, self._codes)

    def dropped(self) -> int:
        """How many events did not fit in their worker's capacity."""
        counts = (self._array[i * self._stride] for i in range(len(self._labels)))
        return sum(max(0, n - self._capacity) for n in counts)

    def events(self) -> list[Event]:
        """Every recorded event, oldest first."""
        out = []
        for slot, label in enumerate(self._labels):
            base = slot * self._stride
            n = min(self._array[base], self._capacity)
            flat = self._array[base + 1 : base + 1 + _FIELDS * n]
            for i in range(0, len(flat), _FIELDS):
                t = (flat[i] - self.t0_ns) / 1e9
                out.append(Event(label, self._events[flat[i + 1]], t, flat[i + 2]))
        out.sort(key=lambda e: e.t)
        return out

    def spans(self, begin: str = "begin", end: str = "end") -> list[Span]:
        """Pair each worker's ``begin`` events with its next ``end`` event."""
        open_at: dict[str, Event] = {}
        out = []
        for e in self.events():
            if e.event == begin:
                open_at[e.worker] = e
            elif e.event == end and e.worker in open_at:
                b = open_at.pop(e.worker)
                out.append(Span(e.worker, b.t, e.t, b.value))
        return out

    def workers(self) -> list[str]:
        """Worker labels in the order their writers were made."""
        return list(self._labels)


def cost_per_event(n: int = 100_000) -> float:
    """Seconds one :meth:`TraceWriter.mark` call takes, measured here (best of 3)."""
    best = float("inf")
    for _ in range(3):
        w = Tracer(1, capacity=n).writer("bench")
        t0 = time.perf_counter()
        for i in range(n):
            w.mark("put", i)
        best = min(best, time.perf_counter() - t0)
    return best / n
