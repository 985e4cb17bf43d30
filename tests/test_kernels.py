"""The kernels the tests and the website build start use Unix sockets of their own, and leave none behind."""

import os

import nbformat
import pytest
from jupyter_core.paths import jupyter_runtime_dir

from ipclab.kernels import run_notebook, socket_file_options


@pytest.mark.skipif(os.name != "posix", reason="no Unix sockets")
def test_each_kernel_gets_socket_files_of_its_own():
    first, second = socket_file_options(), socket_file_options()
    assert first["transport"] == second["transport"] == "ipc"
    assert first["ip"] != second["ip"] and os.path.dirname(first["ip"]) == jupyter_runtime_dir()


@pytest.mark.serial  # compares Jupyter's runtime folder, which every kernel of the run shares, before and after
def test_a_notebook_runs_and_its_kernel_leaves_no_socket_files(tmp_path):
    before = set(os.listdir(jupyter_runtime_dir()))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print(os.getcwd())")])
    run_notebook(nb, tmp_path, timeout=60)
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)
    assert set(os.listdir(jupyter_runtime_dir())) - before == set()
