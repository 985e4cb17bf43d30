"""A JupyterLab server on a copy of the course, and headless Chromium driven by Playwright.

The server runs on 127.0.0.1, a free port and a random token, from the
project's environment, with a project-local settings folder (no news pop-up,
every cell kept in the page).  It serves a temporary copy of the notebooks,
so saving an executed notebook never touches the committed ones.  At the end
the kernels are shut down through the server's API, the server is stopped by
its pid, and the test fails if any process is left, or a semaphore, shared
memory block or multiprocessing temporary folder.
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
from ipclab.course import jupyter_config
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server and the folder it serves."""

    url: str
    token: str
    root: Path

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("course")
    for folder in ("notebooks", "labs"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "tests" / "fixtures" / "broken_widget.ipynb", root / "broken_widget.ipynb")
    state = tmp_path_factory.mktemp("jupyter")
    for name, values in SETTINGS.items():
        (state / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (state / "settings" / name).write_text(json.dumps(values))
    jupyter_config(state / "config", "learner")  # what `make lab` gives a learner
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               IPCLAB_QUICK="1")
    before = ipc_names()
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(state / "server.log", "w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    served = Lab(f"http://127.0.0.1:{port}", token, root)
    deadline = time.monotonic() + 60
    while True:
        try:
            served.api("GET", "status")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start; see {state / 'server.log'}") from None
            time.sleep(0.3)
    try:
        yield served
    finally:
        for kernel in served.api("GET", "kernels") or []:
            served.api("DELETE", f"kernels/{kernel['id']}")
        family = [server.pid] + [p.pid for p in psutil.Process(server.pid).children(recursive=True)]
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
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
