"""Lesson 10 (`10_capstone`): three Palmer-penguin tasks on one network, every balancer, Δm% over seeds.

- :func:`capstone_data` splits the penguins 60 / 20 / 20 into train / validation / test, stratified by
  species × sex, and standardises with training statistics only;
- :func:`capstone_run` trains one ``HardSharingNet`` with one balancer (or the single-task networks)
  and records validation and test curves and the per-task gradients on the shared trunk; runs are
  cached, so the notebook, the explorer and the checkers train each setting once;
- :func:`capstone_scores` scores a setting on several seeds against the single-task networks of the
  same seeds with ``multitask.delta_m`` (Δm%, lower is better);
- the capstone explorer draws them (penguins, trunk gradient norms, gradient conflict, Δm% two ways);
- exercises: `check_train_only_standardisation` (debug: a standardisation whose statistics come from all
  three parts), `check_gradnorm_weights` (choose, read off the explorer), `check_validation_winners`
  (choose, from the explorer and section 5's table), `measure_validation_winner` (predict, then measure: a
  validation winner on the test set).

Data: Gorman, Williams & Fraser 2014, PLoS ONE 9(3): e90081 (CC0), via ``datasets.load_penguins``.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from ..balancing import aggregators, balancers
from ..data import datasets
from ..engine import functional as F
from ..engine.autodiff import no_grad, Tensor
from ..instruments.plots import category_style, plain_log_ticks, plot_paired_differences
from ..instruments.probes import cosine_matrix, task_gradient_norms, TaskGradientRecorder
from ..instruments.stats import mean_interval
from ..nets import multitask, train
from ..teaching.checking import (
    as_array, as_number, call_learner, Choice, committed_prediction, exercise_checker, fail, passed,
    report_prediction, without_library,
)
from ..teaching.explorers import dropdown, Explorer, initial_values, int_slider, new_figure, register_explorer

__all__ = [
    "CAPSTONE", "CAPSTONE_METHODS", "CAPSTONE_TASKS", "CAPSTONE_METRICS", "CAPSTONE_HIGHER_IS_BETTER",
    "CapstoneData", "capstone_data", "CapstoneRun", "capstone_run", "CapstoneScores", "capstone_scores",
    "check_capstone_setting", "delta_m_verdict", "delta_m_summary", "early_stopped_metrics",
    "plot_penguins", "plot_trunk_gradient_norms", "plot_gradient_conflict",
    "plot_delta_m_two_ways", "plot_capstone", "capstone_explorer_update", "capstone_explorer",
    "check_train_only_standardisation", "GRADNORM_WEIGHTS", "check_gradnorm_weights", "VALIDATION_WINNER",
    "plot_validation_and_test", "measure_validation_winner", "VALIDATION_WINNERS", "check_validation_winners",
    "answer_texts",
]


# ==============================================================================================
# The experiment
# ==============================================================================================

# Small on purpose: 333 penguins, six inputs. Full-batch Adam keeps every run deterministic; a setting's
# ten seeds train together as one batch in 1.5-3.5 s (tests/test_lesson10.py checks that these settings
# reach the accuracies the lesson states).
CAPSTONE = {
    "val_fraction": 0.2, "test_fraction": 0.2, "split_seed": 0,
    "hidden_sizes": (16, 16), "branch_depth": 2, "activation": "tanh",
    "steps": 300, "lr": 0.01, "record_every": 10, "seeds": tuple(range(10)),
}
CAPSTONE_METHODS = {
    "equal": "equal weights", "uncertainty": "uncertainty", "dwa": "DWA", "gradnorm": "GradNorm", "rlw": "RLW",
    "famo": "FAMO", "mgda": "MGDA", "pcgrad": "PCGrad", "cagrad": "CAGrad",
}
"""The balancers the capstone compares, loss-based first; keys as in lesson 07's NETWORK_METHOD_LABELS."""
CAPSTONE_TASKS = ("species", "sex", "body mass")
CAPSTONE_METRICS = ("species accuracy", "sex accuracy", "body-mass RMSE (g)")
CAPSTONE_HIGHER_IS_BETTER = (True, True, False)
_MASS_UNITS = ("standardised", "grams")
_SPLITS = ("validation", "test")


def _read_only(array) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def _check_seed(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


# ---- the data --------------------------------------------------------------------------------------

class CapstoneData(NamedTuple):
    """The penguins as three tasks, split into train / validation / test.

    X_train, X_val, X_test: (n, 6) bill length, bill depth, flipper length (standardised with the
    training rows' mean and std) and the island one-hot (left as 0/1).
    targets_train, targets_val, targets_test: (species (n,) in 0..2, sex (n,) in {0, 1}, body mass (n,)
    in `mass_unit`). rows_train, rows_val, rows_test: (n,) row indices into `datasets.load_penguins()`.
    feature_mean, feature_std: (3,) training statistics of the three measurements (mm).
    mass_scale, mass_offset: grams = mass_scale · value + mass_offset. tasks, losses: one per task.
    """

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    targets_train: tuple
    targets_val: tuple
    targets_test: tuple
    rows_train: np.ndarray
    rows_val: np.ndarray
    rows_test: np.ndarray
    feature_mean: np.ndarray
    feature_std: np.ndarray
    mass_scale: float
    mass_offset: float
    mass_unit: str
    tasks: tuple
    losses: tuple


def capstone_data(split_seed: int | None = None, mass_unit: str = "standardised") -> CapstoneData:
    """Split the penguins 60 / 20 / 20 into train, validation and test, stratified by species × sex
    (six groups) so both classification tasks keep their proportions in every part; then standardise
    with training statistics only.

    split_seed: seeds the split (default CAPSTONE["split_seed"]); one Generator draws the test rows
    first, then the validation rows from the rest. mass_unit: "standardised" (z-scores with the
    training mean and std) or "grams" (as measured, to show what an unscaled target does).
    The arrays are read-only (the result is cached).
    """
    split_seed = CAPSTONE["split_seed"] if split_seed is None else _check_seed(split_seed, "split_seed")
    if mass_unit not in _MASS_UNITS:
        raise ValueError(f"Unknown mass unit {mass_unit!r}; choose one of {list(_MASS_UNITS)}.")
    return _capstone_data(split_seed, mass_unit)


@functools.lru_cache(maxsize=8)
def _capstone_data(split_seed: int, mass_unit: str) -> CapstoneData:
    setup = CAPSTONE
    penguins = datasets.load_penguins()
    strata = penguins.species * 2 + penguins.sex  # six species × sex groups
    rng = np.random.default_rng(split_seed)
    outer = datasets.train_test_split(np.arange(len(strata)), test_fraction=setup["test_fraction"], rng=rng,
                                      stratify=strata)
    rest, rows_test = outer.train[0], outer.test[0]
    inner = datasets.train_test_split(rest, test_fraction=setup["val_fraction"] / (1 - setup["test_fraction"]),
                                      rng=rng, stratify=strata[rest])
    rows_train, rows_val = inner.train[0], inner.test[0]
    X = penguins.features
    # standardize takes one held-out set at a time; both calls use the same training statistics.
    for_val = datasets.standardize(X[rows_train], X[rows_val], columns=[0, 1, 2])
    for_test = datasets.standardize(X[rows_train], X[rows_test], columns=[0, 1, 2])
    grams_train = penguins.body_mass_g[rows_train]
    if mass_unit == "standardised":
        scale, offset = float(grams_train.std()), float(grams_train.mean())
    else:
        scale, offset = 1.0, 0.0

    def targets(rows):
        mass = (penguins.body_mass_g[rows] - offset) / scale
        return tuple(_read_only(a) for a in (penguins.species[rows], penguins.sex[rows], mass))

    tasks = (multitask.Task("species", "multiclass", 3), multitask.Task("sex", "binary"),
             multitask.Task(f"body mass ({mass_unit})", "regression"))
    return CapstoneData(
        X_train=_read_only(for_val.train), X_val=_read_only(for_val.test), X_test=_read_only(for_test.test),
        targets_train=targets(rows_train), targets_val=targets(rows_val), targets_test=targets(rows_test),
        rows_train=_read_only(rows_train), rows_val=_read_only(rows_val), rows_test=_read_only(rows_test),
        feature_mean=_read_only(for_val.mean), feature_std=_read_only(for_val.std),
        mass_scale=scale, mass_offset=offset, mass_unit=mass_unit, tasks=tasks,
        losses=("cross_entropy", "bce", "mse"),
    )


# ---- one trained network ----------------------------------------------------------------------------

class CapstoneRun(NamedTuple):
    """One trained network on the three penguin tasks.

    steps: (S,) recorded steps, the last = CAPSTONE["steps"] (the trained network). val_curves,
    test_curves: (S, 3) species accuracy, sex accuracy and body-mass RMSE in grams at those steps, on
    the validation and the test set. val_metrics, test_metrics: (3,) the same after training.
    weight_steps: (W,); weights, task_losses: (W, 3) the task weights the method used and the training
    losses (for gradient-based methods the effective weights, see balancers.GradientAggregation).
    gradient_steps: (R,); gradient_norms: (R, 3) ‖∂L_t/∂θ_trunk‖ and cosines: (R, 3, 3) between the
    task gradients on the shared trunk (probes.TaskGradientRecorder; empty when branch_depth = 0).
    """

    method: str
    branch_depth: int
    seed: int
    steps: np.ndarray
    val_curves: np.ndarray
    test_curves: np.ndarray
    val_metrics: np.ndarray
    test_metrics: np.ndarray
    weight_steps: np.ndarray
    weights: np.ndarray
    task_losses: np.ndarray
    gradient_steps: np.ndarray
    gradient_norms: np.ndarray
    cosines: np.ndarray


def check_capstone_setting(method, branch_depth) -> None:
    """Raise ValueError, in words a learner can act on, for a method / branch depth that cannot run."""
    known = list(CAPSTONE_METHODS) + [m for m in aggregators.AGGREGATORS if m not in CAPSTONE_METHODS]
    if not isinstance(method, str) or (method != "stl" and method not in known):
        raise ValueError(f"Unknown method {method!r}; choose 'stl' (single-task baselines) or one of {known}.")
    n_hidden = len(CAPSTONE["hidden_sizes"])
    if isinstance(branch_depth, bool) or not isinstance(branch_depth, (int, np.integer)) \
            or not 0 <= branch_depth <= n_hidden:
        raise ValueError(f"The branch depth must be a whole number from 0 to {n_hidden}, got {branch_depth!r}.")
    if method == "stl" and branch_depth != 0:
        raise ValueError(f"'stl' means separate networks, branch depth 0; got branch depth {branch_depth}.")
    if method != "stl" and branch_depth == 0:
        raise ValueError("Branch depth 0 shares no layer: the three networks are separate, which is the "
                         "single-task baseline itself, so there is nothing to balance. Choose branch depth 1 "
                         "(one shared layer) or 2 (a shared trunk of two layers).")


def _balancer(method: str, seed: int):
    if method in ("stl", "equal"):
        return None  # the plain sum L_species + L_sex + L_mass
    options = {}
    if method == "uncertainty":
        options = {"kinds": ("classification", "classification", "regression")}
    elif method == "cagrad":
        options = {"c": 0.5}
    return balancers.make_balancer(method, 3, rng=np.random.default_rng(seed), **options)


def _metrics(data: CapstoneData, outputs, targets) -> np.ndarray:
    """(3,) species accuracy, sex accuracy, body-mass RMSE in grams."""
    species, sex, mass = targets
    return np.array([multitask.task_metric("multiclass", outputs[0], species),
                     multitask.task_metric("binary", outputs[1], sex),
                     data.mass_scale * multitask.task_metric("regression", outputs[2], mass)])


def capstone_run(method: str, branch_depth: int, seed: int = 0, split_seed: int | None = None,
                 mass_unit: str = "standardised") -> CapstoneRun:
    """Train `HardSharingNet(6, [16, 16], (species, sex, mass), branch_depth)` (tanh) on
    `capstone_data(split_seed, mass_unit)` with one balancer: full-batch Adam, lr 0.01, 300 steps
    (CAPSTONE); every 10 steps the validation and test metrics and the per-task gradients on the shared
    trunk. Cached: asking again for the same setting costs nothing.

    method: "stl" with branch_depth 0 (three separate networks, each with the same layers as a task's
    path in the shared network: the single-task baselines); with branch_depth 1 or 2, a key of
    CAPSTONE_METHODS ("equal" is the plain sum of the three losses) or any aggregator name of
    `mtl_edu.balancing.aggregators`. Balancers use their papers' defaults (GradNorm α = 1.5; DWA temperature 2
    with one full-batch step as its "epoch"; CAGrad c = 0.5; FAMO lr 0.025, γ = 0.01).
    seed: the initial weights and the random draws of RLW, PCGrad and GradDrop. About 0.1–0.3 s.
    """
    check_capstone_setting(method, branch_depth)
    seed = _check_seed(seed, "seed")
    split_seed = CAPSTONE["split_seed"] if split_seed is None else _check_seed(split_seed, "split_seed")
    if mass_unit not in _MASS_UNITS:
        raise ValueError(f"Unknown mass unit {mass_unit!r}; choose one of {list(_MASS_UNITS)}.")
    return _capstone_run(method, int(branch_depth), seed, split_seed, mass_unit)


@functools.lru_cache(maxsize=512)
def _capstone_run(method: str, branch_depth: int, seed: int, split_seed: int, mass_unit: str) -> CapstoneRun:
    setup = CAPSTONE
    data = _capstone_data(split_seed, mass_unit)
    model = multitask.HardSharingNet(data.X_train.shape[1], list(setup["hidden_sizes"]), list(data.tasks),
                                     branch_depth=branch_depth, activation=setup["activation"], rng=seed)
    val_curve, test_curve = [], []

    def metrics_probe(model, X, targets, step):
        with no_grad():
            val_curve.append(_metrics(data, model(data.X_val), data.targets_val))
            test_curve.append(_metrics(data, model(data.X_test), data.targets_test))

    probes = {"metrics": metrics_probe}
    recorder = TaskGradientRecorder(list(data.losses)) if branch_depth > 0 else None
    if recorder is not None:
        probes["gradients"] = recorder
    history = train.fit_multitask(model, data.X_train, list(data.targets_train), list(data.losses),
                                  balancer=_balancer(method, seed), optimizer="adam", lr=setup["lr"],
                                  steps=setup["steps"], record_every=setup["record_every"], probes=probes,
                                  progress=False)
    # History records each step before its update; the trained network's numbers close the curves.
    with no_grad():
        val_metrics = _metrics(data, model(data.X_val), data.targets_val)
        test_metrics = _metrics(data, model(data.X_test), data.targets_test)
    steps = np.append(np.asarray(history.steps, dtype=float), setup["steps"])
    if recorder is not None:
        gradients = recorder.as_arrays()
        gradient_steps, norms, cosines = gradients["steps"], gradients["norms"], gradients["cosines"]
    else:
        gradient_steps, norms, cosines = np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
    return CapstoneRun(
        method=method, branch_depth=branch_depth, seed=seed, steps=_read_only(steps),
        val_curves=_read_only(np.vstack(val_curve + [val_metrics])),
        test_curves=_read_only(np.vstack(test_curve + [test_metrics])),
        val_metrics=_read_only(val_metrics), test_metrics=_read_only(test_metrics),
        weight_steps=_read_only(np.asarray(history.steps, dtype=float)),
        weights=_read_only(np.asarray(history.weights, dtype=float)),
        task_losses=_read_only(np.asarray(history.task_losses, dtype=float)),
        gradient_steps=_read_only(np.asarray(gradient_steps, dtype=float)),
        gradient_norms=_read_only(np.asarray(norms, dtype=float)),
        cosines=_read_only(np.asarray(cosines, dtype=float)),
    )


# ---- scores over seeds ------------------------------------------------------------------------------

class CapstoneScores(NamedTuple):
    """One setting scored on several seeds against the single-task networks of the same seeds.

    seeds: (S,); metrics, stl_metrics: (S, 3) species accuracy, sex accuracy, body-mass RMSE (g) on
    `split`; delta_m: (S,) Δm% of each seed against the STL run of the same seed (`multitask.delta_m`,
    lower is better); runs, stl_runs: the CapstoneRuns, seed by seed.
    """

    method: str
    branch_depth: int
    split: str
    seeds: tuple
    metrics: np.ndarray
    stl_metrics: np.ndarray
    delta_m: np.ndarray
    runs: tuple
    stl_runs: tuple


def _capstone_batch(method: str, branch_depth: int, seeds: tuple, split_seed: int, mass_unit: str) -> list:
    """The CapstoneRuns of `seeds`, trained at once as one batch (train.fit_multitask_models): each is the
    run `_capstone_run(method, branch_depth, seed, ...)` makes alone (a test checks it), with the same
    records (validation and test metrics every 10 steps, the task gradients on the trunk)."""
    setup = CAPSTONE
    data = _capstone_data(split_seed, mass_unit)
    models = [multitask.HardSharingNet(data.X_train.shape[1], list(setup["hidden_sizes"]), list(data.tasks),
                                       branch_depth=branch_depth, activation=setup["activation"], rng=seed)
              for seed in seeds]
    balancers = [_balancer(method, seed) for seed in seeds]
    balancers = None if all(b is None for b in balancers) else balancers
    loss_functions = [F.LOSSES[name] for name in data.losses]
    def per_model(target, loss_name):
        target = np.asarray(target)
        if loss_name != "cross_entropy" and target.ndim == 1:
            target = target.reshape(-1, 1)  # one output per example, as fit_multitask prepares it
        return np.broadcast_to(target, (len(seeds),) + target.shape)

    train_targets = [per_model(t, name) for t, name in zip(data.targets_train, data.losses)]

    def metrics_of(network, X, targets) -> np.ndarray:  # (S, 3)
        with no_grad():
            outputs = network(X)
        return np.array([_metrics(data, [out.data[s] for out in outputs], targets) for s in range(len(seeds))])

    def record(batch, step):
        network = batch.network
        val, test = metrics_of(network, data.X_val, data.targets_val), metrics_of(network, data.X_test,
                                                                                  data.targets_test)
        if branch_depth == 0:
            return val, test, None, None
        outputs = network(Tensor(data.X_train))
        losses = [fn(out, target, per_model=True).sum()
                  for fn, out, target in zip(loss_functions, outputs, train_targets)]
        grads = multitask.per_task_gradients(losses, network.shared_parameters(), retain_graph=False)
        norms, cosines = [], []
        for s in range(len(seeds)):
            G = np.stack([np.concatenate([g[s].ravel() for g in row]) for row in grads])
            norms.append(task_gradient_norms(G))
            cosines.append(cosine_matrix(G))
        return val, test, norms, cosines

    history = train.fit_multitask_models(models, data.X_train, list(data.targets_train), list(data.losses),
                                         balancers=balancers, optimizer="adam", lr=setup["lr"], steps=setup["steps"],
                                         record_every=setup["record_every"], probes={"record": record})
    records = history.probes["record"]
    runs = []
    for s, (seed, model) in enumerate(zip(seeds, models)):
        with no_grad():
            val_metrics = _metrics(data, model(data.X_val), data.targets_val)
            test_metrics = _metrics(data, model(data.X_test), data.targets_test)
        if branch_depth > 0:
            gradient_norms = np.array([r[2][s] for r in records])
            cosines = np.array([r[3][s] for r in records])
            gradient_steps = np.asarray(history.steps, dtype=float)
        else:
            gradient_steps, gradient_norms, cosines = np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
        runs.append(CapstoneRun(
            method=method, branch_depth=branch_depth, seed=seed,
            steps=_read_only(np.append(np.asarray(history.steps, dtype=float), setup["steps"])),
            val_curves=_read_only(np.vstack([r[0][s] for r in records] + [val_metrics])),
            test_curves=_read_only(np.vstack([r[1][s] for r in records] + [test_metrics])),
            val_metrics=_read_only(val_metrics), test_metrics=_read_only(test_metrics),
            weight_steps=_read_only(np.asarray(history.steps, dtype=float)),
            weights=_read_only(history.weights[:, s]), task_losses=_read_only(history.task_losses[:, s]),
            gradient_steps=_read_only(gradient_steps), gradient_norms=_read_only(gradient_norms),
            cosines=_read_only(cosines)))
    return runs


def _cached_runs(method: str, branch_depth: int, seeds: tuple, split_seed: int, mass_unit: str = "standardised") -> list:
    """The runs of `seeds`: from the cache where present, the rest trained together as one batch and cached."""
    key = (method, int(branch_depth))
    missing = tuple(seed for seed in seeds if (key, seed, split_seed, mass_unit) not in _BATCH_CACHE)
    if missing:
        for run in _capstone_batch(method, int(branch_depth), missing, split_seed, mass_unit):
            _BATCH_CACHE[key, run.seed, split_seed, mass_unit] = run
    return [_BATCH_CACHE[key, seed, split_seed, mass_unit] for seed in seeds]


_BATCH_CACHE: dict = {}


def capstone_scores(method: str, branch_depth: int, split: str = "validation", seeds=None,
                    progress=None) -> CapstoneScores:
    """Train (or fetch from the cache) `method` at `branch_depth` and the STL networks for every seed
    (default CAPSTONE["seeds"]) and score them on `split` ("validation" or "test"); each seed's Δm% is
    against the STL networks of the same seed. progress: optional callable(done, total), told after
    each run."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {list(_SPLITS)}, got {split!r}")
    check_capstone_setting(method, branch_depth)
    seeds = tuple(CAPSTONE["seeds"] if seeds is None else seeds)
    if not seeds:
        raise ValueError("Give at least one seed.")
    seeds = tuple(_check_seed(seed, "seed") for seed in seeds)
    split_seed = CAPSTONE["split_seed"]
    stl_runs = _cached_runs("stl", 0, seeds, split_seed)
    if progress is not None:
        progress(1, 2)
    runs = stl_runs if method == "stl" else _cached_runs(method, branch_depth, seeds, split_seed)
    if progress is not None:
        progress(2, 2)
    field = "val_metrics" if split == "validation" else "test_metrics"
    metrics = np.array([getattr(run, field) for run in runs])
    stl_metrics = np.array([getattr(run, field) for run in stl_runs])
    delta = np.array([multitask.delta_m(m, s, CAPSTONE_HIGHER_IS_BETTER) for m, s in zip(metrics, stl_metrics)])
    return CapstoneScores(method, int(branch_depth), split, seeds, _read_only(metrics), _read_only(stl_metrics),
                          _read_only(delta), tuple(runs), tuple(stl_runs))


def delta_m_verdict(delta_m) -> str:
    """How a setting compares with STL, in words, from its per-seed Δm% (each seed against the STL networks
    of the same seed; lower is better): "better than STL" or "worse than STL" when the 95 % t interval of
    the mean lies on one side of zero, else "no difference from STL shown"."""
    delta_m = np.asarray(delta_m, dtype=float)
    if delta_m.ndim != 1 or delta_m.size < 2 or not np.all(np.isfinite(delta_m)):
        raise ValueError(f"delta_m_verdict: give one finite Δm% per seed, at least two seeds, got {delta_m.tolist()}")
    interval = mean_interval(delta_m)
    if interval.high < 0:
        return "better than STL"
    if interval.low > 0:
        return "worse than STL"
    return "no difference from STL shown"


def delta_m_summary(delta_m) -> str:
    """"−2.1 [−3.0, −1.2] over 10 seeds": the mean per-seed Δm% and its 95 % interval."""
    interval = mean_interval(np.asarray(delta_m, dtype=float))
    return (f"{interval.mean + 0.0:+.1f} [{interval.low + 0.0:+.1f}, {interval.high + 0.0:+.1f}] over "
            f"{interval.n} seeds")


def early_stopped_metrics(run: CapstoneRun) -> np.ndarray:
    """(3,) test metrics of `run` at the recorded step with the best validation metric, chosen for each
    task separately (the first such step on a tie): early stopping decided on validation, scored on
    test, as if a checkpoint were kept per task (Prechelt 1998, "Early stopping — but when?")."""
    better = np.asarray(CAPSTONE_HIGHER_IS_BETTER)
    loss_like = np.where(better, -run.val_curves, run.val_curves)  # lower is better in every column
    best = loss_like.argmin(axis=0)
    return run.test_curves[best, np.arange(len(better))]

# ==============================================================================================
# The explorer and its figures
# ==============================================================================================



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
        for t, name in enumerate(CAPSTONE_TASKS):
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
                  label=f"{CAPSTONE_TASKS[a]} · {CAPSTONE_TASKS[b]}", **style)
    left.axhline(0.0, color="black", linewidth=1.0)
    left.set_ylim(-1.05, 1.05)
    left.set_ylabel("cosine of the two task gradients")
    left.set_title(f"Pairwise cosines, {CAPSTONE_METHODS.get(cosine_method, cosine_method)} "
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
    right.set_yticks(range(len(methods)), [CAPSTONE_METHODS.get(m, m) for m in methods], fontsize=8.5)
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
    early stopping chosen on validation (`early_stopped_metrics`, STL early-stopped too).
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
    ax.set_yticks(positions, [CAPSTONE_METHODS.get(m, m) for m in methods])
    ax.axvline(0.0, color="black", linewidth=1.0)
    ax.set_xlabel("Δm% (negative = better than the single-task networks)")
    ax.set_title(title, y=1.0, fontsize=10.5)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower right", framealpha=0.9)
    return fig


def plot_capstone(scores: CapstoneScores, weights_seed: int | None = None) -> Figure:
    """The explorer's figure: per-task validation curves of one setting against the STL networks
    (lines: mean over seeds; bands: lowest to highest seed), and the share of the total task weight
    each task got during training in the run of `weights_seed` (default: the first run)."""
    seeds = [run.seed for run in scores.runs]
    if weights_seed is not None and weights_seed not in seeds:
        raise ValueError(f"The task weights can be shown for seeds {seeds[0]} to {seeds[-1]}; got {weights_seed!r}.")
    fig, axes = new_figure((12.6, 3.7), ncols=4, margins=(0.05, 0.99, 0.15, 0.8))
    label = CAPSTONE_METHODS.get(scores.method, scores.method)
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
        arrow = " ↑" if CAPSTONE_HIGHER_IS_BETTER[t] else " ↓"
        ax.set_title(CAPSTONE_METRICS[t] + arrow, y=1.0, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation metric")
    axes[2].legend(fontsize=8, loc="upper right", framealpha=0.9)
    ax = axes[3]
    run = scores.runs[0 if weights_seed is None else seeds.index(weights_seed)]
    weights = np.asarray(run.weights, dtype=float)
    totals = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, totals, out=np.full_like(weights, np.nan), where=np.abs(totals) > 1e-12)
    for t, name in enumerate(CAPSTONE_TASKS):
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
    fig.suptitle(f"{label}, branch depth {scores.branch_depth}: validation Δm% = {delta_m_summary(delta)} "
                 f"(95 % interval; lower is better): {delta_m_verdict(delta)}", fontsize=11)
    return fig


def capstone_explorer_update(branch_depth: int = 2, method: str = "equal", weights_seed: int = 0,
                             progress=None) -> Figure:
    """Lesson 10: one balancer at one branch depth against the STL networks, on the validation set, and
    the task weights of the run with seed `weights_seed`. Runs train on first use (ten seeds as one
    batch, a few seconds) and are cached."""
    check_capstone_setting(method, branch_depth)
    return plot_capstone(capstone_scores(method, branch_depth, "validation", progress=progress), weights_seed)


def capstone_explorer(**initial) -> Explorer:
    """Branch depth and balancer → per-task validation curves against STL, Δm% and the task weights."""
    values = initial_values("capstone", initial)
    controls = {
        "branch_depth": int_slider("branch depth (shared layers)", values["branch_depth"], 0,
                                   len(CAPSTONE["hidden_sizes"])),
        "method": dropdown("balancer", [(label, key) for key, label in CAPSTONE_METHODS.items()], values["method"]),
        "weights_seed": int_slider("task weights of seed", values["weights_seed"], min(CAPSTONE["seeds"]),
                                   max(CAPSTONE["seeds"])),
    }
    return Explorer(capstone_explorer_update, controls,
                    title="Capstone explorer: which balancer and branch point, on three penguin tasks?",
                    help_text="Validation set only (the test set is for the final table). A setting not seen "
                              "before trains ten seeds and their STL baselines first (a few seconds); "
                              "after that it comes back at once.",
                    reports_progress=True)


register_explorer("capstone", capstone_explorer_update, ("branch_depth", "method", "weights_seed"), capstone_explorer)

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

def _standardisation_cases() -> list:
    """(X_train, X_val, X_test, description): the lesson's penguin split, and a small split whose held-out
    rows come from a shifted distribution, so any use of their statistics shows plainly."""
    penguins = datasets.load_penguins()
    data = capstone_data()
    cases = [(penguins.features[data.rows_train], penguins.features[data.rows_val],
              penguins.features[data.rows_test], "the lesson's penguin split")]
    rng = np.random.default_rng(10)

    def rows(n, shift):
        measurements = rng.normal([44.0, 17.0, 201.0], [5.0, 2.0, 14.0], size=(n, 3)) + shift
        islands = np.eye(3)[rng.integers(0, 3, size=n)]
        return np.hstack([measurements, islands])

    cases.append((rows(40, 0.0), rows(15, [6.0, -2.0, 20.0]), rows(12, [-4.0, 3.0, -15.0]),
                  "a small split whose validation and test rows are shifted"))
    return cases


def _standardised_with(mean, std, X) -> np.ndarray:
    out = np.array(X, dtype=float, copy=True)
    out[:, :3] = (out[:, :3] - mean) / std
    return out


@exercise_checker
def check_train_only_standardisation(fixed_standardise) -> None:
    """Exercise 10.1 (debug): `fixed_standardise(X_train, X_val, X_test)` returns the three arrays with columns 0–2
    (bill length, bill depth, flipper length) rescaled by the TRAINING rows' mean and std, and the island
    columns 3–5 unchanged (std with ddof 0 or 1 both accepted). It must do the scaling itself: while it runs,
    the package's `datasets.standardize` refuses to."""
    names = ("X_train", "X_val", "X_test")
    for X_train, X_val, X_test, shown in _standardisation_cases():
        given = [X_train.copy(), X_val.copy(), X_test.copy()]
        call = f"fixed_standardise(...) on {shown}"
        with without_library(fixed_standardise, datasets.standardize):
            answer = call_learner(fixed_standardise, *given, description=call)
        if answer is None:
            fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            fail(f"{call} should return three arrays (train, validation, test), got {type(answer).__name__}")
        originals = (X_train, X_val, X_test)
        changed = [name for name, before, after in zip(names, originals, given) if not np.array_equal(before, after)]
        if changed:
            fail(f"{call} changed {', '.join(changed)} in place; work on copies (e.g. X.copy() or "
                  "arithmetic that makes new arrays), so the raw data stays available.")
        got = [as_array(a, X.shape, f"{call}: the {name} part") for a, X, name in zip(answer, originals, names)]
        mean = X_train[:, :3].mean(axis=0)
        candidates = [[_standardised_with(mean, X_train[:, :3].std(axis=0, ddof=ddof), X) for X in originals]
                      for ddof in (0, 1)]
        if any(all(np.allclose(g, e, rtol=1e-9, atol=1e-9) for g, e in zip(got, expected)) for expected in candidates):
            continue
        expected = candidates[0]
        for g, X, name in zip(got, originals, names):
            if not np.allclose(g[:, 3:], X[:, 3:]):
                fail(f"{call}: the island columns 3–5 of {name} changed. They are one-hot 0/1 indicators; "
                      "rescale only columns 0–2.")

        def scaled_by(parts):  # every part scaled with the mean and std of `parts` stacked
            stacked = np.vstack(parts)[:, :3]
            return [_standardised_with(stacked.mean(axis=0), stacked.std(axis=0), X) for X in originals]

        def matches(candidate):
            return all(np.allclose(g, e, rtol=1e-6, atol=1e-6) for g, e in zip(got, candidate))

        if matches(scaled_by(originals)):
            fail(f"{call}: the mean and std still come from train, validation and test together, as in the buggy "
                 "version (the bug is still there): the training part does not come out with mean 0 and std 1, and "
                 "the held-out rows shape the preprocessing, so their scores no longer measure data the pipeline "
                 "never saw.")
        if matches(scaled_by((X_train, X_val))):
            fail(f"{call}: you took the mean and std over train and validation together. The leak has moved rather "
                 "than gone: the validation rows still shape the preprocessing, so the validation score no longer "
                 "measures data the pipeline never saw.")
        own = [_standardised_with(X[:, :3].mean(axis=0), X[:, :3].std(axis=0), X) for X in originals]
        for index in (1, 2):
            if np.allclose(got[index], own[index], rtol=1e-6, atol=1e-6) \
                    and not np.allclose(got[index], expected[index], rtol=1e-6, atol=1e-6):
                fail(f"{call}: {names[index]} was standardised with its own mean and std. The leak has moved rather "
                      "than gone: those rows still shape their own scaling, and they are moved differently from the "
                      "training rows, so the model sees shifted inputs.")
            if np.allclose(got[index], originals[index]):
                fail(f"{call}: {names[index]} came back unscaled; the network was trained on standardised inputs, "
                      "so the held-out parts need the same transformation.")
        for g, e, name in zip(got, expected, names):
            if not np.allclose(g, e, rtol=1e-9, atol=1e-9):
                row, column = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape)
                fail(f"{call}: {name}[{row}, {column}] should be {e[row, column]:.6g}, got {g[row, column]:.6g}. "
                      "Each of columns 0–2 becomes (x − mean_train) / std_train.")
    passed("your standardisation uses the training rows' mean and std for all three parts and leaves the island "
        "columns alone, on the lesson's split and on a split with shifted held-out rows (agrees with "
        "datasets.standardize to within 1e-9).")


# ---- exercise 2 (choose): GradNorm's weights, read off the explorer ----------------------------------------

GRADNORM_WEIGHTS = Choice(
    "GradNorm's weights at branch depth 2",
    {
        "a": "that would make GradNorm amplify whichever task already dominates the trunk, the opposite of what it was "
             "built to do (lesson 07 gives its rule). Section 3 prints each task's gradient on the trunk at step 0: "
             "check which one is the largest.",
        "b": "that is FAMO's rule (its weights grow as a loss falls), and section 6 found it for FAMO and MGDA; "
             "GradNorm's rule is a different one (lesson 07 gives it). Look at which line ends highest in the "
             "weight-share panel.",
        "c": "GradNorm sets each task a target for its weighted gradient norm that grows with how little the task's "
             "loss has fallen since step 0 (raised to α = 1.5), and then moves the weight until the task's gradient "
             "times its weight meets it. Sex learns slowest of the three, and its gradient on the trunk is small, so "
             "both push its weight up; species, nearly solved, is left with almost none.",
        "d": "GradNorm does not know which loss is a regression or on what scale it is, and body mass is standardised "
             "here (section 3). Look at the weight-share panel again: which line ends highest?",
    },
    correct="c",
)


@exercise_checker
def check_gradnorm_weights(answer) -> None:
    """Exercise 10.2 (choose): which task GradNorm gives most of the weight at branch depth 2, and why."""
    GRADNORM_WEIGHTS.judge(answer)


# ---- exercise 3 (choose): why validation winners fade ------------------------------------------------------

VALIDATION_WINNERS = Choice(
    "why most validation winners do not beat STL on test",
    {
        "a": "that is the winner's curse, and it predicts that the settings picked fall back further than the rest. "
             "Check it against the settings that were not picked: read their validation Δm% at branch depth 2 in the "
             "explorer's title, and their test Δm% in section 5's table.",
        "b": "each validation Δm% compares a setting with the STL networks on the same 66 penguins, and the ten seeds "
             "vary the initial weights, not the penguins. Those penguins happen to include a few that the separate "
             "networks get wrong and the shared ones get right, and every setting shares that luck, picked or not: "
             "sixteen of the eighteen settings lose ground on test, and those not picked lose at least as much as "
             "those picked. Only fresh penguins can show which part of a lead is the sample's.",
        "c": "if the test penguins were harder for every network alike, the STL networks' errors would rise as well, "
             "and Δm% compares each setting with the STL networks on the same penguins, so a common difficulty "
             "cancels. Compare STL's own scores on the two sets: section 6 prints its validation mass RMSE after 300 "
             "steps, section 4 its test means.",
        "d": "no network was trained or stopped on the validation penguins: every run trains for 300 steps on the "
             "training rows alone (section 4), so nothing in training could fit the validation penguins.",
    },
    correct="b",
)


@exercise_checker
def check_validation_winners(answer) -> None:
    """Exercise 10.3 (choose): why settings that beat STL on validation mostly do not on test."""
    VALIDATION_WINNERS.judge(answer)


# ---- exercise 4 (predict, then measure): a validation winner on the test set ------------------------------

#: Exercise 10.4: one of the settings whose validation Δm% interval lies below 0 (the explorer shows it); its
#: test Δm% is printed only by `measure_validation_winner`.
VALIDATION_WINNER = ("rlw", 1)


def plot_validation_and_test(validation, test, predicted: float | None = None,
                             title: str = "One setting, scored on validation and on test") -> Figure:
    """Per-seed Δm% of one setting on the validation and on the test set (dots), their means and 95 % intervals
    (`plots.plot_paired_differences`), and, if given, a prediction of the test mean (dashed line)."""
    fig = plot_paired_differences(
        {"validation (66 penguins, the choice)": np.asarray(validation, dtype=float),
         "test (68 penguins, fresh)": np.asarray(test, dtype=float)},
        xlabel="Δm% (lower is better)", title=title, negative_means="better than STL",
        positive_means="worse than STL", left=0.42)
    title = fig.axes[0].title  # the row labels take the left of the figure: end the title at the right edge
    title.set_horizontalalignment("right")
    title.set_x(1.0)
    if predicted is not None:
        ax = fig.axes[0]
        ax.axvline(predicted, color="black", linestyle="--", linewidth=1.4, label="your prediction (test)")
        ax.legend(fontsize=8, loc="lower left", framealpha=0.9)
    return fig


def _real_number(value, description: str) -> float:
    """`as_number`, refusing True and False (a bool is not a prediction, though NumPy would read it as 1 or 0)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == bool):
        fail(f"{description} should be a number, got {value!r}")
    return as_number(value, description)


def _winner_gap_explanation(verdict: str, too_low: bool) -> str:
    """What a prediction that missed by more than a point says, from the test verdict and the direction of the miss
    (too_low: the prediction was below the measured test Δm%, i.e. too optimistic)."""
    if verdict == "better than STL":
        if too_low:
            return ("It held up on fresh penguins, its test interval below zero too, but by less than you predicted: "
                    "part of a validation lead belongs to the 66 penguins it was measured on.")
        return ("It did better than you predicted and held up on fresh penguins: its test interval lies below zero "
                "as well.")
    if verdict == "worse than STL":
        return ("On fresh penguins it is worse than STL: its test interval lies above zero. A validation lead measured "
                "on 66 penguins can turn into a loss on the next 68.")
    if too_low:
        return ("Its validation lead did not carry over: on the 68 test penguins its interval contains zero, so fresh "
                "penguins do not show it beating STL. Exercise 3's comparison of the two sets says how much of such a "
                "lead belongs to the validation penguins themselves.")
    return ("It lost less ground than you predicted: its test interval contains zero, so on fresh penguins it is "
            "neither shown to beat STL nor to lose to it. Losing most of a validation lead is not falling behind.")


def measure_validation_winner(predict_test_delta_m):
    """Exercise 10.4: after the learner committed a test Δm% for VALIDATION_WINNER (RLW at branch depth 1),
    score it on the test set (ten seeds, trained as one batch if not yet cached, about 2 s), print both
    scores, the gap and (for a miss) what the test verdict says; return a figure."""
    prediction = committed_prediction(predict_test_delta_m, "your prediction function")
    if prediction is None:
        return None
    predicted = _real_number(prediction, "your predicted test Δm%")
    method, depth = VALIDATION_WINNER
    validation = capstone_scores(method, depth, "validation").delta_m
    test = capstone_scores(method, depth, "test").delta_m
    label = f"{CAPSTONE_METHODS[method]} at branch depth {depth}"
    verdict = delta_m_verdict(test)
    print(f"Measured, {label}: validation Δm% = {delta_m_summary(validation)} ({delta_m_verdict(validation)}); "
          f"test Δm% = {delta_m_summary(test)} ({verdict}).")
    if not report_prediction(predicted, float(test.mean()), "test Δm%", tolerance=1.0):
        print(_winner_gap_explanation(verdict, too_low=predicted < float(test.mean())))
    return plot_validation_and_test(validation, test, predicted, title=f"{label}: validation, then test")


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it): the
    test Δm% in the two forms `measure_validation_winner` prints it (the summary with its interval, and the mean
    as `report_prediction` writes it), the right options' feedback. (The interval alone, without "over 10 seeds",
    is not scanned for: another row of section 6's table happens to print the same digits.)"""
    method, depth = VALIDATION_WINNER
    test = capstone_scores(method, depth, "test").delta_m
    return {
        "ex2_gradnorm_weights": [GRADNORM_WEIGHTS.feedback[GRADNORM_WEIGHTS.correct]],
        "ex3_why_winners_fade": [VALIDATION_WINNERS.feedback[VALIDATION_WINNERS.correct]],
        "ex4_winner_on_test": [delta_m_summary(test), f"measured test Δm% is {float(test.mean()):.3g}"],
    }
