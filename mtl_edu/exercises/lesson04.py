"""Lesson 04 (`04_exploding_gradients_and_fixes`): the checkers
`check_clip_by_norm`, `check_he_std`, `check_leaky_relu_std`.
"""
from __future__ import annotations

import numpy as np

from ..nets import optim
from ..engine.autodiff import Tensor
from .core import as_array, call_learner, fail, as_number, passed, exercise_checker

__all__ = ["check_clip_by_norm", "check_he_std", "check_leaky_relu_std"]

def _clip_by_norm_cases() -> list:
    """(gradient, max_norm) pairs: long and short vectors, a 2-D one, and a zero gradient."""
    rng = np.random.default_rng(4)
    cases = [(np.array([3.0, 1.0]), 1.0)]
    for size, norm, max_norm in ((5, 10.0, 1.0), (100, 0.3, 1.0), (100, 7.0, 2.5), (20, 1e-3, 0.5)):
        g = rng.standard_normal(size)
        cases.append((g * (norm / np.linalg.norm(g)), max_norm))
    cases.append((np.zeros(3), 1.0))
    return cases


def _reference_clip_by_norm(g: np.ndarray, max_norm: float) -> np.ndarray:
    """The library's answer: optim.clip_grad_norm applied to one parameter whose gradient is g."""
    param = Tensor(np.zeros_like(g), requires_grad=True)
    param.grad = g.copy()
    optim.clip_grad_norm([param], max_norm)
    return param.grad


@exercise_checker
def check_clip_by_norm(clip_by_norm) -> None:
    """Exercise 04.1: `clip_by_norm(g, max_norm)` rescales g to norm max_norm when it is longer, else
    returns it unchanged; compared with `optim.clip_grad_norm` (Pascanu, Mikolov & Bengio 2013, ICML)."""
    cases = _clip_by_norm_cases()
    for g, max_norm in cases:
        norm = float(np.linalg.norm(g))
        where = f"for a gradient of {g.size} entries with norm {norm:.3g} and max_norm = {max_norm:g}"
        result = call_learner(clip_by_norm, g.copy(), max_norm, description=f"clip_by_norm(g, {max_norm:g}) {where}")
        if result is not None and norm == 0 and not np.all(np.isfinite(np.asarray(result, dtype=float))):
            fail(f"{where}: you returned NaN. A zero gradient is already short enough: rescale only when the "
                  "norm exceeds max_norm, so you never divide by a zero norm.")
        got = as_array(result, g.shape, f"clip_by_norm(g, {max_norm:g}) {where}")
        expected = _reference_clip_by_norm(g, max_norm)
        if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        got_norm = float(np.linalg.norm(got))
        if np.allclose(got, np.clip(g, -max_norm, max_norm), rtol=1e-9, atol=1e-12):
            fail(f"{where}: you clipped every entry to ±{max_norm:g}, which is clipping by value and turns the "
                  "direction. Clipping by norm multiplies the whole vector by max_norm / ‖g‖.")
        if norm <= max_norm and np.isclose(got_norm, max_norm):
            fail(f"{where}: the gradient is already shorter than max_norm, so it must come back unchanged; "
                  f"you stretched it to norm {got_norm:.3g}. Rescale only when ‖g‖ > max_norm.")
        if norm > max_norm and np.allclose(got, g):
            fail(f"{where}: you returned g unchanged, but its norm is above max_norm; scale it by "
                  f"max_norm / ‖g‖ = {max_norm / norm:.3g}.")
        if got_norm > 0 and norm > 0 and np.dot(got, g) / (got_norm * norm) > 1 - 1e-9:
            fail(f"{where}: the direction is right but the length is not: expected norm {min(norm, max_norm):.4g}, "
                  f"got {got_norm:.4g}.")
        shown = min(3, g.size)
        fail(f"{where}: expected (first entries) {np.round(expected[:shown], 4).tolist()}, "
              f"got {np.round(got[:shown], 4).tolist()}.")
    passed(f"clip_by_norm agrees with optim.clip_grad_norm to within 1e-9 on {len(cases)} gradients (2 to 100 "
        "entries; longer and shorter than max_norm; all zeros): long ones are scaled to norm max_norm, "
        "their direction kept, and short ones are left alone.")


_RELU_DEPTH = 50  # the exercises' network: the second moment is multiplied by the per-layer factor 49 times


def _factor_over_depth(per_layer: float) -> float:
    """How much the second moment changes from layer 1 to layer 50 if each layer multiplies it by per_layer."""
    with np.errstate(over="ignore", under="ignore"):
        return float(per_layer ** (_RELU_DEPTH - 1))


def _within_two_times(per_layer: float) -> bool:
    return per_layer > 0 and abs((_RELU_DEPTH - 1) * np.log(per_layer)) <= np.log(2.0)


@exercise_checker
def check_he_std(he_std) -> None:
    """Exercise 04.2: `he_std(fan_in)` returns the standard deviation √(2 / fan_in) of He et al. 2015 (ICCV)."""
    fan_ins = (1, 3, 64, 256, 1000)
    for fan_in in fan_ins:
        std = as_number(call_learner(he_std, fan_in, description=f"he_std({fan_in})"), f"he_std({fan_in})")
        per_layer = fan_in * std**2 / 2  # ReLU keeps half of E[z²]; the layer multiplies by fan_in·Var(W)
        if _within_two_times(per_layer):
            continue
        expected = np.sqrt(2.0 / fan_in)
        consequence = (f"each ReLU layer then multiplies the second moment by fan_in·std²/2 = {per_layer:.3g}, "
                       f"and layer 50 has on average {_factor_over_depth(per_layer):.2g} × the second moment of "
                       "layer 1 (the goal: within a factor 2).")
        where = f"he_std({fan_in}) = {std:.4g}, expected √(2/{fan_in}) = {expected:.4g}"
        if np.isclose(std, np.sqrt(1.0 / fan_in)):
            fail(f"{where}: that is the 1/fan_in variance (LeCun; Xavier for a square layer). ReLU zeroes the "
                  f"negative half of its input: {consequence} Double the variance.")
        if np.isclose(std, 2.0 / fan_in):
            fail(f"{where}: you returned the variance 2/fan_in; the standard deviation is its square root.")
        if np.isclose(std, np.sqrt(2.0) / fan_in):
            fail(f"{where}: √2/fan_in takes the square root of the 2 only; take it of 2/fan_in.")
        fail(f"{where}: {consequence}")
    passed(f"he_std(fan_in) = √(2/fan_in) at fan_in = {', '.join(str(n) for n in fan_ins)}: each ReLU layer then "
        "keeps the second moment on average (fan_in·std²/2 = 1), so over 50 layers it stays within 2× "
        "(He et al. 2015).")


_LEAKY_CASES = ((64, 0.0), (64, 0.5), (256, 0.2), (10, 1.0), (128, 0.01), (100, 0.3))


@exercise_checker
def check_leaky_relu_std(leaky_relu_std) -> None:
    """Exercise 04.3: `leaky_relu_std(fan_in, slope)` = √(2 / ((1 + slope²)·fan_in)), He et al. 2015 (ICCV),
    the init that keeps the second moment of a leaky-ReLU net constant through depth."""
    for fan_in, slope in _LEAKY_CASES:
        std = as_number(call_learner(leaky_relu_std, fan_in, slope, description=f"leaky_relu_std({fan_in}, {slope:g})"),
                      f"leaky_relu_std({fan_in}, {slope:g})")
        kept = (1 + slope**2) / 2  # the fraction of E[z²] a leaky ReLU passes on
        per_layer = fan_in * std**2 * kept
        if _within_two_times(per_layer):
            continue
        expected = np.sqrt(2.0 / ((1 + slope**2) * fan_in))
        where = f"leaky_relu_std({fan_in}, {slope:g}) = {std:.4g}, expected {expected:.4g}"
        consequence = (f"each layer then multiplies the second moment by {per_layer:.3g}, and layer 50 has on "
                       f"average {_factor_over_depth(per_layer):.2g} × the second moment of layer 1 "
                       "(the goal: within 2×).")
        if np.isclose(std, np.sqrt(2.0 / fan_in)):
            fail(f"{where}: your std ignores the slope. A leaky ReLU with slope {slope:g} keeps "
                  f"(1 + {slope:g}²)/2 = {kept:.3g} of E[z²], not 1/2: {consequence}")
        if np.isclose(std, np.sqrt(2.0 / ((1 + slope) * fan_in))):
            fail(f"{where}: you used (1 + slope) where it should be (1 + slope²): the negative half outputs "
                  "slope·z, whose square is slope²·z².")
        if np.isclose(std, 2.0 / ((1 + slope**2) * fan_in)):
            fail(f"{where}: you returned the variance; the standard deviation is its square root.")
        fail(f"{where}: {consequence}")
    passed(f"leaky_relu_std(fan_in, slope) = √(2 / ((1 + slope²)·fan_in)) at {len(_LEAKY_CASES)} (fan_in, slope) "
        "pairs, from slope 0 (ReLU: He's 2/fan_in) to slope 1 (a linear layer: 1/fan_in); each keeps the second "
        "moment of a 50-layer net within 2× on average.")
