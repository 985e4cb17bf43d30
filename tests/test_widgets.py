import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")

from ipclab.widgets import Explorer  # noqa: E402


def test_changing_a_control_reruns_the_experiment_and_redraws():
    seen = []
    slider = widgets.IntSlider(value=2, min=1, max=5)

    def experiment(n):
        seen.append(n)
        return list(range(n))

    drawn = []

    def draw(result, fig):
        drawn.append(result)
        fig.add_subplot().plot(result)

    explorer = Explorer({"n": slider}, experiment, draw)
    explorer.run()
    slider.value = 4
    assert seen == [2, 4]
    assert explorer.runs == 2 and explorer.result == [0, 1, 2, 3]
    assert not slider.disabled
    assert "run 2" in explorer.status.value
    assert drawn == [[0, 1], [0, 1, 2, 3]]


def test_a_failing_experiment_is_reported_and_releases_the_controls():
    slider = widgets.IntSlider(value=1)

    def boom(n):
        raise RuntimeError("no cores left")

    explorer = Explorer({"n": slider}, boom, lambda r, f: None)
    try:
        explorer.run()
    except RuntimeError:
        pass
    assert "no cores left" in explorer.status.value
    assert not slider.disabled


def test_no_helper_process_outlives_a_run():
    from ipclab.sandbox import run_guarded
    from ipclab.start import context
    from tests import demos

    # In a child of its own, as a kernel is: the test process may have other children, and then nothing is
    # stopped.  Forked, because a process forked *by the forkserver* looks like a forkserver worker itself.
    outcome = run_guarded(demos.children_after_an_explorer_run, timeout=60, ctx=context("fork"))
    assert outcome.status == "finished", outcome
    assert outcome.value == []  # the forkserver and the resource tracker it started are gone
