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


# ---- lesson 06: task weights, the trade-off they trace, and loss scales -------------------------------
# Imported here rather than at the top so that each lesson's section of this file reads on its own.

import functools  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import NamedTuple  # noqa: E402

from matplotlib.ticker import MaxNLocator  # noqa: E402

from . import datasets as _datasets  # noqa: E402
from . import train as _train  # noqa: E402
from .multitask import HardSharingNet as _HardSharingNet  # noqa: E402
from .multitask import Task as _Task  # noqa: E402
from .multitask import task_loss as _task_loss  # noqa: E402
from .multitask import task_metric as _task_metric  # noqa: E402
from .plots import category_style as _category_style  # noqa: E402
from .plots import plot_loss_curves as _plot_loss_curves  # noqa: E402
from .plots import plot_tradeoff_curve as _plot_tradeoff_curve  # noqa: E402
from .probes import TaskGradientRecorder as _TaskGradientRecorder  # noqa: E402

__all__ += [
    "TASK_WEIGHT_PAIRS", "TASK_WEIGHT_SETUP", "TASK_WEIGHT_SWEEP", "TASK_WEIGHT_DEFAULTS", "TaskPairData",
    "task_pair_data", "normalised_task_weights", "WeightedPairRun", "train_weighted_pair", "TradeoffSweep",
    "task_weight_sweep", "plot_task_weights", "task_weights_explorer_update", "task_weights_explorer",
    "MASS_UNITS", "LOSS_SCALE_SETUP", "PenguinTasks", "penguin_tasks", "penguin_model", "LossScaleRun",
    "loss_scale_run", "plot_gradient_history",
]

# Two tasks from one teacher (datasets.make_related_tasks): each target depends on one direction of
# the input, and the two directions have cosine rho. A shared layer of ONE tanh unit cannot point
# along both, so the weights decide which task it serves: a trade-off the learner can see.
TASK_WEIGHT_PAIRS = {
    "regression + regression": ("regression", "regression"),
    "classification + regression": ("classification", "regression"),
}
TASK_WEIGHT_SETUP = {
    "n_train": 200, "n_test": 2000, "n_features": 10, "rho": 0.5, "noise": 0.2, "data_seed": 0,
    "steps": 200, "lr": 0.075, "model_seed": 0, "max_shared_units": 3,
}
TASK_WEIGHT_SWEEP = tuple(float(v) for v in np.round(np.linspace(0.05, 0.95, 13), 3))
"""λ, the share of task A in the joint loss, at the 13 points of every precomputed sweep."""


class TaskPairData(NamedTuple):
    """Train and test data of a task pair: X (n, d); targets: (target A (n,), target B (n,));
    tasks: two `multitask.Task` ("task A", "task B"); losses: their loss names for fit_multitask."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    tasks: tuple
    losses: tuple


def _task_weight_pair(pair) -> str:
    if pair not in TASK_WEIGHT_PAIRS:
        raise ValueError(f"Unknown task pair {pair!r}; choose one of {list(TASK_WEIGHT_PAIRS)}.")
    return pair


@functools.lru_cache(maxsize=4)
def task_pair_data(pair: str = "regression + regression") -> TaskPairData:
    """The lesson-06 task pair (read-only arrays): TASK_WEIGHT_SETUP["n_train"] training and
    ["n_test"] test examples from `make_related_tasks` with a linear teacher, one hidden direction per
    task, relatedness rho = 0.5 and noise 0.2. Both pairs use the same inputs and directions; in
    "classification + regression" task A's label is 1 where its (noisy) target is positive.
    """
    setup = TASK_WEIGHT_SETUP
    kinds = TASK_WEIGHT_PAIRS[_task_weight_pair(pair)]
    data = _datasets.make_related_tasks(setup["n_train"], setup["rho"], rng=setup["data_seed"],
                                        n_features=setup["n_features"], n_hidden=1, noise=setup["noise"],
                                        task_types=kinds, activation="linear")
    test = data.teacher.sample(setup["n_test"], rng=setup["data_seed"] + 1)
    arrays = [data.X, *data.targets, test.X, *test.targets]
    for array in arrays:
        array.setflags(write=False)
    tasks = tuple(_Task(name, "binary" if kind == "classification" else "regression")
                  for name, kind in zip(("task A", "task B"), kinds))
    losses = tuple("bce" if task.kind == "binary" else "mse" for task in tasks)
    return TaskPairData(data.X, tuple(data.targets), test.X, tuple(test.targets), tasks, losses)


def normalised_task_weights(weight_a: float, weight_b: float) -> np.ndarray:
    """(2,) the weights scaled to sum to 1: (λ, 1 − λ) with λ = w_A / (w_A + w_B).

    Only the ratio matters here: Adam divides every gradient entry by its own running size, so a
    common factor on both weights changes (almost) nothing. Negative, non-finite or all-zero weights
    raise ValueError with an explanation for the learner.
    """
    weights = np.array([weight_a, weight_b], dtype=float)
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"The task weights must be finite numbers, got w_A = {weight_a!r}, w_B = {weight_b!r}.")
    if np.any(weights < 0):
        raise ValueError(f"Task weights must be ≥ 0: a negative weight rewards the network for doing that task "
                         f"badly. Got w_A = {weight_a:.3g}, w_B = {weight_b:.3g}.")
    if weights.sum() == 0:
        raise ValueError("Both task weights are 0, so the joint loss 0·L_A + 0·L_B is 0 whatever the network "
                         "does: there is nothing to learn. Give at least one task a weight above 0.")
    return weights / weights.sum()


def _task_weight_units(shared_units) -> int:
    high = TASK_WEIGHT_SETUP["max_shared_units"]
    if isinstance(shared_units, bool) or not isinstance(shared_units, (int, np.integer)) \
            or not 1 <= shared_units <= high:
        raise ValueError(f"The shared layer needs a whole number of units from 1 to {high}, got {shared_units!r}.")
    return int(shared_units)


class WeightedPairRun(NamedTuple):
    """One model trained on λ·L_A + (1 − λ)·L_B. weights: (2,) (λ, 1 − λ); test_losses: (2,) the
    test loss of each task (MSE, or binary cross-entropy); test_metrics: (2,) RMSE or accuracy."""

    weights: np.ndarray
    test_losses: np.ndarray
    test_metrics: np.ndarray


def train_weighted_pair(weight_a: float = 0.5, weight_b: float = 0.5, pair: str = "regression + regression",
                        shared_units: int = 1) -> WeightedPairRun:
    """Train a hard-sharing net on the weighted joint loss of a task pair and score it on the test set.

    The net is `HardSharingNet(d, [shared_units], tasks, branch_depth=1)`: one shared tanh layer of
    `shared_units` units, then a linear head per task. Training: `fit_multitask` with
    task_weights = normalised_task_weights(weight_a, weight_b), Adam (lr 0.075), 200 full-batch steps,
    the same initial weights for every λ (TASK_WEIGHT_SETUP). About 40 ms of CPU time.
    """
    weights = normalised_task_weights(weight_a, weight_b)
    shared_units = _task_weight_units(shared_units)
    data = task_pair_data(pair)
    setup = TASK_WEIGHT_SETUP
    model = _HardSharingNet(data.X_train.shape[1], [shared_units], list(data.tasks), branch_depth=1,
                            activation="tanh", rng=setup["model_seed"])
    _train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses), task_weights=weights,
                         optimizer="adam", lr=setup["lr"], steps=setup["steps"], record_every=setup["steps"],
                         progress=False)
    with no_grad():
        outputs = model(data.X_test)
        losses = [_task_loss(task, out, y).item() for task, out, y in zip(data.tasks, outputs, data.targets_test)]
    metrics = [_task_metric(task, out, y) for task, out, y in zip(data.tasks, outputs, data.targets_test)]
    return WeightedPairRun(weights, np.array(losses), np.array(metrics))


class TradeoffSweep(NamedTuple):
    """One model per λ in TASK_WEIGHT_SWEEP. lambdas: (K,); test_losses, test_metrics: (K, 2)
    columns task A, task B; tasks: the two `Task`s; pair, shared_units: the setting."""

    lambdas: np.ndarray
    test_losses: np.ndarray
    test_metrics: np.ndarray
    tasks: tuple
    pair: str
    shared_units: int


# Sweeps are deterministic and cost about a second each, so each setting is computed once per session.
_TASK_WEIGHT_SWEEPS: dict = {}


def task_weight_sweep(pair: str = "regression + regression", shared_units: int = 1,
                      progress=None) -> TradeoffSweep:
    """The trade-off curve: `train_weighted_pair` at λ = each value of TASK_WEIGHT_SWEEP (weights
    (λ, 1 − λ)). Cached per (pair, shared_units). progress: None or callable(done, total), told after
    each model when the sweep is computed."""
    key = (_task_weight_pair(pair), _task_weight_units(shared_units))
    if key not in _TASK_WEIGHT_SWEEPS:
        runs = []
        for done, lam in enumerate(TASK_WEIGHT_SWEEP, start=1):
            runs.append(train_weighted_pair(lam, 1.0 - lam, *key))
            if progress is not None:
                progress(done, len(TASK_WEIGHT_SWEEP))
        arrays = [np.array(TASK_WEIGHT_SWEEP), np.stack([r.test_losses for r in runs]),
                  np.stack([r.test_metrics for r in runs])]
        for array in arrays:
            array.setflags(write=False)
        _TASK_WEIGHT_SWEEPS[key] = TradeoffSweep(*arrays, task_pair_data(pair).tasks, *key)
    return _TASK_WEIGHT_SWEEPS[key]


_TASK_WEIGHT_SHOW = ("test loss", "test metric")


def _task_weight_value_names(tasks, show: str) -> list:
    if show == "test loss":
        return [f"{t.name} {'cross-entropy' if t.kind == 'binary' else 'MSE'}" for t in tasks]
    return [f"{t.name} {'accuracy' if t.kind == 'binary' else 'RMSE'}" for t in tasks]


def _task_weight_axis_label(task, name: str, show: str) -> str:
    better = "higher" if show == "test metric" and task.kind == "binary" else "lower"
    return f"test {name} ({better} is better)"


def plot_task_weights(sweep: TradeoffSweep, run: WeightedPairRun | None = None, show: str = "test loss",
                      reference: TradeoffSweep | None = None) -> Figure:
    """Left: each task's test loss (or metric) against λ, the sweep as labelled lines, the current run
    as large markers on a dashed line at its λ. Right: the trade-off curve, task A against task B, with
    the current run as a star (`plots.plot_tradeoff_curve`), and optionally a `reference` sweep of
    another width drawn faintly behind it, so a change of scale cannot hide a change of shape."""
    if show not in _TASK_WEIGHT_SHOW:
        raise ValueError(f"show must be one of {list(_TASK_WEIGHT_SHOW)}, got {show!r}.")
    values = sweep.test_losses if show == "test loss" else sweep.test_metrics
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.07, 0.98, 0.13, 0.84))
    if reference is not None:
        reference_values = reference.test_losses if show == "test loss" else reference.test_metrics
        plural = "s" if reference.shared_units > 1 else ""
        right.plot(reference_values[:, 0], reference_values[:, 1], color="0.6", linestyle=":", marker=".",
                   label=f"sweep with {reference.shared_units} shared unit{plural}")
    current = None if run is None else (run.test_losses if show == "test loss" else run.test_metrics)
    names = _task_weight_value_names(sweep.tasks, show)
    higher = int(values[0, 1] > values[0, 0])  # which line starts higher: its label goes above it
    for t, name in enumerate(names):
        style = _category_style(t)
        left.plot(sweep.lambdas, values[:, t], markersize=5, **style)
        # Labels on the lines themselves, at their left ends: no legend box to hide a curve.
        left.annotate(name, (sweep.lambdas[0], values[0, t]), textcoords="offset points",
                      xytext=(2, 8 if t == higher else -8), va="bottom" if t == higher else "top", fontsize=8,
                      color=style["color"])
        if run is not None:
            left.plot(run.weights[0], current[t], marker=style["marker"], markersize=13, color=style["color"],
                      markeredgecolor="black", linestyle="none")
    if run is not None:
        left.axvline(run.weights[0], color="0.3", linestyle="--", linewidth=1)
        left.annotate("current λ", (run.weights[0], 1.0), xycoords=("data", "axes fraction"),
                      textcoords="offset points", xytext=(3, -3), va="top", fontsize=8, color="0.3")
    left.margins(y=0.12)
    left.set_xlim(-0.02, 1.02)
    left.set_xlabel("λ = w_A / (w_A + w_B), the share of task A in the joint loss")
    left.set_ylabel(f"{show} on the test set")
    left.set_title(f"Each task's {show} as the weight moves", y=1.0, fontsize=10)
    left.grid(alpha=0.3)
    _plot_tradeoff_curve(values, current=current, title="The trade-off curve traced by λ",
                         xlabel=_task_weight_axis_label(sweep.tasks[0], names[0], show),
                         ylabel=_task_weight_axis_label(sweep.tasks[1], names[1], show), ax=right)
    right.set_title("The trade-off curve traced by λ", y=1.0, fontsize=10)
    right.margins(0.14)
    # Label the two ends (they say which way λ runs): above or below the curve's middle, whichever is
    # away from it, and towards the inside of the axes horizontally, so the text is never clipped.
    centre = values.mean(axis=0)
    middle_x = 0.5 * sum(right.get_xlim())
    for k in (0, len(sweep.lambdas) - 1):
        inward = 1 if values[k, 0] <= middle_x else -1
        upward = 1 if values[k, 1] >= centre[1] else -1
        right.annotate(f"λ = {sweep.lambdas[k]:.2g}", values[k], textcoords="offset points",
                       xytext=(6 * inward, 7 * upward), ha="left" if inward > 0 else "right",
                       va="bottom" if upward > 0 else "top", fontsize=8)
    for ax in (left, right):  # few ticks: each tick costs a text layout on every redraw
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    units = f"{sweep.shared_units} shared unit{'s' if sweep.shared_units > 1 else ''}"
    if run is None:
        fig.suptitle(f"{sweep.pair}, {units}: {len(sweep.lambdas)} models, one per λ", fontsize=11, y=0.97)
    else:
        scores = ", ".join(f"{name} {value:.3f}" for name, value in zip(names, current))
        fig.suptitle(f"{sweep.pair}, {units}, λ = {run.weights[0]:.3g}: {scores}", fontsize=11, y=0.97)
    return fig


def task_weights_explorer_update(weight_a: float = 0.5, weight_b: float = 0.5,
                                 pair: str = "regression + regression", shared_units: int = 1,
                                 show: str = "test loss", progress=None) -> Figure:
    """Lesson 06: train one model at the chosen weights (live) and place it on the precomputed sweep.
    With more than one shared unit, the one-unit sweep is drawn faintly for comparison."""
    normalised_task_weights(weight_a, weight_b)  # an impossible weight is explained before any training
    if show not in _TASK_WEIGHT_SHOW:
        raise ValueError(f"show must be one of {list(_TASK_WEIGHT_SHOW)}, got {show!r}.")
    sweep = task_weight_sweep(pair, shared_units, progress=progress)
    reference = task_weight_sweep(pair, 1, progress=progress) if sweep.shared_units != 1 else None
    run = train_weighted_pair(weight_a, weight_b, pair, shared_units)
    return plot_task_weights(sweep, run, show, reference=reference)


TASK_WEIGHT_DEFAULTS = {"weight_a": 0.5, "weight_b": 0.5, "pair": "regression + regression", "shared_units": 1,
                        "show": "test loss"}


def task_weights_explorer(**initial) -> Explorer:
    """Weights of task A and task B, the task pair, the shared layer's width and what to show."""
    values = initial_values("task_weights", initial)
    controls = {
        "weight_a": float_slider("weight w_A of task A", values["weight_a"], 0.0, 1.0, 0.05),
        "weight_b": float_slider("weight w_B of task B", values["weight_b"], 0.0, 1.0, 0.05),
        "pair": dropdown("tasks", list(TASK_WEIGHT_PAIRS), values["pair"]),
        "shared_units": int_slider("shared units", values["shared_units"], 1, TASK_WEIGHT_SETUP["max_shared_units"]),
        "show": dropdown("show", list(_TASK_WEIGHT_SHOW), values["show"]),
    }
    return Explorer(task_weights_explorer_update, controls, title="Task-weight explorer",
                    help_text="Each change trains one network on w_A·L_A + w_B·L_B and draws it (large markers, "
                              "star) on the curve of 13 networks trained at other weights. A new task pair or "
                              "width first computes its curve (about a second).",
                    reports_progress=True)


register_explorer("task_weights", task_weights_explorer_update, TASK_WEIGHT_DEFAULTS, task_weights_explorer)


# Loss scales: Palmer penguins, three tasks on one shared layer, body mass in one of three units.
MASS_UNITS = ("grams", "kilograms", "standardised")
LOSS_SCALE_SETUP = {"test_fraction": 0.3, "split_seed": 0, "hidden": 8, "model_seed": 0, "steps": 400,
                    "lr": 0.02, "record_every": 10}


class PenguinTasks(NamedTuple):
    """Penguins as three tasks. X_train, X_test: (n, 6) features (bill length, bill depth, flipper
    length standardised with training statistics; island one-hot); targets_*: (species (n,) in 0..2,
    sex (n,) in {0, 1}, body mass (n,) in `mass_unit`); mass_to_grams: (scale, offset) with
    grams = scale · value + offset; tasks: three `Task`s; losses: their loss names."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    mass_unit: str
    mass_to_grams: tuple
    tasks: tuple
    losses: tuple


@functools.lru_cache(maxsize=4)
def penguin_tasks(mass_unit: str = "grams") -> PenguinTasks:
    """The penguins split 70/30, stratified by species (LOSS_SCALE_SETUP), with body mass in grams
    (as the file stores it), kilograms, or standardised (z-scores with the training mean and std).
    Data: Gorman, Williams & Fraser 2014 (PLoS ONE), via `datasets.load_penguins`."""
    if mass_unit not in MASS_UNITS:
        raise ValueError(f"Unknown mass unit {mass_unit!r}; choose one of {list(MASS_UNITS)}.")
    setup = LOSS_SCALE_SETUP
    penguins = _datasets.load_penguins()
    split = _datasets.train_test_split(penguins.features, penguins.species, penguins.sex, penguins.body_mass_g,
                                       test_fraction=setup["test_fraction"], rng=setup["split_seed"],
                                       stratify=penguins.species)
    X_train, species_train, sex_train, grams_train = split.train
    X_test, species_test, sex_test, grams_test = split.test
    features = _datasets.standardize(X_train, X_test, columns=[0, 1, 2])  # the island columns stay 0/1
    if mass_unit == "grams":
        scale, offset = 1.0, 0.0
    elif mass_unit == "kilograms":
        scale, offset = 1000.0, 0.0
    else:
        scale, offset = float(grams_train.std()), float(grams_train.mean())
    mass_train, mass_test = (grams_train - offset) / scale, (grams_test - offset) / scale
    arrays = [features.train, species_train, sex_train, mass_train, features.test, species_test, sex_test, mass_test]
    for array in arrays:
        array.setflags(write=False)
    tasks = (_Task("species", "multiclass", 3), _Task("sex", "binary"), _Task(f"body mass ({mass_unit})", "regression"))
    return PenguinTasks(features.train, (species_train, sex_train, mass_train), features.test,
                        (species_test, sex_test, mass_test), mass_unit, (scale, offset), tasks,
                        ("cross_entropy", "bce", "mse"))


def penguin_model(data: PenguinTasks, seed: int | None = None) -> _HardSharingNet:
    """A shared tanh layer of LOSS_SCALE_SETUP["hidden"] units and a linear head per task; the
    same initial weights for every mass unit."""
    seed = LOSS_SCALE_SETUP["model_seed"] if seed is None else seed
    return _HardSharingNet(data.X_train.shape[1], [LOSS_SCALE_SETUP["hidden"]], list(data.tasks), branch_depth=1,
                           activation="tanh", rng=seed)


class LossScaleRun(NamedTuple):
    """A penguin run with body mass in one unit. steps: (S,) recorded steps; norms: (S, 3) each
    task's gradient norm on the shared layer; cosines: (S, 3, 3); species_accuracy, sex_accuracy:
    on the test set; mass_rmse_grams: test RMSE converted to grams; saturated_fraction: share of the
    shared layer's outputs on the training set with |tanh| > 0.99 after training; task_names."""

    mass_unit: str
    steps: np.ndarray
    norms: np.ndarray
    cosines: np.ndarray
    species_accuracy: float
    sex_accuracy: float
    mass_rmse_grams: float
    saturated_fraction: float
    task_names: tuple


def loss_scale_run(mass_unit: str = "grams", steps: int | None = None) -> LossScaleRun:
    """Train `penguin_model` on the unweighted sum of the three losses (Adam, LOSS_SCALE_SETUP),
    recording per-task gradients on the shared layer with `probes.TaskGradientRecorder`."""
    setup = LOSS_SCALE_SETUP
    steps = setup["steps"] if steps is None else steps
    data = penguin_tasks(mass_unit)
    model = penguin_model(data)
    recorder = _TaskGradientRecorder(list(data.losses))
    _train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses), optimizer="adam",
                         lr=setup["lr"], steps=steps, record_every=setup["record_every"], probes=[recorder],
                         progress=False)
    record = recorder.as_arrays()
    with no_grad():
        outputs = model(data.X_test)
        shared = model.forward_trace(data.X_train).activations[-1].data
    species, sex, mass = data.targets_test
    scale, offset = data.mass_to_grams
    grams = outputs[2].data[:, 0] * scale + offset
    return LossScaleRun(
        mass_unit=mass_unit, steps=record["steps"], norms=record["norms"], cosines=record["cosines"],
        species_accuracy=_task_metric("multiclass", outputs[0], species),
        sex_accuracy=_task_metric("binary", outputs[1], sex),
        mass_rmse_grams=float(np.sqrt(np.mean((grams - (mass * scale + offset)) ** 2))),
        saturated_fraction=float(np.mean(np.abs(shared) > 0.99)),
        task_names=tuple(task.name.split(" (")[0] for task in data.tasks),
    )


def plot_gradient_history(runs: Mapping[str, LossScaleRun]) -> Figure:
    """One panel per run: each task's gradient norm on the shared layer over training (log scale,
    one y range for all panels); a last panel: the cosine of each pair of task gradients in the last run."""
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("plot_gradient_history: runs must be a non-empty dict label -> LossScaleRun")
    fig, axes = new_figure((4.0 * (len(runs) + 1), 3.9), ncols=len(runs) + 1, margins=(0.06, 0.99, 0.14, 0.82))
    for ax, (label, run) in zip(axes, runs.items()):
        _plot_loss_curves({name: run.norms[:, t] for t, name in enumerate(run.task_names)}, steps=run.steps,
                          title=label, ylabel="gradient norm on the shared layer", ax=ax)
        ax.set_title(label, y=1.0, fontsize=10)
    positive = np.concatenate([r.norms[r.norms > 0] for r in runs.values()])
    for ax in axes[:-1]:
        ax.set_ylim(positive.min() / 3, positive.max() * 3)
    last_label, last = list(runs.items())[-1]
    ax = axes[-1]
    pairs = [(a, b) for a in range(len(last.task_names)) for b in range(a + 1, len(last.task_names))]
    for index, (a, b) in enumerate(pairs):
        ax.plot(last.steps, last.cosines[:, a, b], markersize=4, markevery=max(1, last.steps.size // 12),
                label=f"{last.task_names[a]} · {last.task_names[b]}", **_category_style(index + 3))
    ax.axhline(0.0, color="0.3", linewidth=1)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("training step")
    ax.set_ylabel("cosine of the two task gradients")
    ax.set_title(f"Cosine of each pair of task gradients\n({last_label})", y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, framealpha=0.85)
    fig.suptitle("Per-task gradients on the shared layer during training", fontsize=11, y=0.97)
    return fig


# ---- lesson 07: can the weights set themselves? The balancing lab ------------------------------------
# Imported here rather than at the top so that each lesson's section of this file reads on its own.

import functools  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import NamedTuple  # noqa: E402

from matplotlib.colors import BoundaryNorm as _BoundaryNorm  # noqa: E402
from matplotlib.ticker import MaxNLocator as _MaxNLocator  # noqa: E402

from . import aggregators as _aggregators  # noqa: E402
from . import balancers as _balancers  # noqa: E402
from . import datasets as _datasets  # noqa: E402
from . import multitask as _multitask  # noqa: E402
from . import toys as _toys  # noqa: E402
from . import train as _train  # noqa: E402
from .plots import category_style as _category_style  # noqa: E402

__all__ += [
    "BALANCING_LAB", "TOY_METHOD_LABELS", "TOY_START_CHOICES", "BalancingLabRuns", "balancing_lab_runs",
    "toy_verdict", "ToyOutcome", "toy_outcomes", "toy_outcome_table_html", "plot_balancing_lab",
    "balancing_lab_explorer_update", "balancing_lab_explorer", "two_task_directions", "plot_two_task_directions",
    "SCALE_MISMATCH", "NETWORK_METHOD_LABELS", "LOSS_BASED_METHODS", "ScaleMismatchData", "scale_mismatch_data",
    "NetworkRun", "balancing_network_run", "plot_delta_m", "plot_weight_ratios",
]

# The CAGrad toy as the lesson runs it. Liu et al. (2021, NeurIPS) take 100k Adam steps at lr 1e-3
# from three starts. An Adam step moves each coordinate by about lr, so half the steps at twice the
# rate cover the same ground: the outcome is the same (tests/test_lesson07.py checks it, and
# tests/test_toys.py checks the paper's own protocol) at half the cost.
BALANCING_LAB = {
    "steps": 50_000,
    "lr": 2e-3,
    "c": 0.5,  # CAGrad's radius on the toy
    "record_every": 50,  # 1001 points per path: plenty for a plot
    "grid": 121,  # contour grid points per axis over [-10, 10]
    "seed": 0,
}
TOY_METHOD_LABELS = {
    "mean": "mean (plain GD)", "mgda": "MGDA", "pcgrad": "PCGrad", "cagrad": "CAGrad (c = 0.5)",
    "imtl_g": "IMTL-G", "nash_mtl": "Nash-MTL", "aligned_mtl": "Aligned-MTL", "graddrop": "GradDrop",
}
"""The aggregators run on the toy, in drawing order (which also fixes each one's colour)."""
TOY_START_CHOICES = {"all three starts": -1, "start 1: (−8.5, 7.5)": 0, "start 2: (−8.5, −5)": 1,
                     "start 3: (9, 9)": 2}


@dataclass(frozen=True)
class BalancingLabRuns:
    """Every method's paths on the CAGrad toy, and what a plot of them needs.

    paths / loss_paths: {method: (S, n, 2)} points (x1, x2) and losses (L1, L2) along each path,
    every `record_every`-th Adam step (and the last). starts: (S, 2). grid_x1, grid_x2, grid_average:
    (H, W) the average loss (L1 + L2)/2 on a grid; levels: its contour levels. pareto_set,
    pareto_front: (K, 2); optimum: (2,) the minimiser of the average loss.
    """

    paths: dict
    loss_paths: dict
    starts: np.ndarray
    steps: int
    lr: float
    record_every: int
    grid_x1: np.ndarray
    grid_x2: np.ndarray
    grid_average: np.ndarray
    levels: np.ndarray
    pareto_set: np.ndarray
    pareto_front: np.ndarray
    optimum: np.ndarray


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@functools.lru_cache(maxsize=32)
def _toy_method_paths(method: str, steps: int, lr: float, c: float, record_every: int, seed: int) -> tuple:
    """(paths, loss_paths) of one method from every published start, cached: the explorer only draws."""
    hyper = {"cagrad": {"c": c}} if method == "cagrad" else None
    paths = _toys.run_toy_many_fast([method], steps=steps, lr=lr, seed=seed, hyper=hyper,
                                    record_every=record_every)[method]
    losses = np.stack(_toys.cagrad_toy_grid(paths[..., 0], paths[..., 1]), axis=-1)
    return _read_only(paths), _read_only(losses)


@functools.lru_cache(maxsize=4)
def _toy_landscape(grid: int) -> tuple:
    axis = np.linspace(-10.0, 10.0, grid)
    X1, X2 = np.meshgrid(axis, axis)
    L1, L2 = _toys.cagrad_toy_grid(X1, X2)
    average = 0.5 * (L1 + L2)
    levels = _MaxNLocator(12).tick_values(average.min(), average.max())
    pareto_set, pareto_front = _toys.pareto_front_toy(201)
    return tuple(_read_only(a) for a in (X1, X2, average, levels, pareto_set, pareto_front))


def balancing_lab_runs(steps: int | None = None, lr: float | None = None, record_every: int | None = None,
                       progress=None) -> BalancingLabRuns:
    """Run every method of TOY_METHOD_LABELS on the CAGrad toy from the three published starts.

    Defaults: BALANCING_LAB (Adam, lr 2e-3, 50k steps, CAGrad c = 0.5; Liu et al. 2021, NeurIPS, take
    100k steps at lr 1e-3, which covers the same distance). Each method's runs are cached, so calling
    this again, or moving the explorer, costs nothing. progress: optional callable(done, total), told
    after each method. About 2 s of CPU time the first time.
    """
    settings = BALANCING_LAB
    steps = settings["steps"] if steps is None else steps
    lr = settings["lr"] if lr is None else lr
    record_every = settings["record_every"] if record_every is None else record_every
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 1_000_000:
        raise ValueError(f"steps must be a whole number from 1 to 1,000,000, got {steps!r}.")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not 0 < lr <= 1:
        raise ValueError(f"The learning rate must be a number above 0 (and at most 1), got {lr!r}.")
    paths, loss_paths = {}, {}
    for done, method in enumerate(TOY_METHOD_LABELS, start=1):
        paths[method], loss_paths[method] = _toy_method_paths(method, int(steps), float(lr), settings["c"],
                                                              int(record_every), settings["seed"])
        if progress is not None:
            progress(done, len(TOY_METHOD_LABELS))
    X1, X2, average, levels, pareto_set, pareto_front = _toy_landscape(settings["grid"])
    return BalancingLabRuns(paths=paths, loss_paths=loss_paths, starts=np.array(_toys.TOY_STARTS), steps=int(steps),
                            lr=float(lr), record_every=int(record_every), grid_x1=X1, grid_x2=X2,
                            grid_average=average, levels=levels, pareto_set=pareto_set,
                            pareto_front=pareto_front, optimum=_toys.toy_average_optimum())


def toy_verdict(end, distance_to_front: float, distance_to_optimum: float) -> str:
    """Where a run on the toy ended, in a few words. end: (2,) the last point (x1, x2)."""
    x1, x2 = (float(v) for v in end)
    if distance_to_optimum < 0.01:
        return "average-loss optimum"
    if distance_to_front < 0.01:
        return f"Pareto front, x₁ = {round(x1, 2) + 0.0:+.2f}"  # + 0.0: no "-0.00"
    if distance_to_front < 0.1:
        return f"{distance_to_front:.3f} short of the front"
    # In a crease of a log loss, a or b (see toys) is nearly 0 and that loss's gradient ~ 1/a flips sign.
    a = -0.5 * x1 - 3.5 + np.tanh(x2)
    b = -0.5 * x1 + 3.5 - np.tanh(x2)
    if x2 > 0 and min(abs(a), abs(b)) < 0.05:
        return f"stuck in the crease of L{'₁' if abs(a) < abs(b) else '₂'}"
    return f"stopped {distance_to_front:.2f} from the front"


class ToyOutcome(NamedTuple):
    """Where one run ended: method, start (0-based), end (2,), distances to the Pareto set and to the
    average-loss optimum, and `toy_verdict` in words."""

    method: str
    start: int
    end: np.ndarray
    distance_to_front: float
    distance_to_optimum: float
    verdict: str


def toy_outcomes(runs: BalancingLabRuns, methods=None, start_indices=None) -> list:
    """A ToyOutcome per (method, start), methods in TOY_METHOD_LABELS order."""
    methods = list(TOY_METHOD_LABELS) if methods is None else _check_toy_methods(methods)
    start_indices = list(range(len(runs.starts)) if start_indices is None else start_indices)
    outcomes = []
    for method in methods:
        ends = runs.paths[method][start_indices, -1]
        to_front = _toys.distance_to_pareto_set(ends)
        to_optimum = np.linalg.norm(ends - runs.optimum, axis=1)
        for index, end, d_front, d_optimum in zip(start_indices, ends, to_front, to_optimum):
            outcomes.append(ToyOutcome(method, int(index), end, float(d_front), float(d_optimum),
                                       toy_verdict(end, d_front, d_optimum)))
    return outcomes


def _check_toy_methods(methods) -> list:
    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ValueError("Pick at least one method to draw (Ctrl-click or ⌘-click picks several).")
    unknown = [m for m in methods if m not in TOY_METHOD_LABELS]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; choose from {list(TOY_METHOD_LABELS)}.")
    return [m for m in TOY_METHOD_LABELS if m in methods]  # drawing order = legend order


def _check_start(start) -> list:
    if isinstance(start, bool) or start not in (-1, 0, 1, 2):
        raise ValueError(f"start must be 0, 1 or 2 (one of the published starts) or -1 (all three), got {start!r}.")
    return [0, 1, 2] if start == -1 else [int(start)]


def plot_balancing_lab(runs: BalancingLabRuns, methods=("mean", "mgda", "pcgrad", "cagrad"),
                       start: int = -1) -> Figure:
    """Left: paths on the average-loss map with the Pareto set (black) and the average-loss optimum
    (star); right: the same paths in loss space with the Pareto front. Each path ends in its
    method's marker; white circles are the starts. start: 0, 1, 2, or -1 for all three."""
    methods = _check_toy_methods(methods)
    starts = _check_start(start)
    fig, (left, right) = new_figure((10.5, 4.6), ncols=2, margins=(0.065, 0.985, 0.21, 0.9))
    # A banded image looks like filled contours and draws in a fraction of the time.
    extent = (runs.grid_x1[0, 0], runs.grid_x1[0, -1], runs.grid_x2[0, 0], runs.grid_x2[-1, 0])
    left.imshow(runs.grid_average, origin="lower", extent=extent, cmap="viridis", aspect="auto",
                norm=_BoundaryNorm(runs.levels, 256), interpolation="bilinear")
    left.plot(runs.pareto_set[:, 0], runs.pareto_set[:, 1], color="black", linewidth=3.0, label="Pareto set / front")
    right.plot(runs.pareto_front[:, 0], runs.pareto_front[:, 1], color="black", linewidth=3.0)
    left.plot(*runs.optimum, marker="*", markersize=14, color="white", markeredgecolor="black", linestyle="none",
              label="average-loss optimum")
    chosen = runs.starts[starts]
    left.plot(chosen[:, 0], chosen[:, 1], "o", color="white", markeredgecolor="black", markersize=8, label="start",
              linestyle="none")
    for method in methods:
        style = _category_style(list(TOY_METHOD_LABELS).index(method))
        for number, index in enumerate(starts):
            for ax, path in ((left, runs.paths[method][index]), (right, runs.loss_paths[method][index])):
                label = TOY_METHOD_LABELS[method] if ax is left and number == 0 else None
                ax.plot(path[:, 0], path[:, 1], color=style["color"], linestyle=style["linestyle"], linewidth=2.0,
                        marker=style["marker"], markevery=[path.shape[0] - 1], markersize=8,
                        markeredgecolor="black", label=label)
        start_losses = runs.loss_paths[method][starts, 0]
        right.plot(start_losses[:, 0], start_losses[:, 1], "o", color="white", markeredgecolor="black", markersize=7,
                   linestyle="none")
    left.set_xlim(-10, 10)
    left.set_ylim(-10, 10)
    left.set_xlabel("x₁")
    left.set_ylabel("x₂")
    left.set_title("Paths on the average loss (darker = lower)", y=1.0, fontsize=10)
    right.set_xlabel("L₁")
    right.set_ylabel("L₂")
    right.set_title("The same paths in loss space", y=1.0, fontsize=10)
    for ax in (left, right):
        ax.xaxis.set_major_locator(_MaxNLocator(4))
        ax.yaxis.set_major_locator(_MaxNLocator(4))
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=min(6, len(labels)), fontsize=8.5, frameon=False)
    which = "all three starts" if start == -1 else f"start {start + 1}"
    fig.suptitle(f"Balancing lab: the CAGrad toy from {which}, Adam lr {runs.lr:.3g}, {runs.steps:,} steps",
                 fontsize=10.5)
    return fig


def toy_outcome_table_html(outcomes: list) -> str:
    """The outcomes as a small HTML table (one row per method, one column per start) for the explorer."""
    starts = sorted({o.start for o in outcomes})
    rows = {}
    for outcome in outcomes:
        rows.setdefault(outcome.method, {})[outcome.start] = outcome
    header = "".join(f"<th style='padding:0 0.8em'>start {s + 1}: {_point_text(_toys.TOY_STARTS[s])}</th>"
                     for s in starts)
    body = "".join(
        f"<tr><td><b>{html.escape(TOY_METHOD_LABELS[method])}</b></td>"
        + "".join(f"<td style='padding:0 0.8em'>{html.escape(cells[s].verdict)} {_point_text(cells[s].end)}</td>"
                  for s in starts) + "</tr>"
        for method, cells in rows.items())
    return f"<b>Where each run ended</b><table><tr><th></th>{header}</tr>{body}</table>"


def _point_text(point) -> str:
    # round(...) + 0.0 turns -0.00 into 0.00, so a run ending at -1e-14 prints like one ending at +1e-14.
    return "(" + ", ".join(f"{round(float(v), 2) + 0.0:.2f}" for v in point) + ")"


def balancing_lab_explorer_update(methods=("mean", "mgda", "pcgrad", "cagrad"), start: int = -1,
                                  runs: BalancingLabRuns | None = None, progress=None) -> Figure:
    """Lesson 07: draw the chosen methods' precomputed paths from the chosen start(s).

    runs: the result of `balancing_lab_runs()` (computed once, and cached, when not given).
    """
    methods = _check_toy_methods(methods)
    _check_start(start)
    if runs is None:
        runs = balancing_lab_runs(progress=progress)
    return plot_balancing_lab(runs, methods, start)


def balancing_lab_explorer(runs: BalancingLabRuns | None = None, **initial) -> Explorer:
    """Pick methods and a starting point: their paths on the toy, in loss space, and a table of where
    each run ended. runs: from `balancing_lab_runs()`; pass it so the explorer only draws."""
    values = initial_values("balancing_lab", initial)
    controls = {  # the dropdown first: the generic widget and browser tests nudge the first control
        "start": dropdown("start", list(TOY_START_CHOICES.items()), values["start"]),
        "methods": widgets.SelectMultiple(options=[(label, key) for key, label in TOY_METHOD_LABELS.items()],
                                          value=tuple(values["methods"]), rows=len(TOY_METHOD_LABELS),
                                          description="methods", style=_control_style()),
    }
    table = widgets.HTML()

    def update(start, methods, progress=None):
        table.value = ""
        figure = balancing_lab_explorer_update(methods, start, runs=runs, progress=progress)
        shown = runs if runs is not None else balancing_lab_runs()
        table.value = toy_outcome_table_html(toy_outcomes(shown, methods, _check_start(start)))
        return figure

    explorer = Explorer(update, controls, title="Balancing lab: who reaches the Pareto front, and where?",
                        help_text="Ctrl-click (⌘-click) picks several methods. The paths were computed once; "
                                  "the explorer only draws them.", reports_progress=True)
    explorer.outcome_table = table
    explorer.children = explorer.children + (table,)
    return explorer


register_explorer("balancing_lab", balancing_lab_explorer_update,
                  {"start": -1, "methods": ("mean", "mgda", "pcgrad", "cagrad")}, balancing_lab_explorer)


# Lesson 07's static figure of what each method does to two task gradients.

def two_task_directions(G, c: float = 0.5, rng_seed: int = 0) -> dict:
    """{label: d (2,)} every aggregator's direction for one two-task, two-parameter G (2, 2).

    GradDrop is random: its entry is a (K, 2) array of its possible directions, one per sign choice
    that has a non-zero chance, with their probabilities in the entry "GradDrop probabilities".
    Keys follow TOY_METHOD_LABELS.
    """
    G = np.asarray(G, dtype=float)
    if G.shape != (2, 2):
        raise ValueError(f"two_task_directions: G must be (2, 2), two tasks by two parameters, got {G.shape}")
    rng = np.random.default_rng(rng_seed)
    directions = {}
    for method, label in TOY_METHOD_LABELS.items():
        if method == "graddrop":
            continue
        hyper = {"c": c} if method == "cagrad" else {}
        directions[label] = _aggregators.aggregate(method, G, rng=rng, **hyper)
    # GradDrop keeps, per coordinate, the positive parts with probability P = (1 + Σg / Σ|g|) / 2.
    total, magnitude = G.sum(axis=0), np.abs(G).sum(axis=0)
    purity = 0.5 * (1.0 + np.divide(total, magnitude, out=np.zeros(2), where=magnitude > 0))
    outcomes, chances = [], []
    for keep_first in (True, False):
        for keep_second in (True, False):
            chance = (purity[0] if keep_first else 1 - purity[0]) * (purity[1] if keep_second else 1 - purity[1])
            if chance > 1e-12:
                keep = np.array([keep_first, keep_second])
                mask = np.where(keep, G > 0, G < 0)
                outcomes.append((G * mask).mean(axis=0))
                chances.append(chance)
    directions[TOY_METHOD_LABELS["graddrop"]] = np.array(outcomes)
    directions["GradDrop probabilities"] = np.array(chances)
    return directions


def _arrow(ax, vector, colour, linewidth: float = 2.0, alpha: float = 1.0) -> None:
    """An arrow from the origin to `vector`."""
    ax.annotate("", xy=(float(vector[0]), float(vector[1])), xytext=(0.0, 0.0),
                arrowprops=dict(arrowstyle="-|>", color=colour, lw=linewidth, alpha=alpha, shrinkA=0, shrinkB=0,
                                mutation_scale=12))


def _gains_text(G: np.ndarray, d: np.ndarray) -> str:
    """"g₁·d = 1.02, g₂·d = 0.00": each task's first-order gain (+ 0.0 keeps "-0.00" from showing)."""
    return ", ".join(f"g{sub}·d = {round(float(v), 2) + 0.0:.2f}" for sub, v in zip("₁₂", G @ d))


def plot_two_task_directions(G, methods=None, title: str = "What each method does with two conflicting gradients",
                             c: float = 0.5, n_random_weights: int = 25, rng_seed: int = 0) -> Figure:
    """One panel per method: the task gradients g₁ (blue) and g₂ (orange) and the update d (black).

    Each panel prints g₁·d and g₂·d: a small step x ← x − η d changes L_t by about −η g_t·d, so a
    negative value means that task's loss goes up. The "loss weighting" panel: any weights w ≥ 0 give
    d = w₁g₁ + w₂g₂ inside the grey cone, whatever the angle between g₁ and g₂; its dots are
    random-loss-weighting draws w = softmax(ε) (Lin et al. 2022, TMLR), which sum to 1.
    G: (2, 2) rows g₁, g₂. methods: keys of TOY_METHOD_LABELS and/or "loss weighting" (default: all);
    an empty tuple draws the two gradients alone.
    """
    G = np.asarray(G, dtype=float)
    directions = two_task_directions(G, c=c, rng_seed=rng_seed)
    chances = directions.pop("GradDrop probabilities")
    keys = list(TOY_METHOD_LABELS) + ["loss weighting"] if methods is None else list(methods)
    unknown = [k for k in keys if k not in TOY_METHOD_LABELS and k != "loss weighting"]
    if unknown:
        raise ValueError(f"plot_two_task_directions: unknown methods {unknown}; use keys of TOY_METHOD_LABELS "
                         "or 'loss weighting'")
    panels = [(k, None if k == "loss weighting" else directions[TOY_METHOD_LABELS[k]]) for k in keys] or [("", None)]
    ncols = min(5, len(panels))
    nrows = -(-len(panels) // ncols)
    # A lone panel (the gradients alone) gets more room; equal axis scales leave it wider than tall.
    width, height = (2.2 * ncols + 0.3, 2.5 * nrows + 0.5) if len(panels) > 1 else (4.2, 3.6)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=FIGURE_DPI, sharex=True, sharey=True,
                             squeeze=False)
    plt.close(fig)
    fig.subplots_adjust(left=0.3 / width + 0.05, right=0.99, bottom=0.55 / height + 0.02,
                        top=1 - (0.75 if len(panels) > 1 else 0.45) / height, wspace=0.08, hspace=0.45)
    drawn = [G] + [np.atleast_2d(d) for k, d in panels if d is not None]
    span = 1.15 * float(max(np.abs(a).max() for a in drawn))
    blue, orange = _category_style(0)["color"], _category_style(1)["color"]
    for ax, (key, d) in zip(axes.ravel(), panels):
        ax.axhline(0, color="0.85", linewidth=0.8)
        ax.axvline(0, color="0.85", linewidth=0.8)
        _arrow(ax, G[0], blue, linewidth=2.5)
        _arrow(ax, G[1], orange, linewidth=2.5)
        ax.text(*(G[0] * 1.06), "g₁", color=blue, fontsize=11, ha="center", va="bottom")
        ax.text(*(G[1] * 1.06), "g₂", color=orange, fontsize=11, ha="center", va="bottom")
        if key == "loss weighting":
            ax.fill([0, G[0, 0] * 4, G[1, 0] * 4], [0, G[0, 1] * 4, G[1, 1] * 4], color="0.6", alpha=0.25)
            weights = np.exp(np.random.default_rng(rng_seed).standard_normal((n_random_weights, 2)))
            points = (weights / weights.sum(axis=1, keepdims=True)) @ G
            ax.plot(points[:, 0], points[:, 1], "o", color="black", markersize=3)
            ax.set_title("loss weighting\ndots: RLW; grey: any w ≥ 0", fontsize=9, y=1.0)
        elif key == "graddrop":  # its possible directions, darker = more likely
            for outcome, chance in zip(d, chances):
                _arrow(ax, outcome, "black", linewidth=2.5, alpha=0.25 + 0.75 * chance)
            ax.set_title(f"GradDrop (random)\non average {_gains_text(G, chances @ d)}", fontsize=9, y=1.0)
        elif d is not None:
            _arrow(ax, d, "black", linewidth=3.0)
            ax.set_title(f"{TOY_METHOD_LABELS[key]}\n{_gains_text(G, d)}", fontsize=9, y=1.0)
        ax.set_xlim(-span, span)
        ax.set_ylim(-0.5 * span, span)
        ax.set_aspect("equal", adjustable="box")
    for ax in axes[-1]:
        ax.set_xlabel("parameter 1")
    for ax in axes[:, 0]:
        ax.set_ylabel("parameter 2")
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    return fig


# Lesson 07 on a network: two related tasks whose losses live on different scales.

SCALE_MISMATCH = {
    "n_train": 200, "n_test": 2000, "n_features": 10, "rho": 0.9, "noise": 0.3, "data_seed": 0,
    "value_scale": 10.0,  # the regression target in other units: its MSE is ~100x the label's cross-entropy
    "hidden_sizes": (32, 16), "branch_depth": 1, "steps": 200, "lr": 0.01, "record_every": 10,
}
NETWORK_METHOD_LABELS = {
    "equal": "equal weights", "uncertainty": "uncertainty", "dwa": "DWA", "gradnorm": "GradNorm", "rlw": "RLW",
    "famo": "FAMO", "mgda": "MGDA", "pcgrad": "PCGrad", "cagrad": "CAGrad", "imtl_g": "IMTL-G",
    "nash_mtl": "Nash-MTL", "aligned_mtl": "Aligned-MTL", "graddrop": "GradDrop",
}
"""The balancers compared on the network, in table order: loss-based first, then gradient-based."""
LOSS_BASED_METHODS = ("equal", "uncertainty", "dwa", "gradnorm", "rlw", "famo")


class ScaleMismatchData(NamedTuple):
    """Train and test sets of the two lesson-07 tasks. targets: (value (n,) float, label (n,) int);
    tasks: (Task "value" regression, Task "label" binary); losses: ("mse", "bce")."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    tasks: tuple
    losses: tuple


@functools.lru_cache(maxsize=2)
def scale_mismatch_data(data_seed: int | None = None) -> ScaleMismatchData:
    """Two related tasks from `datasets.make_related_tasks` (rho 0.9, noise 0.3): a regression target
    "value" multiplied by SCALE_MISMATCH["value_scale"] = 10 (as if measured in other units), and a
    binary "label". Read-only arrays."""
    setup = SCALE_MISMATCH
    seed = setup["data_seed"] if data_seed is None else data_seed
    data = _datasets.make_related_tasks(setup["n_train"], setup["rho"], rng=seed, n_features=setup["n_features"],
                                        noise=setup["noise"], task_types=("regression", "classification"))
    test = data.teacher.sample(setup["n_test"], rng=seed + 100)
    scale = setup["value_scale"]
    arrays = [data.X, data.targets[0] * scale, data.targets[1], test.X, test.targets[0] * scale, test.targets[1]]
    for array in arrays:
        array.setflags(write=False)
    tasks = (_multitask.Task("value", "regression"), _multitask.Task("label", "binary"))
    return ScaleMismatchData(arrays[0], (arrays[1], arrays[2]), arrays[3], (arrays[4], arrays[5]), tasks,
                             ("mse", "bce"))


class NetworkRun(NamedTuple):
    """One trained network. test_metrics: (2,) RMSE of "value" (lower is better) and accuracy of
    "label" (higher is better) on the test set; steps (S,), weights (S, 2) and task_losses (S, 2):
    the task weights the method used and the training losses, every record_every steps."""

    method: str
    seed: int
    test_metrics: np.ndarray
    steps: np.ndarray
    weights: np.ndarray
    task_losses: np.ndarray


def _network_balancer(method: str, seed: int):
    if method in ("equal", "stl"):
        return None
    options = {"kinds": ("regression", "classification")} if method == "uncertainty" else {}
    if method == "cagrad":
        options = {"c": 0.5}
    return _balancers.make_balancer(method, 2, rng=np.random.default_rng(seed), **options)


def balancing_network_run(method: str, seed: int = 0) -> NetworkRun:
    """Train `HardSharingNet(10, [32, 16], (value, label), branch_depth=1)` on `scale_mismatch_data()`
    with one balancer and score it on the test set.

    method: a key of NETWORK_METHOD_LABELS, or "stl": branch_depth = 0, two separate networks of the
    same per-task size (the single-task baselines). "equal" is the plain sum L_value + L_label. The
    rest use `balancers.make_balancer` with the defaults of their papers (CAGrad c = 0.5; GradNorm
    alpha = 1.5; DWA temperature 2 with one full-batch step as its "epoch"). Training: Adam, lr 0.01,
    200 full-batch steps (SCALE_MISMATCH); seed sets the initial weights (and RLW's, PCGrad's and
    GradDrop's random draws). About 0.1 s.
    """
    if method != "stl" and method not in NETWORK_METHOD_LABELS:
        raise ValueError(f"Unknown method {method!r}; choose 'stl' or one of {list(NETWORK_METHOD_LABELS)}.")
    setup = SCALE_MISMATCH
    data = scale_mismatch_data()
    model = _multitask.HardSharingNet(data.X_train.shape[1], list(setup["hidden_sizes"]), list(data.tasks),
                                      branch_depth=0 if method == "stl" else setup["branch_depth"], rng=seed)
    history = _train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses),
                                   balancer=_network_balancer(method, seed), optimizer="adam", lr=setup["lr"],
                                   steps=setup["steps"], record_every=setup["record_every"], progress=False)
    with no_grad():
        outputs = model(data.X_test)
    metrics = np.array([_multitask.task_metric(task, out, target)
                        for task, out, target in zip(data.tasks, outputs, data.targets_test)])
    return NetworkRun(method, seed, metrics, np.asarray(history.steps), np.asarray(history.weights, dtype=float),
                      np.asarray(history.task_losses, dtype=float))


def plot_delta_m(delta_m: dict, spread: dict | None = None,
                 title: str = "Δm% against single-task baselines (lower is better)") -> Figure:
    """Horizontal bars of Δm% per method (negative: better than the single-task networks).

    delta_m: {method key or label: mean Δm%}; spread: optional {same keys: std over seeds} as error bars.
    Loss-based methods are drawn plain, gradient-based ones hatched.
    """
    if not delta_m:
        raise ValueError("plot_delta_m: delta_m is empty; give at least one method -> Δm%")
    labels = list(delta_m)
    values = np.array([float(delta_m[k]) for k in labels])
    errors = None if spread is None else np.array([float(spread[k]) for k in labels])
    fig, ax = new_figure((7.4, 4.6), margins=(0.2, 0.97, 0.13, 0.9))
    positions = np.arange(len(labels))[::-1]
    loss_based = np.array([k in LOSS_BASED_METHODS for k in labels])
    for chosen, colour_index, hatch, family in ((loss_based, 0, "", "loss-based"),
                                                (~loss_based, 1, "//", "gradient-based")):
        if chosen.any():
            ax.barh(positions[chosen], values[chosen], xerr=None if errors is None else errors[chosen],
                    color=_category_style(colour_index)["color"], hatch=hatch, edgecolor="black", linewidth=0.6,
                    capsize=3, label=family)
    ax.set_yticks(positions, [NETWORK_METHOD_LABELS.get(k, k) for k in labels])
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.set_xlabel("Δm% (negative = better than the single-task networks)")
    ax.set_title(title, y=1.0, fontsize=10.5)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def plot_weight_ratios(runs: dict, title: str = "How each method weighs the two tasks during training",
                       floor: float = 1e-6) -> Figure:
    """w_value / w_label over training, one line per method, on a log axis; loss-based methods on the
    left, gradient-based ones on the right. runs: {method: NetworkRun}. For gradient-based methods the
    weights are the effective ones (the least-squares w with Gᵀw = d, see balancers.GradientAggregation).
    Ratios below `floor` (MGDA's is 0 up to round-off while it follows one task alone) are drawn at the
    floor, and ratios ≤ 0 left out; a note says how many.
    """
    if not runs:
        raise ValueError("plot_weight_ratios: runs is empty")
    fig, (left, right) = new_figure((10.5, 4.2), ncols=2, margins=(0.08, 0.98, 0.14, 0.87))
    at_floor = 0
    for index, (method, run) in enumerate(runs.items()):
        ax = left if method in LOSS_BASED_METHODS else right
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = run.weights[:, 0] / run.weights[:, 1]
        shown = np.where(np.isfinite(ratio), np.maximum(ratio, floor), np.nan)
        at_floor += int(np.sum(np.isfinite(ratio) & (ratio < floor)))
        ax.plot(run.steps, shown, label=NETWORK_METHOD_LABELS.get(method, method), linewidth=1.8,
                markevery=max(1, len(run.steps) // 6), markersize=5, **_category_style(index))
    for ax, family in ((left, "loss-based"), (right, "gradient-based")):
        ax.set_yscale("log")
        ax.set_ylim(floor / 2, 50.0)
        plain_log_ticks(ax.yaxis, step=1)
        ax.axhline(1.0, color="0.4", linewidth=1.0, linestyle=":")
        ax.set_xlabel("training step")
        ax.set_ylabel("w_value / w_label (log scale)")
        ax.set_title(f"{family} methods", y=1.0, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7.5, ncols=2, loc="lower left", framealpha=0.9)
    if at_floor:
        right.text(0.98, 0.97, f"{at_floor} recorded ratio(s) below {floor:.0e} (or ≤ 0) drawn at {floor:.0e}",
                   transform=right.transAxes, ha="right", va="top", fontsize=7.5)
    fig.suptitle(title, fontsize=11)
    return fig


# ---- lesson 05: what sharing a network between tasks buys (the transfer explorer) ---------------------

from matplotlib.ticker import FixedLocator as _FixedLocator  # noqa: E402
from matplotlib.ticker import MaxNLocator as _MaxNLocator05  # noqa: E402
from typing import NamedTuple as _NamedTuple  # noqa: E402
import functools as _functools  # noqa: E402
from collections.abc import Mapping as _Mapping  # noqa: E402

from . import multitask as _multitask  # noqa: E402
from .datasets import make_related_tasks as _make_related_tasks  # noqa: E402
from .plots import category_style as _style05  # noqa: E402
from .plots import plot_loss_curves as _plot_loss_curves05  # noqa: E402

__all__ += [
    "train_sharing_nets", "TRANSFER_SETUP", "TRANSFER_RHOS", "TRANSFER_SIZES", "TransferResult", "transfer_data",
    "transfer_test_errors", "transfer_experiment", "plot_transfer", "plot_transfer_map", "transfer_explorer_update",
    "transfer_explorer", "plot_sharing_diagram", "SoftSharingSweep", "soft_sharing_sweep", "plot_soft_sharing",
    "best_validation_steps", "plot_per_task_validation",
]


def _stacked_layers(net, where: str) -> tuple:
    """(shared Linear layers, per-task lists of Linear layers, penalty weight) of a sharing network,
    after checking it is one `train_sharing_nets` can train: tanh, no norm or residual, float64,
    one regression output per task."""
    if isinstance(net, _multitask.HardSharingNet):
        mlps = ([net.trunk] if net.trunk is not None else []) + list(net.towers)
        shared = list(net.trunk.layers) if net.trunk is not None else []
        towers = [list(tower.layers) for tower in net.towers]
        penalty = 0.0
    elif isinstance(net, _multitask.SoftSharingNet):
        if net.include_bias:
            raise ValueError(f"{where}: a SoftSharingNet with include_bias=True is not supported; "
                             "the batched trainer ties weights only (the default)")
        mlps, shared, towers = list(net.networks), [], [list(network.layers) for network in net.networks]
        penalty = net.penalty_weight
    else:
        raise TypeError(f"{where}: expected HardSharingNet or SoftSharingNet models, got {type(net).__name__}")
    for mlp in mlps:
        if mlp.activation.name != "tanh" or mlp.norms or mlp.residual or mlp.dtype != np.float64:
            raise ValueError(f"{where}: only plain float64 tanh networks (no LayerNorm, no residual) are supported")
    bad = [task for task in net.tasks if task.kind != "regression" or task.n_outputs != 1]
    if bad:
        raise ValueError(f"{where}: every task must be a regression task with one output, got {bad}")
    return shared, towers, penalty


def train_sharing_nets(nets, X, targets, steps: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> np.ndarray:
    """Train R sharing networks of one layout at once, in place, and return their final task losses.

    What it computes is, for every network r separately, exactly this loop (a test checks that
    the weights agree with it to rounding):

        optimizer = Adam(net.parameters(), lr=lr, betas=betas, eps=eps)
        for step in range(steps):
            optimizer.zero_grad()
            outputs = net(X[r])
            loss = Σ_t task_loss("regression", outputs[t], targets[r][t])  (+ net.l2_penalty() if soft)
            loss.backward(); optimizer.step()

    Doing it as one batched NumPy computation, with the forward and backward pass written out by
    hand, is what makes the transfer explorer fast: 28 networks train in about the time one takes
    through the autodiff engine.

    nets: R HardSharingNet (same n_in, hidden sizes, tasks and branch depth) or R SoftSharingNet
        (same layout; each keeps its own penalty weight), tanh, one regression output per task.
    X: (R, n, d) inputs, one training set per network. targets: (R, T, n).
    Returns (R, T) the task losses (mean squared errors) on the training data after training.
    """
    where = "train_sharing_nets"
    nets = list(nets)
    if not nets:
        raise ValueError(f"{where}: give at least one network")
    layouts = [_stacked_layers(net, where) for net in nets]
    first_shared, first_towers, _ = layouts[0]
    shape_of = lambda layers: [layer.weight.shape for layer in layers]  # noqa: E731
    for r, (shared, towers, _) in enumerate(layouts):
        if type(nets[r]) is not type(nets[0]) or shape_of(shared) != shape_of(first_shared) \
                or [shape_of(tower) for tower in towers] != [shape_of(tower) for tower in first_towers]:
            raise ValueError(f"{where}: nets[{r}] has another layout than nets[0]; all networks must match")
    X = np.asarray(X, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    n_runs, n_tasks = len(nets), len(first_towers)
    n_in = first_towers[0][0].in_features if not first_shared else first_shared[0].in_features
    if X.ndim != 3 or X.shape[0] != n_runs or X.shape[2] != n_in:
        raise ValueError(f"{where}: X must have shape ({n_runs}, n, {n_in}), got {X.shape}")
    if targets.shape != (n_runs, n_tasks, X.shape[1]):
        raise ValueError(f"{where}: targets must have shape ({n_runs}, {n_tasks}, {X.shape[1]}), got {targets.shape}")
    steps = int(steps)
    if steps < 1 or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"{where}: need steps >= 1 and lr > 0, got steps={steps}, lr={lr!r}")

    # Stacked parameters, the bias as an extra last input row (inputs get a constant 1 column), so one
    # matmul gives each layer's output and its weight-and-bias gradient: shared layer (R, i + 1, o),
    # task layer (R, T, i + 1, o).
    n_shared, n_tower = len(first_shared), len(first_towers[0])
    params = []
    for l in range(n_shared):
        params.append(np.stack([np.vstack([layout[0][l].weight.data, layout[0][l].bias.data]) for layout in layouts]))
    for l in range(n_tower):
        params.append(np.stack([[np.vstack([tower[l].weight.data, tower[l].bias.data]) for tower in layout[1]]
                                for layout in layouts]))
    # The soft-sharing penalty λ Σ_{a<b} ||W^a − W^b||² on the towers' hidden-layer weights (not biases)
    # has gradient 2λ(T·W^a − Σ_b W^b).
    penalty = np.array([layout[2] for layout in layouts]).reshape(n_runs, 1, 1, 1)
    tied = [n_shared + l for l in range(n_tower - 1)] if np.any(penalty > 0) else []
    first_moment = [np.zeros_like(p) for p in params]
    second_moment = [np.zeros_like(p) for p in params]
    beta1, beta2 = betas
    n = X.shape[1]
    with_one = lambda shape: np.ones(shape[:-1] + (shape[-1] + 1,))  # noqa: E731
    shared_h = [with_one(X.shape)]
    shared_h[0][..., :-1] = X
    for W in params[:n_shared]:
        shared_h.append(with_one((n_runs, n, W.shape[-1])))
    tower_h = [shared_h[-1][:, None]]  # the shared representation, broadcast over the T towers
    for W in params[n_shared:-1]:
        tower_h.append(with_one((n_runs, n_tasks, n, W.shape[-1])))

    def forward() -> np.ndarray:
        """Fill the activations (each with its 1 column) and return the outputs (R, T, n, 1)."""
        for l in range(n_shared):
            np.tanh(shared_h[l] @ params[l], out=shared_h[l + 1][..., :-1])
        for l in range(n_tower - 1):
            np.tanh(tower_h[l] @ params[n_shared + l], out=tower_h[l + 1][..., :-1])
        return tower_h[-1] @ params[-1]

    for t in range(1, steps + 1):
        g = (2.0 / n) * (forward() - targets[..., None])  # d(mean squared error)/d(output), (R, T, n, 1)
        grads = [None] * len(params)
        for l in reversed(range(n_tower)):
            h_in, W = tower_h[l], params[n_shared + l]
            grads[n_shared + l] = np.swapaxes(h_in, -1, -2) @ g
            if l > 0 or n_shared:
                g = g @ np.swapaxes(W[..., :-1, :], -1, -2)
            if l > 0:
                g *= 1.0 - h_in[..., :-1] ** 2
        if n_shared:
            g = g.sum(axis=1)  # every task's gradient meets in the trunk
            for l in reversed(range(n_shared)):
                g *= 1.0 - shared_h[l + 1][..., :-1] ** 2
                grads[l] = np.swapaxes(shared_h[l], -1, -2) @ g
                if l > 0:
                    g = g @ np.swapaxes(params[l][..., :-1, :], -1, -2)
        for i in tied:
            W = params[i][..., :-1, :]
            grads[i][..., :-1, :] += 2.0 * penalty * (n_tasks * W - W.sum(axis=1, keepdims=True))
        # Adam, in the same order of operations as mtl_edu.optim.Adam
        step_size = lr / (1.0 - beta1**t)
        root_correction2 = np.sqrt(1.0 - beta2**t)
        for p, grad, m, v in zip(params, grads, first_moment, second_moment):
            m *= beta1
            m += (1.0 - beta1) * grad
            v *= beta2
            v += (1.0 - beta2) * (grad * grad)
            denominator = np.sqrt(v)
            denominator /= root_correction2
            denominator += eps
            p -= step_size * (m / denominator)

    for r, (shared, towers, _) in enumerate(layouts):
        for l, layer in enumerate(shared):
            layer.weight.data[...] = params[l][r, :-1]
            layer.bias.data[...] = params[l][r, -1]
        for task, tower in enumerate(towers):
            for l, layer in enumerate(tower):
                layer.weight.data[...] = params[n_shared + l][r, task, :-1]
                layer.bias.data[...] = params[n_shared + l][r, task, -1]
    return np.mean((forward()[..., 0] - targets) ** 2, axis=-1)


#: The transfer experiment: two regression tasks from make_related_tasks (noise 0.4), students with
#: two tanh hidden layers of 2 units (as many as each teacher task has), full-batch Adam.
#: tests/test_lesson05.py asserts the outcomes the lesson describes with exactly these settings.
TRANSFER_SETUP = {"n_features": 10, "noise": 0.4, "hidden_sizes": (2, 2), "steps": 300, "lr": 0.02,
                  "n_test": 500, "seeds": (0, 1, 2, 3)}
TRANSFER_RHOS = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0)
TRANSFER_SIZES = (30, 60, 120, 240)
_TRANSFER_MAX_N = 480


def transfer_data(rho: float, n_train: int, seed: int) -> tuple:
    """(train, test) RelatedTasks of the transfer experiment: n_train examples of two tasks with
    relatedness rho (make_related_tasks with seed `seed`) and a test set of TRANSFER_SETUP["n_test"]
    fresh inputs from the same teacher (seed + 1000). Score models on test.clean_targets.
    For one seed every rho uses the same inputs, noise and random directions, so curves over rho
    are smooth rather than a new draw at each point."""
    train = _make_related_tasks(n_train, rho, rng=seed, noise=TRANSFER_SETUP["noise"],
                                n_features=TRANSFER_SETUP["n_features"])
    return train, train.teacher.sample(TRANSFER_SETUP["n_test"], rng=seed + 1000)


def _check_transfer_controls(n_train, shared_layers) -> tuple:
    depth = len(TRANSFER_SETUP["hidden_sizes"])
    if isinstance(shared_layers, bool) or not isinstance(shared_layers, (int, np.integer)) \
            or not 0 <= shared_layers <= depth:
        raise ValueError(f"The number of shared layers must be a whole number from 0 (two separate networks) to "
                         f"{depth} (every hidden layer shared), got {shared_layers!r}.")
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 10 <= n_train <= _TRANSFER_MAX_N:
        raise ValueError(f"The training-set size must be a whole number of examples from 10 to {_TRANSFER_MAX_N}, "
                         f"got {n_train!r}.")
    return int(n_train), int(shared_layers)


@_functools.lru_cache(maxsize=64)
def _transfer_test_errors_cached(n_train: int, shared_layers: int) -> np.ndarray:
    setup = TRANSFER_SETUP
    runs = [(rho, seed) for rho in TRANSFER_RHOS for seed in setup["seeds"]]
    pairs = [transfer_data(rho, n_train, seed) for rho, seed in runs]
    nets = [_multitask.HardSharingNet(setup["n_features"], list(setup["hidden_sizes"]), [1, 1],
                                      branch_depth=shared_layers, rng=seed) for _, seed in runs]
    train_sharing_nets(nets, np.stack([train.X for train, _ in pairs]),
                       np.stack([np.stack(train.targets) for train, _ in pairs]), setup["steps"], setup["lr"])
    errors = np.array([_rmse_per_task(net, test) for net, (_, test) in zip(nets, pairs)])
    errors = errors.reshape(len(TRANSFER_RHOS), len(setup["seeds"]), 2)
    errors.flags.writeable = False  # cached: a caller must not change what the next one reads
    return errors


def _rmse_per_task(net, test) -> list:
    with no_grad():
        outputs = net(test.X)
    return [_multitask.task_metric("regression", out, clean) for out, clean in zip(outputs, test.clean_targets)]


def transfer_test_errors(n_train: int = 120, shared_layers: int = 2) -> np.ndarray:
    """Test RMSE against the noiseless targets, (len(TRANSFER_RHOS), n_seeds, 2): for every rho in
    TRANSFER_RHOS and seed in TRANSFER_SETUP["seeds"], a HardSharingNet with `shared_layers` of its
    hidden layers shared (0 = two separate single-task networks) trained on n_train examples.
    Cached, and read-only: the explorer computes each (n_train, shared_layers) once."""
    return _transfer_test_errors_cached(*_check_transfer_controls(n_train, shared_layers))


class TransferResult(_NamedTuple):
    """STL against hard sharing over relatedness, for one training-set size and branch point.

    rhos: (K,) the relatedness values. stl, mtl: (K, S, 2) test RMSE per rho, seed and task.
    delta_m: (K,) Δm% of the seed-averaged RMSEs (lower is better; < 0: sharing helps).
    delta_m_per_seed: (K, S) the same for each seed on its own.
    """

    n_train: int
    shared_layers: int
    rhos: np.ndarray
    stl: np.ndarray
    mtl: np.ndarray
    delta_m: np.ndarray
    delta_m_per_seed: np.ndarray


def transfer_experiment(n_train: int = 120, shared_layers: int = 2) -> TransferResult:
    """Single-task networks (nothing shared) against hard sharing with `shared_layers` shared hidden
    layers, at every relatedness in TRANSFER_RHOS, for n_train training examples per task."""
    stl = transfer_test_errors(n_train, 0)
    mtl = transfer_test_errors(n_train, shared_layers)
    delta = np.array([_multitask.delta_m(m.mean(axis=0), s.mean(axis=0), False) for m, s in zip(mtl, stl)])
    per_seed = np.array([[_multitask.delta_m(m, s, False) for m, s in zip(mtl_k, stl_k)]
                         for mtl_k, stl_k in zip(mtl, stl)])
    return TransferResult(n_train=int(n_train), shared_layers=int(shared_layers), rhos=np.array(TRANSFER_RHOS),
                          stl=stl, mtl=mtl, delta_m=delta, delta_m_per_seed=per_seed)


def _verdict(delta: float) -> str:
    if abs(delta) < 2.0:
        return "about even"
    return "sharing helps" if delta < 0 else "sharing hurts"


def _shared_label(shared_layers: int) -> str:
    depth = len(TRANSFER_SETUP["hidden_sizes"])
    if shared_layers == 0:
        return "MTL with 0 shared layers (= STL)"
    return f"MTL, {shared_layers} of {depth} layers shared"


def _draw_delta_m_axes(ax) -> None:
    """Zero line and the two labelled half-planes of a Δm% axis (lower is better)."""
    ax.axhline(0.0, color="black", linewidth=1.0)
    ax.axhspan(0.0, 1e4, color="#f9d0c4", alpha=0.45, zorder=0)
    ax.axhspan(-1e4, 0.0, color="#d9f0d3", alpha=0.6, zorder=0)
    # Plain text, no background box: a box costs a noticeable share of an explorer redraw.
    ax.text(0.02, 0.97, "above 0: sharing hurts (negative transfer)", transform=ax.transAxes, fontsize=8,
            va="top", ha="left", color="0.2", zorder=5)
    ax.text(0.02, 0.03, "below 0: sharing helps (positive transfer)", transform=ax.transAxes, fontsize=8,
            va="bottom", ha="left", color="0.2", zorder=5)


def _delta_m_limits(values) -> tuple:
    """y limits that show every value and keep at least ±30 around 0."""
    values = np.asarray(values, dtype=float)
    return min(-30.0, float(values.min()) * 1.2), max(30.0, float(values.max()) * 1.2)


def plot_transfer(result: TransferResult, rho: float) -> Figure:
    """Left: per-task test RMSE of STL and MTL at one rho (bars: seed mean; dots: seeds).
    Right: Δm% against rho for this training-set size and branch point, the chosen rho marked."""
    index = int(np.argmin(np.abs(result.rhos - rho)))
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.075, 0.98, 0.12, 0.8))
    n_seeds = result.stl.shape[1]
    fig.suptitle(f"Transfer explorer: n = {result.n_train} training examples per task, "
                 f"{result.shared_layers} of {len(TRANSFER_SETUP['hidden_sizes'])} hidden layers shared "
                 f"({n_seeds} seeds)", fontsize=11, y=0.98)
    models = (("STL (separate networks)", result.stl[index]), (_shared_label(result.shared_layers), result.mtl[index]))
    width = 0.38
    for k, (label, errors) in enumerate(models):
        style = _style05(k)
        positions = np.arange(2) + (k - 0.5) * width
        left.bar(positions, errors.mean(axis=0), width * 0.95, color=style["color"], hatch=("", "//")[k],
                 edgecolor="black", linewidth=0.6, label=label)
        for task in range(2):
            left.plot(np.full(n_seeds, positions[task]), errors[:, task], linestyle="none", marker="o",
                      markersize=3.5, color="black", alpha=0.6)
    left.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
    left.text(1.45, 0.985, "1 = no better than predicting 0", ha="right", va="top", fontsize=8, color="0.3")
    top = max(1.3, float(np.max([result.stl[index].max(), result.mtl[index].max()])) * 1.1)
    left.set_ylim(0.0, top)
    # Few, fixed ticks: every tick is a text to lay out, and this figure is redrawn on each slider move.
    left.yaxis.set_major_locator(_FixedLocator(np.arange(0.0, top, 0.25)))
    left.set_xticks([0, 1], ["task 1", "task 2"])
    left.set_ylabel("test RMSE (lower is better)")
    delta = result.delta_m[index]
    shown = "0" if abs(delta) < 0.5 else f"{delta:+.0f}"
    left.set_title(f"ρ = {result.rhos[index]:.2f}: Δm% = {shown} ({_verdict(delta)})", y=1.0, fontsize=10)
    left.legend(loc="upper center", fontsize=8, ncols=2)

    _draw_delta_m_axes(right)
    right.plot(np.repeat(result.rhos, n_seeds), result.delta_m_per_seed.ravel(), linestyle="none", marker=".",
               markersize=5, color="0.4")
    right.plot(result.rhos, result.delta_m, color="tab:blue", marker="o", linewidth=2)
    right.plot([result.rhos[index]], [delta], marker="o", markersize=13, markerfacecolor="none",
               markeredgecolor="black", markeredgewidth=2, linestyle="none")
    right.set_ylim(*_delta_m_limits(result.delta_m_per_seed))
    right.yaxis.set_major_locator(_MaxNLocator05(6))
    right.xaxis.set_major_locator(_FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
    right.set_xlim(-0.03, 1.03)
    right.set_xlabel("task relatedness ρ")
    right.set_ylabel("Δm% of MTL vs STL (lower is better)")
    right.set_title("Δm% at every ρ (line: seed average, dots: single seeds,\nring: the ρ on the left)", y=1.0,
                    fontsize=9)
    right.grid(True, alpha=0.3)
    return fig


def plot_transfer_map(results: _Mapping, title: str = "Where sharing helps: Δm% against relatedness") -> Figure:
    """Δm% against rho, one line per training-set size, one panel per branch point.

    results: {shared_layers: {n_train: TransferResult}}.
    """
    panels = list(results)
    fig, axes = new_figure((5.0 * len(panels), 4.2), ncols=len(panels), margins=(0.08, 0.98, 0.22, 0.86))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.975)
    limits = _delta_m_limits([r.delta_m for by_n in results.values() for r in by_n.values()])
    for ax, shared_layers in zip(axes, panels):
        _draw_delta_m_axes(ax)
        for k, (n_train, result) in enumerate(results[shared_layers].items()):
            ax.plot(result.rhos, result.delta_m, label=f"n = {n_train}", markersize=5, **_style05(k))
        ax.set_ylim(*limits)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("task relatedness ρ")
        ax.set_ylabel("Δm% (lower is better)")
        ax.set_title(f"{shared_layers} of {len(TRANSFER_SETUP['hidden_sizes'])} hidden layers shared", y=1.0,
                     fontsize=10)
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=9, frameon=False,
               title="training examples per task", title_fontsize=9, bbox_to_anchor=(0.5, 0.0))
    return fig


def transfer_explorer_update(rho: float = 1.0, n_train: int = 120, shared_layers: int = 2) -> Figure:
    """Lesson 05: test error of STL and hard-sharing MTL for relatedness rho, n_train examples per
    task and `shared_layers` shared hidden layers, with Δm% over every rho beside it."""
    if not isinstance(rho, (int, float, np.number)) or isinstance(rho, bool) \
            or not np.any(np.isclose(rho, TRANSFER_RHOS)):
        raise ValueError(f"ρ must be one of the computed values {', '.join(f'{r:g}' for r in TRANSFER_RHOS)}, "
                         f"got {rho!r}.")
    return plot_transfer(transfer_experiment(n_train, shared_layers), float(rho))


TRANSFER_DEFAULTS = {"rho": 1.0, "n_train": 120, "shared_layers": 2}


def transfer_explorer(**initial) -> Explorer:
    """Relatedness ρ, training-set size and the number of shared layers → test error of STL and MTL."""
    values = initial_values("transfer", initial)
    controls = {
        "rho": widgets.SelectionSlider(options=list(TRANSFER_RHOS), value=values["rho"], description="relatedness ρ",
                                       continuous_update=False, style=_control_style()),
        "n_train": widgets.SelectionSlider(options=list(TRANSFER_SIZES), value=values["n_train"],
                                           description="training examples n", continuous_update=False,
                                           style=_control_style()),
        "shared_layers": int_slider("shared hidden layers", values["shared_layers"], 0,
                                    len(TRANSFER_SETUP["hidden_sizes"])),
    }
    return Explorer(transfer_explorer_update, controls, title="Transfer explorer: when does sharing help?",
                    help_text="Each setting trains 28 small networks per model (7 values of ρ × 4 seeds) the "
                              "first time you choose it, then reads them from memory.")


register_explorer("transfer", transfer_explorer_update, TRANSFER_DEFAULTS, transfer_explorer)


def plot_sharing_diagram(hidden_sizes, branch_depths, n_tasks: int = 2, n_in: int = 10) -> Figure:
    """One panel per branch depth: the layers of a HardSharingNet as boxes (shared: blue, thick border,
    one box for all tasks; task-specific: orange, one row per task), with its parameter counts."""
    hidden_sizes = list(hidden_sizes)
    depth = len(hidden_sizes)
    fig, axes = new_figure((3.3 * len(branch_depths), 3.0), ncols=len(branch_depths),
                           margins=(0.01, 0.99, 0.02, 0.76))
    axes = np.atleast_1d(axes)
    fig.suptitle("Hard parameter sharing: the branch point decides what the tasks share", fontsize=11, y=0.97)
    columns = np.linspace(0.1, 0.8, depth + 2)
    rows = np.linspace(0.8, 0.2, n_tasks) if n_tasks > 1 else np.array([0.5])
    box = dict(boxstyle="round,pad=0.3", linewidth=1.2)
    shared_box = {**box, "facecolor": "#c6dbef", "edgecolor": "tab:blue", "linewidth": 2.0}
    task_box = {**box, "facecolor": "#fdd0a2", "edgecolor": "tab:orange"}
    arrow = dict(arrowstyle="->", color="0.35", shrinkA=11, shrinkB=11)
    for ax, branch in zip(axes, branch_depths):
        net = _multitask.HardSharingNet(n_in, hidden_sizes, [1] * n_tasks, branch_depth=branch, rng=0)
        n_shared = sum(p.size for p in net.shared_parameters())
        n_task = sum(p.size for params in net.task_parameters() for p in params)
        # positions[layer] = the (x, y) of its box(es); layer 0 is the input
        positions = [[(columns[0], 0.5)]]
        for layer in range(1, depth + 2):
            shared = layer <= branch
            positions.append([(columns[layer], 0.5)] if shared else [(columns[layer], y) for y in rows])
            label = str(hidden_sizes[layer - 1]) if layer <= depth else "1"
            for x, y in positions[-1]:
                ax.text(x, y, label, ha="center", va="center", fontsize=9, bbox=shared_box if shared else task_box)
        ax.text(columns[0], 0.5, f"x\n{n_in}", ha="center", va="center", fontsize=9,
                bbox={**box, "facecolor": "white", "edgecolor": "0.4"})
        for layer in range(1, depth + 2):
            before, after = positions[layer - 1], positions[layer]
            pairs = zip(before, after) if len(before) == len(after) else [(before[0], p) for p in after]
            for start, end in pairs:
                ax.annotate("", xy=end, xytext=start, arrowprops=arrow)
        for task, y in enumerate(rows):
            ax.text(columns[-1] + 0.07, y, f"task {task + 1}", ha="left", va="center", fontsize=8, color="0.25")
        ax.text(0.5, 0.02, "numbers: units per layer; blue: shared, orange: one per task", ha="center", va="bottom", fontsize=7, color="0.45",
                transform=ax.transAxes)
        what = "nothing shared (STL)" if branch == 0 else f"{branch} hidden layer{'s' if branch > 1 else ''} shared"
        ax.set_title(f"branch depth {branch}: {what}\n{n_shared} shared + {n_task} task-specific parameters",
                     y=1.0, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
    return fig


class SoftSharingSweep(_NamedTuple):
    """Soft sharing against its two limits, over the penalty weight λ.

    penalty_weights: (L,) λ values. rhos: (K,). n_train: training examples per task.
    soft: (L, K, S, 2) test RMSE per λ, rho, seed and task; stl, hard: (K, S, 2) separate networks
    and hard sharing of every hidden layer (the λ → ∞ limit has the same layers tied).
    """

    penalty_weights: np.ndarray
    rhos: np.ndarray
    n_train: int
    soft: np.ndarray
    stl: np.ndarray
    hard: np.ndarray


def soft_sharing_sweep(penalty_weights, rhos=(0.0, 0.9, 1.0), n_train: int = 120,
                       steps: int | None = None) -> SoftSharingSweep:
    """Train a SoftSharingNet (hidden layers as in TRANSFER_SETUP) for every penalty weight, rho and
    seed of the transfer experiment (λ = 0 gives the separate networks exactly). `steps` (default
    TRANSFER_SETUP["steps"]) applies to the soft-sharing runs; the STL and hard-sharing references
    always use the transfer experiment's own runs."""
    setup = TRANSFER_SETUP
    steps = setup["steps"] if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 20000:
        raise ValueError(f"soft_sharing_sweep: steps must be a whole number from 1 to 20000, got {steps!r}")
    penalty_weights = np.asarray(penalty_weights, dtype=float)
    if penalty_weights.ndim != 1 or penalty_weights.size == 0 or np.any(penalty_weights < 0) \
            or not np.all(np.isfinite(penalty_weights)):
        raise ValueError(f"soft_sharing_sweep: penalty_weights must be a list of numbers >= 0, got {penalty_weights!r}")
    rhos = tuple(float(r) for r in rhos)
    unknown = [r for r in rhos if not np.any(np.isclose(r, TRANSFER_RHOS))]
    if unknown:
        raise ValueError(f"soft_sharing_sweep: rhos must come from TRANSFER_RHOS {TRANSFER_RHOS}, got {unknown}")
    n_train, _ = _check_transfer_controls(n_train, 0)
    runs = [(weight, rho, seed) for weight in penalty_weights for rho in rhos for seed in setup["seeds"]]
    pairs = {(rho, seed): transfer_data(rho, n_train, seed) for rho in rhos for seed in setup["seeds"]}
    nets = [_multitask.SoftSharingNet(setup["n_features"], list(setup["hidden_sizes"]), [1, 1],
                                      penalty_weight=float(weight), rng=seed) for weight, _, seed in runs]
    train_sharing_nets(nets, np.stack([pairs[rho, seed][0].X for _, rho, seed in runs]),
                       np.stack([np.stack(pairs[rho, seed][0].targets) for _, rho, seed in runs]),
                       steps, setup["lr"])
    soft = np.array([_rmse_per_task(net, pairs[rho, seed][1]) for net, (_, rho, seed) in zip(nets, runs)])
    soft = soft.reshape(len(penalty_weights), len(rhos), len(setup["seeds"]), 2)
    rows = [TRANSFER_RHOS.index(min(TRANSFER_RHOS, key=lambda r: abs(r - rho))) for rho in rhos]
    depth = len(setup["hidden_sizes"])
    return SoftSharingSweep(penalty_weights=penalty_weights, rhos=np.array(rhos), n_train=n_train, soft=soft,
                            stl=transfer_test_errors(n_train, 0)[rows], hard=transfer_test_errors(n_train, depth)[rows])


def plot_soft_sharing(sweep: SoftSharingSweep) -> Figure:
    """Mean test RMSE (over tasks and seeds) against λ, one panel per rho, with the STL and hard-sharing
    levels as horizontal lines."""
    fig, axes = new_figure((3.6 * len(sweep.rhos), 4.0), ncols=len(sweep.rhos), margins=(0.08, 0.98, 0.25, 0.84))
    axes = np.atleast_1d(axes)
    fig.suptitle(f"Soft sharing: an L2 pull between the task networks (n = {sweep.n_train} per task)",
                 fontsize=11, y=0.975)
    positive = sweep.penalty_weights[sweep.penalty_weights > 0]
    # λ = 0 cannot sit on a log axis: draw it one step left of the smallest positive λ and label it "0".
    zero_at = positive.min() / (positive.max() / positive.min()) ** (1 / max(positive.size - 1, 1))
    x = np.where(sweep.penalty_weights > 0, sweep.penalty_weights, zero_at)
    decades = positive[np.isclose(np.log10(positive), np.round(np.log10(positive)))]
    ticks = np.concatenate([[zero_at], decades])
    means = [sweep.soft.mean(axis=(2, 3)), sweep.stl.mean(axis=(1, 2)), sweep.hard.mean(axis=(1, 2))]
    low = min(float(np.min(m)) for m in means)
    high = max(float(np.max(m)) for m in means)
    for k, ax in enumerate(axes):
        soft = sweep.soft[:, k].mean(axis=(1, 2))
        ax.plot(x, soft, color="tab:green", marker="o", linewidth=2, label="soft sharing")
        ax.axhline(sweep.stl[k].mean(), **{**_style05(0), "marker": None}, label="STL (nothing shared)")
        ax.axhline(sweep.hard[k].mean(), **{**_style05(1), "marker": None}, label="hard sharing (all layers)")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(_FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _p: "0" if np.isclose(value, zero_at) else f"{value:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("penalty weight λ (log scale)")
        ax.set_ylabel("mean test RMSE (lower is better)")
        ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        ax.set_title(f"ρ = {sweep.rhos[k]:g}", y=1.0, fontsize=10)
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=3, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


def best_validation_steps(history, n_tasks: int) -> dict:
    """Early-stopping reading of a fit_multitask History recorded with eval_data.

    Returns {"task <t>": step with the lowest validation loss of task t, ..., "joint": step with
    the lowest sum of the T validation losses}; steps are those in history.steps.
    """
    steps = np.asarray(history.steps)
    losses = [np.asarray(history.metrics.get(f"eval_loss_task{t}", []), dtype=float) for t in range(n_tasks)]
    if any(loss.shape != steps.shape for loss in losses):
        raise ValueError("best_validation_steps: the history has no validation loss per task at every recorded "
                         "step; train with fit_multitask(..., eval_data=(X_val, targets_val))")
    best = {f"task {t + 1}": int(steps[np.argmin(loss)]) for t, loss in enumerate(losses)}
    best["joint"] = int(steps[np.argmin(np.sum(losses, axis=0))])
    return best


def plot_per_task_validation(history, task_names, title: str = "Per-task training and validation loss") -> Figure:
    """One panel per task: its training and validation loss over training (log scale), a dotted
    line at the task's own best validation step and a dashed one at the best step of the summed
    validation loss (one early-stopping point for all tasks)."""
    task_names = list(task_names)
    best = best_validation_steps(history, len(task_names))
    steps = np.asarray(history.steps, dtype=float)
    train = np.asarray(history.task_losses, dtype=float)
    fig, axes = new_figure((3.5 * len(task_names), 3.9), ncols=len(task_names), margins=(0.06, 0.98, 0.25, 0.82))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.975)
    for t, (ax, name) in enumerate(zip(axes, task_names)):
        validation = np.asarray(history.metrics[f"eval_loss_task{t}"], dtype=float)
        _plot_loss_curves05({"training": train[:, t], "validation": validation}, steps=steps, log=True,
                            title=f"{name}\nown best validation step: {best[f'task {t + 1}']}", ylabel="loss", ax=ax)
        ax.title.set_fontsize(9.5)
        ax.get_legend().remove()
        ax.axvline(best[f"task {t + 1}"], color="black", linestyle=":", linewidth=1.5, label="this task's best step")
        ax.axvline(best["joint"], color="tab:red", linestyle="--", linewidth=1.2,
                   label=f"best step of the summed validation loss ({best['joint']})")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return fig


# ---- lesson 08: does multi-task learning cure vanishing gradients? (deep supervision) ----------------
# Imported here rather than at the top so that each lesson's section of this file reads on its own.

import functools as _ds_functools  # noqa: E402
from collections.abc import Mapping as _DsMapping  # noqa: E402
from dataclasses import dataclass as _ds_dataclass  # noqa: E402
from typing import NamedTuple as _DsNamedTuple  # noqa: E402

from . import datasets as _ds_datasets  # noqa: E402
from . import functional as _ds_F  # noqa: E402
from . import multitask as _ds_multitask  # noqa: E402
from . import optim as _ds_optim  # noqa: E402
from . import probes as _ds_probes  # noqa: E402
from . import train as _ds_train  # noqa: E402
from .autodiff import no_grad as _ds_no_grad  # noqa: E402
from .plots import category_style as _ds_style  # noqa: E402
from .plots import plot_layer_gradient_norms as _ds_plot_layer_norms  # noqa: E402

__all__ += [
    "DEEP_SUPERVISION_SETTINGS", "DEEP_SUPERVISION_WEIGHTS", "DEEP_SUPERVISION_OPTIMIZERS",
    "fitted_decay_per_layer", "heads_on_top_data", "heads_on_top_gradients", "plot_heads_on_top",
    "deep_supervision_data", "deep_supervision_net", "deep_supervision_loss", "HeadGradients",
    "head_gradient_norms", "plot_attach_depth_sweep", "DeepSupervisionRun", "deep_supervision_run",
    "plot_deep_supervision", "plot_seed_study", "plot_task_gradient_imbalance",
    "deep_supervision_explorer_update", "deep_supervision_explorer",
]

# Everything the lesson's deep-supervision runs share. A 12-layer sigmoid trunk is deep enough that the
# gradient at layer 1 is about 1e-7 of the top layer's, and small enough to train live in well under a
# second per run.
DEEP_SUPERVISION_SETTINGS = {
    "depth": 12,  # hidden sigmoid layers in the trunk
    "width": 32,  # units per hidden layer
    "n_points": 128,  # two-moons training set, full batch
    "noise": 0.1,
    "data_seed": 0,
    "net_seed": 1,  # the explorer's network; the seed study varies it
    "steps": 200,
    "record_every": 5,
    "lr": {"sgd": 0.3, "adam": 0.01},
    "momentum": 0.9,  # for "sgd"
}
DEEP_SUPERVISION_WEIGHTS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DEEP_SUPERVISION_OPTIMIZERS = {"sgd": "SGD + momentum", "adam": "Adam"}
_DS_CHANCE_LOSS = float(np.log(2.0))  # cross-entropy of a 50 : 50 guess on two balanced classes
# Lesson 03's log axis (a few plain decade labels), bound here so a later section reusing the name
# cannot change these figures.
_ds_log_axis = _log_axis


def fitted_decay_per_layer(grad_norms) -> float:
    """The factor by which a gradient norm changes per layer on its way down, from a least-squares fit.

    grad_norms: (L,) positive norms, layer 1 (next to the input) first. Fits log10 ‖g_l‖ = a + s·l over
    all L layers and returns 10^(−s): below 1 the gradient shrinks toward the input. Unlike the
    end-to-end factor of lesson 03 (`gradient_decay_per_layer`), one unusual layer at either end moves
    it little. NaN when a norm is 0 or not finite, or L < 2.
    """
    norms = np.asarray(grad_norms, dtype=float)
    if norms.ndim != 1 or norms.size < 2 or not np.all(np.isfinite(norms)) or np.any(norms <= 0):
        return float("nan")
    slope = np.polyfit(np.arange(1, norms.size + 1), np.log10(norms), 1)[0]
    return float(10.0 ** (-slope))


# ---- section 1: extra heads on top of the trunk ------------------------------------------------------

_DS_HEADS_ON_TOP = {"n_points": 128, "n_features": 10, "rho": 0.8, "max_heads": 3, "data_seed": 0}


@_ds_functools.lru_cache(maxsize=2)
def heads_on_top_data():
    """Three related regression tasks on the same inputs (`datasets.make_related_tasks`, ρ = 0.8):
    X (128, 10) and a list of three (128,) targets, read-only."""
    settings = _DS_HEADS_ON_TOP
    data = _ds_datasets.make_related_tasks(settings["n_points"], settings["rho"], rng=settings["data_seed"],
                                           n_tasks=settings["max_heads"], n_features=settings["n_features"])
    X = np.array(data.X)
    targets = [np.array(t) for t in data.targets]
    for array in [X] + targets:
        array.setflags(write=False)
    return X, targets


def _ds_sum_of_regression_losses(outputs, targets):
    """Σ_t MSE_t with weight 1 each: the joint loss of a hard-sharing net."""
    total = _ds_multitask.task_loss("regression", outputs[0], targets[0])
    for output, target in zip(outputs[1:], targets[1:]):
        total = total + _ds_multitask.task_loss("regression", output, target)
    return total


def heads_on_top_gradients(n_heads=(1, 3), depth: int | None = None, seed: int = 0) -> dict:
    """{T: (depth,) ‖∂L/∂z_l‖ of the shared trunk} for a trunk with T task heads on top.

    Each net is a `multitask.HardSharingNet` whose `depth` sigmoid layers (width 32) are all shared
    (branch_depth = depth) and whose T linear heads predict the first T tasks of `heads_on_top_data`;
    L = Σ_t MSE_t. The trunk is drawn first from the same seed, so every T gets the same trunk weights
    and the same first head: only the extra heads differ. One forward and backward pass each.
    """
    depth = DEEP_SUPERVISION_SETTINGS["depth"] if depth is None else depth
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"heads_on_top_gradients: depth must be a whole number >= 2, got {depth!r}")
    counts = [int(n) for n in n_heads]
    top = _DS_HEADS_ON_TOP["max_heads"]
    if not counts or any(not 1 <= n <= top for n in counts):
        raise ValueError(f"heads_on_top_gradients: each number of heads must be from 1 to {top}, got {list(n_heads)}")
    X, targets = heads_on_top_data()
    norms = {}
    for count in counts:
        net = _ds_multitask.HardSharingNet(X.shape[1], [DEEP_SUPERVISION_SETTINGS["width"]] * depth, [1] * count,
                                           branch_depth=depth, activation="sigmoid", rng=seed)
        norms[count] = _ds_probes.gradient_norms_by_layer(net, X, targets[:count], _ds_sum_of_regression_losses)
    return norms


def _ds_heads_label(count: int) -> str:
    return "1 head on top" if count == 1 else f"{count} heads on top"


def plot_heads_on_top(norms_by_heads: _DsMapping,
                      title: str = "Extra task heads on top of a 12-layer sigmoid trunk") -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer for each number of heads (log), with the fitted factor per layer.
    Right: each profile divided by the 1-head profile, on a log axis spanning as many decades as the
    left panel, so a ratio that stays flat reads as flat.

    norms_by_heads: {T: (L,) norms}; must contain T = 1.
    """
    if not isinstance(norms_by_heads, _DsMapping) or 1 not in norms_by_heads or len(norms_by_heads) < 2:
        raise ValueError("plot_heads_on_top: norms_by_heads must map 1 and at least one other head count to norms")
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    labelled = {f"{_ds_heads_label(n)}: ×{fitted_decay_per_layer(g):.3f} per layer": g
                for n, g in norms_by_heads.items()}
    _ds_plot_layer_norms(labelled, ax=left, title="Gradient reaching each trunk layer (fit: factor per layer)")
    base = np.asarray(norms_by_heads[1], dtype=float)
    layers = np.arange(1, base.size + 1)
    low, high = left.get_ylim()
    half_span = np.sqrt(high / low)
    ratios = []
    for index, (count, norms) in enumerate(norms_by_heads.items()):
        if count == 1:
            continue
        ratio = np.asarray(norms, dtype=float) / base
        ratios.append(ratio)
        right.plot(layers, ratio, markersize=4, label=f"{_ds_heads_label(count)} ÷ 1 head: {ratio.min():.2g} to "
                   f"{ratio.max():.2g}", **_ds_style(index))
    right.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2, label="1 (no change)")
    right.set_yscale("log")
    centre = np.sqrt(np.nanmax(ratios) * np.nanmin(ratios))
    right.set_ylim(centre / half_span, centre * half_span)
    plain_log_ticks(right.yaxis, step=max(1, int(np.ceil(np.log10(high / low) / 6))))
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("layer l (1 = next to the input)")
    right.set_ylabel("ratio of gradient norms (log scale)")
    right.set_title("Ratio to 1 head (as many decades as the left panel)", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11)
    return fig


# ---- sections 2-4: deep supervision on two moons ---------------------------------------------------------

@_ds_functools.lru_cache(maxsize=2)
def deep_supervision_data(seed: int = 0) -> tuple:
    """The deep-supervision training set: X (128, 2), y (128,) two moons (noise 0.1), read-only."""
    X, y = _ds_datasets.make_moons(DEEP_SUPERVISION_SETTINGS["n_points"], noise=DEEP_SUPERVISION_SETTINGS["noise"],
                                   rng=np.random.default_rng(seed))
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _ds_check_attach_depth(attach_depth) -> int:
    depth = DEEP_SUPERVISION_SETTINGS["depth"]
    if isinstance(attach_depth, bool) or not isinstance(attach_depth, (int, np.integer)):
        raise ValueError(f"The attach depth must be a whole number of layers (0 = no auxiliary head), "
                         f"got {attach_depth!r}.")
    if not 0 <= attach_depth <= depth:
        raise ValueError(f"The auxiliary head can read the trunk after layer 1 to {depth} (0 = no auxiliary "
                         f"head), got {attach_depth}.")
    return int(attach_depth)


def _ds_check_aux_weight(aux_weight) -> float:
    if isinstance(aux_weight, bool) or not isinstance(aux_weight, (int, float, np.number)) \
            or not np.isfinite(aux_weight) or aux_weight <= 0:
        raise ValueError(f"The auxiliary weight must be a positive number, got {aux_weight!r}; to switch the "
                         "auxiliary head off, set the attach depth to 0.")
    return float(aux_weight)


def _ds_check_optimizer(optimizer) -> str:
    if optimizer not in DEEP_SUPERVISION_OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of {list(DEEP_SUPERVISION_OPTIMIZERS)}.")
    return optimizer


def deep_supervision_net(attach_depth: int, seed: int | None = None):
    """A `multitask.DeepSupervisionNet` [2 → 12 sigmoid layers of 32 → 2 logits] with Xavier init, and
    an auxiliary head (2 logits, the same two-moons label) reading the trunk after layer `attach_depth`
    (0: no auxiliary head). The trunk and the main head come first from the seed, so every attach
    depth gets the same trunk and main head."""
    attach_depth = _ds_check_attach_depth(attach_depth)
    settings = DEEP_SUPERVISION_SETTINGS
    seed = settings["net_seed"] if seed is None else seed
    attach = () if attach_depth == 0 else (attach_depth,)
    return _ds_multitask.DeepSupervisionNet(2, settings["depth"], settings["width"], n_outputs=2,
                                            attach_depths=attach, activation="sigmoid", init="xavier_normal",
                                            rng=np.random.default_rng(seed))


def deep_supervision_loss(main_weight: float = 1.0, aux_weight: float = 1.0):
    """The loss function (outputs, y) -> main_weight·CE(main, y) + aux_weight·Σ CE(aux, y), for
    `probes.gradient_norms_by_layer`, which hands a DeepSupervisionNet's list of head outputs to it.
    A weight of 0 leaves that part out (its gradient is then exactly 0)."""
    def loss(outputs, y):
        total = None
        for weight, output in zip([main_weight] + [aux_weight] * (len(outputs) - 1), outputs):
            if weight == 0:
                continue
            term = _ds_F.cross_entropy(output, y) * float(weight)
            total = term if total is None else total + term
        if total is None:
            raise ValueError("deep_supervision_loss: every head has weight 0; nothing to differentiate")
        return total
    return loss


class HeadGradients(_DsNamedTuple):
    """Per-layer gradient norms of the trunk at initialisation, each (L,) with layer 1 first.

    main: from the main head alone (L_main); aux: from the weighted auxiliary head alone
    (w·L_aux; zeros above the attach depth, and everywhere without an auxiliary head);
    total: from L_main + w·L_aux, what training uses. kind: "pre_activation" (‖∂L/∂z_l‖) or
    "weight" (‖∂L/∂W_l‖).
    """

    main: np.ndarray
    aux: np.ndarray
    total: np.ndarray
    kind: str


def head_gradient_norms(attach_depth: int, aux_weight: float = 1.0, kind: str = "pre_activation",
                        seed: int | None = None) -> HeadGradients:
    """Split the trunk's per-layer gradient norms at initialisation into the main and auxiliary heads'
    parts (three passes of `probes.gradient_norms_by_layer`). Results are cached and read-only."""
    attach_depth = _ds_check_attach_depth(attach_depth)
    aux_weight = _ds_check_aux_weight(aux_weight)
    if kind not in ("pre_activation", "weight"):
        raise ValueError(f"head_gradient_norms: kind must be 'pre_activation' or 'weight', got {kind!r}")
    seed = DEEP_SUPERVISION_SETTINGS["net_seed"] if seed is None else int(seed)
    return _head_gradient_norms_cached(attach_depth, aux_weight, kind, seed)


@_ds_functools.lru_cache(maxsize=256)
def _head_gradient_norms_cached(attach_depth, aux_weight, kind, seed) -> HeadGradients:
    X, y = deep_supervision_data(DEEP_SUPERVISION_SETTINGS["data_seed"])
    net = deep_supervision_net(attach_depth, seed)
    main = _ds_probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(1.0, 0.0), kind=kind)
    if attach_depth == 0:
        aux, total = np.zeros_like(main), main.copy()
    else:
        aux = _ds_probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(0.0, aux_weight), kind=kind)
        total = _ds_probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(1.0, aux_weight), kind=kind)
    for array in (main, aux, total):
        array.setflags(write=False)
    return HeadGradients(main=main, aux=aux, total=total, kind=kind)


def plot_attach_depth_sweep(profiles: _DsMapping, attach_depths, measured_lift, predicted_lift,
                            title: str = "Deep supervision: an auxiliary head part-way up the trunk") -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer for a few attach depths (log). Right: the gradient at layer 1
    with the auxiliary head divided by the gradient without it, against the attach depth k (log),
    measured (markers) and predicted (line).

    profiles: {label: (L,) norms}, all of one depth L; attach_depths, measured_lift, predicted_lift: (K,) each.
    """
    depths = np.asarray(attach_depths, dtype=float)
    measured = np.asarray(measured_lift, dtype=float)
    predicted = np.asarray(predicted_lift, dtype=float)
    if not (depths.ndim == measured.ndim == predicted.ndim == 1 and depths.size == measured.size == predicted.size):
        raise ValueError(f"plot_attach_depth_sweep: attach_depths, measured_lift and predicted_lift must be 1-D of "
                         f"one length, got shapes {depths.shape}, {measured.shape}, {predicted.shape}")
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    _ds_plot_layer_norms(dict(profiles), ax=left, title="Gradient reaching each trunk layer, at initialisation")
    depth = len(next(iter(profiles.values())))
    right.plot(depths, predicted, color="0.35", linestyle="--", linewidth=1.5,
               label=f"predicted: (factor per layer)^−({depth} − k)")
    right.plot(depths, measured, linestyle="none", markersize=6, label="measured", **{
        k: v for k, v in _ds_style(0).items() if k != "linestyle"})
    right.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
    right.set_yscale("log")
    plain_log_ticks(right.yaxis, step=2)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("attach depth k (auxiliary head reads layer k)")
    right.set_ylabel("lift at layer 1 (log scale)")
    right.set_title("Lift of layer 1's gradient by the auxiliary head", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11)
    return fig


@_ds_dataclass(frozen=True)
class DeepSupervisionRun:
    """One deep-supervision configuration, trained on two moons (full batch).

    steps: (S,) recorded steps, the last one = the number of steps (the trained model).
    main_loss, aux_loss: (S,) training cross-entropy of the main and the auxiliary head at those steps
        (aux_loss is None without an auxiliary head); inf/NaN at the end if the run diverged.
    main_accuracy, aux_accuracy: training accuracy of each head after training (NaN if it diverged;
        aux_accuracy None without an auxiliary head).
    spread_before, spread_after: (L,) how much each trunk layer's output h_l varies across the inputs
        (the std over examples, averaged over units), before and after training. A layer whose spread
        is near 0 gives (almost) the same output for every input: nothing above it can tell inputs apart.
    diverged_at: the step where the loss became inf/NaN, else None.
    """

    steps: np.ndarray
    main_loss: np.ndarray
    aux_loss: np.ndarray | None
    main_accuracy: float
    aux_accuracy: float | None
    spread_before: np.ndarray
    spread_after: np.ndarray
    diverged_at: int | None


def _ds_input_spread(net, X) -> np.ndarray:
    with _ds_no_grad():
        trace = net.forward_trace(X)
    return np.array([h.data.std(axis=0).mean() for h in trace.activations])


def deep_supervision_run(attach_depth: int, aux_weight: float = 1.0, optimizer: str = "sgd",
                         seed: int | None = None) -> DeepSupervisionRun:
    """Train `deep_supervision_net(attach_depth, seed)` on `deep_supervision_data()` with the joint loss
    CE(main) + aux_weight·CE(aux) (`train.fit_multitask` with fixed task weights) for
    DEEP_SUPERVISION_SETTINGS["steps"] full-batch steps of `optimizer` ("sgd": SGD with momentum 0.9,
    lr 0.3; "adam": Adam, lr 0.01). Deterministic, so results are cached: a setting seen before comes back
    at once (the explorer relies on this). With attach_depth = 0 the weight is ignored.
    """
    attach_depth = _ds_check_attach_depth(attach_depth)
    aux_weight = 1.0 if attach_depth == 0 else _ds_check_aux_weight(aux_weight)
    optimizer = _ds_check_optimizer(optimizer)
    seed = DEEP_SUPERVISION_SETTINGS["net_seed"] if seed is None else int(seed)
    return _deep_supervision_run_cached(attach_depth, aux_weight, optimizer, seed)


@_ds_functools.lru_cache(maxsize=512)
def _deep_supervision_run_cached(attach_depth, aux_weight, optimizer, seed) -> DeepSupervisionRun:
    settings = DEEP_SUPERVISION_SETTINGS
    X, y = deep_supervision_data(settings["data_seed"])
    net = deep_supervision_net(attach_depth, seed)
    spread_before = _ds_input_spread(net, X)
    lr = settings["lr"][optimizer]
    opt = (_ds_optim.SGD(net.parameters(), lr=lr, momentum=settings["momentum"]) if optimizer == "sgd"
           else _ds_optim.Adam(net.parameters(), lr=lr))
    n_heads = net.n_tasks
    try:
        history = _ds_train.fit_multitask(net, X, [y] * n_heads, ["cross_entropy"] * n_heads,
                                          task_weights=[1.0] + [aux_weight] * (n_heads - 1), optimizer=opt,
                                          steps=settings["steps"], record_every=settings["record_every"],
                                          progress=False)
        steps, losses, diverged_at = list(history.steps), [list(v) for v in history.task_losses], None
        with _ds_no_grad():
            outputs = net(X)
            final = [float(_ds_F.cross_entropy(out, y).data) for out in outputs]
            accuracies = [_ds_train.accuracy(out.data, y) for out in outputs]
        steps.append(settings["steps"])
        losses.append(final)
    except _ds_train.TrainingDiverged as error:
        steps, losses = list(error.history.steps), [list(v) for v in error.history.task_losses]
        if not steps or steps[-1] != error.step:
            steps.append(error.step)
            losses.append([float("nan")] * n_heads)
        diverged_at, accuracies = error.step, [float("nan")] * n_heads
    losses = np.asarray(losses, dtype=float)
    arrays = {"steps": np.asarray(steps), "main": losses[:, 0].copy(),
              "aux": losses[:, 1].copy() if n_heads > 1 else None, "after": _ds_input_spread(net, X)}
    for array in list(arrays.values()) + [spread_before]:
        if array is not None:
            array.setflags(write=False)
    return DeepSupervisionRun(steps=arrays["steps"], main_loss=arrays["main"], aux_loss=arrays["aux"],
                              main_accuracy=float(accuracies[0]),
                              aux_accuracy=float(accuracies[1]) if n_heads > 1 else None,
                              spread_before=spread_before, spread_after=arrays["after"], diverged_at=diverged_at)


def _ds_describe_setting(attach_depth: int, aux_weight: float) -> str:
    return "no auxiliary head" if attach_depth == 0 else f"aux head after layer {attach_depth}, weight {aux_weight:g}"


def plot_deep_supervision(gradients: HeadGradients, baseline: DeepSupervisionRun, run: DeepSupervisionRun,
                          attach_depth: int, aux_weight: float, optimizer: str) -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer at initialisation without and with the auxiliary head (log).
    Right: the main head's training loss without and with it, and the auxiliary head's own loss."""
    fig, (left, right) = new_figure((10.5, 4.2), ncols=2, margins=(0.075, 0.985, 0.24, 0.86))
    depth = gradients.main.size
    layers = np.arange(1, depth + 1)
    with_aux = attach_depth > 0
    left.plot(layers, gradients.main, markersize=4, label="no auxiliary head", **_ds_style(0))
    if with_aux:
        left.plot(layers, gradients.total, markersize=4, label=f"with aux head (w = {aux_weight:g})", **_ds_style(1))
        left.axvline(attach_depth, color="0.5", linestyle=":", linewidth=1.2)
        lift = gradients.total[0] / gradients.main[0]
        left_title = f"Gradient at initialisation: layer 1 lifted ×{lift:.2g}"
    else:
        left_title = "Gradient at initialisation (no auxiliary head)"
    _ds_log_axis(left, np.concatenate([gradients.main, gradients.total]))
    left.set_ylim(top=left.get_ylim()[1] * 3)  # headroom: the peak at the attach depth can sit on a decade
    left.set_xlabel("trunk layer l (1 = next to the input; dotted: attach depth)")
    left.set_ylabel("‖∂L/∂z_l‖ (log scale)")
    left.set_title(left_title, y=1.0, fontsize=10)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.grid(True, alpha=0.3)

    def label(prefix, loss, accuracy):
        end = "diverged" if not np.isfinite(loss[-1]) else f"ends at {loss[-1]:.2f}, accuracy {accuracy:.0%}"
        return f"{prefix} ({end})"

    right.plot(baseline.steps, baseline.main_loss, markersize=4, markevery=4,
               label=label("main task, no auxiliary head", baseline.main_loss, baseline.main_accuracy),
               **_ds_style(0))
    if with_aux:
        right.plot(run.steps, run.main_loss, markersize=4, markevery=4,
                   label=label("main task, with aux head", run.main_loss, run.main_accuracy), **_ds_style(1))
        right.plot(run.steps, run.aux_loss, markersize=4, markevery=4, color=_ds_style(2)["color"],
                   linestyle=":", marker=_ds_style(2)["marker"],
                   label=label("the aux head's own loss", run.aux_loss, run.aux_accuracy))
    # In the legend rather than as text on the line: the flat main-task curves lie on it.
    right.axhline(_DS_CHANCE_LOSS, color="0.4", linestyle=(0, (1, 3)), linewidth=1.0,
                  label="log 2 ≈ 0.693: the loss of a 50 : 50 guess")
    finite = [v for r in (baseline, run) for v in (r.main_loss, r.aux_loss) if v is not None]
    top = max(1.0, float(np.nanmax(np.where(np.isfinite(np.concatenate(finite)), np.concatenate(finite), 0))) * 1.05)
    right.set_ylim(0.0, min(top, 3.0))
    right.set_xlabel(f"training step ({DEEP_SUPERVISION_OPTIMIZERS[optimizer]}, full batch)")
    right.set_ylabel("training cross-entropy")
    right.set_title("Learning curves", y=1.0, fontsize=10)
    right.grid(True, alpha=0.3)
    left.legend(fontsize=8, loc="lower right")  # the lines rise to the upper left; this corner stays empty
    handles, labels = right.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), fontsize=8, frameon=False,
               ncols=2)
    fig.suptitle(f"{DEEP_SUPERVISION_SETTINGS['depth']} sigmoid layers, two moons: "
                 f"{_ds_describe_setting(attach_depth, aux_weight)}, {DEEP_SUPERVISION_OPTIMIZERS[optimizer]}",
                 fontsize=10.5)
    return fig


def deep_supervision_explorer_update(attach_depth: int = 4, aux_weight: float = 1.0, optimizer: str = "sgd",
                                     progress=None) -> Figure:
    """Lesson 08: the trunk's gradient at initialisation and the learning curves, without and with an
    auxiliary head after layer `attach_depth` (0 = none) weighted `aux_weight`.

    progress: optional callable(done, total), told after each of the two runs (a new setting trains
    live, about half a second; settings seen before are cached).
    """
    attach_depth = _ds_check_attach_depth(attach_depth)
    aux_weight = _ds_check_aux_weight(aux_weight)
    optimizer = _ds_check_optimizer(optimizer)
    gradients = head_gradient_norms(attach_depth, aux_weight)
    runs = []
    for done, depth in enumerate((0, attach_depth), start=1):
        runs.append(deep_supervision_run(depth, aux_weight, optimizer))
        if progress is not None:
            progress(done, 2)
    return plot_deep_supervision(gradients, runs[0], runs[1], attach_depth, aux_weight, optimizer)


def deep_supervision_explorer(**initial) -> Explorer:
    """Attach depth, auxiliary weight and optimizer → gradient per layer and learning curves."""
    values = initial_values("deep_supervision", initial)
    if values["aux_weight"] not in DEEP_SUPERVISION_WEIGHTS:
        raise ValueError(f"deep_supervision explorer: aux_weight must be one of {list(DEEP_SUPERVISION_WEIGHTS)}, "
                         f"got {values['aux_weight']!r}")
    controls = {
        "attach_depth": int_slider("aux head after layer (0 = none)", values["attach_depth"], 0,
                                   DEEP_SUPERVISION_SETTINGS["depth"]),
        "aux_weight": widgets.SelectionSlider(options=list(DEEP_SUPERVISION_WEIGHTS), value=values["aux_weight"],
                                              description="aux weight w", continuous_update=False,
                                              style=_control_style()),
        "optimizer": dropdown("optimizer", [(label, key) for key, label in DEEP_SUPERVISION_OPTIMIZERS.items()],
                              values["optimizer"]),
    }
    return Explorer(deep_supervision_explorer_update, controls,
                    title="Deep supervision explorer: does an auxiliary head rescue a deep sigmoid net?",
                    help_text="Left: the gradient reaching each trunk layer before training. Right: the main "
                              "task's training loss, without and with the auxiliary head. A new setting trains "
                              "a small net live (under a second); settings seen before come back at once.",
                    reports_progress=True)


register_explorer("deep_supervision", deep_supervision_explorer_update,
                  {"attach_depth": 4, "aux_weight": 1.0, "optimizer": "sgd"}, deep_supervision_explorer)


def plot_seed_study(final_losses: _DsMapping, title: str) -> Figure:
    """One column per configuration, one marker per seed: the main task's loss after training.

    final_losses: {label: (n_seeds,) losses}. The dotted line is log 2, a 50 : 50 guess: a run at it
    never left the plateau.
    """
    if not isinstance(final_losses, _DsMapping) or not final_losses:
        raise ValueError("plot_seed_study: final_losses must be a non-empty dict label -> losses")
    fig, ax = new_figure((7.5, 3.8), margins=(0.1, 0.98, 0.2, 0.88))
    for index, (label, losses) in enumerate(final_losses.items()):
        losses = np.asarray(losses, dtype=float)
        offsets = np.linspace(-0.15, 0.15, losses.size) if losses.size > 1 else np.zeros(1)
        style = _ds_style(index)
        ax.plot(index + offsets, losses, linestyle="none", marker=style["marker"], color=style["color"],
                markersize=7, markeredgecolor="black", markeredgewidth=0.5)
        escaped = int(np.sum(losses < _DS_CHANCE_LOSS - 0.05))
        ax.text(index, 0.02, f"{escaped} of {losses.size} left\nthe plateau", ha="center", va="bottom", fontsize=8.5)
    ax.axhline(_DS_CHANCE_LOSS, color="0.4", linestyle=":", linewidth=1.2)
    ax.text(len(final_losses) - 0.5, _DS_CHANCE_LOSS, "log 2 ", ha="right", va="bottom", fontsize=8, color="0.35")
    ax.set_xticks(range(len(final_losses)), list(final_losses), fontsize=9)
    ax.set_xlim(-0.5, len(final_losses) - 0.5)
    ax.set_ylim(0.0, 0.8)
    ax.set_ylabel("main-task loss after training")
    ax.set_xlabel("configuration (one marker per random seed of the network)")
    ax.set_title(title, y=1.0, fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def plot_task_gradient_imbalance(per_layer: _DsMapping, steps, norms_over_training: _DsMapping, attach_depth: int,
                                 title: str) -> Figure:
    """Left: ‖∂L_t/∂W_l‖ per trunk layer for each task at initialisation (log). Right: each task's gradient
    norm on the whole shared trunk over training (log), as `probes.TaskGradientRecorder` measured it.

    per_layer: {label: (L,)}; steps: (S,); norms_over_training: {label: (S,)}.
    """
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    _ds_plot_layer_norms(dict(per_layer), ax=left, title="Per trunk layer, at initialisation",
                         ylabel="‖∂L_t/∂W_l‖ (log scale)")
    left.axvline(attach_depth, color="0.5", linestyle=":", linewidth=1.2)
    steps = np.asarray(steps, dtype=float)
    for index, (label, norms) in enumerate(norms_over_training.items()):
        right.plot(steps, np.asarray(norms, dtype=float), markersize=4, markevery=max(1, steps.size // 10),
                   label=label, **_ds_style(index))
    _ds_log_axis(right, np.concatenate([np.asarray(v, dtype=float) for v in norms_over_training.values()]))
    right.set_xlabel("training step")
    right.set_ylabel("gradient norm on the shared trunk (log scale)")
    right.set_title("On the whole shared trunk, during training", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig


# ---- lesson 10: the capstone: three penguin tasks, balancers, Δm% and gradient conflict ---------------
# The runs themselves live in `capstone` (below this file and the exercises); this section draws them.

from . import capstone as _capstone  # noqa: E402
from . import datasets as _datasets10  # noqa: E402
from .plots import category_style as _style10  # noqa: E402

__all__ += [
    "CAPSTONE_DEFAULTS", "plot_penguins", "plot_trunk_gradient_norms", "plot_gradient_conflict", "plot_delta_m_two_ways",
    "plot_capstone",
    "capstone_explorer_update", "capstone_explorer",
]

CAPSTONE_DEFAULTS = {"branch_depth": 2, "method": "equal"}
_CAPSTONE_TASKS = _capstone.CAPSTONE_TASKS
_CAPSTONE_METHODS = _capstone.CAPSTONE_METHODS


def plot_penguins(title: str = "Palmer penguins: what the three tasks look like") -> Figure:
    """Left: bill length against bill depth, by species. Right: flipper length against body mass, by
    sex. Every penguin of `datasets.load_penguins()` (333 after dropping rows with missing values)."""
    penguins = _datasets10.load_penguins()
    fig, (left, right) = new_figure((10.5, 4.1), ncols=2, margins=(0.07, 0.985, 0.13, 0.86))
    for code, name in enumerate(penguins.species_names):
        chosen = penguins.species == code
        style = _style10(code)
        left.plot(penguins.features[chosen, 0], penguins.features[chosen, 1], linestyle="none",
                  marker=style["marker"], color=style["color"], markersize=4.5, alpha=0.75,
                  markeredgecolor="black", markeredgewidth=0.3, label=f"{name} ({int(chosen.sum())})")
    for code, name in enumerate(penguins.sex_names):
        chosen = penguins.sex == code
        style = _style10(code + 3)
        right.plot(penguins.features[chosen, 2], penguins.body_mass_g[chosen], linestyle="none",
                   marker=style["marker"], color=style["color"], markersize=4.5, alpha=0.75,
                   markeredgecolor="black", markeredgewidth=0.3, label=f"{name} ({int(chosen.sum())})")
    left.set_xlabel("bill length (mm)")
    left.set_ylabel("bill depth (mm)")
    left.set_title("Species: bill shape separates them", y=1.0, fontsize=10)
    right.set_xlabel("flipper length (mm)")
    right.set_ylabel("body mass (g)")
    right.set_title("Body mass grows with flipper length; males are heavier", y=1.0, fontsize=10)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8.5, loc="upper left" if ax is right else "lower left", framealpha=0.9)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_trunk_gradient_norms(runs: dict, title: str = "Each task's gradient on the shared trunk") -> Figure:
    """One panel per run: ‖∂L_t/∂θ_shared‖ of each task over training, one log range for all panels.
    runs: {label: CapstoneRun} with branch_depth >= 1."""
    if not isinstance(runs, dict) or not runs:
        raise ValueError("plot_trunk_gradient_norms: runs must be a non-empty dict label -> CapstoneRun")
    if any(run.gradient_norms.size == 0 for run in runs.values()):
        raise ValueError("plot_trunk_gradient_norms: a run with branch_depth 0 has no shared trunk to measure")
    fig, axes = new_figure((4.6 * len(runs), 3.8), ncols=len(runs), margins=(0.08, 0.985, 0.14, 0.8))
    axes = np.atleast_1d(axes)
    positive = np.concatenate([r.gradient_norms[r.gradient_norms > 0] for r in runs.values()])
    for ax, (label, run) in zip(axes, runs.items()):
        for t, name in enumerate(_CAPSTONE_TASKS):
            ax.plot(run.gradient_steps, run.gradient_norms[:, t], markevery=5, markersize=4, linewidth=1.8,
                    label=name, **_style10(t))
        ax.set_yscale("log")
        ax.set_ylim(positive.min() / 3, positive.max() * 3)
        plain_log_ticks(ax.yaxis, step=2)
        ax.set_xlabel("training step")
        ax.set_ylabel("‖∂L_t/∂θ_trunk‖ (log scale)")
        ax.set_title(label, y=1.0, fontsize=10)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8, loc="upper right", framealpha=0.9)
    fig.suptitle(title, fontsize=11)
    return fig


_PAIRS10 = ((0, 1), (0, 2), (1, 2))


def plot_gradient_conflict(runs_by_method: dict, cosine_method: str = "equal",
                           title: str = "Do the three tasks pull the shared trunk apart?") -> Figure:
    """Left: the cosine between each pair of task gradients on the shared trunk over training for
    `cosine_method` (line: mean over seeds; band: lowest to highest seed). Right: the fraction of the
    three pairs with a negative cosine (conflicting gradients), mean over seeds, for each method.

    runs_by_method: {method: [CapstoneRun per seed]}, all with branch_depth >= 1.
    """
    if not isinstance(runs_by_method, dict) or not runs_by_method:
        raise ValueError("plot_gradient_conflict: runs_by_method must be a non-empty dict method -> runs")
    if cosine_method not in runs_by_method:
        raise ValueError(f"plot_gradient_conflict: cosine_method {cosine_method!r} is not among {list(runs_by_method)}")
    fig, (left, right) = new_figure((10.8, 4.2), ncols=2, margins=(0.07, 0.985, 0.13, 0.86))
    runs = runs_by_method[cosine_method]
    steps = runs[0].gradient_steps
    for index, (a, b) in enumerate(_PAIRS10):
        values = np.array([run.cosines[:, a, b] for run in runs])  # (seeds, R)
        style = _style10(index + 6)
        left.fill_between(steps, values.min(axis=0), values.max(axis=0), color=style["color"], alpha=0.18,
                          linewidth=0)
        left.plot(steps, values.mean(axis=0), markevery=5, markersize=4, linewidth=1.8,
                  label=f"{_CAPSTONE_TASKS[a]} · {_CAPSTONE_TASKS[b]}", **style)
    left.axhline(0.0, color="black", linewidth=1.0)
    left.set_ylim(-1.05, 1.05)
    left.set_ylabel("cosine of the two task gradients")
    left.set_title(f"Pairwise cosines, {_CAPSTONE_METHODS.get(cosine_method, cosine_method)} "
                   f"({len(runs)} seeds)", y=1.0, fontsize=10)
    left.legend(fontsize=8.5, loc="lower right", framealpha=0.9)
    for index, (method, method_runs) in enumerate(runs_by_method.items()):
        fractions = np.array([(run.cosines[:, [p[0] for p in _PAIRS10], [p[1] for p in _PAIRS10]] < 0).mean(axis=1)
                              for run in method_runs])
        right.plot(method_runs[0].gradient_steps, fractions.mean(axis=0), linewidth=1.6, markevery=5, markersize=4,
                   label=_CAPSTONE_METHODS.get(method, method), **_style10(index))
    right.set_ylim(-0.03, 1.03)
    right.set_ylabel("fraction of task pairs in conflict (cos < 0)")
    right.set_title(f"Conflict fraction, mean over {len(runs)} seeds", y=1.0, fontsize=10)
    right.legend(fontsize=7.5, ncols=2, loc="lower right", framealpha=0.9)
    for ax in (left, right):
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_delta_m_two_ways(at_end: dict, early_stopped: dict,
                          title: str = "Δm% on the test set against the STL networks (lower is better)") -> Figure:
    """For each method two horizontal bars: Δm% of the trained networks (after the last step) and with
    early stopping chosen on validation (`capstone.early_stopped_metrics`, STL early-stopped too).
    Bars: mean over seeds; whiskers: ± 1 std; dots: the seeds.
    at_end, early_stopped: {method: (S,) per-seed Δm%}, the same methods in both."""
    if not isinstance(at_end, dict) or not at_end or set(at_end) != set(early_stopped):
        raise ValueError("plot_delta_m_two_ways: give two non-empty dicts method -> per-seed Δm% with the same methods")
    methods = list(at_end)
    fig, ax = new_figure((8.4, 5.0), margins=(0.17, 0.98, 0.11, 0.9))
    positions = np.arange(len(methods))[::-1].astype(float)
    for offset, values, name, index, hatch in ((0.19, at_end, "after 300 steps", 0, ""),
                                               (-0.19, early_stopped, "early-stopped on validation", 1, "//")):
        per_seed = [np.asarray(values[m], dtype=float) for m in methods]
        means = np.array([v.mean() for v in per_seed])
        spreads = np.array([v.std() for v in per_seed])
        colour = _style10(index)["color"]
        ax.barh(positions + offset, means, height=0.36, xerr=spreads, color=colour, hatch=hatch, edgecolor="black",
                linewidth=0.6, capsize=2.5, label=name, alpha=0.85)
        for y, v in zip(positions + offset, per_seed):
            ax.plot(v, np.full(v.size, y), linestyle="none", marker="o", markersize=3.2, color="black")
    ax.set_yticks(positions, [_CAPSTONE_METHODS.get(m, m) for m in methods])
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.set_xlabel("Δm% (negative = better than the single-task networks)")
    ax.set_title(title, y=1.0, fontsize=10.5)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower right", framealpha=0.9)
    return fig


def plot_capstone(scores: _capstone.CapstoneScores) -> Figure:
    """The explorer's figure: per-task validation curves of one setting against the STL networks
    (lines: mean over seeds; bands: lowest to highest seed), and the share of the total task weight
    each task got during training (seed of the first run)."""
    fig, axes = new_figure((12.6, 3.7), ncols=4, margins=(0.05, 0.99, 0.15, 0.8))
    label = _CAPSTONE_METHODS.get(scores.method, scores.method)
    method_curves = np.array([run.val_curves for run in scores.runs])  # (seeds, S, 3)
    stl_curves = np.array([run.val_curves for run in scores.stl_runs])
    steps = scores.runs[0].steps
    # Fixed limits and few ticks: the same axes for every setting, and tick labels are most of a redraw's cost.
    limits = ((0.3, 1.02), (0.45, 0.95), (250.0, 900.0))
    ticks = ((0.4, 0.6, 0.8, 1.0), (0.5, 0.7, 0.9), (300, 500, 700, 900))
    for t, ax in enumerate(axes[:3]):
        for curves, name, style in ((stl_curves, "STL (separate nets)", {"color": "0.25", "linestyle": "--"}),
                                    (method_curves, f"{label}, depth {scores.branch_depth}",
                                     {"color": _style10(0)["color"], "linestyle": "-"})):
            ax.fill_between(steps, curves[:, :, t].min(axis=0), curves[:, :, t].max(axis=0), color=style["color"],
                            alpha=0.15, linewidth=0)
            ax.plot(steps, curves[:, :, t].mean(axis=0), linewidth=1.8, label=name, **style)
        ax.set_ylim(*limits[t])
        ax.set_yticks(ticks[t])
        ax.set_xlabel("training step")
        arrow = " ↑" if _capstone.CAPSTONE_HIGHER_IS_BETTER[t] else " ↓"
        ax.set_title(_capstone.CAPSTONE_METRICS[t] + arrow, y=1.0, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation metric")
    axes[2].legend(fontsize=8, loc="upper right", framealpha=0.9)
    ax = axes[3]
    run = scores.runs[0]
    weights = np.asarray(run.weights, dtype=float)
    totals = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, totals, out=np.full_like(weights, np.nan), where=np.abs(totals) > 1e-12)
    for t, name in enumerate(_CAPSTONE_TASKS):
        ax.plot(run.weight_steps, shares[:, t], linewidth=1.6, markevery=5, markersize=4, label=name, **_style10(t))
    ax.axhline(1 / 3, color="0.5", linestyle=":", linewidth=1.0)
    ax.set_ylim(-0.05, 1.3)  # headroom above 1 keeps the legend off the lines
    ax.set_yticks((0.0, 0.5, 1.0))
    ax.set_xlabel("training step")
    ax.set_ylabel("w_t / Σ w")
    ax.set_title(f"Share of the task weight (seed {run.seed})", y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", ncols=3, handlelength=1.6, columnspacing=0.7, borderpad=0.3,
              framealpha=0.9)
    for ax in axes:
        ax.set_xticks((0, 100, 200, 300))
    delta = scores.delta_m
    fig.suptitle(f"{label}, branch depth {scores.branch_depth}: validation Δm% = {np.mean(delta):+.2f} ± "
                 f"{np.std(delta):.2f} over {len(delta)} seeds (lower is better): {_capstone.delta_m_verdict(delta)}", fontsize=11)
    return fig


def capstone_explorer_update(branch_depth: int = 2, method: str = "equal", progress=None) -> Figure:
    """Lesson 10: one balancer at one branch depth against the STL networks, on the validation set.
    Runs train on first use (about a second for three seeds) and are cached."""
    _capstone.check_capstone_setting(method, branch_depth)
    return plot_capstone(_capstone.capstone_scores(method, branch_depth, "validation", progress=progress))


def capstone_explorer(**initial) -> Explorer:
    """Branch depth and balancer → per-task validation curves against STL, Δm% and the task weights."""
    values = initial_values("capstone", initial)
    controls = {
        "branch_depth": int_slider("branch depth (shared layers)", values["branch_depth"], 0,
                                   len(_capstone.CAPSTONE["hidden_sizes"])),
        "method": dropdown("balancer", [(label, key) for key, label in _CAPSTONE_METHODS.items()], values["method"]),
    }
    return Explorer(capstone_explorer_update, controls,
                    title="Capstone explorer: which balancer and branch point, on three penguin tasks?",
                    help_text="Validation set only (the test set is for the final table). A setting not seen "
                              "before trains three seeds and their STL baselines first (about a second); "
                              "after that it comes back at once.",
                    reports_progress=True)


register_explorer("capstone", capstone_explorer_update, CAPSTONE_DEFAULTS, capstone_explorer)


# ---- lesson 09: why does MTL help at all? Caruana's mechanisms as experiments ---------------------------
# Imported here rather than at the top so that each lesson's section of this file reads on its own.
import functools as _functools09  # noqa: E402
from typing import NamedTuple as _NamedTuple09  # noqa: E402

from matplotlib.ticker import FixedLocator as _FixedLocator09  # noqa: E402
from matplotlib.ticker import MaxNLocator as _MaxNLocator09  # noqa: E402

from . import datasets as _datasets09  # noqa: E402
from . import multitask as _multitask09  # noqa: E402
from .plots import category_style as _style09  # noqa: E402

__all__ += [
    "MechanismSetup", "MECHANISMS", "MECHANISM_SIZES", "MECHANISM_SEEDS", "EXTRA_OUTPUT_FEATURE_NOISE",
    "MechanismData", "mechanism_data", "train_stl_and_mtl", "first_layer_weights", "input_weight_mass",
    "input_weight_share", "feature_alignment", "input_sensitivity_share", "mechanism_nets", "MechanismRuns",
    "mechanism_runs", "MECHANISMS_DEFAULTS", "EXTRA_OUTPUT_VARIANTS",
    "plot_mechanism", "mechanisms_explorer_update", "mechanisms_explorer", "stl_reference_errors",
    "effective_sample_size_from_curve", "plot_amplification", "plot_input_weight_mass", "plot_mechanism_diagnostic",
    "PARITY_EXTRA_TASKS", "ExtraTaskStudy", "parity_extra_task_study", "plot_extra_task_study",
    "ExtraOutputStudy", "extra_output_study", "plot_extra_output_study",
]


class MechanismSetup(_NamedTuple09):
    """One of Caruana's mechanisms as an experiment: a main task, what multi-task learning adds, the nets.

    label: the name shown in the explorer. main_task, extra_tasks: what STL and MTL are trained on, in
    words. n_tasks: tasks of the MTL net, the main task first. n_hidden: width of the one tanh hidden
    layer (shared by all tasks in MTL; the STL net has the same layer for the main task alone).
    steps, lr: full-batch Adam. metric: "rmse" (against the noiseless main target) or "error rate"
    (a wrong sign of the ±1 output). diagnostic: what `mechanism_runs` measures on the first layer
    besides the error (None for nothing), with its axis label.
    """

    label: str
    main_task: str
    extra_tasks: str
    n_tasks: int
    n_hidden: int
    steps: int
    lr: float
    metric: str
    diagnostic: str | None = None
    diagnostic_label: str = ""


#: The lesson's experiments: the mechanisms of Caruana 1997 (Machine Learning 28, "Multitask learning",
#: Section 3), his parity tasks, and Caruana & de Sa 1997 (NIPS 9, "Promoting poor features to supervisors").
#: tests/test_lesson09.py asserts the effects the lesson reports, with exactly these settings; change them
#: and the lesson's text must change too.
MECHANISMS = {
    "amplification": MechanismSetup(
        "statistical data amplification", "a noisy teacher function (noise std 0.5)",
        "3 more tasks: the same function, each with its own noise", 4, 2, 300, 0.02, "rmse"),
    "attribute_selection": MechanismSetup(
        "attribute selection", "a linear function of 2 of 32 inputs (noise std 0.3)",
        "3 more tasks: other linear functions of the same 2 inputs", 4, 2, 300, 0.02, "rmse",
        "relevant_share", "share of first-layer weight mass on the 2 relevant inputs"),
    "eavesdropping": MechanismSetup(
        "eavesdropping", "hard: |F| of a hidden feature F = w·x (noise std 0.3)",
        "1 more task: easy, tanh(1.5 F)", 2, 4, 300, 0.02, "rmse",
        "alignment", "share of first-layer weight energy along w"),
    "representation_bias": MechanismSetup(
        "representation bias", "tanh(1.5 z), z seen through two equally noisy copies A and B",
        "1 more task: sin(2·A), which needs copy A", 2, 2, 300, 0.02, "rmse",
        "copy_a_share", "share of the main output's input slope on copy A"),
    "parity": MechanismSetup(
        "parity tasks (Caruana's B1 OR Parity(B2..B6))", "b0 OR parity(b1..b5), 8 bits",
        "Caruana's 3 other tasks on the same parity", 4, 16, 500, 0.05, "error rate"),
    "extra_output": MechanismSetup(
        "an input used as an extra output", "a noisy teacher function (noise std 0.5), STL gets a noisy "
        "feature as an extra input", "the same noisy feature as an extra output instead", 2, 2, 300, 0.02, "rmse"),
}
MECHANISM_SIZES = (40, 80, 120, 160, 200)
MECHANISM_SEEDS = tuple(range(8))
#: Noise std of the feature in "extra_output", relative to the feature's own std of 1.
EXTRA_OUTPUT_FEATURE_NOISE = 0.5
_MECHANISM_TEST_SIZE = 1000
_AMPLIFICATION_POOL = 4 * max(MECHANISM_SIZES)  # enough for an STL reference with 4x the examples


class MechanismData(_NamedTuple09):
    """One seed's data for a mechanism, `n_train` training examples.

    X_train: (n, d) inputs of the MTL net. targets: (T, n) training targets, the main task first (±1
    for parity). X_test: (m, d). test_target: (m,) the main task's noiseless target (regression) or its
    0/1 label (parity). stl_X_train (n, d'), stl_X_test (m, d'): inputs of the STL net (the same arrays,
    except in "extra_output", where STL gets the feature as an extra input). info: what the diagnostics
    need (relevant inputs, the feature direction).
    """

    X_train: np.ndarray
    targets: np.ndarray
    X_test: np.ndarray
    test_target: np.ndarray
    stl_X_train: np.ndarray
    stl_X_test: np.ndarray
    info: dict


def _check_mechanism(mechanism) -> str:
    if not isinstance(mechanism, str) or mechanism not in MECHANISMS:
        raise ValueError(f"Unknown mechanism {mechanism!r}; choose one of {', '.join(MECHANISMS)}.")
    return mechanism


def _check_size09(n_train, sizes=MECHANISM_SIZES) -> int:
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or int(n_train) not in sizes:
        raise ValueError(f"The training-set size must be one of the computed sizes "
                         f"{', '.join(str(n) for n in sizes)}, got {n_train!r}.")
    return int(n_train)


def _check_count09(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _check_seed09(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) not in MECHANISM_SEEDS:
        raise ValueError(f"The seed must be a whole number from {MECHANISM_SEEDS[0]} to {MECHANISM_SEEDS[-1]}, "
                         f"got {seed!r}.")
    return int(seed)


def _tanh_unit_std(gain: float) -> float:
    """Std of tanh(gain·z) for z ~ N(0, 1), by Gauss–Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    values = np.tanh(gain * nodes)
    return float(np.sqrt(weights @ values**2 / weights.sum()))


@_functools09.lru_cache(maxsize=128)
def _mechanism_pool(mechanism: str, seed: int, feature_noise: float) -> MechanismData:
    """All of one seed's data: the largest training pool (the first rows are the training set of any
    smaller n, so the sets are nested) and the test set."""
    pool = max(MECHANISM_SIZES)
    info = {}
    if mechanism == "amplification":
        data = _datasets09.make_amplification_tasks(_AMPLIFICATION_POOL, rng=seed, n_tasks=4, noise=0.5)
        test = data.teacher.sample(_MECHANISM_TEST_SIZE, rng=seed + 1000)
        X, targets, X_test, test_target = data.X, np.stack(data.targets), test.X, test.clean_targets[0]
    elif mechanism == "parity":
        # All 256 patterns in random order: train on the first n, test on the patterns never trained on.
        data = _datasets09.make_parity_tasks(256, rng=seed)
        X, targets = data.X, 2.0 * np.stack(data.targets) - 1.0
        X_test, test_target = data.X, data.targets[0]
        info["task_names"] = data.task_names
    elif mechanism == "extra_output":
        rng = np.random.default_rng(seed)
        data = _datasets09.make_related_tasks(pool + _MECHANISM_TEST_SIZE, 1.0, rng=rng, n_tasks=1, noise=0.5)
        teacher = data.teacher
        # The feature: the teacher's first hidden unit, scaled to std 1, measured with noise.
        unit = np.tanh(teacher.gain * data.X @ teacher.task_weights[0, 0]) / _tanh_unit_std(teacher.gain)
        feature = unit + feature_noise * rng.standard_normal(unit.shape)
        with_feature = np.column_stack([data.X, feature])
        X_rest, extra_target = _datasets09.input_as_extra_output(with_feature, -1)
        X, targets = X_rest[:pool], np.stack([data.targets[0], extra_target])[:, :pool]
        X_test, test_target = X_rest[pool:], data.clean_targets[0][pool:]
        info["stl_X"] = with_feature[:pool]
        info["stl_X_test"] = with_feature[pool:]
    else:
        size = pool + _MECHANISM_TEST_SIZE
        if mechanism == "attribute_selection":
            data = _datasets09.make_attribute_selection_tasks(size, rng=seed)
            info["relevant"] = data.relevant_features
        elif mechanism == "eavesdropping":
            data = _datasets09.make_eavesdropping_tasks(size, rng=seed)
            info["direction"] = data.feature_direction
        else:
            data = _datasets09.make_representation_bias_tasks(size, rng=seed)
        X, targets = data.X[:pool], np.stack(data.targets)[:, :pool]
        X_test, test_target = data.X[pool:], data.clean_targets[0][pool:]
    for array in (X, targets, X_test, test_target):
        array.flags.writeable = False  # cached: a caller must not change what the next one reads
    return MechanismData(X, targets, X_test, test_target, info.pop("stl_X", X), info.pop("stl_X_test", X_test),
                         info)


def mechanism_data(mechanism: str, n_train: int, seed: int,
                   feature_noise: float = EXTRA_OUTPUT_FEATURE_NOISE) -> MechanismData:
    """The data of one mechanism's experiment for one seed, with the first n_train examples to train on.

    For every mechanism but parity the test set is 1000 fresh inputs scored against the noiseless main
    target; for parity it is every one of the 256 bit patterns not in the training set. feature_noise
    only matters for "extra_output". Training sets are nested: n = 80 holds the examples of n = 40.
    """
    mechanism = _check_mechanism(mechanism)
    limit = _AMPLIFICATION_POOL if mechanism == "amplification" else max(MECHANISM_SIZES)
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 1 <= n_train <= limit:
        raise ValueError(f"n_train must be a whole number from 1 to {limit} for {mechanism}, got {n_train!r}")
    pool = _mechanism_pool(mechanism, int(seed), float(feature_noise))
    n = int(n_train)
    if mechanism == "parity":
        return pool._replace(X_train=pool.X_train[:n], targets=pool.targets[:, :n], X_test=pool.X_test[n:],
                             test_target=pool.test_target[n:], stl_X_train=pool.X_train[:n],
                             stl_X_test=pool.X_test[n:])
    return pool._replace(X_train=pool.X_train[:n], targets=pool.targets[:, :n], stl_X_train=pool.stl_X_train[:n])


def train_stl_and_mtl(datasets, setup: MechanismSetup, seeds) -> tuple:
    """Train, for each seed r, a single-task net on the main task and a multi-task net on all tasks.

    datasets: one MechanismData per seed (same n). The STL net is HardSharingNet(d, [h], [main task],
    branch_depth=0); the MTL net is HardSharingNet(d, [h], [T tasks], branch_depth=1): one shared tanh
    layer, a linear head per task. With the same seed both start from the same first layer and the
    same main-task head, so the only difference is the extra tasks' training signal.
    Both train with full-batch Adam on the summed mean squared errors (`train_sharing_nets`).
    Returns (stl_nets, mtl_nets), lists of HardSharingNet.
    """
    stl_nets = [_multitask09.HardSharingNet(d.stl_X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for d, seed in zip(datasets, seeds)]
    mtl_nets = [_multitask09.HardSharingNet(d.X_train.shape[1], [setup.n_hidden], [1] * d.targets.shape[0],
                                            branch_depth=1, rng=seed) for d, seed in zip(datasets, seeds)]
    train_sharing_nets(stl_nets, np.stack([d.stl_X_train for d in datasets]),
                       np.stack([d.targets[:1] for d in datasets]), setup.steps, setup.lr)
    train_sharing_nets(mtl_nets, np.stack([d.X_train for d in datasets]), np.stack([d.targets for d in datasets]),
                       setup.steps, setup.lr)
    return stl_nets, mtl_nets


def _main_output(net, X) -> np.ndarray:
    with no_grad():
        return net(X)[0].data[:, 0]


def _main_task_error(net, X_test, test_target, metric: str) -> float:
    """Test RMSE against the noiseless target, or the error rate of the sign of a ±1 output."""
    output = _main_output(net, X_test)
    if metric == "error rate":
        return float(np.mean((output > 0) != (np.asarray(test_target) == 1)))
    return float(np.sqrt(np.mean((output - test_target) ** 2)))


def first_layer_weights(net) -> np.ndarray:
    """(d, h) the weights from the inputs to the first hidden layer: the shared layer of an MTL
    HardSharingNet, the main task's own first layer of an STL one (branch_depth = 0)."""
    layer = net.trunk.layers[0] if net.trunk is not None else net.towers[0].layers[0]
    return np.array(layer.weight.data)


def input_weight_mass(W) -> np.ndarray:
    """(d,) Σ_j |W_ij|: how strongly each input feeds the hidden layer, for W (d, h) (inputs as rows)."""
    return np.abs(np.asarray(W, dtype=float)).sum(axis=1)


def input_weight_share(W, relevant) -> float:
    """The share of a first layer's weight mass Σ|W_ij| that leaves the `relevant` inputs (rows of W (d, h)).

    At initialisation every input gets about the same mass, so the share is about len(relevant)/d.
    """
    mass = input_weight_mass(W)
    return float(mass[np.asarray(relevant, dtype=int)].sum() / mass.sum())


def feature_alignment(W, direction) -> float:
    """‖Wᵀw‖² / ‖W‖²: the share of a first layer's weight energy along the unit vector w (d,), for W (d, h).

    1 when every hidden unit reads only w·x; about 1/d for random weights.
    """
    W = np.asarray(W, dtype=float)
    direction = np.asarray(direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    return float(np.sum((direction @ W) ** 2) / np.sum(W**2))


def input_sensitivity_share(net, X, inputs=(0, 1)) -> float:
    """How much the main output relies on input a rather than input b, inputs = (a, b):
    mean|∂ŷ/∂x_a| / (mean|∂ŷ/∂x_a| + mean|∂ŷ/∂x_b|) over the rows of X (n, d). 0.5: both equally."""
    x = Tensor(np.asarray(X, dtype=float), requires_grad=True)
    net(x)[0].sum().backward()  # rows are independent, so row i of x.grad is ∂ŷ_i/∂x_i
    slope = np.abs(x.grad).mean(axis=0)
    a, b = inputs
    return float(slope[a] / (slope[a] + slope[b]))


def _diagnostic(kind: str | None, net, data: MechanismData) -> float:
    if kind == "relevant_share":
        return input_weight_share(first_layer_weights(net), data.info["relevant"])
    if kind == "alignment":
        return feature_alignment(first_layer_weights(net), data.info["direction"])
    if kind == "copy_a_share":
        return input_sensitivity_share(net, data.X_test)
    return float("nan")


class _SizeRuns(_NamedTuple09):
    datasets: list
    stl_nets: list
    mtl_nets: list
    stl_error: np.ndarray
    mtl_error: np.ndarray
    stl_diagnostic: np.ndarray
    mtl_diagnostic: np.ndarray


@_functools09.lru_cache(maxsize=64)
def _size_runs(mechanism: str, n_train: int) -> _SizeRuns:
    setup = MECHANISMS[mechanism]
    datasets = [mechanism_data(mechanism, n_train, seed) for seed in MECHANISM_SEEDS]
    stl_nets, mtl_nets = train_stl_and_mtl(datasets, setup, MECHANISM_SEEDS)
    errors = np.array([[_main_task_error(net, getattr(d, inputs), d.test_target, setup.metric)
                        for net, d in zip(nets, datasets)]
                       for nets, inputs in ((stl_nets, "stl_X_test"), (mtl_nets, "X_test"))])
    diagnostics = np.array([[_diagnostic(setup.diagnostic, net, d) for net, d in zip(nets, datasets)]
                            for nets in (stl_nets, mtl_nets)])
    for array in (errors, diagnostics):
        array.flags.writeable = False
    return _SizeRuns(datasets, stl_nets, mtl_nets, errors[0], errors[1], diagnostics[0], diagnostics[1])


def mechanism_nets(mechanism: str, n_train: int, seed: int) -> tuple:
    """(stl_net, mtl_net, data): the two trained networks of one seed and size, and their MechanismData
    (from the same cache as `mechanism_runs`, so they are the nets behind its numbers)."""
    runs = _size_runs(_check_mechanism(mechanism), _check_size09(n_train))
    index = MECHANISM_SEEDS.index(_check_seed09(seed))
    return runs.stl_nets[index], runs.mtl_nets[index], runs.datasets[index]


class MechanismRuns(_NamedTuple09):
    """STL against MTL for one mechanism, at every size in MECHANISM_SIZES and seed in MECHANISM_SEEDS.

    stl_error, mtl_error: (K, S) the main task's test error (RMSE or error rate, see setup.metric).
    stl_diagnostic, mtl_diagnostic: (K, S) the setup's first-layer diagnostic (NaN when it has none).
    """

    mechanism: str
    setup: MechanismSetup
    sizes: np.ndarray
    seeds: np.ndarray
    stl_error: np.ndarray
    mtl_error: np.ndarray
    stl_diagnostic: np.ndarray
    mtl_diagnostic: np.ndarray


def mechanism_runs(mechanism: str, progress=None) -> MechanismRuns:
    """Train STL and MTL for every size and seed of one mechanism (cached: each size trains once per
    session, all seeds at once). progress: optional callable(done, total), told after each size."""
    mechanism = _check_mechanism(mechanism)
    runs = []
    for done, n_train in enumerate(MECHANISM_SIZES, start=1):
        runs.append(_size_runs(mechanism, n_train))
        if progress is not None:
            progress(done, len(MECHANISM_SIZES))
    field = lambda name: np.stack([getattr(r, name) for r in runs])  # noqa: E731
    return MechanismRuns(mechanism, MECHANISMS[mechanism], np.array(MECHANISM_SIZES), np.array(MECHANISM_SEEDS),
                         field("stl_error"), field("mtl_error"), field("stl_diagnostic"), field("mtl_diagnostic"))


def _error_label(setup: MechanismSetup) -> str:
    if setup.metric == "error rate":
        return "main task: test error rate (lower is better)"
    return "main task: test RMSE (lower is better)"


def _size_axis(ax, sizes) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(_FixedLocator09(list(sizes)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(sizes[0] / 1.15, sizes[-1] * 1.15)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# (label, colour index, marker, line style) of the two models in every lesson-09 figure
_MODEL_STYLES09 = (("STL (main task alone)", 0, "o", "-"), ("MTL (shared hidden layer)", 1, "s", "--"))


def plot_mechanism(runs: MechanismRuns, n_train: int, seed: int) -> Figure:
    """Left: the main task's test error of STL and MTL against the training-set size (lines: median over
    the seeds; small markers: single seeds; large open markers: the chosen seed).
    Right: at the chosen size, each seed's STL and MTL errors joined by a line (the chosen seed in black)."""
    index = list(runs.sizes).index(n_train)
    seed_index = list(runs.seeds).index(seed)
    n_seeds = runs.seeds.size
    fig, (left, right) = new_figure((10.0, 4.3), ncols=2, margins=(0.075, 0.985, 0.12, 0.8))
    fig.suptitle(f"{_capitalised(runs.setup.label)}: main task = {runs.setup.main_task};\n"
                 f"MTL adds {runs.setup.extra_tasks}", fontsize=10, y=0.985)
    jitter = np.linspace(-0.04, 0.04, n_seeds)
    for label, colour_index, marker, linestyle in _MODEL_STYLES09:
        errors = runs.stl_error if colour_index == 0 else runs.mtl_error
        colour = _style09(colour_index)["color"]
        left.plot(runs.sizes, np.median(errors, axis=1), color=colour, marker=marker, linestyle=linestyle,
                  linewidth=2, markersize=6, label=f"{label}, median")
        left.scatter((runs.sizes[:, None] * np.exp(jitter)[None]).ravel(), errors.ravel(), s=8, color=colour,
                     alpha=0.35, marker=marker, linewidths=0)
        left.plot(runs.sizes, errors[:, seed_index], color=colour, marker=marker, markerfacecolor="none",
                  markersize=9, linestyle="none", markeredgewidth=1.5)
    left.axvline(n_train, color="0.5", linestyle=":", linewidth=1.2)
    baseline, baseline_text = (0.25, "always answering 1") if runs.setup.metric == "error rate" \
        else (1.0, "always predicting 0")
    left.axhline(baseline, color="0.3", linestyle="-.", linewidth=1.0)
    left.text(runs.sizes[-1] * 1.1, baseline, baseline_text, fontsize=8, color="0.3", va="bottom", ha="right")
    # Few ticks: every tick label is a text to lay out, and this figure is redrawn on each slider move.
    left.yaxis.set_major_locator(_MaxNLocator09(5))
    _size_axis(left, runs.sizes)
    left.set_xlabel("training examples per task (log scale)")
    left.set_ylabel(_error_label(runs.setup))
    left.set_title(f"Median of {n_seeds} seeds; open markers: seed {seed}", y=1.0, fontsize=10)
    left.legend(fontsize=8, loc="upper right")
    left.grid(True, alpha=0.3)

    stl, mtl = runs.stl_error[index], runs.mtl_error[index]
    for r in range(n_seeds):
        chosen = r == seed_index
        better = mtl[r] < stl[r]
        right.plot([0, 1], [stl[r], mtl[r]], color="black" if chosen else "0.6", linewidth=2.4 if chosen else 1.0,
                   linestyle="-" if better else "--", marker="o", markersize=5 if chosen else 3, zorder=3 if chosen else 2)
    wins, losses = int(np.sum(mtl < stl)), int(np.sum(mtl > stl))
    right.set_xticks([0, 1], ["STL", "MTL"])
    right.set_xlim(-0.35, 1.35)
    top = float(max(stl.max(), mtl.max()))
    bottom = float(min(stl.min(), mtl.min()))
    pad = 0.08 * max(top - bottom, 0.02)
    right.set_ylim(max(0.0, bottom - pad), top + pad)
    right.yaxis.set_major_locator(_MaxNLocator09(5))
    right.set_ylabel(_error_label(runs.setup))
    right.set_title(f"n = {n_train}: MTL better in {wins} of {n_seeds} seeds, worse in {losses}\n"
                    f"(solid: MTL better, dashed: not; black: seed {seed})", y=1.0, fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    return fig


def mechanisms_explorer_update(mechanism: str = "amplification", n_train: int = 80, seed: int = 0,
                               progress=None) -> Figure:
    """Lesson 09: the main task's test error, single-task against multi-task, for one of Caruana's
    mechanisms, over the training-set sizes and seeds; n_train and seed pick what is highlighted.
    A mechanism trains once per session (about a second), then it is read from memory."""
    mechanism = _check_mechanism(mechanism)
    n_train = _check_size09(n_train)
    seed = _check_seed09(seed)
    return plot_mechanism(mechanism_runs(mechanism, progress=progress), n_train, seed)


MECHANISMS_DEFAULTS = {"mechanism": "amplification", "n_train": 80, "seed": 0}


def mechanisms_explorer(**initial) -> Explorer:
    """Mechanism × training-set size × seed → test error of STL and MTL on the main task."""
    values = initial_values("mechanisms", initial)
    controls = {
        "mechanism": dropdown("mechanism", [(setup.label, name) for name, setup in MECHANISMS.items()],
                              values["mechanism"]),
        "n_train": widgets.SelectionSlider(options=list(MECHANISM_SIZES), value=values["n_train"],
                                           description="training examples per task", continuous_update=False,
                                           style=_control_style()),
        "seed": int_slider("seed", values["seed"], MECHANISM_SEEDS[0], MECHANISM_SEEDS[-1]),
    }
    return Explorer(mechanisms_explorer_update, controls, title="Mechanism explorer: why does MTL help?",
                    help_text=f"Each mechanism trains {2 * len(MECHANISM_SIZES) * len(MECHANISM_SEEDS)} small "
                              "networks the first time you choose it (about a second), then reads them from memory.",
                    reports_progress=True)


register_explorer("mechanisms", mechanisms_explorer_update, MECHANISMS_DEFAULTS, mechanisms_explorer)


# Lesson 09's static figures and the studies behind them.

def stl_reference_errors(mechanism: str, sizes) -> np.ndarray:
    """(len(sizes), S) the main task's test error of the STL net trained on n examples, for each n in
    `sizes` (up to 800 for "amplification", 200 otherwise) and each seed of MECHANISM_SEEDS: the
    curve that says how much data a single-task net needs to reach a given error."""
    mechanism = _check_mechanism(mechanism)
    setup = MECHANISMS[mechanism]
    errors = []
    for n_train in sizes:
        datasets = [mechanism_data(mechanism, int(n_train), seed) for seed in MECHANISM_SEEDS]
        nets = [_multitask09.HardSharingNet(d.stl_X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for d, seed in zip(datasets, MECHANISM_SEEDS)]
        train_sharing_nets(nets, np.stack([d.stl_X_train for d in datasets]),
                           np.stack([d.targets[:1] for d in datasets]), setup.steps, setup.lr)
        errors.append([_main_task_error(net, d.stl_X_test, d.test_target, setup.metric)
                       for net, d in zip(nets, datasets)])
    return np.array(errors)


def effective_sample_size_from_curve(reference_sizes, reference_errors, error: float) -> float:
    """The training-set size at which a single-task curve reaches `error`, by linear interpolation of
    log error against log size between the two bracketing sizes. reference_errors must fall with size;
    outside the curve the answer is NaN (not extrapolated)."""
    sizes = np.log(np.asarray(reference_sizes, dtype=float))
    errors = np.log(np.asarray(reference_errors, dtype=float))
    target = np.log(float(error))
    for k in range(len(sizes) - 1):
        high, low = errors[k], errors[k + 1]
        if low <= target <= high and high > low:
            fraction = (high - target) / (high - low)
            return float(np.exp(sizes[k] + fraction * (sizes[k + 1] - sizes[k])))
    return float("nan")


def plot_amplification(runs: MechanismRuns, reference_sizes, reference_errors) -> Figure:
    """Left: test RMSE against training examples per task, STL over a wide range of sizes (the
    reference) and MTL with T copies of the task; an arrow from each MTL point to the STL size with the
    same median error. Right: that size divided by n, the measured gain in data, against the ideal T."""
    reference_sizes = np.asarray(reference_sizes)
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.075, 0.985, 0.13, 0.84))
    stl_median = np.median(reference_errors, axis=1)
    mtl_median = np.median(runs.mtl_error, axis=1)
    for colour_index, sizes, errors, label, marker, linestyle in (
            (0, reference_sizes, stl_median, "STL: main task alone", "o", "-"),
            (1, runs.sizes, mtl_median, f"MTL: {runs.setup.n_tasks} tasks, shared layer", "s", "--")):
        left.plot(sizes, errors, color=_style09(colour_index)["color"], marker=marker, linestyle=linestyle,
                  linewidth=2, markersize=6, label=label)
    gains = []
    for n_train, error in zip(runs.sizes, mtl_median):
        n_eff = effective_sample_size_from_curve(reference_sizes, stl_median, error)
        gains.append(n_eff / n_train)
        if np.isfinite(n_eff):
            left.annotate("", xy=(n_eff, error), xytext=(n_train, error),
                          arrowprops={"arrowstyle": "->", "color": "0.35", "linewidth": 1.0})
    left.set_xscale("log")
    # 160 would crowd 120 and 200 on a log axis
    left.xaxis.set_major_locator(_FixedLocator09([n for n in reference_sizes if n != 160]))
    left.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    left.xaxis.set_minor_locator(NullLocator())
    left.set_xlabel("training examples per task (log scale)")
    left.set_ylabel(f"main task: test RMSE (median of {runs.seeds.size} seeds)")
    left.set_title("Arrows: from MTL at n to the STL size\nwith the same error", y=1.0, fontsize=10)
    left.legend(fontsize=8, loc="upper right")
    left.grid(True, alpha=0.3)

    positions = np.arange(len(runs.sizes))
    right.bar(positions, gains, width=0.6, color=_style09(1)["color"], hatch="//", edgecolor="black", linewidth=0.6)
    for position, gain in zip(positions, gains):
        right.text(position, gain, f"×{gain:.1f}", ha="center", va="bottom", fontsize=9)
    right.axhline(runs.setup.n_tasks, color="0.3", linestyle="--", linewidth=1.2)
    right.text(positions[-1] + 0.4, runs.setup.n_tasks, f"{runs.setup.n_tasks} tasks × n: every task's noise "
               "averaged away", ha="right", va="bottom", fontsize=8, color="0.3")
    right.axhline(1.0, color="0.3", linestyle=":", linewidth=1.0)
    right.set_xticks(positions, [str(n) for n in runs.sizes])
    right.set_ylim(0.0, runs.setup.n_tasks * 1.2)
    right.set_xlabel("training examples per task n")
    right.set_ylabel("STL examples needed / n")
    right.set_title("MTL is worth this many times more data", y=1.0, fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Statistical data amplification: the same function, independent noise", fontsize=11, y=0.985)
    return fig


def plot_input_weight_mass(stl_W, mtl_W, relevant, title: str) -> Figure:
    """Two bar charts of each input's first-layer weight mass Σ_j|W_ij| (STL left, MTL right); the
    relevant inputs hatched in orange, the others grey; each panel's title gives the relevant share."""
    fig, axes = new_figure((10.0, 3.6), ncols=2, margins=(0.07, 0.985, 0.15, 0.78))
    relevant = np.asarray(relevant, dtype=int)
    for ax, W, name in zip(axes, (stl_W, mtl_W), ("STL: the main task's own first layer",
                                                  "MTL: the shared first layer")):
        mass = input_weight_mass(W)
        is_relevant = np.zeros(mass.size, dtype=bool)
        is_relevant[relevant] = True
        ax.bar(np.flatnonzero(~is_relevant), mass[~is_relevant], color="0.7", edgecolor="0.4", linewidth=0.5,
               label="irrelevant inputs")
        ax.bar(relevant, mass[relevant], color=_style09(1)["color"], hatch="//", edgecolor="black", linewidth=0.6,
               label="relevant inputs")
        ax.set_title(f"{name}\nrelevant share {input_weight_share(W, relevant):.0%}", y=1.0, fontsize=10)
        ax.set_xlabel("input index")
        ax.set_ylabel("weight mass Σ_j |W_ij|")
        ax.set_ylim(0.0, 1.1 * max(float(input_weight_mass(stl_W).max()), float(input_weight_mass(mtl_W).max())))
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11, y=0.985)
    return fig


def plot_mechanism_diagnostic(runs: MechanismRuns, reference: float | None = None, reference_label: str = "") -> Figure:
    """The mechanism's first-layer diagnostic (see MechanismSetup) against the training-set size, STL and
    MTL (lines: median over the seeds; markers: single seeds); optional horizontal reference line."""
    if runs.setup.diagnostic is None:
        raise ValueError(f"{runs.mechanism}: this mechanism has no first-layer diagnostic to plot")
    fig, ax = new_figure((7.6, 4.0), margins=(0.1, 0.97, 0.13, 0.88))
    jitter = np.linspace(-0.04, 0.04, runs.seeds.size)
    for label, colour_index, marker, linestyle in _MODEL_STYLES09:
        values = runs.stl_diagnostic if colour_index == 0 else runs.mtl_diagnostic
        colour = _style09(colour_index)["color"]
        ax.plot(runs.sizes, np.median(values, axis=1), color=colour, marker=marker, linestyle=linestyle,
                linewidth=2, markersize=6, label=f"{label}, median")
        ax.scatter((runs.sizes[:, None] * np.exp(jitter)[None]).ravel(), values.ravel(), s=10, color=colour,
                   alpha=0.4, marker=marker, linewidths=0)
    if reference is not None:
        ax.axhline(reference, color="0.3", linestyle=":", linewidth=1.2, label=reference_label)
    _size_axis(ax, runs.sizes)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("training examples per task (log scale)")
    ax.set_ylabel(runs.setup.diagnostic_label)
    ax.set_title(f"{_capitalised(runs.setup.label)}: what the first layer learned ({runs.seeds.size} seeds)",
                 y=1.0, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, alpha=0.3)
    return fig


#: Extra tasks tried beside the parity main task b0 OR parity(b1..b5). "related": built on the main task's
#: parity; "tasks": how many outputs it adds; "parity_bits"/"rules": make_parity_tasks arguments (absent for
#: the controls, which are built by hand).
PARITY_EXTRA_TASKS = {
    "Caruana's 3 other tasks": {"related": True, "tasks": 3},
    "b0 AND parity(b1..b5)": {"related": True, "tasks": 1, "rules": (("and", 0, False),)},
    "3 tasks on parity(b3..b7)": {"related": False, "tasks": 3, "parity_bits": (3, 4, 5, 6, 7),
                                  "rules": (("or", 0, True), ("and", 0, False), ("and", 0, True))},
    "b0 AND parity(b3..b7)": {"related": False, "tasks": 1, "parity_bits": (3, 4, 5, 6, 7),
                              "rules": (("and", 0, False),)},
    "3 tasks with random labels": {"related": False, "tasks": 3},
    "3 copies of the main task": {"related": False, "tasks": 3},
}
_PARITY_STUDY_SEEDS = tuple(range(32))


class ExtraTaskStudy(_NamedTuple09):
    """Main-task test accuracy of the parity task trained alone and with each extra task.

    labels: ("alone (STL)", *PARITY_EXTRA_TASKS). accuracy: (K, S) per configuration and seed.
    related: (K,) whether the configuration's extra task is built on the main task's parity (False for STL).
    n_train: training patterns (of 256). seeds: (S,).
    """

    labels: tuple
    accuracy: np.ndarray
    related: np.ndarray
    n_train: int
    seeds: np.ndarray


def _parity_extra_targets(name: str, seed: int) -> np.ndarray:
    """(k, 256) 0/1 targets of an extra task, on the patterns make_parity_tasks(256, rng=seed) draws."""
    spec = PARITY_EXTRA_TASKS[name]
    main = _datasets09.make_parity_tasks(256, rng=seed)
    if name == "Caruana's 3 other tasks":
        return np.stack(main.targets[1:])
    if name == "3 tasks with random labels":
        return np.random.default_rng(seed + 10_000).integers(0, 2, size=(spec["tasks"], 256))
    if name == "3 copies of the main task":
        return np.repeat(main.targets[0][None], spec["tasks"], axis=0)
    options = {key: spec[key] for key in ("parity_bits", "rules") if key in spec}
    # make_parity_tasks draws the patterns first, so the same seed gives the same rows as the main task.
    return np.stack(_datasets09.make_parity_tasks(256, rng=seed, **options).targets)


@_functools09.lru_cache(maxsize=8)
def parity_extra_task_study(n_train: int = 120) -> ExtraTaskStudy:
    """Train the parity main task alone and with each extra task of PARITY_EXTRA_TASKS (shared layer of
    16 tanh units, the "parity" setup of MECHANISMS) on n_train of the 256 patterns, for 32 seeds; score
    on the other patterns. Cached."""
    setup = MECHANISMS["parity"]
    n = _check_count09(n_train, "parity_extra_task_study: n_train", 8, 248)
    seeds = _PARITY_STUDY_SEEDS
    mains = [_datasets09.make_parity_tasks(256, rng=seed) for seed in seeds]
    labels = ("alone (STL)",) + tuple(PARITY_EXTRA_TASKS)
    targets = {labels[0]: [2.0 * m.targets[0][None] - 1.0 for m in mains]}
    for label in labels[1:]:
        targets[label] = [2.0 * np.vstack([m.targets[0][None], _parity_extra_targets(label, seed)]) - 1.0
                          for m, seed in zip(mains, seeds)]
    accuracy = np.zeros((len(labels), len(seeds)))
    # Configurations with the same number of tasks train as one batch: one call instead of one per label.
    for n_tasks in sorted({t[0].shape[0] for t in targets.values()}):
        group = [label for label in labels if targets[label][0].shape[0] == n_tasks]
        nets = [_multitask09.HardSharingNet(8, [setup.n_hidden], [1] * n_tasks, branch_depth=min(1, n_tasks - 1),
                                            rng=seed) for _ in group for seed in seeds]
        train_sharing_nets(nets, np.stack([m.X[:n] for _ in group for m in mains]),
                           np.stack([t[:, :n] for label in group for t in targets[label]]), setup.steps, setup.lr)
        for k, label in enumerate(group):
            accuracy[labels.index(label)] = [
                1.0 - _main_task_error(net, m.X[n:], m.targets[0][n:], "error rate")
                for net, m in zip(nets[k * len(seeds):(k + 1) * len(seeds)], mains)]
    related = np.array([False] + [spec["related"] for spec in PARITY_EXTRA_TASKS.values()])
    accuracy.flags.writeable = False
    return ExtraTaskStudy(labels, accuracy, related, n, np.array(seeds))


def plot_extra_task_study(study: ExtraTaskStudy) -> Figure:
    """One row per configuration: each seed's main-task test accuracy (dots) and the mean (bar with a
    ±1 standard-error line); related extra tasks in orange with hatching, controls in grey."""
    n_rows = len(study.labels)
    fig, ax = new_figure((8.6, 4.4), margins=(0.33, 0.97, 0.12, 0.88))
    rows = np.arange(n_rows)[::-1]
    means = study.accuracy.mean(axis=1)
    errors = study.accuracy.std(axis=1, ddof=1) / np.sqrt(study.accuracy.shape[1])
    for row, mean, error, related, values, k in zip(rows, means, errors, study.related, study.accuracy,
                                                     range(n_rows)):
        if k == 0:
            style = {"color": _style09(0)["color"], "hatch": ""}
        elif related:
            style = {"color": _style09(1)["color"], "hatch": "//"}
        else:
            style = {"color": "0.75", "hatch": ""}
        ax.barh(row, mean, height=0.6, color=style["color"], hatch=style["hatch"], edgecolor="black", linewidth=0.5,
                alpha=0.8)
        ax.plot([mean - error, mean + error], [row, row], color="black", linewidth=2)
        offsets = np.linspace(-0.18, 0.18, values.size)
        ax.plot(values, row + offsets, linestyle="none", marker="o", markersize=2.5, color="black", alpha=0.5)
        ax.text(1.005, row, f"{mean:.3f}", va="center", ha="left", fontsize=8)
    ax.set_yticks(rows, [("+ " if k else "") + label for k, label in enumerate(study.labels)])
    ax.axvline(means[0], color=_style09(0)["color"], linestyle=":", linewidth=1.2)
    ax.set_xlim(min(0.5, float(study.accuracy.min()) - 0.02), 1.06)
    ax.set_xlabel(f"main task b0 OR parity(b1..b5): test accuracy on the {256 - study.n_train} unseen patterns")
    ax.set_title(f"Which extra task helps? {study.n_train} training patterns, {study.seeds.size} seeds\n"
                 "(orange, hatched: built on the same parity; grey: controls; bar: mean, line: ±1 s.e.)",
                 y=1.0, fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    return fig


class ExtraOutputStudy(_NamedTuple09):
    """The main task's test RMSE with a noisy feature left out, given as an input, or used as an extra output.

    feature_noises: (K,) noise std of the feature. errors: dict variant -> (K, S). n_train: examples.
    """

    feature_noises: np.ndarray
    errors: dict
    n_train: int
    seeds: np.ndarray


EXTRA_OUTPUT_VARIANTS = ("without the feature", "feature as an input", "feature as an extra output")


def extra_output_study(feature_noises=(0.0, 0.25, 0.5, 1.0, 2.0), n_train: int = 80) -> ExtraOutputStudy:
    """Caruana & de Sa (1997, NIPS 9, "Promoting poor features to supervisors: some inputs work better as
    outputs"): for each feature noise, train the main task of "extra_output" (a) on the
    ten inputs alone, (b) with the noisy feature as an eleventh input, (c) with the feature as a second
    output on a shared layer (`datasets.input_as_extra_output`), for the 8 seeds. Cached."""
    noises = tuple(float(v) for v in np.asarray(feature_noises, dtype=float).reshape(-1))
    if not noises or any(not np.isfinite(v) or v < 0 for v in noises):
        raise ValueError(f"extra_output_study: feature_noises must be finite numbers >= 0, got {feature_noises!r}")
    n = _check_count09(n_train, "extra_output_study: n_train", 2, max(MECHANISM_SIZES))
    return _extra_output_study_cached(noises, n)


@_functools09.lru_cache(maxsize=8)
def _extra_output_study_cached(feature_noises: tuple, n: int) -> ExtraOutputStudy:
    setup = MECHANISMS["extra_output"]
    errors = {variant: [] for variant in EXTRA_OUTPUT_VARIANTS}
    for noise in feature_noises:
        datasets = [mechanism_data("extra_output", n, seed, feature_noise=float(noise)) for seed in MECHANISM_SEEDS]
        with_input, as_output = train_stl_and_mtl(datasets, setup, MECHANISM_SEEDS)
        without = [_multitask09.HardSharingNet(d.X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                   for d, seed in zip(datasets, MECHANISM_SEEDS)]
        train_sharing_nets(without, np.stack([d.X_train for d in datasets]), np.stack([d.targets[:1] for d in datasets]),
                           setup.steps, setup.lr)
        for variant, nets, inputs in ((EXTRA_OUTPUT_VARIANTS[0], without, "X_test"),
                                      (EXTRA_OUTPUT_VARIANTS[1], with_input, "stl_X_test"),
                                      (EXTRA_OUTPUT_VARIANTS[2], as_output, "X_test")):
            errors[variant].append([_main_task_error(net, getattr(d, inputs), d.test_target, "rmse")
                                    for net, d in zip(nets, datasets)])
    errors = {variant: np.array(values) for variant, values in errors.items()}
    for values in errors.values():
        values.flags.writeable = False
    return ExtraOutputStudy(np.array(feature_noises, dtype=float), errors, n, np.array(MECHANISM_SEEDS))


def plot_extra_output_study(study: ExtraOutputStudy) -> Figure:
    """The main task's test RMSE against the feature's noise, for the three ways of using the feature
    (lines: median over the seeds; markers: single seeds)."""
    fig, ax = new_figure((7.6, 4.2), margins=(0.1, 0.97, 0.13, 0.87))
    noises = study.feature_noises
    offsets = np.linspace(-0.02, 0.02, study.seeds.size) * (noises.max() - noises.min() or 1.0)
    for k, (variant, errors) in enumerate(study.errors.items()):
        style = _style09(k)
        ax.plot(noises, np.median(errors, axis=1), color=style["color"], linestyle=style["linestyle"],
                marker=style["marker"], linewidth=2, markersize=6, label=f"{variant}, median")
        ax.scatter((noises[:, None] + offsets[None] + (k - 1) * 0.03).ravel(), errors.ravel(), s=9,
                   color=style["color"], marker=style["marker"], alpha=0.35, linewidths=0)
    ax.set_xticks(noises)
    ax.set_xlabel("noise std of the feature (the feature itself has std 1)")
    ax.set_ylabel("main task: test RMSE (lower is better)")
    ax.set_title(f"Some inputs work better as outputs: n = {study.n_train} examples, {study.seeds.size} seeds",
                 y=1.0, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return fig
