"""Lesson 04 (`04_exploding_gradients_and_fixes`): exploding gradients and the remedies for both
failures: the fix-it explorer, and the lesson's static figures.

Lesson 02 (`decision_boundary`) reuses `plot_activation_derivatives`.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from ..nets import nn, optim
from ..nets.batched import ModelBatch
from ..data.datasets import make_moons
from ..engine.functional import cross_entropy
from ..instruments.plots import category_style, plot_layer_gradient_norms, plot_loss_curves
from ..instruments.probes import gradient_norms_by_layer
from ..nets.train import TrainingDiverged, fit
from .core import Explorer, dropdown, initial_values, int_slider, new_figure, plain_log_ticks, register_explorer

__all__ = [
    "FixItRun", "FIX_IT_ACTIVATIONS", "FIX_IT_INITS", "FIX_IT_CLIPPING", "FIX_IT_BROKEN", "FIX_IT_SETTINGS",
    "fix_it_data", "fix_it_run", "plot_fix_it", "fix_it_explorer_update", "fix_it_explorer",
    "DIVERGENCE_CONTROL", "divergence_steps", "plot_matrix_product_norms", "plot_clipping_2d", "plot_second_moments", "plot_activation_derivatives",
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


def plot_activation_derivatives(z: np.ndarray, curves: Mapping[str, tuple]) -> Figure:
    """Left: each activation f(z); right: its derivative f'(z) (from autodiff).

    z: (n,) inputs; curves: {name: (f(z) (n,), f'(z) (n,))}.
    """
    fig, (left, right) = _two_panel_figure((10.5, 3.6))
    for index, (name, (values, slopes)) in enumerate(curves.items()):
        style = category_style(index)
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
