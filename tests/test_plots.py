import re

import matplotlib

matplotlib.use("Agg")

from ipclab import plots  # noqa: E402
from ipclab.bench import Measurement  # noqa: E402
from ipclab.trace import Event, Span  # noqa: E402


def test_compare_draws_median_bars_with_min_max_whiskers():
    ms = [Measurement("fork", (0.001, 0.002, 0.003)), Measurement("spawn", (0.04, 0.05, 0.09))]
    ax = plots.compare(ms)
    assert [round(b.get_height(), 6) for b in ax.patches] == [0.002, 0.05]
    assert "time" in ax.get_ylabel() and "min-max of 3 runs" in ax.get_ylabel()
    assert [t.get_text() for t in ax.texts] == ["2 ms", "50 ms"]


def test_compare_writes_times_with_their_units_on_a_log_axis_and_wraps_long_labels():
    ms = [Measurement("pickled Queue of a large array", (0.3, 0.321, 0.4)),
          Measurement("shared memory", (0.0002, 0.0003, 0.0004))]
    ax = plots.compare(ms, "seconds", logy=True)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.texts] == ["321 ms", "300 us"]
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"[\d.]+ (ns|us|ms|s)", t) for t in ticks), ticks
    assert all(len(line) <= 14 for t in ax.get_xticklabels() for line in t.get_text().splitlines())


def test_versus_plots_rates_against_a_parameter():
    ms = [Measurement(str(n), (1.0, 2.0), items=n) for n in (1, 2, 4)]
    ax = plots.versus([1, 2, 4], ms, metric="rate", xlabel="workers")
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == [n / 1.5 for n in (1, 2, 4)]
    assert ax.get_xlabel() == "workers" and "items/s" in ax.get_ylabel()


def test_timeline_has_a_row_per_worker_and_marks():
    spans = [Span("a", 0.0, 1.0, 0), Span("b", 0.5, 2.0, 0)]
    ax = plots.timeline(spans, marks=[Event("a", "sentinel", 1.0, 0)])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_legend().get_texts()[0].get_text() == "sentinel"
    assert "(s)" in ax.get_xlabel()


def test_timeline_can_colour_bars_by_who_served_them():
    spans = [Span("client 0", 0.0, 1.0, 11), Span("client 1", 0.0, 1.0, 22), Span("client 2", 1.0, 2.0, 11)]
    ax = plots.timeline(spans, color_by="pid")
    colours = [tuple(c.get_facecolor()[0]) for c in ax.collections if len(c.get_paths())]
    assert colours[0] == colours[2] != colours[1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["pid 11", "pid 22"]


def test_queue_depth_shows_maxsize():
    ax = plots.queue_depth({"fast producer": ([0, 1, 2], [0, 3, 3])}, maxsize=3)
    assert ax.get_ylabel() == "items in the queue"
    assert any(line.get_label() == "maxsize = 3" for line in ax.get_lines())


def test_runs_shows_every_repeat_and_the_median():
    m = Measurement("start", (0.002, 0.004, 0.003))
    ax = plots.runs(m)
    assert list(ax.get_lines()[0].get_ydata()) == [2.0, 4.0, 3.0]
    assert ax.get_ylabel() == "time (ms)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["one run", "max 4 ms", "median 3 ms", "min 2 ms"]
    assert not ax.texts, "no label is drawn across the frame: they are in the legend beside it"


def test_rates_are_labelled_with_si_prefixes():
    ms = [Measurement("Queue", (0.1,), items=23_512), Measurement("SimpleQueue", (0.1,), items=24_058)]
    ax = plots.compare(ms, metric="rate")
    assert [t.get_text() for t in ax.texts] == ["235k", "241k"]
