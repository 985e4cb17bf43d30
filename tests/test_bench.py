import itertools

import pytest

from ipclab import bench


def test_measure_uses_the_time_a_trial_reports():
    times = iter([99.0, 3.0, 1.0, 2.0])  # the first is the warm-up
    m = bench.measure(lambda: next(times), label="x", items=10, repeats=3, self_timed=True)
    assert m.seconds == (3.0, 1.0, 2.0)
    assert (m.min, m.median, m.max) == (1.0, 2.0, 3.0)
    assert m.rate == 5.0
    assert m.rate_range == (10 / 3, 10.0)


def test_measure_times_the_call_and_ignores_what_it_returns():
    m = bench.measure(lambda: 5e9, repeats=4, warmup=0)
    assert len(m.seconds) == 4 and 5e9 not in m.seconds and all(s >= 0 for s in m.seconds)


def test_budget_stops_the_repeats_early():
    import time

    calls = itertools.count()
    m = bench.measure(lambda: (next(calls), time.sleep(0.05))[1], repeats=100, warmup=0, budget=0.12)
    assert 1 <= len(m.seconds) <= 3  # each run sleeps 0.05 s: three have used up 0.12 s


def test_bandwidth_is_megabytes_per_second():
    m = bench.Measurement("copy", (0.5,), items=1, nbytes=10_000_000)
    assert m.bandwidth == pytest.approx(20.0)
    assert "20.0 MB/s" in str(m)


@pytest.mark.parametrize("value, quick, expected", [("", False, 100), ("0", False, 100), ("1", True, 5)])
def test_quick_mode_only_scales_sizes(monkeypatch, value, quick, expected):
    monkeypatch.setenv("IPCLAB_QUICK", value)
    assert bench.quick() is quick
    assert bench.scaled(100, 5) == expected


@pytest.mark.parametrize("seconds, text", [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (4e-6, "4 us"), (3e-8, "30 ns")])
def test_format_seconds(seconds, text):
    assert bench.format_seconds(seconds) == text
