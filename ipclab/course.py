"""For instructors: an nbgrader course folder made from ``solutions/``, and JupyterLab set up per role.

``solutions/labNN.ipynb`` carries nbgrader's metadata: answers between
``### BEGIN SOLUTION`` / ``### END SOLUTION``, and one grading cell per
exercise, worth points, that fails with the check's verdict
(:func:`ipclab.checks.grade`).  :func:`make_course` lays them out the way
nbgrader expects (``source/labNN/labNN.ipynb`` beside an
``nbgrader_config.py``), so ``nbgrader generate_assignment``, ``autograde``
and ``generate_feedback`` run as its documentation describes.

A learner's JupyterLab shows nbgrader's Validate button but not the
instructor's panels (formgrader, Create Assignment, the course list);
:func:`jupyter_config` writes that choice into a Jupyter config folder, and
:func:`lab_settings` the JupyterLab settings the course runs with.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Literal

COURSE_ID = "ipc-course"
# nbgrader's JupyterLab plugins and server extensions that only an instructor needs.
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
CELL_TIMEOUT = 300  # seconds nbgrader lets one cell run; a lab's check cell stops hung answers well before

FEEDBACK_TEMPLATES = Path(__file__).resolve().parent / "feedback_template"  # feedback pages without a CDN

CONFIG = f'''"""nbgrader's configuration for this course folder (made by `make course`, rebuilt each time)."""
import os
import warnings

import nbgrader

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file
c.CourseDirectory.course_id = "{COURSE_ID}"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")  # not /srv: no root needed
c.Execute.timeout = {CELL_TIMEOUT}
c.Execute.interrupt_on_timeout = True
# Feedback pages that open offline: the course's template first (no MathJax from a CDN), then nbgrader's.
c.HTMLExporter.extra_template_basedirs = [
    "{FEEDBACK_TEMPLATES}",
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
# nbgrader's gradebook uses SQLAlchemy calls that SQLAlchemy 2 warns about, once per query: not the grader's business.
warnings.filterwarnings("ignore", module="nbgrader")
warnings.filterwarnings("ignore", module="sqlalchemy")
'''


def make_course(root: Path, solutions: Path) -> list[Path]:
    """Write an nbgrader course folder at ``root`` from ``solutions``; return the source notebooks.

    ``root`` holds ``nbgrader_config.py`` and ``source/labNN/labNN.ipynb``.
    What nbgrader makes later (``release/``, ``submitted/``,
    ``autograded/``, ``feedback/``, ``gradebook.db``) is left alone, so
    grading already done survives a rebuild.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG)
    written = []
    for solution in sorted(solutions.glob("lab*.ipynb")):
        target = root / "source" / solution.stem / solution.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(solution, target)
        written.append(target)
    return written


def _merge_json(path: Path, update: dict) -> None:
    """Set the keys of ``update`` in the JSON file ``path`` (nested one level), keeping what else it holds."""
    data = json.loads(path.read_text()) if path.exists() else {}
    for key, value in update.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


# JupyterLab settings for everyone who opens the course: no pop-up asking to fetch Jupyter's news
# (it covers the explorers, and the course is offline), and every cell kept in the page, so that the
# browser's find (Ctrl-F) finds an error message in any cell, not only in those on screen.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def lab_settings(settings_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` into the JupyterLab user-settings folder ``settings_dir``, keeping other choices."""
    for plugin, values in LAB_SETTINGS.items():
        _merge_json(settings_dir / f"{plugin}.jupyterlab-settings", values)


def jupyter_config(config_dir: Path, role: Literal["learner", "instructor"]) -> None:
    """Show nbgrader's instructor panels in the JupyterLab using ``config_dir`` only for an instructor."""
    hide = role == "learner"
    _merge_json(config_dir / "labconfig" / "page_config.json",
                {"disabledExtensions": {plugin: hide for plugin in INSTRUCTOR_PLUGINS}})
    _merge_json(config_dir / "jupyter_server_config.json",
                {"ServerApp": {"jpserver_extensions": {ext: not hide for ext in INSTRUCTOR_SERVER_EXTENSIONS}}})
