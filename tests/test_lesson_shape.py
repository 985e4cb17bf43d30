"""Every chapter has the shape of a good lesson, at a readable length.

It opens with the questions it answers, what the learner will be able to do,
its time and what it needs; it asks for at least one prediction before a
demonstration and answers it after; it closes with at most five key points,
a self-check of three to five questions whose hidden answers link to a
heading of the chapter, and what comes next; and it has at most 35 cells and
1,200 words of prose.  The README's chapter table is the chapters' own
openings.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from tests.test_troubleshooting import anchor

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
OPENING = re.compile(r"\A# (?P<number>\d\d[a-z]?) · (?P<title>.+?)\n.*"
                     r"^- \*\*Questions:\*\* (?P<questions>.+)\n"
                     r"- \*\*You will be able to:\*\* .+\n"
                     r"- \*\*Time:\*\* about (?P<minutes>\d+) minutes\. \*\*Needs:\*\* (?P<needs>.+)\.\Z", re.S | re.M)
DETAILS = re.compile(r"<details><summary>(?P<question>.+?)</summary>\n\n(?P<answer>.+?)\n\n</details>", re.S)
MAX_CELLS, MAX_WORDS = 35, 1200


def prose_words(nb: nbformat.NotebookNode) -> int:
    """Words of the markdown cells: fenced code, HTML tags and link targets left out."""
    words = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"```.*?```", "", cell.source, flags=re.S)
            text = re.sub(r"\]\([^)]*\)", "]", re.sub(r"<[^>]+>", " ", text))
            words += len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'_.-]*", text))
    return words


def headings(nb: nbformat.NotebookNode) -> set[str]:
    return {anchor(line.lstrip("#")) for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if re.match(r"#{1,3} ", line)}


def opening(path: Path) -> re.Match[str]:
    first = nbformat.read(path, 4).cells[0].source
    match = OPENING.match(first)
    assert match, f"{path.name}: the first cell has no opening (title, questions, 'You will be able to', time, needs)"
    return match


def test_there_are_chapters():
    assert len(CHAPTERS) >= 12


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_opens_with_questions_goals_time_and_needs(path):
    match = opening(path)
    assert path.name.startswith(match["number"] + "_"), f"{path.name}: its title says chapter {match['number']}"
    assert 2 <= match["questions"].count("?") <= 4, f"{path.name}: two to four questions"
    for name in re.findall(r"\]\(([^)]+\.ipynb)\)", match["needs"]):
        assert (path.parent / name).exists() and name < path.name, f"{path.name} needs {name}, which must come before it"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_asks_for_a_prediction_and_answers_it_after_the_run(path):
    cells = nbformat.read(path, 4).cells
    asks = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "*Predict" in c.source]
    assert asks, f"{path.name}: no *Predict:* line before a demonstration"
    for i in asks:
        after = cells[i + 1:]
        ran = next((k for k, c in enumerate(after) if c.cell_type == "code"), None)
        assert ran is not None and any(c.cell_type == "markdown" for c in after[ran:]), \
            f"{path.name}, cell {i}: a prediction needs a run after it and text after the run"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_closes_with_key_points_a_self_check_and_what_comes_next(path):
    nb = nbformat.read(path, 4)
    closing = next((c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Key points")), None)
    assert closing, f"{path.name}: no '## Key points' cell"
    points = closing.split("\n\n")[1].splitlines()
    assert 1 <= len(points) <= 5 and all(p.startswith("- ") for p in points), f"{path.name}: one to five key points"
    checks = DETAILS.findall(closing)
    assert 3 <= len(checks) <= 5, f"{path.name}: {len(checks)} self-check questions"
    known = headings(nb)
    for question, answer in checks:
        targets = re.findall(r"\]\(#([^)]+)\)", answer)
        assert targets, f"{path.name}: the answer to {question!r} points to no cell"
        assert all(unquote(t) in known for t in targets), f"{path.name}: {question!r} links to {targets}, not a heading here"
    if path != CHAPTERS[-1]:
        nxt = re.search(r"\*\*Next:\*\* \[[^\]]+\]\(([^)]+)\)", closing)
        assert nxt and (path.parent / nxt[1]).exists(), f"{path.name}: no link to the next chapter"
    last = nb.cells[-1]
    assert last.cell_type == "code" and "assert_no_children()" in last.source, f"{path.name}: assert_no_children() last"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_has_a_readable_length(path):
    nb = nbformat.read(path, 4)
    assert len(nb.cells) <= MAX_CELLS, f"{path.name}: {len(nb.cells)} cells"
    assert prose_words(nb) <= MAX_WORDS, f"{path.name}: {prose_words(nb)} words of prose"


def readme_rows() -> list[str]:
    """The README's chapter table as the chapters' openings say it should be."""
    rows = ["| | chapter | time | needs | lab |", "|---|---|---|---|---|"]
    for path in CHAPTERS:
        match = opening(path)
        needs = ", ".join(re.findall(r"\[(\w+) ·", match["needs"])) or "--"
        text = "\n".join(c.source for c in nbformat.read(path, 4).cells if c.cell_type == "markdown")
        lab = re.search(r"^## Lab\n\n.*?labs/(lab\d\d)\.ipynb", text, re.S | re.M)
        lab_cell = f"[{lab[1]}](labs/{lab[1]}.ipynb)" if lab else ""
        rows.append(f"| {match['number']} | [{match['title']}](notebooks/{path.name}) | {match['minutes']} min | {needs} | {lab_cell} |")
    return rows


def test_the_readme_table_lists_every_chapter_with_its_time_and_needs():
    expected = "\n".join(readme_rows())
    assert expected in (ROOT / "README.md").read_text(), f"the README's chapter table should read:\n{expected}"


# A word a newcomer needs, how it is mentioned, and how its definition is marked (in italics where it is explained).
TERMS = {
    "pickling": (r"pickl", r"\*pickl\w*\*"),
    "file descriptor": (r"file descriptor", r"\*file descriptor\*"),
    "start method": (r"start method", r"\*start methods?\*"),
    "proxy": (r"\bprox(y|ies)\b", r"\*prox(y|ies)\*"),
    "GIL": (r"\bGIL\b", r"\*global interpreter lock\*"),
}


@pytest.mark.parametrize("term", TERMS)
def test_a_word_a_newcomer_needs_is_defined_in_the_chapter_that_first_uses_it(term):
    mention, definition = TERMS[term]
    for path in CHAPTERS:
        prose = "\n".join(line for cell in nbformat.read(path, 4).cells if cell.cell_type == "markdown"
                          for line in cell.source.splitlines() if not line.startswith(("**Next:**", "- **Questions:**")))
        if re.search(mention.replace(" ", r"\s+"), prose, re.I):
            assert re.search(definition.replace(" ", r"\s+"), prose), f"{path.name} uses {term!r} first, but does not define it"
            return
    pytest.fail(f"no chapter uses {term!r}")
