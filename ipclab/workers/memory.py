"""The example workers of chapter 06b (shared memory in practice): one big read-only dataset for many workers.

A worker does one thing to the data -- nothing, a garbage collection, a read
of every row -- and then waits, so that the parent can measure its private
memory (USS: pages only this process has, those it was given or copied).
"""

from __future__ import annotations

import gc
import os
from multiprocessing import shared_memory
from multiprocessing.context import BaseContext
from typing import Any

import numpy as np
import psutil

ROWS: list[list] | None = None  # the parent sets it before forking: a dataset of Python objects
ARRAY: np.ndarray | None = None  # the same as one numpy array


def make_rows(n: int) -> list[list]:
    """``n`` rows of Python objects, as rows read from a CSV file are: lists, which the collector always tracks."""
    return [[i, float(i)] for i in range(n)]


def use_data(how: str, ready, go, array: np.ndarray | None = None, block: str | None = None, length: int = 0) -> None:
    """Do ``how`` to the data, say so on ``ready``, and wait for ``go`` while the parent measures this process.

    ``how``: "nothing", "gc" (a full garbage collection), "read rows" (every
    row of :data:`ROWS`), "read array" (the sum of ``array`` if given, of the
    ``length`` floats in the shared memory ``block`` if named, else of :data:`ARRAY`).
    """
    shm = shared_memory.SharedMemory(name=block) if block else None
    if how == "gc":
        gc.collect()
    elif how == "read rows":
        sum(row[0] for row in ROWS)
    elif how == "read array":
        if shm:
            array = np.ndarray((length,), dtype=np.float64, buffer=shm.buf)
        (ARRAY if array is None else array).sum()
    ready.put(os.getpid())
    go.wait(60)
    del array  # a view of the block must go before the block can be closed
    if shm:
        shm.close()


def private_mb(ctx: BaseContext, how: str, **data: Any) -> dict[str, float]:
    """Start a ``ctx`` worker that does ``how`` (:func:`use_data`); its USS and PSS in MB while it waits.

    PSS counts each shared page divided by the processes sharing it.
    """
    ready, go = ctx.Queue(), ctx.Event()
    worker = ctx.Process(target=use_data, args=(how, ready, go), kwargs=data)
    worker.start()
    try:
        pid = ready.get(timeout=60)
        info = psutil.Process(pid).memory_full_info()
        return {"uss": info.uss / 1e6, "pss": info.pss / 1e6}
    finally:
        go.set()
        worker.join(timeout=30)


def attach_in_a_script(name: str, fixed: bool) -> str:
    """A script that attaches to the block ``name``, reads a byte and closes it -- and, if ``fixed``, tells its
    resource tracker to keep its hands off (``track=False`` from 3.13, ``unregister`` before)."""
    attach = ("shared_memory.SharedMemory(name=NAME, track=False) if sys.version_info >= (3, 13) else "
              "shared_memory.SharedMemory(name=NAME)") if fixed else "shared_memory.SharedMemory(name=NAME)"
    unregister = ("if sys.version_info < (3, 13):\n"
                  "    from multiprocessing import resource_tracker\n"
                  "    resource_tracker.unregister(shm._name, 'shared_memory')  # private: 3.13 has track=False\n"
                  if fixed else "")
    return (f"import sys\nfrom multiprocessing import shared_memory\nNAME = {name!r}\n"
            f"shm = {attach}\n{unregister}print('read', shm.buf[0])\nshm.close()\n")
