"""Lesson 08 (`08_gradients_meet_tasks`): does multi-task learning cure vanishing gradients?
Heads on top of a deep trunk, deep supervision (the deep-supervision explorer), per-task gradients.

Exercises: `measure_lift` (1, predict, then measure: the lift of layer 1's gradient by a head after layer 6 of
a 16-layer trunk, a network the lesson draws nowhere else),
`check_gradient_at_layer_one` (2, build: the gradient a head sends to layer 1, by hand),
`check_attach_depth_under_sgd` (3, choose: what the explorer shows as the attach depth moves under SGD),
`check_joint_loss` (4, debug: a hand-written joint loss, given the trunk and the heads, whose head lifts nothing;
`try_joint_loss` shows the symptom); `answer_texts` lists what would give 1 and 3 away.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..data import datasets
from ..engine import functional as F
from ..engine.autodiff import no_grad, Tensor
from ..instruments import probes
from ..instruments.plots import category_style, fixed_log_ticks, plain_log_ticks, plot_layer_gradient_norms
from ..nets import multitask, optim, train
from ..teaching.checking import (
    Choice, as_array, as_number, call_learner, committed_prediction, exercise_checker, fail, passed,
    reference_sigmoid, report_prediction,
)
from ..teaching.explorers import (
    control_style, dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "SeedStudy", "deep_supervision_seed_study", "AUX_LABELS", "deep_supervision_aux_labels",
    "DEEP_SUPERVISION_SETTINGS", "DEEP_SUPERVISION_WEIGHTS", "DEEP_SUPERVISION_OPTIMIZERS",
    "fitted_decay_per_layer", "heads_on_top_data", "heads_on_top_gradients", "plot_heads_on_top",
    "deep_supervision_data", "deep_supervision_net", "deep_supervision_loss", "HeadGradients",
    "head_gradient_norms", "plot_attach_depth_sweep", "DeepSupervisionRun", "deep_supervision_run",
    "plot_deep_supervision", "plot_task_gradient_imbalance",
    "deep_supervision_explorer_update", "deep_supervision_explorer", "LIFT_EXERCISE", "measured_lift",
    "measure_lift", "check_gradient_at_layer_one", "ATTACH_DEPTH_UNDER_SGD", "check_attach_depth_under_sgd",
    "try_joint_loss", "check_joint_loss", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

# Everything the lesson's deep-supervision runs share. A 12-layer sigmoid trunk is deep enough that the
# gradient at layer 1 is about 1e-7 of the top layer's, and small enough to train live in well under a
# second per run.
DEEP_SUPERVISION_SETTINGS = {
    "depth": 12,  # hidden sigmoid layers in the trunk
    "width": 32,  # units per hidden layer
    "n_points": 128,  # two-moons training set, full batch
    "noise": 0.1,
    "data_seed": 0,
    "net_seed": 1,  # the explorer's network; the seed study varies it
    "steps": 200,
    "record_every": 5,
    "lr": {"sgd": 0.3, "adam": 0.01},
    "momentum": 0.9,  # for "sgd"
}
DEEP_SUPERVISION_WEIGHTS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DEEP_SUPERVISION_OPTIMIZERS = {"sgd": "SGD + momentum", "adam": "Adam"}
_CHANCE_LOSS = float(np.log(2.0))  # cross-entropy of a 50 : 50 guess on two balanced classes


def fitted_decay_per_layer(grad_norms) -> float:
    """The factor by which a gradient norm changes per layer on its way down, from a least-squares fit.

    grad_norms: (L,) positive norms, layer 1 (next to the input) first. Fits log10 ‖g_l‖ = a + s·l over
    all L layers and returns 10^(−s): below 1 the gradient shrinks toward the input. Unlike the
    end-to-end factor of lesson 03 (`gradient_decay_per_layer`), one unusual layer at either end moves
    it little. NaN when a norm is 0 or not finite, or L < 2.
    """
    norms = np.asarray(grad_norms, dtype=float)
    if norms.ndim != 1 or norms.size < 2 or not np.all(np.isfinite(norms)) or np.any(norms <= 0):
        return float("nan")
    slope = np.polyfit(np.arange(1, norms.size + 1), np.log10(norms), 1)[0]
    return float(10.0 ** (-slope))


# ---- section 1: extra heads on top of the trunk ------------------------------------------------------

_HEADS_ON_TOP = {"n_points": 128, "n_features": 10, "rho": 0.8, "max_heads": 3, "data_seed": 0}


@functools.lru_cache(maxsize=2)
def heads_on_top_data():
    """Three related regression tasks on the same inputs (`datasets.make_related_tasks`, ρ = 0.8):
    X (128, 10) and a list of three (128,) targets, read-only."""
    settings = _HEADS_ON_TOP
    data = datasets.make_related_tasks(settings["n_points"], settings["rho"], rng=settings["data_seed"],
                                       n_tasks=settings["max_heads"], n_features=settings["n_features"])
    X = np.array(data.X)
    targets = [np.array(t) for t in data.targets]
    for array in [X] + targets:
        array.setflags(write=False)
    return X, targets


def _sum_of_regression_losses(outputs, targets):
    """Σ_t MSE_t with weight 1 each: the joint loss of a hard-sharing net."""
    total = multitask.task_loss("regression", outputs[0], targets[0])
    for output, target in zip(outputs[1:], targets[1:]):
        total = total + multitask.task_loss("regression", output, target)
    return total


def heads_on_top_gradients(n_heads=(1, 3), depth: int | None = None, seed: int = 0) -> dict:
    """{T: (depth,) ‖∂L/∂z_l‖ of the shared trunk} for a trunk with T task heads on top.

    Each net is a `multitask.HardSharingNet` whose `depth` sigmoid layers (width 32) are all shared
    (branch_depth = depth) and whose T linear heads predict the first T tasks of `heads_on_top_data`;
    L = Σ_t MSE_t. The trunk is drawn first from the same seed, so every T gets the same trunk weights
    and the same first head: only the extra heads differ. One forward and backward pass each.
    """
    depth = DEEP_SUPERVISION_SETTINGS["depth"] if depth is None else depth
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"heads_on_top_gradients: depth must be a whole number >= 2, got {depth!r}")
    counts = [int(n) for n in n_heads]
    top = _HEADS_ON_TOP["max_heads"]
    if not counts or any(not 1 <= n <= top for n in counts):
        raise ValueError(f"heads_on_top_gradients: each number of heads must be from 1 to {top}, got {list(n_heads)}")
    X, targets = heads_on_top_data()
    norms = {}
    for count in counts:
        net = multitask.HardSharingNet(X.shape[1], [DEEP_SUPERVISION_SETTINGS["width"]] * depth, [1] * count,
                                       branch_depth=depth, activation="sigmoid", rng=seed)
        norms[count] = probes.gradient_norms_by_layer(net, X, targets[:count], _sum_of_regression_losses)
    return norms


def _heads_label(count: int) -> str:
    return "1 head on top" if count == 1 else f"{count} heads on top"


def plot_heads_on_top(norms_by_heads: Mapping,
                      title: str = "Extra task heads on top of a 12-layer sigmoid trunk") -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer for each number of heads (log), with the fitted factor per layer.
    Right: each profile divided by the 1-head profile, on a log axis spanning as many decades as the
    left panel, so a ratio that stays flat reads as flat.

    norms_by_heads: {T: (L,) norms}; must contain T = 1.
    """
    if not isinstance(norms_by_heads, Mapping) or 1 not in norms_by_heads or len(norms_by_heads) < 2:
        raise ValueError("plot_heads_on_top: norms_by_heads must map 1 and at least one other head count to norms")
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    labelled = {f"{_heads_label(n)}: ×{fitted_decay_per_layer(g):.3f} per layer": g
                for n, g in norms_by_heads.items()}
    plot_layer_gradient_norms(labelled, ax=left, title="Gradient reaching each trunk layer (fit: factor per layer)")
    base = np.asarray(norms_by_heads[1], dtype=float)
    layers = np.arange(1, base.size + 1)
    low, high = left.get_ylim()
    half_span = np.sqrt(high / low)
    ratios = []
    for index, (count, norms) in enumerate(norms_by_heads.items()):
        if count == 1:
            continue
        ratio = np.asarray(norms, dtype=float) / base
        ratios.append(ratio)
        right.plot(layers, ratio, markersize=4, label=f"{_heads_label(count)} ÷ 1 head: {ratio.min():.2g} to "
                   f"{ratio.max():.2g}", **category_style(index))
    right.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2, label="1 (no change)")
    right.set_yscale("log")
    centre = np.sqrt(np.nanmax(ratios) * np.nanmin(ratios))
    right.set_ylim(centre / half_span, centre * half_span)
    plain_log_ticks(right.yaxis, step=max(1, int(np.ceil(np.log10(high / low) / 6))))
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("layer l (1 = next to the input)")
    right.set_ylabel("ratio of gradient norms (log scale)")
    right.set_title("Ratio to 1 head (as many decades as the left panel)", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11)
    return fig


# ---- sections 2-4: deep supervision on two moons ---------------------------------------------------------

@functools.lru_cache(maxsize=2)
def deep_supervision_data(seed: int = 0) -> tuple:
    """The deep-supervision training set: X (128, 2), y (128,) two moons (noise 0.1), read-only."""
    X, y = datasets.make_moons(DEEP_SUPERVISION_SETTINGS["n_points"], noise=DEEP_SUPERVISION_SETTINGS["noise"],
                               rng=np.random.default_rng(seed))
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


# What the auxiliary head is asked to predict: the main task's own label (the lesson's default), a different
# but learnable label, or the moons labels shuffled over the points (a control: the same gradient path and
# size, no structure shared with the main task).
AUX_LABELS = {
    "same": "the moons label (as the main head)",
    "other": "left or right half (x₁ above its median)",
    "shuffled": "the moons labels, shuffled over the points",
}


@functools.lru_cache(maxsize=4)
def deep_supervision_aux_labels(kind: str = "same") -> np.ndarray:
    """The auxiliary head's labels (128,) for `kind` in AUX_LABELS, on `deep_supervision_data()`, read-only.

    "other" agrees with the moons label on about 72 % of the points; "shuffled" keeps the 64 : 64 class
    balance and agrees on about half.
    """
    if kind not in AUX_LABELS:
        raise ValueError(f"Unknown auxiliary label {kind!r}; choose one of {list(AUX_LABELS)}.")
    X, y = deep_supervision_data(DEEP_SUPERVISION_SETTINGS["data_seed"])
    if kind == "same":
        return y
    if kind == "other":
        labels = (X[:, 0] > np.median(X[:, 0])).astype(y.dtype)
    else:
        labels = np.random.default_rng(12345).permutation(y)
    labels.setflags(write=False)
    return labels


def _check_attach_depth(attach_depth) -> int:
    depth = DEEP_SUPERVISION_SETTINGS["depth"]
    if isinstance(attach_depth, bool) or not isinstance(attach_depth, (int, np.integer)):
        raise ValueError(f"The attach depth must be a whole number of layers (0 = no auxiliary head), "
                         f"got {attach_depth!r}.")
    if not 0 <= attach_depth <= depth:
        raise ValueError(f"The auxiliary head can read the trunk after layer 1 to {depth} (0 = no auxiliary "
                         f"head), got {attach_depth}.")
    return int(attach_depth)


def _check_aux_weight(aux_weight) -> float:
    if isinstance(aux_weight, bool) or not isinstance(aux_weight, (int, float, np.number)) \
            or not np.isfinite(aux_weight) or aux_weight <= 0:
        raise ValueError(f"The auxiliary weight must be a positive number, got {aux_weight!r}; to switch the "
                         "auxiliary head off, set the attach depth to 0.")
    return float(aux_weight)


def _check_optimizer(optimizer) -> str:
    if optimizer not in DEEP_SUPERVISION_OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of {list(DEEP_SUPERVISION_OPTIMIZERS)}.")
    return optimizer


def deep_supervision_net(attach_depth: int, seed: int | None = None):
    """A `multitask.DeepSupervisionNet` [2 → 12 sigmoid layers of 32 → 2 logits] with Xavier init, and
    an auxiliary head (2 logits, the same two-moons label) reading the trunk after layer `attach_depth`
    (0: no auxiliary head). The trunk and the main head come first from the seed, so every attach
    depth gets the same trunk and main head."""
    attach_depth = _check_attach_depth(attach_depth)
    settings = DEEP_SUPERVISION_SETTINGS
    seed = settings["net_seed"] if seed is None else seed
    attach = () if attach_depth == 0 else (attach_depth,)
    return multitask.DeepSupervisionNet(2, settings["depth"], settings["width"], n_outputs=2,
                                        attach_depths=attach, activation="sigmoid", init="xavier_normal",
                                        rng=np.random.default_rng(seed))


def deep_supervision_loss(main_weight: float = 1.0, aux_weight: float = 1.0):
    """The loss function (outputs, y) -> main_weight·CE(main, y) + aux_weight·Σ CE(aux, y), for
    `probes.gradient_norms_by_layer`, which hands a DeepSupervisionNet's list of head outputs to it.
    A weight of 0 leaves that part out (its gradient is then exactly 0)."""
    def loss(outputs, y):
        total = None
        for weight, output in zip([main_weight] + [aux_weight] * (len(outputs) - 1), outputs):
            if weight == 0:
                continue
            term = F.cross_entropy(output, y) * float(weight)
            total = term if total is None else total + term
        if total is None:
            raise ValueError("deep_supervision_loss: every head has weight 0; nothing to differentiate")
        return total
    return loss


class HeadGradients(NamedTuple):
    """Per-layer gradient norms of the trunk at initialisation, each (L,) with layer 1 first.

    main: from the main head alone (L_main); aux: from the weighted auxiliary head alone
    (w·L_aux; zeros above the attach depth, and everywhere without an auxiliary head);
    total: from L_main + w·L_aux, what training uses. kind: "pre_activation" (‖∂L/∂z_l‖) or
    "weight" (‖∂L/∂W_l‖).
    """

    main: np.ndarray
    aux: np.ndarray
    total: np.ndarray
    kind: str


def head_gradient_norms(attach_depth: int, aux_weight: float = 1.0, kind: str = "pre_activation",
                        seed: int | None = None) -> HeadGradients:
    """Split the trunk's per-layer gradient norms at initialisation into the main and auxiliary heads'
    parts (three passes of `probes.gradient_norms_by_layer`). Results are cached and read-only."""
    attach_depth = _check_attach_depth(attach_depth)
    aux_weight = _check_aux_weight(aux_weight)
    if kind not in ("pre_activation", "weight"):
        raise ValueError(f"head_gradient_norms: kind must be 'pre_activation' or 'weight', got {kind!r}")
    seed = DEEP_SUPERVISION_SETTINGS["net_seed"] if seed is None else int(seed)
    return _head_gradient_norms_cached(attach_depth, aux_weight, kind, seed)


@functools.lru_cache(maxsize=256)
def _head_gradient_norms_cached(attach_depth, aux_weight, kind, seed) -> HeadGradients:
    X, y = deep_supervision_data(DEEP_SUPERVISION_SETTINGS["data_seed"])
    net = deep_supervision_net(attach_depth, seed)
    main = probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(1.0, 0.0), kind=kind)
    if attach_depth == 0:
        aux, total = np.zeros_like(main), main.copy()
    else:
        aux = probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(0.0, aux_weight), kind=kind)
        total = probes.gradient_norms_by_layer(net, X, y, deep_supervision_loss(1.0, aux_weight), kind=kind)
    for array in (main, aux, total):
        array.setflags(write=False)
    return HeadGradients(main=main, aux=aux, total=total, kind=kind)


def plot_attach_depth_sweep(profiles: Mapping, attach_depths, measured_lift, predicted_lift,
                            title: str = "Deep supervision: an auxiliary head part-way up the trunk") -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer for a few attach depths (log). Right: the gradient at layer 1
    with the auxiliary head divided by the gradient without it, against the attach depth k (log),
    measured (markers) and predicted (line).

    profiles: {label: (L,) norms}, all of one depth L; attach_depths, measured_lift, predicted_lift: (K,) each.
    """
    depths = np.asarray(attach_depths, dtype=float)
    measured = np.asarray(measured_lift, dtype=float)
    predicted = np.asarray(predicted_lift, dtype=float)
    if not (depths.ndim == measured.ndim == predicted.ndim == 1 and depths.size == measured.size == predicted.size):
        raise ValueError(f"plot_attach_depth_sweep: attach_depths, measured_lift and predicted_lift must be 1-D of "
                         f"one length, got shapes {depths.shape}, {measured.shape}, {predicted.shape}")
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    plot_layer_gradient_norms(dict(profiles), ax=left, title="Gradient reaching each trunk layer, at initialisation")
    depth = len(next(iter(profiles.values())))
    right.plot(depths, predicted, color="0.35", linestyle="--", linewidth=1.5,
               label=f"predicted: (factor per layer)^−({depth} − k)")
    right.plot(depths, measured, linestyle="none", markersize=6, label="measured", **{
        k: v for k, v in category_style(0).items() if k != "linestyle"})
    right.axhline(1.0, color="0.4", linestyle=":", linewidth=1.2)
    right.set_yscale("log")
    plain_log_ticks(right.yaxis, step=2)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("attach depth k (auxiliary head reads layer k)")
    right.set_ylabel("lift at layer 1 (log scale)")
    right.set_title("Lift of layer 1's gradient by the auxiliary head", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=11)
    return fig


@dataclass(frozen=True)
class DeepSupervisionRun:
    """One deep-supervision configuration, trained on two moons (full batch).

    steps: (S,) recorded steps, the last one = the number of steps (the trained model).
    main_loss, aux_loss: (S,) training cross-entropy of the main and the auxiliary head at those steps
        (aux_loss is None without an auxiliary head); inf/NaN at the end if the run diverged.
    main_accuracy, aux_accuracy: training accuracy of each head after training (NaN if it diverged;
        aux_accuracy None without an auxiliary head).
    spread_before, spread_after: (L,) how much each trunk layer's output h_l varies across the inputs
        (the std over examples, averaged over units), before and after training. A layer whose spread
        is near 0 gives (almost) the same output for every input: nothing above it can tell inputs apart.
    diverged_at: the step where the loss became inf/NaN, else None.
    """

    steps: np.ndarray
    main_loss: np.ndarray
    aux_loss: np.ndarray | None
    main_accuracy: float
    aux_accuracy: float | None
    spread_before: np.ndarray
    spread_after: np.ndarray
    diverged_at: int | None


def _input_spread(net, X) -> np.ndarray:
    with no_grad():
        trace = net.forward_trace(X)
    return np.array([h.data.std(axis=0).mean() for h in trace.activations])


def deep_supervision_run(attach_depth: int, aux_weight: float = 1.0, optimizer: str = "sgd",
                         seed: int | None = None) -> DeepSupervisionRun:
    """Train `deep_supervision_net(attach_depth, seed)` on `deep_supervision_data()` with the joint loss
    CE(main) + aux_weight·CE(aux) (`train.fit_multitask` with fixed task weights) for
    DEEP_SUPERVISION_SETTINGS["steps"] full-batch steps of `optimizer` ("sgd": SGD with momentum 0.9,
    lr 0.3; "adam": Adam, lr 0.01). Deterministic, so results are cached: a setting seen before comes back
    at once (the explorer relies on this). With attach_depth = 0 the weight is ignored.
    """
    attach_depth = _check_attach_depth(attach_depth)
    aux_weight = 1.0 if attach_depth == 0 else _check_aux_weight(aux_weight)
    optimizer = _check_optimizer(optimizer)
    seed = DEEP_SUPERVISION_SETTINGS["net_seed"] if seed is None else int(seed)
    return _deep_supervision_run_cached(attach_depth, aux_weight, optimizer, seed)


@functools.lru_cache(maxsize=512)
def _deep_supervision_run_cached(attach_depth, aux_weight, optimizer, seed) -> DeepSupervisionRun:
    settings = DEEP_SUPERVISION_SETTINGS
    X, y = deep_supervision_data(settings["data_seed"])
    net = deep_supervision_net(attach_depth, seed)
    spread_before = _input_spread(net, X)
    lr = settings["lr"][optimizer]
    opt = (optim.SGD(net.parameters(), lr=lr, momentum=settings["momentum"]) if optimizer == "sgd"
           else optim.Adam(net.parameters(), lr=lr))
    n_heads = net.n_tasks
    try:
        history = train.fit_multitask(net, X, [y] * n_heads, ["cross_entropy"] * n_heads,
                                      task_weights=[1.0] + [aux_weight] * (n_heads - 1), optimizer=opt,
                                      steps=settings["steps"], record_every=settings["record_every"],
                                      progress=False)
        steps, losses, diverged_at = list(history.steps), [list(v) for v in history.task_losses], None
        with no_grad():
            outputs = net(X)
            final = [float(F.cross_entropy(out, y).data) for out in outputs]
            accuracies = [train.accuracy(out.data, y) for out in outputs]
        steps.append(settings["steps"])
        losses.append(final)
    except train.TrainingDiverged as error:
        steps, losses = list(error.history.steps), [list(v) for v in error.history.task_losses]
        if not steps or steps[-1] != error.step:
            steps.append(error.step)
            losses.append([float("nan")] * n_heads)
        diverged_at, accuracies = error.step, [float("nan")] * n_heads
    losses = np.asarray(losses, dtype=float)
    arrays = {"steps": np.asarray(steps), "main": losses[:, 0].copy(),
              "aux": losses[:, 1].copy() if n_heads > 1 else None, "after": _input_spread(net, X)}
    for array in list(arrays.values()) + [spread_before]:
        if array is not None:
            array.setflags(write=False)
    return DeepSupervisionRun(steps=arrays["steps"], main_loss=arrays["main"], aux_loss=arrays["aux"],
                              main_accuracy=float(accuracies[0]),
                              aux_accuracy=float(accuracies[1]) if n_heads > 1 else None,
                              spread_before=spread_before, spread_after=arrays["after"], diverged_at=diverged_at)


class SeedStudy(NamedTuple):
    """One attach depth trained from many seeds at once (`deep_supervision_seed_study`).

    seeds: (S,). steps: (K,) recorded steps, the last = the number of steps trained.
    main_loss: (S, K) the main head's training loss; spread_after: (S, L) each trunk layer's spread
    across the inputs after training (as DeepSupervisionRun.spread_after); aux_loss: (S, K) the
    auxiliary head's training loss, or None without one.
    """

    attach_depth: int
    seeds: tuple
    steps: np.ndarray
    main_loss: np.ndarray
    spread_after: np.ndarray
    aux_loss: np.ndarray | None = None
    aux_labels: str = "same"


def deep_supervision_seed_study(attach_depth: int, seeds: tuple = tuple(range(20)), optimizer: str = "adam",
                                steps: int | None = None, aux_labels: str = "same") -> SeedStudy:
    """`deep_supervision_run(attach_depth, 1.0, optimizer, seed)` for every seed, trained together as one
    batch (train.fit_multitask_models; a test checks a seed against its single run). steps: None for
    DEEP_SUPERVISION_SETTINGS["steps"], or a longer budget (to ask whether the budget is the limit).
    aux_labels: what the auxiliary head predicts, a key of AUX_LABELS (`deep_supervision_aux_labels`). Cached."""
    attach_depth = _check_attach_depth(attach_depth)
    optimizer = _check_optimizer(optimizer)
    seeds = tuple(int(seed) for seed in seeds)
    steps = DEEP_SUPERVISION_SETTINGS["steps"] if steps is None else _check_steps(steps)
    deep_supervision_aux_labels(aux_labels)  # validates the name
    if attach_depth == 0:
        aux_labels = "same"  # no auxiliary head: nothing to label
    return _seed_study_cached(attach_depth, seeds, optimizer, steps, aux_labels)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 20_000:
        raise ValueError(f"The number of training steps must be a whole number from 1 to 20000, got {steps!r}.")
    return int(steps)


@functools.lru_cache(maxsize=16)
def _seed_study_cached(attach_depth: int, seeds: tuple, optimizer: str, steps: int, aux_labels: str) -> SeedStudy:
    settings = DEEP_SUPERVISION_SETTINGS
    X, y = deep_supervision_data(settings["data_seed"])
    aux_y = deep_supervision_aux_labels(aux_labels)
    nets = [deep_supervision_net(attach_depth, seed) for seed in seeds]
    n_heads = nets[0].n_tasks
    lr = settings["lr"][optimizer]
    if optimizer == "sgd":  # SGD with the explorer's momentum, built on the stacked parameters
        make = lambda params: optim.SGD(params, lr=lr, momentum=settings["momentum"])  # noqa: E731
    else:
        make = "adam"
    history = train.fit_multitask_models(nets, X, [y] + [aux_y] * (n_heads - 1), ["cross_entropy"] * n_heads, optimizer=make,
                                         lr=lr, steps=steps, record_every=settings["record_every"])
    with no_grad():
        final = np.array([float(F.cross_entropy(net(X)[0], y).data) for net in nets])
    main = np.concatenate([history.task_losses[:, :, 0].T, final[:, None]], axis=1)
    spread = np.array([_input_spread(net, X) for net in nets])
    recorded = np.append(np.asarray(history.steps), steps)
    aux = None
    if n_heads > 1:
        with no_grad():
            aux_final = np.array([float(F.cross_entropy(net(X)[1], aux_y).data) for net in nets])
        aux = np.concatenate([history.task_losses[:, :, 1].T, aux_final[:, None]], axis=1)
        aux.setflags(write=False)
    for array in (main, spread, recorded):
        array.setflags(write=False)
    return SeedStudy(attach_depth=attach_depth, seeds=seeds, steps=recorded, main_loss=main, spread_after=spread,
                     aux_loss=aux, aux_labels=aux_labels)


def _describe_setting(attach_depth: int, aux_weight: float) -> str:
    return "no auxiliary head" if attach_depth == 0 else f"aux head after layer {attach_depth}, weight {aux_weight:g}"


def plot_deep_supervision(gradients: HeadGradients, baseline: DeepSupervisionRun, run: DeepSupervisionRun,
                          attach_depth: int, aux_weight: float, optimizer: str, show_lift: bool = True) -> Figure:
    """Left: ‖∂L/∂z_l‖ per trunk layer at initialisation without and with the auxiliary head (log).
    Right: the main head's training loss without and with it, and the auxiliary head's own loss.
    show_lift: state layer 1's lift in the left panel's title (the lesson's static copy leaves it out; the
    attach-depth sweep just before it shows the lift)."""
    fig, (left, right) = new_figure((10.5, 4.2), ncols=2, margins=(0.075, 0.985, 0.24, 0.86))
    depth = gradients.main.size
    layers = np.arange(1, depth + 1)
    with_aux = attach_depth > 0
    left.plot(layers, gradients.main, markersize=4, label="no auxiliary head", **category_style(0))
    if with_aux:
        left.plot(layers, gradients.total, markersize=4, label=f"with aux head (w = {aux_weight:g})",
                  **category_style(1))
        left.axvline(attach_depth, color="0.5", linestyle=":", linewidth=1.2)
        lift = gradients.total[0] / gradients.main[0]
        left_title = (f"Gradient at initialisation: layer 1 lifted ×{lift:.2g}" if show_lift
                      else "Gradient at initialisation, without and with the head")
    else:
        left_title = "Gradient at initialisation (no auxiliary head)"
    fixed_log_ticks(left, np.concatenate([gradients.main, gradients.total]))
    left.set_ylim(top=left.get_ylim()[1] * 3)  # headroom: the peak at the attach depth can sit on a decade
    left.set_xlabel("trunk layer l (1 = next to the input; dotted: attach depth)")
    left.set_ylabel("‖∂L/∂z_l‖ (log scale)")
    left.set_title(left_title, y=1.0, fontsize=10)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.grid(True, alpha=0.3)

    def label(prefix, loss, accuracy):
        end = "diverged" if not np.isfinite(loss[-1]) else f"ends at {loss[-1]:.2f}, accuracy {accuracy:.0%}"
        return f"{prefix} ({end})"

    right.plot(baseline.steps, baseline.main_loss, markersize=4, markevery=4,
               label=label("main task, no auxiliary head", baseline.main_loss, baseline.main_accuracy),
               **category_style(0))
    if with_aux:
        right.plot(run.steps, run.main_loss, markersize=4, markevery=4,
                   label=label("main task, with aux head", run.main_loss, run.main_accuracy), **category_style(1))
        right.plot(run.steps, run.aux_loss, markersize=4, markevery=4, color=category_style(2)["color"],
                   linestyle=":", marker=category_style(2)["marker"],
                   label=label("the aux head's own loss", run.aux_loss, run.aux_accuracy))
    # In the legend rather than as text on the line: the flat main-task curves lie on it.
    right.axhline(_CHANCE_LOSS, color="0.4", linestyle=(0, (1, 3)), linewidth=1.0,
                  label="log 2 ≈ 0.693: the loss of a 50 : 50 guess")
    finite = [v for r in (baseline, run) for v in (r.main_loss, r.aux_loss) if v is not None]
    top = max(1.0, float(np.nanmax(np.where(np.isfinite(np.concatenate(finite)), np.concatenate(finite), 0))) * 1.05)
    right.set_ylim(0.0, min(top, 3.0))
    right.set_xlabel(f"training step ({DEEP_SUPERVISION_OPTIMIZERS[optimizer]}, full batch)")
    right.set_ylabel("training cross-entropy")
    right.set_title("Learning curves", y=1.0, fontsize=10)
    right.grid(True, alpha=0.3)
    left.legend(fontsize=8, loc="lower right")  # the lines rise to the upper left; this corner stays empty
    handles, labels = right.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), fontsize=8, frameon=False,
               ncols=2)
    fig.suptitle(f"{DEEP_SUPERVISION_SETTINGS['depth']} sigmoid layers, two moons: "
                 f"{_describe_setting(attach_depth, aux_weight)}, {DEEP_SUPERVISION_OPTIMIZERS[optimizer]}",
                 fontsize=10.5)
    return fig


def deep_supervision_explorer_update(attach_depth: int = 4, aux_weight: float = 1.0, optimizer: str = "sgd",
                                     progress=None, show_lift: bool = True) -> Figure:
    """Lesson 08: the trunk's gradient at initialisation and the learning curves, without and with an
    auxiliary head after layer `attach_depth` (0 = none) weighted `aux_weight`. show_lift: as in
    `plot_deep_supervision`.

    progress: optional callable(done, total), told after each of the two runs (a new setting trains
    live, about half a second; settings seen before are cached).
    """
    attach_depth = _check_attach_depth(attach_depth)
    aux_weight = _check_aux_weight(aux_weight)
    optimizer = _check_optimizer(optimizer)
    gradients = head_gradient_norms(attach_depth, aux_weight)
    runs = []
    for done, depth in enumerate((0, attach_depth), start=1):
        runs.append(deep_supervision_run(depth, aux_weight, optimizer))
        if progress is not None:
            progress(done, 2)
    return plot_deep_supervision(gradients, runs[0], runs[1], attach_depth, aux_weight, optimizer, show_lift)


def deep_supervision_explorer(**initial) -> Explorer:
    """Attach depth, auxiliary weight and optimizer → gradient per layer and learning curves."""
    values = initial_values("deep_supervision", initial)
    if values["aux_weight"] not in DEEP_SUPERVISION_WEIGHTS:
        raise ValueError(f"deep_supervision explorer: aux_weight must be one of {list(DEEP_SUPERVISION_WEIGHTS)}, "
                         f"got {values['aux_weight']!r}")
    controls = {
        "attach_depth": int_slider("aux head after layer (0 = none)", values["attach_depth"], 0,
                                   DEEP_SUPERVISION_SETTINGS["depth"]),
        "aux_weight": widgets.SelectionSlider(options=list(DEEP_SUPERVISION_WEIGHTS), value=values["aux_weight"],
                                              description="aux weight w", continuous_update=False,
                                              style=control_style()),
        "optimizer": dropdown("optimizer", [(label, key) for key, label in DEEP_SUPERVISION_OPTIMIZERS.items()],
                              values["optimizer"]),
    }
    return Explorer(deep_supervision_explorer_update, controls,
                    title="Deep supervision explorer: does an auxiliary head rescue a deep sigmoid net?",
                    help_text="Left: the gradient reaching each trunk layer before training. Right: the main "
                              "task's training loss, without and with the auxiliary head. A new setting trains "
                              "a small net live (under a second); settings seen before come back at once.",
                    reports_progress=True)


register_explorer("deep_supervision", deep_supervision_explorer_update, ("attach_depth", "aux_weight", "optimizer"),
                  deep_supervision_explorer)


def plot_task_gradient_imbalance(per_layer: Mapping, steps, norms_over_training: Mapping, attach_depth: int,
                                 title: str, recorded_on: str = "the whole shared trunk") -> Figure:
    """Left: ‖∂L_t/∂W_l‖ per trunk layer for each task at initialisation (log). Right: each task's gradient
    norm on the parameters `recorded_on` names over training (log), as `probes.TaskGradientRecorder`
    measured it.

    per_layer: {label: (L,)}; steps: (S,); norms_over_training: {label: (S,)}.
    """
    fig, (left, right) = new_figure((10.5, 4.0), ncols=2, margins=(0.075, 0.985, 0.13, 0.86))
    plot_layer_gradient_norms(dict(per_layer), ax=left, title="Per trunk layer, at initialisation",
                              ylabel="‖∂L_t/∂W_l‖ (log scale)")
    left.axvline(attach_depth, color="0.5", linestyle=":", linewidth=1.2)
    steps = np.asarray(steps, dtype=float)
    for index, (label, norms) in enumerate(norms_over_training.items()):
        right.plot(steps, np.asarray(norms, dtype=float), markersize=4, markevery=max(1, steps.size // 10),
                   label=label, **category_style(index))
    fixed_log_ticks(right, np.concatenate([np.asarray(v, dtype=float) for v in norms_over_training.values()]))
    right.set_xlabel("training step")
    right.set_ylabel(f"gradient norm on {recorded_on} (log scale)")
    right.set_title(f"On {recorded_on}, during training", y=1.0)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# ---- exercise 08.1: predict the lift, then measure it ---------------------------------------------------------

LIFT_EXERCISE = {"depth": 16, "attach_depth": 6, "aux_weight": 1.0, "tolerance": 2.5}
"""Exercise 08.1: a trunk built like the explorer's (width 32, sigmoid, Xavier, the explorer's seed, two moons) but
16 layers deep, with the auxiliary head after layer 6: a network no stored output of the lesson shows. A
prediction within a factor `tolerance` counts as close; one layer more or fewer in the count is a factor of
about 4, so a miscount does not."""


@functools.lru_cache(maxsize=1)
def _lift_exercise_gradients() -> tuple:
    """(without, with_aux): ‖∂L/∂z_l‖ (depth,) per trunk layer of exercise 08.1's network at initialisation, from
    the main head alone and from L_main + w·L_aux; read-only. The trunk and the main head are the same in both
    (they are drawn from the seed first)."""
    settings, exercise = DEEP_SUPERVISION_SETTINGS, LIFT_EXERCISE
    X, y = deep_supervision_data(settings["data_seed"])

    def net(attach_depths):
        return multitask.DeepSupervisionNet(2, exercise["depth"], settings["width"], n_outputs=2,
                                            attach_depths=attach_depths, activation="sigmoid", init="xavier_normal",
                                            rng=np.random.default_rng(settings["net_seed"]))

    without = probes.gradient_norms_by_layer(net(()), X, y, deep_supervision_loss(1.0, 0.0))
    with_aux = probes.gradient_norms_by_layer(net((exercise["attach_depth"],)), X, y,
                                              deep_supervision_loss(1.0, exercise["aux_weight"]))
    for array in (without, with_aux):
        array.setflags(write=False)
    return without, with_aux


def measured_lift() -> float:
    """‖∂L/∂z₁‖ with the auxiliary head of LIFT_EXERCISE divided by ‖∂L/∂z₁‖ from the main head alone, at
    initialisation, in exercise 08.1's 16-layer network."""
    without, with_aux = _lift_exercise_gradients()
    return float(with_aux[0] / without[0])


def _lift_measurement_lines() -> list:
    """The per-layer lines the measuring cell of exercise 08.1 prints (what answer_texts scans for)."""
    without, with_aux = _lift_exercise_gradients()
    k, depth = LIFT_EXERCISE["attach_depth"], LIFT_EXERCISE["depth"]
    return [f"  layer {layer:2d}: without {without[layer - 1]:.2g}, with {with_aux[layer - 1]:.2g}  "
            f"(×{with_aux[layer - 1] / without[layer - 1]:.3g})" for layer in (1, k, k + 1, depth)]


def measure_lift(predict_lift) -> None:
    """Exercise 08.1 (predict, then measure): after the learner predicted by what factor an auxiliary head after
    layer 6 of a 16-layer trunk (weight 1) lifts the gradient at layer 1, measure it. Never raises for a wrong
    prediction; one that is not a positive number (a bool included) is an ExerciseError."""
    prediction = committed_prediction(predict_lift, "your prediction function")
    if prediction is None:
        return
    if isinstance(prediction, (bool, np.bool_)):
        fail(f"your predicted lift should be a number (a factor such as 2.0), got {prediction!r}")
    predicted = as_number(prediction, "your predicted lift")
    if predicted <= 0:
        fail(f"your predicted lift should be a positive factor (2.0 means twice as large), got {predicted:g}")
    k, depth, tolerance = LIFT_EXERCISE["attach_depth"], LIFT_EXERCISE["depth"], LIFT_EXERCISE["tolerance"]
    print(f"Measured ‖∂L/∂z_l‖ at initialisation in the {depth}-layer trunk, without and with an auxiliary head "
          f"after layer {k} (weight {LIFT_EXERCISE['aux_weight']:g}):")
    for line in _lift_measurement_lines():
        print(line)
    lift = measured_lift()
    skipped = depth - k
    if report_prediction(predicted, lift, "lift at layer 1", log_scale=True, tolerance=tolerance):
        print(f"Above layer {k} nothing changes: the auxiliary gradient never gets there. Below it, the main "
              f"head's gradient has crossed {skipped} more layers than the auxiliary head's, and each shrank it by "
              f"about the same factor. (Within a factor {tolerance:g} counts as close: one layer more or fewer in "
              "the count would be a factor of about 4.)")
        return
    if predicted < lift:
        print(f"The factors multiply, and they compound: the main head's gradient crosses {skipped} more layers "
              f"(layers {k + 1} to {depth}) than the auxiliary head's and shrinks in each by the factor section 1 "
              f"measured, so the auxiliary gradient arrives at layer {k} about (1/factor)^{skipped} times larger than "
              "the main head's, and the two travel the rest of the way down together. Over ten layers even a "
              "rounded factor (¼ for 0.23) moves the result by a factor of about 2.")
    else:
        print(f"The head saves the main gradient only the {skipped} layers above it (layers {k + 1} to {depth}), "
              "not the whole trunk: below the attach depth both gradients cross the same layers and shrink "
              f"alike. The lift is about (factor per layer)^−{skipped}.")
    print(f"(One layer more or fewer in the count moves a prediction by a factor of about 4; within a factor "
          f"{tolerance:g} counts as close.)")


# ---- exercise 08.2: the gradient a head sends to layer 1, by hand ------------------------------------------

# (n_in, depth of the head d, width, n_out, batch, seed): a head part-way up first (there every usual slip
# gives a different wrong answer, so the diagnosis is specific), then at layer 1 and on a deeper layer.
_LAYER_ONE_CASES = ((3, 3, 4, 2, 5, 1), (3, 1, 4, 2, 5, 0), (2, 5, 6, 3, 4, 2))


def _layer_one_case(n_in: int, attach: int, width: int, n_out: int, batch: int, seed: int) -> tuple:
    """(weights [W_1..W_d], pre_activations [z_1..z_d], head weight, ∂L/∂output, ∂L/∂z_1 by autodiff) for an
    auxiliary head after layer d of a sigmoid DeepSupervisionNet; the loss is Σ output ⊙ G, so ∂L/∂output = G."""
    rng = np.random.default_rng(seed)
    net = multitask.DeepSupervisionNet(n_in, attach + 1, width, n_outputs=n_out, attach_depths=(attach,),
                                       activation="sigmoid", rng=rng, gain=2.0)
    x = Tensor(rng.standard_normal((batch, n_in)))
    output_gradient = rng.standard_normal((batch, n_out))
    trace = net.forward_trace(x)
    trace.pre_activations[0].retain_grad()
    (trace.outputs[1] * Tensor(output_gradient)).sum().backward()
    weights = [np.array(layer.weight.data) for layer in net.trunk.layers[:attach]]
    pre_activations = [np.array(z.data) for z in trace.pre_activations[:attach]]
    return (weights, pre_activations, np.array(net.aux_heads[0].weight.data), output_gradient,
            np.array(trace.pre_activations[0].grad))


def _hand_backward(weights, pre_activations, head_weight, output_gradient, slope_at_head=True, slope=None,
                   transpose=True) -> np.ndarray:
    """∂L/∂z_1 by the chain rule, with switches for the usual slips (for the checker's diagnoses)."""
    slope = slope or (lambda z: reference_sigmoid(z) * (1.0 - reference_sigmoid(z)))
    grad_h = output_gradient @ head_weight.T
    delta = grad_h * slope(pre_activations[-1]) if slope_at_head else grad_h
    for layer in range(len(pre_activations) - 1, 0, -1):
        W = weights[layer]
        delta = (delta @ (W.T if transpose else W)) * slope(pre_activations[layer - 1])
    return delta


@exercise_checker
def check_gradient_at_layer_one(gradient_at_layer_one) -> None:
    """Exercise 08.2: `gradient_at_layer_one(weights, pre_activations, head_weight, output_gradient)` returns
    ∂L/∂z_1 (N, width) sent down by a head that reads the sigmoid trunk after layer d = len(weights)."""
    for n_in, attach, width, n_out, batch, seed in _LAYER_ONE_CASES:
        weights, pre_activations, head_weight, output_gradient, expected = _layer_one_case(
            n_in, attach, width, n_out, batch, seed)
        call = f"gradient_at_layer_one(...) for a head after layer {attach}"
        got = as_array(call_learner(gradient_at_layer_one, [w.copy() for w in weights], [z.copy() for z in pre_activations],
                           head_weight.copy(), output_gradient.copy(), description=call),
                     expected.shape, call)
        scale = float(np.abs(expected).max())
        if np.allclose(got, expected, rtol=1e-8, atol=1e-12 * scale):
            continue
        where = (f"{call}: the largest difference from autodiff is {np.abs(got - expected).max():.3g} "
                 f"(entries are up to {scale:.3g})")
        slips = [
            (dict(slope_at_head=False), "the head reads h_d = σ(z_d), so the first step down also multiplies "
                                        "by σ'(z_d) before anything else"),
            (dict(slope=reference_sigmoid), "multiply by the slope σ'(z) = σ(z)(1 − σ(z)), not by σ(z) itself"),
            (dict(slope=lambda z: np.ones_like(z)), "each layer also multiplies by the sigmoid's slope σ'(z_l)"),
            (dict(transpose=False), "going down multiplies by W_lᵀ: ∂L/∂h_(l−1) = ∂L/∂z_l · W_lᵀ "
                                    "(in this course z = h W + b, with W of shape (n_in, n_out))"),
        ]
        for switches, hint in slips:
            with np.errstate(all="ignore"):
                try:
                    wrong = _hand_backward(weights, pre_activations, head_weight, output_gradient, **switches)
                except ValueError:
                    continue
            if wrong.shape == got.shape and np.allclose(got, wrong, rtol=1e-8, atol=1e-12 * scale):
                fail(f"{where}. {hint[0].upper()}{hint[1:]}.")
        fail(f"{where}. Start from ∂L/∂h_d = output_gradient · head_weightᵀ, multiply by σ'(z_d), then for "
              "l = d, …, 2: multiply by W_lᵀ and by σ'(z_(l−1)).")
    depths = ", ".join(str(d) for d in sorted(case[1] for case in _LAYER_ONE_CASES))
    passed(f"your ∂L/∂z_1 agrees with autodiff to 1e-8 (relative) for heads after layers {depths}. A head after "
        "layer d sends its gradient through d − 1 products with W_lᵀ and σ' ≤ ¼: the shorter the path, the less "
        "it shrinks.")


# ---- exercise 08.3: what the attach depth does under SGD (read off the explorer) ---------------------------

ATTACH_DEPTH_UNDER_SGD = Choice(
    "what moving the attach depth from 1 to 12 does under SGD (weight 1)",
    {
        "a": "This pictures a high head as training the upper layers on the main task's behalf. Before trusting the "
             "picture, watch the solid main-task curves at depths 8 to 12, and recall what section 1 found for a "
             "head that sits on top.",
        "b": "This takes for granted that a head with a loss of its own learns its labels in 200 steps wherever it "
             "reads the trunk. Check that assumption on the dotted curve, depth by depth, from 1 up to 12.",
        "c": "This expects a strong enough lift of layer 1 to carry the main task along. Compare the solid curves "
             "at depths 1 and 2 with the dotted one, and reread section 3 on what the layers above a head do.",
        "d": "a head reading layer k sees h_k, whose spread across the inputs shrinks layer by layer, and its own "
             "gradient reaches the varied lowest layers only through k − 1 factors, so only a low head has "
             "something to learn in 200 steps. Wherever it sits, the layers above it still squeeze the "
             "differences out again, and the main head's own gradient still crosses all twelve layers: the "
             "main task stays where it started.",
    },
    correct="d",
)


@exercise_checker
def check_attach_depth_under_sgd(answer) -> None:
    """Exercise 08.3 (choose): what the explorer shows as the attach depth moves under SGD."""
    ATTACH_DEPTH_UNDER_SGD.judge(answer)


# ---- exercise 08.4: a hand-written joint loss whose head lifts nothing --------------------------------------

def _weight_gradient_norms(net, loss_function) -> np.ndarray:
    """‖∂L/∂W_l‖ (L,) per trunk layer for the scalar Tensor `loss_function()` returns (grads cleared first)."""
    net.zero_grad()
    loss_function().backward()
    return np.array([0.0 if layer.weight.grad is None else float(np.linalg.norm(layer.weight.grad))
                     for layer in net.trunk.layers])


def _joint_loss_of(joint_loss, net, X, y, attach_depth: int, aux_weight: float):
    """The learner's loss on `net`'s parts: the trunk and the two heads, never the network's own forward pass."""
    return joint_loss(net.trunk, net.main_head, net.aux_heads[0], X, y, attach_depth, aux_weight)


def try_joint_loss(joint_loss, attach_depth: int = 4, aux_weight: float = 1.0) -> None:
    """What a hand-written `joint_loss(trunk, main_head, aux_head, X, y, attach_depth, aux_weight)` (a scalar
    Tensor, main-head loss plus aux_weight times the auxiliary head's) does on the explorer's network with an
    auxiliary head after
    `attach_depth`: ‖∂L/∂W_l‖ per trunk layer at initialisation against the main head's alone, then 200 full-batch
    steps of SGD with momentum (as the explorer) on it: each head's loss, and the spread of h_k across the inputs.
    The symptom of exercise 08.4; about half a second."""
    attach_depth = _check_attach_depth(attach_depth)
    if attach_depth == 0:
        raise ValueError("try_joint_loss needs an auxiliary head: give an attach depth from 1 to 12.")
    aux_weight = _check_aux_weight(aux_weight)
    settings = DEEP_SUPERVISION_SETTINGS
    X, y = deep_supervision_data(settings["data_seed"])
    net = deep_supervision_net(attach_depth)
    main_only = _weight_gradient_norms(net, lambda: F.cross_entropy(net(X)[0], y))
    with_loss = _weight_gradient_norms(net, lambda: _joint_loss_of(joint_loss, net, X, y, attach_depth, aux_weight))
    layers = sorted({1, attach_depth, min(attach_depth + 1, settings["depth"]), settings["depth"]})
    print("‖∂L/∂W_l‖ at initialisation, this loss ÷ the main head's alone: "
          + ", ".join(f"layer {layer} ×{with_loss[layer - 1] / main_only[layer - 1]:.3g}" for layer in layers))

    def head_losses():
        with no_grad():
            return [float(F.cross_entropy(output, y).data) for output in net(X)]

    before = head_losses()
    optimizer = optim.SGD(net.parameters(), lr=settings["lr"]["sgd"], momentum=settings["momentum"])
    for _ in range(settings["steps"]):
        optimizer.zero_grad()
        _joint_loss_of(joint_loss, net, X, y, attach_depth, aux_weight).backward()
        optimizer.step()
    after = head_losses()
    spread = _input_spread(net, X)[attach_depth - 1]
    print(f"after {settings['steps']} steps of SGD with momentum: the auxiliary head's loss {before[1]:.2f} → "
          f"{after[1]:.2f}, the main head's {before[0]:.2f} → {after[0]:.2f}; spread of h_{attach_depth} across the "
          f"inputs {spread:.1e}")


# (depth, width, attach depth, aux weight, seed): a head part-way up, a head at layer 1 with a weight that
# is not 1 (so a missing weight shows), and a head on top.
_JOINT_LOSS_CASES = ((5, 6, 2, 1.0, 0), (4, 5, 1, 0.3, 1), (3, 4, 3, 2.0, 2))


def _joint_loss_case(depth: int, width: int, attach_depth: int, seed: int) -> tuple:
    rng = np.random.default_rng(100 + seed)
    net = multitask.DeepSupervisionNet(2, depth, width, n_outputs=2, attach_depths=(attach_depth,),
                                       activation="sigmoid", rng=seed, gain=2.0)
    X = rng.standard_normal((16, 2))
    y = (rng.random(16) < 0.5).astype(np.int64)
    return net, X, y


def _gradients(net, loss) -> list:
    net.zero_grad()
    loss.backward()
    return [np.zeros_like(p.data) if p.grad is None else np.array(p.grad) for p in net.parameters()]


@exercise_checker
def check_joint_loss(fixed_joint_loss) -> None:
    """Exercise 08.4 (debug): `fixed_joint_loss(trunk, main_head, aux_head, X, y, attach_depth, aux_weight)`
    returns CE(main head on the top layer) + aux_weight·CE(aux head on h_k), given the parts of a DeepSupervisionNet
    with one auxiliary head after layer attach_depth (never the network itself, so its own forward pass is out of
    reach), with the same value and the same gradient on every parameter as that network's forward pass."""
    for depth, width, k, weight, seed in _JOINT_LOSS_CASES:
        net, X, y = _joint_loss_case(depth, width, k, seed)
        main_output, aux_output = net(X)
        reference = F.cross_entropy(main_output, y) + F.cross_entropy(aux_output, y) * weight
        expected_value = float(reference.data)
        expected = _gradients(net, reference)
        main_only = _gradients(net, F.cross_entropy(net(X)[0], y))
        call = f"fixed_joint_loss(trunk, main_head, aux_head, X, y, {k}, {weight:g}) for a {depth}-layer trunk"
        net.zero_grad()
        loss = call_learner(_joint_loss_of, fixed_joint_loss, net, X, y, k, weight, description=call)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            fail(f"{call} should return the loss as a Tensor holding one number (so that .backward() works), got "
                 f"{type(loss).__name__}{'' if not isinstance(loss, Tensor) else f' of shape {loss.shape}'}.")
        value = float(loss.data.reshape(()))
        if not np.isclose(value, expected_value, rtol=1e-9, atol=0.0):
            where = f"{call}: expected the loss {expected_value:.6g}, got {value:.6g}"
            with no_grad():
                trace = net.trunk.forward_trace(X)
                main_term = float(F.cross_entropy(net.main_head(trace.activations[-1]), y).data)
                def aux_term(features):
                    return float(F.cross_entropy(net.aux_heads[0](features), y).data)
                slips = [(main_term + aux_term(trace.pre_activations[k - 1]) * weight,
                          f"the head reads z_{k}, the pre-activation; it reads h_{k} = σ(z_{k}), the layer's output"),
                         (main_term + aux_term(trace.activations[k - 1]), "the auxiliary part is not weighted by "
                                                                          "aux_weight"),
                         (main_term * weight + aux_term(trace.activations[k - 1]), "the weight multiplies the main "
                                                                                   "head's loss, not the auxiliary one")]
                if k < depth:
                    slips.append((main_term + aux_term(trace.activations[k]) * weight,
                                  f"the head reads layer {k + 1}: the trunk's output after layer k is "
                                  "activations[k − 1] (the list starts at layer 1)"))
                if k > 1:
                    slips.append((main_term + aux_term(trace.activations[k - 2]) * weight,
                                  f"the head reads layer {k - 1}: the trunk's output after layer k is activations[k − 1]"))
            for slip_value, hint in slips:
                if np.isclose(value, slip_value, rtol=1e-9, atol=0.0):
                    fail(f"{where}. {hint[0].upper()}{hint[1:]}.")
            fail(f"{where}. The joint loss is CE(main head on h_depth, y) + aux_weight · CE(auxiliary head on h_k, y).")
        try:
            got = _gradients(net, loss)
        except Exception as error:  # noqa: BLE001 - the learner's graph, reported rather than raised
            fail(f"{call}: .backward() on your loss raised {type(error).__name__}: {error}")
        n_trunk = len(net.trunk.parameters())
        scale = max(float(max(np.abs(g).max() for g in expected)), 1e-300)
        close = lambda a, b: all(np.allclose(u, v, rtol=1e-8, atol=1e-12 * scale) for u, v in zip(a, b))  # noqa: E731
        if close(got, expected):
            continue
        where = f"{call}: the loss is right, but its gradient is not the network's"
        if close(got[:n_trunk], main_only[:n_trunk]) and not close(expected[:n_trunk], main_only[:n_trunk]):
            fail(f"{where}: the trunk gets exactly the main head's gradient and nothing from the auxiliary head. "
                 "The head's input has no history: it is a new Tensor made from h_k's numbers, so backward stops "
                 "there (making that copy require a gradient lets the copy learn, not the trunk). Let the head read "
                 "the trunk's own Tensor.")
        aux_parameters = net.aux_heads[0].parameters()
        start = len(net.parameters()) - len(aux_parameters)
        if not any(np.any(g) for g in got[start:]):
            fail(f"{where}: the auxiliary head's own parameters get no gradient.")
        fail(f"{where}: every parameter, of the trunk and of both heads, should get the gradient of "
             "CE(main head on the top layer, y) + aux_weight · CE(auxiliary head on h_k, y).")
    depths = ", ".join(str(case[2]) for case in sorted(_JOINT_LOSS_CASES, key=lambda case: case[2]))
    passed(f"fixed_joint_loss gives the right value and the right gradient on every parameter (heads after "
           f"layers {depths}, the last on top): the auxiliary gradient enters the trunk where the head reads it.")


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    lift = measured_lift()
    millions = lift / 1e6
    return {
        "ex1_lift": _lift_measurement_lines() + [
            f"{lift:.2g}", f"{lift:.3g}", f"{round(lift, -5):,.0f}", f"{round(lift, -4):,.0f}",
            f"{millions:.2g} million", f"{millions:.3g} million", f"{millions:.2g}·10⁶", f"{millions:.2g}e6"],
        "ex3_attach_depth": [ATTACH_DEPTH_UNDER_SGD.feedback[ATTACH_DEPTH_UNDER_SGD.correct]],
    }
