"""The bench command and the mechanisms it measures: complete, and honest."""

import ast
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ipclab import comparison, mechanisms

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"os_pipe", "pipe_pickle", "pipe_bytes", "queue", "simple_queue"}


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ipclab", "bench", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


@pytest.mark.parametrize("args, says", [
    (["queue", "--size", "-1"], "a payload is at least 1 byte"),
    (["queue", "--size", "0"], "a payload is at least 1 byte"),
    (["queue", "--size", "1000000000000"], "more than this machine can move now"),
    (["shared_memory", "--size", "1000000000000"], "more than this machine can move now"),
    (["queue", "--repeats", "0"], "at least one timed run"),
])
def test_a_size_the_machine_cannot_do_is_refused_in_one_line(args, says):
    done = bench(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and says in done.stderr, done.stderr


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


def test_a_round_trip_and_a_batch_are_measured():
    latency = mechanisms.measure_latency("pipe_bytes", 64, repeats=2, rounds=50)
    assert latency.items == 50 and len(latency.seconds) == 2 and latency.median > 0
    batched = mechanisms.measure("simple_queue", 8, repeats=1, count=1000, batch=100)
    assert batched.items == 1000 and "100 per message" in batched.label


def test_a_batch_is_one_bytes_string_or_a_list_of_separate_objects():
    assert mechanisms.message("os_pipe", 8, 10) == bytes(80)
    batch = mechanisms.message("queue", 8, 10)
    assert len(batch) == 10 and len({id(item) for item in batch}) == 10  # pickle would write one object once


def test_the_independent_script_shares_no_code_with_the_course():
    tree = ast.parse(comparison.INDEPENDENT.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"multiprocessing", "os", "select", "statistics", "sys", "time"}


@pytest.mark.full  # it runs the whole comparison
def test_bench_compare_writes_a_table_csv_and_figure_and_holds_itself_to_the_independent_script(tmp_path):
    """The exit status says whether raw os.pipe and Queue at 8 B and 64 KiB agreed with the independent script.

    Whether they agree is a measurement, asserted where nothing runs beside it
    (chapter 10's check cell, through the same ``comparison.agree``); here the
    command may run beside other tests, so only its report is held to its status.
    """
    done = subprocess.run([sys.executable, "-m", "ipclab", "bench", "compare", "--size", "8", "--repeats", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "IPCLAB_QUICK": "1"})
    assert done.returncode in (0, 1), done.stderr[-2000:]
    [folder] = tmp_path.iterdir()
    rows = list(csv.DictReader(open(folder / "comparison.csv")))
    assert {(r["mechanism"], r["kind"]) for r in rows} == {(m, k) for m in mechanisms.MECHANISMS for k in comparison.KINDS}
    assert (folder / "comparison.png").stat().st_size > 10_000
    report = (folder / "README.txt").read_text()
    checks = re.findall(r"cross-check .*items/s (.*)", report)
    assert len(checks) == 4 and "Many small messages" in report
    last_pairs = [[float(x.replace(",", "")) for x in line.split(", ")[-1].split(" vs ")] for line in checks]
    agreed = all(abs(ours / theirs - 1) <= 0.30 for ours, theirs in last_pairs)
    assert done.returncode == (0 if agreed else 1), report
