"""Lesson 01 (`01_autodiff_from_scratch`): a neuron's computation graph, and finite differences
(truncation error against round-off) with the finite-difference explorer.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..engine.autodiff import Tensor, error_band, no_grad
from ..instruments.graph_drawing import plot_computation_graph, trace_computation_graph
from .core import (
    Explorer, dropdown, float_slider, initial_values, int_slider, new_figure, plain_log_ticks, register_explorer,
)

__all__ = [
    "neuron_graph", "neuron_graph_explorer_update", "neuron_graph_explorer", "FINITE_DIFFERENCE_FUNCTIONS",
    "finite_difference_errors", "plot_finite_difference_errors", "finite_difference_explorer_update",
    "finite_difference_explorer",
]

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


# ---- finite differences, truncation against round-off ----------------------------------------------------

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
