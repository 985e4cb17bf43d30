"""The notebook guard in conftest.py fails a notebook that leaves a process behind."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_notebook_that_leaks_a_daemon_fails_the_run():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "tests/fixtures/leaks_a_daemon.ipynb"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert done.returncode == 1, done.stdout
    assert "leaks_a_daemon.ipynb left 1 process(es) running" in done.stdout
    assert "processes.nap" not in done.stdout or "pid" in done.stdout
