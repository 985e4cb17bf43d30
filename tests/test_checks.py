"""The lab-check framework itself: finding answers, verdicts, the sandbox's last resort, the CLI."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from ipclab.checks import Exercise, check_exercise, exercises, extract_answers
from tests import demos

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = Path(__file__).resolve().parent / "answers"


def test_writefile_cells_become_answer_modules(tmp_path):
    notebook = tmp_path / "lab.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": "%%writefile not_code.py\nx = 1"},
        {"cell_type": "code", "source": ["%%writefile lab01_ex1.py\n", "def run_all():\n", "    return 1"]},
        {"cell_type": "code", "source": "print('no file here')"},
    ]}))
    written = extract_answers(notebook, tmp_path)
    assert [p.name for p in written] == ["lab01_ex1.py"]
    assert (tmp_path / "lab01_ex1.py").read_text() == "def run_all():\n    return 1\n"


def test_a_check_that_hangs_is_stopped_by_the_sandbox(tmp_path):
    (tmp_path / "lab99_ex1.py").write_text("ANSWER = 1\n")
    exercise = Exercise("ex1", "lab99_ex1", "hangs", demos.check_that_hangs, timeout=1)
    verdict = check_exercise("lab99", exercise, tmp_path)
    assert verdict.status == "wrong" and "did not finish within 1 s" in verdict.message


def test_an_answer_whose_grandchild_leaves_the_session_leaves_no_process_behind(tmp_path):
    pid_file = tmp_path / "escaped.pid"
    (tmp_path / "lab99_ex1.py").write_text(
        "import subprocess, sys\n"
        "from ipclab import context\n"
        "from tests.demos import _start_sleeper\n"
        "queue = context().Queue()\n"
        "child = context().Process(target=_start_sleeper, args=(queue, True))\n"
        "child.start()\n"
        f"open({str(pid_file)!r}, 'w').write(str(queue.get(timeout=10)))\n"
        "child.join(10)\n")
    exercise = Exercise("ex1", "lab99_ex1", "escapes", demos.check_that_passes)
    assert check_exercise("lab99", exercise, tmp_path).status == "pass"
    escaped = int(pid_file.read_text())
    assert not psutil.pid_exists(escaped) or psutil.Process(escaped).status() == psutil.STATUS_ZOMBIE


def test_many_sleeping_children_do_not_hold_up_the_verdict(tmp_path):
    (tmp_path / "lab99_ex1.py").write_text("from tests.demos import fork_sleepers\nSLEEPERS = fork_sleepers(50)\n")
    exercise = Exercise("ex1", "lab99_ex1", "sleepers", demos.check_that_passes, timeout=30)
    assert check_exercise("lab99", exercise, tmp_path).status == "pass"  # not "did not finish within 30 s"


def test_an_answer_runs_in_a_temporary_folder_not_beside_the_lab(tmp_path, monkeypatch):
    answers, lab = tmp_path / "answers", tmp_path / "lab"
    answers.mkdir(), lab.mkdir()
    (answers / "lab01_ex1.py").write_text("open('stray.txt', 'w').write('oops')\n")
    monkeypatch.chdir(lab)
    done = subprocess.run([sys.executable, "-m", "ipclab", "check", "lab01", str(answers / "lab01_ex1.py")],
                          capture_output=True, text=True, timeout=120, cwd=lab,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "lab01 ex1" in done.stdout, done.stdout + done.stderr
    assert list(lab.iterdir()) == [] and list(answers.iterdir()) == [answers / "lab01_ex1.py"]


def test_the_stub_is_not_solved_and_a_missing_file_neither(tmp_path):
    exercise = Exercise("ex1", "lab99_ex1", "anything", demos.check_that_passes)
    assert check_exercise("lab99", exercise, tmp_path).message.startswith("no answer found")
    (tmp_path / "lab99_ex1.py").write_text("def f():\n    raise NotImplementedError()\n")
    verdict = check_exercise("lab99", exercise, tmp_path)
    assert verdict.status == "not solved" and str(verdict).endswith("with your code")
    (tmp_path / "lab99_ex1.py").write_text("def f():\n    return 1\n")
    assert str(check_exercise("lab99", exercise, tmp_path)) == "lab99 ex1 (anything): PASS"


def test_an_answer_that_does_not_import_is_wrong_with_its_line(tmp_path):
    (tmp_path / "lab99_ex1.py").write_text("x = 1\ny = undefined_name\n")
    verdict = check_exercise("lab99", Exercise("ex1", "lab99_ex1", "t", demos.check_that_passes), tmp_path)
    assert verdict.status == "wrong"
    assert "NameError" in verdict.message and "line 2 of lab99_ex1.py" in verdict.message


@pytest.mark.parametrize("name", ["lab99", "lab1", "../lab01"])
def test_unknown_labs_are_refused(name):
    with pytest.raises(ValueError):
        exercises(name)


def test_a_syntax_error_names_its_line_once(tmp_path):
    (tmp_path / "lab99_ex1.py").write_text("def broken(:\n")
    verdict = check_exercise("lab99", Exercise("ex1", "lab99_ex1", "t", demos.check_that_passes), tmp_path)
    assert "SyntaxError" in verdict.message and verdict.message.count("line 1") == 1, verdict.message


@pytest.mark.parametrize("args, says", [
    (["lab99"], "error: there is no lab99"),
    (["lab03", "does-not-exist.py"], "error: does-not-exist.py does not exist"),
])
def test_the_cli_says_what_is_wrong_with_its_arguments_in_one_line(args, says):
    done = subprocess.run([sys.executable, "-m", "ipclab", "check", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == says and done.stdout == ""


def test_grade_raises_with_the_verdict_and_reuses_a_verdict_for_the_same_source(tmp_path, monkeypatch):
    from ipclab import checks

    shutil.copy(ANSWERS / "lab03_ex1_falsy_end_test.py", tmp_path / "lab03_ex1.py")
    with pytest.raises(AssertionError, match=r"(?s)WRONG -- .*treats 0 as the end"):
        checks.grade("lab03", "ex1", tmp_path)
    monkeypatch.setattr(checks, "check_exercise", lambda *a: pytest.fail("the same answer was checked again"))
    with pytest.raises(AssertionError, match="treats 0 as the end"):
        checks.grade("lab03", "ex1", tmp_path)
    (tmp_path / "lab03_ex1.py").write_text(checks.STUB)  # a changed answer is checked again
    with pytest.raises(pytest.fail.Exception, match="checked again"):
        checks.grade("lab03", "ex1", tmp_path)
