"""Checks for lab 01 (processes): run them all at once, read exit codes, predict inheritance."""

from __future__ import annotations

import signal
from types import ModuleType

from ipclab.workers import processes
from ipclab.checks import Exercise, Wrong, call_with_deadline, stop_children
from ipclab.start import available_methods, context

NAP = 0.5
NAP_ARGS = [(NAP, 0), (NAP, 3), (NAP, 0), (NAP, 4)]


def check_run_all(answer: ModuleType) -> None:
    """Four 0.5 s naps with exit codes 0, 3, 0, 4 must take about 0.5 s, not 2 s."""
    call = call_with_deadline(answer.run_all, processes.nap, NAP_ARGS, timeout=3)
    if not call.finished:
        stop_children()
        raise Wrong("run_all() did not return within 3 s for four 0.5 s naps: did you join a process that "
                    "never ends, or one you never started?")
    if call.error is not None:
        raise call.error
    codes, took = call.value, call.seconds
    running = context().active_children()
    if running:
        raise Wrong(
            f"{len(running)} process(es) were still running when run_all returned: "
            "join every process before you return."
        )
    expected = [code for _, code in NAP_ARGS]
    if not isinstance(codes, (list, tuple)) or len(codes) != len(expected):
        raise Wrong(f"run_all must return one exit code per argument tuple, in order; it returned {codes!r}.")
    if None in codes:
        raise Wrong(
            "an exit code is None, so that process had not finished when you read it: "
            "join() each process before reading its exitcode."
        )
    if list(codes) != expected:
        raise Wrong(f"each nap exits with the code it is given, so expected {expected}, got {list(codes)}.")
    if took > 3 * NAP:
        raise Wrong(
            f"four {NAP} s naps took {took:.1f} s, so they ran one after another: "
            "start every process first, then join them all."
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
    """Compare the answer with the reference on exit codes of real processes."""
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
    """The prediction must match what a real child shows, for every start method here."""
    for method in available_methods():
        actual, predicted = sees_update(method), answer.predict_sees_update(method)
        if bool(predicted) != actual:
            raise Wrong(
                f"predict_sees_update({method!r}) returned {predicted!r}, but in this run a child started "
                f"with {method!r} {'saw' if actual else 'did not see'} the change: {WHY[method]}."
            )


EXERCISES = [
    Exercise("ex1", "lab01_ex1", "start them all, then join", check_run_all, timeout=15),
    Exercise("ex2", "lab01_ex2", "read an exit code", check_describe_exit, timeout=20),
    Exercise("ex3", "lab01_ex3", "predict what a child inherits", check_predict, timeout=30),
]
