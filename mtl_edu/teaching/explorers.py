"""The explorers' framework: interactive figures a learner steers with sliders.

Every explorer has three layers, so the part that computes can be tested without a browser:

1. a compute function: pure, fast, plain data in and out;
2. an update function `<name>_explorer_update(**controls) -> Figure` that computes and plots. A
   setting that cannot work raises `ValueError` (or returns a message string) whose text tells the
   learner what to change; the widget shows that text instead of a traceback;
3. a widget factory `<name>_explorer(**initial_values) -> Explorer` that wires controls made with
   `continuous_update=False` to the update function.

Here: `register_explorer` and the registry it fills (`EXPLORERS` maps each explorer's name to
`(update_fn, default_controls)`, which the benchmark and the tests iterate over; `EXPLORER_WIDGETS`
maps the same names to the widget factories), the `Explorer` widget, figures (`new_figure`,
`figure_to_png`) and controls (`float_slider`, `int_slider`, `dropdown`). A lesson adds an explorer by
writing the three layers in its module under `mtl_edu/lessons/` and calling `register_explorer` once;
importing `mtl_edu.lessons` registers them all, in lesson order.
"""
from __future__ import annotations

import base64
import html
import inspect
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..instruments.plots import DPI, figure_to_png_bytes

__all__ = [
    "Explorer", "EXPLORERS", "EXPLORER_WIDGETS", "EXPLORER_CLASS", "STATIC_CONTROLS", "FIGURE_DPI", "register_explorer", "initial_values",
    "new_figure", "figure_to_png", "format_value", "float_slider", "int_slider", "dropdown",
]

EXPLORER_CLASS = "mtl-explorer"  # the browser test finds explorers by this CSS class
FIGURE_DPI = DPI  # the course-wide figure resolution, from plots

EXPLORERS: dict[str, tuple[Callable[..., Figure | str], dict]] = {}
EXPLORER_WIDGETS: dict[str, Callable[..., "Explorer"]] = {}
STATIC_CONTROLS: dict[str, tuple] = {}  # the controls each explorer shows on the course's website (teaching.static)


def register_explorer(name: str, update: Callable[..., Figure | str], controls,
                      widget: Callable[..., "Explorer"], static_controls=None) -> None:
    """Make an explorer known to the benchmark, the tests and the website (`EXPLORERS`, `EXPLORER_WIDGETS`,
    `STATIC_CONTROLS`).

    controls: the names of the update function's parameters that the widget exposes. Their default
    values are the update function's own defaults: one source, so the figure a notebook draws with
    `update()` and the widget's first figure are the same setting.
    static_controls: the most telling of `controls` (all of them if not given), the ones the website's
    static explorer lets a reader move over a precomputed grid (teaching.static).
    """
    if name in EXPLORERS:
        raise ValueError(f"register_explorer: an explorer named {name!r} is already registered")
    if isinstance(controls, str) or not all(isinstance(control, str) for control in controls):
        raise TypeError(f"register_explorer: {name}: controls must be a tuple of parameter names, got {controls!r}")
    parameters = inspect.signature(update).parameters
    missing = [control for control in controls if control not in parameters]
    if missing:
        raise TypeError(f"register_explorer: {name}: update function takes no control named {missing}")
    without_default = [control for control in controls if parameters[control].default is inspect.Parameter.empty]
    if without_default:
        raise TypeError(f"register_explorer: {name}: give the update function's parameters {without_default} a "
                        "default value; the widget starts from it")
    static_controls = tuple(controls) if static_controls is None else tuple(static_controls)
    unknown = [control for control in static_controls if control not in controls]
    if unknown or not static_controls:
        raise TypeError(f"register_explorer: {name}: static_controls {static_controls!r} must be some of the "
                        f"controls {tuple(controls)!r}")
    EXPLORERS[name] = (update, {control: parameters[control].default for control in controls})
    EXPLORER_WIDGETS[name] = widget
    STATIC_CONTROLS[name] = static_controls


def initial_values(name: str, overrides: dict) -> dict:
    """An explorer's default control values with the caller's overrides (unknown names refused)."""
    defaults = EXPLORERS[name][1]
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise TypeError(f"{name} explorer: no control named {unknown}; its controls are {sorted(defaults)}")
    return {**defaults, **overrides}


# ---- figures and controls ------------------------------------------------------------------------

def new_figure(figsize: tuple, ncols: int = 1, margins: tuple = (0.09, 0.97, 0.14, 0.9)) -> tuple:
    """A figure and its axes, made by pyplot and closed at once, as in `plots`: Jupyter shows it once
    when a cell returns it, and pyplot keeps no reference to it.

    margins: (left, right, bottom, top) in figure fractions. Fixed margins instead of a layout
    engine: constrained layout measures every label on each draw and would double an update's time.
    For the same reason give titles a fixed height, `ax.set_title(text, y=1.0)`: without `y`,
    matplotlib measures the tick labels on every draw to place the title.
    """
    fig, axes = plt.subplots(1, ncols, figsize=figsize, dpi=FIGURE_DPI)
    plt.close(fig)
    left, right, bottom, top = margins
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top, wspace=0.3)
    return fig, axes


def figure_to_png(fig: Figure) -> bytes:
    """Render `fig` to PNG bytes at its own dpi, and make sure pyplot does not keep it open."""
    png = figure_to_png_bytes(fig)
    plt.close(fig)  # for an update function that forgot to close a pyplot figure
    return png


def control_style() -> dict:
    return {"description_width": "initial"}


def _slider_layout() -> widgets.Layout:
    # The description shares the slider's width; with the default width a long description
    # squeezes the track to a dot.
    return widgets.Layout(width="460px")


def float_slider(description: str, value: float, min: float, max: float, step: float,
                 readout_format: str = ".2f") -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=readout_format, continuous_update=False, style=control_style(),
                               layout=_slider_layout())


def int_slider(description: str, value: int, min: int, max: int, step: int = 1) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=False, style=control_style(), layout=_slider_layout())


def dropdown(description: str, options, value) -> widgets.Dropdown:
    return widgets.Dropdown(options=options, value=value, description=description, style=control_style())


def format_value(value) -> str:
    """A control value as the status line and the website show it (numbers to 3 significant digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return str(value)
    return f"{value:.3g}"


class Explorer(widgets.VBox):
    """Controls, a status line and an Output showing the figure for the current control values.

    update: called as `update(**{name: control.value})`; returns a Figure, or a message string for
        a setting it cannot draw (raising ValueError works the same way). With `reports_progress`,
        it is also given `progress=callable(done, total)` to move a progress bar.
    controls: name -> ipywidgets control; names are update's keyword arguments.
    After every change of a control value the figure is recomputed and drawn into `.output` as a
    PNG; `.status` says what is shown. Construction draws the first figure.
    """

    def __init__(self, update: Callable[..., Figure | str], controls: dict, title: str, help_text: str = "",
                 reports_progress: bool = False):
        self.update_fn = update
        self.title = title
        self._png: bytes | None = None  # the figure on show, also offered to viewers without a kernel
        self.controls = dict(controls)
        self.reports_progress = reports_progress
        for control in self.controls.values():
            # Recompute when the learner lets go of a slider, not at every pixel of a drag.
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
        header = widgets.HTML(
            f"<b>{html.escape(title)}</b>" + (f"<br><span>{html.escape(help_text)}</span>" if help_text else "")
        )
        controls_box = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.status = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(display="none"))
        self.output = widgets.Output()
        super().__init__([header, controls_box, self.status, self.progress, self.output])
        self.add_class(EXPLORER_CLASS)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change) -> None:
        self.refresh()

    def _report_progress(self, done: int, total: int) -> None:
        self.progress.layout.display = None
        self.progress.max = max(int(total), 1)
        self.progress.value = min(int(done), self.progress.max)

    def refresh(self) -> None:
        """Recompute and redraw for the current control values."""
        values = self.values()
        self.status.value = "<i>drawing…</i>"
        kwargs = dict(values, progress=self._report_progress) if self.reports_progress else values
        try:
            result = self.update_fn(**kwargs)
        except ValueError as error:
            result = str(error)
        except Exception as error:
            self._show_message(f"The explorer failed ({type(error).__name__}: {error}). This is a bug in the "
                               "course, not in your settings; please report it.")
            raise
        finally:
            self.progress.layout.display = "none"
        if isinstance(result, str):
            self._show_message(result)
            return
        png = self._png = figure_to_png(result)
        self.output.outputs = ({
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(result)},
            "metadata": {},
        },)
        self.status.value = "showing " + ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())

    def _repr_mimebundle_(self, **kwargs):
        """The widget view, plus its current figure and a one-line note for viewers without a kernel.

        A live notebook renders the widget view (the richest type it knows); GitHub, nbviewer and
        JupyterLab before the cell runs again show the PNG with the note instead of the widget's repr.
        """
        data = super()._repr_mimebundle_(**kwargs)
        if data is None:
            return None
        data["text/plain"] = f"{self.title}: interactive in Jupyter: run this cell"
        if self._png is not None:
            data["image/png"] = base64.b64encode(self._png).decode("ascii")
        return data

    def _show_message(self, message: str) -> None:
        self._png = None
        self.output.outputs = ({
            "output_type": "display_data",
            "data": {
                "text/plain": message,
                "text/html": f'<div style="padding:0.5em;border-left:4px solid #d62728">{html.escape(message)}</div>',
            },
            "metadata": {},
        },)
        self.status.value = "<b>not drawn:</b> this setting cannot work (see the note below)"
