"""Lesson 03 (`03_vanishing_gradients`): the gradient-flow explorer.

Exercises: `check_layer_gradients` (debug), `measure_sigmoid_decay` (predict, then measure),
`check_tanh_large_gain` (choose); `answer_texts` lists what would give their answers away.
"""
from __future__ import annotations



import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..engine.autodiff import Tensor
from ..instruments import probes
from ..instruments.plots import category_style, fixed_log_ticks
from ..nets import nn
from ..teaching.checking import (
    Choice, as_array, as_number, call_learner, committed_prediction, exercise_checker, fail, passed,
    reference_sigmoid, report_prediction,
)
from ..teaching.explorers import (
    dropdown, Explorer, FIGURE_DPI, float_slider, initial_values, int_slider, register_explorer,
)

__all__ = [
    "GRADIENT_FLOW_ACTIVATIONS", "GRADIENT_FLOW_INITS", "GRADIENT_FLOW_MAX_DEPTH", "gradient_flow",
    "gradient_decay_per_layer", "plot_gradient_flow", "gradient_flow_explorer_update",
    "gradient_flow_explorer", "plot_update_ratios", "check_layer_gradients", "SIGMOID_DECAY_DEPTH",
    "SIGMOID_DECAY_GAIN", "sigmoid_decay_ratio", "measure_sigmoid_decay", "TANH_LARGE_GAIN", "check_tanh_large_gain",
    "answer_texts",
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
                  gradient_flow_explorer,
                  static_controls=("depth", "activation", "gain"))


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
# Exercises
# ==============================================================================================

# The slips the debug exercise's checker recognises: name -> (the slope a slipped version multiplies by,
# what to say about it).
_SLOPE_SLIPS = {
    "z(1 − z)": (lambda z: z * (1.0 - z),
                 "The bug is still there: σ(z)(1 − σ(z)) is written in terms of the sigmoid's output σ(z), "
                 "not of its input z."),
    "σ(z)": (reference_sigmoid, "That is the sigmoid itself; its slope is σ(z)(1 − σ(z))."),
    "no slope": (np.ones_like, "Without the activation's slope the stack back-propagates as if it were linear."),
    "1 − σ(z)²": (lambda z: 1.0 - reference_sigmoid(z) ** 2,
                  "1 − (·)² is the form of tanh's slope, 1 − tanh²; the sigmoid's is σ(z)(1 − σ(z))."),
}


def _backward_with(slope, weights: list, pre_activations: list, output_grad: np.ndarray) -> list:
    """[∂L/∂z_1, …, ∂L/∂z_{L+1}] for a stack whose activations have the derivative `slope`."""
    grads = [output_grad]
    for weight, z in zip(weights[:0:-1], pre_activations[::-1]):
        grads.insert(0, (grads[0] @ weight.T) * slope(z))
    return grads


# Sigmoid networks the debug exercise is checked on: (sizes, batch, weight gain, seed). Layers of unequal
# widths catch a transposed weight; the gain of 3 puts units far from z = 0, where the slips differ most.
_BACKWARD_CASES = (([4, 8, 8, 8, 8, 8, 1], 1, 1.0, 0), ([3, 5, 4, 6, 2], 7, 3.0, 1), ([2, 6, 3], 4, 1.5, 2))


def _autodiff_case(sizes: list, batch: int, gain: float, seed: int) -> tuple:
    """(weights, hidden pre-activations, output gradient, autodiff's ∂L/∂z_l for every layer) of one
    sigmoid MLP under L = Σ output ⊙ G, so that ∂L/∂z_{L+1} = G, a fixed random (batch, n_out) array."""
    rng = np.random.default_rng(seed)
    model = nn.MLP(sizes, activation="sigmoid", init="xavier_normal", gain=gain, rng=rng)
    X = rng.standard_normal((batch, sizes[0]))
    output_grad = rng.standard_normal((batch, sizes[-1]))
    trace = model.forward_trace(X)
    for z in trace.pre_activations:
        z.retain_grad()
    (trace.output * output_grad).sum().backward()
    weights = [layer.weight.data.copy() for layer in model.layers]
    hidden = [z.data.copy() for z in trace.pre_activations[:-1]]
    return weights, hidden, output_grad, [z.grad.copy() for z in trace.pre_activations]


@exercise_checker
def check_layer_gradients(fixed_layer_gradients) -> None:
    """Exercise 03.1 (debug): `fixed_layer_gradients(weights, pre_activations, output_grad)` back-propagates
    through a sigmoid MLP by hand and agrees with autodiff.

    weights: [W_1, …, W_{L+1}], W_l of shape (n_{l−1}, n_l); pre_activations: [z_1, …, z_L] of the hidden
    layers, each (batch, n_l); output_grad: ∂L/∂z_{L+1}, (batch, n_out). Returns [∂L/∂z_1, …, ∂L/∂z_{L+1}].
    """
    for sizes, batch, gain, seed in _BACKWARD_CASES:
        weights, hidden, output_grad, expected = _autodiff_case(sizes, batch, gain, seed)
        n_layers = len(weights)
        where = f"for the sigmoid net {sizes} with a batch of {batch}"
        got = call_learner(fixed_layer_gradients, [w.copy() for w in weights], [z.copy() for z in hidden],
                           output_grad.copy(), description=f"fixed_layer_gradients {where}")
        if got is None:
            fail(f"fixed_layer_gradients {where} returned None; did you forget the `return`?")
        if not isinstance(got, (list, tuple)):
            fail(f"return a list of arrays, one per layer; got {type(got).__name__} {where}")
        if len(got) != n_layers:
            hint = (" The last entry is ∂L/∂z of the output layer, output_grad itself."
                    if len(got) == n_layers - 1 else "")
            fail(f"{where}: expected {n_layers} arrays (layers 1 to {n_layers}), got {len(got)}.{hint}")
        shapes = [np.shape(g.data if isinstance(g, Tensor) else g) for g in got]
        if shapes != [e.shape for e in expected] and shapes == [e.shape for e in expected[::-1]]:
            fail(f"{where}: your list runs from the output layer down; return layer 1 first.")
        arrays = [as_array(g, e.shape, f"fixed_layer_gradients {where}, entry {k} (layer {k + 1}),")
                  for k, (g, e) in enumerate(zip(got, expected))]
        if all(np.allclose(g, e, rtol=1e-9, atol=1e-12) for g, e in zip(arrays, expected)):
            continue
        for slip, (slope, explanation) in _SLOPE_SLIPS.items():
            slipped = _backward_with(slope, weights, hidden, output_grad)
            if all(np.allclose(g, e, rtol=1e-9, atol=1e-12) for g, e in zip(arrays, slipped)):
                fail(f"{where}: your version multiplies by {slip} where σ'(z) belongs. {explanation}")
        wrong = max(k for k, (g, e) in enumerate(zip(arrays, expected)) if not np.allclose(g, e, rtol=1e-9, atol=1e-12))
        fail(f"{where}: at layer {wrong + 1} the gradient has norm {np.linalg.norm(arrays[wrong]):.4g}, autodiff gives "
             f"{np.linalg.norm(expected[wrong]):.4g} (the layers above it agree). Each step down is "
             "∂L/∂z_l = (∂L/∂z_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l).")
    passed(f"fixed_layer_gradients agrees with autodiff to within 1e-9 in every layer of {len(_BACKWARD_CASES)} "
           "sigmoid networks (unequal widths, batches of 1 to 7, units near and far from z = 0).")


#: Exercise 03.2: the network whose gradient decay the learner predicts: the explorer's sigmoid set-up,
#: deeper and with every weight doubled (no stored figure or text of the lesson shows this setting).
SIGMOID_DECAY_DEPTH = 30
SIGMOID_DECAY_GAIN = 2.0


def sigmoid_decay_ratio(depth: int = SIGMOID_DECAY_DEPTH, gain: float = SIGMOID_DECAY_GAIN) -> float:
    """‖∂L/∂z_1‖ / ‖∂L/∂z_{depth+1}‖ of the explorer's sigmoid net (width 32, xavier_normal × gain,
    batch 64, seed 0)."""
    grad_norm = gradient_flow(depth, "sigmoid", "xavier_normal", gain).grad_norm
    return float(grad_norm[0] / grad_norm[-1])


def _predicted_number(value, description: str) -> float:
    """A committed prediction as a float: any real number form (Python or NumPy scalar, 0-d array,
    one-element list), but not a bool, which is an answer to another kind of question."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"{description} should be a number, got the bool {value!r}")
    return as_number(value, description)


def measure_sigmoid_decay(predict_ratio) -> None:
    """Exercise 03.2 (predict, then measure): how much smaller the gradient reaching layer 1 of 30 sigmoid
    layers with doubled weights is than the one reaching the output layer, measured after the learner
    committed a prediction (a positive number; one above 1 is read as its inverse)."""
    prediction = committed_prediction(predict_ratio, "your prediction function")
    if prediction is None:
        return
    predicted = _predicted_number(prediction, "your predicted ratio")
    if predicted <= 0:
        fail(f"a ratio of two gradient norms is a positive number; got {predicted:.3g}")
    depth = SIGMOID_DECAY_DEPTH
    ratio = sigmoid_decay_ratio(depth)
    factor = ratio ** (1.0 / depth)  # the geometric mean per layer, as in the explorer's title
    print(f"Measured: through {depth} sigmoid layers with every weight doubled (width 32, xavier_normal × "
          f"{SIGMOID_DECAY_GAIN:g}, one backward pass) the gradient reaching layer 1 is {ratio:.1e} times the one "
          f"reaching the output layer: ×{factor:.2f} per layer.")
    if predicted > 1:
        print(f"(Your {predicted:.3g} is above 1, which would mean the gradient grows on its way down; it is "
              f"compared as 1/{predicted:.3g}, a gradient that many times smaller.)")
        predicted = 1.0 / predicted
    if report_prediction(predicted, ratio, "ratio", log_scale=True, tolerance=30.0):
        return
    if predicted > ratio:
        print("The bound ¼‖W_l‖₂ ≈ 1 per layer is a ceiling, not an estimate: it needs every unit at z = 0, where "
              "the slope is a full 1/4, and the gradient lined up with each W's strongest direction. A random "
              "gradient is stretched by about the gain, not by ‖W_l‖₂, and doubled weights spread the z_l wider, "
              "so fewer units sit near the slope's peak; over 30 layers both gaps compound.")
    else:
        print("Doubling the weights doubles how much a random gradient keeps through each W_l, while the wider "
              "z_l lower the average slope only somewhat: each layer still shrinks the gradient, but by a factor "
              "well above the one of the same net at gain 1.")


TANH_LARGE_GAIN = Choice(
    "50 tanh layers at weight gain 3",
    {
        "a": "that reasons from the saturated units alone. Saturation alone does not decide the direction: a "
             "third of each layer passing almost nothing leaves two thirds that pass the gradient on. Read the "
             "gradient panel (top left) and the factor per layer in its title, not only the saturation panel.",
        "b": "each layer multiplies the gradient by roughly (typical slope) × (weight scale). Tripling the "
             "weights drives many units toward saturation, but on average their slopes drop by less than the "
             "factor the weights gained, so every layer's factor ends above 1 and 50 of them compound. Many saturated "
             "units do not by themselves make a gradient vanish.",
        "c": "that takes the slope at z = 0 for every unit's slope and for the whole layer's factor. At gain 3 "
             "few units sit near z = 0 (the saturation panel shows how many are far from it), so the premise "
             "fails; read the factor per layer in the gradient panel's title.",
        "d": "no tanh unit has a slope above 1: tanh'(z) = 1 − tanh²(z) is largest, 1, at z = 0 and falls toward "
             "0 as a unit saturates (section 2 prints it), so the reason this option gives cannot explain "
             "anything the gradient line does.",
    },
    correct="b",
)


@exercise_checker
def check_tanh_large_gain(answer) -> None:
    """Exercise 03.3 (choose): what the gradient of a 50-layer tanh net at gain 3 does, and why."""
    TANH_LARGE_GAIN.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it):
    the measured ratio and its per-layer factor, in every form the measuring cell or the explorer prints."""
    ratio = sigmoid_decay_ratio()
    factor = ratio ** (1.0 / SIGMOID_DECAY_DEPTH)
    return {
        "ex2_sigmoid_decay": [f"{ratio:.1e}", f"{ratio:.3g}", f"×{factor:.2f}",
                              f"×{factor:.3g}", f"{factor:.3g} per layer"],
        "ex3_tanh_large_gain": [TANH_LARGE_GAIN.feedback[TANH_LARGE_GAIN.correct]],
    }
