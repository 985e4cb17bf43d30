import pytest

from ipclab import context
from ipclab.workers import processes
from ipclab.cleanup import assert_no_children, leftover_children


def test_a_forgotten_child_is_found_and_killed():
    child = context().Process(target=processes.nap, args=(30,))
    child.start()
    assert [p.pid for p in leftover_children(grace=0)] == [child.pid]
    with pytest.raises(AssertionError, match="1 child process"):
        assert_no_children(grace=0)
    child.join(5)
    assert child.exitcode == -9


def test_a_child_that_is_exiting_is_not_reported():
    child = context().Process(target=processes.nap, args=(0.3,))
    child.start()
    assert leftover_children(grace=5) == []


def test_a_manager_started_through_the_forkserver_is_no_helper():
    """Its server is forked by the forkserver and listens like one: it is still a process someone must stop."""
    import multiprocessing

    import psutil

    from ipclab.cleanup import is_helper

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver here")
    manager = multiprocessing.get_context("forkserver").Manager()
    try:
        kinds = {p.pid: is_helper(p) for p in psutil.Process().children(recursive=True)}
        server = manager._process.pid  # CPython's name for the manager's server process
        assert kinds[server] is False and any(kinds.values()), kinds  # the forkserver itself is a helper
    finally:
        manager.shutdown()
