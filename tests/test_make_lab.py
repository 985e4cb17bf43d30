"""`make lab` serves the course and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.serial  # beside other tests the server's start drags on
def test_make_lab_serves_the_course_and_stops_on_ctrl_c(tmp_path):
    port, token = free_port(), "ipclab-test-token"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    log = tmp_path / "lab.log"
    # A learner's terminal delivers Ctrl-C. A test run started in the background (`&` in a script, as CI may)
    # inherits SIGINT *ignored*, and so would make and Jupyter: give this process a handler while starting
    # make, so that make starts with SIGINT at its default, as from a terminal.
    ignoring = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, ignoring)
    try:
        status, deadline = None, time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_setup.ipynb?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(0.5)
        assert status == 200, log.read_text()
        while "Use Control-C to stop this server" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # a learner presses Ctrl-C once the server says it is running...
        quiet_since, size = time.monotonic(), log.stat().st_size
        while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
            time.sleep(0.1)  # ...and has stopped printing: a Ctrl-C in the middle of its start-up can be lost
            if log.stat().st_size != size:
                quiet_since, size = time.monotonic(), log.stat().st_size
        members = [proc.pid] + [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make lab still ran 20 s after Ctrl-C:\n{log.read_text()[-3000:]}")
        gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in members if psutil.pid_exists(pid)], timeout=20)
        assert alive == [], f"still running after Ctrl-C: {alive}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
