"""Chapter 10's comparison of every mechanism, shared with ``python -m ipclab bench``.

:func:`run` measures each mechanism of :mod:`ipclab.mechanisms` at each
payload size, both ways the course measures them: throughput (a child sends,
the parent receives as fast as it can) and latency (ping-pong).  The rest of
this module turns those results into what a reader needs: the machine's own
limits to hold them against (:func:`copy_limit`, an in-process memory copy),
the cost of pickling apart from transport (:func:`pickle_cost`), a table, a
CSV file, figures and a decision guide computed from the numbers of the run.

:func:`crosscheck` holds the harness itself to account: it measures raw
``os.pipe`` or ``Queue`` throughput with the course's code and with
``ipclab/independent.py``, a plain script that shares no code with it.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, NullLocator

from ipclab import mechanisms, plots
from ipclab.bench import Measurement, format_seconds, measure as measure_in_process, progress, scaled
from ipclab.start import start_method

KINDS = ("throughput", "latency")
TOLERANCE = 0.30  # how far the course's figure may stray from the independent script's
CROSSCHECK_ITEMS = 2_000  # at least, per cross-check run: 512 items of 64 KiB pass in 10-25 ms, too short to time steadily
INDEPENDENT = Path(__file__).with_name("independent.py")
# glibc trims the heap whenever a free chunk at its top passes 128 KiB.  A bare interpreter (the
# independent script imports almost nothing) then grows and shrinks its heap for every 64 KiB item
# it receives, which makes a Queue of 64 KiB items ~3x slower there than in any process that has
# imported a few modules.  That is the allocator, not the mechanism: both sides run with trimming off.
NO_TRIM = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
SHIFT = 256  # bytes: a target placement that does not share the source's offset within a page


@dataclass(frozen=True)
class Result:
    """One measurement of the comparison: a mechanism, a payload size, a kind (throughput or latency)."""

    mechanism: str
    size: int
    kind: str
    measurement: Measurement

    @property
    def round_trip(self) -> float:
        """Seconds per round trip (latency results) at the median run."""
        return self.measurement.median / self.measurement.items

    def row(self) -> dict[str, Any]:
        """The result as one CSV row / JSON object."""
        m = self.measurement
        row = {"mechanism": self.mechanism, "kind": self.kind, "size": self.size, "start_method": start_method(),
               "runs": len(m.seconds), "items": m.items, "min_s": m.min, "median_s": m.median, "max_s": m.max}
        if self.kind == "latency":
            row["round_trip_us"] = round(self.round_trip * 1e6, 2)
        else:
            row["items_per_s"] = round(m.rate, 1)
            row["mb_per_s"] = round(m.bandwidth, 3)
        return row


def run(names: Sequence[str] | None = None, payloads: Sequence[int] | None = None,
        kinds: Sequence[str] = KINDS, repeats: int | None = None) -> list[Result]:
    """Measure every mechanism in ``names`` at every size in ``payloads``, for each kind, with a progress bar.

    Defaults: every mechanism, :func:`mechanisms.sizes`, both kinds, 5 repeats (3 in quick mode: still a median).  Each
    mechanism is measured in one sandboxed run.
    """
    repeats = repeats or scaled(5, 3)
    plan = [(size, kind) for kind in kinds for size in (payloads or mechanisms.sizes())]
    results = []
    for name in progress(list(names or mechanisms.MECHANISMS), desc="comparison"):
        measured = mechanisms.measure_plan(name, plan, repeats)
        results += [Result(name, size, kind, m) for (size, kind), m in zip(plan, measured)]
    return results


def copy_limit(size: int, repeats: int = 5) -> Measurement:
    """This machine's bulk limit: the fastest copy of ``size`` bytes inside one process (a memcpy), as items/s and MB/s.

    Both buffers are allocated once, so the copy pays for neither the
    allocator nor page faults.  Two placements of the target are timed and
    the faster one is the limit: one at the same offset within its 4 KiB page
    as the source -- as two buffers over glibc's 128 KiB mmap threshold are --
    and one shifted by :data:`SHIFT` bytes, because on some processors a copy
    between addresses that alias within a page runs many times slower.
    """
    count = mechanisms.items_for(size, full=True)
    source, same_offset = bytearray(size), bytearray(size)
    shifted = memoryview(bytearray(size + SHIFT))[SHIFT:]

    def copier(into: bytearray | memoryview) -> Callable[[], None]:
        def copy_all() -> None:
            for _ in range(count):
                into[:] = source
        return copy_all

    placements = [measure_in_process(copier(into), label="memory copy in one process", items=count,
                                     nbytes=count * size, repeats=repeats) for into in (same_offset, shifted)]
    return min(placements, key=lambda m: m.median)


def float_list(size: int) -> list[float]:
    """A list of floats that pickles to about ``size`` bytes (9 bytes per float)."""
    return [float(i) for i in range(max(1, size // 9))]


def pickle_cost(payload: Any, repeats: int = 5) -> Measurement:
    """Seconds to pickle and unpickle ``payload`` once in this process (no transport at all)."""
    nbytes = len(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL))
    count = max(8, min(2_000, (8 << 20) // nbytes))

    def round_trips() -> None:
        for _ in range(count):
            pickle.loads(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL))

    label = f"pickle + unpickle {type(payload).__name__}"
    return measure_in_process(round_trips, label=label, items=count, nbytes=count * nbytes, repeats=repeats)


def find(results: Iterable[Result], name: str, size: int, kind: str = "throughput") -> Result:
    """The result for ``name`` at ``size`` of ``kind``."""
    for r in results:
        if (r.mechanism, r.size, r.kind) == (name, size, kind):
            return r
    raise KeyError(f"no {kind} result for {name} at {size} B")


def size_label(size: int) -> str:
    """8 B, 64 KiB, 1 MiB."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def table(results: Sequence[Result]) -> str:
    """A text table: one line per mechanism, throughput and round trip at each size."""
    payloads = sorted({r.size for r in results})
    names = list(dict.fromkeys(r.mechanism for r in results))
    head = f"{'mechanism':16}" + "".join(f"{size_label(s):>26}" for s in payloads)
    lines = [head, f"{'':16}" + "".join(f"{'items/s  MB/s  round trip':>26}" for _ in payloads)]
    for name in names:
        cells = []
        for size in payloads:
            parts = []
            for kind in KINDS:
                try:
                    r = find(results, name, size, kind)
                except KeyError:
                    parts.append("-")
                    continue
                parts.append(format_seconds(r.round_trip) if kind == "latency" else
                             f"{plots.short_number(r.measurement.rate)} {r.measurement.bandwidth:,.0f}")
            cells.append(f"{'  '.join(parts):>26}")
        lines.append(f"{name:16}" + "".join(cells))
    return "\n".join(lines)


@dataclass(frozen=True)
class Table:
    """:func:`table` for a notebook: a real HTML table in JupyterLab and on the site, the text table elsewhere."""

    results: Sequence[Result]

    def __str__(self) -> str:
        return table(self.results)

    def _repr_html_(self) -> str:
        payloads = sorted({r.size for r in self.results})
        names = list(dict.fromkeys(r.mechanism for r in self.results))
        head = "".join(f'<th colspan="3" style="text-align:center">{size_label(s)}</th>' for s in payloads)
        sub = "<th>items/s</th><th>MB/s</th><th>round trip</th>" * len(payloads)
        rows = []
        for name in names:
            cells = []
            for size in payloads:
                try:
                    m = find(self.results, name, size).measurement
                    cells += [plots.short_number(m.rate), f"{m.bandwidth:,.0f}"]
                except KeyError:
                    cells += ["-", "-"]
                try:
                    cells.append(format_seconds(find(self.results, name, size, "latency").round_trip))
                except KeyError:
                    cells.append("-")
            rows.append(f"<tr><th style='text-align:left'>{name}</th>"
                        + "".join(f"<td style='text-align:right'>{c}</td>" for c in cells) + "</tr>")
        return (f"<table><thead><tr><th rowspan='2'>mechanism</th>{head}</tr><tr>{sub}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")


def write_csv(results: Sequence[Result], path: Path) -> Path:
    """Every result as one CSV row (the columns of :meth:`Result.row`)."""
    rows = [r.row() for r in results]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _series(results: Sequence[Result], kind: str) -> dict[str, list[Result]]:
    series: dict[str, list[Result]] = {}
    for r in sorted(results, key=lambda r: r.size):
        if r.kind == kind:
            series.setdefault(r.mechanism, []).append(r)
    return series


def draw(results: Sequence[Result], limits: dict[int, Measurement], fig: Figure | None = None) -> Figure:
    """Three panels against payload size: round trip, items/s, MB/s; min-max bars; the limits dashed."""
    fig = fig or plt.figure(figsize=(13, 4), layout="constrained")
    lat, rate, band = fig.subplots(1, 3)
    for name, rs in _series(results, "latency").items():
        x = [r.size for r in rs]
        mid = [r.round_trip * 1e6 for r in rs]
        lo = [m - r.measurement.min / r.measurement.items * 1e6 for m, r in zip(mid, rs)]
        hi = [r.measurement.max / r.measurement.items * 1e6 - m for m, r in zip(mid, rs)]
        lat.errorbar(x, mid, yerr=[lo, hi], marker="o", capsize=3, label=name)
    for name, rs in _series(results, "throughput").items():
        x = [r.size for r in rs]
        for ax, metric in ((rate, "rate"), (band, "bandwidth")):
            triples = [plots.METRICS[metric][1](r.measurement) for r in rs]  # (median, low, high)
            ax.errorbar(x, [t[0] for t in triples], yerr=[[t[0] - t[1] for t in triples], [t[2] - t[0] for t in triples]],
                        marker="o", capsize=3, label=name, linestyle="--" if name == "os_pipe" else "-")
    if limits:
        x = sorted(limits)
        band.plot(x, [limits[s].bandwidth for s in x], "k:", linewidth=2, label="memory copy (limit)")
        rate.plot(x, [limits[s].rate for s in x], "k:", linewidth=2, label="memory copy (limit)")
    lat.set_ylabel("round trip (us), median, min-max")
    rate.set_ylabel("items/s, median, min-max")
    band.set_ylabel("MB/s, median, min-max")
    payloads = sorted({r.size for r in results})
    for ax in (lat, rate, band):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("payload")
        ax.set_xticks(payloads, [size_label(s) for s in payloads], rotation=45)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3, which="both")
    rate.yaxis.set_major_formatter(EngFormatter(sep=""))
    band.legend(fontsize=7)
    fig.suptitle(f"every mechanism, {start_method()} start method (dashed: raw os.pipe; dotted: in-process copy)")
    return fig


def guide(results: Sequence[Result], limits: dict[int, Measurement]) -> list[str]:
    """The decision guide, each line computed from this run's results."""
    small, large = min(r.size for r in results), max(r.size for r in results)

    def rate(name: str, size: int) -> float:
        return find(results, name, size).measurement.rate

    def trip(name: str) -> float:
        return find(results, name, small, "latency").round_trip

    def bulk(name: str) -> float:
        return find(results, name, large).measurement.bandwidth

    lines = [
        f"Many small messages ({size_label(small)}): a Queue moves {rate('queue', small):,.0f} items/s, raw os.pipe "
        f"{rate('os_pipe', small):,.0f} ({rate('os_pipe', small) / rate('queue', small):.1f}x): the cost is per "
        "message, not per byte, so send fewer, bigger messages (batch) before you change mechanism.",
        f"Request and reply: a SimpleQueue round trip takes {format_seconds(trip('simple_queue'))}, a Queue "
        f"{format_seconds(trip('queue'))} (its feeder thread is one more hand-off each way), a Pipe "
        f"{format_seconds(trip('pipe_pickle'))}.",
        f"A manager's queue moves {rate('manager_queue', small):,.0f} items/s at {size_label(small)}, "
        f"{rate('queue', small) / rate('manager_queue', small):.0f}x fewer than a Queue: every call is a round trip "
        "to the manager process. Use it when unrelated processes, or other machines, must share the queue.",
        f"Bulk data ({size_label(large)}): shared memory {bulk('shared_memory'):,.0f} MB/s, raw os.pipe "
        f"{bulk('os_pipe'):,.0f} MB/s, Queue {bulk('queue'):,.0f} MB/s, against "
        f"{limits[large].bandwidth:,.0f} MB/s for a copy inside one process. Shared memory costs a copy in and a copy "
        "out; write into it in place and even those go.",
    ]
    return lines


def crosscheck(kind: str, size: int, runs: int = 5, independent_first: bool = False) -> tuple[float, float]:
    """Items/s of ``kind`` (``os_pipe`` or ``queue``) at ``size`` B: (``python -m ipclab bench``, the independent script).

    Both run as fresh interpreters, one right after the other, with the same
    environment -- heap trimming off (:data:`NO_TRIM`), the course's start
    method -- and move the same number of items in ``runs`` runs, full size
    even in quick mode and never fewer than :data:`CROSSCHECK_ITEMS` (a few
    milliseconds would be too short to time).
    A fresh interpreter on both sides matters: how often glibc gives memory
    back depends on the heap a process has built up, and a Jupyter kernel's
    heap is nothing like a script's.  Where the system allows it (Linux),
    both are pinned to the same single core with all their children: small
    messages move about twice as fast when sender and receiver share a core
    as when they sit on two, and which one a run gets would otherwise be
    the scheduler's choice, not the harness's doing.  The independent script
    is ``ipclab/independent.py``, which imports nothing of the course.
    """
    count = max(mechanisms.items_for(size, full=True), CROSSCHECK_ITEMS)
    env = {**os.environ, **NO_TRIM}
    env.pop("IPCLAB_QUICK", None)
    cpu = [str(max(os.sched_getaffinity(0)))] if hasattr(os, "sched_getaffinity") else []
    commands = [[sys.executable, "-m", "ipclab", "bench", kind, "--size", str(size), "--count", str(count),
                 "--repeats", str(runs), *(["--cpu", *cpu] if cpu else [])],
                [sys.executable, "-I", str(INDEPENDENT), kind, str(size), start_method(), str(count), str(runs), *cpu]]
    if independent_first:
        theirs, ours = (_run(c, env) for c in reversed(commands))
    else:
        ours, theirs = (_run(c, env) for c in commands)
    return json.loads(ours.splitlines()[-1])["items_per_s"], float(theirs)


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def agrees(pair: tuple[float, float]) -> bool:
    """True if (the course's figure, the independent script's) are within :data:`TOLERANCE` of each other."""
    ours, theirs = pair
    return abs(ours / theirs - 1) <= TOLERANCE


def agree(kind: str, size: int, tries: int = 3) -> list[tuple[float, float]]:
    """Pairs from :func:`crosscheck` until one :func:`agrees` (at most ``tries``).

    On a shared 2-core machine one pair can meet a busier moment than the
    other, so the pairs take turns at going first; the last pair returned is
    the one that agreed, if any.
    """
    pairs = []
    for attempt in range(tries):
        pairs.append(crosscheck(kind, size, independent_first=attempt % 2 == 1))  # in turns: which goes first
        if agrees(pairs[-1]):
            break
    return pairs


def save(results: Sequence[Result], limits: dict[int, Measurement], folder: Path,
         checks: dict[str, list[tuple[float, float]]] | None = None) -> list[Path]:
    """Write ``comparison.csv``, ``comparison.png`` and ``README.txt`` (table, guide, cross-checks) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_csv(results, folder / "comparison.csv")]
    fig = draw(results, limits)
    fig.savefig(folder / "comparison.png", dpi=110)
    plt.close(fig)
    written.append(folder / "comparison.png")
    text = [f"ipc-course comparison, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}, start method {start_method()}", "", table(results), ""]
    text += [f"- {line}" for line in guide(results, limits)]
    for key, pairs in (checks or {}).items():
        said = ", ".join(f"{ours:,.0f} vs {theirs:,.0f}" for ours, theirs in pairs)
        text.append(f"cross-check {key}: bench vs independent items/s {said}")
    (folder / "README.txt").write_text("\n".join(text) + "\n")
    written.append(folder / "README.txt")
    return written
