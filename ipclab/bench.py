"""Repeatable measurements on a small, shared machine.

One figure from one run means little here: the course machines have 2 shared
cores and the same figure moves by 1.2x to 2x between runs.  So every number
the course shows is a :class:`Measurement` -- several repeats after a warm-up,
reported as median with min and max -- and mechanisms are compared as ratios
measured in the same run.

``IPCLAB_QUICK=1`` (set by ``make test``) shrinks sizes through :func:`scaled`;
the code path stays the same.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def quick() -> bool:
    """True when ``IPCLAB_QUICK`` asks for small sizes (CI, a hurried learner)."""
    return os.environ.get("IPCLAB_QUICK", "").strip() not in ("", "0")


def scaled(full: int, small: int) -> int:
    """``full`` normally, ``small`` in quick mode: the size knob of every experiment."""
    return small if quick() else full


def progress(items: Iterable[T], desc: str = "") -> Iterator[T]:
    """Iterate with a progress bar that only appears if the loop takes over 2 s."""
    from tqdm.auto import tqdm

    return iter(tqdm(items, desc=desc, delay=2, leave=False))


@dataclass(frozen=True)
class Measurement:
    """Repeated timings of one experiment, with what each run moved.

    ``items`` and ``nbytes`` are per run, so :attr:`rate` and :attr:`bandwidth`
    are per second of the median run.
    """

    label: str
    seconds: tuple[float, ...]
    items: int = 1
    nbytes: int = 0

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def rate(self) -> float:
        """Items per second at the median time."""
        return self.items / self.median

    @property
    def rate_range(self) -> tuple[float, float]:
        """Items per second of the slowest and of the fastest run."""
        return self.items / self.max, self.items / self.min

    @property
    def bandwidth(self) -> float:
        """Megabytes (10**6 bytes) per second at the median time."""
        return self.nbytes / self.median / 1e6

    def __str__(self) -> str:
        text = (
            f"{self.label}: median {format_seconds(self.median)} "
            f"(min {format_seconds(self.min)}, max {format_seconds(self.max)}, {len(self.seconds)} runs)"
        )
        if self.items > 1:
            text += f", {self.rate:,.0f} items/s"
        if self.nbytes:
            text += f", {self.bandwidth:,.1f} MB/s"
        return text


def time_unit(seconds: float) -> tuple[float, str]:
    """The largest of s, ms, us, ns in which ``seconds`` is at least 1: ``(scale, unit)``."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale:
            return scale, unit
    return 1e-9, "ns"


def format_seconds(seconds: float) -> str:
    """A duration with a unit a reader takes in at a glance (ns, us, ms, s)."""
    scale, unit = time_unit(seconds)
    return f"{seconds / scale:.3g} {unit}"


def measure(
    trial: Callable[[], object],
    *,
    label: str = "",
    items: int = 1,
    nbytes: int = 0,
    repeats: int = 5,
    warmup: int = 1,
    budget: float | None = None,
    self_timed: bool = False,
) -> Measurement:
    """Run ``trial`` ``warmup`` times untimed, then up to ``repeats`` times timed.

    Each call of ``trial`` is timed, unless ``self_timed``: then ``trial``
    returns the seconds it measured itself, so it can leave out what must not
    count, such as starting processes before a barrier.  With ``budget``
    (seconds), repeats stop once the timed runs have used it up; at least one
    run is always made.
    """
    for _ in range(warmup):
        trial()
    seconds: list[float] = []
    spent = 0.0
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        reported = trial()
        took = time.perf_counter() - t0
        seconds.append(float(reported) if self_timed else took)
        spent += took
        if budget is not None and spent >= budget:
            break
    return Measurement(label, tuple(seconds), items, nbytes)
