"""Lab checks: run a learner's answer in the sandbox and say plainly what is wrong.

A lab notebook writes each answer to a small module with ``%%writefile``
(``lab01_ex1.py``...), because code that runs in a child process must be
importable.  A check imports that module in a sandboxed child, exercises it
under the course's start method and either returns (pass) or raises
:class:`Wrong` with a sentence that names the mistake.  An unsolved exercise
still holds nbgrader's stub, ``raise NotImplementedError()``, and is reported
as "not solved yet"; an answer that hangs is stopped by the sandbox.

The checks of lab NN live in ``ipclab.labchecks.labNN`` as a list
``EXERCISES`` of :class:`Exercise`.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import queue as queue_module
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import pool as pool_module
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from ipclab.cleanup import end_descendants
from ipclab.sandbox import run_guarded
from ipclab.start import context

ANSWER_FILE = re.compile(r"lab\d\d_ex\d+\.py")  # an answer module's file name
STUB = "raise NotImplementedError()"  # nbgrader's code stub for an unsolved answer
WRITEFILE = re.compile(r"\A%%writefile\s+(?:-a\s+)?(\S+\.py)\s*\n")


class Wrong(Exception):
    """Raised by a check: the answer runs but is wrong.  The message says why."""


class NotPassed(AssertionError):
    """Raised by a grading cell (:func:`grade`): its message is the check's verdict, wrapped to 80 columns.

    IPython shows an exception through its ``_render_traceback_`` when it has
    one, so the cell's error -- in JupyterLab, in nbgrader's Validate dialog
    and in its feedback pages -- is the verdict alone, first, with no
    traceback into this package (nor the grader's paths).
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: the exercise does not pass yet", *str(self).strip().splitlines()]


@dataclass
class Call:
    """What :func:`call_with_deadline` saw: did the call return, with what, or what did it raise."""

    finished: bool
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


def call_with_deadline(fn: Callable[..., Any], *args: Any, timeout: float) -> Call:
    """Call ``fn(*args)`` in a daemon thread and wait at most ``timeout`` seconds.

    A check uses it to tell *how* an answer hangs, and say so, instead of
    letting the sandbox stop it with a generic message.  A call still blocked
    at the deadline is abandoned (its thread dies with the sandboxed process).
    """
    call = Call(False)

    def run() -> None:
        try:
            call.value = fn(*args)
        except BaseException as exc:  # reported to the check, which explains it
            call.error = exc
        call.finished = True

    t0 = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    call.seconds = time.perf_counter() - t0
    return call


def answer_line(exc: BaseException) -> str:
    """" (line N of labNN_exK.py)": the deepest line of an answer module in ``exc``'s traceback, or "" if none."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if ANSWER_FILE.fullmatch(Path(f.filename).name)]
    return f" (line {frames[-1].lineno} of {Path(frames[-1].filename).name})" if frames else ""


def reporting(target: Callable[..., Any], errors: Any, *args: Any) -> None:
    """Run ``target(*args)`` in a child; put any exception's text on the queue ``errors`` before dying of it.

    A check starts an answer's worker through this, so that an exception in a
    child -- which would only be printed on that child's stderr -- reaches the
    check and can be named in its message.
    """
    try:
        target(*args)
    except Exception as exc:
        errors.put(f"{type(exc).__name__}: {exc}{answer_line(exc)}")
        errors.close()
        errors.join_thread()  # make sure the report is in the pipe before this process dies
        raise


def ending(target: Callable[..., Any], ends: Any, *args: Any) -> None:
    """Run ``target(*args)`` in a child and tell the queue ``ends`` how it ended: returned, or raised what.

    A check starts an answer's worker through this to tell a worker that
    finished its function from one that died on the way (``os._exit``, a
    signal, an exception): :func:`how_it_ended` turns what it reported, or
    did not, into words for the verdict.
    """
    try:
        target(*args)
    except BaseException as exc:  # reported, then raised again: the process still dies of it
        ends.put((os.getpid(), f"raised {type(exc).__name__}: {exc}{answer_line(exc)}"))
        raise
    else:
        ends.put((os.getpid(), "returned"))
    finally:
        ends.close()
        ends.join_thread()  # the report is in the pipe before this process can die


def how_it_ended(processes: list[Any], ends: Any) -> dict[int, str]:
    """For each ended process of ``processes`` (started through :func:`ending`) that did not return: how it ended.

    By pid: "raised ValueError: ...", "was killed by SIGKILL", or "ended with
    exit code 0 without an exception and without returning (os._exit()?)".
    """
    said: dict[int, str] = {}
    while True:
        try:
            pid, how = ends.get(timeout=0.2)
        except queue_module.Empty:  # everything that was reported has been read
            break
        said[pid] = how
    died = {}
    for p in processes:
        if p.exitcode is None or said.get(p.pid) == "returned":
            continue
        if p.pid in said:
            died[p.pid] = said[p.pid]
        elif p.exitcode < 0:
            died[p.pid] = f"was killed by {signal.Signals(-p.exitcode).name}"
        else:
            died[p.pid] = f"ended with exit code {p.exitcode} without an exception and without returning (os._exit()?)"
    return died


class Made:
    """Keeps every instance of ``classes`` made while its ``with`` block runs, in ``made[cls]``.

    Each class's ``__init__`` is wrapped for the duration of the block, so a
    check sees the pools, clusters, clients or processes an answer makes, and
    can stop what the answer left running -- or, in :meth:`adopt`, set up each
    one the way the check needs before the answer uses it.  A subclass can
    also watch a method for the block (:meth:`replace`).
    """

    def __init__(self, *classes: type) -> None:
        self.made: dict[type, list[Any]] = {cls: [] for cls in classes}
        self._originals = {cls: cls.__init__ for cls in classes}
        self._replacements: list[tuple[type, str, Callable[[Any], Any]]] = []
        self._replaced: list[tuple[type, str, Any]] = []

    def replace(self, cls: type, name: str, make: Callable[[Any], Any]) -> None:
        """While the block runs, ``cls.name`` is ``make(original)``; the original is back when it ends."""
        self._replacements.append((cls, name, make))

    def __enter__(self) -> Made:
        for cls, name, make in self._replacements:
            self._replaced.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, make(getattr(cls, name)))
        for cls, original in self._originals.items():
            kept = self.made[cls]

            def recorded_init(obj: Any, *args: Any, _original: Any = original, _kept: list = kept,
                              **kwargs: Any) -> None:
                _kept.append(obj)
                _original(obj, *args, **kwargs)
                self.adopt(obj)

            cls.__init__ = recorded_init
        return self

    def adopt(self, obj: Any) -> None:
        """Called with each instance once it is made; a subclass may adjust it here."""

    def __exit__(self, *exc: object) -> None:
        for cls, original in self._originals.items():
            cls.__init__ = original
        for cls, name, own in reversed(self._replaced):
            if own is None:  # it was inherited
                delattr(cls, name)
            else:
                setattr(cls, name, own)
        self._replaced.clear()


class PoolsMade(Made):
    """Keeps every ``Pool`` made while its ``with`` block runs, and terminates them all when it ends.

    A check wraps an answer's call in it: a pool left waiting (on a page that
    never answers, on tasks still queued) would keep the check's process from
    exiting, and killing its workers alone only makes the pool start new ones.
    """

    def __init__(self) -> None:
        super().__init__(pool_module.Pool)
        self.pools: list[pool_module.Pool] = self.made[pool_module.Pool]

    def still_open(self) -> list[pool_module.Pool]:
        """The pools neither closed nor terminated (a Pool's own state is "RUN" until then)."""
        return [pool for pool in self.pools if getattr(pool, "_state", None) == "RUN"]

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        for pool in self.pools:
            try:
                pool.terminate()
            except Exception:  # a pool whose result thread died can fail to terminate cleanly: it is stopped anyway
                pass


class ProcessesMade(Made):
    """Keeps every process made while its ``with`` block runs, and notes which were joined to their end.

    So a check can say, on every run, that an answer returned without joining a process -- whether
    or not that process happened to have ended by then.
    """

    def __init__(self) -> None:
        super().__init__(BaseProcess)
        self.processes: list[BaseProcess] = self.made[BaseProcess]
        self.targets: dict[int, Any] = {}  # by id: start() forgets a process's target, so it is noted here
        self.joined: set[int] = set()
        self.replace(BaseProcess, "join", self._noting_joins)

    def _noting_joins(self, original: Callable[..., None]) -> Callable[..., None]:
        joined = self.joined

        def noted_join(process: BaseProcess, timeout: float | None = None) -> None:
            original(process, timeout)
            if process.exitcode is not None:
                joined.add(id(process))

        return noted_join

    def adopt(self, process: BaseProcess) -> None:
        self.targets[id(process)] = getattr(process, "_target", None)

    def started(self, target: Callable[..., Any]) -> int:
        """How many processes made in the block to run ``target`` were started."""
        return sum(1 for p in self.processes if self.targets.get(id(p)) is target and p._popen is not None)

    def not_joined(self) -> list[BaseProcess]:
        """The processes started in the block and never joined to their end -- a pool's own workers left out.

        A pool reaps its workers itself (``Pool`` names them ``...PoolWorker-N``); whether the
        answer ended its pool is a question of its own.
        """
        return [p for p in self.processes
                if p._popen is not None and id(p) not in self.joined and "PoolWorker" not in p.name]


def stop_children() -> int:
    """Terminate every child process still running (a stuck answer's); return how many."""
    running = multiprocessing.active_children()
    for p in running:
        p.terminate()
    for p in running:
        p.join(5)
    return len(running)


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lab: its answer module and the check that judges it.

    ``check`` runs in a sandboxed child and receives the imported answer
    module (what it returns, if anything, is said beside the PASS) -- or, with ``script=True``, the path of the answer file, for an
    answer that is a script to run rather than a module to import.  It should
    catch a hanging answer itself (:func:`call_with_deadline`) to say how it
    hangs; ``timeout`` is the sandbox's last resort.  ``start_method`` starts
    the sandboxed check with that method instead of the course's.
    """

    name: str
    module: str
    title: str
    check: Callable[[Any], str | None]
    timeout: float = 10.0
    script: bool = False
    start_method: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The result of checking one exercise."""

    lab: str
    exercise: Exercise
    status: Literal["pass", "not solved", "wrong"]
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        head = f"{self.lab} {self.exercise.name} ({self.exercise.title}): "
        if self.status == "pass":
            return head + "PASS" + (f" -- {self.message}" if self.message else "")
        if self.status == "not solved":
            return head + "not solved yet" + (f" -- {self.message}" if self.message else "")
        return head + "WRONG -- " + self.message


def exercises(lab: str) -> list[Exercise]:
    """The exercises of ``lab`` (e.g. ``"lab01"``)."""
    if not re.fullmatch(r"lab\d\d", lab):
        raise ValueError(f"a lab is named like 'lab01', not {lab!r}")
    try:
        module = importlib.import_module(f"ipclab.labchecks.{lab}")
    except ModuleNotFoundError:
        raise ValueError(f"there is no {lab}") from None
    return list(module.EXERCISES)


def extract_answers(notebook: Path, into: Path) -> list[Path]:
    """Write the ``%%writefile`` cells of ``notebook`` into the folder ``into``."""
    written = []
    for cell in json.loads(notebook.read_text())["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = WRITEFILE.match(source)
        if cell["cell_type"] == "code" and match:
            path = into / Path(match.group(1)).name
            path.write_text(source[match.end() :] + "\n")
            written.append(path)
    return written


def _collect(lab: str, answers: list[Path], into: Path) -> None:
    """Put the answer modules for ``lab`` into ``into`` under their module names.

    Each answer is a lab notebook, a folder holding the answer modules, or a
    ``.py`` file whose name starts with an exercise's module name
    (``lab03_ex1_too_few_sentinels.py`` answers ``lab03_ex1``).
    """
    modules = [ex.module for ex in exercises(lab)]
    for answer in answers:
        if not answer.exists():
            raise FileNotFoundError(f"{answer} does not exist")
        if answer.suffix == ".ipynb":
            extract_answers(answer, into)
        elif answer.is_dir():
            for module in modules:
                if (answer / f"{module}.py").exists():
                    shutil.copy(answer / f"{module}.py", into / f"{module}.py")
        elif answer.suffix == ".py":
            matching = [m for m in modules if answer.stem == m or answer.stem.startswith(m + "_")]
            if not matching:
                raise ValueError(f"{answer.name} answers none of {modules}")
            shutil.copy(answer, into / f"{matching[0]}.py")
        else:
            raise ValueError(f"cannot read an answer from {answer}")


def _run_exercise(folder: str, module: str, check: Callable[[Any], str | None], script: bool) -> str | None:
    """Sandboxed: import the answer module from ``folder`` (or, for a script, find it) and run the check on it.

    Standard error goes to /dev/null: children that die on purpose in a check
    would otherwise print tracebacks over the verdicts.  The working folder is
    ``folder``, a temporary one: a stray write of the answer's is removed with
    it instead of landing beside the lab.  Once the check has
    its verdict, whatever the answer left running is ended, so that the
    verdict does not wait for it (multiprocessing would join a non-daemon
    child before this process could exit).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    sys.stderr = open(os.devnull, "w")  # forked from a Jupyter kernel, sys.stderr is not fd 2
    os.chdir(folder)
    try:
        if script:
            return check(Path(folder) / f"{module}.py")
        sys.path.insert(0, folder)
        sys.modules.pop(module, None)  # a forked child may hold a stale copy the notebook imported
        importlib.invalidate_caches()
        return check(importlib.import_module(module))
    finally:
        end_descendants()


def check_exercise(lab: str, exercise: Exercise, folder: Path) -> Verdict:
    """Judge one exercise whose answer module (if any) is in ``folder``."""
    answer = folder / f"{exercise.module}.py"
    if not answer.exists():
        return Verdict(lab, exercise, "not solved", f"no answer found ({exercise.module}.py)")
    if STUB in answer.read_text():
        return Verdict(lab, exercise, "not solved", "replace `raise NotImplementedError()` with your code")
    outcome = run_guarded(_run_exercise, str(folder), exercise.module, exercise.check, exercise.script,
                          timeout=exercise.timeout, ctx=context(exercise.start_method))
    if outcome.status == "finished":
        return Verdict(lab, exercise, "pass", outcome.value or "")
    if outcome.error_type == "Wrong":  # also when its process then hung on the way out
        return Verdict(lab, exercise, "wrong", outcome.error or "")
    if outcome.status == "hung":
        return Verdict(lab, exercise, "wrong", f"it did not finish within {exercise.timeout:g} s and was stopped.")
    if outcome.error_type == "NotImplementedError":
        return Verdict(lab, exercise, "not solved", "replace `raise NotImplementedError()` with your code")
    if outcome.error_type is None:
        how = (f"was killed by {signal.Signals(-outcome.exitcode).name}" if outcome.exitcode and outcome.exitcode < 0
               else f"ended with exit code {outcome.exitcode} without an exception (os._exit() in your code?)")
        return Verdict(lab, exercise, "wrong", f"the check's process, which ran your code, {how}.")
    where = _answer_line(outcome.traceback or "", exercise.module)
    detail = f": {outcome.error}" if outcome.error else ""
    if outcome.error_type in ("SyntaxError", "IndentationError", "TabError"):
        where = ""  # its message names the file and line already
    return Verdict(lab, exercise, "wrong", f"your code raised {outcome.error_type}{detail}{where}")


def _answer_line(tb: str, module: str) -> str:
    """" (line N of module.py)" for the deepest traceback line in the answer, if any."""
    lines = re.findall(rf'File "[^"]*{re.escape(module)}\.py", line (\d+)', tb)
    return f" (line {lines[-1]} of {module}.py)" if lines else ""


# The verdicts given in this process, by (lab, exercise): with the answer's source they judged.
_given: dict[tuple[str, str], tuple[str | None, Verdict]] = {}


def _judge(lab: str, chosen: list[Exercise], answers: list[Path]) -> list[Verdict]:
    """Check the ``chosen`` exercises against ``answers``; remember each verdict with its answer's source for :func:`grade`."""
    verdicts = []
    with tempfile.TemporaryDirectory(prefix=f"ipclab-{lab}-") as tmp:
        _collect(lab, answers, Path(tmp))
        for exercise in chosen:
            verdict = check_exercise(lab, exercise, Path(tmp))
            answer = Path(tmp) / f"{exercise.module}.py"
            _given[(lab, exercise.name)] = (answer.read_text() if answer.exists() else None, verdict)
            verdicts.append(verdict)
    return verdicts


def check(lab: str, *answers: str | Path) -> list[Verdict]:
    """Check every exercise of ``lab`` against ``answers`` and print one line each.

    Without answers, the learner's notebook ``labs/<lab>.ipynb`` of this
    checkout is read.  In a lab notebook, ``check("lab01", ".")`` checks the
    modules its ``%%writefile`` cells have just written.
    """
    lab_exercises = exercises(lab)  # an unknown lab is an error before anything else
    verdicts = _judge(lab, lab_exercises, [Path(a) for a in answers] or [learner_notebook(lab)])
    for verdict in verdicts:
        print(verdict)
    return verdicts


def grade(lab: str, exercise: str, folder: str | Path = ".") -> None:
    """An nbgrader test cell: pass quietly if ``exercise`` of ``lab`` passes, else raise :class:`NotPassed`.

    The error's message is the check's verdict, so ``nbgrader autograde``
    scores the exercise and its feedback names the mistake.  The answer is
    the module in ``folder`` (where the lab's ``%%writefile`` cell put it).
    A verdict :func:`check` gave in this process for the very same source is
    reused -- a lab's check cell has just run every check -- otherwise the
    exercise is checked now.  It returns nothing: nbgrader would read a
    returned value as a partial score.
    """
    chosen = next((ex for ex in exercises(lab) if ex.name == exercise), None)
    if chosen is None:
        raise ValueError(f"{lab} has no exercise {exercise!r}")
    answer = Path(folder) / f"{chosen.module}.py"
    source = answer.read_text() if answer.exists() else None
    seen, verdict = _given.get((lab, exercise), (None, None))
    if verdict is None or seen != source:
        [verdict] = _judge(lab, [chosen], [Path(folder)])
    if not verdict.passed:  # in lines short enough for `nbgrader validate`, which cuts longer ones
        raise NotPassed("\n" + textwrap.fill(str(verdict), 80, break_long_words=False))
    print(verdict)


def learner_notebook(lab: str) -> Path:
    """``labs/<lab>.ipynb`` of the checkout this package was installed from."""
    root = Path(__file__).resolve().parent.parent
    for candidate in (Path.cwd() / "labs" / f"{lab}.ipynb", root / "labs" / f"{lab}.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"cannot find labs/{lab}.ipynb; pass the answer notebook or file")
