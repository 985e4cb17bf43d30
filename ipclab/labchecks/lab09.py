"""Checks for lab 09 (spot and fix): each fixed program is run in the sandbox; the check says which still hang,
crash or give a wrong answer, and why."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from types import ModuleType

from ipclab.checks import Exercise, ProcessesMade, Wrong, call_with_deadline, stop_children
from ipclab.start import ENV_VAR
from ipclab.workers.pitfalls import run_python

BIG = 1 << 20  # well over a pipe's 64 KiB buffer


def _no_children_left(call: str, made: ProcessesMade) -> None:
    """Every process the answer started was joined to its end before it returned (not only ended by luck)."""
    left = made.not_joined()
    stop_children()
    if left:
        raise Wrong(f"{call} returned with {len(left)} process(es) never joined to their end (still running, or "
                    "ended by chance): join every process you start before you return.")


def check_drain(answer: ModuleType) -> None:
    """main(nbytes) returns nbytes for a small and a large item, without hanging."""
    for nbytes in (1024, BIG):
        with ProcessesMade() as made:
            call = call_with_deadline(answer.main, nbytes, timeout=5)
        if not call.finished:
            stop_children()
            raise Wrong(f"main({nbytes:,}) still hangs: join() waits for a child that cannot exit until its "
                        "feeder thread has written the item into the pipe, and nobody reads the pipe until join() "
                        "returns. Take the item with get() first, then join().")
        if call.error is not None:
            raise call.error
        if call.value != nbytes:
            raise Wrong(f"main({nbytes:,}) returned {call.value!r}; it should return how many bytes arrived "
                        f"({nbytes:,}).")
        _no_children_left(f"main({nbytes:,})", made)


def check_pickling(answer: ModuleType) -> None:
    """main(n) returns the squares of range(n), computed by a pool."""
    with ProcessesMade() as made:
        call = call_with_deadline(answer.main, 20, timeout=8)
    if not call.finished:
        stop_children()
        raise Wrong("main(20) did not return within 8 s: close() and join() the pool, or leave its with-block "
                    "only after map() has returned.")
    error = call.error
    if error is not None and ("pickle" in str(error) or "local object" in str(error)):
        kind = "a lambda" if "lambda" in str(error) else "a function defined inside another function"
        raise Wrong(f"main(20) still crashes: {type(error).__name__}: {error}. The pool pickles every task, and "
                    f"{kind} has no name another process can import: define the function at module level.")
    if error is not None:
        raise error
    if not isinstance(call.value, list) and hasattr(call.value, "get"):
        raise Wrong(f"main(20) returned {type(call.value).__name__}, a result still to come, not the squares: "
                    "map() returns the list itself; with map_async, call .get(timeout) before the pool ends.")
    if call.value != [x * x for x in range(20)]:
        raise Wrong(f"main(20) returned {str(call.value)[:80]}; expected the squares of 0..19 in order.")
    _no_children_left("main(20)", made)


def check_globals(answer: ModuleType) -> None:
    """main(greeting) returns greeting.upper(), shouted by a child, under spawn whatever the course's method."""
    os.environ[ENV_VAR] = "spawn"  # the mistake shows under spawn (and forkserver): check there on every run
    multiprocessing.set_start_method("spawn", force=True)
    with ProcessesMade() as made:
        call = call_with_deadline(answer.main, "bonjour", timeout=10)
    if not call.finished:
        stop_children()
        raise Wrong("main('bonjour') did not return within 10 s: take the child's answer with get(timeout=...), "
                    "then join it.")
    if call.error is not None:
        raise call.error
    if call.value == "HELLO":
        raise Wrong("main('bonjour') returned 'HELLO' under spawn: the child read the module's global GREETING, "
                    "which a spawned child sets afresh when it imports the module -- the parent's change never "
                    "reaches it. Pass the greeting to the child as an argument.")
    if call.value is None:
        raise Wrong("main('bonjour') returned None: what a child assigns or returns stays in the child (chapter "
                    "01a). Send the shouted greeting back -- on a queue or a pipe -- and return what arrives.")
    if call.value != "BONJOUR":
        raise Wrong(f"main('bonjour') returned {call.value!r}; expected 'BONJOUR'.")
    _no_children_left("main('bonjour')", made)


def check_script(script: Path) -> None:
    """The script prints the squares of 0..4 when run under spawn, and exits."""
    ran = run_python(script, timeout=6, **{ENV_VAR: "spawn"})
    expected = str([x * x for x in range(5)])
    guard_error = "bootstrapping phase" in ran["error"]
    if guard_error:
        what = "did not finish within 6 s" if ran["exitcode"] is None else f"exited with {ran['exitcode']}"
        raise Wrong(f"run as a script under spawn, it {what}: each new process imports the script again and runs "
                    f"every line outside the guard -- here, starting a pool of its own ({ran['error'][:120]}...). Put "
                    "the code that starts the pool under `if __name__ == \"__main__\":`.")
    if ran["exitcode"] is None:
        raise Wrong("run as a script under spawn, it did not finish within 6 s.")
    if ran["exitcode"] != 0:
        raise Wrong(f"run as a script under spawn, it exited with {ran['exitcode']}: {ran['error']}")
    if ran["stdout"].splitlines()[-1:] != [expected]:
        raise Wrong(f"run as a script, it printed {ran['stdout'][-80:]!r}; expected {expected} as its last line.")


EXERCISES = [
    Exercise("ex1", "lab09_ex1", "drain before join", check_drain, timeout=20),
    Exercise("ex2", "lab09_ex2", "what a pool can pickle", check_pickling, timeout=20),
    Exercise("ex3", "lab09_ex3", "no globals across spawn", check_globals, timeout=20),
    Exercise("ex4", "lab09_ex4", "the __main__ guard", check_script, timeout=25, script=True),
]
