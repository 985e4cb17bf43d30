"""Checks for lab 01 (processes): run them all at once, read exit codes, predict inheritance."""

from __future__ import annotations

import queue as queue_module
import signal
import threading
import time
from types import ModuleType

from ipclab.workers import processes
from ipclab.checks import Exercise, Wrong, call_with_deadline, stop_children
from ipclab.start import available_methods, context

NAPS = [0.8, 0.6, 0.4, 0.2]  # the first started ends last: codes read as processes end come out reversed
CODES = [0, 3, 0, 4]
GATHER = 5.0  # seconds the naps get to be all running at once: starting four processes takes far less
DEADLINE = GATHER + sum(NAPS) + 5  # longer than even one after another takes


def _open_when_all_arrived(arrived, go, seen: list[int]) -> None:
    """Count the naps that arrive within GATHER s, then let them all go (whether or not all came)."""
    deadline = time.monotonic() + GATHER
    try:
        while len(seen) < len(CODES):
            seen.append(arrived.get(timeout=max(0.0, deadline - time.monotonic())))
    except queue_module.Empty:
        pass
    go.set()


def check_run_all(answer: ModuleType) -> None:
    """Four naps with exit codes 0, 3, 0, 4 must all be running at once; their codes come back in order.

    Verifies: the four run at the same time -- each nap waits until the check has seen all four
    arrive (or GATHER s have passed) before it sleeps, so an answer that joins each process
    before starting the next is caught on every run, not only when it is slow; the codes are
    returned in the order of the argument tuples, with naps whose lengths reverse the order in
    which they end; every process is joined (none running, no None code) when run_all returns.
    """
    mp = context()
    arrived, go, seen = mp.Queue(), mp.Event(), []
    opener = threading.Thread(target=_open_when_all_arrived, args=(arrived, go, seen), daemon=True)
    opener.start()
    call = call_with_deadline(answer.run_all, processes.nap_with_the_others,
                              [(nap, code, arrived, go) for nap, code in zip(NAPS, CODES)], timeout=DEADLINE)
    if not call.finished:
        go.set()
        stop_children()
        raise Wrong(f"run_all() did not return within {DEADLINE:g} s for four naps of {sum(NAPS):g} s in all: did you join a "
                    "process that never ends, or one you never started?")
    if call.error is not None:
        go.set()
        raise call.error
    codes, running = call.value, context().active_children()
    go.set()
    if running:
        stop_children()
        raise Wrong(
            f"{len(running)} process(es) were still running when run_all returned: "
            "join every process before you return."
        )
    opener.join()
    if not isinstance(codes, (list, tuple)) or len(codes) != len(CODES):
        raise Wrong(f"run_all must return one exit code per argument tuple, in order; it returned {codes!r}.")
    if None in codes:
        raise Wrong(
            "an exit code is None, so that process had not finished when you read it: "
            "join() each process before reading its exitcode."
        )
    ending_order = [code for _, code in sorted(zip(NAPS, CODES))]
    if list(codes) == ending_order:
        raise Wrong(f"the exit codes came back in the order the processes ended ({list(codes)}), not in the order "
                    f"of the argument tuples ({CODES}): read each process's exitcode from the list of processes "
                    "you started, in that order, once all are joined.")
    if list(codes) != CODES:
        raise Wrong(f"each nap exits with the code it is given, so expected {CODES}, got {list(codes)}.")
    if len(seen) < len(CODES):
        raise Wrong(
            f"only {len(seen)} of the {len(CODES)} naps had started after {GATHER:g} s, so they "
            "ran one after another: each waited for the one before it to be joined. Start every process "
            "first, then join them all."
        )


def describe_exit(exitcode: int | None) -> str:
    """The reference answer of exercise 2."""
    if exitcode is None:
        return "running"
    if exitcode == 0:
        return "ok"
    if exitcode > 0:
        return f"error {exitcode}"
    return f"killed by {signal.Signals(-exitcode).name}"


def _real_exit_codes() -> list[tuple[str, int | None]]:
    """Exit codes of real processes: still running, clean, sys.exit(3), raised, terminated, killed."""
    mp = context()
    cases: list[tuple[str, int | None]] = []
    for how, target, args in [
        ("a clean exit", processes.nap, (0,)),
        ("sys.exit(3)", processes.nap, (0, 3)),
        ("an uncaught exception", processes.fail, ()),
    ]:
        p = mp.Process(target=target, args=args)
        p.start()
        p.join(10)
        cases.append((how, p.exitcode))
    for how in ("terminate()", "kill()"):
        p = mp.Process(target=processes.nap, args=(30,))
        p.start()
        if how == "terminate()":
            cases.append(("a process that is still running", p.exitcode))
            p.terminate()
        else:
            p.kill()
        p.join(10)
        cases.append((how, p.exitcode))
    return cases


def check_describe_exit(answer: ModuleType) -> None:
    """Compare the answer with the reference on exit codes of real processes.

    Verifies, on the codes of processes the check runs (still running, a clean exit,
    ``sys.exit(3)``, an uncaught exception, ``terminate()``, ``kill()``): each description;
    a wrong one is named with the code, where it came from, and what a negative code means.
    """
    for how, code in _real_exit_codes():
        expected, got = describe_exit(code), answer.describe_exit(code)
        if got == expected:
            continue
        if code is None:
            raise Wrong(
                f"exitcode None means the process has not ended (or not been joined) yet: "
                f"describe_exit(None) should be 'running', not {got!r}."
            )
        if code < 0:
            raise Wrong(
                f"exit code {code} came from {how}: a negative exit code is minus the number of the "
                f"signal that ended the process, so describe_exit({code}) should be {expected!r}, not {got!r}."
            )
        raise Wrong(f"exit code {code} came from {how}: describe_exit({code}) should be {expected!r}, not {got!r}.")


WHY = {
    "fork": "fork copies the parent's memory as it is at start(), the change included",
    "spawn": "spawn starts a fresh interpreter that imports the module again and sees the import-time value",
    "forkserver": "forkserver forks from a server process that imported the module but never ran the parent's code",
}


def sees_update(method: str) -> bool:
    """Run it: does a child started with ``method`` see a global the parent changed?"""
    processes.SETTING = "changed at run time"
    mp = context(method)
    queue = mp.Queue()
    child = mp.Process(target=processes.report_setting, args=(queue,))
    child.start()
    setting, _ = queue.get(timeout=20)
    child.join(10)
    return setting == "changed at run time"


def check_predict(answer: ModuleType) -> None:
    """The prediction must match what a real child shows, for every start method here.

    Verifies, for each start method this platform offers: a child started with it after the
    parent changed a module global is run, and the answer's prediction must say what it saw;
    a wrong one is named with the method and why that method shows what it does.
    """
    for method in available_methods():
        actual, predicted = sees_update(method), answer.predict_sees_update(method)
        if bool(predicted) != actual:
            raise Wrong(
                f"predict_sees_update({method!r}) returned {predicted!r}, but in this run a child started "
                f"with {method!r} {'saw' if actual else 'did not see'} the change: {WHY[method]}."
            )


EXERCISES = [
    Exercise("ex1", "lab01_ex1", "start them all, then join", check_run_all, timeout=DEADLINE + 10),
    Exercise("ex2", "lab01_ex2", "read an exit code", check_describe_exit, timeout=20),
    Exercise("ex3", "lab01_ex3", "predict what a child inherits", check_predict, timeout=30),
]
