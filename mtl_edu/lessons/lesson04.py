"""Lesson 04 (`04_exploding_gradients_and_fixes`): exploding gradients and the remedies for both
failures: the fix-it explorer, and the lesson's static figures.

It shows lesson 02's `plot_activation_derivatives` again.

Exercise checkers: `check_clip_by_norm`, `check_he_std`, `check_leaky_relu_std`.
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
from ..teaching.checking import as_array, as_number, call_learner, exercise_checker, fail, passed
from ..teaching.explorers import dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer

__all__ = [
    "FixItRun", "FIX_IT_ACTIVATIONS", "FIX_IT_INITS", "FIX_IT_CLIPPING", "FIX_IT_BROKEN",
    "FIX_IT_SETTINGS", "fix_it_data", "fix_it_run", "plot_fix_it", "fix_it_explorer_update",
    "fix_it_explorer", "DIVERGENCE_CONTROL", "divergence_steps", "plot_matrix_product_norms",
    "plot_clipping_2d", "plot_second_moments", "check_clip_by_norm",
    "check_he_std", "check_leaky_relu_std",
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
                  ("depth", "activation", "init", "residual", "layernorm", "clipping"), fix_it_explorer)


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
# Exercise checkers
# ==============================================================================================

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
