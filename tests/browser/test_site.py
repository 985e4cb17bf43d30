"""The static website (`make html`) opened from the file system in Chromium, with the network cut off.

The site is built by the same code as `make html` from the chapters that
test_lab_ui.py has just run and saved in JupyterLab (chapters without
outputs -- this file run alone -- are run here first).  Every chapter link on
the index is followed: each page must show its plots, no error, and the run
it came from; nothing may be fetched from anywhere but the file system.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from ipclab.site import build


@pytest.fixture(scope="module")
def site(lab, tmp_path_factory) -> Path:
    chapters = sorted((lab.root / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    ran = all(any(c.get("outputs") for c in nbformat.read(p, as_version=4).cells) for p in chapters)
    out = tmp_path_factory.mktemp("site")
    build(out, chapters, sorted((lab.root / "labs").glob("lab*.ipynb")), run=not ran)
    return out


def test_every_chapter_page_opens_offline_with_its_plots_and_no_error(page, site):
    outside: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.goto((site / "index.html").as_uri())
    links = page.locator("table a")
    chapters = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(chapters) == len(list((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]*_*.ipynb")))
    for href in chapters:
        page.goto((site / "index.html").as_uri())
        page.click(f'table a[href="{href}"]')
        page.wait_for_load_state("load")
        assert page.url.endswith(href)
        images = page.evaluate("() => [...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
        assert images >= 1, f"{href} shows no plot"
        # IPython's way of showing an exception: its name, spaces, "Traceback" on one line. A plain Python
        # traceback is what a child printed (chapter 00 shows one on purpose), not a cell that failed.
        error = re.search(r"\w+[ ]{2,}Traceback \(most recent call last\)", page.inner_text("body"))
        assert error is None, f"{href} shows an error: {error and error.group(0)}"
        assert "start method" in page.inner_text("nav.ipclab-run"), f"{href} does not say which run it shows"
    assert outside == [], f"the site fetched from the network: {outside}"


def test_the_labs_are_there_without_their_solutions(page, site):
    page.goto((site / "index.html").as_uri())
    labs = page.locator("ul a")
    assert labs.count() == len(list((Path(__file__).resolve().parents[2] / "labs").glob("lab*.ipynb")))
    page.click("ul a >> nth=0")
    text = page.inner_text("body")
    assert "raise NotImplementedError()" in text and "BEGIN SOLUTION" not in text


def test_a_self_check_answer_opens_on_a_click(page, site):
    page.goto((site / "03_producer_consumer.html").as_uri())
    details = page.locator("details").first
    details.scroll_into_view_if_needed()
    answer = details.locator("p").first
    assert not answer.is_visible(), "a self-check answer is hidden until its question is clicked"
    details.locator("summary").click()
    answer.wait_for(state="visible", timeout=10_000)
    assert answer.locator("a").first.get_attribute("href").startswith("#")


def test_every_figure_says_what_it_shows_and_has_an_opaque_background(site):
    figures = 0
    for html in sorted(site.glob("[0-9][0-9]*_*.html")):
        for tag in re.findall(r"<img [^>]*>", html.read_text()):  # attributes in any order
            data, alt = re.search(r'src="data:image/png;base64,([^"]+)"', tag), re.search(r'alt="([^"]*)"', tag)
            assert data and alt, f"{html.name}: an image that is not a figure with alt text: {tag[:120]}"
            data, alt = data.group(1), alt.group(1)
            figures += 1
            assert alt.startswith("Figure: ") and "<Figure size" not in alt, f"{html.name}: alt text {alt!r}"
            with Image.open(io.BytesIO(base64.b64decode(data))) as image:
                corner = image.convert("RGBA").getpixel((0, 0))
            assert corner[3] == 255, f"{html.name}: the figure {alt!r} has a transparent background"
    assert figures >= len(list(site.glob("[0-9][0-9]*_*.html"))), "every chapter shows at least one figure"
    pages = "".join(p.read_text() for p in site.glob("[0-9][0-9]*_*.html"))
    assert len(re.findall(r"<img ", pages)) == figures, "every image of the site is a figure with its alt text"
