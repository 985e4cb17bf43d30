"""The course's plots: honest axes with units, every number from a measurement.

All functions draw on a matplotlib ``Axes`` (a new figure when none is given)
and return it, so a notebook can add a title or combine plots side by side.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, FuncFormatter, MaxNLocator

from ipclab.bench import Measurement, format_seconds, time_unit
from ipclab.sandbox import Outcome
from ipclab.trace import Event, Span

METRICS = {
    "seconds": ("time", lambda m: (m.median, m.min, m.max)),
    "rate": ("items/s", lambda m: (m.rate, *m.rate_range)),
    "bandwidth": ("MB/s", lambda m: (m.bandwidth, m.nbytes / m.max / 1e6, m.nbytes / m.min / 1e6)),
}


def _axes(ax: Axes | None, size: tuple[float, float] = (7, 3)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size, layout="constrained")[1]


def _values(measurements: Sequence[Measurement], metric: str) -> tuple[list[float], list[list[float]], str]:
    """Medians, [below, above] error lengths and the axis label for ``metric``."""
    name, pick = METRICS[metric]
    triples = [pick(m) for m in measurements]
    scale = 1.0
    if metric == "seconds":
        scale, unit = time_unit(min(t[0] for t in triples))
        name = f"time ({unit})"
    mids = [t[0] / scale for t in triples]
    errs = [[(t[0] - t[1]) / scale for t in triples], [(t[2] - t[0]) / scale for t in triples]]
    return mids, errs, name


def short_number(value: float) -> str:
    """Three significant digits, thousands and millions as k and M: 235000 -> '235k'."""
    if abs(value) < 1000:
        return f"{value:.3g}"
    return EngFormatter(sep="")(float(f"{value:.3g}"))


def compare(measurements: Sequence[Measurement], metric: str = "seconds", ax: Axes | None = None,
            logy: bool = False) -> Axes:
    """Bars of the median with min-max whiskers, one per measurement (by label), each bar labelled with its value.

    Labels are wrapped to a few words a line so that neighbours never run
    together.  Times are in seconds on the axis, ticks and labels written with
    the unit that suits each (us, ms, s); ``logy`` for a log axis (set here,
    so that the tick labels keep their units).
    """
    ax = _axes(ax, (max(6.0, 1.3 * len(measurements)), 3))
    name, pick = METRICS[metric]
    triples = [pick(m) for m in measurements]
    mids = [t[0] for t in triples]
    errs = [[t[0] - t[1] for t in triples], [t[2] - t[0] for t in triples]]
    positions = range(len(measurements))
    ax.bar(positions, mids, yerr=errs, capsize=6, color=plt.cm.tab10.colors[: len(measurements)])
    ax.set_xticks(positions, [textwrap.fill(m.label, 14) for m in measurements], fontsize=8)
    runs = {len(m.seconds) for m in measurements}
    ax.set_ylabel(f"{name}, median\n(whiskers: min-max of {'/'.join(map(str, sorted(runs)))} runs)")
    label = format_seconds if metric == "seconds" else short_number
    for x, y in zip(positions, mids):
        ax.annotate(label(y), (x, y), textcoords="offset points", xytext=(12, 3), fontsize=8)
    if logy:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_seconds(v)) if metric == "seconds"
                                 else EngFormatter(sep=""))
    return ax


def runs(measurement: Measurement, ax: Axes | None = None) -> Axes:
    """Every repeat of one measurement as a dot, with its median, min and max as lines."""
    ax = _axes(ax)
    scale, unit = time_unit(measurement.min)
    values = [s / scale for s in measurement.seconds]
    ax.plot(range(1, len(values) + 1), values, "o", label="one run")
    for value, style, name in [(measurement.max, "--", "max"), (measurement.median, "-", "median"),
                               (measurement.min, ":", "min")]:
        ax.axhline(value / scale, linestyle=style, color="gray", label=f"{name} {value / scale:.3g} {unit}")
    ax.set_xlabel("run")
    ax.set_ylabel(f"time ({unit})")
    ax.set_xlim(0.5, len(values) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside the frame, not over the dots
    ax.set_title(measurement.label)
    return ax


def versus(
    x: Sequence[float],
    measurements: Sequence[Measurement],
    metric: str = "rate",
    xlabel: str = "",
    label: str | None = None,
    ax: Axes | None = None,
    logx: bool = False,
    logy: bool = False,
) -> Axes:
    """A metric against a parameter: median line with min-max error bars."""
    ax = _axes(ax)
    mids, errs, name = _values(measurements, metric)
    ax.errorbar(list(x), mids, yerr=errs, marker="o", capsize=4, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{name} (median, min-max)")
    if metric != "seconds":
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    if logx:
        ax.set_xscale("log")
    else:
        ax.set_xticks(list(x))
    if logy:
        ax.set_yscale("log")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def timeline(
    spans: Sequence[Span],
    workers: Sequence[str] | None = None,
    marks: Sequence[Event] = (),
    waits: Sequence[Span] = (),
    ax: Axes | None = None,
    color_by: str | None = None,
) -> Axes:
    """A Gantt chart: one row per worker, a bar per span, optional event markers.

    ``waits`` are drawn as hatched grey bars: time a worker spent blocked.
    Bars take the colour of their row, or with ``color_by="pid"`` (any name)
    the colour of their ``value``, with a legend "pid 1234": who served whom.
    """
    rows = list(workers) if workers else sorted({s.worker for s in [*spans, *waits]} | {e.worker for e in marks})
    ax = _axes(ax, (8, 0.45 * len(rows) + 1.2))
    colors = plt.cm.tab10.colors
    values = sorted({s.value for s in spans})
    for row, worker in enumerate(rows):
        for s in (s for s in spans if s.worker == worker):
            index = values.index(s.value) if color_by else row
            ax.broken_barh([(s.start, s.duration)], (row - 0.35, 0.7), facecolor=colors[index % len(colors)],
                           edgecolor="white", linewidth=0.6)
    if color_by:
        for i, value in enumerate(values):
            ax.broken_barh([], (0, 0), facecolor=colors[i % len(colors)], label=f"{color_by} {value}")
    for i, w in enumerate(s for s in waits if s.worker in rows):
        ax.broken_barh([(w.start, w.duration)], (rows.index(w.worker) - 0.25, 0.5), facecolor="0.85",
                       edgecolor="0.4", hatch="///", label="waiting" if i == 0 else None)
    by_kind: dict[str, list[tuple[float, int]]] = {}
    for e in marks:
        if e.worker in rows:
            by_kind.setdefault(e.event, []).append((e.t, rows.index(e.worker)))
    for (kind, points), marker in zip(by_kind.items(), "xv^sD"):
        ts, ys = zip(*points)
        ax.scatter(ts, ys, marker=marker, color="black", zorder=3, label=kind)
    if by_kind or waits or color_by:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_xlabel("time since the tracer started (s)")
    ax.grid(axis="x", alpha=0.3)
    return ax


def queue_depth(
    series: dict[str, tuple[Sequence[float], Sequence[int]]],
    maxsize: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Items waiting in a queue over time, one step line per labelled run."""
    ax = _axes(ax)
    for label, (times, depths) in series.items():
        ax.step(times, depths, where="post", label=label)
    if maxsize:
        ax.axhline(maxsize, color="gray", linestyle="--", label=f"maxsize = {maxsize}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("items in the queue")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # items come whole
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


OUTCOME_COLORS = {"finished": "tab:green", "hung": "tab:red", "crashed": "tab:orange"}


def outcomes(runs: dict[str, Outcome], title: str, ax: Axes | None = None) -> Axes:
    """One bar per sandboxed run: how long it took, coloured and labelled by how it ended."""
    ax = _axes(ax, (8, 0.5 + 0.45 * len(runs)))
    names = list(runs)
    ax.barh(names, [runs[n].elapsed for n in names], color=[OUTCOME_COLORS[runs[n].status] for n in names])
    for row, name in enumerate(names):
        ax.annotate(runs[name].status, (runs[name].elapsed, row), xytext=(4, -3), textcoords="offset points",
                    fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds until it finished, crashed, or was stopped")
    ax.set_title(title)
    return ax


def describe(fig: Figure) -> str:
    """What a figure shows, in words: its title, and each panel's title and axis labels.

    The notebooks' text form of every figure (see :func:`describe_figures`), which the
    course's web pages use as the figure's alt text instead of matplotlib's
    ``<Figure size 640x480 with 1 Axes>``.
    """
    panels = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        axes = " against ".join(label for label in (ax.get_ylabel(), ax.get_xlabel()) if label)
        panel = "; ".join(part for part in (ax.get_title(), axes) if part)
        if panel:
            panels.append(panel)
    title = fig.get_suptitle()
    text = ". ".join(part for part in (title, " | ".join(panels)) if part)
    return f"Figure: {text}" if text else "Figure without a title or axis labels"


def describe_figures(shell: object) -> None:
    """Make an IPython shell show figures as :func:`describe` says, on an opaque white background.

    The text is what a notebook stores beside a figure's image (and what the site's ``alt``
    says); the white background keeps black labels readable in JupyterLab's dark theme,
    whatever a matplotlib style or an old inline backend would set.
    """
    # The mime-bundle formatter, not the text/plain one: the inline backend clears every per-type
    # formatter's entry for Figure when it activates -- lazily, at the first figure.
    shell.display_formatter.mimebundle_formatter.for_type(Figure, lambda fig: {"text/plain": describe(fig)})
    plt.rcParams.update({"figure.facecolor": "white", "savefig.facecolor": "white", "savefig.transparent": False})
