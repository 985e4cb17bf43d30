"""The troubleshooting index (notebooks/troubleshooting.ipynb) stays true to the chapters.

Always: it has at least 40 entries, and each entry's links lead to a chapter
and a heading that exist.  With ``IPCLAB_NOTEBOOK_OUTPUTS`` naming the cell
outputs a notebook run recorded (``conftest.py --notebook-outputs``, which
``tests/run.py`` passes and then runs this test with), each entry's message
must appear in what the code cells under its "reproduced in" heading printed
in that run -- so an index entry cannot drift from the demonstration it names.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "notebooks" / "troubleshooting.ipynb"
LINK = re.compile(r"\[[^\]]*\]\(([^)#]+\.ipynb)#([^)]+)\)")


def entries() -> list[dict[str, str]]:
    """The rows of the index's tables: message, cause, and the links of the demonstration and the fix."""
    rows = []
    for cell in nbformat.read(INDEX, 4).cells:
        for line in cell.source.splitlines():
            if not line.startswith("| `"):
                continue
            message, cause, shown, fixed = (part.strip() for part in line.strip().strip("|").split(" | "))
            rows.append({"message": message.strip("`"), "cause": cause, "shown": shown, "fixed": fixed})
    return rows


def anchor(heading: str) -> str:
    """The fragment JupyterLab and nbconvert give a heading: its text as shown, spaces made dashes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"[`*]", "", text)
    return text.strip().replace(" ", "-")


def sections(path: Path) -> dict[str, list[str]]:
    """The ids of the code cells under each heading of a notebook, by the heading's anchor."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for cell in nbformat.read(path, 4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if re.match(r"#{1,3} ", line):
                    current = found.setdefault(anchor(line.lstrip("#")), [])
        else:
            current.append(cell.get("id"))
    return found


def target(link: str) -> tuple[str, str]:
    """The notebook and the anchor of the first chapter link in a table cell."""
    match = LINK.search(link)
    assert match, f"not a link to a chapter's heading: {link}"
    return match.group(1), unquote(match.group(2))


def applies(entry: dict[str, str]) -> bool:
    """Whether this Python shows the entry: some say they happen before Python 3.13 only."""
    return not ("before Python 3.13" in entry["cause"] and sys.version_info >= (3, 13))


def test_the_index_has_forty_entries_whose_links_lead_to_headings():
    rows = entries()
    assert len(rows) >= 40, f"the troubleshooting index has {len(rows)} entries"
    assert len({r["message"] for r in rows}) == len(rows), "each message is listed once"
    for row in rows:
        for column in ("shown", "fixed"):
            notebook, fragment = target(row[column])
            path = INDEX.parent / notebook
            assert path.exists(), f"{row['message']}: {notebook} does not exist"
            assert fragment in sections(path), f"{row['message']}: {notebook} has no heading #{fragment}"


@pytest.mark.skipif(not os.environ.get("IPCLAB_NOTEBOOK_OUTPUTS"), reason="needs the outputs of a notebook run")
def test_each_message_is_printed_by_the_section_it_links_to():
    outputs: dict[tuple[str, str], str] = {}
    for path in os.environ["IPCLAB_NOTEBOOK_OUTPUTS"].split(os.pathsep):
        for line in Path(path).read_text().splitlines():
            cell = json.loads(line)
            outputs[cell["notebook"], cell["cell"]] = outputs.get((cell["notebook"], cell["cell"]), "") + cell["text"]
    missing = []
    for row in filter(applies, entries()):
        notebook, fragment = target(row["shown"])
        printed = " ".join(outputs.get((notebook, cell), "") for cell in sections(INDEX.parent / notebook)[fragment])
        if " ".join(row["message"].split()) not in " ".join(printed.split()):
            missing.append(f"{row['message']!r} is not printed under {notebook}#{fragment}")
    assert not missing, "\n".join(missing)
