"""Lesson 00 (`00_start_here`): the sigmoid and its slope, and the sigmoid explorer."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .core import Explorer, float_slider, initial_values, new_figure, register_explorer

__all__ = ["sigmoid_and_slope", "plot_sigmoid_and_slope", "sigmoid_explorer_update", "sigmoid_explorer"]

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
