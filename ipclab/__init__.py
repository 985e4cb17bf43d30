"""ipclab: the toolkit behind the ipc-course notebooks.

Everything that runs in a child process lives here, because a function defined
in a notebook lives in ``__main__`` and cannot be unpickled by a child started
with ``spawn`` or ``forkserver``.  Importing the package is cheap (no plotting
or widget libraries), so it costs a spawned child almost nothing.

Modules:

- :mod:`ipclab.start`    -- the one place that picks the start method.
- :mod:`ipclab.trace`    -- cheap cross-process event recording.
- :mod:`ipclab.bench`    -- repeatable measurements (min/median/max, rates).
- :mod:`ipclab.plots`    -- timelines, queue depth, rate-versus-parameter plots.
- :mod:`ipclab.sandbox`  -- run code that may hang or crash, and clean up.
- :mod:`ipclab.cleanup`  -- find and stop child processes left behind.
- :mod:`ipclab.checks`   -- lab checks and ``python -m ipclab check``;
  :mod:`ipclab.labchecks` holds each lab's exercises.
- :mod:`ipclab.labmaker` -- makes ``labs/`` from ``solutions/`` (``make labs``).
- :mod:`ipclab.widgets`  -- a base for explorers that re-run real experiments.
- :mod:`ipclab.listing`  -- show a worker's source in a notebook.
- the chapters' workers: :mod:`ipclab.workers.processes` (01), :mod:`ipclab.workers.queues`
  (02) and :mod:`ipclab.workers.kitchen` (the cooks and diners of 02-04).
"""

from ipclab.start import context, start_method

__all__ = ["context", "start_method"]
