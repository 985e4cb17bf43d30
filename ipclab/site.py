"""The course as a static website: every chapter run once, its outputs and plots as HTML pages.

Built with nbconvert's HTML exporter (JupyterLab's look) and a small index,
rather than Jupyter Book: it is already installed with JupyterLab, builds
without network access, and its pages open from the file system.  The
course's template (``site_template/``) drops every script the lab template
would fetch from a CDN (require.js, MathJax, Mermaid, the widget manager) and
puts a banner on each page saying when, where and under which start method
the chapter ran.  Plots are embedded in the pages as images.  An explorer
widget needs a live kernel, so a page says where one would be instead.
"""

from __future__ import annotations

import html
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from ipclab.bench import quick
from ipclab.kernels import run_notebook
from ipclab.start import start_method

TEMPLATE = Path(__file__).resolve().parent / "site_template"
WIDGET = "application/vnd.jupyter.widget-view+json"
EXPLORER_NOTE = ("<p><em>An explorer widget is here when you run this notebook in JupyterLab: "
                 "its sliders rerun the experiment on your machine.</em></p>")
CELL_TIMEOUT = 600
LAB_LINK = re.compile(r'href="\.\./labs/(lab\d\d)\.ipynb"')  # in a chapter, to open its lab in JupyterLab
CHAPTER_LINK = re.compile(r'href="(\w+)\.ipynb(#[^"]*)?"')  # to another chapter (or a heading in it)


@dataclass(frozen=True)
class Page:
    """One page of the site: the notebook it came from, its title and file name."""

    source: Path
    title: str
    href: str


def run_info() -> str:
    """When, on what and how this run happened: shown on every page."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    size = ("QUICK MODE (IPCLAB_QUICK=1): smaller experiments than a full run, so the figures are rougher"
            if quick() else "full size")
    return (f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'this machine'} "
            f"({platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}), "
            f"start method {start_method()}, {size}")


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first Markdown heading, without its ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return fallback


def execute(nb: nbformat.NotebookNode, folder: Path) -> None:
    """Run every cell in a fresh kernel started in ``folder``; any error stops the build."""
    run_notebook(nb, folder, timeout=CELL_TIMEOUT)


def without_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace each widget output (it needs a live kernel) with a note, and drop the saved widget state."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}):
                output["data"] = {"text/html": EXPLORER_NOTE}
    nb.metadata.pop("widgets", None)
    return nb


def exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the course's offline template (made once per build: it loads the templates)."""
    return HTMLExporter(extra_template_basedirs=[str(TEMPLATE.parent)], template_name=TEMPLATE.name)


def export(html_exporter: HTMLExporter, nb: nbformat.NotebookNode, title: str, info: str, home: str) -> str:
    """The notebook as one self-contained HTML page; a chapter's link to its lab notebook points at the lab's page."""
    body, _ = html_exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "ipclab_run": f" · {html.escape(info)}",
                                                         "ipclab_home": home})
    return CHAPTER_LINK.sub(r'href="\1.html\2"', LAB_LINK.sub(r'href="labs/\1.html"', body))


def index(chapters: list[Page], labs: list[Page], info: str) -> str:
    """The home page: the chapter table and the labs."""
    rows = "\n".join(f'<tr><td><a href="{p.href}">{html.escape(p.title)}</a></td></tr>' for p in chapters)
    lab_items = "\n".join(f'<li><a href="{p.href}">{html.escape(p.title)}</a></li>' for p in labs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipc-course</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; }} td {{ padding: 4px 12px 4px 0; vertical-align: top; }}
.run {{ color: #555; font-size: 14px; }}
</style></head>
<body>
<h1>ipc-course: how Python processes talk to each other</h1>
<p class="run">Every page shows the outputs and plots of one run: {html.escape(info)}.
The numbers are that machine's; run the notebooks in JupyterLab to measure yours.</p>
<h2>Chapters</h2>
<table>
{rows}
</table>
<h2>Labs</h2>
<p>The exercises, without their solutions. Solve them in JupyterLab: each lab's check names what is wrong.</p>
<ul>
{lab_items}
</ul>
</body></html>
"""


def build(out: Path, chapters: list[Path], labs: list[Path], run: bool = True) -> list[Path]:
    """Write the site into ``out``: a page per chapter (run first, unless ``run`` is false), per lab, and the index.

    Returns the pages written, index first.  Labs are shown as given, not run.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "labs").mkdir(exist_ok=True)
    info, html_exporter = run_info(), exporter()
    pages: list[Page] = []
    written = [out / "index.html"]
    for path in chapters:
        nb = nbformat.read(path, as_version=4)
        if run:
            execute(nb, path.parent)
        page = Page(path, title_of(nb, path.stem), f"{path.stem}.html")
        (out / page.href).write_text(export(html_exporter, without_widgets(nb), page.title, info, "index.html"), encoding="utf-8")
        pages.append(page)
        written.append(out / page.href)
    lab_pages = []
    for path in labs:
        nb = nbformat.read(path, as_version=4)
        page = Page(path, title_of(nb, path.stem), f"labs/{path.stem}.html")
        (out / page.href).write_text(export(html_exporter, nb, page.title, "the exercises, not run", "../index.html"), encoding="utf-8")
        lab_pages.append(page)
        written.append(out / page.href)
    (out / "index.html").write_text(index(pages, lab_pages, info), encoding="utf-8")
    return written
