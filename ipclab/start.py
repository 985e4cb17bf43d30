"""Pick the start method for the whole course in one place.

Set ``IPCLAB_START_METHOD`` to ``fork``, ``spawn`` or ``forkserver`` to run
every example under that method; leave it unset for the platform's default
(``fork`` on Linux up to Python 3.13, ``forkserver`` from 3.14, ``spawn`` on
macOS and Windows).  Every example takes its ``Process``, ``Queue``, ``Pipe``,
``Pool``... from :func:`context`, never from the global ``multiprocessing``
functions, so the choice is honoured everywhere without touching the global
default (which may only be set once per process).
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext

ENV_VAR = "IPCLAB_START_METHOD"
TAG_VAR = "IPCLAB_IPC_TAG"


def available_methods() -> list[str]:
    """The start methods this platform supports, the default first."""
    return multiprocessing.get_all_start_methods()


def start_method() -> str:
    """The start method the course uses: ``$IPCLAB_START_METHOD`` or the default.

    Raises ``ValueError`` naming the valid choices when the variable holds a
    method this platform does not have (a typo should not silently fall back).
    """
    methods = available_methods()
    chosen = os.environ.get(ENV_VAR, "").strip() or methods[0]
    if chosen not in methods:
        raise ValueError(f"{ENV_VAR}={chosen!r} is not a start method here; choose one of {methods}")
    return chosen


def context(method: str | None = None) -> BaseContext:
    """A multiprocessing context for ``method`` (default: :func:`start_method`).

    Use it exactly like the ``multiprocessing`` module: ``mp = context()``,
    then ``mp.Process``, ``mp.Queue``, ``mp.Pool``...
    """
    return multiprocessing.get_context(method or start_method())


def tag_ipc_names(tag: str) -> None:
    """Name the semaphores this process creates ``/dev/shm/sem.mp-<tag>-...``, and so those of its children.

    A test run that executes notebooks and tests side by side gives each one
    a tag (children inherit it through :data:`TAG_VAR`, which ``import
    ipclab`` reads), so that a name left behind is traced to what left it.
    """
    os.environ[TAG_VAR] = tag
    multiprocessing.current_process()._config["semprefix"] = f"/mp-{tag}"  # type: ignore[attr-defined]
