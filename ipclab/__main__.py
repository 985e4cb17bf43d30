"""Command line: ``python -m ipclab check LAB [ANSWER ...]``, ``labs``, ``bench [NAME|compare] [--size BYTES]``,
``course [ROOT]``, ``jupyter-config DIR --role learner|instructor`` and ``html [OUT]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; the exit status is 0 only when it fully succeeded."""
    parser = argparse.ArgumentParser(prog="python -m ipclab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a lab: one verdict line per exercise")
    check.add_argument("lab", help="lab01, lab02, ...")
    check.add_argument(
        "answer", nargs="*",
        help="a lab notebook, a folder of answer modules or answer .py files (default: labs/LAB.ipynb)",
    )
    labs = sub.add_parser("labs", help="regenerate labs/ from solutions/")
    labs.add_argument("--solutions", type=Path, default=Path("solutions"))
    labs.add_argument("--labs", type=Path, default=Path("labs"))
    course = sub.add_parser("course", help="write an nbgrader course folder (config, source/labNN/) from solutions/")
    course.add_argument("root", nargs="?", type=Path, default=Path("build/course"))
    course.add_argument("--solutions", type=Path, default=Path("solutions"))
    site = sub.add_parser("html", help="run every chapter once and write the course as a static website")
    site.add_argument("out", nargs="?", type=Path, default=Path("build/html"))
    site.add_argument("--notebooks", type=Path, default=Path("notebooks"))
    site.add_argument("--labs", type=Path, default=Path("labs"))
    roles = sub.add_parser("jupyter-config", help="show nbgrader's instructor panels in JupyterLab, or hide them")
    roles.add_argument("config_dir", type=Path, help="the Jupyter config folder (JUPYTER_CONFIG_DIR)")
    roles.add_argument("--role", choices=["learner", "instructor"], required=True)
    roles.add_argument("--settings", type=Path, help="also write the course's JupyterLab settings into this "
                       "user-settings folder (JUPYTERLAB_SETTINGS_DIR)")
    bench = sub.add_parser(
        "bench", help="measure a mechanism (see --list), or the toolkit's own costs (NAME: toolkit)",
        description="Measure how fast a mechanism moves items of SIZE bytes from a child to its parent: "
                    "one warm-up, then REPEATS timed runs (process start excluded). Prints one line per "
                    "measurement, then its figures as one JSON object.",
    )
    bench.add_argument("name", nargs="?", help="a mechanism from --list, 'all', 'compare' or 'toolkit'")
    bench.add_argument("--list", action="store_true", help="list the mechanisms and exit")
    bench.add_argument("--size", type=int, action="append", help="payload bytes (repeatable; default 8, 65536, 1048576)")
    bench.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (default 5)")
    bench.add_argument("--count", type=int, help="items per run (default: about 32 MiB worth, 16 to 20000)")
    bench.add_argument("--cpu", type=int, help="run this process and its children on this core only (Linux)")
    bench.add_argument("--out", type=Path, default=Path("results"),
                       help="compare: write the CSV, figure and table into a new folder under OUT (default results/)")
    args = parser.parse_args(argv)

    if args.command == "check":
        from ipclab.checks import check as run_check

        try:
            verdicts = run_check(args.lab, *args.answer)
        except (ValueError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        passed = sum(v.passed for v in verdicts)
        print(f"{passed} of {len(verdicts)} exercises pass")
        return 0 if passed == len(verdicts) else 1
    if args.command == "labs":
        from ipclab.labmaker import make_labs

        for path in make_labs(args.solutions, args.labs):
            print(f"wrote {path}")
        return 0
    if args.command == "course":
        from ipclab.course import make_course

        for path in make_course(args.root, args.solutions):
            print(f"wrote {path}")
        return 0
    if args.command == "html":
        from ipclab.site import build

        chapters = sorted(args.notebooks.glob("[0-9][0-9]*_*.ipynb")) + [args.notebooks / "troubleshooting.ipynb"]
        pages = build(args.out, chapters, sorted(args.labs.glob("lab*.ipynb")))
        print(f"wrote {len(pages)} pages; open {pages[0].resolve()}")
        return 0
    if args.command == "jupyter-config":
        from ipclab.course import jupyter_config, lab_settings

        jupyter_config(args.config_dir, args.role)
        if args.settings:
            lab_settings(args.settings)
        return 0
    problem = bench_problem(args.size or [], args.repeats, args.count)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    if args.name == "compare":
        return run_comparison(args.out, args.size, args.repeats)
    return run_bench(args.name, args.list, args.size or [8, 65536, 1 << 20], args.repeats, args.count)


def bench_problem(sizes: list[int], repeats: int, count: int | None) -> str | None:
    """Why these ``bench`` options cannot be measured on this machine, in one line; None if they can.

    A payload is held several times over while it moves (the sender's copy,
    the pipe or block, the receiver's copy, a pickle), so it must fit in a
    quarter of the memory available now.
    """
    import psutil

    most = psutil.virtual_memory().available // 4
    for size in sizes:
        if size < 1:
            return f"--size {size}: a payload is at least 1 byte"
        if size > most:
            return f"--size {size:,}: more than this machine can move now (at most {most:,} bytes, a quarter of the free memory)"
    if repeats < 1:
        return f"--repeats {repeats}: at least one timed run is needed"
    if count is not None and count < 1:
        return f"--count {count}: at least one item per run is needed"
    return None


def run_bench(name: str | None, list_only: bool, sizes: list[int], repeats: int, count: int | None) -> int:
    """``python -m ipclab bench``: list, measure mechanisms, or measure the toolkit itself."""
    from ipclab import mechanisms

    if list_only or not name:
        for m in mechanisms.MECHANISMS.values():
            print(f"{m.name:16} {m.title} (chapter {m.chapter})")
        print(f"{'compare':16} chapter 10's comparison: every mechanism, 8 B to 1 MiB, throughput and latency, "
              "with a table, a CSV file and a figure")
        print(f"{'toolkit':16} the course's own costs: a tracer event, starting a process, a sandbox run")
        return 0 if list_only else 2
    if name == "toolkit":
        toolkit_costs()
        return 0
    names = list(mechanisms.MECHANISMS) if name == "all" else [name]
    if any(n not in mechanisms.MECHANISMS for n in names):
        print(f"error: no mechanism {name!r}; see `python -m ipclab bench --list`", file=sys.stderr)
        return 2
    for n in names:
        for size in sizes:
            m = mechanisms.measure(n, size, repeats=repeats, count=count)
            print(f"{n} {size} B: {m}")
            print(mechanisms.summary_json(n, size, m), flush=True)
    return 0


def run_comparison(out: Path, sizes: list[int] | None, repeats: int) -> int:
    """``python -m ipclab bench compare``: chapter 10's comparison, written to a new folder under ``out``.

    Also measures the machine's copy limit, and holds raw os.pipe and Queue at
    8 B and 64 KiB against the independent script (exit status 1 if a pair
    never agrees within 30%).
    """
    import time

    from ipclab import comparison, mechanisms

    payloads = sizes or list(mechanisms.sizes())
    results = comparison.run(payloads=payloads, repeats=repeats)
    limits = {size: comparison.copy_limit(size) for size in payloads}
    checks = {f"{kind} {comparison.size_label(size)}": comparison.agree(kind, size)
              for kind in ("os_pipe", "queue") for size in (8, 65536)}
    folder = out / time.strftime("%Y%m%d-%H%M%S")
    written = comparison.save(results, limits, folder, checks)
    print((folder / "README.txt").read_text())
    print("wrote " + ", ".join(str(p) for p in written))
    return 0 if all(comparison.agrees(pairs[-1]) for pairs in checks.values()) else 1


def toolkit_costs() -> None:
    """Print what the course's own tools cost: a tracer event, a process start, a sandbox run."""
    from ipclab.bench import format_seconds, measure
    from ipclab.sandbox import run_guarded
    from ipclab.start import start_method
    from ipclab.trace import cost_per_event
    from ipclab.workers.processes import noop, start_and_join

    print(f"tracer: {format_seconds(cost_per_event())} per event")
    print(measure(lambda: start_and_join(1), label=f"start and join one process ({start_method()})", repeats=10))
    print(measure(lambda: run_guarded(noop), label="sandbox run of a no-op", repeats=5))

if __name__ == "__main__":
    sys.exit(main())
