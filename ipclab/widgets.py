"""A small base for explorers: controls -> a bounded real experiment -> a redrawn plot.

An explorer never replays stored numbers: every change of a control re-runs a
small experiment (keep it to a few seconds) and redraws from its result.  The
controls are disabled while it runs, so a learner cannot queue up runs, and
multiprocessing's helper processes are stopped after each run, so playing with
an explorer after a notebook's last cell leaves nothing behind either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import clear_output, display
from matplotlib.figure import Figure

from ipclab.cleanup import stop_helpers


class Explorer:
    """Re-run ``experiment(**values)`` when a control changes; draw with ``draw``.

    ``controls`` maps the experiment's keyword arguments to ipywidgets (use
    ``continuous_update=False`` on sliders); ``draw(result, figure)`` draws the
    result of one run on an empty figure.
    """

    def __init__(
        self,
        controls: dict[str, widgets.ValueWidget],
        experiment: Callable[..., Any],
        draw: Callable[[Any, Figure], None],
        figsize: tuple[float, float] = (8, 3.5),
    ) -> None:
        self.controls = controls
        self.experiment = experiment
        self.draw = draw
        self.figsize = figsize
        self.runs = 0
        self.result: Any = None
        self.status = widgets.HTML()
        self.output = widgets.Output()
        for control in controls.values():
            control.observe(lambda _change: self.run(), names="value")
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([row, self.status, self.output])

    def values(self) -> dict[str, Any]:
        """The current value of every control, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def run(self) -> Any:
        """Run the experiment once with the current values and redraw."""
        for control in self.controls.values():
            control.disabled = True
        self.status.value = "<i>running...</i>"
        t0 = time.perf_counter()
        try:
            self.result = self.experiment(**self.values())
            with self.output:
                clear_output(wait=True)
                fig = plt.figure(figsize=self.figsize, layout="constrained")
                self.draw(self.result, fig)
                display(fig)
                plt.close(fig)
            self.runs += 1
            self.status.value = f"run {self.runs} took {time.perf_counter() - t0:.2f} s"
        except Exception as exc:
            self.status.value = f"<b>the experiment failed:</b> {type(exc).__name__}: {exc}"
            raise
        finally:
            stop_helpers()  # no helper process outlives a run (see ipclab.cleanup.stop_helpers)
            for control in self.controls.values():
                control.disabled = False
        return self.result

    def _ipython_display_(self) -> None:
        display(self.widget)
        if self.runs == 0:
            self.run()
