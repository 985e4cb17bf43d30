"""The project's own files: dependencies in step, notebooks committed clean, docs complete."""

from __future__ import annotations

import json
import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _normal(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_deps = [d for d in conda if isinstance(d, str) and not re.match(r"(python|pip)\b", d)]
    assert sorted(map(_normal, conda_deps)) == sorted(map(_normal, pip_deps))
    python = next(d for d in conda if isinstance(d, str) and d.startswith("python"))
    assert project["requires-python"].lstrip(">=") in python


def test_no_committed_notebook_has_outputs():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    assert tracked, "no notebooks are tracked"
    for name in tracked:
        for cell in json.loads((ROOT / name).read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{name} has outputs"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make lab") < readme.index("make test")


@pytest.mark.parametrize("args", [["--labs", "bogus"], ["--notebooks", "default bogus"]])
def test_a_start_method_this_platform_lacks_is_refused_before_anything_runs(args):
    done = subprocess.run([sys.executable, "tests/run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().startswith("error: 'bogus' is not a start method here; choose from default,")
    assert len(done.stderr.splitlines()) == 1


def test_the_readme_lists_every_make_target():
    targets = re.findall(r"^([a-z-]+):.*##", (ROOT / "Makefile").read_text(), re.M)
    readme = (ROOT / "README.md").read_text()
    missing = [t for t in targets if f"make {t}" not in readme]
    assert not missing, f"README does not mention: {missing}"


def test_every_chapter_ends_with_a_check_and_a_cleanup():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]  # a lab's nbgrader grading cells come after its cleanup
        code = ["".join(c["source"]) for c in cells
                if c["cell_type"] == "code" and not c["metadata"].get("nbgrader", {}).get("grade")]
        assert "assert_no_children()" in code[-1], f"{path.name} must end with assert_no_children()"
        if path.parent.name == "notebooks":
            assert any(re.search(r"^assert ", c, re.M) for c in code), f"{path.name} has no check cell"
