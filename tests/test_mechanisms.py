"""The bench command and the mechanisms it measures: complete, and honest."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipclab import comparison, mechanisms
from ipclab.start import start_method

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"os_pipe", "pipe_pickle", "pipe_bytes", "queue", "simple_queue"}


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ipclab", "bench", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_every_mechanism_the_chapters_measure_is_listed():
    done = bench("--list")
    assert done.returncode == 0
    listed = {line.split()[0] for line in done.stdout.splitlines()}
    assert REQUIRED | {"toolkit"} <= listed


@pytest.mark.parametrize("name", sorted(mechanisms.MECHANISMS))
def test_each_mechanism_moves_items_of_each_size(name):
    for size in (8, 70_000):  # one small, one over the pipe's 64 KiB buffer
        seconds = mechanisms.throughput(name, size, count=20, runs=2)
        assert len(seconds) == 2 and all(s > 0 for s in seconds)


def test_the_last_line_is_one_json_object_with_the_figures():
    done = bench("pipe_bytes", "--size", "1024", "--repeats", "3", "--count", "500")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["name"] == "pipe_bytes" and figures["size"] == 1024 and figures["runs"] == 3
    assert figures["min_s"] <= figures["median_s"] <= figures["max_s"]
    assert figures["items_per_s"] == pytest.approx(500 / figures["median_s"], rel=1e-3)
    assert figures["mb_per_s"] == pytest.approx(500 * 1024 / figures["median_s"] / 1e6, rel=1e-2)


def test_an_unknown_mechanism_is_an_error():
    assert bench("nope").returncode == 2
    with pytest.raises(ValueError, match="no mechanism"):
        mechanisms.measure("nope", 8)


def run_json(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **comparison.NO_TRIM}  # see comparison.NO_TRIM
    env.pop("IPCLAB_QUICK", None)  # the full-size figure is the one to hold up
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.serial  # a measurement: nothing else may run beside it
@pytest.mark.parametrize("size", [8, 65536])
@pytest.mark.parametrize("kind", ["os_pipe", "queue"])
def test_the_bench_agrees_with_an_independent_measurement(kind, size):
    """The harness is not the bottleneck: a plain script measuring the same thing agrees within 30%.

    On a shared 2-core machine one pair of runs can land in different modes
    (where the scheduler puts the two processes); the medians must agree in
    one of three pairs, run one right after the other.
    """
    pairs = []
    for _ in range(3):
        ours = json.loads(run_json(["-m", "ipclab", "bench", kind, "--size", str(size)]).stdout.splitlines()[-1])
        theirs = float(run_json([str(comparison.INDEPENDENT), kind, str(size), start_method()]).stdout)
        pairs.append((round(ours["items_per_s"]), round(theirs)))
        if abs(ours["items_per_s"] / theirs - 1) <= 0.30:
            return
    pytest.fail(f"{kind} at {size} B: bench vs independent items/s {pairs}")
