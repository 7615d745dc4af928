"""Lesson 10 (`10_capstone`): three penguin tasks, balancers, Δm% and gradient conflict.

The runs themselves live in `mtl_edu.capstone` (a layer below the widgets and the exercises); this
module draws them and holds the capstone explorer.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import capstone
from ..data import datasets
from ..instruments.plots import category_style
from ..instruments.stats import mean_interval
from .core import Explorer, dropdown, initial_values, int_slider, new_figure, plain_log_ticks, register_explorer

__all__ = [
    "CAPSTONE_DEFAULTS", "plot_penguins", "plot_trunk_gradient_norms", "plot_gradient_conflict",
    "plot_delta_m_two_ways", "plot_capstone", "capstone_explorer_update", "capstone_explorer",
]

# The runs themselves live in `capstone` (below this file and the exercises); this section draws them.


CAPSTONE_DEFAULTS = {"branch_depth": 2, "method": "equal"}
_CAPSTONE_TASKS = capstone.CAPSTONE_TASKS
_CAPSTONE_METHODS = capstone.CAPSTONE_METHODS


def plot_penguins(title: str = "Palmer penguins: what the three tasks look like") -> Figure:
    """Left: bill length against bill depth, by species. Right: flipper length against body mass, by
    sex. Every penguin of `datasets.load_penguins()` (333 after dropping rows with missing values)."""
    penguins = datasets.load_penguins()
    fig, (left, right) = new_figure((10.5, 4.1), ncols=2, margins=(0.07, 0.985, 0.13, 0.86))
    for code, name in enumerate(penguins.species_names):
        chosen = penguins.species == code
        style = category_style(code)
        left.plot(penguins.features[chosen, 0], penguins.features[chosen, 1], linestyle="none",
                  marker=style["marker"], color=style["color"], markersize=4.5, alpha=0.75,
                  markeredgecolor="black", markeredgewidth=0.3, label=f"{name} ({int(chosen.sum())})")
    for code, name in enumerate(penguins.sex_names):
        chosen = penguins.sex == code
        style = category_style(code + 3)
        right.plot(penguins.features[chosen, 2], penguins.body_mass_g[chosen], linestyle="none",
                   marker=style["marker"], color=style["color"], markersize=4.5, alpha=0.75,
                   markeredgecolor="black", markeredgewidth=0.3, label=f"{name} ({int(chosen.sum())})")
    left.set_xlabel("bill length (mm)")
    left.set_ylabel("bill depth (mm)")
    left.set_title("Species: bill shape separates them", y=1.0, fontsize=10)
    right.set_xlabel("flipper length (mm)")
    right.set_ylabel("body mass (g)")
    right.set_title("Body mass grows with flipper length; males are heavier", y=1.0, fontsize=10)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8.5, loc="upper left" if ax is right else "lower left", framealpha=0.9)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_trunk_gradient_norms(runs: dict, title: str = "Each task's gradient on the shared trunk") -> Figure:
    """One panel per run: ‖∂L_t/∂θ_shared‖ of each task over training, one log range for all panels.
    runs: {label: CapstoneRun} with branch_depth >= 1."""
    if not isinstance(runs, dict) or not runs:
        raise ValueError("plot_trunk_gradient_norms: runs must be a non-empty dict label -> CapstoneRun")
    if any(run.gradient_norms.size == 0 for run in runs.values()):
        raise ValueError("plot_trunk_gradient_norms: a run with branch_depth 0 has no shared trunk to measure")
    fig, axes = new_figure((4.6 * len(runs), 3.8), ncols=len(runs), margins=(0.08, 0.985, 0.14, 0.8))
    axes = np.atleast_1d(axes)
    positive = np.concatenate([r.gradient_norms[r.gradient_norms > 0] for r in runs.values()])
    for ax, (label, run) in zip(axes, runs.items()):
        for t, name in enumerate(_CAPSTONE_TASKS):
            ax.plot(run.gradient_steps, run.gradient_norms[:, t], markevery=5, markersize=4, linewidth=1.8,
                    label=name, **category_style(t))
        ax.set_yscale("log")
        ax.set_ylim(positive.min() / 3, positive.max() * 3)
        plain_log_ticks(ax.yaxis, step=2)
        ax.set_xlabel("training step")
        ax.set_ylabel("‖∂L_t/∂θ_trunk‖ (log scale)")
        ax.set_title(label, y=1.0, fontsize=10)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8, loc="upper right", framealpha=0.9)
    fig.suptitle(title, fontsize=11)
    return fig


_PAIRS = ((0, 1), (0, 2), (1, 2))


def plot_gradient_conflict(runs_by_method: dict, cosine_method: str = "equal",
                           title: str = "Do the three tasks pull the shared trunk apart?") -> Figure:
    """Left: the cosine between each pair of task gradients on the shared trunk over training for
    `cosine_method` (line: mean over seeds; band: lowest to highest seed). Right: the fraction of the
    three pairs with a negative cosine (conflicting gradients), mean over seeds, as a heat map of
    methods × recorded steps.

    runs_by_method: {method: [CapstoneRun per seed]}, all with branch_depth >= 1.
    """
    if not isinstance(runs_by_method, dict) or not runs_by_method:
        raise ValueError("plot_gradient_conflict: runs_by_method must be a non-empty dict method -> runs")
    if cosine_method not in runs_by_method:
        raise ValueError(f"plot_gradient_conflict: cosine_method {cosine_method!r} is not among {list(runs_by_method)}")
    fig, (left, right) = new_figure((10.8, 4.2), ncols=2, margins=(0.07, 0.93, 0.13, 0.86))
    runs = runs_by_method[cosine_method]
    steps = runs[0].gradient_steps
    for index, (a, b) in enumerate(_PAIRS):
        values = np.array([run.cosines[:, a, b] for run in runs])  # (seeds, R)
        style = category_style(index + 6)
        left.fill_between(steps, values.min(axis=0), values.max(axis=0), color=style["color"], alpha=0.18,
                          linewidth=0)
        left.plot(steps, values.mean(axis=0), markevery=5, markersize=4, linewidth=1.8,
                  label=f"{_CAPSTONE_TASKS[a]} · {_CAPSTONE_TASKS[b]}", **style)
    left.axhline(0.0, color="black", linewidth=1.0)
    left.set_ylim(-1.05, 1.05)
    left.set_ylabel("cosine of the two task gradients")
    left.set_title(f"Pairwise cosines, {_CAPSTONE_METHODS.get(cosine_method, cosine_method)} "
                   f"({len(runs)} seeds)", y=1.0, fontsize=10)
    left.legend(fontsize=8.5, loc="lower right", framealpha=0.9)
    # Right: each method's conflict fraction as a heat map (methods × recorded steps). Per run the fraction
    # can only be 0, 1/3, 2/3 or 1; over seeds it is an average, which lines of five methods tangle.
    methods = list(runs_by_method)
    fractions = np.array([np.mean([(run.cosines[:, [p[0] for p in _PAIRS], [p[1] for p in _PAIRS]] < 0).mean(axis=1)
                                   for run in runs_by_method[m]], axis=0) for m in methods])  # (M, R)
    method_steps = runs_by_method[methods[0]][0].gradient_steps
    half = np.diff(method_steps).min() / 2 if len(method_steps) > 1 else 0.5
    image = right.imshow(fractions, aspect="auto", cmap="cividis", vmin=0.0, vmax=1.0, interpolation="nearest",
                         extent=(method_steps[0] - half, method_steps[-1] + half, len(methods) - 0.5, -0.5))
    right.set_yticks(range(len(methods)), [_CAPSTONE_METHODS.get(m, m) for m in methods], fontsize=8.5)
    bar = fig.colorbar(image, ax=right, fraction=0.05, pad=0.02)
    bar.set_label("fraction of task pairs in conflict (cos < 0)", fontsize=8.5)
    right.set_title(f"Conflict fraction, mean over {len(runs)} seeds × 3 pairs", y=1.0, fontsize=10)
    left.grid(alpha=0.3)
    for ax in (left, right):
        ax.set_xlabel("training step")
    fig.suptitle(title, fontsize=11)
    return fig


def plot_delta_m_two_ways(at_end: dict, early_stopped: dict,
                          title: str = "Δm% on the test set against the STL networks (lower is better)",
                          limit: float = 6.0) -> Figure:
    """For each method two horizontal bars: Δm% of the trained networks (after the last step) and with
    early stopping chosen on validation (`capstone.early_stopped_metrics`, STL early-stopped too).
    Bars: mean over seeds; whiskers: the 95 % t interval of that mean; dots: the seeds.
    at_end, early_stopped: {method: (S,) per-seed Δm%}, the same methods in both. The axis spans ±limit
    so that the bars that matter stay readable; a mean beyond it is written at the edge."""
    if not isinstance(at_end, dict) or not at_end or set(at_end) != set(early_stopped):
        raise ValueError("plot_delta_m_two_ways: give two non-empty dicts method -> per-seed Δm% with the same methods")
    methods = list(at_end)
    fig, ax = new_figure((8.4, 5.0), margins=(0.17, 0.98, 0.11, 0.9))
    positions = np.arange(len(methods))[::-1].astype(float)
    for offset, values, name, index, hatch in ((0.19, at_end, "after 300 steps", 0, ""),
                                               (-0.19, early_stopped, "early-stopped on validation", 1, "//")):
        per_seed = [np.asarray(values[m], dtype=float) for m in methods]
        intervals = [mean_interval(v) for v in per_seed]
        means = np.array([i.mean for i in intervals])
        whiskers = np.array([[i.mean - i.low for i in intervals], [i.high - i.mean for i in intervals]])
        colour = category_style(index)["color"]
        ax.barh(positions + offset, means, height=0.36, xerr=whiskers, color=colour, hatch=hatch, edgecolor="black",
                linewidth=0.6, capsize=2.5, label=name, alpha=0.85)
        for y, v, mean in zip(positions + offset, per_seed, means):
            ax.plot(v, np.full(v.size, y), linestyle="none", marker="o", markersize=3.2, color="black")
            if abs(mean) > limit:  # off the scale: say so at the edge rather than squeeze every other bar
                ax.annotate(f"{mean:+.1f} (off scale) →" if mean > 0 else f"← {mean:+.1f} (off scale)",
                            xy=(np.sign(mean) * limit, y), ha="right" if mean > 0 else "left", va="center",
                            fontsize=8, xytext=(-3 if mean > 0 else 3, 0), textcoords="offset points",
                            bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1))
    ax.set_xlim(-limit, limit)
    ax.set_yticks(positions, [_CAPSTONE_METHODS.get(m, m) for m in methods])
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.set_xlabel("Δm% (negative = better than the single-task networks)")
    ax.set_title(title, y=1.0, fontsize=10.5)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower right", framealpha=0.9)
    return fig


def plot_capstone(scores: capstone.CapstoneScores) -> Figure:
    """The explorer's figure: per-task validation curves of one setting against the STL networks
    (lines: mean over seeds; bands: lowest to highest seed), and the share of the total task weight
    each task got during training (seed of the first run)."""
    fig, axes = new_figure((12.6, 3.7), ncols=4, margins=(0.05, 0.99, 0.15, 0.8))
    label = _CAPSTONE_METHODS.get(scores.method, scores.method)
    method_curves = np.array([run.val_curves for run in scores.runs])  # (seeds, S, 3)
    stl_curves = np.array([run.val_curves for run in scores.stl_runs])
    steps = scores.runs[0].steps
    # Fixed limits and few ticks: the same axes for every setting, and tick labels are most of a redraw's cost.
    limits = ((0.3, 1.02), (0.45, 0.95), (250.0, 900.0))
    ticks = ((0.4, 0.6, 0.8, 1.0), (0.5, 0.7, 0.9), (300, 500, 700, 900))
    for t, ax in enumerate(axes[:3]):
        for curves, name, style in ((stl_curves, "STL (separate nets)", {"color": "0.25", "linestyle": "--"}),
                                    (method_curves, f"{label}, depth {scores.branch_depth}",
                                     {"color": category_style(0)["color"], "linestyle": "-"})):
            ax.fill_between(steps, curves[:, :, t].min(axis=0), curves[:, :, t].max(axis=0), color=style["color"],
                            alpha=0.15, linewidth=0)
            ax.plot(steps, curves[:, :, t].mean(axis=0), linewidth=1.8, label=name, **style)
        ax.set_ylim(*limits[t])
        ax.set_yticks(ticks[t])
        ax.set_xlabel("training step")
        arrow = " ↑" if capstone.CAPSTONE_HIGHER_IS_BETTER[t] else " ↓"
        ax.set_title(capstone.CAPSTONE_METRICS[t] + arrow, y=1.0, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation metric")
    axes[2].legend(fontsize=8, loc="upper right", framealpha=0.9)
    ax = axes[3]
    run = scores.runs[0]
    weights = np.asarray(run.weights, dtype=float)
    totals = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, totals, out=np.full_like(weights, np.nan), where=np.abs(totals) > 1e-12)
    for t, name in enumerate(_CAPSTONE_TASKS):
        ax.plot(run.weight_steps, shares[:, t], linewidth=1.6, markevery=5, markersize=4, label=name,
                **category_style(t))
    ax.axhline(1 / 3, color="0.5", linestyle=":", linewidth=1.0)
    ax.set_ylim(-0.05, 1.3)  # headroom above 1 keeps the legend off the lines
    ax.set_yticks((0.0, 0.5, 1.0))
    ax.set_xlabel("training step")
    ax.set_ylabel("w_t / Σ w")
    ax.set_title(f"Share of the task weight (seed {run.seed})", y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", ncols=3, handlelength=1.6, columnspacing=0.7, borderpad=0.3,
              framealpha=0.9)
    for ax in axes:
        ax.set_xticks((0, 100, 200, 300))
    delta = scores.delta_m
    fig.suptitle(f"{label}, branch depth {scores.branch_depth}: validation Δm% = {capstone.delta_m_summary(delta)} "
                 f"(95 % interval; lower is better): {capstone.delta_m_verdict(delta)}", fontsize=11)
    return fig


def capstone_explorer_update(branch_depth: int = 2, method: str = "equal", progress=None) -> Figure:
    """Lesson 10: one balancer at one branch depth against the STL networks, on the validation set.
    Runs train on first use (ten seeds as one batch, a few seconds) and are cached."""
    capstone.check_capstone_setting(method, branch_depth)
    return plot_capstone(capstone.capstone_scores(method, branch_depth, "validation", progress=progress))


def capstone_explorer(**initial) -> Explorer:
    """Branch depth and balancer → per-task validation curves against STL, Δm% and the task weights."""
    values = initial_values("capstone", initial)
    controls = {
        "branch_depth": int_slider("branch depth (shared layers)", values["branch_depth"], 0,
                                   len(capstone.CAPSTONE["hidden_sizes"])),
        "method": dropdown("balancer", [(label, key) for key, label in _CAPSTONE_METHODS.items()], values["method"]),
    }
    return Explorer(capstone_explorer_update, controls,
                    title="Capstone explorer: which balancer and branch point, on three penguin tasks?",
                    help_text="Validation set only (the test set is for the final table). A setting not seen "
                              "before trains ten seeds and their STL baselines first (a few seconds); "
                              "after that it comes back at once.",
                    reports_progress=True)


register_explorer("capstone", capstone_explorer_update, CAPSTONE_DEFAULTS, capstone_explorer)
