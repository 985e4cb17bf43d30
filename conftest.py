"""Guards for every pytest run of this project, notebooks included.

This process becomes a "child subreaper" (Linux), so a process orphaned by a
notebook -- a daemon left running when nbval kills the kernel -- is re-parented
to pytest instead of init, where :func:`ipclab.cleanup.leftover_children` can
see it.  After the last cell of each notebook (the kernel is gone by then) the
hook below fails the run if any child process is still alive, and kills it.
"""

from __future__ import annotations

import ctypes
import sys

import pytest

from ipclab.cleanup import describe, kill, leftover_children

PR_SET_CHILD_SUBREAPER = 36


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    yield
    last_cell = item.fspath.ext == ".ipynb" and (nextitem is None or nextitem.parent is not item.parent)
    if last_cell:
        left = leftover_children(grace=5.0)
        if left:
            text = describe(left)
            kill(left)
            pytest.fail(f"{item.parent.name} left {len(left)} process(es) running:\n{text}", pytrace=False)
