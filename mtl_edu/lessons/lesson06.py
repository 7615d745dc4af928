"""Lesson 06 (`06_task_weights`): task weights, the trade-off they trace (the task-weights explorer),
and loss scales.

Exercises: `check_second_shared_unit` (choose, read off the task-weight explorer), `check_pareto_mask`
(build), `measure_rescaled_switch` (predict, then measure: where the weighted sum switches tasks once one
target is rescaled), `check_standardise_target` (debug: a target standardised with test statistics).
`answer_texts` lists what would give the predict and choose answers away.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..balancing import toys
from ..balancing.balancers import StaticWeights
from ..data import datasets
from ..engine.autodiff import no_grad
from ..instruments import stats
from ..instruments.plots import category_style, plot_loss_curves, plot_tradeoff_curve
from ..instruments.probes import TaskGradientRecorder
from ..nets import train
from ..nets.multitask import HardSharingNet, Task, task_loss, task_metric
from ..teaching.checking import (
    as_array, as_number, call_learner, Choice, committed_prediction, exercise_checker, fail, passed,
    report_prediction, without_library,
)
from ..teaching.explorers import (
    dropdown, Explorer, float_slider, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "TASK_WEIGHT_PAIRS", "TASK_WEIGHT_SETUP", "TASK_WEIGHT_SWEEP", "TaskPairData",
    "task_pair_data", "normalised_task_weights", "WeightedPairRun", "train_weighted_pair",
    "TradeoffSweep", "task_weight_sweep", "plot_task_weights", "FINE_SWEEP_SETUP", "FineWeightSweep",
    "fine_weight_sweep", "plot_convex_hull_limit", "task_weights_explorer_update",
    "task_weights_explorer", "MASS_UNITS", "LOSS_SCALE_SETUP", "PenguinTasks", "penguin_tasks",
    "penguin_model", "LossScaleRun", "loss_scale_run", "plot_gradient_history", "SECOND_SHARED_UNIT",
    "check_second_shared_unit", "check_pareto_mask", "RESCALED_SWITCH_SETUP", "switch_after_rescaling",
    "measure_rescaled_switch", "check_standardise_target", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

# Two tasks from one teacher (datasets.make_related_tasks): each target depends on one direction of
# the input, and the two directions have cosine rho. A shared layer of ONE tanh unit cannot point
# along both, so the weights decide which task it serves: a trade-off the learner can see.
TASK_WEIGHT_PAIRS = {
    "regression + regression": ("regression", "regression"),
    "classification + regression": ("classification", "regression"),
}
TASK_WEIGHT_SETUP = {
    "n_train": 200, "n_test": 2000, "n_features": 10, "rho": 0.5, "noise": 0.2, "data_seed": 0,
    "steps": 200, "lr": 0.075, "model_seed": 0, "max_shared_units": 3,
}
TASK_WEIGHT_SWEEP = tuple(float(v) for v in np.round(np.linspace(0.05, 0.95, 13), 3))
"""λ, the share of task A in the joint loss, at the 13 points of every precomputed sweep."""


class TaskPairData(NamedTuple):
    """Train and test data of a task pair: X (n, d); targets: (target A (n,), target B (n,));
    tasks: two `multitask.Task` ("task A", "task B"); losses: their loss names for fit_multitask."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    tasks: tuple
    losses: tuple


def _task_weight_pair(pair) -> str:
    if pair not in TASK_WEIGHT_PAIRS:
        raise ValueError(f"Unknown task pair {pair!r}; choose one of {list(TASK_WEIGHT_PAIRS)}.")
    return pair


@functools.lru_cache(maxsize=4)
def task_pair_data(pair: str = "regression + regression") -> TaskPairData:
    """The lesson-06 task pair (read-only arrays): TASK_WEIGHT_SETUP["n_train"] training and
    ["n_test"] test examples from `make_related_tasks` with a linear teacher, one hidden direction per
    task, relatedness rho = 0.5 and noise 0.2. Both pairs use the same inputs and directions; in
    "classification + regression" task A's label is 1 where its (noisy) target is positive.
    """
    setup = TASK_WEIGHT_SETUP
    kinds = TASK_WEIGHT_PAIRS[_task_weight_pair(pair)]
    data = datasets.make_related_tasks(setup["n_train"], setup["rho"], rng=setup["data_seed"],
                                       n_features=setup["n_features"], n_hidden=1, noise=setup["noise"],
                                       task_types=kinds, activation="linear")
    test = data.teacher.sample(setup["n_test"], rng=setup["data_seed"] + 1)
    arrays = [data.X, *data.targets, test.X, *test.targets]
    for array in arrays:
        array.setflags(write=False)
    tasks = tuple(Task(name, "binary" if kind == "classification" else "regression")
                  for name, kind in zip(("task A", "task B"), kinds))
    losses = tuple("bce" if task.kind == "binary" else "mse" for task in tasks)
    return TaskPairData(data.X, tuple(data.targets), test.X, tuple(test.targets), tasks, losses)


def normalised_task_weights(weight_a: float, weight_b: float) -> np.ndarray:
    """(2,) the weights scaled to sum to 1: (λ, 1 − λ) with λ = w_A / (w_A + w_B).

    Only the ratio matters here: Adam divides every gradient entry by its own running size, so a
    common factor on both weights changes (almost) nothing. Negative, non-finite or all-zero weights
    raise ValueError with an explanation for the learner.
    """
    weights = np.array([weight_a, weight_b], dtype=float)
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"The task weights must be finite numbers, got w_A = {weight_a!r}, w_B = {weight_b!r}.")
    if np.any(weights < 0):
        raise ValueError(f"Task weights must be ≥ 0: a negative weight rewards the network for doing that task "
                         f"badly. Got w_A = {weight_a:.3g}, w_B = {weight_b:.3g}.")
    if weights.sum() == 0:
        raise ValueError("Both task weights are 0, so the joint loss 0·L_A + 0·L_B is 0 whatever the network "
                         "does: there is nothing to learn. Give at least one task a weight above 0.")
    return weights / weights.sum()


def _task_weight_units(shared_units) -> int:
    high = TASK_WEIGHT_SETUP["max_shared_units"]
    if isinstance(shared_units, bool) or not isinstance(shared_units, (int, np.integer)) \
            or not 1 <= shared_units <= high:
        raise ValueError(f"The shared layer needs a whole number of units from 1 to {high}, got {shared_units!r}.")
    return int(shared_units)


class WeightedPairRun(NamedTuple):
    """One model trained on λ·L_A + (1 − λ)·L_B. weights: (2,) (λ, 1 − λ); test_losses: (2,) the
    test loss of each task (MSE, or binary cross-entropy); test_errors: (2,) RMSE, or the error rate
    1 − accuracy of a classification: lower is better for both."""

    weights: np.ndarray
    test_losses: np.ndarray
    test_errors: np.ndarray


def train_weighted_pair(weight_a: float = 0.5, weight_b: float = 0.5, pair: str = "regression + regression",
                        shared_units: int = 1) -> WeightedPairRun:
    """Train a hard-sharing net on the weighted joint loss of a task pair and score it on the test set.

    The net is `HardSharingNet(d, [shared_units], tasks, branch_depth=1)`: one shared tanh layer of
    `shared_units` units, then a linear head per task. Training: `fit_multitask` with
    task_weights = normalised_task_weights(weight_a, weight_b), Adam (lr 0.075), 200 full-batch steps,
    the same initial weights for every λ (TASK_WEIGHT_SETUP). About 40 ms of CPU time.
    """
    return _train_at_weights(normalised_task_weights(weight_a, weight_b), pair, shared_units)


def _train_at_weights(weights: np.ndarray, pair: str, shared_units: int) -> WeightedPairRun:
    """train_weighted_pair with the weights already normalised (checked once, where they came in)."""
    shared_units = _task_weight_units(shared_units)
    data = task_pair_data(pair)
    setup = TASK_WEIGHT_SETUP
    model = _pair_net(data, shared_units, setup["model_seed"])
    train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses), task_weights=weights,
                        optimizer="adam", lr=setup["lr"], steps=setup["steps"], record_every=setup["steps"],
                        progress=False)
    with no_grad():
        outputs = model(data.X_test)
        losses = [task_loss(task, out, y).item() for task, out, y in zip(data.tasks, outputs, data.targets_test)]
    return WeightedPairRun(weights, np.array(losses), _test_errors(data, outputs))


def _pair_net(data: TaskPairData, shared_units: int, seed: int) -> HardSharingNet:
    """The lesson's network for a task pair: one shared tanh layer, then a linear head per task."""
    return HardSharingNet(data.X_train.shape[1], [shared_units], list(data.tasks), branch_depth=1,
                          activation="tanh", rng=seed)


def _test_errors(data: TaskPairData, outputs) -> np.ndarray:
    """(2,) per task: the RMSE, or the error rate (1 − accuracy) of a classification."""
    metrics = [task_metric(task, out, y) for task, out, y in zip(data.tasks, outputs, data.targets_test)]
    return np.array([1.0 - m if task.kind == "binary" else m for task, m in zip(data.tasks, metrics)])


class TradeoffSweep(NamedTuple):
    """One model per λ in TASK_WEIGHT_SWEEP. lambdas: (K,); test_losses, test_errors: (K, 2)
    columns task A, task B; tasks: the two `Task`s; pair, shared_units: the setting."""

    lambdas: np.ndarray
    test_losses: np.ndarray
    test_errors: np.ndarray
    tasks: tuple
    pair: str
    shared_units: int


# Sweeps are deterministic and cost about a second each, so each setting is computed once per session.
_TASK_WEIGHT_SWEEPS: dict = {}


def task_weight_sweep(pair: str = "regression + regression", shared_units: int = 1,
                      progress=None) -> TradeoffSweep:
    """The trade-off curve: `train_weighted_pair` at λ = each value of TASK_WEIGHT_SWEEP (weights
    (λ, 1 − λ)). Cached per (pair, shared_units). progress: None or callable(done, total), told after
    each model when the sweep is computed."""
    key = (_task_weight_pair(pair), _task_weight_units(shared_units))
    if key not in _TASK_WEIGHT_SWEEPS:
        runs = []
        for done, lam in enumerate(TASK_WEIGHT_SWEEP, start=1):
            runs.append(train_weighted_pair(lam, 1.0 - lam, *key))
            if progress is not None:
                progress(done, len(TASK_WEIGHT_SWEEP))
        arrays = [np.array(TASK_WEIGHT_SWEEP), np.stack([r.test_losses for r in runs]),
                  np.stack([r.test_errors for r in runs])]
        for array in arrays:
            array.setflags(write=False)
        _TASK_WEIGHT_SWEEPS[key] = TradeoffSweep(*arrays, task_pair_data(pair).tasks, *key)
    return _TASK_WEIGHT_SWEEPS[key]


# Both views are lower-is-better on both axes (an error rate, not an accuracy), so that "towards the
# origin" means better for both tasks in every trade-off plot of the course.
_TASK_WEIGHT_SHOW = ("test loss", "test error")


def _task_weight_value_names(tasks, show: str) -> list:
    if show == "test loss":
        return [f"{t.name} {'cross-entropy' if t.kind == 'binary' else 'MSE'}" for t in tasks]
    return [f"{t.name} {'error rate' if t.kind == 'binary' else 'RMSE'}" for t in tasks]


def _task_weight_axis_label(name: str) -> str:
    return f"test {name} (lower is better)"


def _shown_values(result, show: str) -> np.ndarray:
    return result.test_losses if show == "test loss" else result.test_errors


def plot_task_weights(sweep: TradeoffSweep, run: WeightedPairRun | None = None, show: str = "test loss",
                      reference: TradeoffSweep | None = None) -> Figure:
    """Left: each task's test loss (or metric) against λ, the sweep as labelled lines, the current run
    as large markers on a dashed line at its λ. Right: the trade-off curve, task A against task B, with
    the current run as a star (`plots.plot_tradeoff_curve`), and optionally a `reference` sweep of
    another width drawn faintly behind it, so a change of scale cannot hide a change of shape."""
    if show not in _TASK_WEIGHT_SHOW:
        raise ValueError(f"show must be one of {list(_TASK_WEIGHT_SHOW)}, got {show!r}.")
    values = _shown_values(sweep, show)
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.07, 0.98, 0.13, 0.84))
    if reference is not None:
        reference_values = _shown_values(reference, show)
        plural = "s" if reference.shared_units > 1 else ""
        right.plot(reference_values[:, 0], reference_values[:, 1], color="0.6", linestyle=":", marker=".",
                   label=f"sweep with {reference.shared_units} shared unit{plural}")
    current = None if run is None else _shown_values(run, show)
    names = _task_weight_value_names(sweep.tasks, show)
    higher = int(values[0, 1] > values[0, 0])  # which line starts higher: its label goes above it
    for t, name in enumerate(names):
        style = category_style(t)
        left.plot(sweep.lambdas, values[:, t], markersize=5, **style)
        # Labels on the lines themselves, at their left ends: no legend box to hide a curve.
        left.annotate(name, (sweep.lambdas[0], values[0, t]), textcoords="offset points",
                      xytext=(2, 8 if t == higher else -8), va="bottom" if t == higher else "top", fontsize=8,
                      color=style["color"])
        if run is not None:
            left.plot(run.weights[0], current[t], marker=style["marker"], markersize=13, color=style["color"],
                      markeredgecolor="black", linestyle="none")
    if run is not None:
        left.axvline(run.weights[0], color="0.3", linestyle="--", linewidth=1)
        left.annotate("current λ", (run.weights[0], 1.0), xycoords=("data", "axes fraction"),
                      textcoords="offset points", xytext=(3, -3), va="top", fontsize=8, color="0.3")
    left.margins(y=0.12)
    left.set_xlim(-0.02, 1.02)
    left.set_xlabel("λ = w_A / (w_A + w_B), the share of task A in the joint loss")
    left.set_ylabel("test loss" if show == "test loss" else "test error (error rate or RMSE)")
    left.set_title(f"Each task's {show} as the weight moves", y=1.0, fontsize=10)
    left.grid(alpha=0.3)
    plot_tradeoff_curve(values, current=current, title="The trade-off curve traced by λ",
                        xlabel=_task_weight_axis_label(names[0]), ylabel=_task_weight_axis_label(names[1]), ax=right)
    right.set_title("The trade-off curve traced by λ", y=1.0, fontsize=10)
    right.margins(0.14)
    # Label the two ends (they say which way λ runs): above or below the curve's middle, whichever is
    # away from it, and towards the inside of the axes horizontally, so the text is never clipped.
    centre = values.mean(axis=0)
    middle_x = 0.5 * sum(right.get_xlim())
    for k in (0, len(sweep.lambdas) - 1):
        inward = 1 if values[k, 0] <= middle_x else -1
        upward = 1 if values[k, 1] >= centre[1] else -1
        right.annotate(f"λ = {sweep.lambdas[k]:.2g}", values[k], textcoords="offset points",
                       xytext=(6 * inward, 7 * upward), ha="left" if inward > 0 else "right",
                       va="bottom" if upward > 0 else "top", fontsize=8)
    for ax in (left, right):  # few ticks: each tick costs a text layout on every redraw
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    units = f"{sweep.shared_units} shared unit{'s' if sweep.shared_units > 1 else ''}"
    if run is None:
        fig.suptitle(f"{sweep.pair}, {units}: {len(sweep.lambdas)} models, one per λ", fontsize=11, y=0.97)
    else:
        scores = ", ".join(f"{name} {value:.3f}" for name, value in zip(names, current))
        fig.suptitle(f"{sweep.pair}, {units}, λ = {run.weights[0]:.3g}: {scores}", fontsize=11, y=0.97)
    return fig


def task_weights_explorer_update(weight_a: float = 0.5, weight_b: float = 0.5,
                                 pair: str = "regression + regression", shared_units: int = 1,
                                 show: str = "test loss", progress=None) -> Figure:
    """Lesson 06: train one model at the chosen weights (live) and place it on the precomputed sweep.
    With more than one shared unit, the one-unit sweep is drawn faintly for comparison."""
    weights = normalised_task_weights(weight_a, weight_b)  # an impossible weight is explained before any training
    if show not in _TASK_WEIGHT_SHOW:
        raise ValueError(f"show must be one of {list(_TASK_WEIGHT_SHOW)}, got {show!r}.")
    sweep = task_weight_sweep(pair, shared_units, progress=progress)
    reference = task_weight_sweep(pair, 1, progress=progress) if sweep.shared_units != 1 else None
    run = _train_at_weights(weights, pair, shared_units)
    return plot_task_weights(sweep, run, show, reference=reference)




def task_weights_explorer(**initial) -> Explorer:
    """Weights of task A and task B, the task pair, the shared layer's width and what to show."""
    values = initial_values("task_weights", initial)
    controls = {
        "weight_a": float_slider("weight w_A of task A", values["weight_a"], 0.0, 1.0, 0.05),
        "weight_b": float_slider("weight w_B of task B", values["weight_b"], 0.0, 1.0, 0.05),
        "pair": dropdown("tasks", list(TASK_WEIGHT_PAIRS), values["pair"]),
        "shared_units": int_slider("shared units", values["shared_units"], 1, TASK_WEIGHT_SETUP["max_shared_units"]),
        "show": dropdown("show", list(_TASK_WEIGHT_SHOW), values["show"]),
    }
    return Explorer(task_weights_explorer_update, controls, title="Task-weight explorer",
                    help_text="Each change trains one network on w_A·L_A + w_B·L_B and draws it (large markers, "
                              "star) on the curve of 13 networks trained at other weights. A new task pair or "
                              "width first computes its curve (about a second).",
                    reports_progress=True)


register_explorer("task_weights", task_weights_explorer_update, ("weight_a", "weight_b", "pair", "shared_units", "show"),
                  task_weights_explorer,
                  static_controls=("weight_a", "weight_b", "pair"))


# Why the classification + regression curve jumps: the same network over a grid of λ ten times finer
# than the explorer's, from ten initialisations, trained as one batch (train.fit_multitask_models).
FINE_SWEEP_SETUP = {"pair": "classification + regression", "lambdas": (0.40, 0.80, 41), "inits": 10}


class FineWeightSweep(NamedTuple):
    """lambdas: (K,); inits: (S,) model seeds; train_losses, test_errors: (S, K, 2) per init and λ,
    columns task A, task B (training losses as minimised; test errors lower-is-better);
    switch: (S,) per init, the first λ at which task A's training loss is below the middle of its
    range over the grid; largest_jump, median_step: (S,) the largest and the median change of task A's
    training loss between neighbouring λ, as fractions of that range."""

    lambdas: np.ndarray
    inits: np.ndarray
    train_losses: np.ndarray
    test_errors: np.ndarray
    switch: np.ndarray
    largest_jump: np.ndarray
    median_step: np.ndarray

    def switch_interval(self) -> stats.PairedInterval:
        """The mean switch λ over the initialisations, with its 95 % t interval."""
        return stats.mean_interval(self.switch)


def _train_weight_grid(data: TaskPairData, targets_train, lambdas: np.ndarray, inits: np.ndarray) -> tuple:
    """The lesson's one-unit network trained on λ·L_A + (1 − λ)·L_B for every init and λ, exactly as
    `train_weighted_pair` trains it (Adam, lr 0.075, 200 full-batch steps), all S·K networks at once.

    targets_train: the two training targets (n,) (task B's may be rescaled). Returns (models, in the
    order init-major; train_losses (S, K, 2), each task's training loss as minimised)."""
    setup = TASK_WEIGHT_SETUP
    models, balancers = [], []
    for seed in inits:
        for lam in lambdas:
            models.append(_pair_net(data, 1, int(seed)))
            balancers.append(StaticWeights([lam, 1.0 - lam]))
    train.fit_multitask_models(models, data.X_train, list(targets_train), list(data.losses), balancers,
                               optimizer="adam", lr=setup["lr"], steps=setup["steps"], record_every=setup["steps"])
    with no_grad():
        train_losses = []
        for model in models:
            outputs = model(data.X_train)
            train_losses.append([task_loss(task, out, y).item() for task, out, y in zip(data.tasks, outputs, targets_train)])
    return models, np.array(train_losses).reshape(len(inits), len(lambdas), 2)


def _switch_lambdas(loss_a: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """(S,) per init, the first λ at which task A's training loss, loss_a (S, K), is below the middle of
    its range over the grid."""
    low, high = loss_a.min(axis=1), loss_a.max(axis=1)
    return lambdas[np.argmax(loss_a < ((low + high) / 2)[:, None], axis=1)]


@functools.lru_cache(maxsize=1)
def fine_weight_sweep() -> FineWeightSweep:
    """FINE_SWEEP_SETUP: for each of `inits` initial weights (model seeds 0, 1, …) and each λ on the
    fine grid, the lesson's one-unit network trained on λ·L_A + (1 − λ)·L_B exactly as
    `train_weighted_pair` trains it (Adam, lr 0.075, 200 full-batch steps); all S·K networks at once.
    About 3 s."""
    data = task_pair_data(FINE_SWEEP_SETUP["pair"])
    lambdas = np.round(np.linspace(*FINE_SWEEP_SETUP["lambdas"]), 3)
    inits = np.arange(FINE_SWEEP_SETUP["inits"])
    models, train_losses = _train_weight_grid(data, data.targets_train, lambdas, inits)
    with no_grad():
        test_errors = np.array([_test_errors(data, model(data.X_test)) for model in models])
    test_errors = test_errors.reshape(train_losses.shape)
    loss_a = train_losses[:, :, 0]
    low, high = loss_a.min(axis=1), loss_a.max(axis=1)
    switch = _switch_lambdas(loss_a, lambdas)
    steps = np.abs(np.diff(loss_a, axis=1)) / (high - low)[:, None]
    arrays = [lambdas, inits, train_losses, test_errors, switch, steps.max(axis=1), np.median(steps, axis=1)]
    for array in arrays:
        array.setflags(write=False)
    return FineWeightSweep(*arrays)


def plot_convex_hull_limit(fine: FineWeightSweep) -> Figure:
    """Left: Fonseca & Fleming's front (`toys.fonseca_fleming`) and the points a weighted sum reaches
    for 101 values of λ (`toys.weighted_sum_minimisers`): only its two ends. Right: the fine sweep's
    networks in training-loss space, coloured by λ, with the straight line λ*·L_A + (1 − λ*)·L_B = its
    minimum over the networks, at the median switch λ*."""
    fig, (left, right) = new_figure((10.0, 4.3), ncols=2, margins=(0.07, 0.92, 0.13, 0.86))
    cmap = "viridis"
    theta = np.linspace(-1.0, 1.0, 201)
    left.plot(*toys.fonseca_fleming(theta), color="0.55", linewidth=2, label="the Pareto front")
    lambdas = np.linspace(0.0, 1.0, 101)
    reached = toys.fonseca_fleming(toys.weighted_sum_minimisers(lambdas))
    left.scatter(*reached, c=lambdas, cmap=cmap, vmin=0, vmax=1, s=22, zorder=3, marker="o",
                 label="minimisers of λ·L_A + (1 − λ)·L_B")
    ends = toys.fonseca_fleming(toys.weighted_sum_minimisers(np.array([0.499, 0.501])))
    left.plot(*ends, color="black", linestyle="--", linewidth=1, label="the convex hull's edge (λ = 0.5)")
    left.annotate("never a minimiser:\nthe middle of the front", toys.fonseca_fleming(0.0), textcoords="offset points",
                  xytext=(-100, -70), fontsize=8, arrowprops={"arrowstyle": "->", "color": "0.3"})
    for text, at, align in (("every λ > 0.5", (0.0, 1.0), "left"), ("every λ < 0.5", (1.0, 0.0), "right")):
        left.annotate(text, at, textcoords="offset points", xytext=(8, 4) if align == "left" else (-8, -6),
                      ha=align, va="bottom" if align == "left" else "top", fontsize=8)
    left.set_ylim(-0.15, 1.45)  # room for the legend above the front
    left.set_xlabel("L_A (lower is better)")
    left.set_ylabel("L_B (lower is better)")
    left.set_title("A front that bulges outwards (Fonseca & Fleming)", fontsize=10)
    left.legend(fontsize=7.5, loc="upper right")
    points = fine.train_losses.reshape(-1, 2)
    colours = np.broadcast_to(fine.lambdas, fine.train_losses.shape[:2]).ravel()
    shown = right.scatter(points[:, 0], points[:, 1], c=colours, cmap=cmap, vmin=0, vmax=1, s=12, marker="o",
                          edgecolors="none", alpha=0.8)
    lam = float(np.median(fine.switch))
    level = float(np.min(lam * points[:, 0] + (1.0 - lam) * points[:, 1]))
    x = np.array([points[:, 0].min(), points[:, 0].max()])
    right.plot(x, (level - lam * x) / (1.0 - lam), color="black", linestyle="--", linewidth=1,
               label=f"λ·L_A + (1 − λ)·L_B = its minimum, λ = {lam:.2f}")
    right.set_xlabel("task A training cross-entropy (lower is better)")
    right.set_ylabel("task B training MSE (lower is better)")
    right.set_title(f"The network: {len(fine.inits)} inits × {len(fine.lambdas)} values of λ", fontsize=10)
    right.legend(fontsize=7.5, loc="upper right")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    bar = fig.colorbar(shown, ax=right, fraction=0.05, pad=0.02)
    bar.set_label("λ, the share of task A")
    fig.suptitle("A weighted sum only reaches the convex hull of the trade-off", fontsize=11, y=0.98)
    return fig


# Loss scales: Palmer penguins, three tasks on one shared layer, body mass in one of three units.
MASS_UNITS = ("grams", "kilograms", "standardised")
LOSS_SCALE_SETUP = {"test_fraction": 0.3, "split_seed": 0, "hidden": 8, "model_seed": 0, "steps": 400,
                    "lr": 0.02, "record_every": 10}


class PenguinTasks(NamedTuple):
    """Penguins as three tasks. X_train, X_test: (n, 6) features (bill length, bill depth, flipper
    length standardised with training statistics; island one-hot); targets_*: (species (n,) in 0..2,
    sex (n,) in {0, 1}, body mass (n,) in `mass_unit`); mass_to_grams: (scale, offset) with
    grams = scale · value + offset; tasks: three `Task`s; losses: their loss names."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    mass_unit: str
    mass_to_grams: tuple
    tasks: tuple
    losses: tuple


@functools.lru_cache(maxsize=4)
def penguin_tasks(mass_unit: str = "grams") -> PenguinTasks:
    """The penguins split 70/30, stratified by species (LOSS_SCALE_SETUP), with body mass in grams
    (as the file stores it), kilograms, or standardised (z-scores with the training mean and std).
    Data: Gorman, Williams & Fraser 2014 (PLoS ONE), via `datasets.load_penguins`."""
    if mass_unit not in MASS_UNITS:
        raise ValueError(f"Unknown mass unit {mass_unit!r}; choose one of {list(MASS_UNITS)}.")
    setup = LOSS_SCALE_SETUP
    penguins = datasets.load_penguins()
    split = datasets.train_test_split(penguins.features, penguins.species, penguins.sex, penguins.body_mass_g,
                                      test_fraction=setup["test_fraction"], rng=setup["split_seed"],
                                      stratify=penguins.species)
    X_train, species_train, sex_train, grams_train = split.train
    X_test, species_test, sex_test, grams_test = split.test
    features = datasets.standardize(X_train, X_test, columns=[0, 1, 2])  # the island columns stay 0/1
    if mass_unit == "grams":
        scale, offset = 1.0, 0.0
    elif mass_unit == "kilograms":
        scale, offset = 1000.0, 0.0
    else:
        scale, offset = float(grams_train.std()), float(grams_train.mean())
    mass_train, mass_test = (grams_train - offset) / scale, (grams_test - offset) / scale
    arrays = [features.train, species_train, sex_train, mass_train, features.test, species_test, sex_test, mass_test]
    for array in arrays:
        array.setflags(write=False)
    tasks = (Task("species", "multiclass", 3), Task("sex", "binary"), Task(f"body mass ({mass_unit})", "regression"))
    return PenguinTasks(features.train, (species_train, sex_train, mass_train), features.test,
                        (species_test, sex_test, mass_test), mass_unit, (scale, offset), tasks,
                        ("cross_entropy", "bce", "mse"))


def penguin_model(data: PenguinTasks, seed: int | None = None) -> HardSharingNet:
    """A shared tanh layer of LOSS_SCALE_SETUP["hidden"] units and a linear head per task; the
    same initial weights for every mass unit."""
    seed = LOSS_SCALE_SETUP["model_seed"] if seed is None else seed
    return HardSharingNet(data.X_train.shape[1], [LOSS_SCALE_SETUP["hidden"]], list(data.tasks), branch_depth=1,
                          activation="tanh", rng=seed)


class LossScaleRun(NamedTuple):
    """A penguin run with body mass in one unit. steps: (S,) recorded steps; norms: (S, 3) each
    task's gradient norm on the shared layer; cosines: (S, 3, 3); species_accuracy, sex_accuracy:
    on the test set; mass_rmse_grams: test RMSE converted to grams; saturated_fraction: share of the
    shared layer's outputs on the training set with |tanh| > 0.99 after training; task_names."""

    mass_unit: str
    steps: np.ndarray
    norms: np.ndarray
    cosines: np.ndarray
    species_accuracy: float
    sex_accuracy: float
    mass_rmse_grams: float
    saturated_fraction: float
    task_names: tuple


def loss_scale_run(mass_unit: str = "grams", steps: int | None = None) -> LossScaleRun:
    """Train `penguin_model` on the unweighted sum of the three losses (Adam, LOSS_SCALE_SETUP),
    recording per-task gradients on the shared layer with `probes.TaskGradientRecorder`."""
    setup = LOSS_SCALE_SETUP
    steps = setup["steps"] if steps is None else steps
    data = penguin_tasks(mass_unit)
    model = penguin_model(data)
    recorder = TaskGradientRecorder(list(data.losses))
    train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses), optimizer="adam",
                        lr=setup["lr"], steps=steps, record_every=setup["record_every"], probes=[recorder],
                        progress=False)
    record = recorder.as_arrays()
    with no_grad():
        outputs = model(data.X_test)
        shared = model.forward_trace(data.X_train).activations[-1].data
    species, sex, mass = data.targets_test
    scale, offset = data.mass_to_grams
    grams = outputs[2].data[:, 0] * scale + offset
    return LossScaleRun(
        mass_unit=mass_unit, steps=record["steps"], norms=record["norms"], cosines=record["cosines"],
        species_accuracy=task_metric("multiclass", outputs[0], species),
        sex_accuracy=task_metric("binary", outputs[1], sex),
        mass_rmse_grams=float(np.sqrt(np.mean((grams - (mass * scale + offset)) ** 2))),
        saturated_fraction=float(np.mean(np.abs(shared) > 0.99)),
        task_names=tuple(task.name.split(" (")[0] for task in data.tasks),
    )


def plot_gradient_history(runs: Mapping[str, LossScaleRun]) -> Figure:
    """One panel per run: each task's gradient norm on the shared layer over training (log scale,
    one y range for all panels); a last panel: the cosine of each pair of task gradients in the last run."""
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("plot_gradient_history: runs must be a non-empty dict label -> LossScaleRun")
    fig, axes = new_figure((4.0 * (len(runs) + 1), 3.9), ncols=len(runs) + 1, margins=(0.06, 0.99, 0.14, 0.82))
    for ax, (label, run) in zip(axes, runs.items()):
        plot_loss_curves({name: run.norms[:, t] for t, name in enumerate(run.task_names)}, steps=run.steps,
                         title=label, ylabel="gradient norm on the shared layer", ax=ax)
        ax.set_title(label, y=1.0, fontsize=10)
    positive = np.concatenate([r.norms[r.norms > 0] for r in runs.values()])
    for ax in axes[:-1]:
        ax.set_ylim(positive.min() / 3, positive.max() * 3)
    last_label, last = list(runs.items())[-1]
    ax = axes[-1]
    pairs = [(a, b) for a in range(len(last.task_names)) for b in range(a + 1, len(last.task_names))]
    for index, (a, b) in enumerate(pairs):
        ax.plot(last.steps, last.cosines[:, a, b], markersize=4, markevery=max(1, last.steps.size // 12),
                label=f"{last.task_names[a]} · {last.task_names[b]}", **category_style(index + 3))
    ax.axhline(0.0, color="0.3", linewidth=1)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("training step")
    ax.set_ylabel("cosine of the two task gradients")
    ax.set_title(f"Cosine of each pair of task gradients\n({last_label})", y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, framealpha=0.85)
    fig.suptitle("Per-task gradients on the shared layer during training", fontsize=11, y=0.97)
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# Exercise 06.1 (choose): things to try 3, read off the task-weight explorer.
SECOND_SHARED_UNIT = Choice(
    "the trade-off curve with 2 shared units",
    {
        "a": "this assumes the trade-off is built into the tasks, so that a wider layer could only shift the "
             "whole curve. Compare the extent of the new curve with the grey one-unit curve, not only where "
             "it sits.",
        "b": "this expects more shared parameters to give the weights more to steer, as if the number of "
             "parameters set how far apart the two ends of the curve lie. Compare the ends of the new curve "
             "with those of the grey one-unit curve.",
        "c": "one tanh unit can follow only one direction of the input, a blend of the two tasks' directions, "
             "and the weights chose the blend. With a unit for each direction, every λ fits both tasks and "
             "the weights have next to nothing left to trade: the conflict was in the narrow layer.",
        "d": "this takes the cosine between the two tasks' directions as the whole story. It is a property of "
             "the data, the same at every width; the new curve was trained on the same data, so compare it "
             "with the grey one-unit curve before you rule the width out.",
    },
    correct="c",
)


@exercise_checker
def check_second_shared_unit(answer) -> None:
    """Exercise 06.1: what a second shared unit does to the trade-off curve."""
    SECOND_SHARED_UNIT.judge(answer)


# Small sets with known answers (minimise both coordinates): duplicates, a tie in one coordinate, one point.
_PARETO_CASES = (
    (((1, 5), (2, 3), (3, 4), (4, 1), (2, 3)), (True, True, False, True, True)),
    (((1, 2), (1, 3), (2, 1)), (True, False, True)),
    (((0.5, 0.5),), (True,)),
    (((3, 3), (1, 1), (2, 2)), (False, True, False)),
)


def _reference_pareto_mask(points: np.ndarray) -> np.ndarray:
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [j, i]: j is no worse than i
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    return ~np.any(no_worse & better, axis=0)


@exercise_checker
def check_pareto_mask(pareto_mask) -> None:
    """Exercise 06.2: `pareto_mask(points)` marks the points (K, 2) that no other point dominates
    (both coordinates are losses: lower is better). The checker's own mask refuses to run meanwhile."""
    rng = np.random.default_rng(6)
    cases = [(np.array(p, dtype=float), np.array(m)) for p, m in _PARETO_CASES]
    random_points = rng.random((25, 2))
    cases.append((random_points, _reference_pareto_mask(random_points)))
    for points, expected in cases:
        shown = ("[" + ", ".join(f"({a:g}, {b:g})" for a, b in points) + "]") if len(points) <= 5 \
            else f"{len(points)} random points"
        with without_library(pareto_mask, _reference_pareto_mask):
            result = call_learner(pareto_mask, points.copy(), description=f"pareto_mask({shown})")
        if result is None:
            fail(f"pareto_mask({shown}) returned None; did you forget the `return`?")
        got = np.asarray(result)
        if got.shape != expected.shape:
            fail(f"pareto_mask({shown}) should return one True/False per point, shape {expected.shape}; got shape "
                  f"{got.shape}" + (" (indices? return a boolean mask instead)" if got.ndim == 1 else ""))
        if got.dtype != bool and not np.all(np.isin(got, (0, 1))):
            fail(f"pareto_mask({shown}) should return booleans, got values {got.tolist()}")
        got = got.astype(bool)
        if np.array_equal(got, expected):
            continue
        if np.array_equal(got, _reference_pareto_mask(-points)):
            fail(f"for {shown}: you kept the points that are best when both values are MAXIMISED; here both are "
                  "losses, so lower is better.")
        wrong = int(np.flatnonzero(got != expected)[0])
        point = points[wrong]
        if expected[wrong]:
            twins = [k for k in range(len(points)) if k != wrong and np.array_equal(points[k], point)]
            hint = (" An identical point does not dominate it: domination needs strictly better on one task."
                    if twins else "")
            fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is not dominated by any other point, "
                  f"so it belongs to the front, but you marked it False.{hint}")
        dominators = [k for k in range(len(points))
                      if np.all(points[k] <= point) and np.any(points[k] < point)]
        k = dominators[0]
        tie = " (equal on one task and better on the other still dominates)" if np.any(points[k] == point) else ""
        fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is dominated by point {k} "
              f"({points[k][0]:g}, {points[k][1]:g}){tie}, but you marked it True.")
    passed(f"pareto_mask finds the non-dominated points in all {len(cases)} sets (duplicates, ties in one "
        "coordinate, a single point, 25 random points).")


# Exercise 06.3 (predict, then measure): the switch of section 3 after task B's target is multiplied by
# RESCALED_SWITCH_SETUP["scale"] (a unit that much smaller), on a λ grid past the original switch.
RESCALED_SWITCH_SETUP = {"scale": 2.0, "lambdas": (0.50, 0.99, 50), "inits": 5}


@functools.lru_cache(maxsize=4)
def switch_after_rescaling(scale: float = RESCALED_SWITCH_SETUP["scale"]) -> np.ndarray:
    """(S,) per init (model seeds 0 .. S − 1), the switch λ of the fine sweep's classification +
    regression pair when task B's target is multiplied by `scale`: the first λ on the grid
    RESCALED_SWITCH_SETUP["lambdas"] at which task A's training loss is below the middle of its range.
    About 1.5 s (250 networks, trained as one batch)."""
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"switch_after_rescaling: scale must be a positive number, got {scale!r}")
    data = task_pair_data(FINE_SWEEP_SETUP["pair"])
    lambdas = np.round(np.linspace(*RESCALED_SWITCH_SETUP["lambdas"]), 3)
    targets = (data.targets_train[0], scale * np.asarray(data.targets_train[1]))
    _, train_losses = _train_weight_grid(data, targets, lambdas, np.arange(RESCALED_SWITCH_SETUP["inits"]))
    switch = _switch_lambdas(train_losses[:, :, 0], lambdas)
    switch.setflags(write=False)
    return switch


def _switch_line(switch: np.ndarray) -> str:
    return f"switch λ per init {', '.join(f'{lam:.2f}' for lam in switch)}; mean {switch.mean():.3f}"


def measure_rescaled_switch(predicted_switch) -> None:
    """Exercise 06.3: after the learner predicted it, measure where the classification + regression
    network switches from serving task B to serving task A once task B's target is doubled."""
    prediction = committed_prediction(predicted_switch, "your prediction function")
    if prediction is None:
        return
    predicted = as_number(prediction, "your predicted λ")
    setup, scale = RESCALED_SWITCH_SETUP, RESCALED_SWITCH_SETUP["scale"]
    switch = switch_after_rescaling(scale)
    low, high, count = setup["lambdas"]
    print(f"Measured with task B's target × {scale:g}, {setup['inits']} inits × {count} values of λ from "
          f"{low:.2f} to {high:.2f}:")
    print(f"  {_switch_line(switch)}")
    original = float(np.mean(fine_weight_sweep().switch))
    print(f"  (with the original target: mean {original:.2f}, section 3)")
    if not 0 < predicted < 1:
        print(f"Your prediction {predicted:.3g} is not a share of the joint loss: λ lies between 0 and 1.")
        return
    measured = float(switch.mean())
    odds = original / (1 - original)
    if report_prediction(predicted, measured, "switch λ", tolerance=0.04):
        slip = ""
    elif abs(predicted - original) <= 0.04:
        slip = ("A prediction at the old switch treats it as a property of the tasks. It is a price between their "
                "losses, and rescaling one loss changes the price.")
    elif predicted < original:
        slip = ("A larger target makes task B's loss larger, so task A needs more of the weight to win the shared "
                "unit, not less.")
    elif abs(predicted - odds * scale / (1 + odds * scale)) <= 0.04:
        slip = (f"A prediction at odds {odds * scale:.0f} follows the gradient's factor {scale:g} at the first step; "
                "where training ends is decided by the losses, which grow with the factor's square.")
    elif predicted > measured:
        slip = (f"A squared error grows with the square of the factor, {scale ** 2:g} here, and no more: larger odds "
                "give task A more weight than it needs to win the shared unit.")
    else:
        slip = "Between the old switch and the new one, the odds must grow by the square of the factor."
    print("The switch is the λ at which the two ends of the trade-off have the same weighted loss "
          f"λ·L_A + (1 − λ)·L_B. Task B's head can scale its output by {scale:g} too, so at task B's end every "
          f"squared error of task B is {scale ** 2:g} times larger (a squared error scales with the square of the unit): "
          f"the odds λ/(1 − λ) at the switch grow {scale ** 2:g}-fold, from {odds:.1f} to {odds * scale ** 2:.0f}.")
    if slip:
        print(slip)


# Exercise 06.4 (debug): a target standardised with statistics that include the test set.
_SHIFT_GRAMS = 500.0


def _standardise_cases() -> list:
    """(train (n,), test (m,)): the penguins' body mass in grams, and a small made-up set."""
    grams = penguin_tasks("grams")
    rng = np.random.default_rng(7)
    return [(np.asarray(grams.targets_train[2], dtype=float), np.asarray(grams.targets_test[2], dtype=float)),
            (rng.normal(50.0, 8.0, size=12), rng.normal(80.0, 20.0, size=6))]


def _standardised(fixed_standardise_target, train_values, test_values, description: str) -> tuple:
    """The learner's (z_train (n,), z_test (m,), mean, std), checked for form. `datasets.standardize`, which
    does the fix, refuses to run meanwhile."""
    with without_library(fixed_standardise_target, datasets.standardize):
        got = call_learner(fixed_standardise_target, train_values.copy(), test_values.copy(), description=description)
    if got is None:
        fail(f"{description} returned None; did you forget the `return`?")
    if not isinstance(got, (tuple, list)) or len(got) != 3 or not isinstance(got[2], (tuple, list)) or len(got[2]) != 2:
        fail(f"{description} should return (z_train, z_test, (mean, std)), as standardise_target does")
    z_train = as_array(got[0], train_values.shape, f"{description}: z_train")
    z_test = as_array(got[1], test_values.shape, f"{description}: z_test")
    mean, std = (as_number(value, f"{description}: {name}") for value, name in zip(got[2], ("mean", "std")))
    return z_train, z_test, mean, std


@exercise_checker
def check_standardise_target(fixed_standardise_target) -> None:
    """Exercise 06.4: `fixed_standardise_target(train, test)` returns (z_train, z_test, (mean, std)) with the
    training set's statistics only: the training targets do not depend on the test set, and the test set
    is scaled like the training set (a test set weighed heavier comes out heavier)."""
    for train_values, test_values in _standardise_cases():
        call = f"fixed_standardise_target(train, test) with {train_values.size} training and {test_values.size} test values"
        z_train, z_test, mean, std = _standardised(fixed_standardise_target, train_values, test_values, call)
        heavier = _standardised(fixed_standardise_target, train_values, test_values + _SHIFT_GRAMS,
                                f"the same call with every test value + {_SHIFT_GRAMS:g}")
        moved = float(np.max(np.abs(heavier[0] - z_train)))
        if moved > 1e-9 or not np.allclose((heavier[2], heavier[3]), (mean, std), rtol=1e-12):
            fail(f"{call}: the training targets still change when only the test set changes (by up to {moved:.3g} "
                 f"when every test value is {_SHIFT_GRAMS:g} larger): the statistics still include test values.")
        if np.allclose(heavier[1], z_test, atol=1e-9):
            fail(f"{call}: a test set whose values are all {_SHIFT_GRAMS:g} larger gives the same z_test: the test "
                 "set is standardised with its own statistics. The model would then never see that the test "
                 "penguins are heavier; scale the test set with the training set's mean and std.")
        if not (np.isclose(std * z_train + mean, train_values, rtol=1e-9).all()
                and np.isclose(std * z_test + mean, test_values, rtol=1e-9).all()):
            fail(f"{call}: std · z + mean should give back the values in grams, for the training and the test set.")
        if not np.isclose(mean, train_values.mean(), rtol=1e-9) or not (
                np.isclose(std, train_values.std(), rtol=1e-9) or np.isclose(std, train_values.std(ddof=1), rtol=1e-9)):
            fail(f"{call}: the mean and std should be the training set's: {train_values.mean():.6g} and "
                 f"{train_values.std():.6g}, got {mean:.6g} and {std:.6g}.")
    passed("your standardisation reads only the training set: its targets stay put when the test set changes, "
           "and a shifted test set comes out shifted.")


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    switch = switch_after_rescaling()
    scale = RESCALED_SWITCH_SETUP["scale"]
    original = float(np.mean(fine_weight_sweep().switch))
    odds = original / (1 - original)
    return {
        "ex1_second_shared_unit": [SECOND_SHARED_UNIT.feedback[SECOND_SHARED_UNIT.correct],
                                   "shrinks to a small cluster", "trade-off disappears", "shrank to a cluster"],
        # the measuring cell's lines, report_prediction's form of the mean, and the explanation's odds
        "ex3_rescaled_switch": [_switch_line(switch), f"{switch.mean():.3f}", f"switch λ is {switch.mean():.3g}",
                                f"switch λ, {switch.mean():.3g}",
                                f"from {odds:.1f} to {odds * scale ** 2:.0f}"],
    }
