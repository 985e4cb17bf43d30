"""The JupyterLab that `make lab` starts, on a copy of the course, and headless Chromium driven by Playwright.

The server is `make lab` itself -- the same root (the project folder), the
same settings and config, the same command line -- run in a temporary copy of
the checkout's files (so that saving an executed notebook never touches the
committed ones) with this environment's ``.venv``, on 127.0.0.1, a free port
and a random token.  The page a learner's browser opens is read from the file
Jupyter Server writes for it.  At the end the kernels are shut down through
the server's API, the server is stopped with Ctrl-C as a learner stops it,
and the test fails if any process is left, or a semaphore, shared memory
block or multiprocessing temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from ipclab.cleanup import ipc_names, remove_ipc_names
from tests.support import first_page, free_port, start_make_lab

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server and the folder it serves."""

    url: str
    token: str
    root: Path
    first_page: str  # the address `make lab` opens in the learner's browser

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"


def copy_of_the_course(into: Path) -> None:
    """The checkout's files (those git knows), with their times: the copy's ``.venv`` stamp stays valid."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
    for name in filter(None, listed.decode().split("\0")):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("course")
    copy_of_the_course(root)
    shutil.copy(ROOT / "tests" / "fixtures" / "broken_widget.ipynb", root / "broken_widget.ipynb")
    before = ipc_names()
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_path_factory.mktemp("jupyter") / "server.log"
    log = open(log_path, "w")
    # As a learner's shell starts it: without pytest's PYTEST_CURRENT_TEST, which makes ipykernel stop
    # forwarding what child processes print (the chapters say what a learner sees, not what a test run sees).
    learner_env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    server = start_make_lab(root, port, token, log, env={**learner_env, "IPCLAB_QUICK": "1"})
    served = Lab(f"http://127.0.0.1:{port}", token, root, "")
    deadline = time.monotonic() + 90
    while True:
        try:
            served.api("GET", "status")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make lab did not start JupyterLab:\n{log_path.read_text()[-3000:]}") from None
            time.sleep(0.3)
    first = first_page(root, port)
    if first is None:
        raise RuntimeError(f"make lab opens no page:\n{log_path.read_text()[-3000:]}")
    served = Lab(served.url, token, root, first)
    try:
        yield served
    finally:
        for kernel in served.api("GET", "kernels") or []:
            served.api("DELETE", f"kernels/{kernel['id']}")
        family = [server.pid] + [p.pid for p in psutil.Process(server.pid).children(recursive=True)]
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in the learner's terminal
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        _, alive = psutil.wait_procs([psutil.Process(p) for p in family if psutil.pid_exists(p)], timeout=10)
        for proc in alive:
            proc.kill()
        assert not alive, f"processes left after stopping JupyterLab: {alive}"
        left = ipc_names(grace=3.0, besides=before)  # explorers were moved after each notebook's last cell
        remove_ipc_names(left)
        assert not left, f"left behind by the kernels: {sorted(left)}"


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("no Chromium found: run `make chromium` or set CHROMIUM=/path/to/chrome")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()
