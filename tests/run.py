"""``make test``: the unit tests and lab checks, and the notebooks under each start method, side by side.

Three (or more) pytest runs share the machine through one lock file (see
``--share-machine`` in the root conftest.py): the unit tests and the lab
checks of every method, JOBS at a time, and one run of notebooks/ and
solutions/ per start method.  Most of what they do is waiting -- for a hung
answer's deadline, a sandbox's watchdog, a kernel to start -- so they overlap
well on two cores; whatever measures runs alone.  Each run's output is
printed when all have finished, then /dev/shm and the temporary folder are
checked as a whole: nothing may be left there.

    python tests/run.py [--jobs N] [--methods "default spawn"] [-- NBVAL OPTIONS]
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=6, help="tests run at a time (pytest-xdist)")
    parser.add_argument("--methods", default="default spawn", help="start methods for the notebooks and lab checks")
    parser.add_argument("nbval", nargs="*", help="options for the notebook runs (after --)")
    args = parser.parse_args()

    methods = args.methods.split()
    before = ipc_names()
    env = {**os.environ, "IPCLAB_QUICK": "1", "IPCLAB_TEST_METHODS": " ".join(methods)}
    env.pop(ENV_VAR, None)
    with tempfile.TemporaryDirectory(prefix="ipclab-test-") as folder:
        lock = ["--share-machine", str(Path(folder) / "machine.lock")]
        runs = {"unit tests and lab checks": ([sys.executable, "-m", "pytest", "-n", str(args.jobs), "--dist",
                                               "loadgroup", *lock, "tests", "--ignore=tests/browser"], env)}
        for method in methods:
            method_env = dict(env) if method == "default" else {**env, ENV_VAR: method}
            runs[f"notebooks under {method}"] = ([sys.executable, "-m", "pytest", *args.nbval, *lock, "notebooks",
                                                  "solutions"], method_env)
        started = time.monotonic()
        logs = {name: open(Path(folder) / f"{i}.log", "w+") for i, name in enumerate(runs)}
        procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=run_env, stdout=logs[name], stderr=subprocess.STDOUT)
                 for name, (cmd, run_env) in runs.items()}
        codes = {}
        for name, proc in procs.items():
            codes[name] = proc.wait()
            print(f"== {name}: {'passed' if codes[name] == 0 else 'FAILED'} after "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        for name, log in logs.items():
            log.seek(0)
            print(f"\n======== {name} ========\n{log.read()}", flush=True)
            log.close()
    left = ipc_names(grace=3.0, besides=before)
    if left:
        remove_ipc_names(left)
        print(f"FAILED: the runs left {len(left)} name(s) behind: {', '.join(sorted(left))}")
    print(f"make test: {sum(c == 0 for c in codes.values())} of {len(codes)} runs passed, "
          f"{time.monotonic() - started:.0f} s")
    return 0 if not left and all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
