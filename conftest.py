"""Guards for every pytest run of this project, notebooks included.

After the last cell of each notebook, the run fails if it left a named semaphore or
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

Each test and each notebook gets a tag, and the semaphores its processes
create carry it in their names (``ipclab.start.tag_ipc_names``): after each
test, the run fails if one of its own is left -- after 10 s, for a resource
tracker that has to unlink them is a process of its own, and on a busy machine
it can wait seconds for a core.

``--share-machine LOCKFILE`` lets several pytest runs share the machine (``make
test`` runs the unit tests and lab checks beside one notebook run per start
method): every test and every notebook cell holds a shared lock on LOCKFILE
while it runs, and the ones whose claims are timings or that watch the whole
machine -- tests marked ``serial``, cells whose metadata says ``"ipclab":
{"alone": ...}`` -- hold it exclusively, so they run alone.  While notebooks
run side by side, the guard counts only the semaphores of the notebook's own
processes; ``make test`` checks /dev/shm and the temporary folder as a whole
at the end.

nbval's kernels talk over Unix sockets, not TCP ports, which a notebook beside
them binding an ephemeral port could take between the port's choice and the
kernel's bind (``ipclab.kernels``).

How long each notebook took is a measurement, not a verdict: the terminal
summary lists the notebooks slowest first, with the time their cells spent
waiting for the machine lock (left out of their own time), and
``--notebook-times FILE`` appends one JSON line per notebook to FILE for
``tests/run.py``, which reports them (and, for ``make budget``, compares them
with the quick-mode budget).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import time

import nbval.kernel
import psutil
import pytest
from jupyter_client.manager import KernelManager

from ipclab.cleanup import become_subreaper, describe, ipc_names, kill, leftover_children, listening_sockets, remove_ipc_names
from ipclab.kernels import socket_file_options
from ipclab.start import tag_ipc_names

_started: dict[str, float] = {}
_shm_before: dict[str, set[str]] = {}
_listening_before: dict[str, set[tuple[str, int]]] = {}
_tags = (f"{os.getpid() % 46656:x}{n}" for n in itertools.count())  # short: names have a length limit on macOS
_waited: dict[str, float] = {}  # by notebook: seconds its cells waited for the machine lock
_tag: dict[str, str] = {}  # by notebook or test: the tag of the semaphores it creates
_took: dict[str, tuple[float, float]] = {}  # by notebook: (its own seconds, seconds waited for the machine lock)


class MachineLock:
    """A readers-writer lock between processes, on two files, that does not starve its writers.

    ``hold(alone)`` takes it shared, or exclusively when ``alone``.  Every
    taker passes a gate first, and a writer keeps the gate until it holds the
    lock: readers who arrive while a writer waits queue behind it.
    """

    def __init__(self, path: str) -> None:
        self.gate = os.open(path + ".gate", os.O_CREAT | os.O_RDWR)
        self.lock = os.open(path, os.O_CREAT | os.O_RDWR)
        self.waited = 0.0  # seconds this process spent waiting for it

    def hold(self, alone: bool) -> None:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:  # never keep the gate: everyone else would wait behind it forever
            fcntl.flock(self.gate, fcntl.LOCK_UN)

    def release(self) -> None:
        fcntl.flock(self.lock, fcntl.LOCK_UN)


_machine: MachineLock | None = None
_kept = False  # the lock is still held exclusively from the cell before


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--share-machine", metavar="LOCKFILE",
                     help="run beside other pytest runs given the same file: tests marked serial and notebooks "
                          "marked alone run alone")
    parser.addoption("--notebook-times", metavar="FILE",
                     help="append each notebook's time (and its wait for the machine lock) to FILE as JSON lines")
    parser.addoption("--notebook-outputs", metavar="FILE",
                     help="append the text each notebook cell printed to FILE as JSON lines (the troubleshooting "
                          "index is checked against it)")


def _socket_file_kernel_manager(**options) -> KernelManager:
    """nbval's kernel manager, with its kernel on Unix sockets (``ipclab.kernels`` says why)."""
    return KernelManager(**options, **socket_file_options())


def pytest_configure(config: pytest.Config) -> None:
    global _machine
    become_subreaper()
    nbval.kernel.KernelManager = _socket_file_kernel_manager  # nbval's start_new_kernel looks the name up there
    if config.getoption("--share-machine"):
        _machine = MachineLock(config.getoption("--share-machine"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if _took:
        terminalreporter.write_sep("-", "notebooks, slowest first (seconds of their own, and waiting beside others)")
        for name, (took, waited) in sorted(_took.items(), key=lambda kv: -kv[1][0]):
            terminalreporter.write_line(f"{took:6.1f} s  {name}" + (f"  (waited {waited:.0f} s)" if waited >= 0.5 else ""))
    if _machine and _machine.waited:  # (with pytest-xdist, the workers wait, not the process that reports)
        terminalreporter.write_line(f"waited {_machine.waited:.0f} s for the machine lock (runs beside this one)")


def _runs_alone(item: pytest.Item) -> bool:
    if item.path.suffix == ".ipynb":
        return bool(item.cell.get("metadata", {}).get("ipclab", {}).get("alone"))
    return item.get_closest_marker("serial") is not None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Hold the machine lock around each test and each notebook cell: exclusively if it runs alone.

    Per cell, not per notebook, so that a cell that must run alone waits for
    the cells running beside it, not for whole notebooks; consecutive cells
    that run alone keep it from one to the next.  Outermost (``tryfirst``),
    so that waiting for the lock is not counted in a test's timeout:
    pytest-timeout starts its clock in this hook too.
    """
    global _kept
    if _machine and not _kept:
        t0 = time.monotonic()
        _machine.hold(_runs_alone(item))
        waited = time.monotonic() - t0
        _machine.waited += waited
        if item.path.suffix == ".ipynb" and item.parent.nodeid in _started:  # waiting for others is not its own time
            _waited[item.parent.nodeid] = _waited.get(item.parent.nodeid, 0.0) + waited
    try:
        yield
    finally:
        _kept = (_machine is not None and nextitem is not None and nextitem.path.suffix == ".ipynb"
                 and nextitem.parent is item.parent and _runs_alone(item) and _runs_alone(nextitem))
        if _machine and not _kept:
            _machine.release()


def _record_outputs(item: pytest.Item, path: str) -> None:
    """Append what the cell printed (streams, plain-text results, errors) to ``path``: one JSON line."""
    texts = []
    for output in getattr(item, "test_outputs", None) or []:
        if output.get("output_type") == "stream":
            texts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            texts.append(f"{output.get('ename')}: {output.get('evalue')}")
        else:
            texts.append(output.get("data", {}).get("text/plain", ""))
    line = json.dumps({"notebook": item.path.name, "cell": item.cell.get("id"), "text": "".join(texts)}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:  # one write() of the whole line: appends of other xdist workers cannot come between its parts
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _kernel_pid(item: pytest.Item) -> int | None:
    process = getattr(getattr(getattr(getattr(item.parent, "kernel", None), "km", None), "provisioner", None), "process", None)
    return getattr(process, "pid", None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    notebook = item.path.suffix == ".ipynb"
    first_cell = notebook and item.parent.nodeid not in _started
    if first_cell:
        _started[item.parent.nodeid] = time.monotonic()
        _shm_before[item.parent.nodeid] = ipc_names()
    if first_cell or not notebook:  # the kernel, or the test's processes, inherit the tag
        _tag[item.parent.nodeid if notebook else item.nodeid] = tag = next(_tags)
        tag_ipc_names(tag)
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
    if item.path.suffix == ".ipynb" and item.config.getoption("--notebook-outputs"):
        _record_outputs(item, item.config.getoption("--notebook-outputs"))
    yield
    if item.path.suffix != ".ipynb":
        leaked = ipc_names(grace=10.0, tag=_tag.pop(item.nodeid))
        if leaked:
            remove_ipc_names(leaked)
            pytest.fail(f"{item.name} left {len(leaked)} name(s) behind: {', '.join(sorted(leaked))}", pytrace=False)
    if last_cell:
        waited = _waited.pop(item.parent.nodeid, 0.0)
        took = time.monotonic() - _started.pop(item.parent.nodeid, time.monotonic()) - waited
        _took[item.parent.nodeid] = (took, waited)
        if item.config.getoption("--notebook-times"):  # now: with pytest-xdist, a worker's summary is never shown
            with open(item.config.getoption("--notebook-times"), "a") as out:  # one short append: atomic
                out.write(json.dumps({"notebook": item.parent.nodeid, "seconds": round(took, 2),
                                      "waited": round(waited, 2),
                                      "start_method": os.environ.get("IPCLAB_START_METHOD", "default")}) + "\n")
        escaped = leftover_children(grace=3.0)
        text = "\n".join(filter(None, [text, describe(escaped)]))
        kill(left + escaped)
        if left or escaped:
            count = len(left) + len(escaped)
            pytest.fail(f"{item.parent.name} left {count} process(es) running:\n{text}", pytrace=False)
        if servers:
            pytest.fail(f"{item.parent.name} left a server listening on {sorted(servers)}", pytrace=False)
        tag = _tag.pop(item.parent.nodeid)
        leaked = ipc_names(grace=10.0, besides=_shm_before.pop(item.parent.nodeid, set()),
                           tag=tag if _machine else None)  # beside others, only its own semaphores are its
        if leaked:
            remove_ipc_names(leaked)
            pytest.fail(f"{item.parent.name} left {len(leaked)} name(s) behind: {', '.join(sorted(leaked))}",
                        pytrace=False)
