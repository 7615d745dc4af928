"""Lesson 00 (`00_start_here`): the sigmoid and its slope, and the sigmoid explorer.

Exercises: `check_sigmoid_derivative` (build), `measure_slope_width` (predict, then measure),
`check_steepness_peak` (choose); `check_environment` checks the set-up.
"""
from __future__ import annotations

import importlib.metadata
import re
import sys

import numpy as np
from matplotlib.figure import Figure

from ..teaching.checking import (
    Choice, as_array, as_number, call_learner, committed_prediction, exercise_checker, fail, passed,
    reference_sigmoid, report_prediction, worst_point,
)
from ..teaching.explorers import Explorer, float_slider, initial_values, new_figure, register_explorer

__all__ = [
    "sigmoid_and_slope", "plot_sigmoid_and_slope", "sigmoid_explorer_update", "sigmoid_explorer",
    "MINIMUM_VERSIONS", "MINIMUM_PYTHON", "check_environment", "check_sigmoid_derivative",
    "slope_width", "measure_slope_width", "check_steepness_peak", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

def sigmoid_and_slope(x: np.ndarray, steepness: float = 1.0) -> tuple:
    """σ(a·x) and its slope d/dx σ(a·x) = a·σ'(a·x) = a·σ(1 − σ), for x: (n,), a = steepness.

    σ is computed as ½(1 + tanh(a·x/2)), which never overflows.
    """
    sigma = 0.5 * (1.0 + np.tanh(0.5 * steepness * np.asarray(x, dtype=float)))
    return sigma, steepness * sigma * (1.0 - sigma)


def plot_sigmoid_and_slope(x: np.ndarray, sigma: np.ndarray, slope: np.ndarray, steepness: float,
                           point: float) -> Figure:
    """σ(a·x) and its slope over x, the bound 1/4 on σ', and the values at one marked point.

    The slope's own peak for a ≠ 1 is left for the learner to read off (exercise 00.3 asks for it).
    """
    fig, ax = new_figure((7.2, 3.6), margins=(0.08, 0.98, 0.13, 0.92))
    ax.plot(x, sigma, color="tab:blue", linestyle="-", linewidth=2, label="σ(a·x)")
    ax.plot(x, slope, color="tab:orange", linestyle="--", linewidth=2, label="slope a·σ'(a·x)")
    ax.axhline(0.25, color="0.4", linestyle=":", linewidth=1.5, label="1/4: the most σ' can be")
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
                    help_text="The dotted line marks 1/4, the most σ' can be; the dashed curve is the slope of σ(a·x).")


register_explorer("sigmoid", sigmoid_explorer_update, ("steepness", "x_range", "point"), sigmoid_explorer,
                  static_controls=("steepness", "point"))

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

MINIMUM_VERSIONS = {"numpy": (2, 0), "matplotlib": (3, 9), "ipywidgets": (8, 1)}
MINIMUM_PYTHON = (3, 10)


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def check_environment(minimum_versions: dict | None = None) -> None:
    """Print one line per requirement ("✓ numpy ≥ 2.0") and "environment OK", or raise naming
    every package that is missing or too old. Prints no installed version numbers, so the stored
    output is the same on every machine that meets the requirements."""
    minimum_versions = MINIMUM_VERSIONS if minimum_versions is None else minimum_versions
    problems = []
    python_needed = ".".join(map(str, MINIMUM_PYTHON))
    if sys.version_info[:2] >= MINIMUM_PYTHON:
        print(f"✓ Python ≥ {python_needed}")
    else:
        problems.append(f"Python {sys.version_info[0]}.{sys.version_info[1]} is older than {python_needed}")
    for package, needed in minimum_versions.items():
        needed_text = ".".join(map(str, needed))
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{package} is not installed (needs ≥ {needed_text})")
            continue
        if _version_tuple(installed) >= tuple(needed):
            print(f"✓ {package} ≥ {needed_text}")
        else:
            problems.append(f"{package} {installed} is older than {needed_text}")
    if problems:
        raise RuntimeError(
            "environment check failed: " + "; ".join(problems)
            + ". Re-run `make lab` (or `pip install -e .` in the course folder) and restart the kernel."
        )
    print("environment OK")


@exercise_checker
def check_sigmoid_derivative(sigmoid_derivative) -> None:
    """Exercise 00.1: `sigmoid_derivative(x)` must return σ(x)(1 − σ(x)) element-wise."""
    x = np.linspace(-10.0, 10.0, 41)
    got = as_array(call_learner(sigmoid_derivative, x.copy(), description="sigmoid_derivative(x) for an array x"),
                 x.shape, "sigmoid_derivative(x) for x of shape (41,)")
    sigma = reference_sigmoid(x)
    expected = sigma * (1 - sigma)
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-9):
        if np.allclose(got, sigma, atol=1e-9):
            fail("your function returns σ(x) itself, not its derivative; σ'(x) = σ(x)·(1 − σ(x)).")
        if np.allclose(got, -expected, atol=1e-9):
            fail(f"the sign is flipped: σ' is never negative ({worst_point(got, expected, x)}).")
        fail(f"sigmoid_derivative differs from σ(x)(1 − σ(x)) {worst_point(got, expected, x)}.")
    at_zero = as_number(call_learner(sigmoid_derivative, 0.0, description="sigmoid_derivative(0.0)"),
                      "sigmoid_derivative(0.0)")
    if abs(at_zero - 0.25) > 1e-9:
        fail(f"for the single number x = 0.0 expected 0.25, got {at_zero:.6g}")
    passed("sigmoid_derivative agrees with σ(x)(1 − σ(x)) to within 1e-9 at 41 points in [−10, 10], "
        "and works on a single number too.")


SLOPE_FRACTION = 0.01


def slope_width(fraction: float = SLOPE_FRACTION) -> float:
    """The |x| beyond which σ'(x) stays below `fraction` of its peak 1/4 (σ' is even and falls off from 0).

    Solved exactly: σ(1 − σ) = fraction/4 at σ = (1 − √(1 − fraction))/2, and x = log(σ/(1 − σ)).
    """
    sigma = 0.5 * (1.0 - np.sqrt(1.0 - fraction))
    return float(-np.log(sigma / (1.0 - sigma)))


def measure_slope_width(predict_width) -> None:
    """Exercise 00.2: measure where σ' falls to 1 % of its peak, after the learner predicted it."""
    prediction = committed_prediction(predict_width, "your prediction function")
    if prediction is None:
        return
    predicted = as_number(prediction, "your predicted |x|")
    if predicted <= 0:
        fail(f"a width is a distance from 0, |x|: predict a positive number, got {predicted:.3g}")
    x = np.linspace(0.0, 12.0, 12001)
    sigma = reference_sigmoid(x)
    below = x[np.argmax(sigma * (1 - sigma) < SLOPE_FRACTION / 4)]
    print(f"Measured on a grid of step 0.001: σ'(x) falls below 1 % of its peak at |x| = {below:.2f}.")
    if report_prediction(predicted, below, "|x|", tolerance=0.5):
        return
    if predicted < below:
        print("The slope's tails are longer than the figure suggests: σ'(x) ≈ e^(−|x|) far from 0, so "
              "each further unit of x only divides it by e ≈ 2.7.")
    else:
        print("The slope falls off exponentially, σ'(x) ≈ e^(−|x|) far from 0: each unit of x divides it by e ≈ 2.7.")


STEEPNESS_PEAK = Choice(
    "the peak of d/dx σ(a·x) at a = 4",
    {
        "a": "1/4 bounds σ' at its own argument, but the curve here is σ(a·x), whose slope is a different "
             "function of x. Read the dashed curve's highest point against the y-axis.",
        "b": "a steeper curve makes the slope curve narrower, and narrower is not lower: compare the dashed "
             "curve's height at a = 1 and at a = 4.",
        "c": "the chain rule gives d/dx σ(a·x) = a·σ'(a·x), and σ' is at most 1/4 at the origin, so a weight in "
             "front of a sigmoid multiplies the largest slope it can pass on.",
        "d": "that takes the slider's value itself for the peak; the figure's y-axis shows how high the dashed "
             "curve actually gets.",
    },
    correct="c",
)


@exercise_checker
def check_steepness_peak(answer) -> None:
    """Exercise 00.3: read the explorer at a = 4 and pick the slope's peak."""
    STEEPNESS_PEAK.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    width = slope_width()
    return {
        "ex2_slope_width": [f"{width:.2f}", f"{width:.3f}"],
        "ex3_steepness_peak": [STEEPNESS_PEAK.feedback[STEEPNESS_PEAK.correct]],
    }
