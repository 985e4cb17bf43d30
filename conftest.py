"""Guards for every pytest run of this project, notebooks included.

After the last cell of each notebook, the run fails if the notebook took
longer than its budget in quick mode (60 s), if it left a named semaphore or
shared-memory block in ``/dev/shm`` or a multiprocessing temporary folder
(``pymp-*``, removing them), if its kernel still listens on a port it did not
listen on before the first cell (a server left running), and (killing them) if a
child process is still alive:

- before nbval shuts the kernel down, among the kernel's descendants -- a
  notebook must clean up after itself, even though jupyter_client would kill
  the kernel's process group a moment later;
- after the shutdown, among this process's descendants -- for processes that
  left the kernel's process group (a new session, like the sandbox's).  This
  process is made a "child subreaper" (Linux) so that such orphans are
  re-parented to pytest instead of init, where they can be seen.

nbval kills the kernel's process group, resource tracker included, so a
notebook must release its named IPC resources itself (its last cell calls
``ipclab.cleanup.release_ipc``), as it must when JupyterLab shuts it down:
ipykernel kills every child in its group on shutdown, the tracker too.
"""

from __future__ import annotations

import ctypes
import sys
import time

import psutil
import pytest

from ipclab.bench import quick
from ipclab.cleanup import describe, ipc_names, kill, leftover_children, listening_sockets, remove_ipc_names

PR_SET_CHILD_SUBREAPER = 36
QUICK_NOTEBOOK_BUDGET = 60.0  # seconds for a whole notebook with IPCLAB_QUICK=1
_started: dict[str, float] = {}
_shm_before: dict[str, set[str]] = {}
_listening_before: dict[str, set[tuple[str, int]]] = {}


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _kernel_pid(item: pytest.Item) -> int | None:
    process = getattr(getattr(getattr(getattr(item.parent, "kernel", None), "km", None), "provisioner", None), "process", None)
    return getattr(process, "pid", None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    first_cell = item.path.suffix == ".ipynb" and item.parent.nodeid not in _started
    if first_cell:
        _started[item.parent.nodeid] = time.monotonic()
        _shm_before[item.parent.nodeid] = ipc_names()
    yield  # nbval starts the kernel here, before the first cell
    kernel = _kernel_pid(item) if first_cell else None
    if kernel and psutil.pid_exists(kernel):
        _listening_before[item.parent.nodeid] = listening_sockets(kernel)  # the kernel's own ZeroMQ ports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    last_cell = item.path.suffix == ".ipynb" and (nextitem is None or nextitem.parent is not item.parent)
    left: list[psutil.Process] = []
    kernel = _kernel_pid(item) if last_cell else None
    servers: set[tuple[str, int]] = set()
    if kernel and psutil.pid_exists(kernel):
        left = leftover_children(grace=3.0, pid=kernel)
        servers = listening_sockets(kernel) - _listening_before.pop(item.parent.nodeid, set())
    text = describe(left)  # now, while they still run
    yield
    if last_cell:
        escaped = leftover_children(grace=3.0)
        text = "\n".join(filter(None, [text, describe(escaped)]))
        kill(left + escaped)
        if left or escaped:
            count = len(left) + len(escaped)
            pytest.fail(f"{item.parent.name} left {count} process(es) running:\n{text}", pytrace=False)
        if servers:
            pytest.fail(f"{item.parent.name} left a server listening on {sorted(servers)}", pytrace=False)
        leaked = ipc_names(grace=3.0, besides=_shm_before.pop(item.parent.nodeid, set()))
        if leaked:
            remove_ipc_names(leaked)
            pytest.fail(f"{item.parent.name} left {len(leaked)} name(s) behind: {', '.join(sorted(leaked))}",
                        pytrace=False)
        took = time.monotonic() - _started.pop(item.parent.nodeid, time.monotonic())
        if quick() and took > QUICK_NOTEBOOK_BUDGET:
            pytest.fail(f"{item.parent.name} took {took:.0f} s, over the {QUICK_NOTEBOOK_BUDGET:.0f} s budget "
                        "of a notebook in quick mode: scale its sizes with bench.scaled()", pytrace=False)
