"""Small helpers shared by the tests that start servers."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_page(root: Path, port: int) -> str | None:
    """The address `make lab` in ``root`` opens in the learner's browser, from the file Jupyter Server writes for it."""
    for opener in (root / ".jupyter" / "runtime").glob("jpserver-file-to-run-*-open.html"):
        found = re.search(rf'url=(http://127\.0\.0\.1:{port}/[^"]+)"', opener.read_text())
        if found:
            return found.group(1)
    return None


def start_make_lab(root: Path, port: int, token: str, log: IO[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """``make lab`` in ``root`` with this environment's venv, serving 127.0.0.1:``port``, in a session of its own.

    A learner's terminal delivers Ctrl-C.  A test run started in the
    background (``&`` in a script, as CI may) inherits SIGINT *ignored*, and
    so would make and Jupyter: this process has a handler while make starts,
    so that make starts with SIGINT at its default, as from a terminal.
    """
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    ignoring = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"LAB_ARGS={args}"],
                                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, ignoring)
