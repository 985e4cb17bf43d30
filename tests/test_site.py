"""`make html`'s builder on a small chapter: run, exported offline, with the run's details and an index."""

import re
from pathlib import Path

from ipclab.site import EXPLORER_NOTE, build

ROOT = Path(__file__).resolve().parent.parent


def test_a_chapter_is_run_and_exported_as_a_page_that_needs_no_network(tmp_path):
    pages = build(tmp_path, [ROOT / "tests" / "fixtures" / "99_site_chapter.ipynb"], [ROOT / "labs" / "lab01.ipynb"])
    assert [p.relative_to(tmp_path).as_posix() for p in pages] == ["index.html", "99_site_chapter.html",
                                                                    "labs/lab01.html"]
    page = (tmp_path / "99_site_chapter.html").read_text()
    assert "data:image/png;base64," in page, "the plot of this run is in the page"
    assert EXPLORER_NOTE in page and "widget-view+json" not in page
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page), "nothing is loaded from the network"
    assert re.search(r"run \d{4}-\d\d-\d\d .* start method \w+, QUICK MODE", page), "the banner says it was quick"
    index = (tmp_path / "index.html").read_text()
    assert 'href="99_site_chapter.html">99 · A chapter for the site&#x27;s test</a>' in index
    assert 'href="labs/lab01.html"' in index
    assert 'href="labs/lab01.html">labs/lab01.ipynb</a>' in page, "the chapter's link to its lab leads to the lab's page"
    assert "BEGIN SOLUTION" not in (tmp_path / "labs" / "lab01.html").read_text()
