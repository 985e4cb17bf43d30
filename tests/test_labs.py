"""Lab answers checked by `python -m ipclab check`, under each start method of this run.

Each wrong answer must be named, on every run; correct answers written
another way must pass.  (That each solution passes is asserted by running it:
nbval executes solutions/, whose grading cells fail unless every check
passes.)  The start methods are those in ``IPCLAB_TEST_METHODS`` ("default"
for the platform's), which `make test` sets to the methods it tests; without
it, the method of this run.  Each check is a process of its own that mostly
waits (for a hung answer's deadline), so these tests run side by side --
except the ones marked ``serial``, which measure speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipclab.start import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = Path(__file__).resolve().parent / "answers"
LABS = sorted(p.stem for p in (ROOT / "solutions").glob("lab*.ipynb"))
METHODS = os.environ.get("IPCLAB_TEST_METHODS", "").split() or [os.environ.get(ENV_VAR) or "default"]
TIMED = ("lab07_ex2", "lab10_ex1")  # exercises whose check measures speed: a right answer must run alone
# Checks whose outcome cannot depend on the course's start method: lab 11's runs spawned, on Dask's own workers.
METHOD_FREE = ("lab11_ex1",)


def methods_for(answer: str, timed_once: bool = False) -> list[str]:
    """The start methods an answer is checked under: all of this run's, or the first where more would only repeat it.

    A timed right answer runs alone, so once is what the machine can spare (the lab's own solution is timed under
    every method, in its notebook).
    """
    stem = Path(answer).stem
    return METHODS[:1] if stem.startswith(METHOD_FREE) or (timed_once and stem.startswith(TIMED)) else METHODS

# Each wrong answer, and words its verdict must contain.
WRONG = {
    "lab01_ex1_one_by_one.py": "ran one after another",
    "lab01_ex1_no_join.py": "join every process",
    "lab01_ex1_joins_a_sleeper.py": "did not return within",
    "lab01_ex2_negative_is_an_error.py": "minus the number of the signal",
    "lab01_ex3_everyone_inherits.py": "'spawn'",
    "lab01_ex1_in_ending_order.py": "in the order the processes ended",
    "lab01_ex2_none_is_ok.py": "describe_exit(None) should be 'running'",
    "lab01_ex3_forkserver_like_fork.py": "forkserver forks from a server process",
    "lab02_ex1_blocking_get.py": "blocks forever once the queue is empty",
    "lab02_ex1_bare_except.py": "bare `except:`",
    "lab02_ex1_while_not_empty.py": "not what is on its way",
    "lab02_ex2_catches_empty.py": "raises queue.Full (not queue.Empty",
    "lab02_ex2_put_nowait.py": "dropped without waiting",
    "lab02_ex1_qsize.py": "qsize(), empty() and get_nowait() see only",
    "lab02_ex2_gives_up_after_first_full.py": "dropped without waiting",
    "lab03_ex1_falsy_end_test.py": "treats 0 as the end",
    "lab03_ex1_empty_end_test.py": "stopped while the queue was empty for 2 s between two batches of buns. empty() only says",
    "lab03_ex1_get_timeout.py": "stopped while the queue was empty for 2 s",
    "lab03_ex1_exits_the_process.py": "died before their sentinel: one ended with exit code 0 without an exception",
    "lab03_ex1_exits_while_sending.py": "other diner(s) could not exit after it, most likely because it died while",
    "lab03_ex2_too_few_sentinels.py": "Send one sentinel per diner",
    "lab03_ex2_one_diner.py": "started 1 diner process(es) for 3 diners",
    "lab03_ex1_reports_the_sentinel.py": "reported their sentinel as a bun",
    "lab03_ex2_sentinels_before_cooks_finish.py": "before every cook had finished",
    "lab03_ex2_joins_diners_first.py": "Take all cooks x buns_per_cook reports from `eaten` before you join the diners",
    "lab03_ex2_collects_until_empty.py": "not until the queue looks empty",
    "lab04_ex1_missing_task_done.py": "call task_done() once for every bun",
    "lab04_ex1_extra_task_done.py": "task_done() called too many times",
    "lab04_ex1_task_done_before_report.py": "before eaten.put(bun)",
    "lab04_ex2_not_daemon.py": "daemon=True",
    "lab04_ex2_no_join.py": "before every bun was eaten",
    "lab04_ex2_drains_until_empty.py": "stopped taking reports from `eaten` too early",
    "lab04_ex1_falsy_task_done.py": "call task_done() once for every bun",
    "lab04_ex2_one_diner.py": "started 1 diner process(es) for 3 diners",
    "lab05_ex1_falsy_end_test.py": "`if not item` treats 0",
    "lab05_ex1_swallows_everything.py": "swallowed it",
    "lab05_ex1_closes_input_first.py": "closes its input before reading it",
    "lab05_ex2_keeps_producer_end.py": "still holds its copy of the producer's write end",
    "lab05_ex2_keeps_stage_output.py": "still holds its copy of the write end the transform sends to",
    "lab05_ex2_closes_after_starting_stage.py": "the transform process holds a copy of the producer's write end",
    "lab05_ex2_falsy_end_test.py": "`if not item` treats 0",
    "lab05_ex1_stops_when_quiet.py": "stopped when the producer paused for 1.5 s",
    "lab05_ex2_joins_before_reading.py": "before reading everything it sends",
    "lab05_ex2_module_context_closes_late.py": "the transform process holds a copy of the producer's write end",
    "lab06_ex1_no_lock.py": "was never taken",
    "lab06_ex1_lock_read_only.py": "not just the read",
    "lab06_ex1_lock_in_worker.py": "makes a lock of its own",
    "lab06_ex2_no_get_lock.py": "`v.value += 1` without `v.get_lock()`",
    "lab06_ex2_lock_in_worker.py": "makes a lock of its own",
    "lab06_ex1_reads_outside_lock.py": "reads of the count happened while the manager's lock",
    "lab06_ex1_wrong_key.py": "a worker raised KeyError: 'counter' (line 7 of lab06_ex1.py)",
    "lab06_ex2_reads_outside_lock.py": "reads of `v.value` happened outside `v.get_lock()`",
    "lab06_ex3_puts_every_increment.py": "8000 items came on `results` from 4 workers",
    "lab06_ex3_returns_the_count.py": "what a worker returns goes nowhere",
    "lab06_ex3_reports_running_totals.py": "not along the way",
    "lab07_ex1_with_block_terminates.py": "the pool was terminated",
    "lab07_ex1_callback_waits.py": "holds back every result behind it",
    "lab07_ex1_callback_raises.py": "An exception in a callback kills the pool's result thread",
    "lab07_ex2_chunksize_one.py": "with chunksize 1, 250,000 tasks",
    "lab07_ex1_apply_in_a_loop.py": "only one task was ever in flight",
    "lab07_ex1_pool_left_open.py": "with its pool still open",
    "lab07_ex2_one_chunk.py": "make only 1 task(s) for 2 processes",
    "lab08_ex1_no_timeout.py": "was still waiting after",
    "lab08_ex1_swallows_timeout.py": "for a page that never answered: let the exception rise",
    "lab08_ex1_ignores_http_status.py": "for a page that answered 404 Not Found",
    "lab08_ex2_no_timeout.py": "held a worker (and the pool's join) forever",
    "lab08_ex2_no_error_callback.py": "without one, a task's failure is dropped silently",
    "lab08_ex2_get_raises.py": "raised the failure of one page",
    "lab08_ex2_with_block_terminates.py": "the pool was terminated before the pages arrived",
    "lab08_ex2_one_at_a_time.py": "fetched one at a time",
    "lab08_ex2_pool_left_open.py": "with its pool still open",
    "lab08_ex1_returns_bytes.py": "fetch() returned bytes",
    "lab09_ex1_join_first.py": "Take the item with get() first, then join()",
    "lab09_ex2_lambda.py": "a lambda has no name another process can import",
    "lab09_ex2_unordered.py": "returned the squares out of order",
    "lab09_ex2_callback_appends.py": "returned the squares out of order",
    "lab09_ex2_no_pool.py": "started no process",
    "lab09_ex3_join_then_get.py": "a greeting of 128 KiB) did not return within 10 s",
    "lab09_ex2_local_function.py": "a function defined inside another function",
    "lab09_ex3_global.py": "the child read the module's global GREETING",
    "lab09_ex4_no_guard.py": "under `if __name__ == \"__main__\":`",
    "lab09_ex1_join_with_timeout_first.py": "never joined to their end",
    "lab09_ex2_returns_async_result.py": "a result still to come",
    "lab09_ex3_result_in_global.py": "stays in the child",
    "lab09_ex4_pool_at_import.py": "each new process imports the script again",
    "lab10_ex1_drops_last_batch.py": "send the last, partial batch",
    "lab10_ex1_unbatched_pipe.py": "at least 5x is needed",
    "lab10_ex1_returns_batches.py": "returned the batches themselves",
    "lab10_ex1_consumer_stops_early.py": "your consumer stopped too soon",
    "lab10_ex1_stops_when_quiet.py": "not until nothing came for a while",
    "lab11_ex1_cluster_left_open.py": "with its LocalCluster still running",
    "lab11_ex1_client_left_open.py": "with its Client still open",
    "lab11_ex1_ignores_address.py": "started a LocalCluster of its own",
    "lab11_ex1_returns_futures.py": "returned futures, not buns",
    "lab11_ex1_one_cook_only.py": "never eaten",
    "lab11_ex1_one_worker.py": "a LocalCluster of 1 worker process(es) for 2 diners",
}


def check(method: str, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if method != "default":
        env[ENV_VAR] = method
    done = subprocess.run(
        [sys.executable, "-m", "ipclab", "check", *args], capture_output=True, text=True, timeout=150, cwd=ROOT,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(("answer", "method"), [(a, m) for a in sorted(WRONG) for m in methods_for(a)])
def test_a_wrong_answer_is_named(answer, method):
    lab, exercise = answer.split("_")[:2]
    code, out = check(method, lab, str(ANSWERS / answer))
    line = next(line for line in out.splitlines() if line.startswith(f"{lab} {exercise} "))
    assert code == 1
    assert "WRONG" in line and WRONG[answer] in line, line


# Mistakes that show only in a race: their checks control the timing, so every run catches them.
RACY = ["lab02_ex1_while_not_empty.py", "lab03_ex2_sentinels_before_cooks_finish.py",
        "lab03_ex2_collects_until_empty.py", "lab04_ex1_task_done_before_report.py",
        "lab04_ex2_drains_until_empty.py", "lab08_ex2_one_at_a_time.py"]
RIGHT = sorted((ANSWERS / "right").glob("lab*.py"))


@pytest.mark.full  # make test checks each once, in test_a_wrong_answer_is_named
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("answer", RACY)
def test_a_racy_mistake_is_caught_on_every_run(answer, method):
    lab, exercise = answer.split("_")[:2]
    for _ in range(3):
        code, out = check(method, lab, str(ANSWERS / answer))
        assert code == 1 and f"{lab} {exercise} " in out and WRONG[answer] in out, out


@pytest.mark.parametrize(("answer", "method"), [
    # a timed right answer runs alone, in the full run only (make test runs the solutions' timed checks)
    pytest.param(a, m, id=f"{a.stem}-{m}",
                 marks=[pytest.mark.serial, pytest.mark.full] if a.stem.startswith(TIMED) else [])
    for a in RIGHT for m in methods_for(a.name, timed_once=True)
])
def test_a_right_answer_written_another_way_passes(answer, method):
    lab, exercise = answer.stem.split("_")[:2]
    _, out = check(method, lab, str(answer))
    line = next(line for line in out.splitlines() if line.startswith(f"{lab} {exercise} "))
    assert "PASS" in line, line
