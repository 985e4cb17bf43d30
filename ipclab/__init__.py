"""ipclab: the toolkit behind the ipc-course notebooks.

Everything that runs in a child process lives here, because a function defined
in a notebook lives in ``__main__`` and cannot be unpickled by a child started
with ``spawn`` or ``forkserver``.  Importing the package is cheap (no plotting
or widget libraries), so it costs a spawned child almost nothing.

Modules:

- :mod:`ipclab.start`    -- the one place that picks the start method.
- :mod:`ipclab.trace`    -- cheap cross-process event recording.
- :mod:`ipclab.bench`    -- repeatable measurements (min/median/max, rates).
- :mod:`ipclab.mechanisms` -- every way of moving data the course measures,
  behind the chapters' throughput plots and ``python -m ipclab bench``.
- :mod:`ipclab.comparison` -- chapter 10's comparison of them all (table, CSV,
  figure, decision guide, cross-check), also ``python -m ipclab bench compare``.
- :mod:`ipclab.independent` -- a plain script, sharing no code with the rest,
  that the comparison is cross-checked against.
- :mod:`ipclab.plots`    -- timelines, queue depth, rate-versus-parameter plots.
- :mod:`ipclab.sandbox`  -- run code that may hang or crash, and clean up.
- :mod:`ipclab.cleanup`  -- find and stop child processes left behind, and
  release what a notebook leaves in ``/dev/shm`` and the temporary folder.
- :mod:`ipclab.checks`   -- lab checks and ``python -m ipclab check``;
  :mod:`ipclab.labchecks` holds each lab's exercises.
- :mod:`ipclab.labmaker` -- makes ``labs/`` from ``solutions/`` (``make labs``).
- :mod:`ipclab.course`   -- the nbgrader course folder (``make course``) and
  JupyterLab set up for a learner or an instructor.
- :mod:`ipclab.site`     -- the course as a static website (``make html``).
- :mod:`ipclab.widgets`  -- a base for explorers that re-run real experiments.
- :mod:`ipclab.listing`  -- show a worker's source in a notebook.
- :mod:`ipclab.workers`  -- the chapters' workers, one module per topic
  (processes, queues, kitchen, pipes, shared, pools, echo, crawler, pitfalls,
  pipeline, distributed): the code that runs in
  child processes and that the notebooks show.
"""

import os as _os
import sys as _sys

from ipclab.start import TAG_VAR as _TAG_VAR
from ipclab.start import available_methods, context, start_method, tag_ipc_names as _tag_ipc_names

# A test run that executes notebooks and tests side by side tags each one: the semaphores this
# process (and every child, which inherits the setting) creates are then named after it.
if _os.environ.get(_TAG_VAR):
    _tag_ipc_names(_os.environ[_TAG_VAR])



def _in_a_notebook() -> None:
    """In a Jupyter kernel, describe figures in words and draw them on white (see plots.describe_figures).

    Only where IPython runs a shell: a child process never imports matplotlib for it.
    """
    ipython = _sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "display_formatter"):
        from ipclab.plots import describe_figures

        describe_figures(shell)


_in_a_notebook()

__all__ = ["available_methods", "context", "start_method"]
