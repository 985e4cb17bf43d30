"""Kernels that the course's own tools start (tests, the website build) talk over Unix sockets.

jupyter_client gives a kernel its five TCP ports by binding port 0 and closing
the socket again; the kernel binds them a moment later.  In between, any
process on the machine that binds an ephemeral port -- the course's echo
servers, a Dask cluster, another kernel -- can take one, and the kernel dies
with "Address already in use".  ``make test`` starts dozens of kernels beside
such notebooks, and CI met it.  Unix sockets are files of the kernel's own, in
Jupyter's runtime folder, so nothing else can take them.  (Where there are no
Unix sockets, on Windows, kernels keep TCP.)
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from nbclient import NotebookClient


def socket_file_options() -> dict[str, str]:
    """Keyword arguments for a jupyter_client kernel manager: Unix sockets at a path no other kernel uses.

    The path must be given: by default every IPC kernel started in one folder
    would use ``kernel-ipc-N`` there, the same files.
    """
    if os.name != "posix":
        return {}
    folder = jupyter_runtime_dir()
    os.makedirs(folder, exist_ok=True)
    return {"transport": "ipc", "ip": os.path.join(folder, f"kernel-{uuid.uuid4().hex[:12]}-ipc")}


def run_notebook(nb: nbformat.NotebookNode, folder: Path, timeout: int, allow_errors: bool = False) -> None:
    """Run every cell of ``nb`` in place, in a fresh kernel on Unix sockets started in ``folder``; shut it down after.

    ``timeout`` is per cell, in seconds.  Without ``allow_errors`` the first
    error stops the run with ``nbclient.exceptions.CellExecutionError``.
    """
    kernel = AsyncKernelManager(kernel_name="python3", **socket_file_options())
    NotebookClient(nb, km=kernel, timeout=timeout, allow_errors=allow_errors,
                   resources={"metadata": {"path": str(folder)}}).execute(cleanup_kc=True)  # a km given is kept by default
