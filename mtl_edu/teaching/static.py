"""Static explorers: an explorer's figures precomputed over a grid of its settings, for a page without a kernel.

The course's website (tools/build_site.py) shows each explorer as a few controls over a grid of settings;
moving a control swaps in the figure computed for that setting. This module decides the grid and
renders it; the page only looks figures up.

The grid comes from the explorer's own widget: a registered explorer names the controls it shows
on the web (`register_explorer(..., static_controls=...)`), and each of them contributes values
read off its ipywidgets control: every option of a dropdown, a checkbox or a selection slider with
few options; evenly spaced values across a slider's range (snapped to its step, and always
including its default, so the page opens on the figure the notebook stores). A multiple selection
becomes a choice of its default selection or one option alone. The number of slider values is the
largest (from 5 to 9) that keeps the grid within `MAX_SETTINGS`.
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .explorers import EXPLORER_WIDGETS, EXPLORERS, STATIC_CONTROLS, Explorer, figure_to_png, format_value

__all__ = ["StaticControl", "StaticGrid", "MIN_SETTINGS", "MAX_SETTINGS", "MAX_FIGURE_BYTES", "MIN_VALUES",
           "static_grid", "render_setting", "message_figure"]

MIN_SETTINGS, MAX_SETTINGS = 30, 150  # settings per static explorer
MIN_VALUES, MAX_VALUES = 5, 9  # values per slider on the web
MAX_FIGURE_BYTES = 60_000  # one figure's PNG
_FEW_OPTIONS = 9  # a selection slider or an int slider with at most this many values keeps them all


@dataclasses.dataclass(frozen=True)
class StaticControl:
    """One control of a static explorer.

    name: the update function's keyword. label: the widget's description. kind: "range" (a slider,
    drawn as <input type=range> over the value indices) or "select" (a dropdown). values: what the update
    function is given; labels: what the page shows for each; default: the index of the widget's value.
    """
    name: str
    label: str
    kind: str
    values: tuple
    labels: tuple
    default: int

    def __post_init__(self):
        if self.kind not in ("range", "select"):
            raise ValueError(f"StaticControl {self.name}: kind must be 'range' or 'select', got {self.kind!r}")
        if len(self.values) != len(self.labels) or not 0 <= self.default < len(self.values):
            raise ValueError(f"StaticControl {self.name}: {len(self.values)} values, {len(self.labels)} labels, "
                             f"default index {self.default}")


@dataclasses.dataclass(frozen=True)
class StaticGrid:
    """An explorer's static grid: its controls, and every setting in row-major order (last control fastest)."""
    name: str
    title: str
    controls: tuple

    @property
    def size(self) -> int:
        return math.prod(len(control.values) for control in self.controls)

    def settings(self) -> list:
        """Every setting as {name: value}, in the order the page indexes them."""
        names = [control.name for control in self.controls]
        return [dict(zip(names, combination)) for combination in itertools.product(*(c.values for c in self.controls))]

    def default_index(self) -> int:
        index = 0
        for control in self.controls:
            index = index * len(control.values) + control.default
        return index


def _options(control) -> list:
    """(label, value) pairs of a selection widget."""
    pairs = []
    for option in control.options:
        if isinstance(option, tuple) and len(option) == 2:
            pairs.append((str(option[0]), option[1]))
        else:
            pairs.append((str(option), option))
    return pairs


def _spread(candidates: list, default, count: int) -> list:
    """`count` evenly spaced members of `candidates` (both ends included), the one nearest the default replaced
    by it."""
    if len(candidates) <= count:
        return list(candidates)
    chosen = sorted({round(i * (len(candidates) - 1) / (count - 1)) for i in range(count)})
    default_at = min(range(len(candidates)), key=lambda i: abs(candidates[i] - default))
    if default_at not in chosen:
        nearest = min(chosen, key=lambda i: (abs(i - default_at), i))
        chosen = sorted(set(chosen) - {nearest} | {default_at})
    # The default itself, even where it is not on the step grid (a log slider's 0.5 among powers of 10^0.1).
    return [default if i == default_at else candidates[i] for i in chosen]


def _slider_candidates(control) -> list:
    """Every value a numeric slider can take, lowest first."""
    if isinstance(control, widgets.FloatLogSlider):
        steps = int(round((control.max - control.min) / control.step))
        return [float(control.base ** (control.min + i * control.step)) for i in range(steps + 1)]
    steps = int(round((control.max - control.min) / control.step))
    values = [control.min + i * control.step for i in range(steps + 1)]
    if isinstance(control, widgets.IntSlider):
        return [int(v) for v in values]
    return [float(round(v, 10)) for v in values]


def _static_control(name: str, control, slider_values: int) -> tuple:
    """(StaticControl, is_slider) for one ipywidgets control."""
    label = control.description or name
    if isinstance(control, widgets.Checkbox):
        values = (False, True)
        return StaticControl(name, label, "select", values, ("off", "on"), values.index(bool(control.value))), False
    if isinstance(control, widgets.SelectMultiple):
        pairs = _options(control)
        default = tuple(control.value)
        by_value = dict((value, label) for label, value in pairs)
        values = (default,) + tuple((value,) for _, value in pairs if (value,) != default)
        labels = (" + ".join(by_value[v] for v in default),) + tuple(by_value[v[0]] for v in values[1:])
        return StaticControl(name, label, "select", values, labels, 0), False
    if isinstance(control, widgets.SelectionSlider):
        pairs = _options(control)
        values = [value for _, value in pairs]
        if len(values) > _FEW_OPTIONS:
            index_of = _spread(list(range(len(values))), values.index(control.value), slider_values)
            pairs = [pairs[i] for i in index_of]
        values = tuple(value for _, value in pairs)
        return StaticControl(name, label, "range", values, tuple(format_value(v) for v in values),
                             values.index(control.value)), len(_options(control)) > _FEW_OPTIONS
    if isinstance(control, (widgets.Dropdown, widgets.Select, widgets.RadioButtons, widgets.ToggleButtons)):
        pairs = _options(control)
        values = tuple(value for _, value in pairs)
        return StaticControl(name, label, "select", values, tuple(label for label, _ in pairs),
                             values.index(control.value)), False
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)):
        candidates = _slider_candidates(control)
        values = _spread(candidates, control.value, slider_values)
        default = min(range(len(values)), key=lambda i: abs(values[i] - control.value))
        return (StaticControl(name, label, "range", tuple(values), tuple(format_value(v) for v in values), default),
                len(candidates) > _FEW_OPTIONS)
    raise TypeError(f"static explorer: control {name!r} is a {type(control).__name__}, which has no static form")


def static_grid(name: str, explorer: Explorer | None = None) -> StaticGrid:
    """The static grid of the registered explorer `name`, read off its widget (built at its defaults unless
    given). Raises ValueError naming the explorer when no slider count keeps it within 30-150 settings."""
    if name not in EXPLORERS:
        raise KeyError(f"static_grid: no explorer named {name!r}; registered: {sorted(EXPLORERS)}")
    names = STATIC_CONTROLS[name]
    explorer = EXPLORER_WIDGETS[name]() if explorer is None else explorer
    for count in range(MAX_VALUES, MIN_VALUES - 1, -1):
        built = [_static_control(control, explorer.controls[control], count) for control in names]
        grid = StaticGrid(name, explorer.title, tuple(control for control, _ in built))
        has_sliders = any(is_slider for _, is_slider in built)
        if grid.size <= MAX_SETTINGS or not has_sliders:
            break
    sizes = {control.name: len(control.values) for control in grid.controls}
    if not MIN_SETTINGS <= grid.size <= MAX_SETTINGS:
        raise ValueError(f"static explorer {name}: controls {sizes} give {grid.size} settings; choose controls "
                         f"that give {MIN_SETTINGS} to {MAX_SETTINGS}")
    return grid


def message_figure(message: str) -> Figure:
    """A setting the explorer cannot draw: its explanation as a figure, as the widget shows it in words."""
    import textwrap

    fig = Figure(figsize=(8, 1.6), dpi=100)
    fig.text(0.03, 0.5, "\n".join(textwrap.wrap("Not drawn: " + message, 110)), va="center", ha="left",
             fontsize=10, color="#222222", bbox=dict(boxstyle="square,pad=0.8", facecolor="#fdf0f0",
                                                     edgecolor="#d62728"))
    return fig


def _compact_png(png: bytes) -> bytes:
    """The same figure as a 256-colour palette PNG: matplotlib's figures use few colours, and the
    palette form is a third to a half of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


def render_setting(explorer: Explorer, values: dict) -> tuple:
    """(png_bytes, message): the figure the explorer's own update function draws for `values` (a palette
    PNG), or, for a setting it cannot draw, its explanation drawn as a figure and the text."""
    try:
        result = explorer.update_fn(**values)
    except ValueError as error:
        result = str(error)
    message = result if isinstance(result, str) else ""
    figure = message_figure(message) if message else result
    return _compact_png(figure_to_png(figure)), message
