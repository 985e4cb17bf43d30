"""The notebook guard in conftest.py fails a notebook that leaves a process, or a name in /dev/shm, behind.

Each fixture notebook runs in a pytest run of its own, given a machine lock
of its own as `make test` gives one: the guard then counts only the
semaphores that carry the notebook's tag, so these tests can run beside
others that make semaphores too.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from ipclab.cleanup import SHM

ROOT = Path(__file__).resolve().parent.parent
# Each test is a pytest run of a notebook, seconds long, that holds make test's machine lock meanwhile (a cell that must
# run alone then waits for it): they test the harness, not the course, so they run in the full run.
pytestmark = pytest.mark.full


@pytest.fixture
def run_notebook(tmp_path):
    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
             "--share-machine", str(tmp_path / "machine.lock"), f"tests/fixtures/{name}"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )
    return run


def test_a_notebook_that_leaks_a_daemon_fails_the_run(run_notebook):
    done = run_notebook("leaks_a_daemon.ipynb")
    assert done.returncode == 1, done.stdout
    assert "leaks_a_daemon.ipynb left 1 process(es) running" in done.stdout
    assert "processes.nap" not in done.stdout or "pid" in done.stdout


@pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm here")
def test_a_notebook_that_leaves_a_semaphore_in_dev_shm_fails_the_run(run_notebook):
    done = run_notebook("leaks_a_semaphore.ipynb")
    assert done.returncode == 1, done.stdout
    assert "leaks_a_semaphore.ipynb left 1 name(s) behind: /dev/shm/sem.mp-" in done.stdout


@pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm here")
def test_release_ipc_leaves_nothing_in_dev_shm(run_notebook):
    done = run_notebook("releases_a_semaphore.ipynb")
    assert done.returncode == 0, done.stdout


def test_a_notebook_that_leaves_a_server_listening_fails_the_run(run_notebook):
    done = run_notebook("leaks_a_server.ipynb")
    assert done.returncode == 1, done.stdout
    assert "leaks_a_server.ipynb left a server listening on [('127.0.0.1'," in done.stdout
