"""The sandbox must report hangs and crashes in time and leave nothing behind."""

import tempfile
from pathlib import Path

import psutil
import pytest

from ipclab.workers import processes
from ipclab.cleanup import ipc_names, leftover_children
from ipclab.sandbox import run_guarded
from tests import demos

# The watchdog's limit for runs that should finish: a hang detector, not a speed target.  A finished run
# returns as soon as it is done, so it can be generous; CI's busy two cores once took over 5 s to start,
# run and end a child that starts a daemon and returns.
ENOUGH = 30.0


def test_a_real_deadlock_is_reported_hung_in_time_and_cleaned_up():
    outcome = run_guarded(demos.join_before_draining, timeout=2.0)
    assert outcome.status == "hung" and outcome.elapsed >= 2.0
    assert leftover_children(grace=0) == []


def test_the_same_code_finishes_when_the_queue_is_drained_first():
    outcome = run_guarded(demos.drain_then_join, timeout=ENOUGH)
    assert outcome.status == "finished"
    assert outcome.value == demos.BIG


def test_an_exception_is_a_crash_with_its_text():
    outcome = run_guarded(processes.fail, timeout=ENOUGH)
    assert outcome.status == "crashed"
    assert outcome.exitcode == 1
    assert outcome.error_type == "RuntimeError"
    assert "went wrong" in outcome.error
    assert "processes.py" in outcome.traceback


def test_sys_exit_keeps_its_code():
    outcome = run_guarded(processes.nap, 0, 3, timeout=ENOUGH)
    assert (outcome.status, outcome.exitcode) == ("crashed", 3)


def test_a_daemon_child_dies_with_its_parent():
    outcome = run_guarded(processes.parent_of_sleeper, True, 120, timeout=ENOUGH)
    assert outcome.status == "finished"
    assert outcome.leftovers == 0
    assert not psutil.pid_exists(outcome.value) or psutil.Process(outcome.value).status() == psutil.STATUS_ZOMBIE


def test_a_normal_child_keeps_its_parent_waiting():
    outcome = run_guarded(processes.parent_of_sleeper, False, 0.5, timeout=ENOUGH)
    assert outcome.status == "finished"
    assert outcome.elapsed >= 0.5


def test_orphans_left_behind_are_killed_and_counted():
    outcome = run_guarded(demos.orphan_a_sleeper, timeout=ENOUGH)
    assert outcome.status == "finished"
    assert outcome.leftovers == 1
    assert not psutil.pid_exists(outcome.value)


def test_a_grandchild_that_left_the_session_is_ended_and_counted():
    outcome = run_guarded(demos.orphan_a_sleeper, True, timeout=ENOUGH)
    assert outcome.status == "finished" and outcome.leftovers == 1
    assert not psutil.pid_exists(outcome.value) or psutil.Process(outcome.value).status() == psutil.STATUS_ZOMBIE


def test_stragglers_holding_the_pipes_do_not_hold_up_the_outcome():
    outcome = run_guarded(demos.fork_sleepers, 50, timeout=ENOUGH)  # had it waited for them, it would be "hung"
    assert outcome.status == "finished" and outcome.leftovers == 50
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in outcome.value)


def test_a_target_that_returns_but_cannot_exit_is_hung_with_its_value():
    outcome = run_guarded(processes.parent_of_sleeper, False, 60, timeout=5.0)  # time enough to report
    assert outcome.status == "hung"
    assert isinstance(outcome.value, int)  # the pid it reported before its exit got stuck


def test_a_result_that_cannot_be_pickled_is_a_crash_that_says_so():
    outcome = run_guarded(demos.return_a_lock, timeout=ENOUGH)
    assert outcome.status == "crashed"
    assert "could not send the result back" in outcome.error


@pytest.mark.serial  # compares /dev/shm and /tmp before and after
def test_a_killed_target_leaves_no_temporary_folder():
    run_guarded(processes.nap, 0)  # this process's own helpers (a forkserver) and their folder start now
    before = ipc_names()
    outcome = run_guarded(demos.manager_then_hang, timeout=3)
    assert outcome.status == "hung"
    assert ipc_names(grace=3) - before == set()
    assert not list(Path(tempfile.gettempdir()).glob("ipclab-sandbox-*"))


def test_a_forked_target_can_use_the_forkserver_its_parent_started():
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver here")
    processes.start_and_join(1, "forkserver")  # this process's forkserver now runs
    outcome = run_guarded(processes.start_and_join, 1, "forkserver", timeout=ENOUGH, ctx=multiprocessing.get_context("fork"))
    assert outcome.status == "finished", outcome  # not ChildProcessError: it checked on a forkserver not its own
