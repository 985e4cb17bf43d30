import pytest

from ipclab.cleanup import assert_no_children


@pytest.fixture(autouse=True)
def no_process_left_behind(request):
    """Fail any test after which a child process is still running (and kill it).

    The browser tests keep a JupyterLab server for the whole session; their
    own fixture checks that nothing is left once it is stopped.
    """
    yield
    if "browser" in request.node.path.parts:
        return
    try:
        assert_no_children(grace=3.0)
    except AssertionError as exc:
        pytest.fail(f"a process outlived the test: {exc}", pytrace=False)
