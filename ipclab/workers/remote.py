"""The workers of chapter 11 (beyond one machine): a queue served over TCP, and the kitchen on Dask.

A :class:`QueueManager` serves one queue on a TCP address; producers and
consumers, each in a process of its own, connect to it with the address and
the authkey, as they would from other machines.  :class:`WireTap` sits between
a client and the server and keeps a copy of every byte, to show what the
authkey does not do (encrypt).  The Dask half runs the chapter 03 kitchen and
the chapter 07 job as tasks, on a ``LocalCluster`` or on any scheduler whose
address is given.
"""

from __future__ import annotations

import os
import queue as queue_module
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.managers import BaseManager
from typing import Any

from ipclab.start import context

# -- A queue served over TCP ----------------------------------------------------------------------------

_served: queue_module.Queue = queue_module.Queue()


def _the_queue() -> queue_module.Queue:
    """The queue the manager process serves (module level, so every start method can find it)."""
    return _served


class QueueManager(BaseManager):
    """A manager that serves one queue, ``get_queue()``, to whoever connects with the authkey."""


QueueManager.register("get_queue", callable=_the_queue)


def serve(authkey: bytes) -> QueueManager:
    """Start a manager process serving the queue on 127.0.0.1, on a port the system picks; see ``.address``."""
    manager = QueueManager(address=("127.0.0.1", 0), authkey=authkey, ctx=context())
    manager.start()
    return manager


def connect(address: tuple[str, int], authkey: bytes) -> Any:
    """Connect to the manager at ``address`` with ``authkey``; return a proxy of its queue."""
    manager = QueueManager(address=address, authkey=authkey)
    manager.connect()
    return manager.get_queue()


def remote_cook(address: tuple[str, int], authkey: bytes, buns: list[int]) -> None:
    """A producer in a process of its own: connect, put its buns on the served queue."""
    buns_queue = connect(address, authkey)
    for bun in buns:
        buns_queue.put(bun)


def remote_diner(address: tuple[str, int], authkey: bytes, eaten: Any) -> None:
    """A consumer in a process of its own: connect, eat until the sentinel None, report (pid, bun) on ``eaten``."""
    buns_queue = connect(address, authkey)
    while (bun := buns_queue.get(timeout=10)) is not None:
        eaten.put((os.getpid(), bun))


def remote_kitchen(address: tuple[str, int], authkey: bytes, cooks: int, diners: int, each: int) -> list[tuple[int, int]]:
    """Cooks and diners as separate processes that share nothing but the served queue's address and key."""
    mp = context()
    eaten = mp.Queue()
    cook_procs = [mp.Process(target=remote_cook, args=(address, authkey, list(range(i * each, (i + 1) * each))))
                  for i in range(cooks)]
    diner_procs = [mp.Process(target=remote_diner, args=(address, authkey, eaten)) for _ in range(diners)]
    for p in cook_procs + diner_procs:
        p.start()
    for p in cook_procs:
        p.join(30)
    buns_queue = connect(address, authkey)
    for _ in diner_procs:
        buns_queue.put(None)
    result = [eaten.get(timeout=10) for _ in range(cooks * each)]
    for p in diner_procs:
        p.join(10)
    return result


class RunsOnUnpickle:
    """An object whose unpickling calls ``os.getpid`` -- in whichever process unpickles it.

    Harmless here, but ``__reduce__`` may name any callable: whoever can send
    a pickle to a process can run code in it.
    """

    def __reduce__(self) -> tuple:
        return (os.getpid, ())


class WireTap:
    """A TCP relay on 127.0.0.1 that forwards to ``target`` and keeps a copy of every byte the client sent.

    Use it as a context manager; ``address`` is where clients connect
    instead of ``target``.  It stops, closing every socket, on exit.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sent = bytearray()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = self._listener.getsockname()
        self._sockets: list[socket.socket] = [self._listener]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self) -> WireTap:
        self._threads[0].start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed on exit
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            for source, sink, copy in ((client, server, self.sent), (server, client, None)):
                thread = threading.Thread(target=self._relay, args=(source, sink, copy), daemon=True)
                self._threads.append(thread)
                thread.start()

    @staticmethod
    def _relay(source: socket.socket, sink: socket.socket, copy: bytearray | None) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                if copy is not None:
                    copy += data
                sink.sendall(data)
            except OSError:
                break


# -- The kitchen and the prime count on Dask ------------------------------------------------------------

@contextmanager
def local_cluster(workers: int = 2, address: str | None = None) -> Iterator[Any]:
    """A Dask ``Client``: on a new ``LocalCluster`` of ``workers`` processes (one thread each) on 127.0.0.1,
    or on the scheduler at ``address``.  Everything it started is closed on exit.
    """
    from dask.distributed import Client, LocalCluster

    if address:
        with Client(address) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def cook_batch(cook: int, each: int) -> list[int]:
    """A Dask task: cook ``each`` buns, numbered from ``cook * each``."""
    return list(range(cook * each, (cook + 1) * each))


def eat(bun: int) -> tuple[int, int]:
    """A Dask task: eat one bun; report (pid of the worker process, bun)."""
    return os.getpid(), bun


def dask_kitchen(client: Any, cooks: int, each: int) -> list[tuple[int, int]]:
    """The kitchen as tasks: each cook's batch, as soon as it is done, becomes one eating task per bun."""
    from dask.distributed import as_completed

    batches = [client.submit(cook_batch, i, each) for i in range(cooks)]
    meals = []
    for batch in as_completed(batches):
        meals += [client.submit(eat, bun) for bun in batch.result()]
    return client.gather(meals)


def overhead_per_task(client: Any, tasks: int) -> float:
    """Seconds per task of ``tasks`` tasks that do nothing: the scheduler's cost, not the work's."""
    t0 = time.perf_counter()
    client.gather(client.map(eat, range(tasks), pure=False))
    return (time.perf_counter() - t0) / tasks
