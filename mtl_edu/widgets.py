"""Explorers: interactive figures a learner steers with sliders.

Every explorer has three layers, so the part that computes can be tested without a browser:

1. a compute function: pure, fast, plain data in and out;
2. an update function `<name>_explorer_update(**controls) -> Figure` that computes and plots. A
   setting that cannot work raises `ValueError` (or returns a message string) whose text tells the
   learner what to change; the widget shows that text instead of a traceback;
3. a widget factory `<name>_explorer(**initial_values) -> Explorer` that wires controls made with
   `continuous_update=False` to the update function.

`EXPLORERS` maps each explorer's name to `(update_fn, default_controls)` (the benchmark and tests
iterate over it) and `EXPLORER_WIDGETS` maps the same names to the widget factories. A lesson adds
an explorer by writing the three layers and calling `register_explorer` once.
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
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .autodiff import Tensor, error_band, no_grad
from .graph_drawing import plot_computation_graph, trace_computation_graph
from .plots import DPI, figure_to_png_bytes

__all__ = [
    # the framework
    "Explorer", "EXPLORERS", "EXPLORER_WIDGETS", "EXPLORER_CLASS", "register_explorer", "initial_values",
    "new_figure", "figure_to_png", "plain_log_ticks", "float_slider", "int_slider", "dropdown",
    # lesson 00
    "sigmoid_and_slope", "plot_sigmoid_and_slope", "sigmoid_explorer_update", "sigmoid_explorer",
    # lesson 01
    "neuron_graph", "neuron_graph_explorer_update", "neuron_graph_explorer",
    "FINITE_DIFFERENCE_FUNCTIONS", "finite_difference_errors", "plot_finite_difference_errors",
    "finite_difference_explorer_update", "finite_difference_explorer",
]

EXPLORER_CLASS = "mtl-explorer"  # the browser test finds explorers by this CSS class
FIGURE_DPI = DPI  # the course-wide figure resolution, from plots

EXPLORERS: dict[str, tuple[Callable[..., Figure | str], dict]] = {}
EXPLORER_WIDGETS: dict[str, Callable[..., "Explorer"]] = {}


def register_explorer(name: str, update: Callable[..., Figure | str], defaults: dict,
                      widget: Callable[..., "Explorer"]) -> None:
    """Make an explorer known to the benchmark and the tests (`EXPLORERS`, `EXPLORER_WIDGETS`)."""
    if name in EXPLORERS:
        raise ValueError(f"register_explorer: an explorer named {name!r} is already registered")
    missing = set(defaults) - set(inspect.signature(update).parameters)
    if missing:
        raise TypeError(f"register_explorer: {name}: update function takes no control named {sorted(missing)}")
    EXPLORERS[name] = (update, dict(defaults))
    EXPLORER_WIDGETS[name] = widget


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


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_log_ticks(axis, step: int = 1) -> None:
    """Label a log axis's decades as plain text "10⁻⁶" (every `step`-th decade, no minor labels).

    matplotlib's default labels are mathtext, whose parsing costs more than the rest of a figure.
    """
    def label(value, _position):
        exponent = int(round(np.log10(value))) if value > 0 else 0
        return "10" + str(exponent).translate(_SUPERSCRIPTS) if exponent % step == 0 else ""

    axis.set_major_locator(LogLocator(base=10.0, numticks=30))
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_locator(NullLocator())  # ~8 unlabelled ticks per decade cost more than they show
    axis.set_tick_params(which="major", labelsize=10)


def _control_style() -> dict:
    return {"description_width": "initial"}


def float_slider(description: str, value: float, min: float, max: float, step: float,
                 readout_format: str = ".2f") -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=readout_format, continuous_update=False, style=_control_style())


def int_slider(description: str, value: int, min: int, max: int, step: int = 1) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=False, style=_control_style())


def dropdown(description: str, options, value) -> widgets.Dropdown:
    return widgets.Dropdown(options=options, value=value, description=description, style=_control_style())


def _format_value(value) -> str:
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
        png = figure_to_png(result)
        self.output.outputs = ({
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(result)},
            "metadata": {},
        },)
        self.status.value = "showing " + ", ".join(f"{k} = {_format_value(v)}" for k, v in values.items())

    def _show_message(self, message: str) -> None:
        self.output.outputs = ({
            "output_type": "display_data",
            "data": {
                "text/plain": message,
                "text/html": f'<div style="padding:0.5em;border-left:4px solid #d62728">{html.escape(message)}</div>',
            },
            "metadata": {},
        },)
        self.status.value = "<b>not drawn:</b> this setting cannot work (see the note below)"


# ---- lesson 00: the sigmoid and its slope ----------------------------------------------------------

def sigmoid_and_slope(x: np.ndarray, steepness: float = 1.0) -> tuple:
    """σ(a·x) and its slope d/dx σ(a·x) = a·σ'(a·x) = a·σ(1 − σ), for x: (n,), a = steepness.

    σ is computed as ½(1 + tanh(a·x/2)), which never overflows.
    """
    sigma = 0.5 * (1.0 + np.tanh(0.5 * steepness * np.asarray(x, dtype=float)))
    return sigma, steepness * sigma * (1.0 - sigma)


def plot_sigmoid_and_slope(x: np.ndarray, sigma: np.ndarray, slope: np.ndarray, steepness: float,
                           point: float) -> Figure:
    """σ(a·x) and its slope over x, the bounds 1/4 and a/4, and the values at one marked point."""
    fig, ax = new_figure((7.2, 3.6), margins=(0.08, 0.98, 0.13, 0.92))
    ax.plot(x, sigma, color="tab:blue", linestyle="-", linewidth=2, label="σ(a·x)")
    ax.plot(x, slope, color="tab:orange", linestyle="--", linewidth=2, label="slope a·σ'(a·x)")
    ax.axhline(0.25, color="0.4", linestyle=":", linewidth=1.5, label="1/4: the most σ' can be")
    if not np.isclose(steepness, 1.0):
        ax.axhline(steepness / 4, color="tab:red", linestyle="-.", linewidth=1.2, label=f"a/4 = {steepness / 4:.3g}: the most the slope can be")
    point_sigma, point_slope = sigmoid_and_slope(np.array([point]), steepness)
    ax.plot([point, point], [point_sigma[0], point_slope[0]], linestyle="none", marker="o", color="black")
    ax.annotate(f"at x = {point:.3g}:\nσ = {point_sigma[0]:.3g}, slope = {point_slope[0]:.3g}",
                xy=(point, point_slope[0]), xytext=(0.98, 0.5), textcoords="axes fraction", ha="right",
                fontsize=9, arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(-0.05, max(1.05, steepness / 4 + 0.1))
    ax.set_xlabel("x (input)")
    ax.set_ylabel("value")
    ax.set_title(f"The sigmoid and its slope, steepness a = {steepness:.3g}", y=1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5)
    return fig


def sigmoid_explorer_update(steepness: float = 1.0, x_range: float = 6.0, point: float = 1.0) -> Figure:
    """Lesson 00: σ(a·x) and its slope on [−x_range, x_range], with the values at x = point."""
    if steepness <= 0:
        raise ValueError(f"The steepness a must be positive, got {steepness:.3g}.")
    if x_range <= 0:
        raise ValueError(f"The x range must be positive, got {x_range:.3g}.")
    if abs(point) > x_range:
        raise ValueError(
            f"The marked point x = {point:.3g} lies outside the plotted range ±{x_range:.3g}: "
            "widen the range or move the point."
        )
    x = np.linspace(-x_range, x_range, 401)
    sigma, slope = sigmoid_and_slope(x, steepness)
    return plot_sigmoid_and_slope(x, sigma, slope, steepness, point)


def sigmoid_explorer(**initial) -> Explorer:
    """Sliders for the steepness a, the plotted range and a marked point."""
    values = initial_values("sigmoid", initial)
    controls = {
        "steepness": float_slider("steepness a", values["steepness"], 0.25, 4.0, 0.25),
        "x_range": float_slider("x range ±", values["x_range"], 1.0, 12.0, 1.0, ".0f"),
        "point": float_slider("marked point x", values["point"], -8.0, 8.0, 0.5, ".1f"),
    }
    return Explorer(sigmoid_explorer_update, controls, title="The sigmoid and its slope",
                    help_text="The dashed slope never rises above a/4: for a = 1 that is the 1/4 bound.")


register_explorer("sigmoid", sigmoid_explorer_update, {"steepness": 1.0, "x_range": 6.0, "point": 1.0},
                  sigmoid_explorer)


# ---- lesson 01: a neuron's computation graph ---------------------------------------------------------

def neuron_graph(x: float, w: float, b: float, y: float):
    """The graph of L = (σ(w·x + b) − y)², back-propagated: a `ComputationGraph` with every value
    and gradient (x, w, b are inputs with gradients; the target y is a constant)."""
    inputs = {name: Tensor(float(value), requires_grad=True) for name, value in (("x", x), ("w", w), ("b", b))}
    target = Tensor(float(y))
    m = inputs["w"] * inputs["x"]
    z = m + inputs["b"]
    a = z.sigmoid()
    d = a - target
    loss = d**2
    return trace_computation_graph(loss, {**inputs, "y": target, "m": m, "z": z, "a": a, "d": d, "L": loss})


def neuron_graph_explorer_update(x: float = 1.5, w: float = -0.8, b: float = 0.5, y: float = 1.0) -> Figure:
    """Lesson 01: the neuron's graph with forward values, gradients and local derivatives."""
    graph = neuron_graph(x, w, b, y)
    return plot_computation_graph(graph, title=f"L = (σ(w·x + b) − y)² at x = {x:.3g}, w = {w:.3g}, "
                                               f"b = {b:.3g}, y = {y:.3g}")


def neuron_graph_explorer(**initial) -> Explorer:
    values = initial_values("neuron_graph", initial)
    controls = {name: float_slider(name, values[name], -3.0, 3.0, 0.1, ".1f") for name in ("x", "w", "b", "y")}
    return Explorer(neuron_graph_explorer_update, controls, title="Backprop through one neuron",
                    help_text="Each box: value (forward) and gradient dL/d(box) (backward). "
                              "Each arrow: its local derivative.")


register_explorer("neuron_graph", neuron_graph_explorer_update, {"x": 1.5, "w": -0.8, "b": 0.5, "y": 1.0},
                  neuron_graph_explorer)


# ---- lesson 01: finite differences, truncation against round-off --------------------------------------

# name -> (function of a Tensor, smallest x where it is defined). Autodiff gives the exact
# derivative; the same function evaluated without a graph gives the finite differences.
FINITE_DIFFERENCE_FUNCTIONS: dict = {
    "x³ − 2x + 1/(1+x²)": (lambda x: x * x * x - 2 * x + 1 / (1 + x * x), -np.inf),
    "tanh(3x)": (lambda x: (3 * x).tanh(), -np.inf),
    "exp(x)·x": (lambda x: x.exp() * x, -np.inf),
    "√x": (lambda x: x.sqrt(), 0.0),
    "|x − 0.003| (a kink)": (lambda x: (x - 0.003).abs(), -np.inf),
}


def _relative_error(exact: float, estimate: np.ndarray) -> np.ndarray:
    """|g − ĝ| / (|g| + |ĝ|), 0 where both are 0: the measure `gradcheck` uses."""
    denominator = np.abs(exact) + np.abs(estimate)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(exact - estimate) / denominator
    return np.where(denominator == 0, 0.0, error)


def finite_difference_errors(function, x0: float, epsilons: np.ndarray) -> dict:
    """Relative errors of central and forward differences against autodiff, at x0, for each ε.

    function: maps a Tensor to a Tensor, element-wise.
    epsilons: (k,) step sizes. Returns {"exact": float, "central": (k,), "forward": (k,)}.
    central = (f(x0+ε) − f(x0−ε)) / 2ε (truncation error ∝ ε²); forward = (f(x0+ε) − f(x0)) / ε (∝ ε).
    """
    epsilons = np.asarray(epsilons, dtype=float)
    x = Tensor(float(x0), requires_grad=True)
    function(x).backward()
    exact = float(x.grad)
    with no_grad():
        plus, minus, here = (function(Tensor(points)).data for points in (x0 + epsilons, x0 - epsilons, x0))
    return {
        "exact": exact,
        "central": _relative_error(exact, (plus - minus) / (2 * epsilons)),
        "forward": _relative_error(exact, (plus - here) / epsilons),
    }


_BAND_SHADES = ((1e-7, "#d9f0d3"), (1e-4, "#f0f7d4"), (1e-2, "#fdebc8"), (1e1, "#f9d0c4"))


def plot_finite_difference_errors(epsilons: np.ndarray, errors: dict, chosen_eps: float, title: str) -> Figure:
    """Relative error against step ε (log–log) for central and forward differences, over the error bands."""
    fig, ax = new_figure((7.2, 3.8), margins=(0.11, 0.87, 0.13, 0.92))
    lower = 1e-20
    for upper, colour in _BAND_SHADES:
        ax.axhspan(lower, upper, color=colour, zorder=0)
        lower = upper
    margin = ax.get_yaxis_transform()  # x in axes fractions, y in data: labels right of the plot
    for y, text in ((1e-10, "excellent"), (3e-6, "fine for\nkinks"), (1e-3, "suspicious"), (0.1, "wrong")):
        ax.text(1.01, y, text, transform=margin, fontsize=8, color="0.3", va="center", ha="left")
    floor = 1e-15  # log axes cannot show an exact 0
    ax.loglog(epsilons, np.maximum(errors["central"], floor), color="tab:blue", linestyle="-", marker="o",
              markersize=4, label="central (f(x+ε) − f(x−ε)) / 2ε")
    ax.loglog(epsilons, np.maximum(errors["forward"], floor), color="tab:orange", linestyle="--", marker="s",
              markersize=4, label="forward (f(x+ε) − f(x)) / ε")
    ax.axvline(chosen_eps, color="black", linestyle=":", linewidth=1.2)
    chosen = int(np.argmin(np.abs(np.log10(epsilons) - np.log10(chosen_eps))))
    central_at = errors["central"][chosen]
    shown = "0 (exact)" if central_at == 0 else f"{central_at:.1e}"
    ax.annotate(f"ε = {chosen_eps:.0e}: central error {shown}\n({error_band(central_at)})",
                xy=(chosen_eps, max(central_at, floor)), xytext=(0.97, 0.06), textcoords="axes fraction",
                ha="right", fontsize=8.5, arrowprops=dict(arrowstyle="->", color="0.3"),
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="0.7"))
    ax.set_xlim(epsilons.min() / 2, epsilons.max() * 2)
    ax.set_ylim(floor / 2, 3)
    plain_log_ticks(ax.xaxis, step=2)
    plain_log_ticks(ax.yaxis, step=3)
    ax.set_xlabel("step ε (log scale)")
    ax.set_ylabel("relative error vs autodiff (log)")
    ax.set_title(title, y=1.0)
    ax.legend(loc="upper center", fontsize=8)
    return fig


def finite_difference_explorer_update(log10_eps: int = -6, x0: float = 0.7,
                                      function: str = "x³ − 2x + 1/(1+x²)") -> Figure:
    """Lesson 01: how the finite-difference error depends on the step ε (truncation vs round-off)."""
    if function not in FINITE_DIFFERENCE_FUNCTIONS:
        raise ValueError(f"Unknown function {function!r}; choose one of {sorted(FINITE_DIFFERENCE_FUNCTIONS)}.")
    fn, domain_start = FINITE_DIFFERENCE_FUNCTIONS[function]
    epsilons = np.array([10.0**k for k in range(-13, 0)])
    if x0 - epsilons.max() <= domain_start:
        raise ValueError(
            f"{function} is defined only for x > {domain_start:g}, but the largest step reaches "
            f"x0 − ε = {x0 - epsilons.max():.3g}: move x0 above {domain_start + epsilons.max():.3g}."
        )
    errors = finite_difference_errors(fn, x0, epsilons)
    return plot_finite_difference_errors(epsilons, errors, 10.0**log10_eps,
                                         title=f"Finite differences of {function} at x0 = {x0:.3g}")


def finite_difference_explorer(**initial) -> Explorer:
    values = initial_values("finite_difference", initial)
    controls = {
        "log10_eps": int_slider("log₁₀ ε", values["log10_eps"], -13, -1),
        "x0": float_slider("x0", values["x0"], -2.0, 2.0, 0.1, ".1f"),
        "function": dropdown("function", list(FINITE_DIFFERENCE_FUNCTIONS), values["function"]),
    }
    return Explorer(finite_difference_explorer_update, controls, title="Finite-difference step explorer",
                    help_text="Too large a step: truncation error. Too small: round-off. Find the valley.")


register_explorer("finite_difference", finite_difference_explorer_update,
                  {"log10_eps": -6, "x0": 0.7, "function": "x³ − 2x + 1/(1+x²)"}, finite_difference_explorer)


# ---- lesson 03: the gradient-flow explorer ------------------------------------------------------------

from matplotlib.ticker import MaxNLocator  # noqa: E402

from . import nn, probes  # noqa: E402
from .plots import category_style  # noqa: E402

__all__ += [
    "GRADIENT_FLOW_ACTIVATIONS", "GRADIENT_FLOW_INITS", "gradient_flow", "gradient_decay_per_layer",
    "plot_gradient_flow", "gradient_flow_explorer_update", "gradient_flow_explorer",
]

GRADIENT_FLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity")
GRADIENT_FLOW_INITS = ("xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal",
                       "orthogonal", "normal", "uniform")
GRADIENT_FLOW_MAX_DEPTH = 100
_GRADIENT_FLOW_CLASSES = 10


def gradient_flow(depth: int = 20, activation: str = "sigmoid", init: str = "xavier_normal", gain: float = 1.0,
                  width: int = 32, batch: int = 64, seed: int = 0):
    """One forward and backward pass through a fresh deep MLP: its per-layer statistics.

    The network has `depth` hidden layers of `width` units (`activation`, weights from the scheme
    `init` of `mtl_edu.init` times `gain`; for "normal" and "uniform" the gain is the weight std or
    bound itself), a linear output layer with 10 classes, and sees `batch` standard-normal inputs
    with random labels under cross-entropy, so the gradient at the top is of ordinary size whatever
    the settings. Returns `mtl_edu.probes.LayerStats` for layers 1..depth+1 (depth + 1 = output).
    Raises ValueError, with a sentence for the learner, for settings that cannot be built.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= GRADIENT_FLOW_MAX_DEPTH:
        raise ValueError(f"The depth must be a whole number of hidden layers from 1 to {GRADIENT_FLOW_MAX_DEPTH}, "
                         f"got {depth!r}.")
    if activation not in GRADIENT_FLOW_ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {', '.join(GRADIENT_FLOW_ACTIVATIONS)}.")
    if init not in GRADIENT_FLOW_INITS:
        raise ValueError(f"Unknown initialisation {init!r}; choose one of {', '.join(GRADIENT_FLOW_INITS)}.")
    if isinstance(gain, bool) or not isinstance(gain, (int, float, np.floating)) or not np.isfinite(gain) or gain <= 0:
        raise ValueError(f"The weight gain must be a positive number, got {gain!r}: with gain 0 every weight is 0 "
                         "and no signal passes at all.")
    for name, value in (("width", width), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"The {name} must be a positive whole number, got {value!r}.")
    rng = np.random.default_rng(seed)
    model = nn.MLP([width] * (depth + 1) + [_GRADIENT_FLOW_CLASSES], activation=activation, init=init,
                   gain=float(gain), rng=rng)
    X = rng.standard_normal((batch, width))
    y = rng.integers(0, _GRADIENT_FLOW_CLASSES, size=batch)
    return probes.layer_statistics(model, X, y, loss="cross_entropy", bins=30)


def gradient_decay_per_layer(grad_norm: np.ndarray) -> float:
    """The geometric-mean factor by which ‖∂L/∂z_l‖ changes per layer on the way down.

    grad_norm: (L,) norms, layer 1 first, layer L the output layer. Returns
    (g_1 / g_L)^(1/(L−1)): below 1 the gradient vanishes toward the input, above 1 it explodes;
    NaN when either end is zero or not finite (or L = 1).
    """
    grad_norm = np.asarray(grad_norm, dtype=float)
    first, last = grad_norm[0], grad_norm[-1]
    if grad_norm.size < 2 or not (np.isfinite(first) and np.isfinite(last) and first > 0 and last > 0):
        return float("nan")
    return float(np.exp((np.log(first) - np.log(last)) / (grad_norm.size - 1)))


def _finite_positive(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _draw_layer_histograms(ax, pairs: list, layers: list) -> None:
    """Normalised histogram curves (Glorot & Bengio 2010, Figs. 6–7) for the 1-based `layers`."""
    for position, layer in enumerate(layers):
        counts, edges = pairs[layer - 1]
        counts = np.asarray(counts, dtype=float)
        total = counts.sum()
        if total == 0:
            continue
        density = counts / (total * np.diff(edges))
        centres = 0.5 * (edges[:-1] + edges[1:])
        style = category_style(position)
        ax.plot(centres, density, label=f"layer {layer}", markersize=3.5, markevery=max(1, centres.size // 8),
                linewidth=1.4, **style)


def plot_gradient_flow(stats, title: str) -> Figure:
    """Five panels from one `LayerStats`: gradient norm, activation spread and saturation per layer,
    and histograms of activations and of log10 |∂L/∂z_l| for a few layers spread through depth."""
    grad_norm = np.asarray(stats.grad_norm, dtype=float)
    n_layers = grad_norm.size
    hidden = max(n_layers - 1, 1)
    layer_numbers = np.arange(1, n_layers + 1)
    hidden_numbers = layer_numbers[:hidden]
    every = max(1, n_layers // 12)

    # Made by pyplot and closed at once, like `new_figure`: Jupyter then shows it when a cell returns it.
    fig = plt.figure(figsize=(10.4, 6.6), dpi=FIGURE_DPI)
    plt.close(fig)
    fig.subplots_adjust(left=0.07, right=0.985, bottom=0.08, top=0.89, wspace=0.9, hspace=0.42)
    grid = fig.add_gridspec(2, 6)
    ax_grad = fig.add_subplot(grid[0, 0:2])
    ax_std = fig.add_subplot(grid[0, 2:4])
    ax_sat = fig.add_subplot(grid[0, 4:6])
    ax_act_hist = fig.add_subplot(grid[1, 0:3])
    ax_grad_hist = fig.add_subplot(grid[1, 3:6])
    fig.suptitle(title, fontsize=11)

    shown = _finite_positive(grad_norm)
    ax_grad.plot(layer_numbers, shown, markersize=4, markevery=every, **category_style(0))
    _log_axis(ax_grad, shown)
    factor = gradient_decay_per_layer(grad_norm)
    factor_text = f"×{factor:.3g} per layer down" if np.isfinite(factor) else "no finite gradient at one end"
    ax_grad.set_title(f"Gradient reaching layer l ({factor_text})", fontsize=9.5, y=1.0)
    ax_grad.set_xlabel("layer l (1 = input side, last = output)")
    ax_grad.set_ylabel("‖∂L/∂z_l‖ (log scale)")
    missing = int(np.sum(np.isnan(shown)))
    if missing:
        ax_grad.text(0.02, 0.04, f"{missing} layer(s) with gradient 0 or inf/NaN not shown",
                     transform=ax_grad.transAxes, fontsize=7.5, color="0.35")

    std = _finite_positive(np.asarray(stats.activation_std, dtype=float)[:hidden])
    ax_std.plot(hidden_numbers, std, markersize=4, markevery=every, **category_style(1))
    _log_axis(ax_std, std)
    ax_std.set_title("Spread of the activations h_l", fontsize=9.5, y=1.0)
    ax_std.set_xlabel("hidden layer l")
    ax_std.set_ylabel("std of h_l (log scale)")

    saturated = np.asarray(stats.saturated_fraction, dtype=float)[:hidden]
    ax_sat.plot(hidden_numbers, saturated, markersize=4, markevery=every, **category_style(2))
    ax_sat.set_ylim(-0.03, 1.03)
    ax_sat.set_yticks([0.0, 0.5, 1.0])
    ax_sat.set_title("Saturated or dead units", fontsize=9.5, y=1.0)
    ax_sat.set_xlabel("hidden layer l")
    ax_sat.set_ylabel("fraction of units")
    ax_sat.text(0.02, 0.92, stats.saturation_rule, transform=ax_sat.transAxes, fontsize=7.5, color="0.35")

    chosen = _spread_layers(hidden, 4)
    _draw_layer_histograms(ax_act_hist, stats.activation_histograms, chosen)
    ax_act_hist.set_title("Activation values h_l in a few hidden layers", fontsize=9.5, y=1.0)
    ax_act_hist.set_xlabel("activation value")
    ax_act_hist.set_ylabel("density")
    _draw_layer_histograms(ax_grad_hist, stats.gradient_log10_histograms, chosen)
    ax_grad_hist.set_title("Back-propagated gradients in the same layers", fontsize=9.5, y=1.0)
    ax_grad_hist.set_xlabel("log10 |∂L/∂z_l| per entry")
    ax_grad_hist.set_ylabel("density")
    for ax in (ax_grad, ax_std, ax_sat, ax_act_hist, ax_grad_hist):
        # Few ticks: creating and drawing tick artists is most of an update's time.
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=ax in (ax_grad, ax_std, ax_sat)))
        if ax in (ax_act_hist, ax_grad_hist):
            ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=8)
    ax_act_hist.legend(fontsize=8, loc="best")
    return fig


def _log_axis(ax, values: np.ndarray, max_ticks: int = 5) -> None:
    """A log y axis with at most `max_ticks` plain-text decade labels and no minor ticks.

    Fixed ticks instead of a locator: a log axis spanning 60 decades would otherwise make dozens of
    tick artists, and drawing them is most of an update's time.
    """
    ax.set_yscale("log")
    ax.minorticks_off()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    low, high = int(np.floor(np.log10(finite.min()))), int(np.ceil(np.log10(finite.max())))
    if high == low:
        low, high = low - 1, high + 1
    stride = max(1, int(np.ceil((high - low) / (max_ticks - 1))))
    exponents = list(range(high, low - 1, -stride))[::-1]
    ax.set_ylim(10.0 ** (exponents[0] if exponents[0] <= low else low), 10.0 ** high)
    ax.set_yticks([10.0**e for e in exponents], [f"1e{e}" for e in exponents])


def _spread_layers(n_layers: int, wanted: int) -> list:
    """About `wanted` 1-based layer numbers from the first to the last, evenly spread."""
    if n_layers <= wanted:
        return list(range(1, n_layers + 1))
    return sorted({int(round(v)) for v in np.linspace(1, n_layers, wanted)})


def gradient_flow_explorer_update(depth: int = 20, activation: str = "sigmoid", init: str = "xavier_normal",
                                  gain: float = 1.0, width: int = 32, batch: int = 64, seed: int = 0) -> Figure:
    """Lesson 03: per-layer gradient norms, activation spread, saturation and histograms of a fresh net."""
    stats = gradient_flow(depth, activation, init, gain, width=width, batch=batch, seed=seed)
    return plot_gradient_flow(stats, title=f"{depth} hidden layers of {width} {activation} units, "
                                           f"{init} init × gain {gain:.3g}")


def gradient_flow_explorer(**initial) -> Explorer:
    """Depth, activation, initialisation and weight gain of a fresh deep network (width 32, batch 64)."""
    values = initial_values("gradient_flow", initial)
    controls = {
        "depth": int_slider("depth (hidden layers)", values["depth"], 1, GRADIENT_FLOW_MAX_DEPTH),
        "activation": dropdown("activation", list(GRADIENT_FLOW_ACTIVATIONS), values["activation"]),
        "init": dropdown("init", list(GRADIENT_FLOW_INITS), values["init"]),
        "gain": float_slider("weight gain", values["gain"], 0.05, 4.0, 0.05),
    }
    return Explorer(gradient_flow_explorer_update, controls, title="Gradient-flow explorer",
                    help_text="One forward and backward pass through a fresh network. The gain multiplies "
                              "every weight (for 'normal' and 'uniform' it is the weight std or bound itself).")


register_explorer("gradient_flow", gradient_flow_explorer_update,
                  {"depth": 20, "activation": "sigmoid", "init": "xavier_normal", "gain": 1.0},
                  gradient_flow_explorer)


# ---- lesson 04: exploding gradients and the remedies for both failures --------------------------------
# Imported here rather than at the top so that each lesson's section of this file reads on its own.

import functools  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from . import nn as _nn  # noqa: E402
from . import optim as _optim  # noqa: E402
from .datasets import make_moons as _make_moons  # noqa: E402
from .plots import category_style as _category_style  # noqa: E402
from .plots import plot_layer_gradient_norms as _plot_layer_gradient_norms  # noqa: E402
from .plots import plot_loss_curves as _plot_loss_curves  # noqa: E402
from .probes import gradient_norms_by_layer as _gradient_norms_by_layer  # noqa: E402
from .train import TrainingDiverged as _TrainingDiverged  # noqa: E402
from .train import fit as _fit  # noqa: E402

__all__ += [
    "FixItRun", "FIX_IT_ACTIVATIONS", "FIX_IT_INITS", "FIX_IT_CLIPPING", "FIX_IT_BROKEN", "FIX_IT_SETTINGS",
    "fix_it_data", "fix_it_run", "plot_fix_it", "fix_it_explorer_update", "fix_it_explorer",
    "plot_matrix_product_norms", "plot_clipping_2d", "plot_second_moments", "plot_activation_derivatives",
]

# Everything the fix-it runs share: small enough to train live (about 0.1 s a run), deep enough to fail.
FIX_IT_SETTINGS = {
    "n_points": 128,  # two-moons training set, full batch
    "width": 32,  # units per hidden layer
    "steps": 60,
    "lr": 0.05,  # SGD with momentum 0.9
    "momentum": 0.9,
    "clip_norm": 1.0,
    "clip_value": 0.1,
    "max_depth": 60,
}
FIX_IT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
FIX_IT_INITS = {"normal": "N(0, 1)", "xavier_normal": "Xavier", "he_normal": "He"}
FIX_IT_CLIPPING = {"none": "none", "norm": "by norm (≤ 1)", "value": "by value (≤ 0.1)"}
# The two reference nets every fix-it figure draws: one whose gradients vanish, one whose explode.
FIX_IT_BROKEN = {
    "broken: sigmoid + Xavier (vanishes when deep)": {"activation": "sigmoid", "init": "xavier_normal"},
    "broken: ReLU + N(0, 1) (explodes when deep)": {"activation": "relu", "init": "normal"},
}
_LOSS_CEILING = 1e2  # the loss axis reaches at least this high; a blow-up beyond it is drawn at the top edge


@dataclass(frozen=True)
class FixItRun:
    """One fix-it configuration, trained.

    grad_norms: (L,) ‖∂L/∂z_l‖ at initialisation, layer 1 next to the input, the output layer last.
    losses: (S,) training loss at each step; when the run diverged, the last entry is the inf/NaN
        loss of the step where it stopped. diverged_at: that step, or None.
    """

    grad_norms: np.ndarray
    losses: np.ndarray
    diverged_at: int | None


@functools.lru_cache(maxsize=4)
def fix_it_data(seed: int = 0) -> tuple:
    """The fix-it training set: X (n, 2), y (n,) two moons (noise 0.1), read-only arrays."""
    X, y = _make_moons(FIX_IT_SETTINGS["n_points"], noise=0.1, rng=np.random.default_rng(seed))
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _check_fix_it_settings(depth, activation, init, clipping) -> int:
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise ValueError(f"The depth must be a whole number of hidden layers, got {depth!r}.")
    if not 1 <= depth <= FIX_IT_SETTINGS["max_depth"]:
        raise ValueError(f"The depth must be between 1 and {FIX_IT_SETTINGS['max_depth']} hidden layers "
                         f"(each setting trains a net live), got {depth}.")
    if activation not in FIX_IT_ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {list(FIX_IT_ACTIVATIONS)}.")
    if init not in FIX_IT_INITS:
        raise ValueError(f"Unknown init {init!r}; choose one of {list(FIX_IT_INITS)}.")
    if clipping not in FIX_IT_CLIPPING:
        raise ValueError(f"Unknown clipping {clipping!r}; choose one of {list(FIX_IT_CLIPPING)}.")
    return int(depth)


def fix_it_run(depth: int, activation: str, init: str, residual: bool = False, layernorm: bool = False,
               clipping: str = "none") -> FixItRun:
    """Build an MLP [2, width × depth, 2] with these remedies, measure, train; see `FixItRun`.

    activation: one of FIX_IT_ACTIVATIONS; init: a key of FIX_IT_INITS ("normal" is N(0, 1) whatever
    the layer size); residual: identity shortcuts h_l = h_{l−1} + act(z_l) (He et al. 2016, CVPR);
    layernorm: LayerNorm on every hidden z_l (Ba, Kiros & Hinton 2016); clipping: "none", "norm"
    (clip_grad_norm, Pascanu, Mikolov & Bengio 2013, ICML) or "value" (clip_grad_value).
    Training: full-batch SGD with momentum on `fix_it_data()`, cross-entropy, FIX_IT_SETTINGS.
    Deterministic (fixed seeds), so results are cached: the explorer redraws a setting it has seen at once.
    """
    depth = _check_fix_it_settings(depth, activation, init, clipping)
    return _fix_it_run_cached(depth, activation, init, bool(residual), bool(layernorm), clipping)


@functools.lru_cache(maxsize=512)
def _fix_it_run_cached(depth, activation, init, residual, layernorm, clipping) -> FixItRun:
    settings = FIX_IT_SETTINGS
    X, y = fix_it_data()
    net = _nn.MLP([2] + [settings["width"]] * depth + [2], activation=activation, init=init,
                  rng=np.random.default_rng(1), residual=residual, norm="layernorm" if layernorm else None)
    grad_norms = _gradient_norms_by_layer(net, X, y, loss="cross_entropy")
    optimizer = _optim.SGD(net.parameters(), lr=settings["lr"], momentum=settings["momentum"])
    clip = {"none": {}, "norm": {"clip_norm": settings["clip_norm"]},
            "value": {"clip_value": settings["clip_value"]}}[clipping]
    try:
        history = _fit(net, X, y, loss="cross_entropy", optimizer=optimizer, steps=settings["steps"],
                       progress=False, **clip)
        losses, diverged_at = np.asarray(history.loss, dtype=float), None
    except _TrainingDiverged as error:
        losses = list(error.history.loss)
        if not error.history.steps or error.history.steps[-1] != error.step:
            losses.append(error.loss)  # end on the non-finite loss, recorded or not
        losses, diverged_at = np.asarray(losses, dtype=float), error.step
    grad_norms.setflags(write=False)
    losses.setflags(write=False)
    return FixItRun(grad_norms=grad_norms, losses=losses, diverged_at=diverged_at)


def _two_panel_figure(figsize: tuple):
    """A figure with two side-by-side axes and fixed margins (see `new_figure`)."""
    return new_figure(figsize, ncols=2, margins=(0.075, 0.985, 0.15, 0.88))


def plot_fix_it(runs: Mapping[str, FixItRun], title: str) -> Figure:
    """Left: gradient norm per layer at initialisation (log); right: training loss per step (log).

    runs: {label: FixItRun}. The loss axis reaches up to the largest loss of the runs that finished
    (at least 100); a diverged run is drawn at the top edge when it leaves the axis and ends in ✕.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("plot_fix_it: runs must be a non-empty dict label -> FixItRun")
    fig, (left, right) = new_figure((10.5, 4.3), ncols=2, margins=(0.075, 0.985, 0.23, 0.86))
    _plot_layer_gradient_norms({label: run.grad_norms for label, run in runs.items()}, ax=left,
                               title="Gradient reaching each layer, at initialisation")
    finished = [run.losses for run in runs.values() if run.diverged_at is None]
    ceiling = max([_LOSS_CEILING] + [float(np.max(losses)) for losses in finished if losses.size])
    ceiling = min(ceiling, 1e10)
    capped = {}
    for label, run in runs.items():
        losses = np.array(run.losses)
        finite = np.isfinite(losses)
        losses[finite] = np.minimum(losses[finite], ceiling)
        capped[label] = losses
    _plot_loss_curves(capped, ax=right, title=f"Training loss ({FIX_IT_SETTINGS['steps']} steps of SGD + momentum)",
                      xlabel=f"training step  (losses above {ceiling:.3g} drawn at the top edge)")
    right.set_ylim(top=ceiling * 1.6)
    for ax in (left, right):
        bottom, top = ax.get_ylim()
        decades = np.log10(top / bottom) if bottom > 0 else 12.0
        step = max(1, int(np.ceil(decades / 6)))  # at most about 6 labelled decades
        plain_log_ticks(ax.yaxis, step=step)
        # A tick (and grid line) only where there is a label: every tick costs redraw time.
        ax.yaxis.set_major_locator(LogLocator(base=10.0 ** step, numticks=12))
        ax.set_title(ax.get_title(), y=1.0)  # a fixed title height: nothing to measure on each redraw
    handles, labels = right.get_legend_handles_labels()
    for ax in (left, right):
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncols=min(3, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10.5)
    return fig


def _describe_fix_it(depth, activation, init, residual, layernorm, clipping) -> str:
    parts = [activation, f"{FIX_IT_INITS[init]} init"]
    if residual:
        parts.append("residual")
    if layernorm:
        parts.append("LayerNorm")
    if clipping != "none":
        parts.append(f"clipping {FIX_IT_CLIPPING[clipping]}")
    layers = "1 hidden layer" if depth == 1 else f"{depth} hidden layers"
    return f"your net: {', '.join(parts)}  ({layers} of {FIX_IT_SETTINGS['width']} units)"


def fix_it_explorer_update(depth: int = 16, activation: str = "relu", init: str = "he_normal",
                           residual: bool = False, layernorm: bool = False, clipping: str = "none",
                           progress=None) -> Figure:
    """Lesson 04: your net against the two broken nets, per-layer gradient norms and training loss.

    progress: optional callable(done, total), told after each of the three runs (a new setting trains live).
    """
    depth = _check_fix_it_settings(depth, activation, init, clipping)
    configs = dict(FIX_IT_BROKEN)
    configs["your net"] = {"activation": activation, "init": init, "residual": residual,
                           "layernorm": layernorm, "clipping": clipping}
    runs = {}
    for done, (label, config) in enumerate(configs.items(), start=1):
        runs[label] = fix_it_run(depth, **config)
        if progress is not None:
            progress(done, len(configs))
    return plot_fix_it(runs, _describe_fix_it(depth, activation, init, residual, layernorm, clipping))


def fix_it_explorer(**initial) -> Explorer:
    """Depth, activation, init, residual connections, LayerNorm and clipping against the two broken nets."""
    values = initial_values("fix_it", initial)
    controls = {
        "depth": int_slider("hidden layers", values["depth"], 1, 30),
        "activation": dropdown("activation", list(FIX_IT_ACTIVATIONS), values["activation"]),
        "init": dropdown("init", [(label, key) for key, label in FIX_IT_INITS.items()], values["init"]),
        "residual": widgets.Checkbox(value=bool(values["residual"]), description="residual connections",
                                     indent=False),
        "layernorm": widgets.Checkbox(value=bool(values["layernorm"]), description="LayerNorm", indent=False),
        "clipping": dropdown("gradient clipping", [(label, key) for key, label in FIX_IT_CLIPPING.items()],
                             values["clipping"]),
    }
    return Explorer(fix_it_explorer_update, controls, title="Fix-it explorer: repair the broken nets",
                    help_text="Left: the gradient reaching each layer before training (flat is healthy). "
                              "Right: the training loss. Clipping changes only the updates, so only the "
                              "right panel can move when you switch it.",
                    reports_progress=True)


register_explorer("fix_it", fix_it_explorer_update,
                  {"depth": 16, "activation": "relu", "init": "he_normal", "residual": False,
                   "layernorm": False, "clipping": "none"}, fix_it_explorer)


# Lesson 04's static figures: plain data in, a Figure out.

def plot_matrix_product_norms(norms_by_scale: Mapping[float, np.ndarray], scale_grid: np.ndarray,
                              final_norms: np.ndarray, n: int) -> Figure:
    """Left: ‖W_k ⋯ W_1 v‖ against k for each scale s (log), with the s^k guide lines.
    Right: the norm after K = len(norms) products against s (log), with s^K.

    norms_by_scale: {s: (K,) norms}; scale_grid: (m,) scales; final_norms: (m,) norms after K products.
    """
    fig, (left, right) = _two_panel_figure((10.5, 3.8))
    for index, (scale, norms) in enumerate(norms_by_scale.items()):
        norms = np.asarray(norms, dtype=float)
        k = np.arange(1, norms.size + 1)
        style = _category_style(index)
        left.plot(k, norms, label=f"s = {scale:g}", markevery=max(1, norms.size // 10), markersize=4, **style)
        left.plot(k, float(scale) ** k, color=style["color"], linestyle=":", linewidth=1)
    left.set_yscale("log")
    left.set_xlabel("number of matrices multiplied, k")
    left.set_ylabel("‖W_k ⋯ W_1 v‖ (log scale)")
    left.set_title(f"Products of random {n}×{n} matrices (dotted: s^k)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8, loc="upper left")
    n_products = len(next(iter(norms_by_scale.values())))
    right.plot(scale_grid, final_norms, marker="o", markersize=4, color="tab:blue", linestyle="-",
               label="measured")
    right.plot(scale_grid, np.asarray(scale_grid, dtype=float) ** n_products, color="0.3", linestyle="--",
               label=f"s^{n_products}")
    right.axvline(1.0, color="0.5", linestyle=":", linewidth=1)
    right.set_yscale("log")
    right.set_xlabel("weight scale s (entries drawn from N(0, s²/n))")
    right.set_ylabel(f"norm after {n_products} matrices (log scale)")
    right.set_title(f"After {n_products} matrices: only s ≈ 1 survives")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="upper left")
    return fig


def plot_clipping_2d(gradient: np.ndarray, by_norm: np.ndarray, by_value: np.ndarray, threshold: float) -> Figure:
    """A 2-D gradient and its two clipped versions as arrows, with the norm ball and the value box.

    gradient, by_norm, by_value: (2,) vectors; threshold: the max_norm and clip_value used for both.
    """
    fig, ax = new_figure((5.6, 4.4), margins=(0.12, 0.97, 0.12, 0.9))
    angles = np.linspace(0, 2 * np.pi, 200)
    ax.plot(threshold * np.cos(angles), threshold * np.sin(angles), color="tab:orange", linestyle="--",
            linewidth=1.2, label=f"‖g‖ = {threshold:g} (norm limit)")
    t = threshold
    ax.plot([-t, t, t, -t, -t], [-t, -t, t, t, -t], color="tab:green", linestyle=":", linewidth=1.5,
            label=f"|g_i| = {threshold:g} (value limit)")
    arrows = (
        (gradient, "tab:blue", "-", "gradient g"),
        (by_norm, "tab:orange", "--", "clipped by norm"),
        (by_value, "tab:green", ":", "clipped by value"),
    )
    for vector, colour, linestyle, label in arrows:
        degrees = np.degrees(np.arctan2(vector[1], vector[0]))
        ax.annotate("", xy=(vector[0], vector[1]), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, linestyle=linestyle, linewidth=2,
                                    mutation_scale=16))
        ax.plot([], [], color=colour, linestyle=linestyle, linewidth=2,
                label=f"{label}: ({vector[0]:.2f}, {vector[1]:.2f}), angle {degrees:.0f}°")
    limit = 1.15 * max(np.max(np.abs(gradient)), threshold)
    ax.set_xlim(-0.3 * limit, limit)
    ax.set_ylim(-0.3 * limit, 0.75 * limit)
    ax.set_aspect("equal")
    ax.set_xlabel("g₁ (first gradient entry)")
    ax.set_ylabel("g₂ (second entry)")
    ax.set_title("Clipping by norm keeps the direction; by value turns it")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper right")
    return fig


def plot_second_moments(moments: Mapping[str, Mapping[str, np.ndarray]], theory: Mapping[str, Mapping[str, np.ndarray]] | None = None) -> Figure:
    """One panel per activation: the second moment E[z_l²] of each layer's pre-activation (log), one line
    per init; `theory` adds dashed predicted lines.

    moments: {activation: {init label: (L,) values}}; theory: {activation: {label: (L,) values}}.
    """
    fig, axes = _two_panel_figure((10.5, 3.8)) if len(moments) == 2 else (None, None)
    if fig is None:
        raise ValueError(f"plot_second_moments: expected two activations, got {list(moments)}")
    for ax, (activation, by_init) in zip(axes, moments.items()):
        _plot_layer_gradient_norms(by_init, ax=ax, title=f"{activation}: second moment through depth",
                                   ylabel="E[z_l²] (log scale)")
        for label, values in (theory or {}).get(activation, {}).items():
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(1, values.size + 1), values, color="0.25", linestyle=(0, (4, 2)), linewidth=1.2,
                    label=label)
        ax.legend(fontsize=7.5, loc="lower left", framealpha=0.9)
    return fig


def plot_activation_derivatives(z: np.ndarray, curves: Mapping[str, tuple]) -> Figure:
    """Left: each activation f(z); right: its derivative f'(z) (from autodiff).

    z: (n,) inputs; curves: {name: (f(z) (n,), f'(z) (n,))}.
    """
    fig, (left, right) = _two_panel_figure((10.5, 3.6))
    for index, (name, (values, slopes)) in enumerate(curves.items()):
        style = _category_style(index)
        every = max(1, len(z) // 12)
        left.plot(z, values, label=name, markevery=every, markersize=4, **style)
        right.plot(z, slopes, label=name, markevery=every, markersize=4, **style)
    right.axhline(1.0, color="0.5", linestyle=":", linewidth=1)
    right.axhline(0.25, color="0.5", linestyle=":", linewidth=1)
    right.text(z[0], 0.27, "1/4", fontsize=7, color="0.35")
    left.set_ylim(-1.5, 4.2)
    for ax, what in ((left, "f(z)"), (right, "f'(z)")):
        ax.set_xlabel("pre-activation z")
        ax.set_ylabel(what)
        ax.grid(True, alpha=0.3)
        ax.axhline(0.0, color="0.6", linewidth=0.8)
    left.set_title("Activations")
    right.set_title("Their derivatives: the factor each unit puts on the gradient")
    left.legend(fontsize=8, loc="upper left")
    return fig


# ---- lesson 02: a small network learns a 2-D boundary -----------------------------------------------

from dataclasses import dataclass  # noqa: E402

from . import datasets as _datasets  # noqa: E402
from . import functional as _functional  # noqa: E402
from . import nn as _nn  # noqa: E402
from . import train as _train  # noqa: E402
from matplotlib import colormaps as _colormaps  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator  # noqa: E402

__all__ += [
    "TOY_DATASETS", "toy_split", "BoundaryRun", "train_and_map", "decision_boundary_run", "draw_boundary",
    "plot_boundary_and_losses", "plot_boundary_panels", "decision_boundary_explorer_update",
    "decision_boundary_explorer", "INIT_EXPERIMENT", "INIT_SCHEMES", "initialisation_data",
    "initialisation_experiment",
]

_CIVIDIS = _colormaps["cividis"]

# name -> function(n, rng) -> (X, y); noise levels chosen so each set overlaps a little at its edges.
TOY_DATASETS: dict = {
    "moons": lambda n, rng: _datasets.make_moons(n, noise=0.2, rng=rng),
    "circles": lambda n, rng: _datasets.make_circles(n, noise=0.08, rng=rng),
    "spirals": lambda n, rng: _datasets.make_spirals(n, noise=0.05, rng=rng, turns=1.25),
}


def toy_split(dataset: str, n_points: int = 200, test_fraction: float = 0.3, seed: int = 0) -> tuple:
    """(X_train, y_train, X_test, y_test) of a 2-D toy set from `TOY_DATASETS`; X: (n, 2), y: (n,) in {0, 1}.

    The points come from `default_rng(seed)` and the split from `default_rng(seed + 1)`, so a name and
    a seed always give the same data.
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {list(TOY_DATASETS)}.")
    X, y = TOY_DATASETS[dataset](n_points, np.random.default_rng(seed))
    split = _datasets.train_test_split(X, y, test_fraction=test_fraction, rng=np.random.default_rng(seed + 1))
    (X_train, y_train), (X_test, y_test) = split.train, split.test
    return X_train, y_train, X_test, y_test


@dataclass
class BoundaryRun:
    """One training run of a binary classifier on 2-D data, and what it learned.

    X_train (n, 2), y_train (n,), X_test (m, 2), y_test (m,): the data.
    grid_x, grid_y: (H, W) grid coordinates; probability: (H, W) predicted P(class 1) on the grid
        after training (None if training diverged).
    steps: (S,) recorded steps; train_loss, test_loss: (S,) binary cross-entropy at those steps (the
        last entry is the trained model, at step = number of steps; inf or NaN where training diverged).
    train_accuracy, test_accuracy: fractions in [0, 1] of the trained model (NaN if it diverged).
    diverged_at: the step where the loss became inf/NaN, else None.
    initial_output: mean |logit| over the training points before the first step.
    dead_units: hidden units of a plain-ReLU network whose pre-activation is ≤ 0 on every training
        point after training (they pass no signal and get no gradient); 0 for other activations.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    probability: np.ndarray | None
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: float
    test_accuracy: float
    diverged_at: int | None
    initial_output: float
    dead_units: int


def _grid_around(X: np.ndarray, resolution: int, margin: float = 0.4) -> tuple:
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    return grid_x, grid_y, np.column_stack([grid_x.ravel(), grid_y.ravel()])


def _count_dead_units(model, X: np.ndarray) -> int:
    if type(getattr(model, "activation", None)) is not _nn.ReLU:
        return 0  # only a plain ReLU has a zero gradient on its whole negative side
    trace = model.forward_trace(X)
    return int(sum(np.all(z.data <= 0, axis=0).sum() for z in trace.pre_activations[:-1]))


def train_and_map(model, X_train, y_train, X_test, y_test, lr: float, steps: int, optimizer: str = "sgd",
                  resolution: int = 120, progress=None) -> BoundaryRun:
    """Train `model` (2 inputs → 1 logit) with full-batch `optimizer` on the binary cross-entropy,
    record train and test loss about 100 times, and map P(class 1) on a `resolution`² grid.

    A run whose loss becomes inf/NaN stops there; the BoundaryRun then has `diverged_at` set and
    no probability map. progress: None or callable(done, total), called at each recorded step.
    """
    record_every = max(1, steps // 100)
    # fit calls its probes at every recorded step: a convenient hook to move the progress bar.
    probes = {} if progress is None else {"progress": lambda _model, _X, _y, step: progress(step, steps)}
    with no_grad():
        initial_output = float(np.mean(np.abs(model(X_train).data)))
    diverged_at = None
    try:
        history = _train.fit(model, X_train, y_train, loss="bce", optimizer=optimizer, lr=lr, steps=steps,
                             record_every=record_every, eval_data=(X_test, y_test), probes=probes, progress=False)
    except _train.TrainingDiverged as error:
        history, diverged_at = error.history, error.step
    # A diverged run may stop between recording its test loss and its train loss: keep complete records.
    recorded = min(len(history.steps), len(history.loss), len(history.metrics.get("eval_loss", [])))
    step_list, train_loss = list(history.steps[:recorded]), list(history.loss[:recorded])
    test_loss = list(history.metrics.get("eval_loss", [])[:recorded])
    grid_x, grid_y, points = _grid_around(np.vstack([X_train, X_test]), resolution)
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        if diverged_at is None:
            train_logits, test_logits = model(X_train), model(X_test)
            final = [float(_functional.binary_cross_entropy_with_logits(logits, y[:, None].astype(float)).data)
                     for logits, y in ((train_logits, y_train), (test_logits, y_test))]
            train_accuracy = _train.accuracy(train_logits.data, y_train)
            test_accuracy = _train.accuracy(test_logits.data, y_test)
            probability = model(points).sigmoid().data.reshape(grid_x.shape)
            dead_units = _count_dead_units(model, X_train)
            end_step = steps
        else:
            final, end_step = [np.inf, np.inf], diverged_at
            train_accuracy = test_accuracy = float("nan")
            probability, dead_units = None, 0
    if not (step_list and step_list[-1] == end_step):  # the end of the run, unless already recorded
        step_list, train_loss, test_loss = step_list + [end_step], train_loss + [final[0]], test_loss + [final[1]]
    return BoundaryRun(
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test, grid_x=grid_x, grid_y=grid_y,
        probability=probability, steps=np.array(step_list, dtype=float),
        train_loss=np.array(train_loss, dtype=float), test_loss=np.array(test_loss, dtype=float),
        train_accuracy=train_accuracy, test_accuracy=test_accuracy, diverged_at=diverged_at,
        initial_output=initial_output, dead_units=dead_units,
    )


def _check_int(value, name: str, low: int, high: int, advice: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}. {advice}".strip())
    return int(value)


def decision_boundary_run(dataset: str = "moons", depth: int = 2, width: int = 16, activation: str = "tanh",
                          optimizer: str = "sgd", lr: float = 0.5, steps: int = 300, seed: int = 0,
                          progress=None) -> BoundaryRun:
    """Train an MLP [2, width × depth, 1] on a toy set from `TOY_DATASETS` (200 points, 30% held out).

    ReLU-family activations get He init, the others Xavier (Glorot) init. Settings that cannot work
    raise ValueError with a message for the learner.
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {list(TOY_DATASETS)}.")
    depth = _check_int(depth, "depth (the number of hidden layers)", 1, 10,
                       "With 0 hidden layers the model is one Linear layer: a straight-line boundary.")
    width = _check_int(width, "width (units per hidden layer)", 1, 128)
    steps = _check_int(steps, "steps", 1, 5000)
    if activation not in _nn.ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {list(_nn.ACTIVATIONS)}.")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}.")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or not 0 < lr <= 100:
        raise ValueError(f"The learning rate must be a number above 0 (and at most 100), got {lr!r}: "
                         "it is the size of each step downhill, so 0 never moves and a negative value climbs.")
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    model = _nn.MLP([2] + [width] * depth + [1], activation=activation, init=init, rng=seed)
    X_train, y_train, X_test, y_test = toy_split(dataset, seed=seed)
    return train_and_map(model, X_train, y_train, X_test, y_test, lr=float(lr), steps=steps,
                         optimizer=optimizer, progress=progress)


def draw_boundary(ax, run: BoundaryRun, title: str) -> None:
    """P(class 1) as shading in bands of 0.1 with the 0.5 contour; training points filled, test points hollow."""
    extent = (run.grid_x[0, 0], run.grid_x[0, -1], run.grid_y[0, 0], run.grid_y[-1, 0])
    if run.probability is not None:
        # Ten flat bands of probability, like a filled contour plot but one RGB image, lightened
        # halfway to white so the points stay visible: cheap to draw and to compress as PNG.
        bands = (np.floor(np.clip(run.probability, 0.0, 0.999999) * 10) + 0.5) / 10
        ax.imshow(0.5 + 0.5 * _CIVIDIS(bands)[..., :3], origin="lower", extent=extent, aspect="auto",
                  interpolation="nearest")
        if run.probability.min() < 0.5 < run.probability.max():
            ax.contour(run.grid_x, run.grid_y, run.probability, levels=[0.5], colors="black", linewidths=1.5)
    else:
        ax.text(0.5, 0.5, f"training diverged at step {run.diverged_at}:\nthe loss overflowed, so there is "
                          "no boundary.\nLower the learning rate.",
                transform=ax.transAxes, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="tab:red"))
    for label, marker, colour in ((0, "o", "tab:blue"), (1, "s", "tab:orange")):
        train, test = run.y_train == label, run.y_test == label
        # Line2D markers rather than scatter: the same look, drawn in about half the time.
        ax.plot(run.X_train[train, 0], run.X_train[train, 1], linestyle="none", marker=marker, markersize=4,
                color=colour, markeredgecolor="black", markeredgewidth=0.4, label=f"class {label}, train")
        ax.plot(run.X_test[test, 0], run.X_test[test, 1], linestyle="none", marker=marker, markersize=4.5,
                markerfacecolor="white", markeredgecolor=colour, markeredgewidth=1.3, label=f"class {label}, test")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))  # fewer labels to draw
    ax.set_xlabel("x₁ (input feature 1)")
    ax.set_ylabel("x₂ (input feature 2)")
    ax.set_title(title, y=1.0, fontsize=10)


def _accuracy_text(run: BoundaryRun) -> str:
    if run.diverged_at is not None:
        return f"diverged at step {run.diverged_at}"
    return f"train acc {run.train_accuracy:.0%}, test acc {run.test_accuracy:.0%}"


def _loss_ticks(axis, values: np.ndarray) -> None:
    """Ticks for a log loss axis showing `values`. A loss often spans less than a decade, where decade
    labels alone would leave the axis unlabelled: then label 1, 2 and 5 × each power of ten as plain
    numbers ("0.02"). A run that blew up spans hundreds of decades: then label about six of them."""
    shown = values[np.isfinite(values) & (values > 0)]
    decades = np.log10(shown.max() / shown.min()) if shown.size else 0.0
    if decades <= 3:
        axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0), numticks=12))
        axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:.3g}"))
    else:
        low, high = int(np.floor(np.log10(shown.min()))), int(np.ceil(np.log10(shown.max())))
        stride = max(1, int(np.ceil((high - low) / 6)))
        axis.set_major_locator(FixedLocator([10.0**k for k in range(low, high + 1, stride)]))
        axis.set_major_formatter(FuncFormatter(
            lambda value, _position: "10" + str(int(round(np.log10(value)))).translate(_SUPERSCRIPTS)))
    axis.set_minor_locator(NullLocator())


def _draw_losses(ax, curves: dict, steps_by_curve: dict, title: str) -> None:
    """Loss curves on a log axis; a diverged curve ends in an ✕ at its last finite value."""
    for index, (label, values) in enumerate(curves.items()):
        x, finite = steps_by_curve[label], np.isfinite(curves[label])
        colour, linestyle = ("tab:blue", "tab:orange", "tab:green", "tab:red")[index % 4], ("-", "--", "-.", ":")[index % 4]
        ax.plot(x[finite], values[finite], color=colour, linestyle=linestyle, linewidth=1.8, label=label)
        if not finite.all() and finite.any():
            last = np.flatnonzero(finite)[-1]
            ax.plot(x[last], values[last], marker="X", markersize=10, color=colour, markeredgecolor="black")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_yscale("log")
    all_values = np.concatenate([np.asarray(v, dtype=float) for v in curves.values()])
    _loss_ticks(ax.yaxis, all_values)
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy loss (log scale)")
    ax.set_title(title, y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    blew_up = not np.isfinite(all_values).all()  # its ✕ sits top right, so keep the legend clear of it
    ax.legend(fontsize=8, loc="lower right" if blew_up else "upper right")


def _points_legend(fig, ax) -> None:
    """The four point styles in one row under the panels, where they hide no data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))


def plot_boundary_and_losses(run: BoundaryRun, title: str) -> Figure:
    """Left: the decision boundary with train (filled) and test (hollow) points; right: train and test loss."""
    fig, (left, right) = new_figure((10.0, 4.4), ncols=2, margins=(0.07, 0.98, 0.2, 0.86))
    fig.suptitle(title, fontsize=11, y=0.97)
    draw_boundary(left, run, f"shading: predicted P(class 1); {_accuracy_text(run)}")
    _points_legend(fig, left)
    _draw_losses(right, {"train": run.train_loss, "test": run.test_loss},
                 {"train": run.steps, "test": run.steps}, "Loss on training and held-out test points")
    return fig


def plot_boundary_panels(runs: dict, title: str) -> Figure:
    """One decision-boundary panel per run (label -> BoundaryRun), side by side."""
    fig, axes = new_figure((3.6 * len(runs), 4.4), ncols=len(runs), margins=(0.06, 0.99, 0.2, 0.83))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.97)
    for ax, (label, run) in zip(axes, runs.items()):
        draw_boundary(ax, run, f"{label}\n{_accuracy_text(run)}")
    _points_legend(fig, axes[0])
    return fig


def decision_boundary_explorer_update(dataset: str = "moons", depth: int = 2, width: int = 16,
                                      activation: str = "tanh", optimizer: str = "sgd", lr: float = 0.5,
                                      steps: int = 300, progress=None) -> Figure:
    """Lesson 02: train an MLP on a 2-D toy set; its decision boundary and train/test loss curves."""
    run = decision_boundary_run(dataset, depth, width, activation, optimizer, lr, steps, progress=progress)
    return plot_boundary_and_losses(
        run, f"{dataset}: {depth} hidden layer{'s' if depth > 1 else ''} × {width} {activation} units, "
             f"{optimizer} lr = {lr:.3g}, {steps} steps")


DECISION_BOUNDARY_DEFAULTS = {"dataset": "moons", "depth": 2, "width": 16, "activation": "tanh",
                              "optimizer": "sgd", "lr": 0.5, "steps": 300}


def decision_boundary_explorer(**initial) -> Explorer:
    """Dataset, depth, width, activation, optimizer, learning rate and steps → boundary and loss curves."""
    values = initial_values("decision_boundary", initial)
    controls = {
        "dataset": dropdown("dataset", list(TOY_DATASETS), values["dataset"]),
        "depth": int_slider("hidden layers", values["depth"], 1, 6),
        "width": int_slider("units per layer", values["width"], 1, 64),
        "activation": dropdown("activation", list(_nn.ACTIVATIONS), values["activation"]),
        "optimizer": dropdown("optimizer", ["sgd", "adam"], values["optimizer"]),
        "lr": widgets.FloatLogSlider(value=values["lr"], base=10, min=-3, max=1, step=0.1, description="learning rate",
                                     readout_format=".3g", continuous_update=False, style=_control_style()),
        "steps": int_slider("steps", values["steps"], 50, 2000, 50),
    }
    return Explorer(decision_boundary_explorer_update, controls, title="Decision boundary and loss explorer",
                    help_text="Filled points train the network, hollow points test it. ReLU-family "
                              "activations start from He init, the others from Xavier init.",
                    reports_progress=True)


register_explorer("decision_boundary", decision_boundary_explorer_update, DECISION_BOUNDARY_DEFAULTS,
                  decision_boundary_explorer)


# The initialisation experiment of deeplearning.ai's "Improving Deep Neural Networks" course (week 1):
# two circles (sklearn's make_circles(300, noise=0.05), inner radius 0.8), a [2, 10, 5, 1] ReLU net with
# a sigmoid output and cross-entropy, full-batch gradient descent. tests/test_literature_init.py asserts
# the same runs, so the lesson's table and the tests agree.
INIT_EXPERIMENT = {"n_points": 300, "noise": 0.05, "factor": 0.8, "data_seed": 1, "sizes": [2, 10, 5, 1],
                   "activation": "relu", "optimizer": "sgd", "lr": 0.1, "steps": 2000, "model_seed": 0}
# label -> (init scheme, gain)
INIT_SCHEMES = {"zeros": ("zeros", 1.0), "N(0, 1) × 10": ("normal", 10.0), "He": ("he_normal", 1.0)}


def initialisation_data(**settings) -> tuple:
    """(X_train, y_train, X_test, y_test) of the initialisation experiment: `n_points` training points
    drawn with seed `data_seed`, and a fresh test set a third that size drawn with seed `data_seed + 1`."""
    config = _init_config(settings)
    train_set, test_set = (
        _datasets.make_circles(n, noise=config["noise"], factor=config["factor"], rng=seed)
        for n, seed in ((config["n_points"], config["data_seed"]), (config["n_points"] // 3, config["data_seed"] + 1))
    )
    return train_set + test_set


def _init_config(settings: dict) -> dict:
    unknown = sorted(set(settings) - set(INIT_EXPERIMENT))
    if unknown:
        raise TypeError(f"initialisation experiment: no setting named {unknown}; settings are {sorted(INIT_EXPERIMENT)}")
    return {**INIT_EXPERIMENT, **settings}


def initialisation_experiment(schemes: dict | None = None, **settings) -> dict:
    """Train the INIT_EXPERIMENT network once per init scheme (label -> (init, gain)); label -> BoundaryRun.

    Every scheme sees the same data and the same weight seed; `settings` override entries of
    INIT_EXPERIMENT (e.g. lr=0.3, steps=500).
    """
    config = _init_config(settings)
    data = initialisation_data(**settings)
    runs = {}
    for label, (init, gain) in (INIT_SCHEMES if schemes is None else schemes).items():
        model = _nn.MLP(config["sizes"], activation=config["activation"], init=init, gain=gain,
                        rng=config["model_seed"])
        runs[label] = train_and_map(model, *data, lr=config["lr"], steps=config["steps"],
                                    optimizer=config["optimizer"])
    return runs


