"""The example workers of chapter 08, part 1: the source's pool-backed TCP echo server, made safe.

The main process accepts connections and hands each one to a pool worker with
``apply_async`` (a socket can be pickled: multiprocessing sends a duplicate of
its file descriptor to the worker).  A pool of N workers therefore serves at
most N clients at a time; the others are connected -- the kernel accepted
them -- but wait, silent, until a worker is free.

The safe part is :class:`EchoServer`: it listens on 127.0.0.1 only, on a port
the system picks, and stops everything it started (listening socket, accept
thread, pool, the parent's copies of the connections) when its ``with``
block ends, also when the block ends with an exception.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing import resource_sharer
from multiprocessing.context import BaseContext

TIMEOUT = 10.0  # seconds any socket of the course waits before giving up


def serve_client(conn: socket.socket, address: tuple[str, int]) -> tuple[int, int]:
    """Runs in a pool worker: greet the client with this worker's pid, then echo each line in upper case until it leaves.

    Returns ``(pid, messages echoed)``.  The greeting tells the client when
    its service began and who served it.  TCP carries a stream of bytes, not
    messages: one ``recv()`` may return half a message, or two.  So a message
    is a line, read whole from the socket's file (``makefile``), and every
    reply is sent whole with ``sendall``.
    """
    conn.settimeout(TIMEOUT)
    echoed = 0
    with conn, conn.makefile("rb") as lines:
        conn.sendall(f"pid {os.getpid()}\n".encode())
        for line in lines:  # ends when the client shuts its side down
            conn.sendall(line.upper())
            echoed += 1
    return os.getpid(), echoed


def _started(started) -> None:
    """Pool initializer: tell the server that this worker is ready."""
    started.release()


class EchoServer:
    """A listening socket on 127.0.0.1 (ephemeral port) whose clients are served by ``Pool(workers)``.

    Use it in a ``with`` block: the accept loop runs in a thread of this
    process while the block runs, and everything is stopped on the way out.
    """

    def __init__(self, ctx: BaseContext, workers: int) -> None:
        self.ctx = ctx
        self.workers = workers
        self.served: list = []  # AsyncResult per accepted client
        self.errors: list[BaseException] = []
        self._open: set[socket.socket] = set()  # the parent's copies, closed once a worker is done with them
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to."""
        return self._listener.getsockname()

    def __enter__(self) -> EchoServer:
        started = self.ctx.Semaphore(0)
        self.pool = self.ctx.Pool(self.workers, initializer=_started, initargs=(started,))
        try:
            for _ in range(self.workers):  # every worker up before the first client comes
                if not started.acquire(timeout=TIMEOUT):
                    raise TimeoutError(f"the pool's workers did not start within {TIMEOUT:g} s")
            self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
            self._listener.settimeout(0.05)  # the accept loop looks at the stop flag this often
            self._thread = threading.Thread(target=self._accept_loop, name="echo-accept", daemon=True)
            self._thread.start()
        except BaseException:
            self.pool.terminate()
            self.pool.join()
            raise
        return self

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            with self._lock:
                self._open.add(conn)
            done = lambda _result, conn=conn: self._release(conn)  # noqa: E731 - a callback runs here, in the parent
            failed = lambda exc, conn=conn: (self.errors.append(exc), self._release(conn))  # noqa: E731
            self.served.append(self.pool.apply_async(serve_client, (conn, address), callback=done,
                                                     error_callback=failed))

    def _release(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)
        conn.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)
        self._listener.close()
        self.pool.terminate()  # a client still connected is cut off: the server is going away
        self.pool.join()
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()
        resource_sharer.stop()  # the thread that handed the sockets to the workers


@dataclass
class Visit:
    """One client's visit: connected at ``start``, greeted (served) at ``served``, done at ``end`` (perf_counter)."""

    client: int
    start: float
    served: float
    end: float
    pid: int
    replies: list[str]

    @property
    def wait(self) -> float:
        return self.served - self.start

    @property
    def service(self) -> float:
        return self.end - self.served


def visit(address: tuple[str, int], client: int, messages: list[str], think: float) -> Visit:
    """A client (run in a thread of the notebook): connect, wait for the greeting, send each message and read its echo.

    It pauses ``think`` seconds before each message, so a visit holds a
    worker for a while.  Each message goes out as one line and its echo is
    read as one line (TCP has no message boundaries of its own).  Every read
    has a timeout.
    """
    start = time.perf_counter()
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        reader = sock.makefile("rb")
        greeting = reader.readline().decode()
        served = time.perf_counter()
        replies = []
        for message in messages:
            time.sleep(think)
            sock.sendall(message.encode() + b"\n")
            replies.append(reader.readline().decode().rstrip("\n"))
        sock.shutdown(socket.SHUT_WR)  # tell the worker we are done: its loop over the lines ends
        reader.close()
    return Visit(client, start, served, time.perf_counter(), int(greeting.split()[1]), replies)


# The source's server creates its listening socket at module level, outside the __main__ guard.
MODULE_LEVEL_BIND = '''\
import multiprocessing
import socket

server = socket.create_server(("127.0.0.1", PORT))  # at import time, as the source does


def square(x):
    return x * x


if __name__ == "__main__":
    with multiprocessing.get_context(METHOD).Pool(2) as pool:
        print(pool.map(square, range(4)))
'''


def bind_at_import(method: str, timeout: float = 4.0) -> dict:
    """Run :data:`MODULE_LEVEL_BIND` as a script under ``method``, on a free port of 127.0.0.1.

    Under ``fork`` the pool's workers are copies and never run the module's
    code again.  Under ``spawn`` and ``forkserver`` each worker imports the
    script to find ``square`` -- and binds the port again, which the parent
    holds: the worker dies of ``OSError``, the pool starts another, and the
    script never finishes (it is stopped after ``timeout`` s).  Returns what
    :func:`ipclab.workers.pitfalls.run_script` returns.
    """
    from ipclab.workers.pitfalls import run_script

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return run_script(MODULE_LEVEL_BIND.replace("PORT", str(port)), method, timeout)
