"""Lesson 04 (`04_exploding_gradients_and_fixes`): exploding gradients and the remedies for both
failures: the fix-it explorer, and the lesson's static figures.

It shows lesson 02's `plot_activation_derivatives` again.

Exercises: `check_clip_gradients` (debug), `check_leaky_relu_std` (build), `measure_residual_gradient`
(predict, then measure), `check_half_the_depth` (choose); `answer_texts` lists what would give the
predict and choose answers away.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from ..data.datasets import make_moons
from ..engine.autodiff import Tensor
from ..engine.functional import cross_entropy
from ..instruments.plots import category_style, plain_log_ticks, plot_layer_gradient_norms, plot_loss_curves
from ..instruments.probes import gradient_norms_by_layer
from ..nets import nn, optim
from ..nets.batched import ModelBatch
from ..nets.train import fit, TrainingDiverged
from ..teaching.checking import (
    Choice, as_number, call_learner, committed_prediction, exercise_checker, fail, passed, report_prediction,
    without_library,
)
from ..teaching.explorers import dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer

__all__ = [
    "FixItRun", "FIX_IT_ACTIVATIONS", "FIX_IT_INITS", "FIX_IT_CLIPPING", "FIX_IT_BROKEN",
    "FIX_IT_SETTINGS", "fix_it_data", "fix_it_run", "plot_fix_it", "fix_it_explorer_update",
    "fix_it_explorer", "DIVERGENCE_CONTROL", "divergence_steps", "plot_matrix_product_norms",
    "plot_clipping_2d", "plot_second_moments", "check_clip_gradients", "check_leaky_relu_std",
    "RESIDUAL_PREDICTION", "RESIDUAL_FIGURE", "EXPLODING_DEPTHS", "layer_one_ratio", "measure_residual_gradient",
    "HALF_THE_DEPTH", "check_half_the_depth", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

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
    X, y = make_moons(FIX_IT_SETTINGS["n_points"], noise=0.1, rng=np.random.default_rng(seed))
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


#: Lesson 04, section 2 and its control: the 10-layer ReLU net on the two moons, SGD lr 0.1 with momentum
#: 0.9 for 100 steps, trained at several weight gains over the same seeds (seed 1 is the lesson's net).
DIVERGENCE_CONTROL = {"depth": 10, "width": 32, "lr": 0.1, "momentum": 0.9, "steps": 100,
                      "gains": (0.8, 1.0, 1.3), "seeds": tuple(range(1, 17))}


def divergence_steps(gains=None, seeds=None, steps: int | None = None) -> np.ndarray:
    """The step at which each run's training loss stopped being finite, -1 if it never did.

    Returns (len(gains), len(seeds)) ints: for each gain g and seed s, MLP([2] + [32] * 10 + [2], relu,
    He-normal init times g, rng=default_rng(s)) trained on lesson 04's two moons (128 points) with full-batch
    SGD, lr 0.1, momentum 0.9 (DIVERGENCE_CONTROL), all runs at once as one ModelBatch. A run that has
    diverged keeps computing NaNs without touching the others. Defaults from DIVERGENCE_CONTROL.
    """
    setup = DIVERGENCE_CONTROL
    gains = tuple(setup["gains"] if gains is None else gains)
    seeds = tuple(setup["seeds"] if seeds is None else seeds)
    steps = setup["steps"] if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"divergence_steps: steps must be a whole number >= 1, got {steps!r}")
    if not gains or not seeds or any(not np.isfinite(g) or g <= 0 for g in gains):
        raise ValueError(f"divergence_steps: need gains > 0 and at least one seed, got gains={gains}, seeds={seeds}")
    X, y = make_moons(128, noise=0.1, rng=np.random.default_rng(0))
    nets = [nn.MLP([2] + [setup["width"]] * setup["depth"] + [2], activation="relu", init="he_normal", gain=gain,
                   rng=np.random.default_rng(seed)) for gain in gains for seed in seeds]
    batch = ModelBatch(nets)
    optimizer = optim.SGD(batch.parameters(), lr=setup["lr"], momentum=setup["momentum"])
    labels = np.broadcast_to(y, (len(nets),) + y.shape)
    first = np.full(len(nets), -1)
    with np.errstate(all="ignore"):  # the diverging runs overflow on purpose
        for step in range(steps):
            optimizer.zero_grad()
            losses = cross_entropy(batch(X), labels, per_model=True)
            first[~np.isfinite(losses.data) & (first < 0)] = step
            losses.sum().backward()
            optimizer.step()
    return first.reshape(len(gains), len(seeds))


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
    net = nn.MLP([2] + [settings["width"]] * depth + [2], activation=activation, init=init,
                 rng=np.random.default_rng(1), residual=residual, norm="layernorm" if layernorm else None)
    grad_norms = gradient_norms_by_layer(net, X, y, loss="cross_entropy")
    optimizer = optim.SGD(net.parameters(), lr=settings["lr"], momentum=settings["momentum"])
    clip = {"none": {}, "norm": {"clip_norm": settings["clip_norm"]},
            "value": {"clip_value": settings["clip_value"]}}[clipping]
    try:
        history = fit(net, X, y, loss="cross_entropy", optimizer=optimizer, steps=settings["steps"],
                      progress=False, **clip)
        losses, diverged_at = np.asarray(history.loss, dtype=float), None
    except TrainingDiverged as error:
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
    plot_layer_gradient_norms({label: run.grad_norms for label, run in runs.items()}, ax=left,
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
    plot_loss_curves(capped, ax=right, title=f"Training loss ({FIX_IT_SETTINGS['steps']} steps of SGD + momentum)",
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
                  ("depth", "activation", "init", "residual", "layernorm", "clipping"), fix_it_explorer,
                  static_controls=("init", "residual", "layernorm", "clipping"))


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
        style = category_style(index)
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
        plot_layer_gradient_norms(by_init, ax=ax, title=f"{activation}: second moment through depth",
                                  ylabel="E[z_l²] (log scale)")
        for label, values in (theory or {}).get(activation, {}).items():
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(1, values.size + 1), values, color="0.25", linestyle=(0, (4, 2)), linewidth=1.2,
                    label=label)
        ax.legend(fontsize=7.5, loc="lower left", framealpha=0.9)
    return fig


# ==============================================================================================
# Exercises
# ==============================================================================================

def _gradient_sets() -> list:
    """(gradients, max_norm) pairs for the debug exercise: lists of gradient arrays, one per parameter.

    Long overall with some tensors long on their own; long overall although every tensor is short on
    its own (per-tensor clipping leaves it untouched); short overall; the lesson's one 2-D gradient; all zeros.
    """
    rng = np.random.default_rng(5)
    mixed = [rng.standard_normal(shape) for shape in ((3, 4), (4,), (4, 2), (2,))]
    total = np.sqrt(sum(np.sum(g * g) for g in mixed))
    many = [rng.standard_normal(5) for _ in range(12)]
    many = [0.5 * g / np.linalg.norm(g) for g in many]  # each of norm 0.5, together √12 · 0.5 ≈ 1.7
    return [
        ([g * (10.0 / total) for g in mixed], 1.0),
        (many, 1.0),
        ([g * (0.5 / total) for g in mixed], 1.0),
        ([np.array([3.0, 1.0])], 1.0),
        ([np.zeros((2, 3)), np.zeros(3)], 1.0),
    ]


def _joint_norm(grads: list) -> float:
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))


def _same(got: list, expected: list) -> bool:
    return all(np.allclose(g, e, rtol=1e-9, atol=1e-12) for g, e in zip(got, expected))


@exercise_checker
def check_clip_gradients(fixed_clip_gradients) -> None:
    """Exercise 04.1 (debug): `fixed_clip_gradients(params, max_norm)` clips the gradients of a list of
    parameters by their joint norm, as `optim.clip_grad_norm` does (Pascanu, Mikolov & Bengio 2013, ICML),
    and returns that joint norm before clipping.

    params: a list of Tensors whose `.grad` holds their gradient; the function changes the `.grad`s.
    While it runs, `optim.clip_grad_norm` refuses to (`without_library`): the exercise asks for that part.
    """
    sets = _gradient_sets()
    for grads, max_norm in sets:
        params = []
        for g in grads:
            param = Tensor(np.zeros_like(g), requires_grad=True)
            param.grad = g.copy()
            params.append(param)
        total = _joint_norm(grads)
        shapes = ", ".join(str(g.shape) for g in grads)
        where = (f"for {len(grads)} parameter(s) of shapes {shapes} whose gradients have joint norm {total:.3g}, "
                 f"max_norm = {max_norm:g}")
        with without_library(fixed_clip_gradients, optim.clip_grad_norm):  # the exercise asks for this part
            returned = call_learner(fixed_clip_gradients, list(params), max_norm,
                                    description=f"fixed_clip_gradients {where}")
        got = []
        for k, (param, g) in enumerate(zip(params, grads)):
            if param.grad is None:
                fail(f"{where}: parameter {k} has no .grad afterwards; scale each gradient, do not remove it.")
            after = np.asarray(param.grad, dtype=float)
            if after.shape != g.shape:
                fail(f"{where}: parameter {k}'s gradient has shape {after.shape} afterwards, expected {g.shape}.")
            if not np.all(np.isfinite(after)):
                if total == 0:
                    fail(f"{where}: the gradients came back as NaN. A zero gradient is already short enough: rescale "
                         "only when the joint norm exceeds max_norm, so you never divide by a zero norm.")
                fail(f"{where}: parameter {k}'s gradient has a non-finite entry afterwards.")
            got.append(after)
        scale = min(1.0, max_norm / total) if total > 0 else 1.0
        expected = [g * scale for g in grads]
        if not _same(got, expected):
            after_norm = _joint_norm(got)
            per_tensor = [g * min(1.0, max_norm / np.linalg.norm(g)) if np.linalg.norm(g) > 0 else g for g in grads]
            if _same(got, per_tensor):
                fail(f"{where}: each tensor is still clipped on its own. Together the gradients now have norm "
                     f"{after_norm:.3g}, above max_norm, and the tensors were scaled by different factors (or not "
                     "at all), which turns the direction of the whole update.")
            if _same(got, [np.clip(g, -max_norm, max_norm) for g in grads]):
                fail(f"{where}: you clipped every entry into ±{max_norm:g}: that is clipping by value, which turns "
                     "the direction. Clipping by norm scales all the gradients by one common factor.")
            if _same(got, grads):
                fail(f"{where}: the gradients came back unchanged, but their joint norm is above max_norm.")
            if total <= max_norm:
                fail(f"{where}: the gradients are already short enough and must come back unchanged; yours have "
                     f"joint norm {after_norm:.3g} afterwards.")
            if np.isclose(after_norm, max_norm, rtol=1e-9):
                fail(f"{where}: the joint norm is right afterwards ({max_norm:g}), but the tensors were not scaled "
                     "by one common factor, so the direction of the whole update turned.")
            fail(f"{where}: expected the gradients scaled by max_norm / joint norm = {scale:.4g} each; yours have "
                 f"joint norm {after_norm:.4g} afterwards.")
        if returned is None:
            fail(f"fixed_clip_gradients {where} returned None; return the joint norm before clipping, as "
                 "optim.clip_grad_norm does (the training loop logs it).")
        returned = as_number(returned, f"the norm fixed_clip_gradients returned {where}")
        if not np.isclose(returned, total, rtol=1e-9, atol=1e-12):
            after_hint = " (that is the norm after clipping)" if np.isclose(returned, _joint_norm(got)) else ""
            fail(f"{where}: you returned {returned:.4g}{after_hint}; return the joint norm before clipping.")
    passed(f"fixed_clip_gradients agrees with clipping by the joint norm on {len(sets)} sets of gradients (one to "
           "twelve parameters, long and short, all zeros) and returns the norm before clipping.")


_RELU_DEPTH = 50  # the exercises' network: the second moment is multiplied by the per-layer factor 49 times


def _factor_over_depth(per_layer: float) -> float:
    """How much the second moment changes from layer 1 to layer 50 if each layer multiplies it by per_layer."""
    with np.errstate(over="ignore", under="ignore"):
        return float(per_layer ** (_RELU_DEPTH - 1))


def _within_two_times(per_layer: float) -> bool:
    return per_layer > 0 and abs((_RELU_DEPTH - 1) * np.log(per_layer)) <= np.log(2.0)


_LEAKY_CASES = ((64, 0.0), (64, 0.5), (256, 0.2), (10, 1.0), (128, 0.01), (100, 0.3))


@exercise_checker
def check_leaky_relu_std(leaky_relu_std) -> None:
    """Exercise 04.2 (build): `leaky_relu_std(fan_in, slope)` = √(2 / ((1 + slope²)·fan_in)), He et al. 2015 (ICCV),
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
    passed(f"leaky_relu_std keeps the second moment of a 50-layer leaky-ReLU net within 2× on average at "
           f"{len(_LEAKY_CASES)} (fan_in, slope) pairs, from slope 0 (a ReLU) to slope 1 (no activation at all).")


# The residual net the learner predicts for (exercise 04.3) and the exploding net read off the explorer (04.4).
RESIDUAL_PREDICTION = {"depth": 16, "activation": "relu", "init": "he_normal", "residual": True}
EXPLODING_DEPTHS = (16, 8)


def layer_one_ratio(depth: int, activation: str, init: str, residual: bool = False, layernorm: bool = False) -> float:
    """‖∂L/∂z_1‖ / ‖∂L/∂z_out‖ at initialisation of the fix-it net with these settings (see `fix_it_run`)."""
    run = fix_it_run(depth, activation, init, residual=residual, layernorm=layernorm)
    return float(run.grad_norms[0] / run.grad_norms[-1])


def _predicted_number(value, description: str) -> float:
    """A committed prediction as a float: any real number form (Python or NumPy scalar, 0-d array,
    one-element list), but not a bool, which is an answer to another kind of question."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"{description} should be a number, got the bool {value!r}")
    return as_number(value, description)


#: The nets of section 6's figure: the two sigmoid nets are stored in the lesson, the third is exercise
#: 04.3's and is drawn only by its measuring cell, after a prediction.
RESIDUAL_FIGURE = {
    "sigmoid + Xavier": {"activation": "sigmoid", "init": "xavier_normal"},
    "sigmoid + Xavier + residual": {"activation": "sigmoid", "init": "xavier_normal", "residual": True},
    "ReLU + He + residual": {"activation": "relu", "init": "he_normal", "residual": True},
}


def measure_residual_gradient(predict_ratio) -> Figure | None:
    """Exercise 04.3 (predict, then measure): the layer-1 / output gradient ratio of 16 residual ReLU blocks
    with He init, measured after the learner committed a prediction (a positive number).

    Returns section 6's figure with all three nets (`RESIDUAL_FIGURE`), which the lesson stores without
    the third: a notebook cell that ends with this call shows it. Returns None while the stub is untouched.
    """
    prediction = committed_prediction(predict_ratio, "your prediction function")
    if prediction is None:
        return None
    predicted = _predicted_number(prediction, "your predicted ratio")
    if predicted <= 0:
        fail(f"a ratio of two gradient norms is a positive number; got {predicted:.3g}")
    depth = RESIDUAL_PREDICTION["depth"]
    ratio = layer_one_ratio(**RESIDUAL_PREDICTION)
    print(f"Measured: at initialisation, the gradient reaching layer 1 of {depth} residual "
          f"ReLU blocks with He init is {ratio:.2g} times the one reaching the output layer.")
    if not report_prediction(predicted, ratio, "ratio", log_scale=True, tolerance=4.0):
        if predicted < ratio:
            print("The shortcut hands the gradient down unchanged, but the branch adds its own share on top, and "
                  "with He init the branch is as large as its input: ‖(I + J_f)ᵀg‖² ≈ ‖g‖² + ‖J_fᵀg‖² ≈ 2‖g‖², "
                  "a factor of about √2 in norm per block, compounded over every block. 'I + small' needs a "
                  "small branch.")
        else:
            print("Each block about doubles the gradient's squared norm, ‖g‖² + ‖J_fᵀg‖² ≈ 2‖g‖², because the "
                  "branch and the shortcut add up like independent parts: its norm grows by about √2 per block, "
                  "not by 2.")
    runs = {label: fix_it_run(depth, **config) for label, config in RESIDUAL_FIGURE.items()}
    residual_relu = runs["ReLU + He + residual"]
    if residual_relu.diverged_at is not None:
        print(f"Trained like the other nets in the figure, this one diverges at step {residual_relu.diverged_at}: "
              "each block adds a branch as large as its input, in the forward pass as in the backward one. "
              "Residual nets need their branches kept small, or normalised, which is where LayerNorm (section 7) "
              "comes in.")
    return plot_fix_it(runs, f"Residual connections, {depth} hidden layers")


HALF_THE_DEPTH = Choice(
    "the exploding net with 8 hidden layers instead of 16",
    {
        "a": "that takes the gap for a property of the N(0, 1) weights' scale, which does not change with depth. "
             "But the gap is measured from layer 1 to the output layer, across every layer in between: move the "
             "depth slider and watch where the exploding net's line starts.",
        "b": "that treats the gap as a sum of the layers' contributions, so that half the layers give half of "
             "it. Section 1 says how a gradient is built up over many layers; then read the exploding net's line "
             "at depth 8 on the explorer's log axis.",
        "c": "that expects a shallower net to be a healthy one, but the N(0, 1) weights are as far from He's "
             "scale at depth 8 as at depth 16 (section 4). Read the exploding net's line at depth 8: is it flat?",
        "d": "the gap is a product of one factor per layer (for N(0, 1) weights feeding 32 ReLU units, "
             "√(n_in · Var(W) / 2) = 4 in norm, section 4), so on the explorer's log axis it is a sum of equal "
             "steps: half the layers, half the decades.",
    },
    correct="d",
)


@exercise_checker
def check_half_the_depth(answer) -> None:
    """Exercise 04.4 (choose): the exploding net's layer-1 / output gradient ratio at half the depth."""
    HALF_THE_DEPTH.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it):
    the measured ratios as the lesson would print them, the residual net's factor per block and the
    reasoning that leads straight to it, and the right option's feedback."""
    residual = layer_one_ratio(**RESIDUAL_PREDICTION)
    per_block = residual ** (1.0 / RESIDUAL_PREDICTION["depth"])
    half = layer_one_ratio(EXPLODING_DEPTHS[1], "relu", "normal")
    return {
        "ex3_residual_gradient": [f"{residual:.2g}", f"{residual:.3g}", f"×{per_block:.2f}", f"{per_block:.3g} per block", "√2 per block",
                                  "doubles the variance"],
        "ex4_half_the_depth": [HALF_THE_DEPTH.feedback[HALF_THE_DEPTH.correct], f"{half:.2g}"],
    }
