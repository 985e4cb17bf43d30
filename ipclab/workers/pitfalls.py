"""The broken programs of chapter 09 (pitfalls), each beside its fix.

Every ``..._broken`` function hangs, crashes or gives a wrong answer on
purpose; the chapter runs it in the sandbox and shows what happened, then runs
the fix.  Lab 09 shows the same broken programs and asks for the fixes.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import queue as queue_module
import re
import secrets
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

from ipclab.cleanup import group_members, ipc_names, kill, remove_ipc_names, wait_for_exit
from ipclab.start import TAG_VAR, context


# -- 1. Joining a process before draining what it put on a queue ------------------------------------

def put_bytes(queue: Any, nbytes: int) -> None:
    """Put one item of ``nbytes`` bytes on ``queue``, then exit."""
    queue.put(bytes(nbytes))


def pipe_capacity() -> int:
    """How many bytes a new pipe holds on this machine before a write blocks: written until it would."""
    reader, writer = os.pipe()
    try:
        os.set_blocking(writer, False)
        held = 0
        while True:
            try:
                held += os.write(writer, b"\0" * 1024)
            except BlockingIOError:
                return held
    finally:
        os.close(reader)
        os.close(writer)


def join_then_get_broken(nbytes: int) -> int:
    """Join the child, then take its item: hangs once the item is bigger than the pipe's buffer."""
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=put_bytes, args=(queue, nbytes))
    child.start()
    child.join()  # the child cannot exit until its feeder thread has written the whole item...
    return len(queue.get())  # ...and nobody reads it until join() returns


def get_then_join(nbytes: int) -> int:
    """The fix: take what the child put, then join it."""
    mp = context()
    queue = mp.Queue()
    child = mp.Process(target=put_bytes, args=(queue, nbytes))
    child.start()
    size = len(queue.get(timeout=10))
    child.join()
    return size


# -- 2. terminate() on a process that holds a shared queue's lock -------------------------------------

def take_one(queue: Any, taken: Any, ready: Any) -> None:
    """Set ``ready``, take one item from ``queue`` (waiting in ``get()``, holding the read lock), report it."""
    ready.set()
    taken.put(queue.get())


def wait_until_reading(queue: Any, ready: Any, timeout: float = 30.0) -> bool:
    """Wait until a reader has said it calls ``queue.get()`` and holds the queue's read lock; False on timeout.

    Waiting a fixed time instead is a race: on a busy machine a spawned reader
    may not have reached ``get()`` yet, and then ``terminate()`` breaks nothing.
    The lock is private (``Queue._rlock``, the same from 3.8 to 3.14); where it
    is missing, a short wait after the reader's word stands in for it.
    """
    deadline = time.monotonic() + timeout
    if not ready.wait(timeout):
        return False
    lock = getattr(queue, "_rlock", None)
    if lock is None:
        time.sleep(0.5)
        return True
    while time.monotonic() < deadline:
        if not lock.acquire(False):
            return True  # someone else holds it: the reader, waiting in get()
        lock.release()
        time.sleep(0.01)
    return False


def terminate_a_reader_broken() -> dict[str, Any]:
    """Terminate a reader blocked in ``get()``: the item put afterwards can never be taken.

    ``Queue.get()`` holds the queue's read lock while it waits; a process
    killed there never releases it, so every later ``get()`` waits for that
    lock, even with an item in the queue.
    """
    mp = context()
    queue, taken, ready = mp.Queue(), mp.Queue(), mp.Event()
    reader = mp.Process(target=take_one, args=(queue, taken, ready))
    reader.start()
    blocked = wait_until_reading(queue, ready)  # the reader is now in get(), holding the read lock
    reader.terminate()
    reader.join()
    queue.put("bun")
    try:
        got = queue.get(timeout=1)
    except queue_module.Empty:
        got = None
    return {"reader_blocked": blocked, "reader_exitcode": reader.exitcode,
            "qsize_after_put": _qsize(queue), "got": got}


def stop_a_reader_with_a_sentinel() -> dict[str, Any]:
    """The fix: end the reader with an item it understands (here, any item), and join it."""
    mp = context()
    queue, taken, ready = mp.Queue(), mp.Queue(), mp.Event()
    reader = mp.Process(target=take_one, args=(queue, taken, ready))
    reader.start()
    blocked = wait_until_reading(queue, ready)
    queue.put(None)  # the reader takes it and ends by itself, releasing the lock
    reader.join(30)
    queue.put("bun")
    return {"reader_blocked": blocked, "reader_exitcode": reader.exitcode,
            "qsize_after_put": _qsize(queue), "got": queue.get(timeout=1)}


def _qsize(queue: Any) -> int | None:
    try:
        return queue.qsize()
    except NotImplementedError:  # macOS
        return None


# -- 3. Zombies and orphans ---------------------------------------------------------------------------

def status_of(pid: int) -> str:
    """The process table's status of ``pid`` ("running", "sleeping", "zombie"...), or "gone"."""
    import psutil

    try:
        return psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return "gone"


def status_once_exited(pid: int, timeout: float = 5.0) -> str:
    """The status of ``pid`` once it has exited ("zombie" or "gone"), or its last status after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (status := status_of(pid)) not in ("zombie", "gone") and time.monotonic() < deadline:
        time.sleep(0.01)
    return status


def zombie() -> dict[str, str]:
    """A child that has finished but was never joined: its status in the process table, then after join().

    Under ``forkserver`` the child is the fork server's, not ours: the fork
    server collects it, so no zombie is left with us.
    """
    from multiprocessing.connection import wait

    child = context().Process(target=time.sleep, args=(0,))
    child.start()
    wait([child.sentinel], timeout=30)  # it is exiting...
    before = status_once_exited(child.pid)  # ...and nobody has collected its exit status yet
    child.join()
    return {"finished, not joined": before, "after join()": status_of(child.pid)}


def report_parent(parents: Any, reported: Any, parent_gone: Any) -> None:
    """Report this process's pid and parent pid; once told its parent is gone, report the parent pid again."""
    parents.put((os.getpid(), os.getppid()))
    reported.set()
    parent_gone.wait(30)
    parents.put((os.getpid(), os.getppid()))


def start_grandchild_and_vanish(parents: Any, reported: Any, parent_gone: Any) -> None:
    """Start a grandchild, wait until it has reported, then exit without joining it (``os._exit`` skips the join)."""
    context().Process(target=report_parent, args=(parents, reported, parent_gone)).start()
    reported.wait(30)
    os._exit(0)


def orphan() -> dict[str, int]:
    """A grandchild whose parent exits: its parent pid before and after.

    The grandchild looks again only when told that its parent has exited, so
    the second look always comes after the parent's exit.
    """
    mp = context()
    parents, reported, parent_gone = mp.Queue(), mp.Event(), mp.Event()
    middle = mp.Process(target=start_grandchild_and_vanish, args=(parents, reported, parent_gone))
    middle.start()
    grandchild, before = parents.get(timeout=30)
    wait_for_exit(middle, timeout=30)  # not join(): under fork the grandchild holds what join() waits on
    parent_gone.set()
    _, after = parents.get(timeout=30)
    status_once_exited(grandchild)  # let it end: an orphan is not ours to join (its new parent collects it)
    return {"middle": middle.pid, "parent_before": before, "parent_after": after}


# -- Globals that differ under spawn (lab 09) ------------------------------------------------------------

GREETING = "hello"


def shout_the_global(result: Any) -> None:
    """In the child: report the module's GREETING, upper-cased."""
    result.put(GREETING.upper())


def shout_broken(greeting: str, method: str | None = None) -> str:
    """Set the global in the parent, then let a child read it: a spawned child imports the module afresh."""
    global GREETING
    GREETING = greeting
    mp = context(method)
    result = mp.Queue()
    child = mp.Process(target=shout_the_global, args=(result,))
    child.start()
    shouted = result.get(timeout=10)
    child.join()
    return shouted


def shout_what_it_is_given(greeting: str, result: Any) -> None:
    """In the child: report the greeting it was given, upper-cased."""
    result.put(greeting.upper())


def shout(greeting: str, method: str | None = None) -> str:
    """The fix: pass the greeting to the child as an argument."""
    mp = context(method)
    result = mp.Queue()
    child = mp.Process(target=shout_what_it_is_given, args=(greeting, result))
    child.start()
    shouted = result.get(timeout=10)
    child.join()
    return shouted


# -- 4. Pickling errors -------------------------------------------------------------------------------

def square(x: int) -> int:
    """A module-level function: pickled by its name, so any process can find it."""
    return x * x


def pool_map(fn: Callable[[int], int], n: int) -> list[int]:
    """``Pool(2).map(fn, range(n))``, closed and joined."""
    with context().Pool(2) as pool:
        result = pool.map(fn, range(n), chunksize=max(1, n // 4))
        pool.close()
        pool.join()
    return result


def map_a_lambda_broken(n: int) -> list[int]:
    """A lambda has no importable name, so the pool cannot pickle it to its workers."""
    return pool_map(lambda x: x * x, n)


def map_a_local_function_broken(n: int) -> list[int]:
    """Neither has a function defined inside another function."""
    def local_square(x: int) -> int:
        return x * x

    return pool_map(local_square, n)


def pickling_error(obj: Any) -> str | None:
    """What multiprocessing's pickler says about ``obj``: its error text, or None if it pickles."""
    try:
        ForkingPickler.dumps(obj)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def lock_through_a_queue_broken() -> dict[str, Any]:
    """Put a Lock on a Queue: ``put()`` returns, the feeder thread fails, the item never arrives.

    The feeder thread prints its error on standard error, which is captured
    here so the chapter can show it.
    """
    mp = context()
    queue, lock = mp.Queue(), mp.Lock()
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        queue.put(lock)  # returns at once: pickling happens later, in the feeder thread
        try:
            got = queue.get(timeout=1)
        except queue_module.Empty:
            got = None
    queue.close()
    queue.join_thread()
    last = [line for line in printed.getvalue().splitlines() if line.strip()]
    return {"got": got, "feeder_said": last[-1] if last else ""}


def child_error(target: Callable[[], Any], method: str, timeout: float = 20.0) -> tuple[int | None, str]:
    """Run ``target`` in a child started with ``method``; return its exit code and the error it wrote on stderr.

    The child's standard error (inherited file descriptor 2) goes to a
    temporary file for the duration, so the real error text of a child that
    dies before running any code of ours -- while unpickling its target --
    can be shown in the notebook.
    """
    ctx = multiprocessing.get_context(method)
    with tempfile.TemporaryFile(mode="w+") as err:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(err.fileno(), 2)
            child = ctx.Process(target=target)
            child.start()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
        err.seek(0)
        return child.exitcode, error_text(err.read())


# -- 5. fork in a process with threads ---------------------------------------------------------------

HELD = threading.Lock()


def take_held_lock(seconds: float, result: Any) -> None:
    """In a forked child: try to take ``HELD`` for ``seconds``; report whether it could."""
    result.put(HELD.acquire(timeout=seconds))


def fork_while_a_thread_holds_a_lock(method: str = "fork", seconds: float = 1.0) -> dict[str, Any]:
    """A thread of the parent holds a lock at the moment of the fork; can the child take it?

    The child gets a copy of the memory, with the lock taken, but not the
    thread that would release it: with ``fork`` it waits forever (here, for
    ``seconds``).  ``spawn`` and ``forkserver`` children import the module
    afresh and get a new, free lock.  Also returns the warning Python gives
    about forking a multi-threaded process (Python 3.12+, a
    ``DeprecationWarning``) twice: under the default warning filters, which
    hide it (it is raised in multiprocessing's code, not in ``__main__``),
    and with every warning turned on.
    """
    import warnings

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with HELD:
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    ctx = multiprocessing.get_context(method)
    seen: dict[str, str | None] = {}
    took = None
    for filters in ("default", "always"):
        result = ctx.Queue()
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            if filters == "always":
                warnings.simplefilter("always")
            else:  # Python's own defaults: a DeprecationWarning is shown only when raised in __main__
                warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
                warnings.filterwarnings("ignore", category=DeprecationWarning)
            child = ctx.Process(target=take_held_lock, args=(seconds, result))
            child.start()
        took = result.get(timeout=seconds + 30)
        child.join(10)
        warned = [str(w.message) for w in caught if "fork" in str(w.message)]
        seen[filters] = warned[0] if warned else None
    release.set()
    thread.join()
    return {"method": method, "child_took_lock": took, "warning": seen["always"], "warning_by_default": seen["default"]}


# -- 6. Scripts: the __main__ guard --------------------------------------------------------------------

UNGUARDED = '''\
import multiprocessing

def work():
    print("child ran")

ctx = multiprocessing.get_context(METHOD)
child = ctx.Process(target=work)
child.start()
child.join()
print("parent: child exit code", child.exitcode)
'''

GUARDED = '''\
import multiprocessing

def work():
    print("child ran")

if __name__ == "__main__":
    ctx = multiprocessing.get_context(METHOD)
    child = ctx.Process(target=work)
    child.start()
    child.join()
    print("parent: child exit code", child.exitcode)
'''


# A script whose child reads a global that the parent sets inside the main guard: under spawn and
# forkserver the child imports the script as a module, so the guarded lines never run there.
GLOBAL_IN_GUARD = '''\
import multiprocessing

def work():
    print("child sees GREETING =", GREETING)

if __name__ == "__main__":
    GREETING = "hello"
    ctx = multiprocessing.get_context(METHOD)
    child = ctx.Process(target=work)
    child.start()
    child.join()
    print("parent: child exit code", child.exitcode)
'''


POOL_SCRIPT_UNGUARDED = '''\
from ipclab import context


def square(x):
    return x * x


with context().Pool(2) as pool:
    print(pool.map(square, range(5)))
'''


def run_script(source: str, method: str, timeout: float = 30.0) -> dict[str, Any]:
    """Write ``source`` (with ``METHOD`` set to ``method``) to a temporary script and run it with this Python."""
    with tempfile.TemporaryDirectory(prefix="ipclab-script-") as folder:
        script = Path(folder) / "script.py"
        script.write_text(f"METHOD = {method!r}\n" + textwrap.dedent(source))
        return {"method": method, **run_python(script, timeout=timeout)}


def run_python(script: Path, timeout: float = 30.0, **env: str) -> dict[str, Any]:
    """Run ``script`` with this Python (extra environment variables ``env``), in its folder and a new session.

    Returns the exit code (None if it was stopped after ``timeout`` s, its
    whole session killed), standard output, the error it wrote on standard
    error (:func:`error_text`) and that standard error whole.  The script's
    temporary folder (``TMPDIR``) is one of its own, removed afterwards: a
    killed script cannot remove the ``pymp-*`` folder its multiprocessing made.
    And a killed script that imports ``ipclab`` names its semaphores with a
    tag of its own, so that those it had no time to register with its
    resource tracker (a process killed between creating one and registering
    it) are unlinked here, as the tracker would have.
    """
    tag = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="ipclab-script-tmp-") as scratch:
        proc = subprocess.Popen([sys.executable, str(script)], cwd=script.parent, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "TMPDIR": scratch, TAG_VAR: tag, **env})
        try:
            out, err = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            proc.kill()  # first the script, so that it starts nothing more (a pool replaces workers that die)...
            proc.wait()
            kill(group_members(proc.pid), timeout=10)  # ...then what it started, its resource tracker last: it unlinks
            # what they left (given 10 s for that: on a busy machine it can take seconds to be scheduled)
            out, err = proc.communicate()
            code = None
            remove_ipc_names(ipc_names(tag=tag))
    return {"exitcode": code, "stdout": out.strip(), "error": error_text(err), "stderr": err}


def error_text(stderr: str) -> str:
    """The last exception line of a traceback in ``stderr``, with the lines of its message that follow it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if re.match(r"^[\w.]*(Error|Exception|Warning)\b", line)]
    if not starts:
        return lines[-1] if lines else ""
    head = starts[-1]
    return " ".join(lines[head:head + 3])
