"""`make lab` serves the project folder, opens chapter 00, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.support import first_page, free_port, start_make_lab

ROOT = Path(__file__).resolve().parent.parent


def get(url: str, token: str) -> int:
    """The HTTP status of ``url`` on the server."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.serial  # beside other tests the server's start drags on
@pytest.mark.full  # make test-all also runs the browser test against make lab
def test_make_lab_serves_the_course_and_stops_on_ctrl_c(tmp_path):
    port, token = free_port(), "ipclab-test-token"
    log = tmp_path / "lab.log"
    proc = start_make_lab(ROOT, port, token, log.open("w"))
    try:
        status, deadline = None, time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            try:
                status = get(f"http://127.0.0.1:{port}/api/status", token)
            except OSError:
                time.sleep(0.5)
        assert status == 200, log.read_text()
        # The project folder is the root: chapters, labs and the README are all in the file browser.
        for path in ("notebooks/00_setup.ipynb", "labs/lab03.ipynb", "README.md"):
            assert get(f"http://127.0.0.1:{port}/api/contents/{path}", token) == 200, f"{path} is not served"
        opened = first_page(ROOT, port)
        assert opened and opened.startswith(f"http://127.0.0.1:{port}/lab/tree/notebooks/00_setup.ipynb"), opened
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
