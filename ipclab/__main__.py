"""Command line: ``python -m ipclab check LAB [ANSWER ...]``, ``labs``, ``bench``."""

from __future__ import annotations

import argparse
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
    sub.add_parser("bench", help="measure the toolkit's own costs")
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
    from ipclab.bench import format_seconds, measure
    from ipclab.workers.processes import noop, start_and_join
    from ipclab.sandbox import run_guarded
    from ipclab.start import start_method
    from ipclab.trace import cost_per_event

    print(f"tracer: {format_seconds(cost_per_event())} per event")
    print(measure(lambda: start_and_join(1), label=f"start and join one process ({start_method()})", repeats=10))
    print(measure(lambda: run_guarded(noop), label="sandbox run of a no-op", repeats=5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
