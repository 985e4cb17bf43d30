"""Checks for lab 11 (beyond one machine): the lab 03 kitchen on a Dask LocalCluster -- every bun eaten exactly
once, in worker processes, on the scheduler at a given address when there is one, and everything closed."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from ipclab.checks import Exercise, Made, Wrong, call_with_deadline, stop_children

COOKS, DINERS, EACH = 2, 2, 10
DEADLINE = 45


class ClustersMade(Made):
    """Keeps every Dask ``LocalCluster`` and ``Client`` made while its ``with`` block runs."""

    def __init__(self) -> None:
        from dask.distributed import Client, LocalCluster

        super().__init__(LocalCluster, Client)
        self._local_cluster = LocalCluster
        self.workers: list[int] = []  # worker processes of each LocalCluster, as it started

    def adopt(self, obj: Any) -> None:
        if isinstance(obj, self._local_cluster):
            self.workers.append(len(getattr(obj, "worker_spec", obj.workers)))  # as asked, started or not

    def still_open(self) -> tuple[list[Any], list[Any]]:
        """The clusters and the clients that are not closed."""
        from dask.distributed import Client, LocalCluster

        clusters = [c for c in self.made[LocalCluster] if str(c.status.name) != "closed"]
        clients = [c for c in self.made[Client] if c.status not in ("closed", "closing")]
        return clusters, clients

    def close_all(self) -> None:
        clusters, clients = self.still_open()
        for obj in clients + clusters:
            try:
                obj.close()
            except Exception:  # closing what the answer left open is best effort: the sandbox ends it anyway
                pass


def _buns(value: Any, call: str) -> list[tuple[int | None, int]]:
    """The answer's buns as (pid or None, bun) pairs; a list of futures is a mistake worth naming."""
    if not isinstance(value, list):
        raise Wrong(f"{call} returned {type(value).__name__}; return the list of buns eaten.")
    if value and type(value[0]).__name__ == "Future":
        raise Wrong(f"{call} returned futures, not buns: gather them (client.gather(futures)) before the client "
                    "closes.")
    return [(v[0], v[-1]) if isinstance(v, tuple) else (None, v) for v in value]


def _run(answer: ModuleType, address: str | None) -> tuple[list[tuple[int | None, int]], ClustersMade]:
    call_text = f"kitchen({COOKS}, {DINERS}, {EACH}" + (", address=...)" if address else ")")
    with ClustersMade() as made:
        args = (COOKS, DINERS, EACH) + ((address,) if address else ())
        call = call_with_deadline(answer.kitchen, *args, timeout=DEADLINE)
    clusters, clients = made.still_open()
    made.close_all()
    if not call.finished:
        stop_children()
        raise Wrong(f"{call_text} did not return within {DEADLINE} s.")
    if call.error is not None:
        raise call.error
    buns = _buns(call.value, call_text)
    if clusters:
        raise Wrong(f"{call_text} returned with its LocalCluster still running (scheduler and worker processes): "
                    "close it -- `with LocalCluster(...) as cluster, Client(cluster) as client:` closes both.")
    if clients:
        raise Wrong(f"{call_text} returned with its Client still open: close it, or use it in a `with` block.")
    expected = list(range(COOKS * EACH))
    got = sorted(bun for _, bun in buns)
    if got != expected:
        missing, extra = sorted(set(expected) - set(got)), len(got) - len(set(got))
        raise Wrong(f"{call_text} ate {len(got)} buns for {len(expected)} cooked ({len(missing)} never eaten, "
                    f"{extra} eaten twice): submit one eating task per bun of every cook's batch.")
    left = stop_children()
    if left:
        raise Wrong(f"{call_text} returned with {left} process(es) still running.")
    return buns, made


def check_kitchen(answer: ModuleType) -> None:
    """On a LocalCluster of its own, then on the check's scheduler when given its address.

    Verifies: every bun eaten exactly once, in worker processes (not the caller); a LocalCluster of
    one worker process per diner when no address is given, and none of its own when one is (the
    buns then eaten on that scheduler's workers); buns returned, not futures; and the cluster, the
    client and every process closed when kitchen() returns.
    """
    from dask.distributed import LocalCluster

    buns, made = _run(answer, None)
    if not made.made[LocalCluster]:
        raise Wrong("kitchen() made no LocalCluster: without an address, start one (the diners are its worker "
                    "processes).")
    if made.workers and made.workers[0] != DINERS:
        raise Wrong(f"kitchen({COOKS}, {DINERS}, {EACH}) started a LocalCluster of {made.workers[0]} worker process(es) "
                    f"for {DINERS} diners, so they could not eat side by side: LocalCluster(n_workers=diners).")
    pids = {pid for pid, _ in buns}
    if os.getpid() in pids:
        raise Wrong("the buns were eaten in the calling process itself: use a LocalCluster of worker processes "
                    "(processes=True, the default), one per diner.")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=":0") as theirs:
        buns, made = _run(answer, theirs.scheduler_address)
    if made.made[LocalCluster]:
        raise Wrong("given a scheduler's address, kitchen() started a LocalCluster of its own: connect a Client to "
                    "the address instead (Client(address)).")
    if {pid for pid, _ in buns} - {os.getpid(), None}:
        raise Wrong("given a scheduler's address, the buns were eaten somewhere else than on that scheduler's "
                    "workers.")


# Spawned, whatever the course's method: a child forked from a kernel that has run Dask inherits the state of
# Dask's event loop without the threads that run it (chapter 09), and Dask fails in it.
EXERCISES = [
    Exercise("ex1", "lab11_ex1", "the kitchen on a LocalCluster", check_kitchen, timeout=120, start_method="spawn"),
]
