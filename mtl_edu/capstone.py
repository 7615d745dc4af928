"""Lesson 10, the capstone: three Palmer-penguin tasks on one network, every balancer, Δm% over seeds.

The compute layer of the capstone, shared by its explorer (``widgets``), its exercise checkers
(``exercises``) and the notebook, so it sits below both (it imports only the toolkit underneath):

- :func:`capstone_data` splits the penguins 60 / 20 / 20 into train / validation / test, stratified by
  species × sex, and standardises with training statistics only;
- :func:`capstone_run` trains one ``HardSharingNet`` with one balancer (or the single-task networks)
  and records validation and test curves and the per-task gradients on the shared trunk; runs are
  cached, so the notebook, the explorer and the checkers train each setting once;
- :func:`capstone_scores` scores a setting on several seeds against the single-task networks of the
  same seeds with ``multitask.delta_m`` (Δm%, lower is better).

Data: Gorman, Williams & Fraser 2014, PLoS ONE 9(3): e90081 (CC0), via ``datasets.load_penguins``.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .balancing import aggregators, balancers
from .data import datasets
from .nets import multitask, train
from .engine import functional as F
from .engine.autodiff import Tensor, no_grad
from .instruments.probes import TaskGradientRecorder, cosine_matrix, task_gradient_norms
from .instruments.stats import mean_interval

__all__ = [
    "CAPSTONE", "CAPSTONE_METHODS", "CAPSTONE_TASKS", "CAPSTONE_METRICS", "CAPSTONE_HIGHER_IS_BETTER",
    "CapstoneData", "capstone_data", "CapstoneRun", "capstone_run", "CapstoneScores", "capstone_scores",
    "check_capstone_setting", "delta_m_verdict", "delta_m_summary", "early_stopped_metrics",
]

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
