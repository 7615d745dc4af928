"""Lesson 02 (`02_mlps_and_training`): a small network learns a 2-D boundary (the decision-boundary
explorer), and the initialisation experiment.

Exercises: `check_mlp_forward` (build: the forward pass of a 2-layer MLP), `measure_small_learning_rate`
(predict, then measure: how many steps a ten times smaller learning rate needs), `check_fixed_accuracy`
(debug: an accuracy that compares every prediction with every label), `check_large_learning_rate`
(choose: what a learning rate of 10 does to a ReLU network); `answer_texts` lists what would give the
predict and choose answers away.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..data import datasets
from ..engine import functional
from ..engine.autodiff import no_grad, Tensor
from ..instruments.plots import category_style, SUPERSCRIPTS
from ..nets import nn, optim, train
from ..teaching.checking import (
    Choice, as_array, as_number, call_learner, committed_prediction, exercise_checker, fail, passed,
    reference_sigmoid, report_prediction, without_library,
)
from ..teaching.explorers import (
    control_style, dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "plot_activation_derivatives",     "TOY_DATASETS", "toy_split", "BoundaryRun", "train_and_map", "decision_boundary_run", "draw_boundary",
    "plot_boundary_and_losses", "plot_boundary_panels", "decision_boundary_explorer_update",
    "decision_boundary_explorer", "INIT_EXPERIMENT", "INIT_SCHEMES", "initialisation_data",
    "initialisation_experiment", "check_mlp_forward", "SLOW_LEARNING_RATE", "steps_to_reach_loss",
    "plot_learning_rate_race", "measure_small_learning_rate", "check_fixed_accuracy", "LARGE_LEARNING_RATE",
    "check_large_learning_rate", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

_CIVIDIS = colormaps["cividis"]

# name -> function(n, rng) -> (X, y); noise levels chosen so each set overlaps a little at its edges.
TOY_DATASETS: dict = {
    "moons": lambda n, rng: datasets.make_moons(n, noise=0.2, rng=rng),
    "circles": lambda n, rng: datasets.make_circles(n, noise=0.08, rng=rng),
    "spirals": lambda n, rng: datasets.make_spirals(n, noise=0.05, rng=rng, turns=1.25),
}


def toy_split(dataset: str, n_points: int = 200, test_fraction: float = 0.3, seed: int = 0) -> tuple:
    """(X_train, y_train, X_test, y_test) of a 2-D toy set from `TOY_DATASETS`; X: (n, 2), y: (n,) in {0, 1}.

    The points come from `default_rng(seed)` and the split from `default_rng(seed + 1)`, so a name and
    a seed always give the same data.
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {list(TOY_DATASETS)}.")
    X, y = TOY_DATASETS[dataset](n_points, np.random.default_rng(seed))
    split = datasets.train_test_split(X, y, test_fraction=test_fraction, rng=np.random.default_rng(seed + 1))
    (X_train, y_train), (X_test, y_test) = split.train, split.test
    return X_train, y_train, X_test, y_test


@dataclass
class BoundaryRun:
    """One training run of a binary classifier on 2-D data, and what it learned.

    X_train (n, 2), y_train (n,), X_test (m, 2), y_test (m,): the data.
    grid_x, grid_y: (H, W) grid coordinates; probability: (H, W) predicted P(class 1) on the grid
        after training (None if training diverged).
    steps: (S,) recorded steps; train_loss, test_loss: (S,) binary cross-entropy at those steps (the
        last entry is the trained model, at step = number of steps; inf or NaN where training diverged).
    train_accuracy, test_accuracy: fractions in [0, 1] of the trained model (NaN if it diverged).
    diverged_at: the step where the loss became inf/NaN, else None.
    initial_output: mean |logit| over the training points before the first step.
    dead_units: hidden units of a plain-ReLU network whose pre-activation is ≤ 0 on every training
        point after training (they pass no signal and get no gradient); 0 for other activations.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    probability: np.ndarray | None
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: float
    test_accuracy: float
    diverged_at: int | None
    initial_output: float
    dead_units: int


def _grid_around(X: np.ndarray, resolution: int, margin: float = 0.4) -> tuple:
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    return grid_x, grid_y, np.column_stack([grid_x.ravel(), grid_y.ravel()])


def _count_dead_units(model, X: np.ndarray) -> int:
    if type(getattr(model, "activation", None)) is not nn.ReLU:
        return 0  # only a plain ReLU has a zero gradient on its whole negative side
    trace = model.forward_trace(X)
    return int(sum(np.all(z.data <= 0, axis=0).sum() for z in trace.pre_activations[:-1]))


def train_and_map(model, X_train, y_train, X_test, y_test, lr: float, steps: int, optimizer: str = "sgd",
                  resolution: int = 120, progress=None) -> BoundaryRun:
    """Train `model` (2 inputs → 1 logit) with full-batch `optimizer` on the binary cross-entropy,
    record train and test loss about 100 times, and map P(class 1) on a `resolution`² grid.

    A run whose loss becomes inf/NaN stops there; the BoundaryRun then has `diverged_at` set and
    no probability map. progress: None or callable(done, total), called at each recorded step.
    """
    record_every = max(1, steps // 100)
    # fit calls its probes at every recorded step: a convenient hook to move the progress bar.
    probes = {} if progress is None else {"progress": lambda _model, _X, _y, step: progress(step, steps)}
    with no_grad():
        initial_output = float(np.mean(np.abs(model(X_train).data)))
    diverged_at = None
    try:
        history = train.fit(model, X_train, y_train, loss="bce", optimizer=optimizer, lr=lr, steps=steps,
                            record_every=record_every, eval_data=(X_test, y_test), probes=probes, progress=False)
    except train.TrainingDiverged as error:
        history, diverged_at = error.history, error.step
    # A diverged run may stop between recording its test loss and its train loss: keep complete records.
    recorded = min(len(history.steps), len(history.loss), len(history.metrics.get("eval_loss", [])))
    step_list, train_loss = list(history.steps[:recorded]), list(history.loss[:recorded])
    test_loss = list(history.metrics.get("eval_loss", [])[:recorded])
    grid_x, grid_y, points = _grid_around(np.vstack([X_train, X_test]), resolution)
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        if diverged_at is None:
            train_logits, test_logits = model(X_train), model(X_test)
            final = [float(functional.binary_cross_entropy_with_logits(logits, y[:, None].astype(float)).data)
                     for logits, y in ((train_logits, y_train), (test_logits, y_test))]
            train_accuracy = train.accuracy(train_logits.data, y_train)
            test_accuracy = train.accuracy(test_logits.data, y_test)
            probability = model(points).sigmoid().data.reshape(grid_x.shape)
            dead_units = _count_dead_units(model, X_train)
            end_step = steps
        else:
            final, end_step = [np.inf, np.inf], diverged_at
            train_accuracy = test_accuracy = float("nan")
            probability, dead_units = None, 0
    if not (step_list and step_list[-1] == end_step):  # the end of the run, unless already recorded
        step_list, train_loss, test_loss = step_list + [end_step], train_loss + [final[0]], test_loss + [final[1]]
    return BoundaryRun(
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test, grid_x=grid_x, grid_y=grid_y,
        probability=probability, steps=np.array(step_list, dtype=float),
        train_loss=np.array(train_loss, dtype=float), test_loss=np.array(test_loss, dtype=float),
        train_accuracy=train_accuracy, test_accuracy=test_accuracy, diverged_at=diverged_at,
        initial_output=initial_output, dead_units=dead_units,
    )


def _check_int(value, name: str, low: int, high: int, advice: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}. {advice}".strip())
    return int(value)


def decision_boundary_run(dataset: str = "moons", depth: int = 2, width: int = 16, activation: str = "tanh",
                          optimizer: str = "sgd", lr: float = 0.5, steps: int = 300, seed: int = 0,
                          progress=None) -> BoundaryRun:
    """Train an MLP [2, width × depth, 1] on a toy set from `TOY_DATASETS` (200 points, 30% held out).

    ReLU-family activations get He init, the others Xavier (Glorot) init. Settings that cannot work
    raise ValueError with a message for the learner.
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {list(TOY_DATASETS)}.")
    depth = _check_int(depth, "depth (the number of hidden layers)", 1, 10,
                       "With 0 hidden layers the model is one Linear layer: a straight-line boundary.")
    width = _check_int(width, "width (units per hidden layer)", 1, 128)
    steps = _check_int(steps, "steps", 1, 5000)
    if activation not in nn.ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {list(nn.ACTIVATIONS)}.")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}.")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number)) or not 0 < lr <= 100:
        raise ValueError(f"The learning rate must be a number above 0 (and at most 100), got {lr!r}: "
                         "it is the size of each step downhill, so 0 never moves and a negative value climbs.")
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    model = nn.MLP([2] + [width] * depth + [1], activation=activation, init=init, rng=seed)
    X_train, y_train, X_test, y_test = toy_split(dataset, seed=seed)
    return train_and_map(model, X_train, y_train, X_test, y_test, lr=float(lr), steps=steps,
                         optimizer=optimizer, progress=progress)


def draw_boundary(ax, run: BoundaryRun, title: str) -> None:
    """P(class 1) as shading in bands of 0.1 with the 0.5 contour; training points filled, test points hollow."""
    extent = (run.grid_x[0, 0], run.grid_x[0, -1], run.grid_y[0, 0], run.grid_y[-1, 0])
    if run.probability is not None:
        # Ten flat bands of probability, like a filled contour plot but one RGB image, lightened
        # halfway to white so the points stay visible: cheap to draw and to compress as PNG.
        bands = (np.floor(np.clip(run.probability, 0.0, 0.999999) * 10) + 0.5) / 10
        ax.imshow(0.5 + 0.5 * _CIVIDIS(bands)[..., :3], origin="lower", extent=extent, aspect="auto",
                  interpolation="nearest")
        if run.probability.min() < 0.5 < run.probability.max():
            ax.contour(run.grid_x, run.grid_y, run.probability, levels=[0.5], colors="black", linewidths=1.5)
    else:
        ax.text(0.5, 0.5, f"training diverged at step {run.diverged_at}:\nthe loss overflowed, so there is "
                          "no boundary.\nLower the learning rate.",
                transform=ax.transAxes, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="tab:red"))
    for label, marker, colour in ((0, "o", "tab:blue"), (1, "s", "tab:orange")):
        train, test = run.y_train == label, run.y_test == label
        # Line2D markers rather than scatter: the same look, drawn in about half the time.
        ax.plot(run.X_train[train, 0], run.X_train[train, 1], linestyle="none", marker=marker, markersize=4,
                color=colour, markeredgecolor="black", markeredgewidth=0.4, label=f"class {label}, train")
        ax.plot(run.X_test[test, 0], run.X_test[test, 1], linestyle="none", marker=marker, markersize=4.5,
                markerfacecolor="white", markeredgecolor=colour, markeredgewidth=1.3, label=f"class {label}, test")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))  # fewer labels to draw
    ax.set_xlabel("x₁ (input feature 1)")
    ax.set_ylabel("x₂ (input feature 2)")
    ax.set_title(title, y=1.0, fontsize=10)


def _accuracy_text(run: BoundaryRun) -> str:
    if run.diverged_at is not None:
        return f"diverged at step {run.diverged_at}"
    return f"train acc {run.train_accuracy:.0%}, test acc {run.test_accuracy:.0%}"


def _loss_ticks(axis, values: np.ndarray) -> None:
    """Ticks for a log loss axis showing `values`. A loss often spans less than a decade, where decade
    labels alone would leave the axis unlabelled: then label 1, 2 and 5 × each power of ten as plain
    numbers ("0.02"). A run that blew up spans hundreds of decades: then label about six of them."""
    shown = values[np.isfinite(values) & (values > 0)]
    decades = np.log10(shown.max() / shown.min()) if shown.size else 0.0
    if decades <= 3:
        axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0), numticks=12))
        axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:.3g}"))
    else:
        low, high = int(np.floor(np.log10(shown.min()))), int(np.ceil(np.log10(shown.max())))
        stride = max(1, int(np.ceil((high - low) / 6)))
        axis.set_major_locator(FixedLocator([10.0**k for k in range(low, high + 1, stride)]))
        axis.set_major_formatter(FuncFormatter(
            lambda value, _position: "10" + str(int(round(np.log10(value)))).translate(SUPERSCRIPTS)))
    axis.set_minor_locator(NullLocator())


def _draw_losses(ax, curves: dict, steps_by_curve: dict, title: str) -> None:
    """Loss curves on a log axis; a diverged curve ends in an ✕ at its last finite value."""
    for index, (label, values) in enumerate(curves.items()):
        x, finite = steps_by_curve[label], np.isfinite(curves[label])
        colour, linestyle = ("tab:blue", "tab:orange", "tab:green", "tab:red")[index % 4], ("-", "--", "-.", ":")[index % 4]
        ax.plot(x[finite], values[finite], color=colour, linestyle=linestyle, linewidth=1.8, label=label)
        if not finite.all() and finite.any():
            last = np.flatnonzero(finite)[-1]
            ax.plot(x[last], values[last], marker="X", markersize=10, color=colour, markeredgecolor="black")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_yscale("log")
    all_values = np.concatenate([np.asarray(v, dtype=float) for v in curves.values()])
    _loss_ticks(ax.yaxis, all_values)
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy loss (log scale)")
    ax.set_title(title, y=1.0, fontsize=10)
    ax.grid(alpha=0.3)
    blew_up = not np.isfinite(all_values).all()  # its ✕ sits top right, so keep the legend clear of it
    ax.legend(fontsize=8, loc="lower right" if blew_up else "upper right")


def _points_legend(fig, ax) -> None:
    """The four point styles in one row under the panels, where they hide no data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))


def plot_boundary_and_losses(run: BoundaryRun, title: str) -> Figure:
    """Left: the decision boundary with train (filled) and test (hollow) points; right: train and test loss."""
    fig, (left, right) = new_figure((10.0, 4.4), ncols=2, margins=(0.07, 0.98, 0.2, 0.86))
    fig.suptitle(title, fontsize=11, y=0.97)
    draw_boundary(left, run, f"shading: predicted P(class 1); {_accuracy_text(run)}")
    _points_legend(fig, left)
    _draw_losses(right, {"train": run.train_loss, "test": run.test_loss},
                 {"train": run.steps, "test": run.steps}, "Loss on training and held-out test points")
    return fig


def plot_boundary_panels(runs: dict, title: str) -> Figure:
    """One decision-boundary panel per run (label -> BoundaryRun), side by side."""
    fig, axes = new_figure((3.6 * len(runs), 4.4), ncols=len(runs), margins=(0.06, 0.99, 0.2, 0.83))
    axes = np.atleast_1d(axes)
    fig.suptitle(title, fontsize=11, y=0.97)
    for ax, (label, run) in zip(axes, runs.items()):
        draw_boundary(ax, run, f"{label}\n{_accuracy_text(run)}")
    _points_legend(fig, axes[0])
    return fig


def decision_boundary_explorer_update(dataset: str = "moons", depth: int = 2, width: int = 16,
                                      activation: str = "tanh", optimizer: str = "sgd", lr: float = 0.5,
                                      steps: int = 300, progress=None) -> Figure:
    """Lesson 02: train an MLP on a 2-D toy set; its decision boundary and train/test loss curves."""
    run = decision_boundary_run(dataset, depth, width, activation, optimizer, lr, steps, progress=progress)
    return plot_boundary_and_losses(
        run, f"{dataset}: {depth} hidden layer{'s' if depth > 1 else ''} × {width} {activation} units, "
             f"{optimizer} lr = {lr:.3g}, {steps} steps")


def decision_boundary_explorer(**initial) -> Explorer:
    """Dataset, depth, width, activation, optimizer, learning rate and steps → boundary and loss curves."""
    values = initial_values("decision_boundary", initial)
    controls = {
        "dataset": dropdown("dataset", list(TOY_DATASETS), values["dataset"]),
        "depth": int_slider("hidden layers", values["depth"], 1, 6),
        "width": int_slider("units per layer", values["width"], 1, 64),
        "activation": dropdown("activation", list(nn.ACTIVATIONS), values["activation"]),
        "optimizer": dropdown("optimizer", ["sgd", "adam"], values["optimizer"]),
        "lr": widgets.FloatLogSlider(value=values["lr"], base=10, min=-3, max=1, step=0.1, description="learning rate",
                                     readout_format=".3g", continuous_update=False, style=control_style()),
        "steps": int_slider("steps", values["steps"], 50, 2000, 50),
    }
    return Explorer(decision_boundary_explorer_update, controls, title="Decision boundary and loss explorer",
                    help_text="Filled points train the network, hollow points test it. ReLU-family "
                              "activations start from He init, the others from Xavier init.",
                    reports_progress=True)


register_explorer("decision_boundary", decision_boundary_explorer_update,
                  ("dataset", "depth", "width", "activation", "optimizer", "lr", "steps"), decision_boundary_explorer,
                  static_controls=("dataset", "activation", "lr"))


# The initialisation experiment of deeplearning.ai's "Improving Deep Neural Networks" course (week 1):
# two circles (sklearn's make_circles(300, noise=0.05), inner radius 0.8), a [2, 10, 5, 1] ReLU net with
# a sigmoid output and cross-entropy, full-batch gradient descent. tests/test_literature_init.py asserts
# the same runs, so the lesson's table and the tests agree.
INIT_EXPERIMENT = {"n_points": 300, "noise": 0.05, "factor": 0.8, "data_seed": 1, "sizes": [2, 10, 5, 1],
                   "activation": "relu", "optimizer": "sgd", "lr": 0.1, "steps": 2000, "model_seed": 0}
# label -> (init scheme, gain)
INIT_SCHEMES = {"zeros": ("zeros", 1.0), "N(0, 1) × 10": ("normal", 10.0), "He": ("he_normal", 1.0)}


def initialisation_data(**settings) -> tuple:
    """(X_train, y_train, X_test, y_test) of the initialisation experiment: `n_points` training points
    drawn with seed `data_seed`, and a fresh test set a third that size drawn with seed `data_seed + 1`."""
    config = _init_config(settings)
    train_set, test_set = (
        datasets.make_circles(n, noise=config["noise"], factor=config["factor"], rng=seed)
        for n, seed in ((config["n_points"], config["data_seed"]), (config["n_points"] // 3, config["data_seed"] + 1))
    )
    return train_set + test_set


def _init_config(settings: dict) -> dict:
    unknown = sorted(set(settings) - set(INIT_EXPERIMENT))
    if unknown:
        raise TypeError(f"initialisation experiment: no setting named {unknown}; settings are {sorted(INIT_EXPERIMENT)}")
    return {**INIT_EXPERIMENT, **settings}


def initialisation_experiment(schemes: dict | None = None, **settings) -> dict:
    """Train the INIT_EXPERIMENT network once per init scheme (label -> (init, gain)); label -> BoundaryRun.

    Every scheme sees the same data and the same weight seed; `settings` override entries of
    INIT_EXPERIMENT (e.g. lr=0.3, steps=500).
    """
    config = _init_config(settings)
    data = initialisation_data(**settings)
    runs = {}
    for label, (init, gain) in (INIT_SCHEMES if schemes is None else schemes).items():
        model = nn.MLP(config["sizes"], activation=config["activation"], init=init, gain=gain,
                       rng=config["model_seed"])
        runs[label] = train_and_map(model, *data, lr=config["lr"], steps=config["steps"],
                                    optimizer=config["optimizer"])
    return runs


def plot_activation_derivatives(z: np.ndarray, curves: Mapping[str, tuple]) -> Figure:
    """Left: each activation f(z); right: its derivative f'(z) (from autodiff).

    z: (n,) inputs; curves: {name: (f(z) (n,), f'(z) (n,))}.
    """
    fig, (left, right) = new_figure((10.5, 3.6), ncols=2, margins=(0.075, 0.985, 0.15, 0.88))
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

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# ---- exercise 1 (build): the forward pass of a 2-layer MLP ----------------------------------------------

def _tanh_mlp_and_copy(seed: int) -> tuple:
    """Two identical nn.MLP([2, 8, 1], tanh) with non-zero biases (so a forgotten bias shows)."""
    models = [nn.MLP([2, 8, 1], activation="tanh", rng=seed) for _ in range(2)]
    biases = np.random.default_rng(seed + 1).normal(0.0, 0.5, size=(2, 8))
    for model in models:
        model.layers[0].bias.data[:] = biases[0]
        model.layers[1].bias.data[:] = biases[1, :1]
    return models


@exercise_checker
def check_mlp_forward(mlp_forward) -> None:
    """Exercise 02.1: `mlp_forward(X, W1, b1, W2, b2)` = tanh(X @ W1 + b1) @ W2 + b2 with Tensor operations
    (nn.MLP, nn.Linear and nn.Sequential refuse to run while it does).

    X: (N, 2) Tensor, W1: (2, 8), b1: (8,), W2: (8, 1), b2: (1,) Tensors; returns (N, 1) logits, the
    same as nn.MLP([2, 8, 1], activation="tanh") with those weights, and backward() through it gives
    the same gradients.
    """
    learner_model, reference = _tanh_mlp_and_copy(seed=7)
    X = np.random.default_rng(8).normal(size=(6, 2))
    W1, b1 = learner_model.layers[0].weight, learner_model.layers[0].bias
    W2, b2 = learner_model.layers[1].weight, learner_model.layers[1].bias
    with without_library(mlp_forward, nn.MLP, nn.Linear, nn.Sequential):
        out = call_learner(mlp_forward, Tensor(X), W1, b1, W2, b2, description="mlp_forward(X, W1, b1, W2, b2)")
    if out is None:
        fail("mlp_forward returned None; did you forget the `return`?")
    if not isinstance(out, Tensor):
        fail(f"mlp_forward must return a Tensor built with Tensor operations (@, +, .tanh()), got "
              f"{type(out).__name__}: a NumPy array carries no graph, so backward() could not train the weights.")
    got = as_array(out, (6, 1), "mlp_forward(X, W1, b1, W2, b2) for X of shape (6, 2)")
    expected = reference(X).data
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        w1, c1, w2, c2 = (p.data for p in (W1, b1, W2, b2))
        z = X @ w1 + c1
        slips = {
            "no activation between the layers (a linear model): apply .tanh() to X @ W1 + b1": z @ w2 + c2,
            "ReLU instead of tanh: this network uses tanh": np.maximum(z, 0) @ w2 + c2,
            "sigmoid instead of tanh: this network uses tanh": reference_sigmoid(z) @ w2 + c2,
            "the first bias b1 is missing": np.tanh(X @ w1) @ w2 + c2,
            "the output bias b2 is missing": np.tanh(z) @ w2,
            "tanh on the output too: the output layer is linear (logits)": np.tanh(np.tanh(z) @ w2 + c2),
        }
        for slip, value in slips.items():
            if np.allclose(got, value, rtol=1e-9, atol=1e-12):
                fail(f"{slip}. (First point: expected {expected[0, 0]:.6g}, got {got[0, 0]:.6g}.)")
        index = int(np.argmax(np.abs(got - expected).reshape(-1)))
        fail(f"the logits differ from nn.MLP's: for point {index} (x = {X[index, 0]:.3g}, {X[index, 1]:.3g}) "
              f"expected {expected[index, 0]:.6g}, got {got[index, 0]:.6g}. The recipe: h = tanh(X @ W1 + b1), "
              "logits = h @ W2 + b2.")
    if not out.requires_grad:
        fail("backward() cannot reach W1, b1, W2 or b2: your output records no graph. Build it from the Tensors "
             "you were given (not from their .data), so the graph reaches every weight.")
    out.sum().backward()
    reference(X).sum().backward()
    for name, mine, theirs in zip(("W1", "b1", "W2", "b2"), learner_model.parameters(), reference.parameters()):
        if mine.grad is None:
            fail(f"backward() left no gradient on {name}: build the output from the Tensors you were given "
                  "(not from their .data), so the graph reaches every weight.")
        if not np.allclose(mine.grad, theirs.grad, rtol=1e-9, atol=1e-12):
            fail(f"the output values are right, but the gradient reaching {name} differs from nn.MLP's "
                  f"(largest difference {np.max(np.abs(mine.grad - theirs.grad)):.3g}).")
    passed("mlp_forward gives nn.MLP([2, 8, 1], tanh)'s logits on 6 points to within 1e-9, and backward() "
        "fills W1, b1, W2, b2 with the same gradients.")


# ---- exercise 2 (predict, then measure): a ten times smaller learning rate ---------------------------------

# Section 4's network and data (the moons, MLP [2, 16, 16, 1] tanh from seed 0, full-batch gradient descent),
# trained with each learning rate until the training loss first falls below the target.
SLOW_LEARNING_RATE = {"dataset": "moons", "sizes": [2, 16, 16, 1], "activation": "tanh", "model_seed": 0,
                      "learning_rates": (0.5, 0.05), "target_loss": 0.17, "max_steps": 5000}


def steps_to_reach_loss(lr: float, target_loss: float = SLOW_LEARNING_RATE["target_loss"],
                        max_steps: int = SLOW_LEARNING_RATE["max_steps"]) -> tuple:
    """Train section 4's network with gradient descent at `lr` until its training loss is below
    `target_loss`. Returns (steps, losses): the number of steps taken when the loss first fell below the
    target (None if it did not within max_steps) and losses (steps + 1,), the training loss after
    0, 1, ... steps."""
    config = SLOW_LEARNING_RATE
    X_train, y_train, _, _ = toy_split(config["dataset"])
    targets = y_train[:, None].astype(float)
    model = nn.MLP(config["sizes"], activation=config["activation"], rng=config["model_seed"])
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(max_steps + 1):  # section 4's loop, stopped at the target
        optimizer.zero_grad()
        loss = functional.binary_cross_entropy_with_logits(model(X_train), targets)
        losses.append(float(loss.data))
        if losses[-1] < target_loss:
            return step, np.array(losses)
        if step < max_steps:
            loss.backward()
            optimizer.step()
    return None, np.array(losses)


def plot_learning_rate_race(curves: dict, target_loss: float) -> Figure:
    """Left: training loss against steps for each learning rate; right: against lr × steps.

    curves: {lr: losses (S,)}, the loss after 0, 1, ..., S − 1 steps.
    """
    fig, (left, right) = new_figure((10.0, 3.6), ncols=2, margins=(0.07, 0.98, 0.15, 0.88))
    for index, (lr, losses) in enumerate(curves.items()):
        steps = np.arange(losses.size)
        style = {"color": ("tab:blue", "tab:orange")[index % 2], "linestyle": ("-", "--")[index % 2], "linewidth": 2}
        left.plot(steps, losses, label=f"lr = {lr:g}", **style)
        right.plot(lr * steps, losses, label=f"lr = {lr:g}", **style)
    for ax, label in ((left, "training step"), (right, "lr × training step (how far the steps reach)")):
        ax.axhline(target_loss, color="0.4", linestyle=":", linewidth=1.2, label=f"target loss {target_loss:g}")
        ax.set_xlabel(label)
        ax.set_ylabel("training loss (cross-entropy)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    left.set_title("Against steps", y=1.0, fontsize=10)
    right.set_title("Against lr × steps: one path, walked in steps of two sizes", y=1.0, fontsize=10)
    return fig


def measure_small_learning_rate(predicted_steps):
    """Exercise 02.2: after the learner committed how many steps lr = 0.05 needs to bring section 4's
    training loss below 0.17, train with lr = 0.5 and lr = 0.05 and compare. Returns the Figure of both
    runs, or None while no prediction is committed."""
    prediction = committed_prediction(predicted_steps, "your prediction function")
    if prediction is None:
        return None
    if isinstance(prediction, (bool, np.bool_)):
        fail(f"your predicted number of steps should be a number, got {prediction!r}")
    predicted = as_number(prediction, "your predicted number of steps")
    if predicted <= 0:
        fail(f"a number of steps is positive: predict how many steps lr = {SLOW_LEARNING_RATE['learning_rates'][1]:g} "
             f"needs, got {predicted:.3g}")
    fast_lr, slow_lr = SLOW_LEARNING_RATE["learning_rates"]
    target = SLOW_LEARNING_RATE["target_loss"]
    (fast_steps, fast_losses), (slow_steps, slow_losses) = (steps_to_reach_loss(lr) for lr in (fast_lr, slow_lr))
    print(f"Measured: below {target:g} after {fast_steps} steps with lr = {fast_lr:g}, and after {slow_steps} "
          f"steps with lr = {slow_lr:g} ({slow_steps / fast_steps:.2g} times as many).")
    close = report_prediction(predicted, slow_steps, "number of steps", log_scale=True, tolerance=1.5)
    if close:
        print("Each step moves the weights by lr × gradient, so lr × steps sets how far training gets: plotted "
              "against it (right), the two runs nearly coincide. Small steps follow almost the same path.")
    elif predicted < slow_steps:
        print("A smaller step is not more effective per step: each one moves the weights by lr × gradient, so a "
              "ten times smaller step covers the same path in about ten times as many steps. Plotted against "
              "lr × steps (right), the two runs nearly coincide.")
    else:
        print("The path stays the same; only the size of the steps along it changes, and the number of steps "
              "grows in proportion to 1/lr, not faster. Plotted against lr × steps (right), the two runs "
              "nearly coincide.")
    return plot_learning_rate_race({fast_lr: fast_losses, slow_lr: slow_losses}, target)


# ---- exercise 3 (debug): an accuracy that compares every prediction with every label -------------------

# Logits chosen so that each typical slip gives a different accuracy from the right one (0.6).
_ACCURACY_LOGITS = np.array([2.1, -0.3, 0.2, -1.4, 0.7, 0.4, -0.2, 3.0, -2.2, 0.05])
_ACCURACY_LABELS = np.array([1, 0, 0, 0, 1, 0, 1, 1, 1, 1])
_TABLE_SLIP = ("the bug is still there: comparing (n, 1) predictions with (n,) labels broadcasts to an (n, n) "
               "table, every prediction against every label")


def _accuracy_slips(logits: np.ndarray, labels: np.ndarray) -> dict:
    """What typical slips return for (n, 1) logits and (n,) labels, keyed by the explanation."""
    column = logits.reshape(-1, 1)
    right = (column[:, 0] > 0) == labels
    return {
        _TABLE_SLIP: float(np.mean((column > 0) == labels)),
        "you compared the logits with 0.5; a logit is log(p / (1 − p)), so P(class 1) > 0.5 means logit > 0":
            float(np.mean((column[:, 0] > 0.5) == labels)),
        "you returned the number of correct points, not the fraction; divide by the number of points":
            float(np.sum(right)),
        "you returned a percentage; return a fraction between 0 and 1": float(100 * np.mean(right)),
        "you counted the mistakes (the error rate), not the correct points": float(np.mean(~right)),
    }


@exercise_checker
def check_fixed_accuracy(fixed_accuracy) -> None:
    """Exercise 02.3: `fixed_accuracy(logits, y)`: logits (n, 1), y (n,) in {0, 1} -> the fraction of points
    whose predicted class (1 where the logit is above 0) equals the label, as `train.accuracy` computes it
    (which refuses to run while the learner's function does)."""
    cases = [
        (_ACCURACY_LOGITS.reshape(-1, 1), _ACCURACY_LABELS, "the 10 logits of the checker"),
        (np.array([[-1.0], [2.0], [0.5], [-0.1]]), np.array([0, 1, 1, 0]), "4 points all predicted right"),
        (np.array([[1.0], [1.0], [-1.0]]), np.array([0, 0, 1]), "3 points all predicted wrong"),
    ]
    for logits, labels, what in cases:
        with without_library(fixed_accuracy, train.accuracy):
            answer = call_learner(fixed_accuracy, logits.copy(), labels.copy(),
                                  description=f"fixed_accuracy on {what}")
        if answer is None:
            fail("fixed_accuracy returned None; did you forget the `return`?")
        shape = np.shape(answer)
        if shape in ((len(labels),), (len(labels), 1), (len(labels), len(labels))):
            fail(f"on {what}: fixed_accuracy returned an array of shape {shape}, one value per point or pair; "
                 "the accuracy is one number, the mean over the points.")
        got = as_number(answer, f"fixed_accuracy on {what}")
        expected = train.accuracy(logits, labels)
        if abs(got - expected) > 1e-12:
            for slip, value in _accuracy_slips(logits, labels).items():
                if abs(got - value) < 1e-12 and abs(value - expected) > 1e-12:
                    fail(f"on {what}: expected {expected:.4g}, got {got:.4g}: {slip}.")
            fail(f"on {what}: expected {expected:.4g}, got {got:.4g}. A point counts as class 1 when its "
                 "logit is > 0; accuracy is the fraction of points whose predicted class equals y.")
    passed(f"fixed_accuracy agrees with mtl_edu.train.accuracy on {len(cases)} sets of (n, 1) logits and "
           "(n,) labels, unbalanced labels included.")


# ---- exercise 4 (choose): a learning rate of 10 -----------------------------------------------------------

LARGE_LEARNING_RATE = Choice(
    "moons at lr = 10 with relu",
    {
        "a": "a unit whose input is below zero for every training point outputs 0 and has slope 0 there, so the "
             "chain rule hands its weights a zero gradient at every later step: nothing can revive it. tanh's "
             "slope gets small far from zero but never reaches 0, so the same huge steps leave it able to recover.",
        "b": "that carries the saturation of sigmoid and tanh over to ReLU. Look at the right panel of section "
             "2's figure and follow ReLU's slope out to large positive inputs.",
        "c": "that takes a network of straight pieces for a straight boundary; with enough units the pieces add "
             "up to a curve. Set the learning rate back to 0.5 in the explorer and look at the relu boundary.",
        "d": "that reads the flat loss as a run still on its way, only slowed by overshooting. Raise the steps "
             "to 2000 in the explorer at lr = 10 with relu and see whether the loss curve moves at all.",
    },
    correct="a",
)


@exercise_checker
def check_large_learning_rate(answer) -> None:
    """Exercise 02.4: explain the explorer's relu run at lr = 10."""
    LARGE_LEARNING_RATE.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    fast_lr, slow_lr = SLOW_LEARNING_RATE["learning_rates"]
    fast_steps, slow_steps = (steps_to_reach_loss(lr)[0] for lr in (fast_lr, slow_lr))
    return {
        "ex2_small_learning_rate": [f"after {slow_steps} steps", f"{slow_steps:.3g}",
                                    f"{slow_steps / fast_steps:.2g} times as many"],
        "ex4_large_learning_rate": [LARGE_LEARNING_RATE.feedback[LARGE_LEARNING_RATE.correct]],
    }
