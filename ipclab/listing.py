"""Show the source of the code a notebook runs in a child, so nothing is hidden."""

from __future__ import annotations

import inspect
from typing import Any


def show(*objects: Any) -> None:
    """Display the source of functions or classes as a highlighted listing.

    The notebooks call this right before they run a worker from ``ipclab``:
    the worker has to live in an importable module (see chapter 00), but the
    learner should still read every line of it.
    """
    from IPython.display import Markdown, display

    blocks = []
    for obj in objects:
        module = inspect.getmodule(obj)
        where = f"# from {module.__name__}\n" if module else ""
        blocks.append(f"```python\n{where}{inspect.getsource(obj).rstrip()}\n```")
    display(Markdown("\n\n".join(blocks)))
