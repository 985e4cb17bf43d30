"""The example workers of chapter 05 (pipes).

A pipe has no end-of-data message: a reader learns that nothing more will come
when ``recv()`` raises ``EOFError``, and that happens only once *every* copy of
the write end is closed, in every process that holds one.
"""

from __future__ import annotations

import os
import queue
import struct
import time
from typing import Any

from ipclab.start import context


def send_items(conn, items) -> None:
    """Send every item, then close this end: the reader's EOF."""
    for item in items:
        conn.send(item)
    conn.close()


def receive_until_eof(conn) -> list:
    """Receive items until every write end is closed (``EOFError``); return them."""
    items = []
    while True:
        try:
            items.append(conn.recv())
        except EOFError:
            return items


def transform(inbox, outbox, fn) -> None:
    """The middle stage of a pipeline: ``fn`` of every item until EOF, then close the output."""
    while True:
        try:
            item = inbox.recv()
        except EOFError:
            break
        outbox.send(fn(item))
    outbox.close()


def reader_never_breaks(conn) -> None:
    """The source tutorial's reader: catches EOFError, closes, and goes round again (wrong)."""
    while True:
        try:
            conn.recv()
        except EOFError:
            conn.close()  # no break: the next recv() is on a closed connection


def parent_reads(count: int, close_parent_copy: bool, reader=receive_until_eof) -> int:
    """A child sends ``count`` items; this process reads them until EOF and returns how many.

    Without ``close_parent_copy`` this process still holds a copy of the write
    end, so EOF never comes: run it in the sandbox.
    """
    mp = context()
    r, w = mp.Pipe(duplex=False)
    child = mp.Process(target=send_items, args=(w, range(count)))
    child.start()
    if close_parent_copy:
        w.close()  # the child has its own copy now
    got = reader(r)
    child.join()
    return len(got) if got is not None else 0


def consume_in_child(reader, report, writer=None) -> None:
    """Read until EOF in a child and report the count; close ``writer`` first when it is passed."""
    if writer is not None:
        writer.close()
    report.put(len(receive_until_eof(reader)))


def child_reads(method: str, count: int, pass_writer_to_close: bool) -> int:
    """This process writes ``count`` items to a child that reads until EOF; return what it read.

    Only the reading end is passed to the child, unless ``pass_writer_to_close``:
    then the child also gets the write end, and closes it first thing.  Under
    ``fork`` the child inherits the write end anyway, passed or not, so
    without closing it the child waits forever.  Run it in the sandbox.
    """
    mp = context(method)
    r, w = mp.Pipe(duplex=False)
    report = mp.Queue()
    args = (r, report, w) if pass_writer_to_close else (r, report)
    child = mp.Process(target=consume_in_child, args=args)
    child.start()
    r.close()
    send_items(w, range(count))
    got = report.get()
    child.join()
    return got


def pipe_ends(inode: int, pid: int | None = None) -> dict[str, int]:
    """How many read and write ends of the pipe ``inode`` a process has open.

    ``pid=None`` is this process (Linux and macOS); another process is read
    from ``/proc`` (Linux only).
    """
    import fcntl

    ends = {"read": 0, "write": 0}
    if pid is None:
        fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
        for name in os.listdir(fd_dir):
            try:
                if os.fstat(int(name)).st_ino == inode:
                    mode = fcntl.fcntl(int(name), fcntl.F_GETFL) & os.O_ACCMODE
                    ends["write" if mode == os.O_WRONLY else "read"] += 1
            except OSError:
                continue
        return ends
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.stat(f"/proc/{pid}/fd/{name}").st_ino != inode:
                continue
            with open(f"/proc/{pid}/fdinfo/{name}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration, ValueError):
            continue
        ends["write" if flags & os.O_ACCMODE == os.O_WRONLY else "read"] += 1
    return ends


def report_pipe_ends(reader, inode: int, report) -> None:
    """In a child that was passed only ``reader``: report which ends of its pipe it holds."""
    report.put(pipe_ends(inode))


def ends_in_child(method: str) -> dict[str, int]:
    """Make a pipe, pass only its read end to a child started with ``method``; what does the child hold?"""
    mp = context(method)
    r, w = mp.Pipe(duplex=False)
    report = mp.Queue()
    child = mp.Process(target=report_pipe_ends, args=(r, os.fstat(r.fileno()).st_ino, report))
    child.start()
    ends = report.get(timeout=30)
    child.join(10)
    r.close()
    w.close()
    return ends


def echo(conn, other_end=None) -> None:
    """Send back every message received, until EOF.

    ``other_end`` is the parent's end: a forked child inherits it, and must
    close it, or its own copy would keep EOF from ever arriving.
    """
    if other_end is not None:
        other_end.close()
    while True:
        try:
            conn.send_bytes(conn.recv_bytes())
        except EOFError:
            return


def ping_pong(count: int, size: int = 8, cpus: tuple[int, int] | None = None) -> list[float]:
    """Round-trip times of ``count`` messages of ``size`` bytes to an echoing child, in seconds.

    With ``cpus = (mine, child's)`` both processes are pinned first (Linux):
    equal numbers put them on one core, different numbers on two.  Pinning
    changes this process, so run it in the sandbox.
    """
    mp = context()
    here, there = mp.Pipe()
    child = mp.Process(target=echo, args=(there, here))
    child.start()
    there.close()
    if cpus is not None:
        os.sched_setaffinity(0, {cpus[0]})
        os.sched_setaffinity(child.pid, {cpus[1]})
    message = bytes(size)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        here.send_bytes(message)
        if not here.poll(10):
            raise TimeoutError("no echo within 10 s")
        here.recv_bytes()
        times.append(time.perf_counter() - t0)
    here.close()
    child.join(10)
    return times


def numbered(index: int, size: int) -> bytes:
    """Message ``index``: its number, then ``size - 8`` bytes that repeat it, so a torn copy shows."""
    return struct.pack("<Q", index) + bytes([index % 251]) * (size - 8)


def racing_reader(reader, results, lock, size: int) -> None:
    """Read messages from a pipe end that another process reads too; report what came out.

    Reports ``("ok", index)`` for an intact message, ``("torn", length)`` for
    one whose length or content is wrong, ``("error", name)`` for an exception.
    Stops when nothing arrives for 0.3 s.
    """
    def one() -> bytes | None:
        return reader.recv_bytes(4 * size) if reader.poll(0.3) else None

    while True:
        try:
            if lock is None:
                data = one()
            else:
                with lock:
                    data = one()
        except Exception as exc:  # torn reads surface as any of several errors: count them all
            results.put(("error", type(exc).__name__))
            return
        if data is None:
            return
        index = struct.unpack("<Q", data[:8])[0] if len(data) >= 8 else -1
        intact = len(data) == size and 0 <= index and data == numbered(index, size)
        results.put(("ok", index) if intact else ("torn", len(data)))


def two_readers(count: int, size: int, locked: bool, timeout: float = 5.0) -> dict[str, Any]:
    """Send ``count`` numbered messages through one pipe to two racing readers; count the outcomes."""
    mp = context()
    r, w = mp.Pipe(duplex=False)
    results = mp.Queue()
    lock = mp.Lock() if locked else None
    readers = [mp.Process(target=racing_reader, args=(r, results, lock, size), daemon=True) for _ in range(2)]
    for p in readers:
        p.start()
    r.close()
    sent = 0
    try:
        for sent in range(1, count + 1):
            w.send_bytes(numbered(sent - 1, size))
    except BrokenPipeError:  # both readers gave up: nobody holds the read end any more
        sent -= 1
    w.close()
    deadline = time.monotonic() + timeout
    for p in readers:
        p.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(p.is_alive() for p in readers)
    for p in readers:
        p.kill()
        p.join(5)
    outcomes: list[tuple[str, Any]] = []
    while True:
        try:
            outcomes.append(results.get(timeout=0.2))
        except queue.Empty:
            break
    delivered = [i for kind, i in outcomes if kind == "ok"]
    return {
        "sent": sent,
        "intact": len(delivered),
        "duplicated": len(delivered) - len(set(delivered)),
        "lost": sent - len(set(delivered)),
        "never sent": count - sent,  # the writer stops when no reader is left (BrokenPipeError)
        "torn": sum(kind == "torn" for kind, _ in outcomes),
        "errors": sorted({str(i) for kind, i in outcomes if kind == "error"}),
        "stuck readers": stuck,
    }


def send_after(conn, together, delay: float, message: str) -> None:
    """Pass the barrier ``together``, wait ``delay`` seconds, send ``message``, close.

    All cooks pass the barrier at the same moment and count their delay from
    there: counted from each one's own start, a slow start could reorder them.
    """
    together.wait(30)
    time.sleep(delay)
    conn.send(message)
    conn.close()
