"""Checks for lab 02 (queues): drain without blocking forever; backpressure with put timeouts."""

from __future__ import annotations

import inspect
import queue as queue_module
import time
from types import ModuleType

from ipclab.workers import queues
from ipclab.checks import Exercise, Wrong, call_with_deadline
from ipclab.start import context

WAITING = 100
LATE, LATE_ITEMS = 0.5, 20  # seconds before a late producer starts, and what it puts


def _drain_hint(answer: ModuleType) -> str:
    source = inspect.getsource(answer)
    if "except:" in source:
        return (" Your code has a bare `except:`, which hides every error -- such as the TypeError"
                " of get_nowait(3): catch queue.Empty by name.")
    return ""


def check_drain(answer: ModuleType) -> None:
    """Everything waiting comes back in order; an empty queue returns [] promptly.

    Verifies: 100 waiting items returned in order; an empty queue gives [] after about the
    timeout, never a block; and items that arrive 0.5 s after the call, a few ms apart, are
    waited for (not missed by qsize(), empty() or get_nowait()).
    """
    mp = context()
    q = mp.Queue()
    child = mp.Process(target=queues.producer, args=(q, WAITING))
    child.start()
    child.join(10)
    call = call_with_deadline(answer.drain, q, 0.1, timeout=3)
    if not call.finished:
        raise Wrong("drain() was still waiting 3 s after the last item: a get() without a timeout blocks "
                    "forever once the queue is empty. Use get(timeout=timeout) and stop at queue.Empty.")
    if call.error is not None:
        raise call.error
    got = list(call.value or [])
    if len(got) != WAITING:
        raise Wrong(f"drain() returned {len(got)} of the {WAITING} items waiting in the queue.{_drain_hint(answer)}")
    if [i for _, i in got] != list(range(WAITING)):
        raise Wrong("drain() returned the items out of order: a queue is first in, first out, keep that order.")

    call = call_with_deadline(answer.drain, mp.Queue(), 0.1, timeout=5)
    if not call.finished or call.seconds > 2:
        raise Wrong("drain() on an empty queue must return [] after about `timeout` seconds, not wait on.")
    if call.value != []:
        raise Wrong(f"drain() on an empty queue returned {call.value!r} instead of [].")

    # Items still on their way: a producer that starts putting LATE seconds after drain() is
    # called, with gaps far shorter than drain's timeout.  get(timeout=...) waits for them;
    # empty() or get_nowait() looks at an empty pipe and stops at once -- on every run, because
    # the check, not the feeder thread's luck, decides when the items arrive.
    late_queue, go = mp.Queue(), mp.Event()
    late = mp.Process(target=put_late, args=(late_queue, go, LATE, LATE_ITEMS))
    late.start()
    go.set()
    call = call_with_deadline(answer.drain, late_queue, 1.5, timeout=10)
    late.join(5)
    if call.finished and call.error is None and len(call.value or []) != LATE_ITEMS:
        raise Wrong(f"drain(queue, 1.5) returned {len(call.value or [])} of {LATE_ITEMS} items that arrived "
                    f"{LATE} s after the call, a few ms apart: qsize(), empty() and get_nowait() see only what has "
                    "already reached the queue's pipe, not what is on its way (in a feeder thread or from a "
                    "slower producer). Use get(timeout=timeout) until queue.Empty.")


def put_late(queue, go, delay: float, count: int) -> None:
    """Wait for ``go``, then ``delay`` s, then put ``count`` items 5 ms apart."""
    go.wait(10)
    time.sleep(delay)
    for i in range(count):
        queue.put(i)
        time.sleep(0.005)


def check_backpressure(answer: ModuleType) -> None:
    """A full queue with no consumer drops the overflow after waiting; a live consumer drops nothing.

    Verifies: 12 items into a full Queue(maxsize=5) nobody reads -- 7 dropped, each after waiting
    its timeout, queue.Full caught, the first five kept in order; with a live consumer, none dropped.
    """
    mp = context()
    full = mp.Queue(maxsize=5)
    items, timeout = list(range(12)), 0.05
    call = call_with_deadline(answer.put_with_backpressure, full, items, timeout, timeout=5)
    if not call.finished:
        raise Wrong("put_with_backpressure() blocked on a full queue: a put() without a timeout waits forever "
                    "when nobody takes items. Give each put a timeout.")
    if isinstance(call.error, queue_module.Full):
        raise Wrong("queue.Full escaped from put_with_backpressure(): a put that times out raises queue.Full "
                    "(not queue.Empty, whatever some tutorials say). Catch it and count the item as dropped.")
    if call.error is not None:
        raise call.error
    if call.value != 7:
        raise Wrong(f"12 items into a Queue(maxsize=5) that nobody reads: 7 must be dropped, you counted {call.value!r}.")
    if call.seconds < 7 * timeout * 0.8:
        raise Wrong(f"the 7 dropped items took {call.seconds:.2f} s, less than 7 timeouts of {timeout} s: "
                    "items were dropped without waiting. Use put(item, timeout=timeout), not put_nowait.")
    kept = [full.get(timeout=1) for _ in range(5)]
    if kept != items[:5]:
        raise Wrong(f"the queue should hold the first five items {items[:5]}, it holds {kept}.")

    slow, report = mp.Queue(maxsize=2), mp.Queue()  # keep `report` referenced until the child has it
    reader = mp.Process(target=queues.consumer, args=(slow, report, 0.01))
    reader.start()
    call = call_with_deadline(answer.put_with_backpressure, slow, list(range(20)), 0.5, timeout=10)
    slow.put(None, timeout=5)
    reader.join(5)
    if call.finished and call.value != 0:
        raise Wrong(f"with a consumer taking an item every 10 ms and a 0.5 s timeout nothing needs dropping, "
                    f"but you counted {call.value!r} dropped.")


EXERCISES = [
    Exercise("ex1", "lab02_ex1", "drain a queue", check_drain, timeout=25),
    Exercise("ex2", "lab02_ex2", "backpressure with put timeouts", check_backpressure, timeout=25),
]
