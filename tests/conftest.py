import pytest

from ipclab.cleanup import describe, kill, leftover_children


@pytest.fixture(autouse=True)
def no_process_left_behind(request):
    """Fail any test after which a child process is still running (and kill it).

    The browser tests keep a JupyterLab server for the whole session; their
    own fixture checks that nothing is left once it is stopped.
    """
    yield
    if "browser" in request.node.path.parts:
        return
    left = leftover_children(grace=3.0)
    if left:
        text = describe(left)
        kill(left)
        pytest.fail(f"{len(left)} process(es) outlived the test:\n{text}", pytrace=False)
