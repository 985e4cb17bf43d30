"""nbgrader end to end: the course folder, assignment, autograding, feedback and Validate, in a temporary folder.

Lab 03 is graded for four students: one who solved it, one who did not start,
one whose exercise 1 is wrong, and one whose exercise 2 hangs (and who left a
process running in a cell of their own).  Scores come from the temporary
gradebook that nbgrader fills.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from ipclab.cleanup import leftover_children
from ipclab.course import jupyter_config, make_course
from ipclab.kernels import socket_file_options

# One worker runs them all (make test runs tests side by side): they share one graded course.
pytestmark = pytest.mark.xdist_group("nbgrader")  # one worker runs them all: they share one graded course
ROOT = Path(__file__).resolve().parent.parent
ANSWERS = Path(__file__).resolve().parent / "answers"
LAB = "lab03"
LEAVES_A_PROCESS = "import multiprocessing, time\n\nmultiprocessing.Process(target=time.sleep, args=(600,)).start()"


def nbgrader(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # it runs alembic
    kernels = [f"--KernelManager.{name}={value}" for name, value in socket_file_options().items()]  # one at a time
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, *kernels], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def submit(course: Path, student: str, answers: dict[str, str], extra_cell: str | None = None) -> None:
    """A copy of the released notebook with the answer cells ``answers`` (by grade_id) filled in."""
    nb = json.loads((course / "release" / LAB / f"{LAB}.ipynb").read_text())
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    if extra_cell:
        nb["cells"].insert(3, {"cell_type": "code", "execution_count": None, "id": "mine", "metadata": {},
                               "outputs": [], "source": extra_cell})
    target = course / "submitted" / student / LAB / f"{LAB}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(nb))


def wrong(exercise: str, answer: str) -> str:
    return f"%%writefile {LAB}_{exercise}.py\n" + (ANSWERS / answer).read_text()


# Graded once per process: pytest-xdist tears even a session-scoped fixture down whenever a worker
# has no next test queued, and grading the four students takes most of a minute.
_graded: list[tuple[Path, dict[str, dict[str, float]], str]] = []


@pytest.fixture
def graded(tmp_path_factory) -> tuple[Path, dict[str, dict[str, float]], str]:
    if not _graded:
        _graded.append(grade_four_students(tmp_path_factory.mktemp("course")))
    return _graded[0]


def grade_four_students(course: Path) -> tuple[Path, dict[str, dict[str, float]], str]:
    """The course folder, its four graded students' scores, and what nbgrader said while grading."""
    make_course(course, ROOT / "solutions")
    nbgrader("generate_assignment", LAB, cwd=course)
    solution = json.loads((course / "source" / LAB / f"{LAB}.ipynb").read_text())
    right = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in solution["cells"]
             if c["metadata"].get("nbgrader", {}).get("solution")}
    submit(course, "solved", right)
    submit(course, "unsolved", {})
    submit(course, "wrong", {**right, f"{LAB}_ex1": wrong("ex1", "lab03_ex1_falsy_end_test.py")})
    submit(course, "hangs", {**right, f"{LAB}_ex2": wrong("ex2", "lab03_ex2_too_few_sentinels.py")},
           extra_cell=LEAVES_A_PROCESS)
    said = nbgrader("autograde", LAB, cwd=course)
    said += nbgrader("generate_feedback", LAB, cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {student: {g.name: g.score for nb in gb.find_submission(LAB, student).notebooks for g in nb.grades}
                  for student in ("solved", "unsolved", "wrong", "hangs")}
    return course, scores, said


def feedback(course: Path, student: str) -> str:
    return (course / "feedback" / student / LAB / f"{LAB}.html").read_text()


@pytest.mark.full  # nbgrader grades for real: a minute, in the full run only
def test_the_solution_scores_full_points_and_the_unsolved_lab_zero(graded):
    _, scores, _ = graded
    assert scores["solved"] == {f"{LAB}_ex1_test": 1.0, f"{LAB}_ex2_test": 1.0}
    assert scores["unsolved"] == {f"{LAB}_ex1_test": 0.0, f"{LAB}_ex2_test": 0.0}


@pytest.mark.full  # nbgrader grades for real: a minute, in the full run only
def test_one_wrong_exercise_loses_its_points_and_its_feedback_names_the_mistake(graded):
    course, scores, _ = graded
    assert scores["wrong"] == {f"{LAB}_ex1_test": 0.0, f"{LAB}_ex2_test": 1.0}
    page = feedback(course, "wrong")
    assert "treats 0 as the end" in page
    # The verdict is what the learner reads: no traceback into the course's package, nor the grader's paths.
    assert "ipclab/checks.py" not in page and "Traceback (most recent call last)" not in page and str(ROOT) not in page


@pytest.mark.full  # nbgrader grades for real: a minute, in the full run only
def test_feedback_pages_open_offline_and_grading_speaks_only_of_grades(graded):
    course, _, said = graded
    for student in ("solved", "unsolved", "wrong", "hangs"):
        assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", feedback(course, student)), student
    assert "Warning" not in said, said


@pytest.mark.full  # nbgrader grades for real: a minute, in the full run only
def test_a_hanging_answer_is_graded_and_the_hang_is_in_the_feedback(graded):
    course, scores, _ = graded
    assert scores["hangs"] == {f"{LAB}_ex1_test": 1.0, f"{LAB}_ex2_test": 0.0}
    assert "never returned" in feedback(course, "hangs") and "Send one sentinel per diner" in feedback(course, "hangs")
    assert leftover_children() == []  # the process the student left was stopped with the notebook


@pytest.mark.full  # nbgrader grades for real: a minute, in the full run only
def test_validate_fails_an_unsolved_lab_naming_why_and_passes_a_solution(tmp_path):
    for folder in ("labs", "solutions"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{LAB}.ipynb").write_text((ROOT / folder / f"{LAB}.ipynb").read_text())
    unsolved = nbgrader("validate", f"labs/{LAB}.ipynb", cwd=tmp_path)
    assert "VALIDATION FAILED ON 2 CELL(S)" in unsolved and f"{LAB} ex1 (a diner that stops at its sentinel): not solved yet" in unsolved
    assert "Traceback (most recent call last)" not in unsolved and "ipclab/checks.py" not in unsolved, unsolved  # the verdict, not our internals
    assert "Success! Your notebook passes all the tests." in nbgrader("validate", f"solutions/{LAB}.ipynb", cwd=tmp_path)


def test_a_learner_sees_no_instructor_panels_and_an_instructor_does(tmp_path):
    jupyter_config(tmp_path / "learner", "learner")
    jupyter_config(tmp_path / "instructor", "instructor")
    for role, hidden in (("learner", True), ("instructor", False)):
        page = json.loads((tmp_path / role / "labconfig" / "page_config.json").read_text())
        server = json.loads((tmp_path / role / "jupyter_server_config.json").read_text())
        assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is hidden
        assert page["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is hidden
        assert "@jupyter/nbgrader:validate-assignment" not in page["disabledExtensions"]  # Validate stays
        assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is not hidden
