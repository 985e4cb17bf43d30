import pytest

from ipclab.cleanup import describe, kill, leftover_children


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """Fail any test after which a child process is still running (and kill it)."""
    yield
    left = leftover_children(grace=3.0)
    if left:
        text = describe(left)
        kill(left)
        pytest.fail(f"{len(left)} process(es) outlived the test:\n{text}", pytrace=False)
