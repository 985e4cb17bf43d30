"""Checks for lab 10 (choosing and measuring): a pipeline of many small records, at least 5x faster than the
starting one, measured against it in the same run."""

from __future__ import annotations

from types import ModuleType

from ipclab.bench import format_seconds
from ipclab.checks import Exercise, Wrong, call_with_deadline, stop_children
from ipclab.workers import pipeline as original

N_CORRECT = 10_007  # a prime: not a multiple of any batch size, so a lost last batch shows
N_SPEED = 20_011
RUNS = 3
TARGET = 5.0
PAUSE = 1.5  # seconds the producer of the checking run waits before its second message: longer than a sensible poll


def _correct(answer: ModuleType) -> None:
    deadline = 5 + 2 * PAUSE
    call = call_with_deadline(original.run_once, answer, N_CORRECT, None, PAUSE, timeout=deadline)
    if not call.finished:
        stop_children()
        raise Wrong(f"moving {N_CORRECT:,} records did not finish within {deadline:g} s: consume() waited for records "
                    f"that never came. {N_CORRECT:,} is not a multiple of your batch size: send the last, partial "
                    "batch too.")
    if call.error is not None:
        raise call.error
    got, expected, more = call.value.received, call.value.expected, call.value.more_waiting
    if not isinstance(got, list):
        raise Wrong(f"consume() returned a {type(got).__name__}; return a list of the {N_CORRECT:,} records.")
    if got and isinstance(got[0], list):
        raise Wrong("consume() returned the batches themselves (a list of lists): return the records, one after "
                    "another, as the starting pipeline does.")
    if len(got) < len(expected) and got == expected[:len(got)] and more:
        raise Wrong(f"consume() returned {len(got):,} of {N_CORRECT:,} records, and the rest came after it had "
                    f"returned: the producer sent them, your consumer stopped too soon (the check's producer "
                    f"pauses {PAUSE:g} s once, before its second message). Loop until you have n records (the "
                    "last batch is smaller than the others) -- not a fixed number of batches, and not until "
                    "nothing came for a while.")
    if len(got) < len(expected) and got == expected[:len(got)]:
        raise Wrong(f"the last {len(expected) - len(got):,} of {N_CORRECT:,} records never arrived: after the loop, "
                    "send the last, partial batch.")
    if [tuple(r) for r in got] != expected:
        raise Wrong(f"consume() returned {len(got):,} records that are not the {N_CORRECT:,} records the producer "
                    "sent, in order (the producer's records depend on a seed only it knows: send them, do not "
                    "make them up).")


def check_pipeline(answer: ModuleType) -> str:
    """Correct records, then best-of-three times of the starting pipeline and the answer, taken in turns.

    Verifies: all 10,007 records (a prime, so no batch size divides it) arrive in order, as records
    not batches, with the producer pausing :data:`PAUSE` s before its second message (a consumer
    that ends on a quiet moment ends there); a short result is blamed on the side that caused it
    (a last batch never sent, or a consumer that stopped while records were still coming); and
    the speedup over the starting pipeline, measured in the same run (without the pause), is at
    least 5x.
    """
    _correct(answer)
    call = call_with_deadline(original.measure, {"start": original, "answer": answer}, N_SPEED, RUNS, timeout=40)
    if not call.finished:
        stop_children()
        raise Wrong("measuring the two pipelines did not finish within 40 s.")
    if call.error is not None:
        raise call.error
    start, yours = min(call.value["start"]), min(call.value["answer"])
    speedup = start / yours
    if speedup < TARGET:
        raise Wrong(f"{speedup:.1f}x faster than the starting pipeline ({format_seconds(yours)} vs "
                    f"{format_seconds(start)} for {N_SPEED:,} records, best of {RUNS} each); at least {TARGET:g}x is "
                    "needed. The cost is per message, not per record: send many records in one message (a list "
                    "per put, or one bytes string per write), on a channel without a feeder thread's hand-off "
                    "(SimpleQueue or Pipe).")
    return f"{speedup:.1f}x faster ({format_seconds(yours)} vs {format_seconds(start)} for {N_SPEED:,} records)"


EXERCISES = [
    Exercise("ex1", "lab10_ex1", "a pipeline 5x faster", check_pipeline, timeout=60),
]
