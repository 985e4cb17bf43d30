"""Labs as notebooks: generated from solutions, graded by nbgrader cells, unsolved labs say so.

None of this starts a child process (an unsolved exercise is not run), so it
does not depend on the start method and runs once, with the unit tests;
``tests/test_labs.py`` runs the answers under each start method.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from ipclab.checks import exercises
from ipclab.kernels import run_notebook
from ipclab.labmaker import make_lab
from tests.test_labs import ANSWERS, LABS, METHODS, ROOT, WRONG, check


def test_there_are_labs():
    assert "lab01" in LABS


@pytest.mark.parametrize("lab", LABS)
def test_labs_are_generated_from_solutions(lab):
    generated = make_lab(ROOT / "solutions" / f"{lab}.ipynb")
    assert (ROOT / "labs" / f"{lab}.ipynb").read_text() == generated, "labs/ is stale: run `make labs`"
    assert "### BEGIN SOLUTION" not in generated and "raise NotImplementedError()" in generated


@pytest.mark.parametrize("lab", LABS)
def test_every_exercise_has_a_grading_cell_worth_points(lab):
    nb = nbformat.read(ROOT / "solutions" / f"{lab}.ipynb", as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.source.split("#")[0].strip() for c in graded] == [f'grade("{lab}", "{ex.name}")' for ex in exercises(lab)]
    assert all(c.metadata.nbgrader["points"] > 0 and c.metadata.nbgrader["locked"] for c in graded)


@pytest.mark.parametrize("lab", LABS)
def test_the_unsolved_lab_is_not_solved_yet(lab):
    code, out = check(METHODS[0], lab)  # default: labs/LAB.ipynb
    assert code == 1
    assert out.count("not solved yet") == len(exercises(lab)), out


def test_every_wrong_answer_fixture_is_listed():
    assert sorted(p.name for p in ANSWERS.glob("lab*.py")) == sorted(WRONG)


@pytest.mark.parametrize("lab", LABS)
def test_the_lab_notebook_runs_and_its_check_says_not_solved_yet(lab, tmp_path):
    shutil.copy(ROOT / "labs" / f"{lab}.ipynb", tmp_path)
    nb = nbformat.read(tmp_path / f"{lab}.ipynb", as_version=4)
    run_notebook(nb, tmp_path, timeout=120, allow_errors=True)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    others = [c for c in nb.cells if c.cell_type == "code" and c not in graded]
    text = "".join(o.get("text", "") for c in others for o in c.outputs)
    assert text.count("not solved yet") == len(exercises(lab)), text
    assert not [o for c in others for o in c.outputs if o.output_type == "error"]
    errors = [o for c in graded for o in c.outputs if o.output_type == "error"]
    assert len(errors) == len(graded) and all(
        o.ename == "NotPassed" and "not solved yet" in o.evalue and "checks.py" not in "".join(o.traceback)
        for o in errors), errors
