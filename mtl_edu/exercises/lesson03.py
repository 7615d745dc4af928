"""Lesson 03 (`03_vanishing_gradients`): the checkers
`check_sigmoid_gradient_bound`, `check_flat_gradient_init`, `check_tanh_gain`.
"""
from __future__ import annotations

import numpy as np

from ..nets import nn
from ..instruments import probes
from ..nets.init import INITS
from .core import call_learner, fail, passed, returned_number, exercise_checker

__all__ = ["check_sigmoid_gradient_bound", "check_flat_gradient_init", "check_tanh_gain"]

# Lists of spectral norms ‖W_l‖₂ the bound is checked on: equal norms, norms above and below 4, an array.
_BOUND_CASES = ([2.0], [2.0] * 5, [2.0] * 20, [4.0, 4.0, 4.0], [1.0, 3.0, 0.5, 8.0], np.array([2.5, 1.5]))


@exercise_checker
def check_sigmoid_gradient_bound(sigmoid_gradient_bound) -> None:
    """Exercise 03.1: `sigmoid_gradient_bound(weight_norms)` returns ∏_l ¼‖W_l‖₂."""
    for case in _BOUND_CASES:
        norms = np.asarray(case, dtype=float)
        shown = "[" + ", ".join(f"{n:g}" for n in norms) + "]"
        given = case.copy() if isinstance(case, np.ndarray) else list(case)
        got = returned_number(call_learner(sigmoid_gradient_bound, given, description=f"sigmoid_gradient_bound({shown})"),
                               f"sigmoid_gradient_bound({shown})")
        expected = float(np.prod(0.25 * norms))
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"for weight_norms = {shown}: expected {expected:.6g}, got {got:.6g}"
        n = norms.size
        if np.isclose(got, np.prod(norms), rtol=1e-9):
            fail(f"{where}. You multiplied the weight norms but left out the sigmoid's slope: each layer "
                  "contributes max σ' · ‖W_l‖₂ = ¼‖W_l‖₂.")
        if n > 1 and np.isclose(got, 0.25 * np.prod(norms), rtol=1e-9):
            fail(f"{where}. The factor ¼ belongs to every layer (each has its own σ'), so it appears {n} times: "
                  f"(¼)^{n} · ∏‖W_l‖₂.")
        if np.isclose(got, 0.25**n, rtol=1e-9):
            fail(f"{where}. (¼)^n alone ignores the weights; multiply each layer's ¼ by its ‖W_l‖₂.")
        if n > 1 and np.isclose(got, np.sum(0.25 * norms), rtol=1e-9):
            fail(f"{where}. You added the per-layer factors; the chain rule multiplies them.")
        fail(f"{where}. The bound is the product over layers of ¼‖W_l‖₂.")
    passed(f"the bound ∏ ¼‖W_l‖₂ is right on {len(_BOUND_CASES)} lists of weight norms. With every ‖W_l‖₂ = 2 "
        f"each layer halves it: 20 layers take it below 1e-6 (0.5^20 = {0.5**20:.2g}).")


_FLAT_CHECK = {"depth": 50, "width": 32, "batch": 64, "seed": 0}
_FLAT_BAND = (0.9, 1.1)


def _fresh_network_statistics(depth: int, activation: str, init, gain: float, width: int = 32, batch: int = 64,
                              seed: int = 0):
    """LayerStats of one pass through a fresh deep MLP, built as the lesson-03 gradient-flow explorer
    builds it (`widgets.gradient_flow`; a test keeps the two identical), so the checker's numbers are
    the ones the learner sees in the explorer."""
    rng = np.random.default_rng(seed)
    model = nn.MLP([width] * (depth + 1) + [10], activation=activation, init=init, gain=gain, rng=rng)
    X = rng.standard_normal((batch, width))
    y = rng.integers(0, 10, size=batch)
    return probes.layer_statistics(model, X, y, loss="cross_entropy", bins=30)


def _per_layer_factor(grad_norm: np.ndarray) -> float:
    """(g_1 / g_L)^(1/(L−1)): how much the gradient norm changes per layer on its way down."""
    first, last = float(grad_norm[0]), float(grad_norm[-1])
    if not (np.isfinite(first) and np.isfinite(last) and first > 0 and last > 0):
        return float("nan")
    return float(np.exp((np.log(first) - np.log(last)) / (grad_norm.size - 1)))


@exercise_checker
def check_flat_gradient_init(flat_gradient_init) -> None:
    """Exercise 03.2: `flat_gradient_init()` names the init that keeps a deep ReLU net's gradient flat."""
    name = call_learner(flat_gradient_init, description="flat_gradient_init()")
    if not isinstance(name, str):
        fail(f"return the name of an initialisation as a string, e.g. \"lecun_normal\"; got {type(name).__name__} "
              f"{name!r}")
    choices = [n for n in INITS if n != "zeros"]
    if name not in choices:
        fail(f"{name!r} is not an initialisation in mtl_edu.init; choose one of {', '.join(choices)}")
    depth = _FLAT_CHECK["depth"]
    stats = _fresh_network_statistics(depth, "relu", name, 1.0, _FLAT_CHECK["width"], _FLAT_CHECK["batch"],
                                      _FLAT_CHECK["seed"])
    factor = _per_layer_factor(stats.grad_norm)
    low, high = _FLAT_BAND
    if not np.isfinite(factor):
        fail(f"with {name} the gradient of some layer is 0 or not finite: nothing flows at all.")
    if factor < low:
        fail(f"with {name} the gradient shrinks by ×{factor:.2f} per layer on its way down through {depth} ReLU "
              f"layers (×{factor ** depth:.1e} in total). ReLU zeroes about half of its inputs, so the weights "
              "must be larger than for tanh: which scheme doubles the variance?")
    if factor > high:
        fail(f"with {name} the gradient grows by ×{factor:.2f} per layer on its way down through {depth} ReLU "
              f"layers (×{factor ** depth:.1e} in total): these weights are too large. Which scheme scales "
              "the variance with the layer's fan-in?")
    lecun = _per_layer_factor(_fresh_network_statistics(depth, "relu", "lecun_normal", 1.0, _FLAT_CHECK["width"],
                                                        _FLAT_CHECK["batch"], _FLAT_CHECK["seed"]).grad_norm)
    passed(f"with {name} the gradient norm changes by ×{factor:.2f} per layer through {depth} ReLU layers (flat is "
        f"×1; the check accepts {low:g}–{high:g}). With lecun_normal, Var(W) = 1/n_in, it is ×{lecun:.2f}, "
        "close to 1/√2 ≈ 0.71: every ReLU halves the second moment and 2/n_in (He et al. 2015) restores it.")


_TANH_CHECK = {"depth": 50, "min_std": 0.2, "band": (0.95, 1.05)}


@exercise_checker
def check_tanh_gain(tanh_gain) -> None:
    """Exercise 03.3: `tanh_gain()` returns a gain for xavier_normal that keeps a 50-layer tanh net alive:
    last hidden activation std ≥ 0.2, gradient changing by less than 5 % per layer."""
    gain = returned_number(call_learner(tanh_gain, description="tanh_gain()"), "tanh_gain()")
    if gain <= 0:
        fail(f"the gain multiplies every weight and must be positive, got {gain:g}")
    if gain > 20:
        fail(f"a gain of {gain:g} makes every weight huge; look between 0.5 and 3")
    depth, min_std, (low, high) = _TANH_CHECK["depth"], _TANH_CHECK["min_std"], _TANH_CHECK["band"]
    stats = _fresh_network_statistics(depth, "tanh", "xavier_normal", gain)
    std = float(stats.activation_std[-2])  # the last hidden layer; [-1] is the linear output
    saturated = float(stats.saturated_fraction[-2])
    factor = _per_layer_factor(stats.grad_norm)
    if std < min_std:
        fail(f"with gain {gain:.3g} the activations fade with depth: the last hidden layer's std is {std:.2g}, "
              f"below {min_std:g}. Each layer shrinks the signal a little; increase the gain.")
    if not np.isfinite(factor) or not low <= factor <= high:
        direction = "grows" if factor > high else "shrinks"
        fail(f"with gain {gain:.3g} the activations are alive (std {std:.2f}), but the gradient {direction} by "
              f"×{factor:.3f} per layer on its way down (×{factor ** depth:.2g} over {depth} layers; the aim is "
              f"{low:g}–{high:g}). {'Lower' if factor > high else 'Raise'} the gain a little.")
    passed(f"with gain {gain:.3g}, after {depth} tanh layers the activations keep a std of {std:.2f} (≥ {min_std:g}), "
        f"{saturated:.0%} of the units are saturated, and the gradient changes by ×{factor:.2f} per layer "
        f"(within {low:g}–{high:g}).")
