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
