"""Every way the course moves data between two processes, measured one way.

A :class:`Mechanism` knows how to open a channel, how a child sends ``count``
payloads of ``size`` bytes through it, and how the parent receives them.
:func:`throughput` starts a sending child for each run of a
measurement; the child says it is ready, and only when the parent says go does
the parent start its clock, so process start is never in the figure.  The
loops around the mechanism are as thin as Python allows (one call per item),
so the figure is what the mechanism costs, not what the harness costs.

The chapters (05, 10) and ``python -m ipclab bench`` use this same code.

``throughput`` blocks on the mechanism's own receive call, without a timeout,
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
START_TIMEOUT = 30.0
SETTLE = 0.1  # seconds a new sender sits idle before the go, as it would in a plain script


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
    """

    name: str
    title: str
    chapter: str
    open: Callable[[BaseContext, int], Channel]
    send: Callable[[Any, bytes, int], None]
    recv: Callable[[Any, int, int], None]


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
    size: int
    free: Any
    conn: Any


RING_SLOTS = 8


def _shared_memory_ring(ctx: BaseContext, size: int) -> Channel:
    block = shared_memory.SharedMemory(create=True, size=size * RING_SLOTS)
    reader, writer = ctx.Pipe(duplex=False)
    free = ctx.Semaphore(RING_SLOTS)

    def close() -> None:
        reader.close()
        writer.close()
        block.close()
        block.unlink()

    return Channel(Ring(block.name, size, free, writer), Ring(block.name, size, free, reader), close)


def _ring_send(ring: Ring, payload: bytes, count: int) -> None:
    block = shared_memory.SharedMemory(name=ring.name)
    buf, size, acquire, send_bytes = block.buf, ring.size, ring.free.acquire, ring.conn.send_bytes
    for i in range(count):
        slot = i % RING_SLOTS
        acquire()
        buf[slot * size:(slot + 1) * size] = payload
        send_bytes(bytes((slot,)))
    del buf  # a view into the block must go before close()
    block.close()


def _ring_recv(ring: Ring, size: int, count: int) -> None:
    block = shared_memory.SharedMemory(name=ring.name)
    buf, release, recv_bytes = block.buf, ring.free.release, ring.conn.recv_bytes
    for _ in range(count):
        slot = recv_bytes()[0]
        bytes(buf[slot * size:(slot + 1) * size])
        release()
    del buf
    block.close()


_PUT, _GET = _sending("put"), _receiving("get")
MECHANISMS: dict[str, Mechanism] = {
    m.name: m
    for m in [
        Mechanism("os_pipe", "raw os.pipe (os.write / os.read)", "05", _one_way_pipe, _os_pipe_send, _os_pipe_recv),
        Mechanism("pipe_bytes", "Pipe send_bytes / recv_bytes", "05", _one_way_pipe, _sending("send_bytes"),
                  _receiving("recv_bytes")),
        Mechanism("pipe_pickle", "Pipe send / recv (pickled)", "05", _one_way_pipe, _sending("send"), _receiving("recv")),
        Mechanism("queue", "Queue put / get", "02", _queue_of("Queue"), _PUT, _GET),
        Mechanism("simple_queue", "SimpleQueue put / get", "02", _queue_of("SimpleQueue"), _PUT, _GET),
        Mechanism("joinable_queue", "JoinableQueue put / get", "04", _queue_of("JoinableQueue"), _PUT, _GET),
        Mechanism("manager_queue", "Manager().Queue() put / get", "06", _manager_queue, _PUT, _GET),
        Mechanism("shared_memory", "SharedMemory ring (copy in, copy out)", "06", _shared_memory_ring,
                  _ring_send, _ring_recv),
    ]
}


def items_for(size: int) -> int:
    """How many items one run moves: about 32 MiB (8 MiB in quick mode), 16 to 20 000 items."""
    target, most = (8 << 20, 5_000) if quick() else (32 << 20, 20_000)
    return max(16, min(most, target // max(1, size)))


def _sender(name: str, tx: Any, size: int, count: int, ready: Any, go: Any) -> None:
    """In the child: say it is ready, wait for the go, then send ``count`` payloads of ``size`` bytes."""
    mechanism = MECHANISMS[name]
    payload = bytes(size)
    ready.set()
    if go.wait(START_TIMEOUT):
        mechanism.send(tx, payload, count)


def throughput(name: str, size: int, count: int, runs: int) -> list[float]:
    """Seconds the parent took to receive ``count`` items of ``size`` bytes, once per run.

    Each run has a fresh sending child, as a plain script would: the operating
    system places it as it places any new process (on this core or the other),
    and the figure says what a program meets, not what one lucky placement
    gives.  Blocks on the mechanism's receive call: run it in the sandbox
    (:func:`measure`).
    """
    ctx = context()
    mechanism = MECHANISMS[name]
    seconds = []
    for _ in range(runs):
        channel = mechanism.open(ctx, size)
        try:
            ready, go = ctx.Event(), ctx.Event()
            child = ctx.Process(target=_sender, args=(name, channel.tx, size, count, ready, go), name=f"bench:{name}")
            child.start()
            if not ready.wait(START_TIMEOUT):
                raise RuntimeError(f"the sending child of {name} did not start within {START_TIMEOUT:g} s")
            time.sleep(SETTLE)
            go.set()
            t0 = time.perf_counter()
            mechanism.recv(channel.rx, size, count)
            seconds.append(time.perf_counter() - t0)
            child.join(START_TIMEOUT)
        finally:
            channel.close()
    return seconds


def measure(name: str, size: int, repeats: int = 5, count: int | None = None, timeout: float = 120.0) -> Measurement:
    """Items/s and MB/s of mechanism ``name`` for ``size``-byte items: one warm-up, then ``repeats`` runs.

    Runs :func:`throughput` in the sandbox, so a broken mechanism is stopped
    after ``timeout`` s (``RuntimeError``) instead of hanging the caller.
    """
    if name not in MECHANISMS:
        raise ValueError(f"no mechanism {name!r}; choose one of {sorted(MECHANISMS)}")
    count = count or items_for(size)
    outcome = run_guarded(throughput, name, size, count, repeats + 1, timeout=timeout)
    if outcome.status != "finished":
        raise RuntimeError(f"measuring {name} at {size} B {outcome}")
    return Measurement(MECHANISMS[name].title, tuple(outcome.value[1:]), items=count, nbytes=count * size)


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
