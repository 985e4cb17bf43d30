"""An independent measurement to hold ``python -m ipclab bench`` and chapter 10 against.

Plain multiprocessing, written the obvious way, sharing no code with the rest
of ipclab (it imports nothing from it and runs as a plain script): a child
sends N items of SIZE bytes through a raw os.pipe or a Queue as fast as it
can, the parent receives them.  Process start is left out: the child says
it has started, sits idle a tenth of a second, and only then is told to go and
the clock starts.  Prints the median items/s of RUNS runs (default 5).

    python ipclab/independent.py os_pipe|queue SIZE [START_METHOD [N [RUNS [CPU]]]]

With CPU (Linux), this process and its children run on that core only.
"""

import multiprocessing
import os
import select
import statistics
import sys
import time


def writer(fd, size, n, started, go):
    data = b"\0" * size
    started.set()
    go.wait()
    for _ in range(n):
        os.write(fd, data)


def putter(q, size, n, started, go):
    data = b"\0" * size
    started.set()
    go.wait()
    for _ in range(n):
        q.put(data)


def start(child, started, go):
    """Start the child, wait until it runs, let it settle, say go; return the time of the go."""
    child.start()
    if not started.wait(60):
        raise SystemExit("the child did not start within 60 s")
    time.sleep(0.1)
    go.set()
    return time.perf_counter()


def once(kind, size, n, ctx):
    started, go = ctx.Event(), ctx.Event()
    if kind == "os_pipe":
        r, w = os.pipe()
        child = ctx.Process(target=writer, args=(w, size, n, started, go)) if ctx.get_start_method() == "fork" else None
        if child is None:  # spawn and forkserver do not inherit the fds: hand them over as Connections
            reader, writer_conn = ctx.Pipe(duplex=False)
            os.close(r), os.close(w)
            r = reader.fileno()
            child = ctx.Process(target=conn_writer, args=(writer_conn, size, n, started, go))
        t0 = start(child, started, go)
        if size <= select.PIPE_BUF:  # written atomically: each read returns one whole message
            for _ in range(n):
                os.read(r, size)
        else:
            left = size * n
            while left:
                left -= len(os.read(r, min(size, left)))
    else:
        q = ctx.Queue()
        child = ctx.Process(target=putter, args=(q, size, n, started, go))
        t0 = start(child, started, go)
        for _ in range(n):
            q.get()
    took = time.perf_counter() - t0
    child.join()
    return n / took


def conn_writer(conn, size, n, started, go):
    writer(conn.fileno(), size, n, started, go)


if __name__ == "__main__":
    kind, size = sys.argv[1], int(sys.argv[2])
    ctx = multiprocessing.get_context(sys.argv[3] if len(sys.argv) > 3 else None)
    n = int(sys.argv[4]) if len(sys.argv) > 4 else max(16, min(20_000, (32 << 20) // size))
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    if len(sys.argv) > 6:
        os.sched_setaffinity(0, {int(sys.argv[6])})
    print(statistics.median(once(kind, size, n, ctx) for _ in range(runs)))
