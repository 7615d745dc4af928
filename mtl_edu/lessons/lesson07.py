"""Lesson 07 (`07_balancing_methods`): can the weights set themselves? The balancing lab on the
CAGrad toy, what each method does with two gradients, and the methods on a network.

Exercises: `check_imtl_g_two_tasks` (1, build: IMTL-G's two-task direction), `measure_pareto_stoppers`
(2, predict, then measure: which updates vanish on the Pareto front; `toy_endings` prints where every toy run
ended only after that prediction, and the lesson's stored figures draw each run only up to the front,
`paths_until_front`), `check_mgda_lower_start` (3, choose: why MGDA ends beside L₂'s minimum from start 2,
read off the balancing lab), `check_task_gradients` (4, debug: per-task gradients that accumulate);
`answer_texts` lists what would give 2 and 3 away.
"""
from __future__ import annotations

import contextlib
import functools
import html
from dataclasses import dataclass
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..balancing import aggregators, balancers, toys
from ..data import datasets
from ..engine.autodiff import no_grad
from ..instruments.plots import category_style, plain_log_ticks, plot_trajectories_on_contours
from ..nets import multitask, train
from ..teaching.checking import (
    Choice, as_array, call_learner, committed_prediction, exercise_checker, fail, passed, without_library,
)
from ..teaching.explorers import (
    control_style, dropdown, Explorer, FIGURE_DPI, initial_values, new_figure, register_explorer,
)

__all__ = [
    "BALANCING_LAB", "TOY_METHOD_LABELS", "TOY_START_CHOICES", "BalancingLabRuns", "balancing_lab_runs",
    "paths_until_front", "toy_verdict", "ToyOutcome", "toy_outcomes", "toy_outcome_table_html", "plot_balancing_lab",
    "balancing_lab_explorer_update", "balancing_lab_explorer", "two_task_directions",
    "plot_two_task_directions", "SCALE_MISMATCH", "NETWORK_METHOD_LABELS", "LOSS_BASED_METHODS",
    "ScaleMismatchData", "scale_mismatch_data", "NetworkRun", "balancing_network_run",
    "plot_weight_ratios", "NETWORK_SEEDS", "NETWORK_BASELINES", "NetworkComparison",
    "scale_mismatch_validation", "balancing_network_comparison", "PLAIN_VS_ADAM", "StepPromiseCheck",
    "plain_vs_adam_toy", "check_imtl_g_two_tasks", "pareto_exercise_gradients", "PARETO_MEASURE_X1",
    "pareto_update_sizes", "measure_pareto_stoppers", "toy_endings", "MGDA_LOWER_START", "check_mgda_lower_start",
    "check_task_gradients", "answer_texts",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

# The CAGrad toy as the lesson runs it. Liu et al. (2021, NeurIPS) take 100k Adam steps at lr 1e-3
# from three starts. An Adam step moves each coordinate by about lr, so half the steps at twice the
# rate cover the same ground: the outcome is the same (tests/test_lesson07.py checks it, and
# tests/test_toys.py checks the paper's own protocol) at half the cost.
BALANCING_LAB = {
    "steps": 50_000,
    "lr": 2e-3,
    "c": 0.5,  # CAGrad's radius on the toy
    "record_every": 50,  # 1001 points per path: plenty for a plot
    "grid": 121,  # contour grid points per axis over [-10, 10]
    "seed": 0,
    # A run counts as having reached the front once it comes this close to the Pareto set. The lesson's
    # stored figures draw each path only that far: what a method does on the front is exercise 07.2.
    "near_front": 0.05,
}
TOY_METHOD_LABELS = {
    "mean": "mean", "mgda": "MGDA", "pcgrad": "PCGrad", "cagrad": "CAGrad (c = 0.5)",
    "imtl_g": "IMTL-G", "nash_mtl": "Nash-MTL", "aligned_mtl": "Aligned-MTL", "graddrop": "GradDrop",
}
"""The aggregators run on the toy, in drawing order (which also fixes each one's colour)."""
TOY_START_CHOICES = {"all three starts": -1, "start 1: (−8.5, 7.5)": 0, "start 2: (−8.5, −5)": 1,
                     "start 3: (9, 9)": 2}


@dataclass(frozen=True)
class BalancingLabRuns:
    """Every method's paths on the CAGrad toy, and what a plot of them needs.

    paths / loss_paths: {method: (S, n, 2)} points (x1, x2) and losses (L1, L2) along each path,
    every `record_every`-th Adam step (and the last). starts: (S, 2). grid_x1, grid_x2, grid_average:
    (H, W) the average loss (L1 + L2)/2 on a grid; levels: its contour levels. pareto_set,
    pareto_front: (K, 2); optimum: (2,) the minimiser of the average loss.
    """

    paths: dict
    loss_paths: dict
    starts: np.ndarray
    steps: int
    lr: float
    record_every: int
    grid_x1: np.ndarray
    grid_x2: np.ndarray
    grid_average: np.ndarray
    levels: np.ndarray
    pareto_set: np.ndarray
    pareto_front: np.ndarray
    optimum: np.ndarray


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@functools.lru_cache(maxsize=32)
def _toy_method_paths(method: str, steps: int, lr: float, c: float, record_every: int, seed: int) -> tuple:
    """(paths, loss_paths) of one method from every published start, cached: the explorer only draws."""
    hyper = {"cagrad": {"c": c}} if method == "cagrad" else None
    paths = toys.run_toy_many_fast([method], steps=steps, lr=lr, seed=seed, hyper=hyper,
                                   record_every=record_every)[method]
    losses = np.stack(toys.cagrad_toy_grid(paths[..., 0], paths[..., 1]), axis=-1)
    return _read_only(paths), _read_only(losses)


@functools.lru_cache(maxsize=4)
def _toy_landscape(grid: int) -> tuple:
    axis = np.linspace(-10.0, 10.0, grid)
    X1, X2 = np.meshgrid(axis, axis)
    L1, L2 = toys.cagrad_toy_grid(X1, X2)
    average = 0.5 * (L1 + L2)
    levels = MaxNLocator(12).tick_values(average.min(), average.max())
    pareto_set, pareto_front = toys.pareto_front_toy(201)
    return tuple(_read_only(a) for a in (X1, X2, average, levels, pareto_set, pareto_front))


def balancing_lab_runs(steps: int | None = None, lr: float | None = None, record_every: int | None = None,
                       progress=None) -> BalancingLabRuns:
    """Run every method of TOY_METHOD_LABELS on the CAGrad toy from the three published starts.

    Defaults: BALANCING_LAB (Adam, lr 2e-3, 50k steps, CAGrad c = 0.5; Liu et al. 2021, NeurIPS, take
    100k steps at lr 1e-3, which covers the same distance). Each method's runs are cached, so calling
    this again, or moving the explorer, costs nothing. progress: optional callable(done, total), told
    after each method. About 2 s of CPU time the first time.
    """
    settings = BALANCING_LAB
    steps = settings["steps"] if steps is None else steps
    lr = settings["lr"] if lr is None else lr
    record_every = settings["record_every"] if record_every is None else record_every
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 1_000_000:
        raise ValueError(f"steps must be a whole number from 1 to 1,000,000, got {steps!r}.")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not 0 < lr <= 1:
        raise ValueError(f"The learning rate must be a number above 0 (and at most 1), got {lr!r}.")
    paths, loss_paths = {}, {}
    for done, method in enumerate(TOY_METHOD_LABELS, start=1):
        paths[method], loss_paths[method] = _toy_method_paths(method, int(steps), float(lr), settings["c"],
                                                              int(record_every), settings["seed"])
        if progress is not None:
            progress(done, len(TOY_METHOD_LABELS))
    X1, X2, average, levels, pareto_set, pareto_front = _toy_landscape(settings["grid"])
    return BalancingLabRuns(paths=paths, loss_paths=loss_paths, starts=np.array(toys.TOY_STARTS), steps=int(steps),
                            lr=float(lr), record_every=int(record_every), grid_x1=X1, grid_x2=X2,
                            grid_average=average, levels=levels, pareto_set=pareto_set,
                            pareto_front=pareto_front, optimum=toys.toy_average_optimum())


def _first_near_front(path: np.ndarray) -> int | None:
    """Index of the first point of `path` (n, 2) within BALANCING_LAB["near_front"] of the Pareto set, or None."""
    near_front = BALANCING_LAB["near_front"]
    pareto_set = _toy_landscape(BALANCING_LAB["grid"])[4]
    # Only points inside the set's bounding box, widened by twice the distance, can be that close. Measuring
    # those alone, a few at a time until the first hit, keeps this fast: toys.distance_to_pareto_set
    # compares every point with 4001 points of the set.
    low, high = pareto_set.min(axis=0) - 2 * near_front, pareto_set.max(axis=0) + 2 * near_front
    candidates = np.flatnonzero(np.all((path >= low) & (path <= high), axis=1))
    if candidates.size == 0:
        return None
    for chunk in np.array_split(candidates, max(1, candidates.size // 16)):  # in order: stop at the first one
        near = chunk[toys.distance_to_pareto_set(path[chunk]) < near_front]
        if near.size:
            return int(near[0])
    return None


def paths_until_front(runs: BalancingLabRuns) -> tuple:
    """(paths, loss_paths), each {method: (S, n, 2)} like `runs.paths` / `runs.loss_paths`, but every run stops
    at its first recorded point within BALANCING_LAB["near_front"] of the Pareto set (the later points repeat
    it, so the end marker sits where the run first reached the front); a run that never gets there is whole.
    The lesson's stored figures draw these: where a run goes once it is on the front is exercise 07.2's answer."""
    paths, loss_paths = {}, {}
    for method in runs.paths:
        cut, cut_losses = np.array(runs.paths[method]), np.array(runs.loss_paths[method])
        for index, path in enumerate(runs.paths[method]):
            first = _first_near_front(path)
            if first is not None:
                cut[index, first:] = path[first]
                cut_losses[index, first:] = runs.loss_paths[method][index, first]
        paths[method], loss_paths[method] = _read_only(cut), _read_only(cut_losses)
    return paths, loss_paths


# Section 1's rule (g_t·d > 0: task t improves) is for a plain step. Lesson 07 checks what Adam's
# rescaled step does to it on the toy: MGDA, whose d helps both tasks at every step, run both ways.
PLAIN_VS_ADAM = {"method": "mgda", "steps": 50_000, "plain_lr": 1e-2, "adam_lr": 2e-3,
                 "near_front": 0.05, "check_every": 100}


@dataclass(frozen=True)
class StepPromiseCheck:
    """One toy run: how many steps of its approach to the front broke the direction's promise.

    reached_at: the first checked step within PLAIN_VS_ADAM["near_front"] of the Pareto set (None: not
    within the run); approach: the steps counted (before reached_at, or the whole run); broken: of those,
    the steps where d helped both tasks (min_t g_t·d > 0) but the step taken had g_t·s < 0 for one.
    """

    optimizer: str
    lr: float
    start: tuple
    reached_at: int | None
    approach: int
    broken: int
    end: tuple


def plain_vs_adam_toy() -> list[StepPromiseCheck]:
    """MGDA on the CAGrad toy from the three starts, with plain steps and with Adam (PLAIN_VS_ADAM):
    six StepPromiseChecks, plain runs first. About 1 s."""
    settings = PLAIN_VS_ADAM
    checks = []
    for optimizer, lr in (("plain", settings["plain_lr"]), ("adam", settings["adam_lr"])):
        for start in toys.TOY_STARTS.tolist():
            run = toys.toy_step_gains(settings["method"], start, settings["steps"], lr, optimizer)
            every = settings["check_every"]
            near = np.flatnonzero(toys.distance_to_pareto_set(run.path[::every]) < settings["near_front"])
            reached_at = int(near[0] * every) if near.size else None
            approach = settings["steps"] if reached_at is None else reached_at
            promised = run.direction_gains[:approach].min(axis=1) > 0
            broken = int(np.count_nonzero(promised & (run.step_gains[:approach].min(axis=1) < 0)))
            checks.append(StepPromiseCheck(optimizer, lr, tuple(start), reached_at, approach, broken,
                                           tuple(run.path[-1].tolist())))
    return checks


def toy_verdict(end, distance_to_front: float, distance_to_optimum: float) -> str:
    """Where a run on the toy ended, in a few words. end: (2,) the last point (x1, x2)."""
    x1, x2 = (float(v) for v in end)
    if distance_to_optimum < 0.01:
        return "average-loss optimum"
    if distance_to_front < 0.01:
        return f"Pareto front, x₁ = {round(x1, 2) + 0.0:+.2f}"  # + 0.0: no "-0.00"
    if distance_to_front < 0.1:
        return f"{distance_to_front:.3f} short of the front"
    # In a crease of a log loss, a or b (see toys) is nearly 0 and that loss's gradient ~ 1/a flips sign.
    a = -0.5 * x1 - 3.5 + np.tanh(x2)
    b = -0.5 * x1 + 3.5 - np.tanh(x2)
    if x2 > 0 and min(abs(a), abs(b)) < 0.05:
        return f"stuck in the crease of L{'₁' if abs(a) < abs(b) else '₂'}"
    return f"stopped {distance_to_front:.2f} from the front"


class ToyOutcome(NamedTuple):
    """Where one run ended: method, start (0-based), end (2,), distances to the Pareto set and to the
    average-loss optimum, and `toy_verdict` in words."""

    method: str
    start: int
    end: np.ndarray
    distance_to_front: float
    distance_to_optimum: float
    verdict: str


def toy_outcomes(runs: BalancingLabRuns, methods=None, start_indices=None) -> list:
    """A ToyOutcome per (method, start), methods in TOY_METHOD_LABELS order."""
    methods = list(TOY_METHOD_LABELS) if methods is None else _check_toy_methods(methods)
    start_indices = list(range(len(runs.starts)) if start_indices is None else start_indices)
    outcomes = []
    for method in methods:
        ends = runs.paths[method][start_indices, -1]
        to_front = toys.distance_to_pareto_set(ends)
        to_optimum = np.linalg.norm(ends - runs.optimum, axis=1)
        for index, end, d_front, d_optimum in zip(start_indices, ends, to_front, to_optimum):
            outcomes.append(ToyOutcome(method, int(index), end, float(d_front), float(d_optimum),
                                       toy_verdict(end, d_front, d_optimum)))
    return outcomes


def _check_toy_methods(methods) -> list:
    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ValueError("Pick at least one method to draw (Ctrl-click or ⌘-click picks several).")
    unknown = [m for m in methods if m not in TOY_METHOD_LABELS]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; choose from {list(TOY_METHOD_LABELS)}.")
    return [m for m in TOY_METHOD_LABELS if m in methods]  # drawing order = legend order


def _check_start(start) -> list:
    if isinstance(start, bool) or start not in (-1, 0, 1, 2):
        raise ValueError(f"start must be 0, 1 or 2 (one of the published starts) or -1 (all three), got {start!r}.")
    return [0, 1, 2] if start == -1 else [int(start)]


def plot_balancing_lab(runs: BalancingLabRuns, methods=("mean", "mgda", "pcgrad", "cagrad"),
                       start: int = -1) -> Figure:
    """Left: paths on the average-loss map with the Pareto set (black) and the average-loss optimum
    (star); right: the same paths in loss space with the Pareto front. Each path ends in its
    method's marker; white circles are the starts. start: 0, 1, 2, or -1 for all three."""
    methods = _check_toy_methods(methods)
    starts = _check_start(start)
    fig, (left, right) = new_figure((10.5, 4.6), ncols=2, margins=(0.065, 0.985, 0.21, 0.9))
    # A banded image looks like filled contours and draws in a fraction of the time.
    extent = (runs.grid_x1[0, 0], runs.grid_x1[0, -1], runs.grid_x2[0, 0], runs.grid_x2[-1, 0])
    left.imshow(runs.grid_average, origin="lower", extent=extent, cmap="viridis", aspect="auto",
                norm=BoundaryNorm(runs.levels, 256), interpolation="bilinear")
    left.plot(runs.pareto_set[:, 0], runs.pareto_set[:, 1], color="black", linewidth=3.0, label="Pareto set / front")
    right.plot(runs.pareto_front[:, 0], runs.pareto_front[:, 1], color="black", linewidth=3.0)
    left.plot(*runs.optimum, marker="*", markersize=14, color="white", markeredgecolor="black", linestyle="none",
              label="average-loss optimum")
    chosen = runs.starts[starts]
    left.plot(chosen[:, 0], chosen[:, 1], "o", color="white", markeredgecolor="black", markersize=8, label="start",
              linestyle="none")
    for method in methods:
        style = category_style(list(TOY_METHOD_LABELS).index(method))
        for number, index in enumerate(starts):
            for ax, path in ((left, runs.paths[method][index]), (right, runs.loss_paths[method][index])):
                label = TOY_METHOD_LABELS[method] if ax is left and number == 0 else None
                ax.plot(path[:, 0], path[:, 1], color=style["color"], linestyle=style["linestyle"], linewidth=2.0,
                        marker=style["marker"], markevery=[path.shape[0] - 1], markersize=8,
                        markeredgecolor="black", label=label)
        start_losses = runs.loss_paths[method][starts, 0]
        right.plot(start_losses[:, 0], start_losses[:, 1], "o", color="white", markeredgecolor="black", markersize=7,
                   linestyle="none")
    left.set_xlim(-10, 10)
    left.set_ylim(-10, 10)
    left.set_xlabel("x₁")
    left.set_ylabel("x₂")
    left.set_title("Paths on the average loss (darker = lower)", y=1.0, fontsize=10)
    right.set_xlabel("L₁")
    right.set_ylabel("L₂")
    right.set_title("The same paths in loss space", y=1.0, fontsize=10)
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=min(6, len(labels)), fontsize=8.5, frameon=False)
    which = "all three starts" if start == -1 else f"start {start + 1}"
    fig.suptitle(f"Balancing lab: the CAGrad toy from {which}, Adam lr {runs.lr:.3g}, {runs.steps:,} steps",
                 fontsize=10.5)
    return fig


def toy_outcome_table_html(outcomes: list) -> str:
    """The outcomes as a small HTML table (one row per method, one column per start) for the explorer."""
    starts = sorted({o.start for o in outcomes})
    rows = {}
    for outcome in outcomes:
        rows.setdefault(outcome.method, {})[outcome.start] = outcome
    header = "".join(f"<th style='padding:0 0.8em'>start {s + 1}: {_point_text(toys.TOY_STARTS[s])}</th>"
                     for s in starts)
    body = "".join(
        f"<tr><td><b>{html.escape(TOY_METHOD_LABELS[method])}</b></td>"
        + "".join(f"<td style='padding:0 0.8em'>{html.escape(cells[s].verdict)} {_point_text(cells[s].end)}</td>"
                  for s in starts) + "</tr>"
        for method, cells in rows.items())
    return f"<b>Where each run ended</b><table><tr><th></th>{header}</tr>{body}</table>"


def _point_text(point) -> str:
    # round(...) + 0.0 turns -0.00 into 0.00, so a run ending at -1e-14 prints like one ending at +1e-14.
    return "(" + ", ".join(f"{round(float(v), 2) + 0.0:.2f}" for v in point) + ")"


def balancing_lab_explorer_update(methods=("mean", "mgda", "pcgrad", "cagrad"), start: int = -1,
                                  runs: BalancingLabRuns | None = None, progress=None) -> Figure:
    """Lesson 07: draw the chosen methods' precomputed paths from the chosen start(s).

    runs: the result of `balancing_lab_runs()` (computed once, and cached, when not given).
    """
    methods = _check_toy_methods(methods)
    _check_start(start)
    if runs is None:
        runs = balancing_lab_runs(progress=progress)
    return plot_balancing_lab(runs, methods, start)


def balancing_lab_explorer(runs: BalancingLabRuns | None = None, **initial) -> Explorer:
    """Pick methods and a starting point: their paths on the toy, in loss space, and a table of where
    each run ended. runs: from `balancing_lab_runs()`; pass it so the explorer only draws."""
    values = initial_values("balancing_lab", initial)
    controls = {  # the dropdown first: the generic widget and browser tests nudge the first control
        "start": dropdown("start", list(TOY_START_CHOICES.items()), values["start"]),
        "methods": widgets.SelectMultiple(options=[(label, key) for key, label in TOY_METHOD_LABELS.items()],
                                          value=tuple(values["methods"]), rows=len(TOY_METHOD_LABELS),
                                          description="methods", style=control_style()),
    }
    table = widgets.HTML()

    def update(start, methods, progress=None):
        table.value = ""
        figure = balancing_lab_explorer_update(methods, start, runs=runs, progress=progress)
        shown = runs if runs is not None else balancing_lab_runs()
        table.value = toy_outcome_table_html(toy_outcomes(shown, methods, _check_start(start)))
        return figure

    explorer = Explorer(update, controls, title="Balancing lab: who reaches the Pareto front, and where?",
                        help_text="Ctrl-click (⌘-click) picks several methods. The paths were computed once; "
                                  "the explorer only draws them.", reports_progress=True)
    explorer.outcome_table = table
    explorer.children = explorer.children + (table,)
    return explorer


register_explorer("balancing_lab", balancing_lab_explorer_update, ("start", "methods"), balancing_lab_explorer)


# Lesson 07's static figure of what each method does to two task gradients.

def two_task_directions(G, c: float = 0.5, rng_seed: int = 0) -> dict:
    """{label: d (2,)} every aggregator's direction for one two-task, two-parameter G (2, 2).

    GradDrop is random: its entry is a (K, 2) array of its possible directions, one per sign choice
    that has a non-zero chance, with their probabilities in the entry "GradDrop probabilities".
    Keys follow TOY_METHOD_LABELS.
    """
    G = np.asarray(G, dtype=float)
    if G.shape != (2, 2):
        raise ValueError(f"two_task_directions: G must be (2, 2), two tasks by two parameters, got {G.shape}")
    rng = np.random.default_rng(rng_seed)
    directions = {}
    for method, label in TOY_METHOD_LABELS.items():
        if method == "graddrop":
            continue
        hyper = {"c": c} if method == "cagrad" else {}
        directions[label] = aggregators.aggregate(method, G, rng=rng, **hyper)
    # GradDrop keeps, per coordinate, the positive parts with probability P = (1 + Σg / Σ|g|) / 2.
    total, magnitude = G.sum(axis=0), np.abs(G).sum(axis=0)
    purity = 0.5 * (1.0 + np.divide(total, magnitude, out=np.zeros(2), where=magnitude > 0))
    outcomes, chances = [], []
    for keep_first in (True, False):
        for keep_second in (True, False):
            chance = (purity[0] if keep_first else 1 - purity[0]) * (purity[1] if keep_second else 1 - purity[1])
            if chance > 1e-12:
                keep = np.array([keep_first, keep_second])
                mask = np.where(keep, G > 0, G < 0)
                outcomes.append((G * mask).mean(axis=0))
                chances.append(chance)
    directions[TOY_METHOD_LABELS["graddrop"]] = np.array(outcomes)
    directions["GradDrop probabilities"] = np.array(chances)
    return directions


def _arrow(ax, vector, colour, linewidth: float = 2.0, alpha: float = 1.0) -> None:
    """An arrow from the origin to `vector`."""
    ax.annotate("", xy=(float(vector[0]), float(vector[1])), xytext=(0.0, 0.0),
                arrowprops=dict(arrowstyle="-|>", color=colour, lw=linewidth, alpha=alpha, shrinkA=0, shrinkB=0,
                                mutation_scale=12))


def _gains_text(G: np.ndarray, d: np.ndarray) -> str:
    """"g₁·d = 1.02, g₂·d = 0.00": each task's first-order gain (+ 0.0 keeps "-0.00" from showing)."""
    return ", ".join(f"g{sub}·d = {round(float(v), 2) + 0.0:.2f}" for sub, v in zip("₁₂", G @ d))


def plot_two_task_directions(G, methods=None, title: str = "What each method does with two conflicting gradients",
                             c: float = 0.5, n_random_weights: int = 25, rng_seed: int = 0) -> Figure:
    """One panel per method: the task gradients g₁ (blue) and g₂ (orange) and the update d (black).

    Each panel prints g₁·d and g₂·d: a small step x ← x − η d changes L_t by about −η g_t·d, so a
    negative value means that task's loss goes up. The "loss weighting" panel: any weights w ≥ 0 give
    d = w₁g₁ + w₂g₂ inside the grey cone, whatever the angle between g₁ and g₂; its dots are
    random-loss-weighting draws w = softmax(ε) (Lin et al. 2022, TMLR), which sum to 1.
    G: (2, 2) rows g₁, g₂. methods: keys of TOY_METHOD_LABELS and/or "loss weighting" (default: all);
    an empty tuple draws the two gradients alone.
    """
    G = np.asarray(G, dtype=float)
    directions = two_task_directions(G, c=c, rng_seed=rng_seed)
    chances = directions.pop("GradDrop probabilities")
    keys = list(TOY_METHOD_LABELS) + ["loss weighting"] if methods is None else list(methods)
    unknown = [k for k in keys if k not in TOY_METHOD_LABELS and k != "loss weighting"]
    if unknown:
        raise ValueError(f"plot_two_task_directions: unknown methods {unknown}; use keys of TOY_METHOD_LABELS "
                         "or 'loss weighting'")
    panels = [(k, None if k == "loss weighting" else directions[TOY_METHOD_LABELS[k]]) for k in keys] or [("", None)]
    ncols = min(5, len(panels))
    nrows = -(-len(panels) // ncols)
    # A lone panel (the gradients alone) gets more room; equal axis scales leave it wider than tall.
    width, height = (2.2 * ncols + 0.3, 2.5 * nrows + 0.5) if len(panels) > 1 else (4.2, 3.6)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=FIGURE_DPI, sharex=True, sharey=True,
                             squeeze=False)
    plt.close(fig)
    fig.subplots_adjust(left=0.3 / width + 0.05, right=0.99, bottom=0.55 / height + 0.02,
                        top=1 - (0.75 if len(panels) > 1 else 0.45) / height, wspace=0.08, hspace=0.45)
    drawn = [G] + [np.atleast_2d(d) for k, d in panels if d is not None]
    span = 1.15 * float(max(np.abs(a).max() for a in drawn))
    blue, orange = category_style(0)["color"], category_style(1)["color"]
    for ax, (key, d) in zip(axes.ravel(), panels):
        ax.axhline(0, color="0.85", linewidth=0.8)
        ax.axvline(0, color="0.85", linewidth=0.8)
        _arrow(ax, G[0], blue, linewidth=2.5)
        _arrow(ax, G[1], orange, linewidth=2.5)
        ax.text(*(G[0] * 1.06), "g₁", color=blue, fontsize=11, ha="center", va="bottom")
        ax.text(*(G[1] * 1.06), "g₂", color=orange, fontsize=11, ha="center", va="bottom")
        if key == "loss weighting":
            ax.fill([0, G[0, 0] * 4, G[1, 0] * 4], [0, G[0, 1] * 4, G[1, 1] * 4], color="0.6", alpha=0.25)
            weights = np.exp(np.random.default_rng(rng_seed).standard_normal((n_random_weights, 2)))
            points = (weights / weights.sum(axis=1, keepdims=True)) @ G
            ax.plot(points[:, 0], points[:, 1], "o", color="black", markersize=3)
            ax.set_title("loss weighting\ndots: RLW; grey: any w ≥ 0", fontsize=9, y=1.0)
        elif key == "graddrop":  # its possible directions, darker = more likely
            for outcome, chance in zip(d, chances):
                _arrow(ax, outcome, "black", linewidth=2.5, alpha=0.25 + 0.75 * chance)
            ax.set_title(f"GradDrop (random)\non average {_gains_text(G, chances @ d)}", fontsize=9, y=1.0)
        elif d is not None:
            _arrow(ax, d, "black", linewidth=3.0)
            ax.set_title(f"{TOY_METHOD_LABELS[key]}\n{_gains_text(G, d)}", fontsize=9, y=1.0)
        ax.set_xlim(-span, span)
        ax.set_ylim(-0.5 * span, span)
        ax.set_aspect("equal", adjustable="box")
    for ax in axes[-1]:
        ax.set_xlabel("parameter 1")
    for ax in axes[:, 0]:
        ax.set_ylabel("parameter 2")
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    return fig


# Lesson 07 on a network: two related tasks whose losses live on different scales.

SCALE_MISMATCH = {
    "n_train": 200, "n_test": 2000, "n_features": 10, "rho": 0.9, "noise": 0.3, "data_seed": 0,
    "value_scale": 10.0,  # the regression target in other units: its MSE is ~100x the label's cross-entropy
    "hidden_sizes": (32, 16), "branch_depth": 1, "steps": 200, "lr": 0.01, "record_every": 10,
}
NETWORK_METHOD_LABELS = {
    "equal": "equal weights", "uncertainty": "uncertainty", "dwa": "DWA", "gradnorm": "GradNorm", "rlw": "RLW",
    "famo": "FAMO", "mgda": "MGDA", "pcgrad": "PCGrad", "cagrad": "CAGrad", "imtl_g": "IMTL-G",
    "nash_mtl": "Nash-MTL", "aligned_mtl": "Aligned-MTL", "graddrop": "GradDrop",
}
"""The balancers compared on the network, in table order: loss-based first, then gradient-based."""
LOSS_BASED_METHODS = ("equal", "uncertainty", "dwa", "gradnorm", "rlw", "famo")


class ScaleMismatchData(NamedTuple):
    """Train and test sets of the two lesson-07 tasks. targets: (value (n,) float, label (n,) int);
    tasks: (Task "value" regression, Task "label" binary); losses: ("mse", "bce")."""

    X_train: np.ndarray
    targets_train: tuple
    X_test: np.ndarray
    targets_test: tuple
    tasks: tuple
    losses: tuple


@functools.lru_cache(maxsize=2)
def scale_mismatch_data(data_seed: int | None = None) -> ScaleMismatchData:
    """Two related tasks from `datasets.make_related_tasks` (rho 0.9, noise 0.3): a regression target
    "value" multiplied by SCALE_MISMATCH["value_scale"] = 10 (as if measured in other units), and a
    binary "label". Read-only arrays."""
    setup = SCALE_MISMATCH
    seed = setup["data_seed"] if data_seed is None else data_seed
    data = datasets.make_related_tasks(setup["n_train"], setup["rho"], rng=seed, n_features=setup["n_features"],
                                       noise=setup["noise"], task_types=("regression", "classification"))
    test = data.teacher.sample(setup["n_test"], rng=seed + 100)
    scale = setup["value_scale"]
    arrays = [data.X, data.targets[0] * scale, data.targets[1], test.X, test.targets[0] * scale, test.targets[1]]
    for array in arrays:
        array.setflags(write=False)
    tasks = (multitask.Task("value", "regression"), multitask.Task("label", "binary"))
    return ScaleMismatchData(arrays[0], (arrays[1], arrays[2]), arrays[3], (arrays[4], arrays[5]), tasks,
                             ("mse", "bce"))


class NetworkRun(NamedTuple):
    """One trained network. test_metrics: (2,) RMSE of "value" (lower is better) and accuracy of
    "label" (higher is better) on the test set; steps (S,), weights (S, 2) and task_losses (S, 2):
    the task weights the method used and the training losses, every record_every steps."""

    method: str
    seed: int
    test_metrics: np.ndarray
    steps: np.ndarray
    weights: np.ndarray
    task_losses: np.ndarray


def _network_balancer(method: str, seed: int):
    if method in ("equal", "stl"):
        return None
    options = {"kinds": ("regression", "classification")} if method == "uncertainty" else {}
    if method == "cagrad":
        options = {"c": 0.5}
    return balancers.make_balancer(method, 2, rng=np.random.default_rng(seed), **options)


def balancing_network_run(method: str, seed: int = 0) -> NetworkRun:
    """Train `HardSharingNet(10, [32, 16], (value, label), branch_depth=1)` on `scale_mismatch_data()`
    with one balancer and score it on the test set.

    method: a key of NETWORK_METHOD_LABELS, or "stl": branch_depth = 0, two separate networks of the
    same per-task size (the single-task baselines). "equal" is the plain sum L_value + L_label. The
    rest use `balancers.make_balancer` with the defaults of their papers (CAGrad c = 0.5; GradNorm
    alpha = 1.5; DWA temperature 2 with one full-batch step as its "epoch"). Training: Adam, lr 0.01,
    200 full-batch steps (SCALE_MISMATCH); seed sets the initial weights (and RLW's, PCGrad's and
    GradDrop's random draws). About 0.1 s.
    """
    if method != "stl" and method not in NETWORK_METHOD_LABELS:
        raise ValueError(f"Unknown method {method!r}; choose 'stl' or one of {list(NETWORK_METHOD_LABELS)}.")
    setup = SCALE_MISMATCH
    data = scale_mismatch_data()
    model = multitask.HardSharingNet(data.X_train.shape[1], list(setup["hidden_sizes"]), list(data.tasks),
                                     branch_depth=0 if method == "stl" else setup["branch_depth"], rng=seed)
    history = train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses),
                                  balancer=_network_balancer(method, seed), optimizer="adam", lr=setup["lr"],
                                  steps=setup["steps"], record_every=setup["record_every"], progress=False)
    with no_grad():
        outputs = model(data.X_test)
    metrics = np.array([multitask.task_metric(task, out, target)
                        for task, out, target in zip(data.tasks, outputs, data.targets_test)])
    return NetworkRun(method, seed, metrics, np.asarray(history.steps), np.asarray(history.weights, dtype=float),
                      np.asarray(history.task_losses, dtype=float))


NETWORK_SEEDS = tuple(range(10))
"""The seeds of lesson 07's network comparison: every row is trained on each, as one batch."""
NETWORK_BASELINES = {
    "stl": "single-task (STL)",
    "stl_early": "STL, early-stopped",
    "equal_standardised": "equal weights, value standardised",
}
"""The comparison's extra rows: the single-task networks (the reference of Δm%), the same networks
stopped at their best validation step (per task), and equal weights after standardising the value
target with its training mean and standard deviation (lesson 06's fix for a loss-scale mismatch)."""


class NetworkComparison(NamedTuple):
    """Every row of lesson 07's network comparison on the same seeds.

    rows: row keys in table order (NETWORK_BASELINES, then NETWORK_METHOD_LABELS); seeds: (S,).
    test_metrics: {row: (S, 2) value RMSE (original units) and label accuracy on the test set};
    train_value_mse: {row: (S,) the value task's training MSE at the end (original units)};
    delta_m: {row: (S,) Δm% against the STL network of the same seed (lower is better)};
    steps: (K,) recorded steps; weights: {row: (K, S, 2) task weights used} (not for STL rows).
    """

    rows: tuple
    seeds: tuple
    test_metrics: dict
    train_value_mse: dict
    delta_m: dict
    steps: np.ndarray
    weights: dict


@functools.lru_cache(maxsize=2)
def scale_mismatch_validation(data_seed: int | None = None) -> tuple:
    """(X_val, (value, label)): 200 fresh examples from the same teacher as `scale_mismatch_data`
    (value × 10 as there), for choosing an early-stopping step. Read-only arrays."""
    setup = SCALE_MISMATCH
    seed = setup["data_seed"] if data_seed is None else data_seed
    data = datasets.make_related_tasks(setup["n_train"], setup["rho"], rng=seed, n_features=setup["n_features"],
                                       noise=setup["noise"], task_types=("regression", "classification"))
    validation = data.teacher.sample(200, rng=seed + 200)
    arrays = [validation.X, validation.targets[0] * setup["value_scale"], validation.targets[1]]
    for array in arrays:
        array.setflags(write=False)
    return arrays[0], (arrays[1], arrays[2])


def _metrics_of(model, X, targets, tasks, value_scale: float = 1.0, value_offset: float = 0.0) -> np.ndarray:
    with no_grad():
        outputs = model(X)
    value = outputs[0].data * value_scale + value_offset
    return np.array([multitask.task_metric(tasks[0], value, targets[0]),
                     multitask.task_metric(tasks[1], outputs[1], targets[1])])


@functools.lru_cache(maxsize=1)
def balancing_network_comparison() -> NetworkComparison:
    """Train every row of lesson 07's network comparison on NETWORK_SEEDS, each row's 10 networks as one
    batch (`train.fit_multitask_models`; the same runs as `balancing_network_run(method, seed)`).

    The early-stopped STL row takes each STL network at the recorded step (every 10) with the best
    validation metric of each task on `scale_mismatch_validation()` (RMSE lowest, accuracy highest),
    a checkpoint per task. About 10 s; cached.
    """
    setup = SCALE_MISMATCH
    data = scale_mismatch_data()
    X_val, targets_val = scale_mismatch_validation()
    seeds = NETWORK_SEEDS
    value_mean = float(np.mean(data.targets_train[0]))
    value_std = float(np.std(data.targets_train[0]))
    rows = tuple(NETWORK_BASELINES) + tuple(NETWORK_METHOD_LABELS)
    test_metrics, train_mse, weights, steps = {}, {}, {}, None
    curves = {}  # STL: per recorded step (K, S, 2) validation and test metrics

    def stl_curves(batch, step):
        nets = batch.network
        with no_grad():
            val_out, test_out = nets(X_val), nets(data.X_test)
        per_model = []
        for s in range(batch.size):
            per_model.append([np.array([multitask.task_metric(task, out.data[s], target)
                                        for task, out, target in zip(data.tasks, outputs, targets)])
                              for outputs, targets in ((val_out, targets_val), (test_out, data.targets_test))])
        return per_model

    for row in rows:
        if row == "stl_early":
            continue
        branch_depth = 0 if row == "stl" else setup["branch_depth"]
        nets = [multitask.HardSharingNet(data.X_train.shape[1], list(setup["hidden_sizes"]), list(data.tasks),
                                         branch_depth=branch_depth, rng=seed) for seed in seeds]
        method = "equal" if row in ("stl", "equal_standardised") else row
        balancers = None if method == "equal" else [_network_balancer(method, seed) for seed in seeds]
        value_scale, value_offset = (value_std, value_mean) if row == "equal_standardised" else (1.0, 0.0)
        targets = [(np.asarray(data.targets_train[0]) - value_offset) / value_scale, data.targets_train[1]]
        history = train.fit_multitask_models(nets, data.X_train, targets, data.losses, balancers=balancers,
                                             optimizer="adam", lr=setup["lr"], steps=setup["steps"],
                                             record_every=setup["record_every"],
                                             probes={"curves": stl_curves} if row == "stl" else ())
        steps = np.asarray(history.steps)
        if row == "stl":
            curves = np.array(history.probes["curves"])  # (K, S, 2 splits, 2 tasks)
        else:
            weights[row] = history.weights
        test_metrics[row] = np.array([_metrics_of(net, data.X_test, data.targets_test, data.tasks, value_scale,
                                                  value_offset) for net in nets])
        train_mse[row] = np.array([_metrics_of(net, data.X_train, data.targets_train, data.tasks, value_scale,
                                               value_offset)[0] ** 2 for net in nets])
    better = np.array([multitask.higher_is_better(task) for task in data.tasks])
    validation = np.where(better, -curves[:, :, 0], curves[:, :, 0])  # (K, S, 2), lower is better
    best = validation.argmin(axis=0)  # (S, 2) the recorded step with the best validation metric
    test_metrics["stl_early"] = np.array([[curves[best[s, t], s, 1, t] for t in range(2)] for s in range(len(seeds))])
    train_mse["stl_early"] = np.full(len(seeds), np.nan)
    delta_m = {row: np.array([multitask.delta_m(m, stl, better) for m, stl in zip(test_metrics[row], test_metrics["stl"])])
               for row in rows}
    for table in (test_metrics, train_mse, delta_m):
        for array in table.values():
            array.setflags(write=False)
    return NetworkComparison(rows=rows, seeds=seeds, test_metrics=test_metrics, train_value_mse=train_mse,
                             delta_m=delta_m, steps=steps, weights=weights)


def plot_weight_ratios(runs: dict, title: str = "How each method weighs the two tasks during training",
                       floor: float = 1e-6) -> Figure:
    """w_value / w_label over training, one line per method, on a log axis; loss-based methods on the
    left, gradient-based ones on the right. runs: {method: NetworkRun}. For gradient-based methods the
    weights are the effective ones (the least-squares w with Gᵀw = d, see balancers.GradientAggregation).
    Ratios below `floor` (MGDA's is 0 up to round-off while it follows one task alone) are drawn at the
    floor, and ratios ≤ 0 left out; a note says how many.
    """
    if not runs:
        raise ValueError("plot_weight_ratios: runs is empty")
    fig, (left, right) = new_figure((10.5, 4.2), ncols=2, margins=(0.08, 0.98, 0.14, 0.87))
    at_floor = 0
    for index, (method, run) in enumerate(runs.items()):
        ax = left if method in LOSS_BASED_METHODS else right
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = run.weights[:, 0] / run.weights[:, 1]
        shown = np.where(np.isfinite(ratio), np.maximum(ratio, floor), np.nan)
        at_floor += int(np.sum(np.isfinite(ratio) & (ratio < floor)))
        ax.plot(run.steps, shown, label=NETWORK_METHOD_LABELS.get(method, method), linewidth=1.8,
                markevery=max(1, len(run.steps) // 6), markersize=5, **category_style(index))
    for ax, family in ((left, "loss-based"), (right, "gradient-based")):
        ax.set_yscale("log")
        ax.set_ylim(floor / 2, 50.0)
        plain_log_ticks(ax.yaxis, step=1)
        ax.axhline(1.0, color="0.4", linewidth=1.0, linestyle=":")
        ax.set_xlabel("training step")
        ax.set_ylabel("w_value / w_label (log scale)")
        ax.set_title(f"{family} methods", y=1.0, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7.5, ncols=2, loc="lower left", framealpha=0.9)
    if at_floor:
        right.text(0.98, 0.97, f"{at_floor} recorded ratio(s) below {floor:.0e} (or ≤ 0) drawn at {floor:.0e}",
                   transform=right.transAxes, ha="right", va="top", fontsize=7.5)
    fig.suptitle(title, fontsize=11)
    return fig

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# (g1, g2, what the case tests): chosen so that each typical slip fails at least one of them.
_TWO_TASK_CASES = (
    (np.array([3.0, 0.5]), np.array([-1.0, 1.2]), "two conflicting gradients (g₁·g₂ < 0)"),
    (np.array([1.0, 0.0]), np.array([3.0, 0.5]), "g₂ much longer than g₁, angle about 10°"),
    (np.array([0.5, 2.0]), np.array([0.5, 2.0]), "two identical gradients"),
    (np.array([1.0, 0.0]), np.array([-2.0, 0.0]), "two exactly opposite gradients"),
    (np.array([0.3, -1.2, 2.0, 0.7, -0.4]), np.array([-0.9, 0.8, -1.1, 0.2, 1.5]), "5 parameters, conflicting"),
    (np.array([0.0, 0.0]), np.array([1.0, 2.0]), "g₁ = 0 (task 1 has no direction)"),
)


def _two_task_answer(function, g1: np.ndarray, g2: np.ndarray, name: str, what: str) -> np.ndarray:
    """Call the learner's function(g1, g2) on copies and return its d, checking shape and finiteness."""
    a, b = g1.copy(), g2.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        d = call_learner(function, a, b, description=f"{name}(g1, g2) for {what}")
    if not (np.array_equal(a, g1) and np.array_equal(b, g2)):
        fail(f"{name} changed the gradients it was given (for {what}); compute new arrays instead.")
    try:
        finite = bool(np.all(np.isfinite(np.asarray(d, dtype=float))))
    except (TypeError, ValueError):
        finite = True  # not numbers at all: as_array below says so
    if not finite and not (np.any(g1) and np.any(g2)):
        fail(f"{name}(g1, g2) returned inf/NaN for {what}: a zero gradient has no direction, so g/‖g‖ divides "
             "by 0. That task has nothing to say about the direction: return the other gradient.")
    return as_array(d, g1.shape, f"{name}(g1, g2) for {what}")


def _vector_text(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{round(float(x), 4) + 0.0:.4g}" for x in v) + ")"


@contextlib.contextmanager
def _without_package_imtl_g(learner_function):
    """While the learner's imtl_g_two runs, the package's IMTL-G refuses to run by any route: the functions
    (and Nash-MTL, whose two-task direction is the same), `aggregate` / `get_aggregator` / `two_task_direction`,
    and the AGGREGATORS table those look names up in."""
    table = aggregators.AGGREGATORS
    saved = {name: table[name] for name in ("imtl_g", "nash_mtl")}

    def refuse(*args, **kwargs):
        fail("your function called mtl_edu's own IMTL-G (through aggregators.AGGREGATORS); the exercise asks you "
             "to write that part yourself.")

    with without_library(learner_function, aggregators.imtl_g, aggregators.imtl_g_weights, aggregators.nash_mtl,
                         aggregators.aggregate, aggregators.get_aggregator, aggregators.two_task_direction):
        table.update({name: refuse for name in saved})
        try:
            yield
        finally:
            table.update(saved)


@exercise_checker
def check_imtl_g_two_tasks(imtl_g_two) -> None:
    """Exercise 07.1 (build): `imtl_g_two(g1, g2)` returns IMTL-G's d = α₁g₁ + α₂g₂ with α₁ + α₂ = 1 and equal
    projections on the unit gradients, d·u₁ = d·u₂ (Liu et al. 2021, ICLR); a zero gradient gets weight 0.
    g1, g2: (P,) each; compared with `aggregators.imtl_g`, which refuses to run while the learner's function does."""
    for g1, g2, what in _TWO_TASK_CASES:
        expected = aggregators.imtl_g(np.stack([g1, g2]))
        with _without_package_imtl_g(imtl_g_two):
            got = _two_task_answer(imtl_g_two, g1, g2, "imtl_g_two", what)
        scale = max(float(np.abs(np.stack([g1, g2])).max()), 1.0)
        if np.allclose(got, expected, rtol=1e-9, atol=1e-9 * scale):
            continue
        where = (f"for {what}, g₁ = {_vector_text(g1)}, g₂ = {_vector_text(g2)}: "
                 f"expected d = {_vector_text(expected)}, got {_vector_text(got)}")
        close = lambda a, b: np.allclose(a, b, rtol=1e-9, atol=1e-12 * scale)  # noqa: E731
        n1, n2 = float(np.linalg.norm(g1)), float(np.linalg.norm(g2))
        if n1 > 0 and n2 > 0:
            projections = f"d·u₁ = {got @ g1 / n1:.4g}, d·u₂ = {got @ g2 / n2:.4g}"
            if close(got, (n1 * g1 + n2 * g2) / (n1 + n2)):
                fail(f"{where}. You weighted each gradient by its own length, which leans toward the longer one "
                     f"({projections}, not equal). Which weights make the lengths cancel out of the direction?")
            if close(got, 0.5 * (g1 + g2)):
                fail(f"{where}. That is the mean, which leans toward the longer gradient ({projections}).")
            expected_length = float(np.linalg.norm(expected))
            length = float(np.linalg.norm(got))
            if expected_length > 0 and length > 0 and abs(got @ expected / (length * expected_length) - 1) < 1e-9:
                fail(f"{where}. Your d points the right way, along u₁ + u₂, but has the wrong length: write it as "
                     "α₁g₁ + α₂g₂ with α₁ + α₂ = 1, so that two identical gradients g give d = g.")
        fail(f"{where}.")
    passed(f"imtl_g_two agrees with IMTL-G to within 1e-9 on {len(_TWO_TASK_CASES)} cases (conflicting, "
           "nearly aligned, identical, exactly opposite, 5 parameters, one zero gradient).")


# ---- exercise 07.2: which methods stop on the Pareto front ------------------------------------------------

def pareto_exercise_gradients() -> tuple:
    """(point (2,), G (2, 2)): a point of the CAGrad toy's Pareto set (x₁ = 3) and the two task
    gradients there (rows g₁, g₂), the picture of exercise 07.2."""
    points, _ = toys.pareto_front_toy(15)  # x1 = -7, -6, ..., 7
    point = points[10]
    return point, toys.cagrad_toy(point)[1]


PARETO_MEASURE_X1 = (3.0, -5.0)
"""Exercise 07.2 measures every update at the Pareto points with these x₁ (the exercise's and one on the
other side of the middle, where the longer gradient is the other task's)."""

# Why each method stops or moves where the two gradients are opposite (g₂ = −k·g₁, k ≠ 1): what a
# learner who misjudged it is told after the measurement.
_STOP_REASONS = {
    "mean": "the mean of two opposite gradients of different lengths is half their difference, not 0: the "
            "longer one wins",
    "mgda": "the segment between two opposite gradients passes through 0, and 0 is the shortest vector there is",
    "pcgrad": "projecting a gradient off the exactly opposite one removes all of it, for both tasks",
    "cagrad": "CAGrad stays within c‖g₀‖ of the mean gradient g₀, which is not 0 here, so d cannot be 0 either",
    "imtl_g": "IMTL-G points along u₁ + u₂, and two opposite unit vectors add up to 0",
    "nash_mtl": "for two tasks Nash-MTL also points along u₁ + u₂, which is 0 for opposite gradients",
    "aligned_mtl": "two opposite gradients have a single principal component; Aligned-MTL's rank rule drops the "
                   "vanishing one, and what is left is the mean's direction and length",
    "graddrop": "GradDrop's expected update is the mean, which is not 0 here (a single step keeps one sign per "
                "coordinate and moves even more)",
}


def pareto_update_sizes() -> tuple:
    """(points (K, 2), sizes {method: (K,)}, zero {method: (K,) bool}) at the K Pareto points with x₁ in
    PARETO_MEASURE_X1: ‖d‖ of each toy method there (CAGrad c = 0.5; for GradDrop its expected update, the
    mean), and whether it is zero (below 1e-9·‖G‖)."""
    front, _ = toys.pareto_front_toy(15)  # x1 = -7, -6, ..., 7
    points = np.array([front[int(round(x1)) + 7] for x1 in PARETO_MEASURE_X1])
    sizes, zero = {}, {}
    for method in toys.FAST_TOY_METHODS:
        values, flags = [], []
        for point in points:
            G = toys.cagrad_toy(point)[1]
            if method == "graddrop":  # random: its expected d, over its random sign choices, is the mean
                d = aggregators.mean(G)
            else:
                d = aggregators.aggregate(method, G, **({"c": BALANCING_LAB["c"]} if method == "cagrad" else {}))
            values.append(float(np.linalg.norm(d)))
            flags.append(values[-1] < 1e-9 * float(np.linalg.norm(G)))
        sizes[method], zero[method] = np.array(values), np.array(flags)
    return points, sizes, zero


def _pareto_measurement_lines() -> list:
    """The measuring cell's table of exercise 07.2, one line per method (what answer_texts scans for)."""
    points, sizes, zero = pareto_update_sizes()
    lines = []
    for method in toys.FAST_TOY_METHODS:
        cells = "".join(f"{'0' if z else f'{s:.2g}':>12s}" for s, z in zip(sizes[method], zero[method]))
        verdict = "stops" if zero[method].all() else "moves"
        label = TOY_METHOD_LABELS[method] + (" (expected)" if method == "graddrop" else "")
        lines.append(f"{label:22s}{cells}   {verdict}")
    return lines


_METHOD_ALIASES = {name.replace("_", ""): name for name in toys.FAST_TOY_METHODS}


def _method_key(name) -> str | None:
    if not isinstance(name, str):
        return None
    return _METHOD_ALIASES.get(name.lower().replace("-", "").replace("_", "").replace(" ", ""))


def _method_set(answer, description: str) -> set:
    """A learner's collection of method names as a set of FAST_TOY_METHODS keys, or a precise complaint."""
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        fail(f"{description} should be a set (or list) of method names, e.g. {{'mean', 'cagrad'}}; got "
             f"{type(answer).__name__} {answer!r}")
    names = list(answer)
    keys = [_method_key(name) for name in names]
    unknown = [name for name, key in zip(names, keys) if key is None]
    if unknown:
        fail(f"{description}: unknown method name(s) {unknown}; use these: {', '.join(toys.FAST_TOY_METHODS)}")
    return set(keys)


def measure_pareto_stoppers(predict_stoppers) -> None:
    """Exercise 07.2 (predict, then measure): after the learner named the methods whose update vanishes at
    a Pareto point, measure ‖d‖ of every method at two Pareto points and compare. Never raises for a wrong
    prediction; a prediction of the wrong form (not a set of known names) is an ExerciseError."""
    prediction = committed_prediction(predict_stoppers, "your prediction function")
    if prediction is None:
        return
    predicted = _method_set(prediction, "your predicted stoppers")
    points, _, zero = pareto_update_sizes()
    stoppers = {method for method in toys.FAST_TOY_METHODS if zero[method].all()}
    header = "".join(f"{f'x₁ = {x1:+.0f}':>12s}" for x1, _ in points)
    print("Measured ‖d‖ at two points of the Pareto set, where g₁ and g₂ are exactly opposite:")
    print(f"{'method':22s}{header}")
    for line in _pareto_measurement_lines():
        print(line)
    wrongly_in = [m for m in toys.FAST_TOY_METHODS if m in predicted - stoppers]
    left_out = [m for m in toys.FAST_TOY_METHODS if m in stoppers - predicted]
    if not wrongly_in and not left_out:
        print("✓ Close: you told every method that stops from every one that keeps moving.")
        return
    print(f"Your prediction has {len(wrongly_in) + len(left_out)} of the 8 methods wrong: "
          f"{len(wrongly_in)} named as stopping that keep moving, {len(left_out)} left out that stop.")
    for method in wrongly_in + left_out:
        print(f"- {TOY_METHOD_LABELS[method]} {'moves' if method in wrongly_in else 'stops'}: {_STOP_REASONS[method]}.")
    print("A method whose d vanishes on the front stops at the first Pareto point it reaches; the others "
          "keep sliding along it. The next cells show where that takes each run.")


_TOY_ENDINGS_HEADER = (f"{'method':17s} {'start':12s}   {'front at x₁':>11s}   {'end (x1, x2)':16s}  {'to front':>8s}  "
                       f"{'to optimum':>10s}   verdict")


def _toy_endings_lines(runs: BalancingLabRuns) -> list:
    """The rows `toy_endings` prints, one per (method, start): where the run first came within
    BALANCING_LAB["near_front"] of the Pareto set ("never" if it did not), where it ended, and the verdict."""
    lines = []
    for outcome in toy_outcomes(runs):
        path = runs.paths[outcome.method][outcome.start]
        first = _first_near_front(path)
        arrived = "never" if first is None else f"{round(float(path[first, 0]), 2) + 0.0:+.2f}"
        start = runs.starts[outcome.start]
        x1, x2 = (round(float(v), 2) + 0.0 for v in outcome.end)  # + 0.0: print 0.00, never -0.00
        lines.append(f"{TOY_METHOD_LABELS[outcome.method]:17s} ({start[0]:+.1f}, {start[1]:+.1f})   {arrived:>11s}   "
                     f"({x1:+6.2f}, {x2:+6.2f})  {outcome.distance_to_front:8.3f}  {outcome.distance_to_optimum:10.3f}"
                     f"   {outcome.verdict}")
    return lines


# What the table of `toy_endings` shows, method by method (tests/test_lesson07.py checks each against the runs).
_TOY_ENDINGS_NOTES = (
    "The mean reaches the optimum only from start 2, already in the lower half; from the other two it is stuck in "
    "a crease, where the log loss's gradient flips sign at every step and the average has nothing left to pull it "
    "out. GradDrop behaves like the mean, as its expected update says it must.",
    "MGDA, PCGrad, IMTL-G and Nash-MTL end where they first reached the front, so at a place that depends on the "
    "start: they find a Pareto point, not a particular one. (A run may still creep a few tenths after arriving: "
    "within 0.05 of the set the two gradients are not yet exactly opposite.)",
    "CAGrad ends at the average-loss optimum from every start: near the front it still follows the mean gradient.",
    "Aligned-MTL slides toward the middle too, but stops about 0.025 short of the front: when the two gradients "
    "are almost exactly opposite its rank rule drops the small principal component, and what is left, the mean, "
    "is almost zero for opposite gradients of nearly equal length.",
)


def toy_endings(runs: BalancingLabRuns, predict_stoppers):
    """Exercise 07.2's second measurement: once the learner's prediction is committed, print where every run
    of `runs` first reached the Pareto front and where it ended (one row per method and start, with
    `toy_verdict`), what that shows, and return the whole paths on the contour map (Figure). Before that it
    prints only NO_PREDICTION and returns None: the stored lesson never shows where a run ends."""
    prediction = committed_prediction(predict_stoppers, "your prediction function")
    if prediction is None:
        return None
    _method_set(prediction, "your predicted stoppers")
    print(f"Where every run first came within {BALANCING_LAB['near_front']:g} of the Pareto set (x₁), and where it "
          "ended:")
    print(_TOY_ENDINGS_HEADER)
    for line in _toy_endings_lines(runs):
        print(line)
    print()
    for note in _TOY_ENDINGS_NOTES:
        print(f"- {note}")
    paths = {TOY_METHOD_LABELS[method]: path for method, path in runs.paths.items()}
    return plot_trajectories_on_contours(runs.grid_x1, runs.grid_x2, runs.grid_average, paths, runs.starts,
                                         pareto_set=runs.pareto_set,
                                         title=f"The whole runs: {runs.steps:,} Adam steps (lr {runs.lr:g}) from "
                                               "three starts")


# ---- exercise 07.3: MGDA from the lower start -------------------------------------------------------

MGDA_LOWER_START = Choice(
    "why MGDA ends next to L₂'s minimum from start 2",
    {
        "a": "Blaming Adam's per-coordinate rescaling is a fair suspicion, and section 4 lets you test it: it also ran "
             "MGDA from this start with plain steps (`lesson07.plain_vs_adam_toy()`; in the lesson's `checks` it is "
             "`checks[1]`). Compare that run's `end` with where the Adam run ends before putting it down to Adam.",
        "b": "MGDA's d is the point of the segment between g₁ and g₂ closest to the origin. Where one gradient is much "
             "shorter and the two agree in part, that point is the short gradient's own end, or next to it: all the "
             "way from this start MGDA gives task 1 a weight below 0.001, so it descends L₂ alone, until its update "
             "vanishes at the first Pareto point it meets, beside L₂'s own minimum. MGDA promises that no task gets "
             "worse, not where on the front a run ends.",
        "c": "A crease does throw a path about, but only where a log loss's argument passes through zero. Reread where "
             "section 4 puts the creases and where the bowls are, then check which region this start and its path "
             "lie in before blaming a crease.",
        "d": "Minimising the sum (or the average) of the two losses is what the mean does, and section 4 shows where "
             "the mean's runs go. MGDA builds its d differently: reread its recipe in section 3 and apply it to the "
             "two gradients at this start.",
    },
    correct="b",
)


@exercise_checker
def check_mgda_lower_start(answer) -> None:
    """Exercise 07.3 (choose): why MGDA from start 2 ends beside the minimum of L₂."""
    MGDA_LOWER_START.judge(answer)


# ---- exercise 07.4: the per-task gradients of a shared layer ------------------------------------------------

def _task_gradient_cases() -> list:
    """(net, X, targets, tasks, what): small hard-sharing networks, two and three tasks, one with a
    lesson-like loss-scale mismatch."""
    rng = np.random.default_rng(7)
    cases = []
    value, label = multitask.Task("value", "regression"), multitask.Task("label", "binary")
    X = rng.standard_normal((24, 4))
    targets = [10.0 * rng.standard_normal(24), (rng.random(24) < 0.5).astype(float)]
    cases.append((multitask.HardSharingNet(4, [6, 5], [value, label], branch_depth=1, rng=3), X, targets,
                  [value, label], "2 tasks, the value target ×10 as in the lesson"))
    three = [multitask.Task("a", "regression", 2), multitask.Task("b", "binary"), multitask.Task("c", "regression")]
    X3 = rng.standard_normal((16, 3))
    targets3 = [rng.standard_normal((16, 2)), (rng.random(16) < 0.5).astype(float), rng.standard_normal(16)]
    cases.append((multitask.HardSharingNet(3, [5, 4], three, branch_depth=2, rng=4), X3, targets3, three,
                  "3 tasks, two shared layers"))
    return cases


def _reference_task_gradients(net, X, targets, tasks) -> np.ndarray:
    outputs = net(X)
    losses = [multitask.task_loss(task, output, target) for output, target, task in zip(outputs, targets, tasks)]
    return multitask.task_gradients(losses, net.shared_parameters())


@exercise_checker
def check_task_gradients(fixed_task_gradients) -> None:
    """Exercise 07.4 (debug): `fixed_task_gradients(net, X, targets, tasks)` returns G (T, P), row t the
    gradient of task t's loss alone on `net.shared_parameters()`, whatever `.grad` held before the call.
    Compared with `multitask.task_gradients` on fresh forward passes, for two calls in a row, and once
    after another backward pass had left gradients behind; `multitask.task_gradients` and
    `per_task_gradients` refuse to run while the learner's function does."""
    for net, X, targets, tasks, what in _task_gradient_cases():
        expected = _reference_task_gradients(net, X, targets, tasks)
        scale = float(np.abs(expected).max())
        close = lambda a, b: np.allclose(a, b, rtol=1e-9, atol=1e-12 * scale)  # noqa: E731
        leftover = None
        for attempt in ("a first call", "a second call on the same network", "a call after another backward pass"):
            if attempt.startswith("a call after"):
                net.zero_grad()
                for p in net.parameters():  # an earlier backward pass: it leaves .grad = p everywhere
                    ((p * p).sum() * 0.5).backward()
                leftover = np.concatenate([p.data.ravel() for p in net.shared_parameters()])
            call = f"fixed_task_gradients(...) for {what}, {attempt}"
            with without_library(fixed_task_gradients, multitask.task_gradients, multitask.per_task_gradients):
                got = call_learner(fixed_task_gradients, net, X, targets, tasks, description=call)
            got = as_array(got, expected.shape, call)
            if close(got, expected):
                continue
            where = f"{call}: the largest difference from the true G is {np.abs(got - expected).max():.3g}"
            if not np.any(got):
                fail(f"{where}. Every row is zero: the gradients were cleared after the backward pass, before "
                     "they were read.")
            cumulative = np.cumsum(expected, axis=0)
            if close(got, cumulative) or close(got[1:], cumulative[1:] + got[0] - expected[0]):
                fail(f"{where}. Row t still holds the sum of the gradients of tasks 1 to t: backward() adds "
                     "into .grad, so each task's backward pass must start from cleared gradients.")
            if leftover is not None and close(got[0], expected[0] + leftover):
                fail(f"{where}. Row 1 includes what an earlier backward pass left in .grad: clear the gradients "
                     "before each task's backward pass, not only after it.")
            if close(got, expected[::-1]):
                fail(f"{where}. The rows are in reverse order: row t belongs to task t.")
            fail(f"{where}. Row t should be the gradient of task t's loss alone, on the shared parameters only.")
    passed("fixed_task_gradients agrees with the true G to within 1e-9 on networks with 2 and 3 tasks: on a first "
           "call, on a second one, and after another backward pass had left gradients behind.")


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    lines = _pareto_measurement_lines()
    points, sizes, zero = pareto_update_sizes()
    stoppers = [m for m in toys.FAST_TOY_METHODS if zero[m].all()]
    names = [TOY_METHOD_LABELS[m] for m in stoppers]
    runs = balancing_lab_runs()
    stopped_at = [o.verdict for o in toy_outcomes(runs, stoppers) if o.verdict.startswith("Pareto front")]
    return {
        "ex2_pareto_stoppers": lines + _toy_endings_lines(runs) + stopped_at + list(_TOY_ENDINGS_NOTES) + [
            ", ".join(stoppers), ", ".join(names), ", ".join(names[:-1]) + " and " + names[-1],
            "update is zero for exactly"],
        "ex3_mgda_lower_start": [MGDA_LOWER_START.feedback[MGDA_LOWER_START.correct]],
    }
