"""Lesson 03 (`03_vanishing_gradients`): the gradient-flow explorer.

Exercise checkers: `check_sigmoid_gradient_bound`, `check_flat_gradient_init`, `check_tanh_gain`.
"""
from __future__ import annotations



import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..instruments import probes
from ..instruments.plots import category_style, fixed_log_ticks
from ..nets import nn
from ..nets.init import INITS
from ..teaching.checking import call_learner, exercise_checker, fail, passed, returned_number
from ..teaching.explorers import (
    dropdown, Explorer, FIGURE_DPI, float_slider, initial_values, int_slider, register_explorer,
)

__all__ = [
    "GRADIENT_FLOW_ACTIVATIONS", "GRADIENT_FLOW_INITS", "GRADIENT_FLOW_MAX_DEPTH", "gradient_flow",
    "gradient_decay_per_layer", "plot_gradient_flow", "gradient_flow_explorer_update",
    "gradient_flow_explorer", "plot_update_ratios", "check_sigmoid_gradient_bound",
    "check_flat_gradient_init", "check_tanh_gain",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

GRADIENT_FLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity")
GRADIENT_FLOW_INITS = ("xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal",
                       "orthogonal", "normal", "uniform")
GRADIENT_FLOW_MAX_DEPTH = 100
_GRADIENT_FLOW_CLASSES = 10


def gradient_flow(depth: int = 20, activation: str = "sigmoid", init: str = "xavier_normal", gain: float = 1.0,
                  width: int = 32, batch: int = 64, seed: int = 0):
    """One forward and backward pass through a fresh deep MLP: its per-layer statistics.

    The network has `depth` hidden layers of `width` units (`activation`, weights from the scheme
    `init` of `mtl_edu.nets.init` times `gain`; for "normal" and "uniform" the gain is the weight std or
    bound itself), a linear output layer with 10 classes, and sees `batch` standard-normal inputs
    with random labels under cross-entropy, so the gradient at the top is of ordinary size whatever
    the settings. Returns `mtl_edu.instruments.probes.LayerStats` for layers 1..depth+1 (depth + 1 = output).
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
    fixed_log_ticks(ax_grad, shown)
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
    unit_spread = _finite_positive(np.asarray(stats.unit_spread, dtype=float)[:hidden])
    ax_std.plot(hidden_numbers, std, markersize=4, markevery=every, label="all units", **category_style(1))
    ax_std.plot(hidden_numbers, unit_spread, markersize=4, markevery=every, label="one unit, across inputs",
                **category_style(3))
    fixed_log_ticks(ax_std, np.concatenate([std, unit_spread]))
    ax_std.set_title("Spread of the activations h_l", fontsize=9.5, y=1.0)
    ax_std.set_xlabel("hidden layer l")
    ax_std.set_ylabel("std of h_l (log scale)")
    ax_std.legend(loc="lower left", fontsize=7, handlelength=2.2, frameon=False)

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


register_explorer("gradient_flow", gradient_flow_explorer_update, ("depth", "activation", "init", "gain"),
                  gradient_flow_explorer)


def plot_update_ratios(ratios, losses, steps, record_every: int, window: str = "over training") -> Figure:
    """Left: how far each layer's weights moved per record interval, relative to their size
    (median over the recorded intervals, described by `window`; from a `probes.WeightChangeRecorder`),
    one line per optimiser, log scale.
    Right: the training losses of the same runs.

    ratios: {label: (L, S) ratios, layer × recorded step}; losses: {label: (K,) loss per recorded step};
    steps: (K,) the recorded steps; record_every: the steps between two records (for the axis label).
    """
    if not ratios or set(ratios) != set(losses):
        raise ValueError(f"plot_update_ratios: give ratios and losses for the same optimisers, got "
                         f"{sorted(ratios)} and {sorted(losses)}")
    fig = plt.figure(figsize=(10.0, 3.9), dpi=FIGURE_DPI)
    plt.close(fig)
    fig.subplots_adjust(left=0.08, right=0.985, bottom=0.15, top=0.78, wspace=0.28)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    every_value = []
    for k, (label, ratio) in enumerate(ratios.items()):
        ratio = np.asarray(ratio, dtype=float)
        median = _finite_positive(np.median(ratio, axis=1))
        every_value.append(median)
        layers = np.arange(1, ratio.shape[0] + 1)
        left.plot(layers, median, label=label, markersize=5, **category_style(k))
        right.plot(steps, losses[label], label=label, markersize=4, markevery=max(1, len(steps) // 10),
                   **category_style(k))
    fixed_log_ticks(left, np.concatenate(every_value), max_ticks=7)
    left.set_xlabel("layer l (1 = input side, last = output)")
    left.set_ylabel(f"‖ΔW_l‖ / ‖W_l‖ per {record_every} steps (log)")
    left.set_title(f"How much each layer's weights move\n(median {window})", fontsize=9.5, y=1.0)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("step")
    right.set_ylabel("training loss")
    right.set_title("Training loss", fontsize=9.5, y=1.0)
    right.axhline(np.log(2), color="0.5", linestyle=":", linewidth=1.2)
    right.text(0.98, np.log(2), "log 2 (50 : 50)", transform=right.get_yaxis_transform(), ha="right", va="bottom",
               fontsize=8, color="0.35")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("10 sigmoid layers on the two moons: plain gradient descent against Adam", fontsize=11, y=0.98)
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

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
    stats = gradient_flow(depth, "relu", name, 1.0, _FLAT_CHECK["width"], _FLAT_CHECK["batch"],
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
    lecun = _per_layer_factor(gradient_flow(depth, "relu", "lecun_normal", 1.0, _FLAT_CHECK["width"],
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
    stats = gradient_flow(depth, "tanh", "xavier_normal", gain)
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
