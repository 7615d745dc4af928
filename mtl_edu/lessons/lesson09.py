"""Lesson 09 (`09_why_mtl_works`): why does MTL help at all? Caruana's mechanisms as experiments
(the mechanisms explorer), and the studies behind the lesson's static figures.

Exercises: `measure_noisier_extra_tasks` (predict, then measure: extra tasks noisier than the main one),
`check_noisy_copies` (debug: noisy copies that share one noise draw; `amplification_with` shows the symptom),
`check_uses_shared_parity` (build), `check_extra_output_trend` (choose, read off the mechanism explorer).
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..data import datasets
from ..engine.autodiff import no_grad, Tensor
from ..instruments import stats
from ..instruments.plots import category_style, plot_paired_differences
from ..nets import multitask
from ..teaching.checking import (
    as_array, as_number, call_learner, Choice, committed_prediction, exercise_checker, fail, passed,
    report_prediction,
)
from ..teaching.explorers import (
    control_style, dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer,
)
from .lesson05 import train_sharing_nets

__all__ = [
    "MechanismSetup", "MECHANISMS", "MECHANISM_SIZES", "MECHANISM_SEEDS", "EXTRA_OUTPUT_FEATURE_NOISE",
    "MechanismData", "mechanism_data", "train_stl_and_mtl", "first_layer_weights", "input_weight_mass",
    "input_weight_share", "feature_alignment", "input_sensitivity_share", "mechanism_nets",
    "MechanismRuns", "mechanism_runs", "mtl_minus_stl", "EXTRA_OUTPUT_VARIANTS",
    "plot_mechanism", "mechanisms_explorer_update", "mechanisms_explorer", "stl_reference_errors",
    "effective_sample_size_from_curve", "plot_amplification", "plot_input_weight_mass",
    "plot_mechanism_diagnostic", "PARITY_EXTRA_TASKS", "ExtraTaskStudy", "parity_extra_task_study",
    "plot_extra_task_study", "ExtraOutputStudy", "extra_output_study", "plot_extra_output_study",
    "EXTRA_TASK_NOISES", "noisier_extra_tasks", "average_target_errors", "plot_noisier_extra_tasks",
    "measure_noisier_extra_tasks",
    "amplification_with", "check_noisy_copies", "check_uses_shared_parity", "EXTRA_OUTPUT_TREND",
    "check_extra_output_trend", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

class MechanismSetup(NamedTuple):
    """One of Caruana's mechanisms as an experiment: a main task, what multi-task learning adds, the nets.

    label: the name shown in the explorer. main_task, extra_tasks: what STL and MTL are trained on, in
    words. n_tasks: tasks of the MTL net, the main task first. n_hidden: width of the one tanh hidden
    layer (shared by all tasks in MTL; the STL net has the same layer for the main task alone).
    steps, lr: full-batch Adam. metric: "rmse" (against the noiseless main target) or "error rate"
    (a wrong sign of the ±1 output). diagnostic: what `mechanism_runs` measures on the first layer
    besides the error (None for nothing), with its axis label.
    """

    label: str
    main_task: str
    extra_tasks: str
    n_tasks: int
    n_hidden: int
    steps: int
    lr: float
    metric: str
    diagnostic: str | None = None
    diagnostic_label: str = ""


#: The lesson's experiments: the mechanisms of Caruana 1997 (Machine Learning 28, "Multitask learning",
#: Section 3), his parity tasks, and Caruana & de Sa 1997 (NIPS 9, "Promoting poor features to supervisors").
#: tests/test_lesson09.py asserts the effects the lesson reports, with exactly these settings; change them
#: and the lesson's text must change too.
MECHANISMS = {
    "amplification": MechanismSetup(
        "statistical data amplification", "a noisy teacher function (noise std 0.5)",
        "3 more tasks: the same function, each with its own noise", 4, 2, 300, 0.02, "rmse"),
    "attribute_selection": MechanismSetup(
        "attribute selection", "a linear function of 2 of 32 inputs (noise std 0.3)",
        "3 more tasks: other linear functions of the same 2 inputs", 4, 2, 300, 0.02, "rmse",
        "relevant_share", "share of first-layer weight mass on the 2 relevant inputs"),
    "eavesdropping": MechanismSetup(
        "eavesdropping", "hard: |F| of a hidden feature F = w·x (noise std 0.3)",
        "1 more task: easy, tanh(1.5 F)", 2, 4, 300, 0.02, "rmse",
        "alignment", "share of first-layer weight energy along w"),
    "representation_bias": MechanismSetup(
        "representation bias", "tanh(1.5 z), z seen through two equally noisy copies A and B",
        "1 more task: sin(2·A), which needs copy A", 2, 2, 300, 0.02, "rmse",
        "copy_a_share", "share of the main output's input slope on copy A"),
    "parity": MechanismSetup(
        "parity tasks (Caruana's B1 OR Parity(B2..B6))", "b0 OR parity(b1..b5), 8 bits",
        "Caruana's 3 other tasks on the same parity", 4, 16, 500, 0.05, "error rate"),
    "extra_output": MechanismSetup(
        "an input used as an extra output", "a noisy teacher function (noise std 0.5), STL gets a noisy "
        "feature as an extra input", "the same noisy feature as an extra output instead", 2, 2, 300, 0.02, "rmse"),
}
MECHANISM_SIZES = (40, 80, 120, 160, 200)
MECHANISM_SEEDS = tuple(range(10))
#: Noise std of the feature in "extra_output", relative to the feature's own std of 1.
EXTRA_OUTPUT_FEATURE_NOISE = 0.5
_MECHANISM_TEST_SIZE = 1000
_AMPLIFICATION_POOL = 4 * max(MECHANISM_SIZES)  # enough for an STL reference with 4x the examples


class MechanismData(NamedTuple):
    """One seed's data for a mechanism, `n_train` training examples.

    X_train: (n, d) inputs of the MTL net. targets: (T, n) training targets, the main task first (±1
    for parity). X_test: (m, d). test_target: (m,) the main task's noiseless target (regression) or its
    0/1 label (parity). stl_X_train (n, d'), stl_X_test (m, d'): inputs of the STL net (the same arrays,
    except in "extra_output", where STL gets the feature as an extra input). info: what the diagnostics
    need (relevant inputs, the feature direction).
    """

    X_train: np.ndarray
    targets: np.ndarray
    X_test: np.ndarray
    test_target: np.ndarray
    stl_X_train: np.ndarray
    stl_X_test: np.ndarray
    info: dict


def _check_mechanism(mechanism) -> str:
    if not isinstance(mechanism, str) or mechanism not in MECHANISMS:
        raise ValueError(f"Unknown mechanism {mechanism!r}; choose one of {', '.join(MECHANISMS)}.")
    return mechanism


def _check_size(n_train, sizes=MECHANISM_SIZES) -> int:
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or int(n_train) not in sizes:
        raise ValueError(f"The training-set size must be one of the computed sizes "
                         f"{', '.join(str(n) for n in sizes)}, got {n_train!r}.")
    return int(n_train)


def _check_count(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) not in MECHANISM_SEEDS:
        raise ValueError(f"The seed must be a whole number from {MECHANISM_SEEDS[0]} to {MECHANISM_SEEDS[-1]}, "
                         f"got {seed!r}.")
    return int(seed)


def _tanh_unit_std(gain: float) -> float:
    """Std of tanh(gain·z) for z ~ N(0, 1), by Gauss–Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    values = np.tanh(gain * nodes)
    return float(np.sqrt(weights @ values**2 / weights.sum()))


@functools.lru_cache(maxsize=128)
def _mechanism_pool(mechanism: str, seed: int, feature_noise: float) -> MechanismData:
    """All of one seed's data: the largest training pool (the first rows are the training set of any
    smaller n, so the sets are nested) and the test set."""
    pool = max(MECHANISM_SIZES)
    info = {}
    if mechanism == "amplification":
        data = datasets.make_amplification_tasks(_AMPLIFICATION_POOL, rng=seed, n_tasks=4, noise=0.5)
        test = data.teacher.sample(_MECHANISM_TEST_SIZE, rng=seed + 1000)
        X, targets, X_test, test_target = data.X, np.stack(data.targets), test.X, test.clean_targets[0]
    elif mechanism == "parity":
        # All 256 patterns in random order: train on the first n, test on the patterns never trained on.
        data = datasets.make_parity_tasks(256, rng=seed)
        X, targets = data.X, 2.0 * np.stack(data.targets) - 1.0
        X_test, test_target = data.X, data.targets[0]
        info["task_names"] = data.task_names
    elif mechanism == "extra_output":
        rng = np.random.default_rng(seed)
        data = datasets.make_related_tasks(pool + _MECHANISM_TEST_SIZE, 1.0, rng=rng, n_tasks=1, noise=0.5)
        teacher = data.teacher
        # The feature: the teacher's first hidden unit, scaled to std 1, measured with noise.
        unit = np.tanh(teacher.gain * data.X @ teacher.task_weights[0, 0]) / _tanh_unit_std(teacher.gain)
        feature = unit + feature_noise * rng.standard_normal(unit.shape)
        with_feature = np.column_stack([data.X, feature])
        X_rest, extra_target = datasets.input_as_extra_output(with_feature, -1)
        X, targets = X_rest[:pool], np.stack([data.targets[0], extra_target])[:, :pool]
        X_test, test_target = X_rest[pool:], data.clean_targets[0][pool:]
        info["stl_X"] = with_feature[:pool]
        info["stl_X_test"] = with_feature[pool:]
    else:
        size = pool + _MECHANISM_TEST_SIZE
        if mechanism == "attribute_selection":
            data = datasets.make_attribute_selection_tasks(size, rng=seed)
            info["relevant"] = data.relevant_features
        elif mechanism == "eavesdropping":
            data = datasets.make_eavesdropping_tasks(size, rng=seed)
            info["direction"] = data.feature_direction
        else:
            data = datasets.make_representation_bias_tasks(size, rng=seed)
        X, targets = data.X[:pool], np.stack(data.targets)[:, :pool]
        X_test, test_target = data.X[pool:], data.clean_targets[0][pool:]
    for array in (X, targets, X_test, test_target):
        array.flags.writeable = False  # cached: a caller must not change what the next one reads
    return MechanismData(X, targets, X_test, test_target, info.pop("stl_X", X), info.pop("stl_X_test", X_test),
                         info)


def mechanism_data(mechanism: str, n_train: int, seed: int,
                   feature_noise: float = EXTRA_OUTPUT_FEATURE_NOISE) -> MechanismData:
    """The data of one mechanism's experiment for one seed, with the first n_train examples to train on.

    For every mechanism but parity the test set is 1000 fresh inputs scored against the noiseless main
    target; for parity it is every one of the 256 bit patterns not in the training set. feature_noise
    only matters for "extra_output". Training sets are nested: n = 80 holds the examples of n = 40.
    """
    mechanism = _check_mechanism(mechanism)
    limit = _AMPLIFICATION_POOL if mechanism == "amplification" else max(MECHANISM_SIZES)
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 1 <= n_train <= limit:
        raise ValueError(f"n_train must be a whole number from 1 to {limit} for {mechanism}, got {n_train!r}")
    pool = _mechanism_pool(mechanism, int(seed), float(feature_noise))
    n = int(n_train)
    if mechanism == "parity":
        return pool._replace(X_train=pool.X_train[:n], targets=pool.targets[:, :n], X_test=pool.X_test[n:],
                             test_target=pool.test_target[n:], stl_X_train=pool.X_train[:n],
                             stl_X_test=pool.X_test[n:])
    return pool._replace(X_train=pool.X_train[:n], targets=pool.targets[:, :n], stl_X_train=pool.stl_X_train[:n])


def train_stl_and_mtl(datasets, setup: MechanismSetup, seeds) -> tuple:
    """Train, for each seed r, a single-task net on the main task and a multi-task net on all tasks.

    datasets: one MechanismData per seed (same n). The STL net is HardSharingNet(d, [h], [main task],
    branch_depth=0); the MTL net is HardSharingNet(d, [h], [T tasks], branch_depth=1): one shared tanh
    layer, a linear head per task. With the same seed both start from the same first layer and the
    same main-task head, so the only difference is the extra tasks' training signal.
    Both train with full-batch Adam on the summed mean squared errors (`train_sharing_nets`).
    Returns (stl_nets, mtl_nets), lists of HardSharingNet.
    """
    stl_nets = [multitask.HardSharingNet(d.stl_X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for d, seed in zip(datasets, seeds)]
    mtl_nets = [multitask.HardSharingNet(d.X_train.shape[1], [setup.n_hidden], [1] * d.targets.shape[0],
                                         branch_depth=1, rng=seed) for d, seed in zip(datasets, seeds)]
    train_sharing_nets(stl_nets, np.stack([d.stl_X_train for d in datasets]),
                       np.stack([d.targets[:1] for d in datasets]), setup.steps, setup.lr)
    train_sharing_nets(mtl_nets, np.stack([d.X_train for d in datasets]), np.stack([d.targets for d in datasets]),
                       setup.steps, setup.lr)
    return stl_nets, mtl_nets


def _main_output(net, X) -> np.ndarray:
    with no_grad():
        return net(X)[0].data[:, 0]


def _main_task_error(net, X_test, test_target, metric: str) -> float:
    """Test RMSE against the noiseless target, or the error rate of the sign of a ±1 output."""
    output = _main_output(net, X_test)
    if metric == "error rate":
        return float(np.mean((output > 0) != (np.asarray(test_target) == 1)))
    return float(np.sqrt(np.mean((output - test_target) ** 2)))


def first_layer_weights(net) -> np.ndarray:
    """(d, h) the weights from the inputs to the first hidden layer: the shared layer of an MTL
    HardSharingNet, the main task's own first layer of an STL one (branch_depth = 0)."""
    layer = net.trunk.layers[0] if net.trunk is not None else net.towers[0].layers[0]
    return np.array(layer.weight.data)


def input_weight_mass(W) -> np.ndarray:
    """(d,) Σ_j |W_ij|: how strongly each input feeds the hidden layer, for W (d, h) (inputs as rows)."""
    return np.abs(np.asarray(W, dtype=float)).sum(axis=1)


def input_weight_share(W, relevant) -> float:
    """The share of a first layer's weight mass Σ|W_ij| that leaves the `relevant` inputs (rows of W (d, h)).

    At initialisation every input gets about the same mass, so the share is about len(relevant)/d.
    """
    mass = input_weight_mass(W)
    return float(mass[np.asarray(relevant, dtype=int)].sum() / mass.sum())


def feature_alignment(W, direction) -> float:
    """‖Wᵀw‖² / ‖W‖²: the share of a first layer's weight energy along the unit vector w (d,), for W (d, h).

    1 when every hidden unit reads only w·x; about 1/d for random weights.
    """
    W = np.asarray(W, dtype=float)
    direction = np.asarray(direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    return float(np.sum((direction @ W) ** 2) / np.sum(W**2))


def input_sensitivity_share(net, X, inputs=(0, 1)) -> float:
    """How much the main output relies on input a rather than input b, inputs = (a, b):
    mean|∂ŷ/∂x_a| / (mean|∂ŷ/∂x_a| + mean|∂ŷ/∂x_b|) over the rows of X (n, d). 0.5: both equally."""
    x = Tensor(np.asarray(X, dtype=float), requires_grad=True)
    net(x)[0].sum().backward()  # rows are independent, so row i of x.grad is ∂ŷ_i/∂x_i
    slope = np.abs(x.grad).mean(axis=0)
    a, b = inputs
    return float(slope[a] / (slope[a] + slope[b]))


def _diagnostic(kind: str | None, net, data: MechanismData) -> float:
    if kind == "relevant_share":
        return input_weight_share(first_layer_weights(net), data.info["relevant"])
    if kind == "alignment":
        return feature_alignment(first_layer_weights(net), data.info["direction"])
    if kind == "copy_a_share":
        return input_sensitivity_share(net, data.X_test)
    return float("nan")


class _SizeRuns(NamedTuple):
    datasets: list
    stl_nets: list
    mtl_nets: list
    stl_error: np.ndarray
    mtl_error: np.ndarray
    stl_diagnostic: np.ndarray
    mtl_diagnostic: np.ndarray


@functools.lru_cache(maxsize=64)
def _size_runs(mechanism: str, n_train: int, hidden_units: int | None = None) -> _SizeRuns:
    setup = MECHANISMS[mechanism]
    if hidden_units is not None:
        setup = setup._replace(n_hidden=hidden_units)
    datasets = [mechanism_data(mechanism, n_train, seed) for seed in MECHANISM_SEEDS]
    stl_nets, mtl_nets = train_stl_and_mtl(datasets, setup, MECHANISM_SEEDS)
    errors = np.array([[_main_task_error(net, getattr(d, inputs), d.test_target, setup.metric)
                        for net, d in zip(nets, datasets)]
                       for nets, inputs in ((stl_nets, "stl_X_test"), (mtl_nets, "X_test"))])
    diagnostics = np.array([[_diagnostic(setup.diagnostic, net, d) for net, d in zip(nets, datasets)]
                            for nets in (stl_nets, mtl_nets)])
    for array in (errors, diagnostics):
        array.flags.writeable = False
    return _SizeRuns(datasets, stl_nets, mtl_nets, errors[0], errors[1], diagnostics[0], diagnostics[1])


def mechanism_nets(mechanism: str, n_train: int, seed: int) -> tuple:
    """(stl_net, mtl_net, data): the two trained networks of one seed and size, and their MechanismData
    (from the same cache as `mechanism_runs`, so they are the nets behind its numbers)."""
    runs = _size_runs(_check_mechanism(mechanism), _check_size(n_train))
    index = MECHANISM_SEEDS.index(_check_seed(seed))
    return runs.stl_nets[index], runs.mtl_nets[index], runs.datasets[index]


class MechanismRuns(NamedTuple):
    """STL against MTL for one mechanism, at every size in MECHANISM_SIZES and seed in MECHANISM_SEEDS.

    stl_error, mtl_error: (K, S) the main task's test error (RMSE or error rate, see setup.metric).
    stl_diagnostic, mtl_diagnostic: (K, S) the setup's first-layer diagnostic (NaN when it has none).
    """

    mechanism: str
    setup: MechanismSetup
    sizes: np.ndarray
    seeds: np.ndarray
    stl_error: np.ndarray
    mtl_error: np.ndarray
    stl_diagnostic: np.ndarray
    mtl_diagnostic: np.ndarray


def mechanism_runs(mechanism: str, progress=None, hidden_units: int | None = None) -> MechanismRuns:
    """Train STL and MTL for every size and seed of one mechanism (cached: each size trains once per
    session, all seeds at once). progress: optional callable(done, total), told after each size.
    hidden_units: None for the setup's width, or another width (1 to 64) for a control experiment."""
    mechanism = _check_mechanism(mechanism)
    setup = MECHANISMS[mechanism]
    if hidden_units is not None:
        hidden_units = _check_count(hidden_units, "mechanism_runs: hidden_units", 1, 64)
        setup = setup._replace(n_hidden=hidden_units)
    runs = []
    for done, n_train in enumerate(MECHANISM_SIZES, start=1):
        runs.append(_size_runs(mechanism, n_train, hidden_units))
        if progress is not None:
            progress(done, len(MECHANISM_SIZES))
    field = lambda name: np.stack([getattr(r, name) for r in runs])  # noqa: E731
    return MechanismRuns(mechanism, setup, np.array(MECHANISM_SIZES), np.array(MECHANISM_SEEDS),
                         field("stl_error"), field("mtl_error"), field("stl_diagnostic"), field("mtl_diagnostic"))


def mtl_minus_stl(runs: MechanismRuns) -> list:
    """Per training-set size, the paired per-seed difference of the main task's test error, MTL − STL,
    with its 95 % t interval (`stats.paired_interval`): below 0 means MTL is better."""
    return [stats.paired_interval(mtl, stl) for stl, mtl in zip(runs.stl_error, runs.mtl_error)]


def _error_label(setup: MechanismSetup) -> str:
    if setup.metric == "error rate":
        return "main task: test error rate (lower is better)"
    return "main task: test RMSE (lower is better)"


def _size_axis(ax, sizes) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(list(sizes)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(sizes[0] / 1.15, sizes[-1] * 1.15)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# (label, colour index, marker, line style) of the two models in every lesson-09 figure
_MODEL_STYLES = (("STL (main task alone)", 0, "o", "-"), ("MTL (shared hidden layer)", 1, "s", "--"))


def plot_mechanism(runs: MechanismRuns, n_train: int, seed: int) -> Figure:
    """Left: the main task's test error of STL and MTL against the training-set size (lines: median over
    the seeds; small markers: single seeds; large open markers: the chosen seed).
    Right: at the chosen size, each seed's STL and MTL errors joined by a line (the chosen seed in black)."""
    index = list(runs.sizes).index(n_train)
    seed_index = list(runs.seeds).index(seed)
    n_seeds = runs.seeds.size
    fig, (left, right) = new_figure((10.0, 4.3), ncols=2, margins=(0.075, 0.985, 0.12, 0.8))
    fig.suptitle(f"{_capitalised(runs.setup.label)}: main task = {runs.setup.main_task};\n"
                 f"MTL adds {runs.setup.extra_tasks}", fontsize=10, y=0.985)
    jitter = np.linspace(-0.04, 0.04, n_seeds)
    for label, colour_index, marker, linestyle in _MODEL_STYLES:
        errors = runs.stl_error if colour_index == 0 else runs.mtl_error
        colour = category_style(colour_index)["color"]
        left.plot(runs.sizes, np.median(errors, axis=1), color=colour, marker=marker, linestyle=linestyle,
                  linewidth=2, markersize=6, label=f"{label}, median")
        left.scatter((runs.sizes[:, None] * np.exp(jitter)[None]).ravel(), errors.ravel(), s=8, color=colour,
                     alpha=0.35, marker=marker, linewidths=0)
        left.plot(runs.sizes, errors[:, seed_index], color=colour, marker=marker, markerfacecolor="none",
                  markersize=9, linestyle="none", markeredgewidth=1.5)
    left.axvline(n_train, color="0.5", linestyle=":", linewidth=1.2)
    baseline, baseline_text = (0.25, "always answering 1") if runs.setup.metric == "error rate" \
        else (1.0, "always predicting 0")
    left.axhline(baseline, color="0.3", linestyle="-.", linewidth=1.0)
    left.text(runs.sizes[-1] * 1.1, baseline, baseline_text, fontsize=8, color="0.3", va="bottom", ha="right")
    # Few ticks: every tick label is a text to lay out, and this figure is redrawn on each slider move.
    left.yaxis.set_major_locator(MaxNLocator(5))
    _size_axis(left, runs.sizes)
    left.set_xlabel("training examples per task (log scale)")
    left.set_ylabel(_error_label(runs.setup))
    left.set_title(f"Median of {n_seeds} seeds; open markers: seed {seed}", y=1.0, fontsize=10)
    left.legend(fontsize=8, loc="upper right")
    left.grid(True, alpha=0.3)

    stl, mtl = runs.stl_error[index], runs.mtl_error[index]
    for r in range(n_seeds):
        chosen = r == seed_index
        better = mtl[r] < stl[r]
        right.plot([0, 1], [stl[r], mtl[r]], color="black" if chosen else "0.6", linewidth=2.4 if chosen else 1.0,
                   linestyle="-" if better else "--", marker="o", markersize=5 if chosen else 3, zorder=3 if chosen else 2)
    wins, losses = int(np.sum(mtl < stl)), int(np.sum(mtl > stl))
    right.set_xticks([0, 1], ["STL", "MTL"])
    right.set_xlim(-0.35, 1.35)
    top = float(max(stl.max(), mtl.max()))
    bottom = float(min(stl.min(), mtl.min()))
    pad = 0.08 * max(top - bottom, 0.02)
    right.set_ylim(max(0.0, bottom - pad), top + pad)
    right.yaxis.set_major_locator(MaxNLocator(5))
    right.set_ylabel(_error_label(runs.setup))
    right.set_title(f"n = {n_train}: MTL better in {wins} of {n_seeds} seeds, worse in {losses}\n"
                    f"(solid: MTL better, dashed: not; black: seed {seed})", y=1.0, fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    return fig


def mechanisms_explorer_update(mechanism: str = "amplification", n_train: int = 80, seed: int = 0,
                               progress=None) -> Figure:
    """Lesson 09: the main task's test error, single-task against multi-task, for one of Caruana's
    mechanisms, over the training-set sizes and seeds; n_train and seed pick what is highlighted.
    A mechanism trains once per session (about a second), then it is read from memory."""
    mechanism = _check_mechanism(mechanism)
    n_train = _check_size(n_train)
    seed = _check_seed(seed)
    return plot_mechanism(mechanism_runs(mechanism, progress=progress), n_train, seed)




def mechanisms_explorer(**initial) -> Explorer:
    """Mechanism × training-set size × seed → test error of STL and MTL on the main task."""
    values = initial_values("mechanisms", initial)
    controls = {
        "mechanism": dropdown("mechanism", [(setup.label, name) for name, setup in MECHANISMS.items()],
                              values["mechanism"]),
        "n_train": widgets.SelectionSlider(options=list(MECHANISM_SIZES), value=values["n_train"],
                                           description="training examples per task", continuous_update=False,
                                           style=control_style()),
        "seed": int_slider("seed", values["seed"], MECHANISM_SEEDS[0], MECHANISM_SEEDS[-1]),
    }
    return Explorer(mechanisms_explorer_update, controls, title="Mechanism explorer: why does MTL help?",
                    help_text=f"Each mechanism trains {2 * len(MECHANISM_SIZES) * len(MECHANISM_SEEDS)} small "
                              "networks the first time you choose it (about a second), then reads them from memory.",
                    reports_progress=True)


register_explorer("mechanisms", mechanisms_explorer_update, ("mechanism", "n_train", "seed"), mechanisms_explorer,
                  static_controls=("mechanism", "n_train"))


# Lesson 09's static figures and the studies behind them.

def stl_reference_errors(mechanism: str, sizes) -> np.ndarray:
    """(len(sizes), S) the main task's test error of the STL net trained on n examples, for each n in
    `sizes` (up to 800 for "amplification", 200 otherwise) and each seed of MECHANISM_SEEDS: the
    curve that says how much data a single-task net needs to reach a given error."""
    mechanism = _check_mechanism(mechanism)
    setup = MECHANISMS[mechanism]
    errors = []
    for n_train in sizes:
        datasets = [mechanism_data(mechanism, int(n_train), seed) for seed in MECHANISM_SEEDS]
        nets = [multitask.HardSharingNet(d.stl_X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for d, seed in zip(datasets, MECHANISM_SEEDS)]
        train_sharing_nets(nets, np.stack([d.stl_X_train for d in datasets]),
                           np.stack([d.targets[:1] for d in datasets]), setup.steps, setup.lr)
        errors.append([_main_task_error(net, d.stl_X_test, d.test_target, setup.metric)
                       for net, d in zip(nets, datasets)])
    return np.array(errors)


def effective_sample_size_from_curve(reference_sizes, reference_errors, error: float) -> float:
    """The training-set size at which a single-task curve reaches `error`, by linear interpolation of
    log error against log size between the two bracketing sizes. reference_errors must fall with size;
    outside the curve the answer is NaN (not extrapolated)."""
    sizes = np.log(np.asarray(reference_sizes, dtype=float))
    errors = np.log(np.asarray(reference_errors, dtype=float))
    target = np.log(float(error))
    for k in range(len(sizes) - 1):
        high, low = errors[k], errors[k + 1]
        if low <= target <= high and high > low:
            fraction = (high - target) / (high - low)
            return float(np.exp(sizes[k] + fraction * (sizes[k + 1] - sizes[k])))
    return float("nan")


def plot_amplification(runs: MechanismRuns, reference_sizes, reference_errors) -> Figure:
    """Left: test RMSE against training examples per task, STL over a wide range of sizes (the
    reference) and MTL with T copies of the task; an arrow from each MTL point to the STL size with the
    same median error. Right: that size divided by n, the measured gain in data, against the ideal T."""
    reference_sizes = np.asarray(reference_sizes)
    fig, (left, right) = new_figure((10.0, 4.2), ncols=2, margins=(0.075, 0.985, 0.13, 0.84))
    stl_median = np.median(reference_errors, axis=1)
    mtl_median = np.median(runs.mtl_error, axis=1)
    for colour_index, sizes, errors, label, marker, linestyle in (
            (0, reference_sizes, stl_median, "STL: main task alone", "o", "-"),
            (1, runs.sizes, mtl_median, f"MTL: {runs.setup.n_tasks} tasks, shared layer", "s", "--")):
        left.plot(sizes, errors, color=category_style(colour_index)["color"], marker=marker, linestyle=linestyle,
                  linewidth=2, markersize=6, label=label)
    gains = []
    for n_train, error in zip(runs.sizes, mtl_median):
        n_eff = effective_sample_size_from_curve(reference_sizes, stl_median, error)
        gains.append(n_eff / n_train)
        if np.isfinite(n_eff):
            left.annotate("", xy=(n_eff, error), xytext=(n_train, error),
                          arrowprops={"arrowstyle": "->", "color": "0.35", "linewidth": 1.0})
    left.set_xscale("log")
    # 160 would crowd 120 and 200 on a log axis
    left.xaxis.set_major_locator(FixedLocator([n for n in reference_sizes if n != 160]))
    left.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    left.xaxis.set_minor_locator(NullLocator())
    left.set_xlabel("training examples per task (log scale)")
    left.set_ylabel(f"main task: test RMSE (median of {runs.seeds.size} seeds)")
    left.set_title("Arrows: from MTL at n to the STL size\nwith the same error", y=1.0, fontsize=10)
    left.legend(fontsize=8, loc="upper right")
    left.grid(True, alpha=0.3)

    positions = np.arange(len(runs.sizes))
    right.bar(positions, gains, width=0.6, color=category_style(1)["color"], hatch="//", edgecolor="black",
              linewidth=0.6)
    for position, gain in zip(positions, gains):
        right.text(position, gain, f"×{gain:.1f}", ha="center", va="bottom", fontsize=9)
    right.axhline(runs.setup.n_tasks, color="0.3", linestyle="--", linewidth=1.2)
    right.text(positions[-1] + 0.4, runs.setup.n_tasks, f"{runs.setup.n_tasks} tasks × n: every task's noise "
               "averaged away", ha="right", va="bottom", fontsize=8, color="0.3")
    right.axhline(1.0, color="0.3", linestyle=":", linewidth=1.0)
    right.set_xticks(positions, [str(n) for n in runs.sizes])
    right.set_ylim(0.0, runs.setup.n_tasks * 1.2)
    right.set_xlabel("training examples per task n")
    right.set_ylabel("STL examples needed / n")
    right.set_title("MTL is worth this many times more data", y=1.0, fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Statistical data amplification: the same function, independent noise", fontsize=11, y=0.985)
    return fig


def plot_input_weight_mass(stl_W, mtl_W, relevant, title: str) -> Figure:
    """Two bar charts of each input's first-layer weight mass Σ_j|W_ij| (STL left, MTL right); the
    relevant inputs hatched in orange, the others grey; each panel's title gives the relevant share."""
    fig, axes = new_figure((10.0, 3.6), ncols=2, margins=(0.07, 0.985, 0.15, 0.78))
    relevant = np.asarray(relevant, dtype=int)
    for ax, W, name in zip(axes, (stl_W, mtl_W), ("STL: the main task's own first layer",
                                                  "MTL: the shared first layer")):
        mass = input_weight_mass(W)
        is_relevant = np.zeros(mass.size, dtype=bool)
        is_relevant[relevant] = True
        ax.bar(np.flatnonzero(~is_relevant), mass[~is_relevant], color="0.7", edgecolor="0.4", linewidth=0.5,
               label="irrelevant inputs")
        ax.bar(relevant, mass[relevant], color=category_style(1)["color"], hatch="//", edgecolor="black", linewidth=0.6,
               label="relevant inputs")
        ax.set_title(f"{name}\nrelevant share {input_weight_share(W, relevant):.0%}", y=1.0, fontsize=10)
        ax.set_xlabel("input index")
        ax.set_ylabel("weight mass Σ_j |W_ij|")
        ax.set_ylim(0.0, 1.1 * max(float(input_weight_mass(stl_W).max()), float(input_weight_mass(mtl_W).max())))
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11, y=0.985)
    return fig


def plot_mechanism_diagnostic(runs: MechanismRuns, reference: float | None = None, reference_label: str = "") -> Figure:
    """The mechanism's first-layer diagnostic (see MechanismSetup) against the training-set size, STL and
    MTL (lines: median over the seeds; markers: single seeds); optional horizontal reference line."""
    if runs.setup.diagnostic is None:
        raise ValueError(f"{runs.mechanism}: this mechanism has no first-layer diagnostic to plot")
    fig, ax = new_figure((7.6, 4.0), margins=(0.1, 0.97, 0.13, 0.88))
    jitter = np.linspace(-0.04, 0.04, runs.seeds.size)
    for label, colour_index, marker, linestyle in _MODEL_STYLES:
        values = runs.stl_diagnostic if colour_index == 0 else runs.mtl_diagnostic
        colour = category_style(colour_index)["color"]
        ax.plot(runs.sizes, np.median(values, axis=1), color=colour, marker=marker, linestyle=linestyle,
                linewidth=2, markersize=6, label=f"{label}, median")
        ax.scatter((runs.sizes[:, None] * np.exp(jitter)[None]).ravel(), values.ravel(), s=10, color=colour,
                   alpha=0.4, marker=marker, linewidths=0)
    if reference is not None:
        ax.axhline(reference, color="0.3", linestyle=":", linewidth=1.2, label=reference_label)
    _size_axis(ax, runs.sizes)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("training examples per task (log scale)")
    ax.set_ylabel(runs.setup.diagnostic_label)
    ax.set_title(f"{_capitalised(runs.setup.label)}: what the first layer learned ({runs.seeds.size} seeds)",
                 y=1.0, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, alpha=0.3)
    return fig


#: Extra tasks tried beside the parity main task b0 OR parity(b1..b5). "related": built on the main task's
#: parity; "tasks": how many outputs it adds; "parity_bits"/"rules": make_parity_tasks arguments (absent for
#: the controls, which are built by hand).
PARITY_EXTRA_TASKS = {
    "Caruana's 3 other tasks": {"related": True, "tasks": 3},
    "b0 AND parity(b1..b5)": {"related": True, "tasks": 1, "rules": (("and", 0, False),)},
    "3 tasks on parity(b3..b7)": {"related": False, "tasks": 3, "parity_bits": (3, 4, 5, 6, 7),
                                  "rules": (("or", 0, True), ("and", 0, False), ("and", 0, True))},
    "b0 AND parity(b3..b7)": {"related": False, "tasks": 1, "parity_bits": (3, 4, 5, 6, 7),
                              "rules": (("and", 0, False),)},
    "3 tasks with random labels": {"related": False, "tasks": 3},
    "3 copies of the main task": {"related": False, "tasks": 3},
}
_PARITY_STUDY_SEEDS = tuple(range(32))


class ExtraTaskStudy(NamedTuple):
    """Main-task test accuracy of the parity task trained alone and with each extra task.

    labels: ("alone (STL)", *PARITY_EXTRA_TASKS). accuracy: (K, S) per configuration and seed.
    related: (K,) whether the configuration's extra task is built on the main task's parity (False for STL).
    n_train: training patterns (of 256). seeds: (S,).
    """

    labels: tuple
    accuracy: np.ndarray
    related: np.ndarray
    n_train: int
    seeds: np.ndarray


def _parity_extra_targets(name: str, seed: int) -> np.ndarray:
    """(k, 256) 0/1 targets of an extra task, on the patterns make_parity_tasks(256, rng=seed) draws."""
    spec = PARITY_EXTRA_TASKS[name]
    main = datasets.make_parity_tasks(256, rng=seed)
    if name == "Caruana's 3 other tasks":
        return np.stack(main.targets[1:])
    if name == "3 tasks with random labels":
        return np.random.default_rng(seed + 10_000).integers(0, 2, size=(spec["tasks"], 256))
    if name == "3 copies of the main task":
        return np.repeat(main.targets[0][None], spec["tasks"], axis=0)
    options = {key: spec[key] for key in ("parity_bits", "rules") if key in spec}
    # make_parity_tasks draws the patterns first, so the same seed gives the same rows as the main task.
    return np.stack(datasets.make_parity_tasks(256, rng=seed, **options).targets)


@functools.lru_cache(maxsize=8)
def parity_extra_task_study(n_train: int = 120) -> ExtraTaskStudy:
    """Train the parity main task alone and with each extra task of PARITY_EXTRA_TASKS (shared layer of
    16 tanh units, the "parity" setup of MECHANISMS) on n_train of the 256 patterns, for 32 seeds; score
    on the other patterns. Cached."""
    setup = MECHANISMS["parity"]
    n = _check_count(n_train, "parity_extra_task_study: n_train", 8, 248)
    seeds = _PARITY_STUDY_SEEDS
    mains = [datasets.make_parity_tasks(256, rng=seed) for seed in seeds]
    labels = ("alone (STL)",) + tuple(PARITY_EXTRA_TASKS)
    targets = {labels[0]: [2.0 * m.targets[0][None] - 1.0 for m in mains]}
    for label in labels[1:]:
        targets[label] = [2.0 * np.vstack([m.targets[0][None], _parity_extra_targets(label, seed)]) - 1.0
                          for m, seed in zip(mains, seeds)]
    accuracy = np.zeros((len(labels), len(seeds)))
    # Configurations with the same number of tasks train as one batch: one call instead of one per label.
    for n_tasks in sorted({t[0].shape[0] for t in targets.values()}):
        group = [label for label in labels if targets[label][0].shape[0] == n_tasks]
        nets = [multitask.HardSharingNet(8, [setup.n_hidden], [1] * n_tasks, branch_depth=min(1, n_tasks - 1),
                                         rng=seed) for _ in group for seed in seeds]
        train_sharing_nets(nets, np.stack([m.X[:n] for _ in group for m in mains]),
                           np.stack([t[:, :n] for label in group for t in targets[label]]), setup.steps, setup.lr)
        for k, label in enumerate(group):
            accuracy[labels.index(label)] = [
                1.0 - _main_task_error(net, m.X[n:], m.targets[0][n:], "error rate")
                for net, m in zip(nets[k * len(seeds):(k + 1) * len(seeds)], mains)]
    related = np.array([False] + [spec["related"] for spec in PARITY_EXTRA_TASKS.values()])
    accuracy.flags.writeable = False
    return ExtraTaskStudy(labels, accuracy, related, n, np.array(seeds))


def plot_extra_task_study(study: ExtraTaskStudy) -> Figure:
    """One row per extra task: each seed's main-task test accuracy minus the same seed's accuracy alone
    (dots), the mean difference and its paired 95 % interval (`plots.plot_paired_differences`); rows
    built on the main task's parity are marked "(related)"."""
    alone = study.accuracy[0]
    differences = {f"+ {label}{' (related)' if related else ''}": accuracy - alone
                   for label, accuracy, related in zip(study.labels[1:], study.accuracy[1:], study.related[1:])}
    fig = plot_paired_differences(
        differences, xlabel=f"accuracy on {256 - study.n_train} unseen patterns: with the extra task − alone",
        title=f"Which extra task helps? {study.n_train} patterns, {study.seeds.size} seeds, paired",
        negative_means="worse than alone", positive_means="better than alone", higher_is_better=True, left=0.45)
    title = fig.axes[0].title  # the labels take the left of the figure: end the title at the right edge
    title.set_horizontalalignment("right")
    title.set_x(1.0)
    return fig


class ExtraOutputStudy(NamedTuple):
    """The main task's test RMSE with a noisy feature left out, given as an input, or used as an extra output.

    feature_noises: (K,) noise std of the feature. errors: dict variant -> (K, S). n_train: examples.
    """

    feature_noises: np.ndarray
    errors: dict
    n_train: int
    seeds: np.ndarray


EXTRA_OUTPUT_VARIANTS = ("without the feature", "feature as an input", "feature as an extra output")


def extra_output_study(feature_noises=(0.0, 0.25, 0.5, 1.0, 2.0), n_train: int = 80) -> ExtraOutputStudy:
    """Caruana & de Sa (1997, NIPS 9, "Promoting poor features to supervisors: some inputs work better as
    outputs"): for each feature noise, train the main task of "extra_output" (a) on the
    ten inputs alone, (b) with the noisy feature as an eleventh input, (c) with the feature as a second
    output on a shared layer (`datasets.input_as_extra_output`), for the 8 seeds. Cached."""
    noises = tuple(float(v) for v in np.asarray(feature_noises, dtype=float).reshape(-1))
    if not noises or any(not np.isfinite(v) or v < 0 for v in noises):
        raise ValueError(f"extra_output_study: feature_noises must be finite numbers >= 0, got {feature_noises!r}")
    n = _check_count(n_train, "extra_output_study: n_train", 2, max(MECHANISM_SIZES))
    return _extra_output_study_cached(noises, n)


@functools.lru_cache(maxsize=8)
def _extra_output_study_cached(feature_noises: tuple, n: int) -> ExtraOutputStudy:
    setup = MECHANISMS["extra_output"]
    errors = {variant: [] for variant in EXTRA_OUTPUT_VARIANTS}
    for noise in feature_noises:
        datasets = [mechanism_data("extra_output", n, seed, feature_noise=float(noise)) for seed in MECHANISM_SEEDS]
        with_input, as_output = train_stl_and_mtl(datasets, setup, MECHANISM_SEEDS)
        without = [multitask.HardSharingNet(d.X_train.shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                   for d, seed in zip(datasets, MECHANISM_SEEDS)]
        train_sharing_nets(without, np.stack([d.X_train for d in datasets]), np.stack([d.targets[:1] for d in datasets]),
                           setup.steps, setup.lr)
        for variant, nets, inputs in ((EXTRA_OUTPUT_VARIANTS[0], without, "X_test"),
                                      (EXTRA_OUTPUT_VARIANTS[1], with_input, "stl_X_test"),
                                      (EXTRA_OUTPUT_VARIANTS[2], as_output, "X_test")):
            errors[variant].append([_main_task_error(net, getattr(d, inputs), d.test_target, "rmse")
                                    for net, d in zip(nets, datasets)])
    errors = {variant: np.array(values) for variant, values in errors.items()}
    for values in errors.values():
        values.flags.writeable = False
    return ExtraOutputStudy(np.array(feature_noises, dtype=float), errors, n, np.array(MECHANISM_SEEDS))


def plot_extra_output_study(study: ExtraOutputStudy) -> Figure:
    """The main task's test RMSE against the feature's noise, for the three ways of using the feature
    (lines: median over the seeds; markers: single seeds)."""
    fig, ax = new_figure((7.6, 4.2), margins=(0.1, 0.97, 0.13, 0.87))
    noises = study.feature_noises
    offsets = np.linspace(-0.02, 0.02, study.seeds.size) * (noises.max() - noises.min() or 1.0)
    for k, (variant, errors) in enumerate(study.errors.items()):
        style = category_style(k)
        ax.plot(noises, np.median(errors, axis=1), color=style["color"], linestyle=style["linestyle"],
                marker=style["marker"], linewidth=2, markersize=6, label=f"{variant}, median")
        ax.scatter((noises[:, None] + offsets[None] + (k - 1) * 0.03).ravel(), errors.ravel(), s=9,
                   color=style["color"], marker=style["marker"], alpha=0.35, linewidths=0)
    ax.set_xticks(noises)
    ax.set_xlabel("noise std of the feature (the feature itself has std 1)")
    ax.set_ylabel("main task: test RMSE (lower is better)")
    ax.set_title(f"Some inputs work better as outputs: n = {study.n_train} examples, {study.seeds.size} seeds",
                 y=1.0, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# ---- exercise 1 (predict, then measure): extra tasks noisier than the main one ----------------------------

#: Exercise 09.1: the noise std of the three extra amplification tasks the learner predicts for (the main task
#: keeps 0.5, the noise of section 2).
EXTRA_TASK_NOISES = (1.0, 2.0)
_NOISIER_EXTRAS_SIZE = 80


def _noisier_extra_data(extra_noise: float, n_train: int) -> tuple:
    """Per seed of MECHANISM_SEEDS: (X_train (n, d), targets (4, n), test set) of "amplification" with the three
    extra tasks' noise scaled to std `extra_noise` (the same draws as _mechanism_pool: the same inputs, teacher,
    main-task noise and test set; the main task keeps 0.5)."""
    X_train, targets, tests = [], [], []
    for seed in MECHANISM_SEEDS:
        data = datasets.make_amplification_tasks(_AMPLIFICATION_POOL, rng=seed, n_tasks=4, noise=0.5)
        clean, noisy = np.stack(data.clean_targets), np.stack(data.targets)
        scaled = noisy.copy()
        scaled[1:] = clean[1:] + (extra_noise / 0.5) * (noisy[1:] - clean[1:])  # the same draws, a larger std
        X_train.append(data.X[:n_train])
        targets.append(scaled[:, :n_train])
        tests.append(data.teacher.sample(_MECHANISM_TEST_SIZE, rng=seed + 1000))
    return X_train, targets, tests


@functools.lru_cache(maxsize=8)
def _noisier_extra_errors(extra_noise: float, n_train: int, average_target: bool = False) -> np.ndarray:
    """(S,) the main task's test RMSE of the MTL net of "amplification" whose three extra tasks have noise
    std `extra_noise` (the main task keeps 0.5 and its data, so the STL net of `_size_runs` is its pair).
    average_target: instead, a single-task net (the STL net's layers) trained on the plain average of the four
    targets, which is what one output shared by all four tasks would fit (the sum of the four squared errors
    of one output is four times its squared error against their average, plus a constant)."""
    setup = MECHANISMS["amplification"]
    X_train, targets, tests = _noisier_extra_data(extra_noise, n_train)
    if average_target:
        nets = [multitask.HardSharingNet(X_train[0].shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for seed in MECHANISM_SEEDS]
        targets = [t.mean(axis=0, keepdims=True) for t in targets]
    else:
        nets = [multitask.HardSharingNet(X_train[0].shape[1], [setup.n_hidden], [1] * setup.n_tasks, branch_depth=1,
                                         rng=seed) for seed in MECHANISM_SEEDS]
    train_sharing_nets(nets, np.stack(X_train), np.stack(targets), setup.steps, setup.lr)
    errors = np.array([_main_task_error(net, test.X, test.clean_targets[0], "rmse") for net, test in zip(nets, tests)])
    errors.flags.writeable = False
    return errors


def noisier_extra_tasks(extra_noises=EXTRA_TASK_NOISES, n_train: int = _NOISIER_EXTRAS_SIZE) -> tuple:
    """Statistical data amplification with noisier extra tasks: the main task keeps noise std 0.5, the three
    extra tasks get noise std `extra_noise` (the same draws as section 2, scaled), for the seeds of
    MECHANISM_SEEDS at one training-set size.

    Returns (stl_error (S,), mtl_error (K, S)): the main task's test RMSE of the single-task net (it sees only
    the main task, so it is section 2's) and of the MTL net for each of the K extra-task noises. About 0.2 s
    per noise level; cached.
    """
    n = _check_size(n_train)
    noises = [float(v) for v in np.asarray(extra_noises, dtype=float).reshape(-1)]
    if not noises or any(not np.isfinite(v) or v < 0 for v in noises):
        raise ValueError(f"noisier_extra_tasks: extra_noises must be finite numbers >= 0, got {extra_noises!r}")
    stl = _size_runs("amplification", n).stl_error
    return stl, np.stack([_noisier_extra_errors(v, n) for v in noises])


def average_target_errors(extra_noises=EXTRA_TASK_NOISES, n_train: int = _NOISIER_EXTRAS_SIZE) -> np.ndarray:
    """The control of `noisier_extra_tasks`: (K, S) the main task's test RMSE of a single-task net trained on the
    plain average of the four targets (the main task's, noise std 0.5, and the three extra tasks', noise std
    `extra_noise`), for each extra-task noise and seed. One output trained on the sum of the four tasks' squared
    errors fits exactly this average, so the MTL net differs from it only by an output layer per task. Cached."""
    n = _check_size(n_train)
    noises = [float(v) for v in np.asarray(extra_noises, dtype=float).reshape(-1)]
    if not noises or any(not np.isfinite(v) or v < 0 for v in noises):
        raise ValueError(f"average_target_errors: extra_noises must be finite numbers >= 0, got {extra_noises!r}")
    return np.stack([_noisier_extra_errors(v, n, average_target=True) for v in noises])


def plot_noisier_extra_tasks(noises, stl_error, mtl_error, predicted=None) -> Figure:
    """The main task's test RMSE against the extra tasks' noise std: the STL net (dashed line: its mean over the
    seeds), the MTL net (markers: seeds; line: mean) and, if given, the learner's predictions (crosses; NaN
    where there is none). noises: (K,); stl_error: (S,); mtl_error: (K, S); predicted: (K,) or None."""
    noises = np.asarray(noises, dtype=float)
    fig, ax = new_figure((6.8, 3.9), margins=(0.12, 0.97, 0.14, 0.88))
    stl_style, mtl_style = category_style(0), category_style(1)
    ax.axhline(float(np.mean(stl_error)), color=stl_style["color"], linestyle="--", linewidth=2,
               label="STL (main task alone), mean")
    jitter = np.linspace(-0.04, 0.04, mtl_error.shape[1])
    ax.scatter((noises[:, None] + jitter[None]).ravel(), mtl_error.ravel(), s=12, color=mtl_style["color"],
               marker="s", alpha=0.45, linewidths=0)
    ax.plot(noises, mtl_error.mean(axis=1), color=mtl_style["color"], marker="s", linestyle="-", linewidth=2,
            markersize=6, label="MTL (4 tasks, shared layer), mean; squares: seeds")
    if predicted is not None:
        ax.plot(noises, predicted, linestyle="none", marker="x", markersize=10, markeredgewidth=2.2, color="black",
                label="your predictions")
    ax.set_xticks(noises, [f"{v:.1f}" for v in noises])
    ax.set_xlim(noises.min() - 0.3, noises.max() + 0.3)
    ax.set_ylim(0.0, 1.1)
    ax.set_xlabel("noise std of the three extra tasks (the main task keeps 0.5)")
    ax.set_ylabel("main task: test RMSE (lower is better)")
    ax.set_title(f"Extra tasks noisier than the main one: n = {_NOISIER_EXTRAS_SIZE}, {mtl_error.shape[1]} seeds",
                 y=1.0, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, alpha=0.3)
    return fig


def _real_number(value, description: str) -> float:
    """`as_number`, refusing True and False (a bool is not a prediction, though NumPy would read it as 1 or 0)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == bool):
        fail(f"{description} should be a number, got {value!r}")
    return as_number(value, description)


def _prediction_pair(prediction, description: str) -> np.ndarray:
    """A learner's prediction of K test RMSEs (numbers >= 0) as a float array, or a precise complaint about its form."""
    K = len(EXTRA_TASK_NOISES)
    if isinstance(prediction, (str, bytes)) or not hasattr(prediction, "__len__") or len(prediction) != K:
        fail(f"{description} should return {K} numbers, one per extra-task noise "
             f"({', '.join(f'{v:g}' for v in EXTRA_TASK_NOISES)}), e.g. (0.5, 0.5); got {prediction!r}")
    values = np.array([_real_number(value, f"{description}[{k}]") for k, value in enumerate(prediction)])
    if np.any(values < 0):
        fail(f"{description} returned {', '.join(f'{v:g}' for v in values)}; a test RMSE is never negative.")
    return values


#: What a gap between prediction and measurement says, per extra-task noise and direction ("low": the prediction
#: was too low, "high": too high). Each rests on the measurement printed above it; tests/test_lesson09.py checks
#: the claims (noise 1.0: no difference from STL shown; 2.0: worse than STL, better than the average-target net).
_NOISIER_GAP_EXPLANATIONS = {
    (1.0, "low"): "At noise 1.0 the extra tasks cost more than you expected. Twice as noisy as the main task, they "
                  "still leave the average of the four targets a little less noisy than the main target alone "
                  "(variance (0.25 + 3·1)/16 ≈ 0.20 against 0.25), so there is little left to gain over STL.",
    (1.0, "high"): "At noise 1.0 the extra tasks cost less than you expected: the average of the four targets is "
                   "still a little less noisy than the main target alone (variance (0.25 + 3·1)/16 ≈ 0.20 against "
                   "0.25), and sharing the layer with them is not shown to make the main task worse than STL.",
    (2.0, "low"): "At noise 2.0 the extra tasks are not free: weighted equally, their errors enter the shared layer's "
                  "gradient as fully as the main task's, and the average of the four targets has noise variance "
                  "(0.25 + 3·4)/16 ≈ 0.77, three times the main target's own 0.25; the MTL net ends worse than STL.",
    (2.0, "high"): "At noise 2.0 the MTL net is hurt less than the averaging argument suggests, for two reasons "
                   "measured above. The control, a single-task net trained on the plain average of the four targets "
                   "(what one output shared by all four tasks would fit), already beats section 2's curve at the size "
                   "the argument converts to (about 26 examples): 80 inputs with noisier targets are worth more than 26 "
                   "with the main task's noise. And the MTL net beats the control: with an output layer per task, its "
                   "main output is fitted to the main task's own targets, and only the shared layer feels the noisy "
                   "ones.",
}


def measure_noisier_extra_tasks(predict_errors):
    """Exercise 09.1: after the learner committed the MTL net's mean test RMSE for extra-task noise 1.0 and
    2.0 (n = 80), train those nets and the average-target control, print the measurement and, for each noise
    level, the gap and what it says; return a figure."""
    prediction = committed_prediction(predict_errors, "your prediction function")
    if prediction is None:
        return None
    predicted = _prediction_pair(prediction, "your prediction function")
    stl, mtl = noisier_extra_tasks()
    control = average_target_errors()
    section_two = _size_runs("amplification", _NOISIER_EXTRAS_SIZE).mtl_error
    print(f"Measured at n = {_NOISIER_EXTRAS_SIZE}, mean over {stl.size} seeds of the main task's test RMSE: STL alone "
          f"{stl.mean():.3f}; MTL with extra-task noise 0.5 (section 2): {section_two.mean():.3f}, "
          + ", ".join(f"{v:.1f}: {errors.mean():.3f}" for v, errors in zip(EXTRA_TASK_NOISES, mtl)) + ".")
    print("Control: a single-task net trained on the plain average of the four targets, extra-task noise "
          + ", ".join(f"{v:.1f}: {errors.mean():.3f}" for v, errors in zip(EXTRA_TASK_NOISES, control)) + ".")
    for v, errors in zip(EXTRA_TASK_NOISES, mtl):
        difference = stats.paired_interval(errors, stl)
        print(f"extra-task noise {v:.1f}: MTL − STL {difference.mean:+.3f} "
              f"[{difference.low:+.3f}, {difference.high:+.3f}] "
              f"{difference.verdict(lower_is_better=True, names=('MTL', 'STL'))}")
    for v, guess, errors in zip(EXTRA_TASK_NOISES, predicted, mtl):
        measured = float(errors.mean())
        if not report_prediction(guess, measured, f"MTL error at extra-task noise {v:.1f}", tolerance=0.1):
            print("    " + _NOISIER_GAP_EXPLANATIONS[v, "low" if measured > guess else "high"])
    return plot_noisier_extra_tasks((0.5,) + EXTRA_TASK_NOISES, stl, np.vstack([section_two[None], mtl]),
                                    np.r_[np.nan, predicted])


# ---- exercise 2 (debug): extra tasks that share one noise draw ----------------------------------------------

_COPIES_SIZE = 80
_COPIES_NOISE_SEED = 2000  # the learner's noise seed is seed + 2000, away from the seeds that drew the data


def _copies(make_copies, clean: np.ndarray, n_tasks: int, noise: float, seed: int, description: str) -> np.ndarray:
    """Call a learner's `make_copies(clean, n_tasks, noise, seed)` and check that it returns (n_tasks, n) numbers."""
    given = clean.copy()
    result = call_learner(make_copies, given, n_tasks, noise, seed, description=description)
    copies = as_array(result, (n_tasks, clean.size), description)
    if not np.array_equal(given, clean):
        fail(f"{description} changed `clean` in place; build the noisy copies as new arrays.")
    return copies


def amplification_with(make_copies, n_train: int = _COPIES_SIZE) -> None:
    """Section 2's experiment with another target generator: for each seed of MECHANISM_SEEDS, the four tasks'
    training targets are `make_copies(clean, 4, 0.5, seed + 2000)`, (4, n) noisy copies of the teacher's clean
    values at the n training inputs; STL trains on copy 0, MTL on all four. Prints the paired MTL − STL test
    RMSE with its 95 % interval (about 0.4 s)."""
    n = _check_size(n_train)
    setup = MECHANISMS["amplification"]
    X_train, targets, tests = [], [], []
    for seed in MECHANISM_SEEDS:
        data = datasets.make_amplification_tasks(_AMPLIFICATION_POOL, rng=seed, n_tasks=4, noise=0.5)
        clean = np.array(data.clean_targets[0][:n])
        name = getattr(make_copies, "__name__", "make_copies")
        targets.append(_copies(make_copies, clean, setup.n_tasks, 0.5, seed + _COPIES_NOISE_SEED,
                               f"{name}(clean, 4, 0.5, {seed + _COPIES_NOISE_SEED})"))
        X_train.append(data.X[:n])
        tests.append(data.teacher.sample(_MECHANISM_TEST_SIZE, rng=seed + 1000))
    stl_nets = [multitask.HardSharingNet(X_train[0].shape[1], [setup.n_hidden], [1], branch_depth=0, rng=seed)
                for seed in MECHANISM_SEEDS]
    mtl_nets = [multitask.HardSharingNet(X_train[0].shape[1], [setup.n_hidden], [1] * setup.n_tasks, branch_depth=1,
                                         rng=seed) for seed in MECHANISM_SEEDS]
    train_sharing_nets(stl_nets, np.stack(X_train), np.stack([t[:1] for t in targets]), setup.steps, setup.lr)
    train_sharing_nets(mtl_nets, np.stack(X_train), np.stack(targets), setup.steps, setup.lr)
    stl, mtl = (np.array([_main_task_error(net, test.X, test.clean_targets[0], "rmse")
                          for net, test in zip(nets, tests)]) for nets in (stl_nets, mtl_nets))
    difference = stats.paired_interval(mtl, stl)
    print(f"n = {n}, {stl.size} seeds: mean test RMSE STL {stl.mean():.3f}, MTL {mtl.mean():.3f}; MTL − STL "
          f"{difference.mean:+.3f} [{difference.low:+.3f}, {difference.high:+.3f}] "
          f"{difference.verdict(lower_is_better=True, names=('MTL', 'STL'))} (MTL better in {np.sum(mtl < stl)} of "
          f"{stl.size} seeds)")


@exercise_checker
def check_noisy_copies(fixed_noisy_copies) -> None:
    """Exercise 09.2 (debug): `fixed_noisy_copies(clean, n_tasks, noise, seed)` returns (n_tasks, n) targets
    clean + noise·εₜ with an independent standard normal εₜ per task, reproducibly from `seed`."""
    clean = np.tanh(np.linspace(-3.0, 3.0, 4000))
    call = "fixed_noisy_copies(clean, 4, 0.5, seed=3) for a clean target of 4000 values"
    copies = _copies(fixed_noisy_copies, clean, 4, 0.5, 3, call)
    noise = copies - clean
    stds = noise.std(axis=1)
    if np.any(np.all(np.abs(noise) < 1e-12, axis=1)):
        fail(f"{call}: a copy equals `clean` (no noise at all); add noise of std `noise` to each.")
    if np.any(stds < 1e-12):
        fail(f"{call}: a copy is `clean` shifted by one constant: its task got a single noise value for all "
             f"{clean.size} examples. Each example of each task needs a draw of its own.")
    off_diagonal = np.corrcoef(noise)[~np.eye(4, dtype=bool)]
    if np.allclose(noise, noise[:1], atol=1e-12):
        fail(f"{call}: the four tasks still get the same noise, draw for draw (the bug is still there): copy t minus "
             "`clean` is the same array for every t. Print what your function returns for np.zeros(5) and 3 tasks, "
             "then follow where each task's numbers come from.")
    if np.any(np.abs(off_diagonal) > 0.9):
        fail(f"{call}: the copies differ, but their noises are still perfectly correlated (a correlation of "
             f"{off_diagonal[np.argmax(np.abs(off_diagonal))]:.2f} between two tasks): the tasks share one draw, only "
             "scaled or shifted (the bug moved). Each task needs its own draws.")
    if np.any(np.abs(stds - 0.5) > 0.05):
        fail(f"{call}: the noise of the copies has std {', '.join(f'{v:.3g}' for v in stds)}; it should be 0.5 for "
             "each: noise · (standard normal draws).")
    if np.any(np.abs(off_diagonal) > 0.1):
        fail(f"{call}: the noise of two tasks correlates at {off_diagonal[np.argmax(np.abs(off_diagonal))]:.2f}; "
             "independent draws over 4000 values correlate at less than 0.1.")
    again = _copies(fixed_noisy_copies, clean, 4, 0.5, 3, call)
    if not np.array_equal(again, copies):
        fail(f"{call} gave different targets on a second call with the same seed: draw from a generator made from "
             "`seed` (np.random.default_rng(seed)), not from NumPy's global state, so the experiment can be repeated.")
    other = _copies(fixed_noisy_copies, clean, 4, 0.5, 4, call.replace("seed=3", "seed=4"))
    if np.array_equal(other, copies):
        fail(f"{call}: seed 3 and seed 4 gave the same targets; the seed should choose the noise.")
    single = _copies(fixed_noisy_copies, clean[:10], 1, 0.5, 3, "fixed_noisy_copies(clean[:10], 1, 0.5, 3)")
    if single.shape != (1, 10):
        fail(f"fixed_noisy_copies(clean[:10], 1, 0.5, 3) should return shape (1, 10), got {single.shape}")
    passed("each task now gets its own noise of std 0.5 (the noises of any two tasks correlate at less than 0.1 "
           "over 4000 values), the same for the same seed. Run amplification_with(fixed_noisy_copies) to see what "
           "that does to the experiment.")


# ---- exercise 3 (build): does a task use the shared parity? -------------------------------------------------

def _parity_cases() -> list:
    """(X (256, 8), [(name, labels (256,), expected answer), ...]) on the 256 patterns of
    make_parity_tasks(256, rng=0), for the main parity bits (1, 2, 3, 4, 5)."""
    main = datasets.make_parity_tasks(256, rng=0)
    X = main.X
    bits = X.astype(int)

    def tasks(**options):
        return datasets.make_parity_tasks(256, rng=0, **options).targets

    cases = [(name, labels, True) for name, labels in zip(main.task_names, main.targets)]
    cases += [
        ("parity(b1..b5) itself", main.shared_feature, True),
        ("b6 XOR parity(b1..b5)", tasks(rules=(("xor", 6, False),))[0], True),
        ("b0 OR parity(b3..b7)", tasks(parity_bits=(3, 4, 5, 6, 7), rules=(("or", 0, False),))[0], False),
        ("b0 AND parity(b1..b4)", tasks(parity_bits=(1, 2, 3, 4), rules=(("and", 0, False),))[0], False),
        ("b6 (a plain copy of bit 6)", bits[:, 6], False),
        ("b0 AND b7", bits[:, 0] & bits[:, 7], False),
        ("random labels", np.random.default_rng(1).integers(0, 2, 256), False),
    ]
    return X, cases


def _counterexample(bits: np.ndarray, labels: np.ndarray, parity_bits: list) -> str:
    """Two patterns with the same parity and the same other bits but different labels, as text."""
    parity = bits[:, parity_bits].sum(axis=1) % 2
    others = [b for b in range(bits.shape[1]) if b not in parity_bits]
    seen = {}
    for index, key in enumerate(zip(parity, map(tuple, bits[:, others]))):
        if key in seen and labels[seen[key]] != labels[index]:
            first = "".join(str(b) for b in bits[seen[key]])
            second = "".join(str(b) for b in bits[index])
            return (f"patterns b0..b7 = {first} and {second} have the same parity and the same other bits, "
                    f"but labels {labels[seen[key]]} and {labels[index]}")
        seen.setdefault(key, index)
    return ""


@exercise_checker
def check_uses_shared_parity(uses_shared_parity) -> None:
    """Exercise 09.3 (build): `uses_shared_parity(X, labels, parity_bits)` is True exactly when the labels are a
    function of the shared feature parity(X[:, parity_bits]) and the bits outside parity_bits, and do
    depend on that parity."""
    X, cases = _parity_cases()
    bits = X.astype(int)
    parity_bits = [1, 2, 3, 4, 5]
    for name, labels, expected in cases:
        call = f"uses_shared_parity(X, labels of '{name}', {parity_bits})"
        answer = call_learner(uses_shared_parity, X.copy(), np.array(labels), list(parity_bits), description=call)
        if not isinstance(answer, (bool, np.bool_)):
            fail(f"{call} should return True or False, got {type(answer).__name__} {answer!r}")
        if bool(answer) == expected:
            continue
        where = f"{call}: expected {expected}, got {bool(answer)}"
        if expected:
            fail(f"{where}. This task is computed from parity(b1..b5) and bits outside b1..b5 alone, and its "
                  "label changes with the parity, so a shared layer that computes the parity serves it.")
        counterexample = _counterexample(bits, np.asarray(labels), parity_bits)
        if counterexample:
            fail(f"{where}. Its labels are not a function of parity(b1..b5) and the other bits: {counterexample}.")
        fail(f"{where}. Its labels never change with parity(b1..b5) when the other bits are fixed: it does not "
              "use the shared feature at all.")
    n_true = sum(expected for _, _, expected in cases)
    passed(f"uses_shared_parity is right on all {len(cases)} tasks ({n_true} built on parity(b1..b5), "
        f"{len(cases) - n_true} not, including parity(b1..b4), which looks close but is a different feature).")


# ---- exercise 4 (choose): the extra output, read off the explorer -------------------------------------------

EXTRA_OUTPUT_TREND = Choice(
    "the extra output in the mechanism explorer, from n = 40 to n = 200",
    {
        "a": "the feature's noise sits in the single-task net's inputs at test time as well, so it costs at every "
             "size; as a second output its noise only enters the training targets, where the shared layer can "
             "average it. More examples teach both nets the teacher better, which leaves less to gain, but within "
             "these sizes not nothing.",
        "b": "that is how eavesdropping behaved, where the main task found the hidden feature by itself once it had "
             "enough data. Whether this set-up also runs out of help by n = 200 is what the right panel shows there: "
             "count the solid and the dashed lines, and reread what section 7 says a noisy input costs.",
        "c": "that is representation bias, where the helper needed a different copy of the input than the main task "
             "would choose. Here the extra output is a noisy measurement of the teacher's own hidden unit, which the "
             "main task's target is built from; at n = 160 and 200, check on the right panel whether the lines "
             "mostly rise.",
        "d": "the extra output is learned from the same n examples as the main task, so it needs no more data "
             "than the main task does. Compare the gap between the two medians on the left panel at n = 40 and at "
             "n = 200.",
    },
    correct="a",
)


@exercise_checker
def check_extra_output_trend(answer) -> None:
    """Exercise 09.4 (choose): how MTL's edge over STL changes with n for "an input used as an extra output"."""
    EXTRA_OUTPUT_TREND.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it): the
    measured errors as `measure_noisier_extra_tasks` prints them, the right option's feedback."""
    _, mtl = noisier_extra_tasks()
    return {
        "ex1_noisier_extra_tasks": [f"{errors.mean():.3f}" for errors in mtl],
        "ex4_extra_output_trend": [EXTRA_OUTPUT_TREND.feedback[EXTRA_OUTPUT_TREND.correct]],
    }
