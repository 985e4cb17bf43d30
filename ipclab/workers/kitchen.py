"""The steamed-bun kitchen of chapters 02-04: cooks put buns on a queue, diners eat them.

Two kinds of workers live here:

- the *plain* ones (:func:`cook`, :func:`diner`, :func:`joinable_diner` and the
  broken diners) are what the chapters show and the labs use: short, and they
  report what they ate on a queue;
- the *traced* ones (:func:`traced_cook`, :func:`traced_diner`) record every
  step in a :class:`~ipclab.trace.Tracer`, so :func:`run_kitchen` can draw
  timelines, queue depth and throughput from one real run.
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.context import BaseContext

from ipclab.start import context
from ipclab.trace import Event, Span, Tracer, TraceWriter


def work(seconds: float, cpu: bool = False) -> None:
    """Spend ``seconds`` on one bun: sleeping (like waiting on I/O) or computing (``cpu``).

    Computing means using ``seconds`` of CPU time (``time.thread_time``), not of
    wall time: a worker that waits for a busy core needs longer, as real work does.
    """
    if not cpu:
        time.sleep(seconds)
        return
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass


# -- plain workers -------------------------------------------------------------


def cook(queue, buns: list[int], seconds: float = 0.0) -> None:
    """Put each bun of ``buns`` on the queue, taking ``seconds`` to make each."""
    for bun in buns:
        work(seconds)
        queue.put(bun)


def cook_then_stop(queue, buns: list[int]) -> None:
    """A cook that sends the end signal itself: right for one cook and one diner only."""
    for bun in buns:
        queue.put(bun)
    queue.put(None)


def diner(queue, eaten) -> None:
    """Eat buns until the sentinel ``None``; put each bun eaten on ``eaten``."""
    while True:
        bun = queue.get()
        if bun is None:  # `is None`, not `not bun`: the bun 0 is falsy too
            break
        eaten.put((os.getpid(), bun))


def diner_never_stops(queue, eaten) -> None:
    """The naive diner: it has no end test, so it waits forever once the buns run out."""
    while True:
        bun = queue.get()
        eaten.put((os.getpid(), bun))


def joinable_diner(queue, eaten) -> None:
    """A diner for a JoinableQueue: eat forever, mark each bun done; meant to be a daemon."""
    while True:
        bun = queue.get()
        eaten.put((os.getpid(), bun))
        queue.task_done()


def diner_forgets_task_done(queue, eaten) -> None:
    """A JoinableQueue diner without task_done(): queue.join() will never return."""
    while True:
        bun = queue.get()
        eaten.put((os.getpid(), bun))


def taste(bun: int, burnt: int | None) -> int:
    """Eat ``bun``; the ``burnt`` one raises ValueError, as handling a bad item does."""
    if bun == burnt:
        raise ValueError(f"bun {bun} is burnt")
    return bun


def diner_no_task_done_for_sentinel(queue, eaten, burnt: int | None = None) -> None:
    """Marks every bun done, but leaves at the sentinel without task_done(): join() waits for it forever."""
    while True:
        bun = queue.get()
        if bun is None:
            return
        eaten.put((os.getpid(), taste(bun, burnt)))
        queue.task_done()


def diner_task_done_after_eating(queue, eaten, burnt: int | None = None) -> None:
    """Calls task_done() after eating, so a bun that raises is never marked done (and the diner dies)."""
    while True:
        bun = queue.get()
        if bun is None:
            queue.task_done()
            return
        eaten.put((os.getpid(), taste(bun, burnt)))
        queue.task_done()


def careful_diner(queue, eaten, burnt: int | None = None) -> None:
    """One task_done() for every get() -- bun, burnt bun or sentinel -- in ``finally``; errors reported."""
    while True:
        bun = queue.get()
        try:
            if bun is None:
                return
            eaten.put((os.getpid(), taste(bun, burnt)))
        except ValueError as exc:
            eaten.put((os.getpid(), f"error: {exc}"))
        finally:
            queue.task_done()


def sentinels_then_join(diner, diners: int, buns: int, burnt: int | None = None) -> list:
    """Put ``buns`` buns and one sentinel per diner on a JoinableQueue, wait in ``queue.join()``, join the diners.

    Returns what the diners reported.  ``join()`` returns only when every
    ``get()`` -- sentinels included -- was matched by a ``task_done()``.  Run
    it in the sandbox: ``join()`` has no timeout.
    """
    mp = context()
    queue, eaten = mp.JoinableQueue(), mp.Queue()
    procs = [mp.Process(target=diner, args=(queue, eaten, burnt)) for _ in range(diners)]
    for p in procs:
        p.start()
    for bun in range(buns):
        queue.put(bun)
    for _ in procs:
        queue.put(None)
    queue.join()
    reports = [eaten.get(timeout=10) for _ in range(buns)]
    for p in procs:
        p.join(timeout=10)
    return reports


class Signal(enum.Enum):
    """An end signal that survives pickling: an Enum member unpickles as the same object."""

    STOP = "stop"


STOP_OBJECT = object()  # unpickles as a *new* object, so `is STOP_OBJECT` is never true in a diner


def diner_stopping_at(queue, eaten, stop) -> None:
    """A diner that ends when ``bun is stop``: fine for None or an Enum member, not for object()."""
    while True:
        bun = queue.get()
        if bun is stop:
            break
        eaten.put((os.getpid(), bun))


def batches(cooks: int, buns_per_cook: int) -> list[list[int]]:
    """The buns of each cook: cook ``i`` makes ``i * buns_per_cook`` up to the next cook's first."""
    return [list(range(c * buns_per_cook, (c + 1) * buns_per_cook)) for c in range(cooks)]


def collect(eaten, count: int, timeout: float = 10.0) -> list[tuple[int, int]]:
    """Take ``count`` reports from ``eaten``, waiting at most ``timeout`` s for each."""
    return [eaten.get(timeout=timeout) for _ in range(count)]


def kitchen_plain(cooks: int, diners: int, buns_per_cook: int, sentinels: int | None = None) -> list[tuple[int, int]]:
    """The recommended pattern, step by step; returns (diner pid, bun) for every bun eaten.

    Start the cooks and diners, join the cooks (every bun is on the queue), then
    send one sentinel per diner, collect what was eaten, and join the diners.
    ``sentinels`` (default: one per diner) lets chapter 03 send too few.
    """
    mp = context()
    queue, eaten = mp.Queue(), mp.Queue()
    cook_procs = [mp.Process(target=cook, args=(queue, batch)) for batch in batches(cooks, buns_per_cook)]
    diner_procs = [mp.Process(target=diner, args=(queue, eaten)) for _ in range(diners)]
    for p in cook_procs + diner_procs:
        p.start()
    for p in cook_procs:
        p.join()
    for _ in range(diners if sentinels is None else sentinels):
        queue.put(None)
    reports = collect(eaten, cooks * buns_per_cook)
    for p in diner_procs:
        p.join()
    return reports


def kitchen_pair(cook_fn, diner_fn, buns: int) -> list[tuple[int, int]]:
    """One cook and one diner, run with the worker functions given; returns what was eaten.

    The main process collects the reports, then joins both: it only returns
    if the diner ends by itself (chapter 03 runs it in the sandbox).
    """
    mp = context()
    queue, eaten = mp.Queue(), mp.Queue()
    procs = [mp.Process(target=cook_fn, args=(queue, list(range(buns)))), mp.Process(target=diner_fn, args=(queue, eaten))]
    for p in procs:
        p.start()
    reports = collect(eaten, buns)
    for p in procs:
        p.join()
    return reports


def kitchen_with_stop(stop, buns: int = 5) -> int:
    """One cook, one diner ending at ``bun is stop``; the main process sends ``stop``."""
    mp = context()
    queue, eaten = mp.Queue(), mp.Queue()
    diner_proc = mp.Process(target=diner_stopping_at, args=(queue, eaten, stop))
    diner_proc.start()
    cook(queue, list(range(buns)))
    queue.put(stop)
    reports = collect(eaten, buns)
    diner_proc.join()
    return len(reports)


def kitchen_joinable(
    cooks: int, diners: int, buns_per_cook: int, diner=joinable_diner, daemon: bool = True
) -> list[tuple[int, int]]:
    """The JoinableQueue pattern; returns (diner pid, bun) for every bun eaten.

    Daemon diners eat forever and call task_done(); the main process joins the
    cooks, then ``queue.join()`` waits until every bun is done.  The diners
    die with the main process.  ``diner`` and ``daemon`` let chapter 04 break it.
    """
    mp = context()
    queue, eaten = mp.JoinableQueue(), mp.Queue()
    for _ in range(diners):
        mp.Process(target=diner, args=(queue, eaten), daemon=daemon).start()
    cook_procs = [mp.Process(target=cook, args=(queue, batch)) for batch in batches(cooks, buns_per_cook)]
    for p in cook_procs:
        p.start()
    for p in cook_procs:
        p.join()
    queue.join()
    return collect(eaten, cooks * buns_per_cook)


# -- traced workers and the measured kitchen ------------------------------------


def traced_cook(
    queue, buns: list[int], seconds: float, cpu: bool, barrier, trace: TraceWriter, joinable: bool = False
) -> None:
    """Like :func:`cook`, recording each bun's begin/end and each completed put.

    With ``joinable``, the cook then waits in ``queue.join()`` (a wait/done span).
    """
    barrier.wait()
    trace.mark("start")
    for bun in buns:
        trace.mark("begin", bun)
        work(seconds, cpu)
        trace.mark("end", bun)
        queue.put(bun)
        trace.mark("put", bun)
    if joinable:
        trace.mark("wait")
        queue.join()
        trace.mark("done")
    trace.mark("stop")


def traced_diner(queue, seconds: float, cpu: bool, barrier, trace: TraceWriter, joinable: bool = False) -> None:
    """Like :func:`diner` (or, ``joinable``, :func:`joinable_diner`), recording every step."""
    barrier.wait()
    trace.mark("start")
    while True:
        bun = queue.get()
        if bun is None:
            trace.mark("sentinel")
            break
        trace.mark("get", bun)
        trace.mark("begin", bun)
        work(seconds, cpu)
        trace.mark("end", bun)
        if joinable:
            queue.task_done()
    trace.mark("stop")


@dataclass(frozen=True)
class KitchenRun:
    """What one measured kitchen run recorded."""

    tracer: Tracer
    cooks: list[str]
    diners: list[str]
    buns: int
    maxsize: int
    samples: tuple[tuple[float, int], ...] = ()  # (seconds since the tracer started, qsize()) while it ran

    @property
    def elapsed(self) -> float:
        """Seconds from the moment everyone was ready to the last bun eaten."""
        events = self.tracer.events()
        start = min(e.t for e in events if e.event == "start")
        return max(e.t for e in events if e.event == "end" and e.worker in self.diners) - start

    @property
    def rate(self) -> float:
        """Buns eaten per second over :attr:`elapsed`."""
        return self.buns / self.elapsed

    def eaten(self) -> list[int]:
        """Every bun the diners got, in the order they got them."""
        return [e.value for e in self.tracer.events() if e.event == "get"]

    def depth(self) -> tuple[list[float], list[int]]:
        """Buns on the queue over time, until the cooks were joined: ``qsize()`` sampled every millisecond.

        Sampling stops when the main process starts sending sentinels (they
        would count as items too); a JoinableQueue kitchen sends none, and is
        sampled to its end.

        ``qsize()`` counts the slots taken -- a ``put()`` takes one before it
        returns, a ``get()`` gives it back -- so it never exceeds ``maxsize``.
        Counting recorded puts and gets instead would: a diner records its
        get a moment after the slot is free, and a cook may fill that slot
        and record its put in between.  Where ``qsize()`` is not implemented
        (macOS), that count is the fallback.
        """
        if self.samples:
            times, depths = zip(*self.samples)
            return list(times), list(depths)
        return queue_depth(self.tracer.events())

    def waits(self) -> list[Span]:
        """Time spent waiting for the kitchen to finish (in join(), or for the diners)."""
        return self.tracer.spans("wait", "done")


def queue_depth(events: list[Event]) -> tuple[list[float], list[int]]:
    """Times and depths of a queue from its ``put`` and ``get`` events (the order they were recorded in)."""
    times, depths, depth = [0.0], [0], 0
    for e in events:
        if e.event in ("put", "get"):
            depth += 1 if e.event == "put" else -1
            times.append(e.t)
            depths.append(depth)
    return times, depths


def run_kitchen(
    cooks: int = 1,
    diners: int = 1,
    buns: int = 20,
    maxsize: int = 0,
    cook_time: float | Sequence[float] = 0.0,
    diner_time: float = 0.0,
    cpu: bool = False,
    joinable: bool = False,
    timeout: float = 60.0,
    ctx: BaseContext | None = None,
) -> KitchenRun:
    """Run a traced kitchen: ``buns`` in all, shared among the cooks, on a ``maxsize`` queue.

    Cook ``i`` makes buns ``i, i + cooks, ...``, each in ``cook_time`` seconds
    (or ``cook_time[i]``, one per cook).  Everyone meets at a barrier first, so process start is not timed.  By
    default the main process joins the cooks, then sends one sentinel per
    diner and joins the diners.  With ``joinable`` the queue is a
    JoinableQueue, the diners are daemons that call task_done(), the cooks wait
    in ``queue.join()`` after their last bun, and so does the main process
    (then it terminates the diners: in a notebook the main process lives on).
    Raises ``TimeoutError`` (after terminating everyone) if the run takes over
    ``timeout`` seconds.
    """
    mp = ctx or context()
    queue = mp.JoinableQueue(maxsize) if joinable else mp.Queue(maxsize)
    barrier = mp.Barrier(cooks + diners + 1)
    tracer = Tracer(cooks + diners + 1, capacity=5 * buns + 8, ctx=mp)
    cook_names = [f"cook {i}" for i in range(cooks)]
    diner_names = [f"diner {i}" for i in range(diners)]
    shares = [list(range(buns))[i::cooks] for i in range(cooks)]
    cook_times = list(cook_time) if isinstance(cook_time, Sequence) else [cook_time] * cooks
    procs = [
        mp.Process(target=traced_cook, args=(queue, share, seconds, cpu, barrier, tracer.writer(name), joinable))
        for name, share, seconds in zip(cook_names, shares, cook_times)
    ] + [
        mp.Process(target=traced_diner, args=(queue, diner_time, cpu, barrier, tracer.writer(name), joinable),
                   daemon=joinable)
        for name in diner_names
    ]
    main = tracer.writer("main")
    for p in procs:
        p.start()
    deadline = time.monotonic() + timeout
    samples: list[tuple[float, int]] = []
    running = threading.Event()
    sampler = threading.Thread(target=_sample_depth, args=(queue, tracer.t0_ns, samples, running), daemon=True)
    running.set()
    sampler.start()

    def remaining() -> float:
        return max(0.01, deadline - time.monotonic())

    try:
        barrier.wait(timeout=timeout)
        main.mark("start")
        for p in procs[:cooks]:
            p.join(remaining())
        if not joinable:  # what follows are sentinels, not buns
            running.clear()
        main.mark("wait")
        if joinable:
            waiter = threading.Thread(target=queue.join, daemon=True)  # join() itself has no timeout
            waiter.start()
            waiter.join(remaining())
            finished = not waiter.is_alive()
        else:
            for _ in range(diners):
                queue.put(None, timeout=remaining())
            for p in procs[cooks:]:
                p.join(remaining())
            finished = not any(p.is_alive() for p in procs)
        main.mark("done")
        if not finished:
            raise TimeoutError(f"the kitchen did not finish within {timeout} s")
    finally:
        running.clear()
        sampler.join(5)
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join(5)
    return KitchenRun(tracer, cook_names, diner_names, buns, maxsize, tuple(samples))


def _sample_depth(queue, t0_ns: int, samples: list[tuple[float, int]], running: threading.Event) -> None:
    """In a thread of the main process: append ``(t, queue.qsize())`` every millisecond while ``running``."""
    while running.is_set():
        try:
            samples.append(((time.perf_counter_ns() - t0_ns) / 1e9, queue.qsize()))
        except NotImplementedError:  # macOS: the caller falls back to counting recorded events
            samples.clear()
            return
        time.sleep(0.001)
