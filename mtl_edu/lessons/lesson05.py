"""Lesson 05 (`05_multitask_learning`): what sharing a network between tasks buys: the transfer
explorer, soft sharing, and per-task validation curves.

Exercises: `check_sharing_parameter_counts` (build), `check_interval_of_the_mean` (debug),
`check_one_shared_layer` (choose, read off the transfer explorer), `measure_wider_layers` (predict, then
measure: the transfer experiment with wider hidden layers). `answer_texts` lists what would give the
predict and choose answers away.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..data.datasets import make_related_tasks
from ..engine.autodiff import no_grad
from ..instruments.plots import category_style, plot_loss_curves
from ..instruments.stats import mean_interval, paired_interval, PairedInterval, t_quantile
from ..nets import multitask, nn
from ..nets.batched import ModelBatch
from ..nets.optim import Adam
from ..teaching.checking import (
    as_number, call_learner, Choice, committed_prediction, exercise_checker, fail, passed, report_prediction,
    without_library,
)
from ..teaching.explorers import (
    control_style, Explorer, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "train_sharing_nets", "hidden_weight_norm", "TRANSFER_SETUP", "TRANSFER_RHOS", "TRANSFER_SIZES",
    "TransferResult", "transfer_data", "transfer_test_errors", "transfer_experiment", "plot_transfer",
    "plot_transfer_map", "transfer_explorer_update", "transfer_explorer", "plot_sharing_diagram",
    "SoftSharingSweep", "soft_sharing_sweep", "plot_soft_sharing", "best_validation_steps",
    "plot_per_task_validation", "check_sharing_parameter_counts", "check_interval_of_the_mean",
    "ONE_SHARED_LAYER", "check_one_shared_layer", "WIDER_SETUP", "WidthResult", "width_experiment",
    "measure_wider_layers", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

def hidden_weight_norm(net):
    """Σ ||W||² over the hidden layers' weights (not biases, not output layers) of a sharing network:
    the weights a SoftSharingNet's penalty pulls together. A scalar Tensor, or (S,) for a ModelBatch's
    stacked network."""
    if isinstance(net, multitask.SoftSharingNet):
        layers = [layer for network in net.networks for layer in network.layers[:-1]]
    else:
        layers = (list(net.trunk.layers) if net.trunk is not None else []) + \
            [layer for tower in net.towers for layer in tower.layers[:-1]]
    total = None
    for layer in layers:
        squared = layer.weight * layer.weight
        term = squared.sum(axis=(1, 2)) if squared.ndim == 3 else squared.sum()
        total = term if total is None else total + term
    return total


def train_sharing_nets(nets, X, targets, steps: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8,
                       hidden_weight_decays=None) -> np.ndarray:
    """Train R sharing networks of one layout at once, in place, and return their final task losses.

    For every network r this is exactly the loop (a test checks the weights agree):

        optimizer = Adam(net.parameters(), lr=lr, betas=betas, eps=eps)
        for step in range(steps):
            optimizer.zero_grad()
            outputs = net(X[r])
            loss = Σ_t task_loss(task_t, outputs[t], targets[r][t])  (+ net.l2_penalty() if soft)
                   (+ hidden_weight_decays[r] · hidden_weight_norm(net) if given)
            loss.backward(); optimizer.step()

    run for all R networks at once as one ModelBatch (the engine's batched-models path), which is
    what lets the lessons train ten or more seeds per setting within their time budget.

    nets: R HardSharingNet (same layout) or R SoftSharingNet (same layout; each keeps its own penalty
        weight). X: (R, n, d) inputs, one training set per network. targets: (R, T, n), one target
        (or label) per example and task.
    Returns (R, T) the task losses on the training data after training.
    """
    where = "train_sharing_nets"
    nets = list(nets)
    if not nets:
        raise ValueError(f"{where}: give at least one network")
    for r, net in enumerate(nets):
        if not isinstance(net, (multitask.HardSharingNet, multitask.SoftSharingNet)):
            raise TypeError(f"{where}: expected HardSharingNet or SoftSharingNet models, got {type(net).__name__} "
                            f"at position {r}")
    try:
        batch = ModelBatch(nets)
    except ValueError as error:
        raise ValueError(f"{where}: {error}; all networks must match") from None
    X = np.asarray(X, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    n_runs, tasks, n_in = len(nets), nets[0].tasks, nets[0].n_in
    if X.ndim != 3 or X.shape[0] != n_runs or X.shape[2] != n_in:
        raise ValueError(f"{where}: X must have shape ({n_runs}, n, {n_in}), got {X.shape}")
    if targets.shape != (n_runs, len(tasks), X.shape[1]):
        raise ValueError(f"{where}: targets must have shape ({n_runs}, {len(tasks)}, {X.shape[1]}), got {targets.shape}")
    steps = int(steps)
    if steps < 1 or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"{where}: need steps >= 1 and lr > 0, got steps={steps}, lr={lr!r}")
    soft = isinstance(nets[0], multitask.SoftSharingNet)
    penalty_weights = np.array([net.penalty_weight for net in nets]) if soft else None
    if hidden_weight_decays is not None:
        hidden_weight_decays = np.asarray(hidden_weight_decays, dtype=np.float64)
        if hidden_weight_decays.shape != (n_runs,) or not np.all(np.isfinite(hidden_weight_decays)) \
                or np.any(hidden_weight_decays < 0):
            raise ValueError(f"{where}: hidden_weight_decays must be {n_runs} numbers >= 0, one per network, "
                             f"got {hidden_weight_decays!r}")

    def task_losses():
        outputs = batch(X)
        return [multitask.task_loss(task, output, targets[:, t], per_model=True)
                for t, (task, output) in enumerate(zip(tasks, outputs))]

    optimizer = Adam(batch.parameters(), lr=lr, betas=betas, eps=eps)
    for _ in range(steps):
        optimizer.zero_grad()
        losses = task_losses()
        loss = losses[0]
        for task_loss in losses[1:]:
            loss = loss + task_loss
        if soft:
            loss = loss + batch.network.l2_penalty(penalty_weights)
        if hidden_weight_decays is not None:
            loss = loss + hidden_weight_norm(batch.network) * hidden_weight_decays
        loss.sum().backward()
        optimizer.step()
    batch.unstack()
    with no_grad():
        return np.stack([loss.data for loss in task_losses()], axis=1)


#: The transfer experiment: two regression tasks from make_related_tasks (noise 0.4), students with
#: two tanh hidden layers of 2 units (as many as each teacher task has), full-batch Adam.
#: tests/test_lesson05.py asserts the outcomes the lesson describes with exactly these settings.
TRANSFER_SETUP = {"n_features": 10, "noise": 0.4, "hidden_sizes": (2, 2), "steps": 300, "lr": 0.02,
                  "n_test": 500, "seeds": tuple(range(10))}
TRANSFER_RHOS = (0.0, 0.5, 0.75, 0.9, 0.95, 1.0)
TRANSFER_SIZES = (30, 60, 120, 240)
_TRANSFER_MAX_N = 480


def transfer_data(rho: float, n_train: int, seed: int) -> tuple:
    """(train, test) RelatedTasks of the transfer experiment: n_train examples of two tasks with
    relatedness rho (make_related_tasks with seed `seed`) and a test set of TRANSFER_SETUP["n_test"]
    fresh inputs from the same teacher (seed + 1000). Score models on test.clean_targets.
    For one seed every rho uses the same inputs, noise and random directions, so curves over rho
    are smooth rather than a new draw at each point."""
    train = make_related_tasks(n_train, rho, rng=seed, noise=TRANSFER_SETUP["noise"],
                               n_features=TRANSFER_SETUP["n_features"])
    return train, train.teacher.sample(TRANSFER_SETUP["n_test"], rng=seed + 1000)


def _check_transfer_controls(n_train, shared_layers) -> tuple:
    depth = len(TRANSFER_SETUP["hidden_sizes"])
    if isinstance(shared_layers, bool) or not isinstance(shared_layers, (int, np.integer)) \
            or not 0 <= shared_layers <= depth:
        raise ValueError(f"The number of shared layers must be a whole number from 0 (two separate networks) to "
                         f"{depth} (every hidden layer shared), got {shared_layers!r}.")
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 10 <= n_train <= _TRANSFER_MAX_N:
        raise ValueError(f"The training-set size must be a whole number of examples from 10 to {_TRANSFER_MAX_N}, "
                         f"got {n_train!r}.")
    return int(n_train), int(shared_layers)


@functools.lru_cache(maxsize=64)
def _transfer_test_errors_cached(n_train: int, shared_layers: int) -> np.ndarray:
    setup = TRANSFER_SETUP
    runs = [(rho, seed) for rho in TRANSFER_RHOS for seed in setup["seeds"]]
    pairs = [transfer_data(rho, n_train, seed) for rho, seed in runs]
    nets = [multitask.HardSharingNet(setup["n_features"], list(setup["hidden_sizes"]), [1, 1],
                                     branch_depth=shared_layers, rng=seed) for _, seed in runs]
    train_sharing_nets(nets, np.stack([train.X for train, _ in pairs]),
                       np.stack([np.stack(train.targets) for train, _ in pairs]), setup["steps"], setup["lr"])
    errors = np.array([_rmse_per_task(net, test) for net, (_, test) in zip(nets, pairs)])
    errors = errors.reshape(len(TRANSFER_RHOS), len(setup["seeds"]), 2)
    errors.flags.writeable = False  # cached: a caller must not change what the next one reads
    return errors


def _rmse_per_task(net, test) -> list:
    with no_grad():
        outputs = net(test.X)
    return [multitask.task_metric("regression", out, clean) for out, clean in zip(outputs, test.clean_targets)]


def transfer_test_errors(n_train: int = 120, shared_layers: int = 2) -> np.ndarray:
    """Test RMSE against the noiseless targets, (len(TRANSFER_RHOS), n_seeds, 2): for every rho in
    TRANSFER_RHOS and seed in TRANSFER_SETUP["seeds"], a HardSharingNet with `shared_layers` of its
    hidden layers shared (0 = two separate single-task networks) trained on n_train examples.
    Cached, and read-only: the explorer computes each (n_train, shared_layers) once."""
    return _transfer_test_errors_cached(*_check_transfer_controls(n_train, shared_layers))


class TransferResult(NamedTuple):
    """STL against hard sharing over relatedness, for one training-set size and branch point.

    rhos: (K,) the relatedness values. stl, mtl: (K, S, 2) test RMSE per rho, seed and task.
    delta_m_per_seed: (K, S) Δm% of MTL against STL for each seed on its own: a paired comparison,
        both models trained on that seed's data (lower is better; < 0: sharing helps).
    delta_m: (K,) its mean over the seeds; delta_m_low, delta_m_high: (K,) the 95 % t interval of that mean.
    """

    n_train: int
    shared_layers: int
    rhos: np.ndarray
    stl: np.ndarray
    mtl: np.ndarray
    delta_m: np.ndarray
    delta_m_low: np.ndarray
    delta_m_high: np.ndarray
    delta_m_per_seed: np.ndarray

    def verdict(self, index: int) -> str:
        """"sharing helps", "sharing hurts" or "no difference shown" at rhos[index], from the interval."""
        return _verdict(self.delta_m_low[index], self.delta_m_high[index])


def transfer_experiment(n_train: int = 120, shared_layers: int = 2) -> TransferResult:
    """Single-task networks (nothing shared) against hard sharing with `shared_layers` shared hidden
    layers, at every relatedness in TRANSFER_RHOS, for n_train training examples per task."""
    stl = transfer_test_errors(n_train, 0)
    mtl = transfer_test_errors(n_train, shared_layers)
    per_seed = np.array([[multitask.delta_m(m, s, False) for m, s in zip(mtl_k, stl_k)]
                         for mtl_k, stl_k in zip(mtl, stl)])
    if shared_layers == 0:  # the same networks: every difference is exactly 0, and so is its interval
        low = high = mean = np.zeros(len(TRANSFER_RHOS))
    else:
        intervals = [mean_interval(row) for row in per_seed]
        mean, low, high = (np.array([getattr(i, field) for i in intervals]) for field in ("mean", "low", "high"))
    return TransferResult(n_train=int(n_train), shared_layers=int(shared_layers), rhos=np.array(TRANSFER_RHOS),
                          stl=stl, mtl=mtl, delta_m=mean, delta_m_low=low, delta_m_high=high,
                          delta_m_per_seed=per_seed)


def _verdict(low: float, high: float) -> str:
    if high < 0:
        return "sharing helps"
    if low > 0:
        return "sharing hurts"
    return "no difference shown"


def _shared_label(shared_layers: int) -> str:
    depth = len(TRANSFER_SETUP["hidden_sizes"])
    if shared_layers == 0:
        return "MTL with 0 shared layers (= STL)"
    return f"MTL, {shared_layers} of {depth} layers shared"


def _draw_delta_m_axes(ax) -> None:
    """Zero line and the two labelled half-planes of a Δm% axis (lower is better)."""
    ax.axhline(0.0, color="black", linewidth=1.0)
    ax.axhspan(0.0, 1e4, color="#f9d0c4", alpha=0.45, zorder=0)
    ax.axhspan(-1e4, 0.0, color="#d9f0d3", alpha=0.6, zorder=0)
    # Plain text, no background box: a box costs a noticeable share of an explorer redraw.
    ax.text(0.02, 0.97, "above 0: sharing hurts (negative transfer)", transform=ax.transAxes, fontsize=8,
            va="top", ha="left", color="0.2", zorder=5)
    ax.text(0.02, 0.03, "below 0: sharing helps (positive transfer)", transform=ax.transAxes, fontsize=8,
            va="bottom", ha="left", color="0.2", zorder=5)


def _delta_m_limits(values) -> tuple:
    """y limits that show every value and keep at least ±30 around 0."""
    values = np.asarray(values, dtype=float)
    return min(-30.0, float(values.min()) * 1.2), max(30.0, float(values.max()) * 1.2)


def plot_transfer(result: TransferResult, rho: float) -> Figure:
    """Left: per-task test RMSE of STL and MTL at one rho (bars: seed mean; dots: seeds).
    Right: Δm% against rho for this training-set size and branch point, the chosen rho marked."""
    index = int(np.argmin(np.abs(result.rhos - rho)))
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.075, 0.98, 0.12, 0.8))
    n_seeds = result.stl.shape[1]
    fig.suptitle(f"Transfer explorer: n = {result.n_train} training examples per task, "
                 f"{result.shared_layers} of {len(TRANSFER_SETUP['hidden_sizes'])} hidden layers shared "
                 f"({n_seeds} seeds)", fontsize=11, y=0.98)
    models = (("STL (separate networks)", result.stl[index]), (_shared_label(result.shared_layers), result.mtl[index]))
    width = 0.38
    for k, (label, errors) in enumerate(models):
        style = category_style(k)
        positions = np.arange(2) + (k - 0.5) * width
        left.bar(positions, errors.mean(axis=0), width * 0.95, color=style["color"], hatch=("", "//")[k],
                 edgecolor="black", linewidth=0.6, label=label)
        for task in range(2):
            left.plot(np.full(n_seeds, positions[task]), errors[:, task], linestyle="none", marker="o",
                      markersize=3.5, color="black", alpha=0.6)
    left.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
    left.text(1.45, 0.985, "1 = no better than predicting 0", ha="right", va="top", fontsize=8, color="0.3")
    top = max(1.3, float(np.max([result.stl[index].max(), result.mtl[index].max()])) * 1.1)
    left.set_ylim(0.0, top)
    # Few, fixed ticks: every tick is a text to lay out, and this figure is redrawn on each slider move.
    left.yaxis.set_major_locator(FixedLocator(np.arange(0.0, top, 0.25)))
    left.set_xticks([0, 1], ["task 1", "task 2"])
    left.set_ylabel("test RMSE (lower is better)")
    delta = result.delta_m[index]
    shown = "0" if abs(delta) < 0.5 else f"{delta:+.0f}"
    span = "" if result.shared_layers == 0 else \
        f" [{result.delta_m_low[index]:+.0f}, {result.delta_m_high[index]:+.0f}]"
    left.set_title(f"ρ = {result.rhos[index]:.2f}: Δm% = {shown}{span} ({result.verdict(index)})", y=1.0,
                   fontsize=10)
    left.legend(loc="upper center", fontsize=8, ncols=2)

    _draw_delta_m_axes(right)
    right.plot(np.repeat(result.rhos, n_seeds), result.delta_m_per_seed.ravel(), linestyle="none", marker=".",
               markersize=5, color="0.4")
    right.fill_between(result.rhos, result.delta_m_low, result.delta_m_high, color="tab:blue", alpha=0.25,
                       linewidth=0, label="95 % interval of the mean")
    right.plot(result.rhos, result.delta_m, color="tab:blue", marker="o", linewidth=2)
    right.plot([result.rhos[index]], [delta], marker="o", markersize=13, markerfacecolor="none",
               markeredgecolor="black", markeredgewidth=2, linestyle="none")
    right.set_ylim(*_delta_m_limits(result.delta_m_per_seed))
    right.yaxis.set_major_locator(MaxNLocator(6))
    right.xaxis.set_major_locator(FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
    right.set_xlim(-0.03, 1.03)
    right.set_xlabel("task relatedness ρ")
    right.set_ylabel("Δm% of MTL vs STL (lower is better)")
    right.set_title("Δm% at every ρ (line: mean over seeds, band: its 95 % interval,\n"
                    "dots: single seeds, ring: the ρ on the left)", y=1.0, fontsize=9)
    right.grid(True, alpha=0.3)
    return fig


def plot_transfer_map(results: Mapping, title: str = "Where sharing helps: Δm% against relatedness") -> Figure:
    """Δm% against rho, one line per training-set size (the mean over seeds, with a band for its 95 %
    interval), one panel per branch point.

    results: {shared_layers: {n_train: TransferResult}}.
    """
    panels = list(results)
    fig, axes = new_figure((5.0 * len(panels), 4.2), ncols=len(panels), margins=(0.08, 0.98, 0.22, 0.86))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.975)
    limits = _delta_m_limits([np.concatenate([r.delta_m_low, r.delta_m_high])
                              for by_n in results.values() for r in by_n.values()])
    for ax, shared_layers in zip(axes, panels):
        _draw_delta_m_axes(ax)
        for k, (n_train, result) in enumerate(results[shared_layers].items()):
            style = category_style(k)
            ax.fill_between(result.rhos, result.delta_m_low, result.delta_m_high, color=style["color"], alpha=0.15,
                            linewidth=0)
            ax.plot(result.rhos, result.delta_m, label=f"n = {n_train}", markersize=5, **style)
        ax.set_ylim(*limits)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("task relatedness ρ")
        ax.set_ylabel("Δm% (lower is better)")
        ax.set_title(f"{shared_layers} of {len(TRANSFER_SETUP['hidden_sizes'])} hidden layers shared", y=1.0,
                     fontsize=10)
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=9, frameon=False,
               title="training examples per task", title_fontsize=9, bbox_to_anchor=(0.5, 0.0))
    return fig


def transfer_explorer_update(rho: float = 1.0, n_train: int = 120, shared_layers: int = 2) -> Figure:
    """Lesson 05: test error of STL and hard-sharing MTL for relatedness rho, n_train examples per
    task and `shared_layers` shared hidden layers, with Δm% over every rho beside it."""
    if not isinstance(rho, (int, float, np.number)) or isinstance(rho, bool) \
            or not np.any(np.isclose(rho, TRANSFER_RHOS)):
        raise ValueError(f"ρ must be one of the computed values {', '.join(f'{r:g}' for r in TRANSFER_RHOS)}, "
                         f"got {rho!r}.")
    return plot_transfer(transfer_experiment(n_train, shared_layers), float(rho))




def transfer_explorer(**initial) -> Explorer:
    """Relatedness ρ, training-set size and the number of shared layers → test error of STL and MTL."""
    values = initial_values("transfer", initial)
    controls = {
        "rho": widgets.SelectionSlider(options=list(TRANSFER_RHOS), value=values["rho"], description="relatedness ρ",
                                       continuous_update=False, style=control_style()),
        "n_train": widgets.SelectionSlider(options=list(TRANSFER_SIZES), value=values["n_train"],
                                           description="training examples n", continuous_update=False,
                                           style=control_style()),
        "shared_layers": int_slider("shared hidden layers", values["shared_layers"], 0,
                                    len(TRANSFER_SETUP["hidden_sizes"])),
    }
    return Explorer(transfer_explorer_update, controls, title="Transfer explorer: when does sharing help?",
                    help_text=f"Each setting trains {len(TRANSFER_RHOS) * len(TRANSFER_SETUP['seeds'])} small networks "
                              f"per model ({len(TRANSFER_RHOS)} values of ρ × {len(TRANSFER_SETUP['seeds'])} seeds, "
                              "as one batch) the first time you choose it, then reads them from memory.")


register_explorer("transfer", transfer_explorer_update, ("rho", "n_train", "shared_layers"), transfer_explorer)


def plot_sharing_diagram(hidden_sizes, branch_depths, n_tasks: int = 2, n_in: int = 10) -> Figure:
    """One panel per branch depth: the layers of a HardSharingNet as boxes (shared: blue, thick border,
    one box for all tasks; task-specific: orange, one row per task), with its parameter counts."""
    hidden_sizes = list(hidden_sizes)
    depth = len(hidden_sizes)
    fig, axes = new_figure((3.3 * len(branch_depths), 3.0), ncols=len(branch_depths),
                           margins=(0.01, 0.99, 0.02, 0.76))
    axes = np.atleast_1d(axes)
    fig.suptitle("Hard parameter sharing: the branch point decides what the tasks share", fontsize=11, y=0.97)
    columns = np.linspace(0.1, 0.8, depth + 2)
    rows = np.linspace(0.8, 0.2, n_tasks) if n_tasks > 1 else np.array([0.5])
    box = dict(boxstyle="round,pad=0.3", linewidth=1.2)
    shared_box = {**box, "facecolor": "#c6dbef", "edgecolor": "tab:blue", "linewidth": 2.0}
    task_box = {**box, "facecolor": "#fdd0a2", "edgecolor": "tab:orange"}
    arrow = dict(arrowstyle="->", color="0.35", shrinkA=11, shrinkB=11)
    for ax, branch in zip(axes, branch_depths):
        net = multitask.HardSharingNet(n_in, hidden_sizes, [1] * n_tasks, branch_depth=branch, rng=0)
        n_shared = sum(p.size for p in net.shared_parameters())
        n_task = sum(p.size for params in net.task_parameters() for p in params)
        # positions[layer] = the (x, y) of its box(es); layer 0 is the input
        positions = [[(columns[0], 0.5)]]
        for layer in range(1, depth + 2):
            shared = layer <= branch
            positions.append([(columns[layer], 0.5)] if shared else [(columns[layer], y) for y in rows])
            label = str(hidden_sizes[layer - 1]) if layer <= depth else "1"
            for x, y in positions[-1]:
                ax.text(x, y, label, ha="center", va="center", fontsize=9, bbox=shared_box if shared else task_box)
        ax.text(columns[0], 0.5, f"x\n{n_in}", ha="center", va="center", fontsize=9,
                bbox={**box, "facecolor": "white", "edgecolor": "0.4"})
        for layer in range(1, depth + 2):
            before, after = positions[layer - 1], positions[layer]
            pairs = zip(before, after) if len(before) == len(after) else [(before[0], p) for p in after]
            for start, end in pairs:
                ax.annotate("", xy=end, xytext=start, arrowprops=arrow)
        for task, y in enumerate(rows):
            ax.text(columns[-1] + 0.07, y, f"task {task + 1}", ha="left", va="center", fontsize=8, color="0.25")
        ax.text(0.5, 0.02, "numbers: units per layer; blue: shared, orange: one per task", ha="center", va="bottom", fontsize=7, color="0.45",
                transform=ax.transAxes)
        what = "nothing shared (STL)" if branch == 0 else f"{branch} hidden layer{'s' if branch > 1 else ''} shared"
        ax.set_title(f"branch depth {branch}: {what}\n{n_shared} shared + {n_task} task-specific parameters",
                     y=1.0, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
    return fig


class SoftSharingSweep(NamedTuple):
    """Soft sharing against its two limits and against plain regularisation, over the penalty weight λ.

    penalty_weights: (L,) λ values. rhos: (K,). n_train: training examples per task.
    soft: (L, K, S, 2) test RMSE per λ, rho, seed and task.
    decay: (L, K, S, 2) the control: separate networks with an L2 pull of the same weight λ towards 0
        (not towards each other) on the same hidden-layer weights.
    stl, hard: (K, S, 2) separate networks and hard sharing of every hidden layer (the λ → ∞ limit has
        the same layers tied), the transfer experiment's own runs.
    """

    penalty_weights: np.ndarray
    rhos: np.ndarray
    n_train: int
    soft: np.ndarray
    decay: np.ndarray
    stl: np.ndarray
    hard: np.ndarray

    def change_from_stl(self, errors: np.ndarray) -> np.ndarray:
        """Per-seed change of the test RMSE (mean over the two tasks) against STL on the same seed:
        (..., K, S) for errors (..., K, S, 2). Negative: better than the separate networks."""
        return errors.mean(axis=-1) - self.stl.mean(axis=-1)


def soft_sharing_sweep(penalty_weights, rhos=(0.0, 0.9, 1.0), n_train: int = 120,
                       steps: int | None = None) -> SoftSharingSweep:
    """Train, for every penalty weight λ, rho and seed of the transfer experiment, a SoftSharingNet
    (hidden layers as in TRANSFER_SETUP; λ = 0 gives the separate networks exactly) and the control,
    separate networks with the same λ pulling their hidden weights towards 0, all as one batch.
    `steps` (default TRANSFER_SETUP["steps"]) applies to these runs; the STL and hard-sharing
    references are always the transfer experiment's own runs."""
    setup = TRANSFER_SETUP
    steps = setup["steps"] if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 20000:
        raise ValueError(f"soft_sharing_sweep: steps must be a whole number from 1 to 20000, got {steps!r}")
    penalty_weights = np.asarray(penalty_weights, dtype=float)
    if penalty_weights.ndim != 1 or penalty_weights.size == 0 or np.any(penalty_weights < 0) \
            or not np.all(np.isfinite(penalty_weights)):
        raise ValueError(f"soft_sharing_sweep: penalty_weights must be a list of numbers >= 0, got {penalty_weights!r}")
    rhos = tuple(float(r) for r in rhos)
    unknown = [r for r in rhos if not np.any(np.isclose(r, TRANSFER_RHOS))]
    if unknown:
        raise ValueError(f"soft_sharing_sweep: rhos must come from TRANSFER_RHOS {TRANSFER_RHOS}, got {unknown}")
    n_train, _ = _check_transfer_controls(n_train, 0)
    runs = [(kind, weight, rho, seed) for kind in ("soft", "decay") for weight in penalty_weights
            for rho in rhos for seed in setup["seeds"]]
    pairs = {(rho, seed): transfer_data(rho, n_train, seed) for rho in rhos for seed in setup["seeds"]}
    nets = [multitask.SoftSharingNet(setup["n_features"], list(setup["hidden_sizes"]), [1, 1],
                                     penalty_weight=float(weight) if kind == "soft" else 0.0, rng=seed)
            for kind, weight, _, seed in runs]
    train_sharing_nets(nets, np.stack([pairs[rho, seed][0].X for _, _, rho, seed in runs]),
                       np.stack([np.stack(pairs[rho, seed][0].targets) for _, _, rho, seed in runs]),
                       steps, setup["lr"],
                       hidden_weight_decays=[weight if kind == "decay" else 0.0 for kind, weight, _, _ in runs])
    errors = np.array([_rmse_per_task(net, pairs[rho, seed][1]) for net, (_, _, rho, seed) in zip(nets, runs)])
    soft, decay = errors.reshape(2, len(penalty_weights), len(rhos), len(setup["seeds"]), 2)
    rows = [TRANSFER_RHOS.index(min(TRANSFER_RHOS, key=lambda r: abs(r - rho))) for rho in rhos]
    depth = len(setup["hidden_sizes"])
    return SoftSharingSweep(penalty_weights=penalty_weights, rhos=np.array(rhos), n_train=n_train, soft=soft,
                            decay=decay, stl=transfer_test_errors(n_train, 0)[rows],
                            hard=transfer_test_errors(n_train, depth)[rows])


def plot_soft_sharing(sweep: SoftSharingSweep) -> Figure:
    """Per rho, the change of mean test RMSE against the separate networks (paired by seed) over λ:
    soft sharing and the weight-decay control, each with its 95 % interval as a band, and hard
    sharing as a horizontal band. Below 0 is better than STL."""
    fig, axes = new_figure((3.7 * len(sweep.rhos), 4.1), ncols=len(sweep.rhos), margins=(0.08, 0.98, 0.27, 0.8))
    axes = np.atleast_1d(axes)
    fig.suptitle(f"Soft sharing against separate networks and against weight decay (n = {sweep.n_train} per task, "
                 f"{sweep.stl.shape[1]} seeds)", fontsize=11, y=0.975)
    positive = sweep.penalty_weights[sweep.penalty_weights > 0]
    # λ = 0 cannot sit on a log axis: draw it one step left of the smallest positive λ and label it "0".
    step = (positive.max() / positive.min()) ** (1 / max(positive.size - 1, 1)) if positive.size > 1 else 10.0
    zero_at = positive.min() / step
    x = np.where(sweep.penalty_weights > 0, sweep.penalty_weights, zero_at)
    decades = positive[np.isclose(np.log10(positive), np.round(np.log10(positive)))]
    ticks = np.concatenate([[zero_at], decades]) if np.any(sweep.penalty_weights == 0) else decades
    soft_change, decay_change = sweep.change_from_stl(sweep.soft), sweep.change_from_stl(sweep.decay)
    hard_change = sweep.change_from_stl(sweep.hard)
    bands = []
    for k, ax in enumerate(axes):
        ax.axhline(0.0, color="black", linewidth=1.0, label="STL (separate networks, = 0)")
        hard = mean_interval(hard_change[k])
        ax.axhspan(hard.low, hard.high, color=category_style(1)["color"], alpha=0.2, linewidth=0)
        ax.axhline(hard.mean, color=category_style(1)["color"], linestyle="--", label="hard sharing (all layers)")
        bands.append([hard.low, hard.high])
        for change, label, style in ((soft_change, "soft sharing: pull towards each other", dict(color="tab:green", marker="o", linestyle="-")),
                                     (decay_change, "control: pull towards 0 (weight decay)", dict(color="0.3", marker="s", linestyle=":"))):
            intervals = [mean_interval(row) for row in change[:, k]]
            low, high = np.array([i.low for i in intervals]), np.array([i.high for i in intervals])
            ax.fill_between(x, low, high, color=style["color"], alpha=0.18, linewidth=0)
            ax.plot(x, [i.mean for i in intervals], linewidth=2, markersize=5, label=label, **style)
            bands.append(np.concatenate([low, high]))
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _p: "0" if np.isclose(value, zero_at) else f"{value:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("penalty weight λ (log scale)")
        ax.set_ylabel("change of test RMSE vs STL\n(paired by seed; lower is better)")
        ax.set_title(f"ρ = {sweep.rhos[k]:g}", y=1.0, fontsize=10)
        ax.grid(True, alpha=0.3)
    values = np.concatenate([np.ravel(b) for b in bands])
    span = float(values.max() - values.min())
    for ax in axes:
        ax.set_ylim(values.min() - 0.05 * span, values.max() + 0.05 * span)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=2, fontsize=8.5, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


def best_validation_steps(history, n_tasks: int) -> dict:
    """Early-stopping reading of a fit_multitask History recorded with eval_data.

    Returns {"task <t>": step with the lowest validation loss of task t, ..., "joint": step with
    the lowest sum of the T validation losses}; steps are those in history.steps.
    """
    steps = np.asarray(history.steps)
    losses = [np.asarray(history.metrics.get(f"eval_loss_task{t}", []), dtype=float) for t in range(n_tasks)]
    if any(loss.shape != steps.shape for loss in losses):
        raise ValueError("best_validation_steps: the history has no validation loss per task at every recorded "
                         "step; train with fit_multitask(..., eval_data=(X_val, targets_val))")
    best = {f"task {t + 1}": int(steps[np.argmin(loss)]) for t, loss in enumerate(losses)}
    best["joint"] = int(steps[np.argmin(np.sum(losses, axis=0))])
    return best


def plot_per_task_validation(history, task_names, title: str = "Per-task training and validation loss") -> Figure:
    """One panel per task: its training and validation loss over training (log scale), a dotted
    line at the task's own best validation step and a dashed one at the best step of the summed
    validation loss (one early-stopping point for all tasks)."""
    task_names = list(task_names)
    best = best_validation_steps(history, len(task_names))
    steps = np.asarray(history.steps, dtype=float)
    train = np.asarray(history.task_losses, dtype=float)
    fig, axes = new_figure((3.5 * len(task_names), 3.9), ncols=len(task_names), margins=(0.06, 0.98, 0.25, 0.82))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.975)
    for t, (ax, name) in enumerate(zip(axes, task_names)):
        validation = np.asarray(history.metrics[f"eval_loss_task{t}"], dtype=float)
        plot_loss_curves({"training": train[:, t], "validation": validation}, steps=steps, log=True,
                         title=f"{name}\nown best validation step: {best[f'task {t + 1}']}", ylabel="loss", ax=ax)
        ax.title.set_fontsize(9.5)
        ax.get_legend().remove()
        ax.axvline(best[f"task {t + 1}"], color="black", linestyle=":", linewidth=1.5, label="this task's best step")
        ax.axvline(best["joint"], color="tab:red", linestyle="--", linewidth=1.2,
                   label=f"best step of the summed validation loss ({best['joint']})")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# (n_in, hidden_sizes, n_tasks, branch_depth): the lesson's nets, a deeper and a wider one.
_PARAMETER_COUNT_CASES = ((10, [2, 2], 2, 0), (10, [2, 2], 2, 1), (10, [2, 2], 2, 2), (10, [8, 8], 3, 1),
                          (5, [4], 3, 1), (6, [8, 4, 3], 4, 2))


# What would count the parameters for the learner: a built network lists its own.
_NETWORKS_THAT_COUNT_THEMSELVES = (multitask.HardSharingNet, multitask.SoftSharingNet, multitask.DeepSupervisionNet,
                                   nn.MLP, nn.Linear)


def _parameter_counts(n_in: int, hidden_sizes: list, n_tasks: int, branch_depth: int, biases: bool = True) -> tuple:
    """(shared, task-specific over all tasks) parameter counts of HardSharingNet, by its own parameters."""
    net = multitask.HardSharingNet(n_in, hidden_sizes, [1] * n_tasks, branch_depth=branch_depth, rng=0)
    kept = (lambda p: True) if biases else (lambda p: p.ndim == 2)
    shared = sum(p.size for p in net.shared_parameters() if kept(p))
    specific = sum(p.size for params in net.task_parameters() for p in params if kept(p))
    return shared, specific


@exercise_checker
def check_sharing_parameter_counts(count_parameters) -> None:
    """Exercise 05.1: `count_parameters(n_in, hidden_sizes, n_tasks, branch_depth)` returns
    (shared, task_specific), counted against `HardSharingNet`'s own parameters. The count is the
    exercise: while the learner's function runs, mtl_edu's networks and layers refuse to be built."""
    for n_in, hidden, n_tasks, branch in _PARAMETER_COUNT_CASES:
        call = f"count_parameters({n_in}, {hidden}, {n_tasks}, {branch})"
        with without_library(count_parameters, *_NETWORKS_THAT_COUNT_THEMSELVES):
            got = call_learner(count_parameters, n_in, list(hidden), n_tasks, branch, description=call)
        if got is None:
            fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"{call} should return a pair (shared, task_specific), got {got!r}")
        shared, specific = (as_number(value, f"{call}[{k}]") for k, value in enumerate(got))
        expected = _parameter_counts(n_in, hidden, n_tasks, branch)
        if (shared, specific) == expected:
            continue
        where = f"{call}: expected (shared, task_specific) = {expected}, got ({shared:g}, {specific:g})"
        if (specific, shared) == expected:
            fail(f"{where}. The two numbers are swapped: shared first.")
        if (shared, specific) == _parameter_counts(n_in, hidden, n_tasks, branch, biases=False):
            fail(f"{where}. Every Linear layer also has a bias: out_features more parameters per layer.")
        if shared == expected[0] and specific * n_tasks == expected[1]:
            fail(f"{where}. That is one task's tower; task_specific counts the towers of all {n_tasks} tasks.")
        if shared == expected[0]:
            fail(f"{where}. The shared count is right. Each task has the layers above the branch point, "
                  f"{len(hidden) - branch} hidden layer(s) plus its own output layer, and there are {n_tasks} tasks.")
        if specific == expected[1]:
            fail(f"{where}. The task-specific count is right. The trunk is the first {branch} hidden layer(s), "
                  "each with weights (fan_in × fan_out) and biases (fan_out); it is counted once, not per task.")
        fail(f"{where}. Hidden layers 1..{branch} are shared; layers {branch + 1}..{len(hidden)} and the output "
              "layer (1 unit) exist once per task.")
    passed(f"your counts match HardSharingNet's own parameters in all {len(_PARAMETER_COUNT_CASES)} layouts "
           "(1 to 3 hidden layers, 2 to 4 tasks, every branch depth from 0 to 2).")


# Exercise 05.2 (debug): the interval of the mean, written with the spread of single seeds (t·s) instead
# of the standard error of their mean (t·s/√n). Cases: few seeds (where t matters), the lesson's ten, many.
_INTERVAL_SIZES = (3, 10, 40)


def _interval_cases() -> list:
    rng = np.random.default_rng(12)
    return [rng.normal(-30.0, 40.0, size=n) for n in _INTERVAL_SIZES]


def _t_interval(values: np.ndarray, factor: float, spread: float) -> tuple:
    mean = float(np.mean(values))
    return mean - factor * spread, mean + factor * spread


@exercise_checker
def check_interval_of_the_mean(fixed_interval_of_the_mean) -> None:
    """Exercise 05.2: `fixed_interval_of_the_mean(differences)` returns (low, high), the 95 % t interval
    of the mean of n per-seed differences, d̄ ± t₀.₉₇₅,ₙ₋₁ · s / √n, compared with `stats.mean_interval`
    (which, like `stats.paired_interval`, refuses to run while the learner's function does)."""
    for values in _interval_cases():
        n = values.size
        call = f"fixed_interval_of_the_mean(d) for n = {n} differences"
        with without_library(fixed_interval_of_the_mean, mean_interval, paired_interval):
            got = call_learner(fixed_interval_of_the_mean, values.copy(), description=call)
        if got is None:
            fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
            fail(f"{call} should return a pair (low, high), got {got!r}")
        low, high = (as_number(value, f"{call}[{k}]") for k, value in enumerate(got))
        expected = mean_interval(values)
        if np.allclose((low, high), (expected.low, expected.high), rtol=1e-6, atol=1e-9):
            continue
        where = (f"{call}: expected ({expected.low:.4g}, {expected.high:.4g}), got ({low:.4g}, {high:.4g})")
        sd, sd0, t = values.std(ddof=1), values.std(), t_quantile(0.975, n - 1)
        close = lambda candidate: np.allclose((low, high), candidate, rtol=1e-6, atol=1e-9)  # noqa: E731
        if close((expected.high, expected.low)):
            fail(f"{where}. The ends are swapped: return (low, high), the lower end first.")
        if close(_t_interval(values, t, sd)) or close(_t_interval(values, t, sd0)):
            fail(f"{where}. The bug is still there: the half-width t·s is the spread of single seeds, so it "
                 "does not narrow as seeds are added. How well n seeds pin the mean down is the standard "
                 "error s/√n.")
        if close(_t_interval(values, t, sd / n)):
            fail(f"{where}. Too narrow: you divided s by n. The standard error of a mean is s/√n.")
        if close(_t_interval(values, 1.96, sd / np.sqrt(n))):
            fail(f"{where}. 1.96 is the normal distribution's factor; with s estimated from {n} seeds the "
                 f"factor is Student's t with n − 1 = {n - 1} degrees of freedom (t_quantile(0.975, {n - 1})).")
        if close(_t_interval(values, t_quantile(0.975, n), sd / np.sqrt(n))):
            fail(f"{where}. The degrees of freedom are n − 1 = {n - 1}, not n.")
        if close(_t_interval(values, t, sd0 / np.sqrt(n))):
            fail(f"{where}. s is the sample standard deviation, with n − 1 in the denominator (ddof=1).")
        fail(f"{where}. The interval is d̄ ± t₀.₉₇₅,ₙ₋₁ · s / √n around the mean d̄ of the differences.")
    passed(f"your interval agrees with stats.mean_interval to within 1e-6 for {', '.join(map(str, _INTERVAL_SIZES))} "
           "seeds, and it now narrows as seeds are added.")


# Exercise 05.3 (choose): things to try 3, read off the transfer explorer.
ONE_SHARED_LAYER = Choice(
    "sharing only the first hidden layer at ρ = 0, n = 240",
    {
        "a": "two unrelated tasks read four different input directions, and that reading happens in the first "
             "layer, which is still shared and still has room for two. The towers above work only with what "
             "those two units pass on: sharing less pays only when the layers left unshared are where the "
             "tasks disagree.",
        "b": "this counts the harm in shared layers, as if each one added the same amount of competition, so that "
             "half the shared layers would leave half the harm. Compare Δm% at ρ = 0 with 1 and with 2 shared "
             "layers on the explorer's right panel before you reason about why.",
        "c": "this expects a task's own second layer to make up for anything the shared layer below it does not "
             "deliver. Test that expectation in the explorer: the interval on the right at ρ = 0 with 1 shared "
             "layer, and each task's dots on the left.",
        "d": "this treats a task with some layers of its own like a task with a network of its own, as if a "
             "private layer anywhere were enough. Look at where the interval sits against 0 at ρ = 0 with 1 "
             "shared layer, and at which of the two hidden layers is still shared.",
    },
    correct="a",
)


@exercise_checker
def check_one_shared_layer(answer) -> None:
    """Exercise 05.3: what the transfer explorer shows with one shared layer at ρ = 0, n = 240."""
    ONE_SHARED_LAYER.judge(answer)


# Exercise 05.4 (predict, then measure): the transfer experiment at ρ = 0, n = 240 with both layers
# shared, and hidden layers of WIDER_UNITS units instead of 2 (room for both tasks' directions).
WIDER_SETUP = {"rho": 0.0, "n_train": 240, "units": 4}


@functools.lru_cache(maxsize=8)
def _width_runs(units: int, rho: float, n_train: int, branch_depth: int) -> tuple:
    """(test RMSE (S, 2), training MSE (S, 2)) of the transfer experiment's networks with hidden layers
    of `units` units, for TRANSFER_SETUP's seeds; read-only."""
    setup = TRANSFER_SETUP
    pairs = [transfer_data(rho, n_train, seed) for seed in setup["seeds"]]
    nets = [multitask.HardSharingNet(setup["n_features"], [units] * len(setup["hidden_sizes"]), [1, 1],
                                     branch_depth=branch_depth, rng=seed) for seed in setup["seeds"]]
    train_mse = train_sharing_nets(nets, np.stack([train.X for train, _ in pairs]),
                                   np.stack([np.stack(train.targets) for train, _ in pairs]), setup["steps"], setup["lr"])
    test_rmse = np.array([_rmse_per_task(net, test) for net, (_, test) in zip(nets, pairs)])
    for array in (test_rmse, train_mse):
        array.flags.writeable = False
    return test_rmse, train_mse


class WidthResult(NamedTuple):
    """STL against sharing both hidden layers, at one width. stl_rmse, mtl_rmse: (S, 2) test RMSE per
    seed and task; stl_train_mse: (S, 2) the separate networks' training MSE; delta_m: the interval
    of the per-seed Δm% (lower is better)."""

    units: int
    stl_rmse: np.ndarray
    mtl_rmse: np.ndarray
    stl_train_mse: np.ndarray
    delta_m: PairedInterval


def width_experiment(units: int, rho: float = WIDER_SETUP["rho"], n_train: int = WIDER_SETUP["n_train"]) -> WidthResult:
    """The transfer experiment (TRANSFER_SETUP: 10 seeds, 300 Adam steps) with hidden layers of `units`
    units: STL against hard sharing of both hidden layers, Δm% per seed and its 95 % interval.
    With units = 2 it is exactly the lesson's experiment. About 0.5 s for a new width."""
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or not 1 <= units <= 16:
        raise ValueError(f"width_experiment: units must be a whole number from 1 to 16, got {units!r}")
    if not np.any(np.isclose(rho, TRANSFER_RHOS)):
        raise ValueError(f"width_experiment: rho must be one of {TRANSFER_RHOS}, got {rho!r}")
    n_train, _ = _check_transfer_controls(n_train, 0)
    depth = len(TRANSFER_SETUP["hidden_sizes"])
    stl, stl_train = _width_runs(int(units), float(rho), n_train, 0)
    mtl, _ = _width_runs(int(units), float(rho), n_train, depth)
    per_seed = [multitask.delta_m(m, s, False) for m, s in zip(mtl, stl)]
    return WidthResult(int(units), stl, mtl, stl_train, mean_interval(per_seed))


def _width_line(result: WidthResult) -> str:
    interval = result.delta_m
    return (f"{result.units} units per layer: test RMSE  STL {result.stl_rmse.mean():.2f}, "
            f"MTL {result.mtl_rmse.mean():.2f};  Δm% {interval.mean:+.0f}, 95 % interval "
            f"[{interval.low:+.0f}, {interval.high:+.0f}]")


def measure_wider_layers(predicted_delta_m) -> None:
    """Exercise 05.4: after the learner predicted it, measure Δm% at ρ = 0, n = 240 with both hidden
    layers shared and WIDER_SETUP["units"] units per layer, next to the lesson's 2 units."""
    prediction = committed_prediction(predicted_delta_m, "your prediction function")
    if prediction is None:
        return
    predicted = as_number(prediction, "your predicted Δm%")
    narrow = width_experiment(TRANSFER_SETUP["hidden_sizes"][0])  # the lesson's own networks
    wide = width_experiment(WIDER_SETUP["units"])
    print(f"Measured at ρ = 0, n = 240, both hidden layers shared, the lesson's {len(TRANSFER_SETUP['seeds'])} "
          "seeds (RMSE: mean over seeds and tasks):")
    print("  " + _width_line(narrow))
    print("  " + _width_line(wide))
    report_prediction(predicted, wide.delta_m.mean, "Δm%", tolerance=25.0, unit=" points")
    noise_variance = TRANSFER_SETUP["noise"] ** 2
    print(f"Two things changed. The shared layers now have room for the four input directions the two tasks "
          f"read, so the competition is gone: MTL's RMSE fell from {narrow.mtl_rmse.mean():.2f} to "
          f"{wide.mtl_rmse.mean():.2f}. And the separate networks got worse with the extra units: with "
          f"{WIDER_SETUP['n_train']} noisy examples they fit more of the noise (training MSE "
          f"{wide.stl_train_mse.mean():.2f}, below the noise variance {noise_variance:.2f}; test RMSE up from "
          f"{narrow.stl_rmse.mean():.2f} to {wide.stl_rmse.mean():.2f}), while each shared weight is fitted to "
          "both tasks' examples. The negative transfer came from the narrow layers, not from the tasks alone.")
    if predicted > wide.delta_m.mean + 25.0:
        print("A prediction above the measurement usually keeps some of the old competition, or forgets that "
              "the separate networks change too: wider networks fit the noise of 240 examples more easily.")
    elif predicted < wide.delta_m.mean - 25.0:
        print("A prediction far below the measurement expects a gain like that of identical tasks; at ρ = 0 "
              "nothing one task learns is of use to the other, and sharing buys only the regularisation.")


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    narrow, wide = width_experiment(TRANSFER_SETUP["hidden_sizes"][0]), width_experiment(WIDER_SETUP["units"])
    mean = wide.delta_m.mean
    return {
        "ex3_one_shared_layer": [ONE_SHARED_LAYER.feedback[ONE_SHARED_LAYER.correct],
                                 "Sharing less helps only if what is left unshared is what the tasks disagree on"],
        # the measuring cell's lines, report_prediction's forms of the mean, and the explanation's RMSEs
        "ex4_wider_layers": [_width_line(wide), f"[{wide.delta_m.low:+.0f}, {wide.delta_m.high:+.0f}]",
                             f"Δm% {mean:+.0f}, 95 % interval", f"Δm%, {mean:.3g} points", f"Δm% is {mean:.3g} points",
                             f"fell from {narrow.mtl_rmse.mean():.2f} to {wide.mtl_rmse.mean():.2f}",
                             f"up from {narrow.stl_rmse.mean():.2f} to {wide.stl_rmse.mean():.2f}"],
    }
