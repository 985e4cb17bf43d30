"""The test runs of ``make test``, ``make test-all`` and ``make budget``: pytest runs side by side on one machine.

    python tests/run.py [--unit] [--full] [--labs METHODS] [--notebooks METHODS] [--labs-done METHODS]
                        [--notebooks-done METHODS] [--jobs N] [--notebook-jobs N] [--budget SECONDS]
                        [-- NBVAL OPTIONS]

``--unit`` runs the unit tests; ``--labs`` the lab checks (wrong and right
answers) under each start method of METHODS, JOBS at a time, in the same
pytest run -- both without the tests marked ``full`` (slow ones, and the
repetitions of what they check once), which ``--full`` runs; ``--notebooks`` one run of notebooks/ and solutions/ in quick
mode per method, NOTEBOOK_JOBS notebooks at a time.  ``default`` is the platform's method, and ``--labs-done``
and ``--notebooks-done`` drop methods another run has covered (``make
test-all`` adds to ``make test`` only what it did not run).  The runs share the machine through one
lock file (``--share-machine`` in the root conftest.py): most of what they
do is waiting -- for a hung answer's deadline, a sandbox's watchdog, a
kernel to start -- so they overlap well on two cores, and whatever measures
runs alone.

Each run's output is printed when all have finished, then every notebook's
time, slowest first, with how long it waited for the machine lock; then
/dev/shm and the temporary folder are checked as a whole: nothing may be
left there.  With ``--budget`` (``make budget``) the exit status is 1 if a
notebook took longer than that -- a report of the machine's speed, which is
why no test asserts it.  A start method this platform lacks is refused in
one line, with exit status 2, before anything runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipclab.cleanup import ipc_names, remove_ipc_names  # noqa: E402
from ipclab.start import ENV_VAR  # noqa: E402


def methods(text: str, besides: set[str]) -> list[str]:
    """The start methods named in ``text`` (``default`` resolved to the platform's), less ``besides``.

    Raises ``ValueError`` naming the first one this platform does not have.
    """
    available = multiprocessing.get_all_start_methods()
    chosen: list[str] = []
    for name in text.split():
        if name != "default" and name not in available:
            raise ValueError(f"{name!r} is not a start method here; choose from default, {', '.join(available)}")
        if resolve(name) not in besides and resolve(name) not in map(resolve, chosen):
            chosen.append(name)
    return chosen


def resolve(name: str) -> str:
    """``default`` as the method this platform uses by default; any other name as it is."""
    return multiprocessing.get_start_method(allow_none=False) if name == "default" else name


def plan(args: argparse.Namespace, env: dict[str, str], lock: list[str], times: Path) -> dict[str, tuple[list, dict]]:
    """The pytest runs to start, by name: their command lines and environments."""
    labs = methods(args.labs, {resolve(m) for m in methods(args.labs_done, set())})
    notebooks = methods(args.notebooks, {resolve(m) for m in methods(args.notebooks_done, set())})
    pytest = [sys.executable, "-m", "pytest", *lock]
    runs: dict[str, tuple[list, dict]] = {}
    tests = []
    if args.unit:
        tests = ["tests", "--ignore=tests/browser"] + ([] if labs else ["--ignore=tests/test_labs.py"])
    elif labs:
        tests = ["tests/test_labs.py"]
    if tests:
        name = " and ".join(filter(None, ["unit tests" if args.unit else "", f"lab checks under {', '.join(labs)}"
                                          if labs else ""]))
        runs[name] = ([*pytest, "-n", str(args.jobs), "--dist", "loadgroup", "-m", "not full", *tests],
                      {**env, "IPCLAB_TEST_METHODS": " ".join(labs) or "default"})
    if args.full:
        every = methods(args.labs, set()) or ["default"]
        runs[f"tests of the full run, under {', '.join(every)}"] = (
            [*pytest, "-n", str(args.jobs), "--dist", "loadgroup", "-m", "full", "tests", "--ignore=tests/browser"],
            {**env, "IPCLAB_TEST_METHODS": " ".join(every)})
    for method in notebooks:
        method_env = dict(env) if method == "default" else {**env, ENV_VAR: method}
        runs[f"notebooks under {method}"] = ([*pytest, "-n", str(args.notebook_jobs), "--dist", "loadfile", *args.nbval,
                                              "--notebook-times", str(times), "--notebook-outputs",
                                              str(outputs_of(times, method)), "notebooks", "solutions"], method_env)
    return runs


def outputs_of(times: Path, method: str) -> Path:
    """Where the notebook run under ``method`` records what its cells printed (beside ``times``)."""
    return times.with_name(f"outputs-{method}.jsonl")


def report_times(times: Path, budget: float | None) -> list[str]:
    """Print every notebook's time, slowest first; return those over ``budget`` seconds."""
    rows = [json.loads(line) for line in times.read_text().splitlines()] if times.exists() else []
    if not rows:
        return []
    print("\n======== notebooks, slowest first (quick mode; waiting for the machine lock left out) ========")
    over = []
    for row in sorted(rows, key=lambda r: -r["seconds"]):
        flag = budget is not None and row["seconds"] > budget
        over += [f"{row['notebook']} under {row['start_method']}"] if flag else []
        waited = f", waited {row['waited']:.0f} s beside other runs" if row["waited"] >= 0.5 else ""
        print(f"{row['seconds']:6.1f} s  {row['notebook']} ({row['start_method']}{waited})"
              + (f"  OVER THE {budget:g} s BUDGET" if flag else ""))
    return over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unit", action="store_true", help="run the unit tests (those not marked full)")
    parser.add_argument("--full", action="store_true",
                        help="run the tests marked full (slow, or repeated), the lab checks among them under every "
                             "method of --labs")
    parser.add_argument("--labs", default="", help="start methods to run the lab checks under")
    parser.add_argument("--notebooks", default="", help="start methods to run notebooks/ and solutions/ under")
    parser.add_argument("--labs-done", default="", help="start methods the lab checks ran under already: skip them")
    parser.add_argument("--notebooks-done", default="", help="start methods the notebooks ran under already: skip them")
    parser.add_argument("--jobs", type=int, default=6, help="tests run at a time (pytest-xdist)")
    parser.add_argument("--notebook-jobs", type=int, default=3, help="notebooks run at a time, per method")
    parser.add_argument("--budget", type=float, help="exit 1 if a notebook takes longer (seconds)")
    parser.add_argument("nbval", nargs="*", help="options for the notebook runs (after --)")
    args = parser.parse_args()

    env = {**os.environ, "IPCLAB_QUICK": "1"}
    env.pop(ENV_VAR, None)
    before = ipc_names()
    with tempfile.TemporaryDirectory(prefix="ipclab-test-") as folder:
        times = Path(folder) / "times.jsonl"
        try:
            runs = plan(args, env, ["--share-machine", str(Path(folder) / "machine.lock")], times)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not runs:
            print("nothing to run: every start method asked for is covered elsewhere")
            return 0
        started = time.monotonic()
        logs = {name: open(Path(folder) / f"{i}.log", "w+") for i, name in enumerate(runs)}
        procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=run_env, stdout=logs[name], stderr=subprocess.STDOUT)
                 for name, (cmd, run_env) in runs.items()}
        codes = {}
        for name, proc in procs.items():
            codes[name] = proc.wait()
            print(f"== {name}: {'passed' if codes[name] == 0 else 'FAILED'} after "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        recorded = [str(p) for p in sorted(times.parent.glob("outputs-*.jsonl"))]
        if recorded:  # the troubleshooting index, against what the chapters printed in these runs
            name = "the troubleshooting index against the notebooks' outputs"
            logs[name] = open(Path(times.parent) / "index.log", "w+")
            codes[name] = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                           "tests/test_troubleshooting.py"], cwd=ROOT, stdout=logs[name],
                                          stderr=subprocess.STDOUT,
                                          env={**env, "IPCLAB_NOTEBOOK_OUTPUTS": os.pathsep.join(recorded)})
            print(f"== {name}: {'passed' if codes[name] == 0 else 'FAILED'}", flush=True)
        for name, log in logs.items():
            log.seek(0)
            print(f"\n======== {name} ========\n{log.read()}", flush=True)
            log.close()
        over = report_times(times, args.budget)
    left = ipc_names(grace=3.0, besides=before)
    if left:
        remove_ipc_names(left)
        print(f"FAILED: the runs left {len(left)} name(s) behind: {', '.join(sorted(left))}")
    if over:
        print(f"{len(over)} notebook(s) over the {args.budget:g} s budget of quick mode: {', '.join(over)}")
    print(f"{Path(sys.argv[0]).name}: {sum(c == 0 for c in codes.values())} of {len(codes)} runs passed, "
          f"{time.monotonic() - started:.0f} s")
    return 0 if not left and not over and all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
