"""Make ``labs/`` from ``solutions/`` with nbgrader's own preprocessors.

``solutions/labNN.ipynb`` is the single source of each lab: answers sit
between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in cells carrying
nbgrader's metadata, so an instructor can also use nbgrader as is.
:func:`make_lab` replaces each answer with nbgrader's stub
(``raise NotImplementedError()``) and clears outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearOutput, ClearSolutions


def make_lab(solution: Path) -> str:
    """The learner's notebook, as text, made from the solution notebook ``solution``."""
    nb = nbformat.read(solution, as_version=4)
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearOutput()):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nbformat.writes(nb) + "\n"


def make_labs(solutions: Path, labs: Path) -> list[Path]:
    """Write ``labs/labNN.ipynb`` for every ``solutions/labNN.ipynb``; return the paths."""
    labs.mkdir(exist_ok=True)
    written = []
    for solution in sorted(solutions.glob("lab*.ipynb")):
        target = labs / solution.name
        target.write_text(make_lab(solution))
        written.append(target)
    return written
