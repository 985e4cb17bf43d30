"""Checks for lab 09 (spot and fix): each fixed program is run in the sandbox; the check says which still hang,
crash or give a wrong answer, and why."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

from ipclab.checks import Exercise, PoolsMade, ProcessesMade, Wrong, call_with_deadline, stop_children
from ipclab.start import ENV_VAR
from ipclab.workers.pitfalls import run_python

BIG = 1 << 20  # well over a pipe's 64 KiB buffer
SHOUT = "bonjour " * (1 << 14)  # 128 KiB: a greeting whose shout is more than a pipe holds
LATE = 0.5  # seconds the first task given to an answer's pool waits before it runs


def _late(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """In a pool's worker: run ``func`` :data:`LATE` s late."""
    time.sleep(LATE)
    return func(*args, **kwargs)


def _late_on(first: Any, func: Callable[..., Any], item: Any) -> Any:
    """In a pool's worker: ``func(item)``, :data:`LATE` s late when ``item`` is the first of the map."""
    if item == first:
        time.sleep(LATE)
    return func(item)


class FirstTaskLate(PoolsMade):
    """The answer's pools (and process pool executors) run the first task they are given :data:`LATE` s late.

    Every other task finishes meanwhile, so results gathered in the order
    they finish (``imap_unordered``, a callback that appends, ``as_completed``)
    come out of order on every run, while ``map``, ``imap`` and results read
    in the order they were asked for keep it.  The task's function is wrapped
    in one of this module's, which pickles the same way (a lambda still fails).
    """

    def __init__(self) -> None:
        super().__init__()
        self.replace(ProcessPoolExecutor, "submit", self._late_first_submit)

    @staticmethod
    def _late_first_submit(original: Callable[..., Any]) -> Callable[..., Any]:
        first: set[int] = set()  # the executors whose first task has gone

        def submit(executor: ProcessPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any):
            if id(executor) not in first:
                first.add(id(executor))
                fn = functools.partial(_late, fn)
            return original(executor, fn, *args, **kwargs)

        return submit

    def adopt(self, pool: Any) -> None:
        first_call = [True]

        def late_once(method: Callable[..., Any]) -> Callable[..., Any]:
            def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
                if first_call[0]:
                    first_call[0] = False
                    func = functools.partial(_late, func)
                return method(func, *args, **kwargs)
            return call

        def late_first_item(method: Callable[..., Any]) -> Callable[..., Any]:
            def call(func: Callable[..., Any], iterable: Any, *args: Any, **kwargs: Any) -> Any:
                items = list(iterable)
                if items and first_call[0]:
                    first_call[0] = False
                    func = functools.partial(_late_on, items[0], func)
                return method(func, items, *args, **kwargs)
            return call

        pool.apply_async = late_once(pool.apply_async)
        for name in ("map", "map_async", "imap", "imap_unordered"):
            setattr(pool, name, late_first_item(getattr(pool, name)))


def _no_children_left(call: str, made: ProcessesMade) -> None:
    """Every process the answer started was joined to its end before it returned (not only ended by luck)."""
    left = made.not_joined()
    stop_children()
    if left:
        raise Wrong(f"{call} returned with {len(left)} process(es) never joined to their end (still running, or "
                    "ended by chance): join every process you start before you return.")


def check_drain(answer: ModuleType) -> None:
    """main(nbytes) returns nbytes for a small and a large item, without hanging.

    Verifies, for 1 KiB and 1 MiB (less and more than a pipe holds, so a child joined before
    its item is taken hangs on every run): the call returns within 5 s; the count of bytes that
    arrived; every process joined to its end (a join with a timeout that gave up is named).
    """
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
    """main(n) returns the squares of range(n), in order, computed by a pool it closes.

    Verifies: the call returns (a pool left waiting is named); a lambda or a nested function is
    named from the pickling error; a result still to come (an ``AsyncResult``) is named; worker
    processes were started (the squares were not computed in the main process); the squares come
    in input order -- the pool's first task runs :data:`LATE` s late (:class:`FirstTaskLate`),
    so results gathered as they finish are out of order on every run; the pool is closed and
    every process joined.
    """
    with ProcessesMade() as made, FirstTaskLate() as pools:
        call = call_with_deadline(answer.main, 20, timeout=8)
        still_open = pools.still_open()
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
    if not made.processes:
        raise Wrong("main(20) started no process: compute the squares on a pool of two processes, not in the "
                    "main process.")
    expected = [x * x for x in range(20)]
    if isinstance(call.value, list) and sorted(call.value) == expected and call.value != expected:
        raise Wrong(f"main(20) returned the squares out of order ({str(call.value)[:40]}...): they were gathered "
                    f"as the tasks finished, and the check made the first task {LATE:g} s late. map() (or "
                    "imap(), or reading each AsyncResult in the order you asked) keeps the order of the input.")
    if call.value != expected:
        raise Wrong(f"main(20) returned {str(call.value)[:80]}; expected the squares of 0..19 in order.")
    if still_open:
        stop_children()
        raise Wrong("main(20) returned with its pool still open: close() and join() it, or use it in a "
                    "with-block (which ends it when the block ends).")
    _no_children_left("main(20)", made)


def check_globals(answer: ModuleType) -> None:
    """main(greeting) returns greeting.upper(), shouted by a child, under spawn whatever the course's method.

    Verifies, for "bonjour" and for a greeting of 128 KiB (its shout is more than a pipe holds, so
    a child joined before its answer is taken hangs on every run): the call returns; the child was
    given the greeting (a spawned child that reads the module's global says "HELLO"); the shout
    came back to the parent (not None); every process was joined.
    """
    os.environ[ENV_VAR] = "spawn"  # the mistake shows under spawn (and forkserver): check there on every run
    multiprocessing.set_start_method("spawn", force=True)
    for greeting in ("bonjour", SHOUT):
        said = f"main({greeting!r})" if len(greeting) < 20 else f"main(a greeting of {len(greeting) >> 10} KiB)"
        with ProcessesMade() as made:
            call = call_with_deadline(answer.main, greeting, timeout=10)
        if not call.finished:
            stop_children()
            raise Wrong(f"{said} did not return within 10 s: take the child's answer with get(timeout=...), "
                        "then join it -- a child that put more than a pipe holds cannot exit before that.")
        if call.error is not None:
            raise call.error
        if call.value == "HELLO":
            raise Wrong(f"{said} returned 'HELLO' under spawn: the child read the module's global GREETING, "
                        "which a spawned child sets afresh when it imports the module -- the parent's change "
                        "never reaches it. Pass the greeting to the child as an argument.")
        if call.value is None:
            raise Wrong(f"{said} returned None: what a child assigns or returns stays in the child (chapter "
                        "01a). Send the shouted greeting back -- on a queue or a pipe -- and return what arrives.")
        if call.value != greeting.upper():
            shown = call.value if not isinstance(call.value, str) or len(call.value) < 40 else call.value[:40] + "..."
            raise Wrong(f"{said} returned {shown!r}; expected the greeting upper-cased.")
        _no_children_left(said, made)


def check_script(script: Path) -> None:
    """The script prints the squares of 0..4 when run under spawn, and exits.

    Verifies, running ``python SCRIPT`` under spawn: it exits within 6 s with status 0, and its
    last line is the squares; a pool started at import (each spawned child imports the script
    and starts one of its own) is named from multiprocessing's bootstrapping error.
    """
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
    if ran["exitcode"] < 0:
        raise Wrong(f"run as a script under spawn, it was killed by {signal.Signals(-ran['exitcode']).name}"
                    f"{': ' + ran['error'] if ran['error'] else ''}.")
    if ran["exitcode"] != 0:
        error = ran["error"] or "without an exception on its stderr (sys.exit() or os._exit() with that code?)"
        raise Wrong(f"run as a script under spawn, it exited with {ran['exitcode']}: {error}")
    if ran["stdout"].splitlines()[-1:] != [expected]:
        raise Wrong(f"run as a script, it printed {ran['stdout'][-80:]!r}; expected {expected} as its last line.")


EXERCISES = [
    Exercise("ex1", "lab09_ex1", "drain before join", check_drain, timeout=20),
    Exercise("ex2", "lab09_ex2", "what a pool can pickle", check_pickling, timeout=20),
    Exercise("ex3", "lab09_ex3", "no globals across spawn", check_globals, timeout=20),
    Exercise("ex4", "lab09_ex4", "the __main__ guard", check_script, timeout=25, script=True),
]
