"""Every way the course moves data between two processes, measured one way.

A :class:`Mechanism` knows how to open a channel, how a child sends ``count``
payloads of ``size`` bytes through it, and how the parent receives them.
:func:`throughput` starts a sending child for each run of a
measurement; the child says it is ready, and only when the parent says go does
the parent start its clock, so process start is never in the figure.  The
loops around the mechanism are as thin as Python allows (one call per item),
so the figure is what the mechanism costs, not what the harness costs.

:func:`round_trips` measures latency the same way: a fresh echoing child,
ready, go, then the parent times ``rounds`` ping-pongs.  Both take a
``batch``: many items per message (one longer byte string for the mechanisms
that move bytes, a list of separate objects for the ones that pickle).

The chapters (05, 10) and ``python -m ipclab bench`` use this same code.

``throughput`` and ``round_trips`` block on the mechanism's own receive call, without a timeout,
because a timeout would add a ``poll`` per item to the very thing measured:
run it through :func:`measure`, which runs it in the sandbox with a watchdog.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from multiprocessing import shared_memory
from typing import Any

from ipclab.bench import Measurement, quick
from ipclab.sandbox import run_guarded
from ipclab.start import context, start_method

SIZES = (8, 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024)  # 8 B .. 1 MiB
# Quick mode keeps every size where the behaviour changes: the smallest, both sides of the 64 KiB
# pipe buffer, 256 KiB (past glibc's 128 KiB mmap threshold), the largest.
QUICK_SIZES = (8, 16 * 1024, 256 * 1024, 1024 * 1024)
START_TIMEOUT = 30.0
# Seconds a new sender sits idle after saying it is ready, before the go, as it would in a plain
# script (its start-up is over once it is ready; this lets its last page faults and wake-ups pass).
# Every run pays it, so quick mode waits less.
SETTLE, QUICK_SETTLE = 0.1, 0.03


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is in the pipe (a write may be partial)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _os_pipe_send(tx: Any, payload: bytes, count: int) -> None:
    fd = tx.fileno()
    size = len(payload)
    for _ in range(count):
        written = os.write(fd, payload)
        if written != size:  # a blocking pipe writes everything unless a signal interrupts it
            _write_all(fd, payload[written:])


def _os_pipe_recv(rx: Any, size: int, count: int) -> None:
    fd = rx.fileno()
    for _ in range(count):
        need = size - len(os.read(fd, size))
        while need:  # a message over the pipe's buffer comes in several pieces
            need -= len(os.read(fd, need))


@dataclass
class Channel:
    """An open channel: the end the child sends on, the end the parent receives on, and how to close it."""

    tx: Any
    rx: Any
    close: Callable[[], None]


@dataclass(frozen=True)
class Mechanism:
    """One way to move items from a child to its parent.

    ``open(ctx, size)`` returns a :class:`Channel`; ``send(tx, payload,
    count)`` runs in the child, ``recv(rx, size, count)`` in the parent.
    ``pickles`` says whether the payload is pickled on the way (so it may be
    any object) or moved as raw bytes.
    """

    name: str
    title: str
    chapter: str
    open: Callable[[BaseContext, int], Channel]
    send: Callable[[Any, Any, int], None]
    recv: Callable[[Any, int, int], None]
    pickles: bool = True


def _one_way_pipe(ctx: BaseContext, size: int) -> Channel:
    reader, writer = ctx.Pipe(duplex=False)  # on Unix: os.pipe() wrapped in two Connections

    def close() -> None:
        reader.close()
        writer.close()

    return Channel(writer, reader, close)


def _queue_of(kind: str) -> Callable[[BaseContext, int], Channel]:
    def open_queue(ctx: BaseContext, size: int) -> Channel:
        queue = getattr(ctx, kind)()
        return Channel(queue, queue, queue.close)

    return open_queue


def _manager_queue(ctx: BaseContext, size: int) -> Channel:
    manager = ctx.Manager()
    queue = manager.Queue()
    return Channel(queue, queue, manager.shutdown)


def _sending(method: str) -> Callable[[Any, bytes, int], None]:
    """A sender that calls ``tx.<method>(payload)`` ``count`` times, the bound method looked up once."""
    def send(tx: Any, payload: bytes, count: int) -> None:
        call = getattr(tx, method)
        for _ in range(count):
            call(payload)

    return send


def _receiving(method: str) -> Callable[[Any, int, int], None]:
    """A receiver that calls ``rx.<method>()`` ``count`` times, the bound method looked up once."""
    def recv(rx: Any, size: int, count: int) -> None:
        call = getattr(rx, method)
        for _ in range(count):
            call()

    return recv


@dataclass
class Ring:
    """A ring of ``SLOTS`` payload-sized slots in one shared-memory block.

    The sender waits for a free slot (a semaphore), copies the payload into it
    and sends the slot's number (one byte) through a pipe; the receiver copies
    the slot out and frees it.  The payload itself never goes through a pipe
    or pickle: one copy in, one copy out.
    """

    name: str
    free: Any
    conn: Any


RING_SLOTS = 8
_attached: dict[str, shared_memory.SharedMemory] = {}


def _ring_buffer(name: str) -> memoryview:
    """The block ``name`` mapped into this process: mapped on first use, then reused (a ping-pong sends one item per call)."""
    block = _attached.get(name)
    if block is None:
        block = _attached[name] = shared_memory.SharedMemory(name=name)
    return block.buf


def _ring_detach(name: str) -> None:
    """Unmap the block ``name`` if this process mapped it through :func:`_ring_buffer`."""
    block = _attached.pop(name, None)
    if block is not None:
        block.close()


def _shared_memory_ring(ctx: BaseContext, size: int) -> Channel:
    block = shared_memory.SharedMemory(create=True, size=size * RING_SLOTS)
    reader, writer = ctx.Pipe(duplex=False)
    free = ctx.Semaphore(RING_SLOTS)

    def close() -> None:
        reader.close()
        writer.close()
        _ring_detach(block.name)
        block.close()
        block.unlink()

    return Channel(Ring(block.name, free, writer), Ring(block.name, free, reader), close)


def _ring_send(ring: Ring, payload: bytes, count: int) -> None:
    buf, size, acquire, send_bytes = _ring_buffer(ring.name), len(payload), ring.free.acquire, ring.conn.send_bytes
    for i in range(count):
        slot = i % RING_SLOTS
        acquire()
        buf[slot * size:(slot + 1) * size] = payload
        send_bytes(bytes((slot,)))


def _ring_recv(ring: Ring, size: int, count: int) -> None:
    buf, release, recv_bytes = _ring_buffer(ring.name), ring.free.release, ring.conn.recv_bytes
    for _ in range(count):
        slot = recv_bytes()[0]
        bytes(buf[slot * size:(slot + 1) * size])
        release()


_PUT, _GET = _sending("put"), _receiving("get")
MECHANISMS: dict[str, Mechanism] = {
    m.name: m
    for m in [
        Mechanism("os_pipe", "raw os.pipe (os.write / os.read)", "05", _one_way_pipe, _os_pipe_send, _os_pipe_recv,
                  pickles=False),
        Mechanism("pipe_bytes", "Pipe send_bytes / recv_bytes", "05", _one_way_pipe, _sending("send_bytes"),
                  _receiving("recv_bytes"), pickles=False),
        Mechanism("pipe_pickle", "Pipe send / recv (pickled)", "05", _one_way_pipe, _sending("send"), _receiving("recv")),
        Mechanism("queue", "Queue put / get", "02", _queue_of("Queue"), _PUT, _GET),
        Mechanism("simple_queue", "SimpleQueue put / get", "02", _queue_of("SimpleQueue"), _PUT, _GET),
        Mechanism("joinable_queue", "JoinableQueue put / get", "04", _queue_of("JoinableQueue"), _PUT, _GET),
        Mechanism("manager_queue", "Manager().Queue() put / get", "06", _manager_queue, _PUT, _GET),
        Mechanism("shared_memory", "SharedMemory ring (copy in, copy out)", "06", _shared_memory_ring,
                  _ring_send, _ring_recv, pickles=False),
    ]
}


def sizes() -> tuple[int, ...]:
    """The payload sizes a chapter measures: :data:`SIZES`, or :data:`QUICK_SIZES` in quick mode."""
    return QUICK_SIZES if quick() else SIZES


def items_for(size: int, full: bool = False) -> int:
    """How many items one throughput run moves: about 32 MiB, 16 to 20 000 (5 000 in quick mode, unless ``full``).

    Quick mode caps only the count of small items, where runs are long: a
    run of large items lasts a few milliseconds even at 32 MiB, and one of
    fewer bytes would be decided by a single wake-up of the scheduler.
    """
    most = 5_000 if quick() and not full else 20_000
    return max(16, min(most, (32 << 20) // max(1, size)))


def rounds_for(size: int) -> int:
    """How many round trips one latency run makes: about 8 MiB each way (1 MiB in quick mode), 16 to 2 000."""
    target, most = (1 << 20, 300) if quick() else (8 << 20, 2_000)
    return max(16, min(most, target // max(1, size)))


def message(name: str, size: int, batch: int = 1) -> Any:
    """What one send carries: ``batch`` items of ``size`` bytes.

    For a mechanism that moves bytes, one byte string ``batch`` items long;
    for one that pickles, a list of ``batch`` separate byte strings (separate
    objects: pickle would write one object repeated in a list only once).
    """
    if batch == 1:
        return bytes(size)
    if MECHANISMS[name].pickles:
        return [bytes(size) for _ in range(batch)]
    return bytes(size * batch)


def _sender(name: str, tx: Any, size: int, batch: int, count: int, ready: Any, go: Any) -> None:
    """In the child: say it is ready, wait for the go, then send ``count`` messages of ``batch`` items."""
    mechanism = MECHANISMS[name]
    payload = message(name, size, batch)
    ready.set()
    if go.wait(START_TIMEOUT):
        mechanism.send(tx, payload, count)


def _echo(name: str, rx: Any, tx: Any, size: int, rounds: int, ready: Any, go: Any) -> None:
    """In the child: say it is ready, wait for the go, then send back each of ``rounds`` messages."""
    mechanism = MECHANISMS[name]
    payload = message(name, size)
    ready.set()
    if go.wait(START_TIMEOUT):
        for _ in range(rounds):
            mechanism.recv(rx, size, 1)
            mechanism.send(tx, payload, 1)


def timed(ctx: BaseContext, target: Callable[..., None], args: tuple, body: Callable[[], Any], name: str = "") -> float:
    """Start ``target(*args, ready, go)`` in a fresh child; once it is ready, say go and time ``body()``.

    A fresh child per run, as a plain script would have: the operating system
    places it as it places any new process (on this core or the other), so the
    figure says what a program meets, not what one lucky placement gives.  The
    child sits idle ``SETTLE`` s (``QUICK_SETTLE`` in quick mode) before the go, as a just-started child would.
    """
    ready, go = ctx.Event(), ctx.Event()
    name = name or str(args[0])
    child = ctx.Process(target=target, args=(*args, ready, go), name=f"bench:{name}")
    child.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.05):  # watching the child too: one that dies at once says so at once
            if child.exitcode is not None:
                raise RuntimeError(f"the child of {name} died before it was ready (exit code {child.exitcode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the child of {name} did not start within {START_TIMEOUT:g} s")
        time.sleep(QUICK_SETTLE if quick() else SETTLE)
        go.set()
        t0 = time.perf_counter()
        body()
        return time.perf_counter() - t0
    finally:
        child.join(START_TIMEOUT)


def throughput(name: str, size: int, count: int, runs: int, batch: int = 1) -> list[float]:
    """Seconds the parent took to receive ``count`` items of ``size`` bytes, once per run.

    With ``batch`` > 1 the child sends ``count // batch`` messages of
    ``batch`` items each.  Blocks on the mechanism's receive call: run it in
    the sandbox (:func:`measure`).
    """
    ctx, mechanism = context(), MECHANISMS[name]
    seconds = []
    for _ in range(runs):
        channel = mechanism.open(ctx, size * batch)
        try:
            seconds.append(timed(ctx, _sender, (name, channel.tx, size, batch, count // batch),
                                  lambda: mechanism.recv(channel.rx, size * batch, count // batch)))
        finally:
            channel.close()
    return seconds


def round_trips(name: str, size: int, rounds: int, runs: int) -> list[float]:
    """Seconds ``rounds`` ping-pongs of ``size`` bytes took (parent -> child -> parent), once per run.

    Two channels of the same mechanism, one each way.  Blocks on the
    mechanism's receive call: run it in the sandbox (:func:`measure_latency`).
    """
    ctx, mechanism = context(), MECHANISMS[name]
    payload = message(name, size)
    seconds = []

    def ping_pong() -> None:
        for _ in range(rounds):
            mechanism.send(there.tx, payload, 1)
            mechanism.recv(back.rx, size, 1)

    for _ in range(runs):
        there, back = mechanism.open(ctx, size), mechanism.open(ctx, size)
        try:
            seconds.append(timed(ctx, _echo, (name, there.rx, back.tx, size, rounds), ping_pong))
        finally:
            there.close()
            back.close()
    return seconds


def _sandboxed(name: str, what: str, timing: Callable[..., Any], *args: Any, timeout: float) -> Any:
    """Run ``timing(name, *args)`` in the sandbox and return what it returned; a hang or crash is an error."""
    if name not in MECHANISMS:
        raise ValueError(f"no mechanism {name!r}; choose one of {sorted(MECHANISMS)}")
    outcome = run_guarded(timing, name, *args, timeout=timeout)
    if outcome.status != "finished":
        raise RuntimeError(f"measuring {name} {what} {outcome}")
    return outcome.value


def _throughput(name: str, size: int, runs: list[float], count: int, batch: int = 1) -> Measurement:
    """The :class:`Measurement` of a :func:`throughput` run, its first (warm-up) run dropped."""
    label = MECHANISMS[name].title + (f", {batch} per message" if batch > 1 else "")
    return Measurement(label, tuple(runs[1:]), items=count, nbytes=count * size)


def _latency(name: str, size: int, runs: list[float], rounds: int) -> Measurement:
    """The :class:`Measurement` of a :func:`round_trips` run (items are round trips), its warm-up run dropped."""
    return Measurement(MECHANISMS[name].title, tuple(runs[1:]), items=rounds, nbytes=2 * rounds * size)


def measure(name: str, size: int, repeats: int = 5, count: int | None = None, batch: int = 1,
            timeout: float = 120.0) -> Measurement:
    """Items/s and MB/s of mechanism ``name`` for ``size``-byte items: one warm-up, then ``repeats`` runs.

    ``batch`` items go in each message.  Runs :func:`throughput` in the
    sandbox, so a broken mechanism is stopped after ``timeout`` s
    (``RuntimeError``) instead of hanging the caller.
    """
    count = (count or items_for(size)) // batch * batch
    runs = _sandboxed(name, f"at {size} B", throughput, size, count, repeats + 1, batch, timeout=timeout)
    return _throughput(name, size, runs, count, batch)


def measure_latency(name: str, size: int, repeats: int = 5, rounds: int | None = None,
                    timeout: float = 120.0) -> Measurement:
    """Round trips of mechanism ``name`` for ``size``-byte messages: one warm-up, then ``repeats`` runs.

    The measurement's ``items`` are round trips, so ``median / items`` is the
    time of one round trip and ``rate`` is round trips per second.
    """
    rounds = rounds or rounds_for(size)
    runs = _sandboxed(name, f"at {size} B", round_trips, size, rounds, repeats + 1, timeout=timeout)
    return _latency(name, size, runs, rounds)


def _timings(name: str, plan: list[tuple[int, str]], runs: int) -> list[list[float]]:
    """Sandboxed: the timings of each (size, kind) of ``plan``, with default counts, warm-up run included."""
    return [throughput(name, size, items_for(size), runs) if kind == "throughput" else
            round_trips(name, size, rounds_for(size), runs) for size, kind in plan]


def measure_plan(name: str, plan: list[tuple[int, str]], repeats: int = 5, timeout: float = 600.0) -> list[Measurement]:
    """:func:`measure` or :func:`measure_latency` of ``name`` for each ``(size, kind)`` of ``plan``, with
    default counts, in one sandboxed run (one sandbox start instead of one per measurement)."""
    timings = _sandboxed(name, "", _timings, plan, repeats + 1, timeout=timeout)
    return [_throughput(name, size, runs, items_for(size)) if kind == "throughput" else
            _latency(name, size, runs, rounds_for(size)) for (size, kind), runs in zip(plan, timings)]


def summary(name: str, size: int, m: Measurement) -> dict[str, Any]:
    """The figures of one measurement as a JSON-ready dict (the bench command's last line)."""
    return {
        "name": name,
        "size": size,
        "start_method": start_method(),
        "items": m.items,
        "runs": len(m.seconds),
        "items_per_s": round(m.rate, 1),
        "mb_per_s": round(m.bandwidth, 3),
        "min_s": m.min,
        "median_s": m.median,
        "max_s": m.max,
    }


def summary_json(name: str, size: int, m: Measurement) -> str:
    """:func:`summary` as one line of JSON."""
    return json.dumps(summary(name, size, m))
