"""Data for the course: 2-D toy sets, multi-task generators with known structure, Palmer penguins.

Conventions, the same for every function here:

- Everything is plain NumPy. Features are float64; class labels are int64; regression targets are
  float64.
- Every random draw comes from ``rng``, a keyword argument that takes a ``numpy.random.Generator``
  or an ``int`` seed (turned into ``numpy.random.default_rng(seed)``). There is no default: the
  same ``rng`` state always gives the same data.
- A generator of one input/label pair returns a plain tuple ``(X, y)``. Anything with more parts
  returns a ``NamedTuple``: immutable, fields by name (``data.X``, ``data.targets``), and it can
  still be unpacked like a tuple.
- Multi-task generators return ``targets`` as a tuple with one ``(n,)`` array per task (one head
  per task), and where a noiseless function exists, ``clean_targets`` beside it.
- Bad arguments raise ``ValueError``/``TypeError`` with a message that names the function, the
  argument and the value.

Contents:

- 2-D toy sets: :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`,
  and :func:`train_test_split` (optionally stratified) with :func:`standardize`.
- Related tasks with a relatedness knob rho: :func:`make_related_tasks`,
  :func:`make_related_task_teacher`, :func:`make_amplification_tasks`.
- The loss-balancing toy of Kendall, Gal & Cipolla (2018): :func:`make_kendall_toy`.
- Caruana (1997) mechanisms: :func:`make_parity_tasks`, :func:`make_attribute_selection_tasks`,
  :func:`make_eavesdropping_tasks`, :func:`make_representation_bias_tasks`,
  :func:`input_as_extra_output`.
- Real data: :func:`load_penguins` (Gorman, Williams & Fraser 2014).
"""

from __future__ import annotations

import csv
import functools
import io
import numbers
from importlib import resources
from typing import NamedTuple, Sequence

import numpy as np

from ..validation import count, generator, real_number

__all__ = [
    "Split",
    "train_test_split",
    "standardize",
    "Standardized",
    "make_moons",
    "make_circles",
    "make_spirals",
    "RelatedTaskTeacher",
    "RelatedTasks",
    "make_related_task_teacher",
    "make_related_tasks",
    "make_amplification_tasks",
    "KendallToy",
    "make_kendall_toy",
    "CARUANA_PARITY_RULES",
    "ParityTasks",
    "make_parity_tasks",
    "AttributeSelectionTasks",
    "make_attribute_selection_tasks",
    "input_as_extra_output",
    "EavesdroppingTasks",
    "make_eavesdropping_tasks",
    "RepresentationBiasTasks",
    "make_representation_bias_tasks",
    "Penguins",
    "load_penguins",
    "TASK_TYPES",
    "PENGUIN_SPECIES",
    "PENGUIN_ISLANDS",
    "PENGUIN_SEXES",
]

TASK_TYPES = ("regression", "classification")


# --------------------------------------------------------------------------------------------
# Argument checks shared by every generator
# --------------------------------------------------------------------------------------------


def _check_noise(noise, where: str) -> float:
    return real_number(noise, "noise", where, low=0.0)


def _balanced_counts(n: int, n_classes: int) -> np.ndarray:
    """Class sizes that differ by at most one and add up to n."""
    counts = np.full(n_classes, n // n_classes, dtype=np.int64)
    counts[: n % n_classes] += 1
    return counts


def _shuffle_together(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    # Generators build class blocks one after another; shuffling keeps minibatches mixed.
    order = rng.permutation(len(y))
    return X[order], y[order]


# --------------------------------------------------------------------------------------------
# Splitting and standardising
# --------------------------------------------------------------------------------------------


class Split(NamedTuple):
    """A train/test split of several aligned arrays.

    train: tuple of arrays, the training rows of each input array, in the order given.
    test: tuple of arrays, the test rows of each input array.
    train_index: (n_train,) int64 row indices into the original arrays.
    test_index: (n_test,) int64 row indices into the original arrays.
    """

    train: tuple
    test: tuple
    train_index: np.ndarray
    test_index: np.ndarray


def train_test_split(*arrays, test_fraction: float, rng, stratify=None) -> Split:
    """Split aligned arrays into random train and test rows.

    arrays: one or more arrays with the same first dimension n (X, y, extra targets, ...).
    test_fraction: in (0, 1); the test set gets round(test_fraction * n) rows (per class when
        stratified, so the total can differ from that by a row or two).
    rng: numpy Generator or int seed.
    stratify: optional (n,) labels; each class is split with the same fraction so class
        proportions match in train and test (useful for penguins, where Chinstrap is the
        smallest class).

    Returns a :class:`Split`. Usage::

        split = train_test_split(X, y, test_fraction=0.25, rng=rng)
        X_train, y_train = split.train
        X_test, y_test = split.test
    """
    where = "train_test_split"
    if not arrays:
        raise ValueError(f"{where}: give at least one array to split")
    arrays = tuple(np.asarray(a) for a in arrays)
    for position, array in enumerate(arrays):
        if array.ndim == 0:
            raise ValueError(f"{where}: array {position} is a scalar; every array needs a first dimension of rows")
    n = arrays[0].shape[0]
    lengths = [a.shape[0] for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"{where}: arrays must have the same number of rows, got {lengths}")
    test_fraction = real_number(test_fraction, "test_fraction", where, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = generator(rng, where)

    if stratify is None:
        n_test = int(round(test_fraction * n))
        if n_test < 1 or n_test > n - 1:
            raise ValueError(
                f"{where}: test_fraction={test_fraction} of n={n} rows gives {n_test} test rows; "
                "need at least one row in both train and test"
            )
        order = rng.permutation(n)
        test_index, train_index = order[:n_test], order[n_test:]
    else:
        labels = np.asarray(stratify)
        if labels.shape != (n,):
            raise ValueError(f"{where}: stratify must have shape ({n},), got {labels.shape}")
        test_parts, train_parts = [], []
        for label in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == label))
            n_test_class = int(round(test_fraction * len(members)))
            test_parts.append(members[:n_test_class])
            train_parts.append(members[n_test_class:])
        test_index = rng.permutation(np.concatenate(test_parts))
        train_index = rng.permutation(np.concatenate(train_parts))
        if len(test_index) == 0 or len(train_index) == 0:
            raise ValueError(
                f"{where}: stratified split with test_fraction={test_fraction} of n={n} rows leaves "
                f"{len(train_index)} train and {len(test_index)} test rows; need at least one in each"
            )
    train_index = train_index.astype(np.int64)
    test_index = test_index.astype(np.int64)
    return Split(
        train=tuple(a[train_index] for a in arrays),
        test=tuple(a[test_index] for a in arrays),
        train_index=train_index,
        test_index=test_index,
    )


class Standardized(NamedTuple):
    """Result of :func:`standardize`.

    train, test: arrays with the chosen columns rescaled, same shapes as given.
    mean, std: (n_columns,) or scalar training statistics used, for undoing the scaling
        (x = z * std + mean) on predictions.
    """

    train: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def standardize(train, test, columns: Sequence[int] | None = None) -> Standardized:
    """Rescale to zero mean, unit std using statistics of the training rows only.

    train: (n_train, d) or (n_train,) float array; test: (n_test, d) or (n_test,).
    columns: for 2-D input, which columns to rescale (default all); others pass through
        unchanged (e.g. keep one-hot island columns as 0/1).

    Test statistics never enter: using them would leak information about the test set into
    training. A column that is constant in train gets std 1, so it is only centred.
    Returns :class:`Standardized` (train, test, mean, std).
    """
    where = "standardize"
    train = np.asarray(train, dtype=np.float64)
    test = np.asarray(test, dtype=np.float64)
    if train.ndim not in (1, 2):
        raise ValueError(f"{where}: train must be 1-D or 2-D, got shape {train.shape}")
    if test.ndim != train.ndim or (train.ndim == 2 and test.shape[1] != train.shape[1]):
        raise ValueError(f"{where}: train and test must agree in shape after the first axis, got {train.shape} and {test.shape}")
    if train.shape[0] < 2:
        raise ValueError(f"{where}: need at least 2 training rows to estimate a std, got {train.shape[0]}")
    if not np.all(np.isfinite(train)):
        raise ValueError(f"{where}: train contains NaN or inf; drop or impute missing values first")
    if train.ndim == 1:
        if columns is not None:
            raise ValueError(f"{where}: columns only applies to 2-D arrays, got 1-D train")
        mean = train.mean()
        std = train.std()
        std = std if std > 0 else 1.0
        return Standardized((train - mean) / std, (test - mean) / std, np.float64(mean), np.float64(std))
    d = train.shape[1]
    if columns is None:
        columns_index = np.arange(d)
    else:
        columns_index = np.asarray(columns, dtype=np.int64).reshape(-1)
        bad = [int(c) for c in columns_index if not 0 <= c < d]
        if bad:
            raise ValueError(f"{where}: columns {bad} out of range for {d} columns")
    mean = train[:, columns_index].mean(axis=0)
    std = train[:, columns_index].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    train_out, test_out = train.copy(), test.copy()
    train_out[:, columns_index] = (train[:, columns_index] - mean) / std
    test_out[:, columns_index] = (test[:, columns_index] - mean) / std
    return Standardized(train_out, test_out, mean, std)


# --------------------------------------------------------------------------------------------
# 2-D toy sets
# --------------------------------------------------------------------------------------------


def make_moons(n: int, noise: float = 0.1, *, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t), t ~ U[0, pi]; then Gaussian noise
    of std ``noise`` on both coordinates. Class sizes differ by at most one; rows are shuffled.

    Returns X: (n, 2) float64, y: (n,) int64 in {0, 1}.
    """
    where = "make_moons"
    n = count(n, "n", where, minimum=2)
    noise = _check_noise(noise, where)
    rng = generator(rng, where)
    n0, n1 = _balanced_counts(n, 2)
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffle_together(X, y, rng)


def make_circles(n: int, noise: float = 0.05, factor: float = 0.5, *, rng) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one.

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor`` (0 < factor < 1),
    angles uniform; then Gaussian noise of std ``noise``. Not linearly separable: a linear model
    stays at chance, one hidden layer solves it.

    Returns X: (n, 2) float64, y: (n,) int64 in {0, 1}.
    """
    where = "make_circles"
    n = count(n, "n", where, minimum=2)
    noise = _check_noise(noise, where)
    factor = real_number(factor, "factor", where, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = generator(rng, where)
    n0, n1 = _balanced_counts(n, 2)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = np.concatenate([np.ones(n0), np.full(n1, factor)])
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffle_together(X, y, rng)


def make_spirals(n: int, noise: float = 0.05, *, rng, n_classes: int = 2, turns: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms, one class per arm.

    Arm k: radius r = s, angle = 2*pi*turns*s + 2*pi*k/K with s ~ U[0.05, 1]; then Gaussian noise
    of std ``noise``. More ``turns`` make a harder problem (the classic deep-net stress test).

    n_classes: number of arms K >= 2. Class sizes differ by at most one.
    Returns X: (n, 2) float64, y: (n,) int64 in {0, ..., K-1}.
    """
    where = "make_spirals"
    n_classes = count(n_classes, "n_classes", where, minimum=2)
    n = count(n, "n", where, minimum=n_classes)
    noise = _check_noise(noise, where)
    turns = real_number(turns, "turns", where, low=0.0, low_open=True)
    rng = generator(rng, where)
    counts = _balanced_counts(n, n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    # Starting away from the origin keeps the arms from collapsing onto one point.
    s = rng.uniform(0.05, 1.0, n)
    angle = 2.0 * np.pi * turns * s + 2.0 * np.pi * y / n_classes
    X = s[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]) + noise * rng.standard_normal((n, 2))
    return _shuffle_together(X, y, rng)


# --------------------------------------------------------------------------------------------
# Related tasks with a relatedness knob
# --------------------------------------------------------------------------------------------


# Cached: the 101-point quadrature costs ~10 ms, and explorers build dozens of teachers per update.
@functools.lru_cache(maxsize=64)
def _activation_variance(activation: str, gain: float) -> float:
    """Var[act(gain * z)] for z ~ N(0, 1), by Gauss-Hermite quadrature (exact for 'linear')."""
    if activation == "linear":
        return gain**2
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    weights = weights / np.sqrt(2.0 * np.pi)
    values = np.tanh(gain * nodes)
    mean = float(weights @ values)
    return float(weights @ values**2) - mean**2


class RelatedTaskTeacher(NamedTuple):
    """The fixed random functions behind :func:`make_related_tasks`.

    task_weights: (T, H, d) first-layer weights of each task's teacher,
        W_t = sqrt(rho) * shared_weights + sqrt(1 - rho) * private_weights[t]; every row has unit norm.
    shared_weights: (H, d) the shared directions U.
    private_weights: (T, H, d) each task's private directions V_t.
    readout: (H,) +-1 second-layer weights, the same for every task.
    output_scale: float, divides the sum so each noiseless target has variance 1 for x ~ N(0, I).
    rho, noise, activation, gain: as passed to :func:`make_related_task_teacher`.
    task_types: tuple of 'regression' / 'classification', one per task.
    """

    task_weights: np.ndarray
    shared_weights: np.ndarray
    private_weights: np.ndarray
    readout: np.ndarray
    output_scale: float
    rho: float
    noise: float
    activation: str
    gain: float
    task_types: tuple

    @property
    def n_tasks(self) -> int:
        return self.task_weights.shape[0]

    @property
    def n_features(self) -> int:
        return self.task_weights.shape[2]

    def clean_targets(self, X) -> tuple:
        """Noiseless scores f_t(X) = readout . act(gain * W_t x) / output_scale, one (n,) array per task.

        For a classification task this is the score whose sign is the noiseless label.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"RelatedTaskTeacher.clean_targets: X must have shape (n, {self.n_features}), got {X.shape}"
            )
        pre_activation = self.gain * np.einsum("nd,thd->tnh", X, self.task_weights)
        hidden = np.tanh(pre_activation) if self.activation == "tanh" else pre_activation
        scores = hidden @ self.readout / self.output_scale
        return tuple(scores[t] for t in range(self.n_tasks))

    def sample(self, n: int, *, rng) -> "RelatedTasks":
        """Draw n fresh examples x ~ N(0, I_d) with noisy targets from this teacher.

        Regression: y_t = f_t(x) + noise * e_t. Classification: y_t = 1[f_t(x) + noise * e_t > 0]
        (a noisy threshold, so labels are balanced in expectation). e_t ~ N(0, 1) independent
        across tasks and examples. Use it for a large test set from the same functions.
        """
        where = "RelatedTaskTeacher.sample"
        n = count(n, "n", where)
        rng = generator(rng, where)
        X = rng.standard_normal((n, self.n_features))
        clean = self.clean_targets(X)
        targets = []
        for task_type, score in zip(self.task_types, clean):
            noisy = score + self.noise * rng.standard_normal(n)
            targets.append((noisy > 0).astype(np.int64) if task_type == "classification" else noisy)
        return RelatedTasks(X=X, targets=tuple(targets), clean_targets=clean, teacher=self)


class RelatedTasks(NamedTuple):
    """Samples from :func:`make_related_tasks`.

    X: (n, d) float64 inputs, x ~ N(0, I_d).
    targets: tuple of T arrays (n,): float64 for regression tasks, int64 {0, 1} for classification.
    clean_targets: tuple of T float64 arrays (n,), the noiseless scores f_t(X).
    teacher: the :class:`RelatedTaskTeacher` (true weights; ``teacher.sample`` draws more data).
    """

    X: np.ndarray
    targets: tuple
    clean_targets: tuple
    teacher: RelatedTaskTeacher


def make_related_task_teacher(
    rho: float,
    *,
    rng,
    n_tasks: int = 2,
    n_features: int = 10,
    n_hidden: int = 2,
    noise: float = 0.1,
    task_types: Sequence[str] | None = None,
    activation: str = "tanh",
    gain: float = 1.5,
) -> RelatedTaskTeacher:
    """Build T random two-layer teacher functions whose relatedness is set by rho in [0, 1].

    Each task t has H hidden directions, the rows of W_t = sqrt(rho) U + sqrt(1 - rho) V_t, where
    the rows of U (shared) and of every V_t (private) are orthonormal and mutually orthogonal.
    Hence every row of W_t has unit norm, and for x ~ N(0, I) the pre-activations of hidden unit k
    in tasks s != t have correlation exactly rho (and are independent of other units).

        f_t(x) = sum_k readout_k * act(gain * W_t[k] . x) / output_scale

    with readout_k = +-1 shared by all tasks and output_scale chosen so Var f_t = 1.

    - rho = 1: every task is the *same* function; only the noise differs (Caruana's data
      amplification setting, see :func:`make_amplification_tasks`).
    - rho = 0: the tasks depend on orthogonal directions, so for Gaussian x their noiseless
      targets are independent: sharing can only hurt.
    - In between, the correlation of f_s and f_t rises with rho (it equals rho for
      activation='linear', and is slightly below rho for tanh).

    Mixing a shared and a private unit direction to set task relatedness is the idea of the
    synthetic benchmark in Ma et al. 2018 (KDD, "Modeling task relationships in multi-task
    learning with multi-gate mixture-of-experts"), where the cosine of the two task directions is
    the knob; here the cosine is rho. The tanh two-layer teacher is our choice, so a nonlinear
    student has something to learn.

    rho: relatedness in [0, 1].
    n_tasks: T >= 1. n_features: d, needs d >= H * (T + 1) for the orthogonal directions.
    n_hidden: H >= 1 hidden units per teacher. noise: std of the target noise (targets have unit
    variance before noise, so noise=0.5 is a signal-to-noise ratio of 4 in variance).
    task_types: T entries, each 'regression' or 'classification'; default all regression.
    activation: 'tanh' or 'linear'. gain: pre-activation scale > 0; larger means a more
    saturated, more nonlinear tanh teacher.
    """
    return _build_related_task_teacher(
        "make_related_task_teacher",
        rho,
        rng=rng,
        n_tasks=n_tasks,
        n_features=n_features,
        n_hidden=n_hidden,
        noise=noise,
        task_types=task_types,
        activation=activation,
        gain=gain,
    )


def _build_related_task_teacher(where, rho, *, rng, n_tasks, n_features, n_hidden, noise, task_types, activation, gain):
    """The body of make_related_task_teacher; ``where`` names the public function for error messages."""
    rho = real_number(rho, "rho", where, low=0.0, high=1.0)
    rng = generator(rng, where)
    n_tasks = count(n_tasks, "n_tasks", where)
    n_hidden = count(n_hidden, "n_hidden", where)
    n_features = count(n_features, "n_features", where)
    needed = n_hidden * (n_tasks + 1)
    if n_features < needed:
        raise ValueError(
            f"{where}: n_features={n_features} is too small for n_hidden={n_hidden} shared and "
            f"{n_tasks} x {n_hidden} private orthogonal directions; need n_features >= {needed}"
        )
    noise = _check_noise(noise, where)
    gain = real_number(gain, "gain", where, low=0.0, low_open=True)
    if activation not in ("tanh", "linear"):
        raise ValueError(f"{where}: activation must be 'tanh' or 'linear', got {activation!r}")
    if task_types is None:
        task_types = ("regression",) * n_tasks
    if isinstance(task_types, str):
        raise TypeError(f"{where}: task_types must be a sequence of names, one per task, got the string {task_types!r}")
    task_types = tuple(task_types)
    if len(task_types) != n_tasks:
        raise ValueError(f"{where}: task_types has {len(task_types)} entries but n_tasks={n_tasks}")
    unknown = [name for name in task_types if name not in TASK_TYPES]
    if unknown:
        raise ValueError(f"{where}: unknown task types {unknown}; use 'regression' or 'classification'")

    # QR of a Gaussian matrix gives uniformly random orthonormal directions.
    gaussian = rng.standard_normal((n_features, needed))
    orthonormal, upper = np.linalg.qr(gaussian)
    orthonormal = orthonormal * np.sign(np.diag(upper))  # fix QR's sign ambiguity
    directions = orthonormal.T.reshape(n_tasks + 1, n_hidden, n_features)
    shared_weights = directions[0]
    private_weights = directions[1:]
    task_weights = np.sqrt(rho) * shared_weights[None] + np.sqrt(1.0 - rho) * private_weights
    readout = rng.choice(np.array([-1.0, 1.0]), size=n_hidden)
    output_scale = float(np.sqrt(n_hidden * _activation_variance(activation, gain)))
    return RelatedTaskTeacher(
        task_weights=task_weights,
        shared_weights=shared_weights,
        private_weights=private_weights,
        readout=readout,
        output_scale=output_scale,
        rho=rho,
        noise=noise,
        activation=activation,
        gain=gain,
        task_types=task_types,
    )


def make_related_tasks(
    n: int,
    rho: float,
    *,
    rng,
    n_tasks: int = 2,
    n_features: int = 10,
    n_hidden: int = 2,
    noise: float = 0.1,
    task_types: Sequence[str] | None = None,
    activation: str = "tanh",
    gain: float = 1.5,
) -> RelatedTasks:
    """n examples of T tasks whose relatedness is set by rho in [0, 1].

    Builds a teacher with :func:`make_related_task_teacher` (see there for the construction and
    the arguments) and draws n examples from it. For a test set from the same functions use
    ``data.teacher.sample(n_test, rng=...)``.

    Returns :class:`RelatedTasks` (X (n, d), targets, clean_targets, teacher).
    """
    where = "make_related_tasks"
    n = count(n, "n", where)
    # One generator for the teacher and the samples, so an int seed gives one reproducible stream.
    rng = generator(rng, where)
    teacher = _build_related_task_teacher(
        where,
        rho,
        rng=rng,
        n_tasks=n_tasks,
        n_features=n_features,
        n_hidden=n_hidden,
        noise=noise,
        task_types=task_types,
        activation=activation,
        gain=gain,
    )
    return teacher.sample(n, rng=rng)


def make_amplification_tasks(n: int, *, rng, n_tasks: int = 2, noise: float = 0.5, **teacher_options) -> RelatedTasks:
    """Caruana's statistical data amplification: T tasks that are the *same* function, each
    observed with its own independent noise (Caruana 1997, Machine Learning 28, Section 3).

    Averaging over T independent noise draws is what a shared hidden layer gets from the extra
    tasks. This is :func:`make_related_tasks` with rho = 1; ``teacher_options`` go there.
    """
    return make_related_tasks(n, 1.0, rng=rng, n_tasks=n_tasks, noise=noise, **teacher_options)


# --------------------------------------------------------------------------------------------
# Loss-balancing toys
# --------------------------------------------------------------------------------------------


class KendallToy(NamedTuple):
    """Samples from :func:`make_kendall_toy`.

    x: (n, 1) float64 inputs. y1, y2: (n,) float64 targets.
    noise_scales: (10.0, 1.0), the true noise std of y1 and y2 (what uncertainty weighting's
        learned sigma should approach).
    slopes: (2.0, 3.0); intercepts: (8.0, 3.0).
    """

    x: np.ndarray
    y1: np.ndarray
    y2: np.ndarray
    noise_scales: tuple
    slopes: tuple
    intercepts: tuple


def make_kendall_toy(n: int, *, rng) -> KendallToy:
    """Two linear regression tasks with very different noise: the uncertainty-weighting toy.

    x ~ N(0, 1), y1 = 2x + 8 + 10 e1, y2 = 3x + 3 + e2, e1, e2 ~ N(0, 1) independent.

    A model trained with Kendall, Gal & Cipolla's homoscedastic-uncertainty loss
    (CVPR 2018, "Multi-task learning using uncertainty to weigh losses for scene geometry and
    semantics"), L = sum_t 0.5 exp(-s_t) L_t + 0.5 s_t with s_t = log sigma_t^2, should learn
    sigma_1 ~ 10 and sigma_2 ~ 1. This toy is the one in Y. Gal's public example notebook that
    accompanies the paper.

    Returns :class:`KendallToy`.
    """
    where = "make_kendall_toy"
    n = count(n, "n", where, minimum=2)
    rng = generator(rng, where)
    slopes, intercepts, noise_scales = (2.0, 3.0), (8.0, 3.0), (10.0, 1.0)
    x = rng.standard_normal((n, 1))
    noise = rng.standard_normal((2, n))
    y1 = slopes[0] * x[:, 0] + intercepts[0] + noise_scales[0] * noise[0]
    y2 = slopes[1] * x[:, 0] + intercepts[1] + noise_scales[1] * noise[1]
    return KendallToy(x=x, y1=y1, y2=y2, noise_scales=noise_scales, slopes=slopes, intercepts=intercepts)


# --------------------------------------------------------------------------------------------
# Caruana (1997): why multi-task learning works
# --------------------------------------------------------------------------------------------

#: Caruana's four boolean tasks on 8 bits (his B1..B8 are our bits 0..7), all built on the shared
#: subfunction Parity(B2..B6) = parity of bits 1..5; bits 6 and 7 are used by no task:
#:   Task 1 = B1 OR Parity(B2..B6),  Task 2 = (NOT B1) OR Parity(B2..B6),
#:   Task 3 = B1 AND Parity(B2..B6), Task 4 = (NOT B1) AND Parity(B2..B6).
#: Each rule is (operator, private bit index, negate the private bit).
CARUANA_PARITY_RULES = (("or", 0, False), ("or", 0, True), ("and", 0, False), ("and", 0, True))
_BOOLEAN_OPERATORS = {
    "or": np.logical_or,
    "and": np.logical_and,
    "xor": np.logical_xor,
}


class ParityTasks(NamedTuple):
    """Samples from :func:`make_parity_tasks`.

    X: (n, n_bits) float64 of 0.0/1.0 bits.
    targets: tuple of T int64 arrays (n,) in {0, 1}.
    shared_feature: (n,) int64, the hidden parity of the shared bits that every task uses.
    task_names: tuple of T readable formulas, with 0-based bit names b0, b1, ...
    """

    X: np.ndarray
    targets: tuple
    shared_feature: np.ndarray
    task_names: tuple


def make_parity_tasks(
    n: int,
    *,
    rng,
    n_bits: int = 8,
    parity_bits: Sequence[int] = (1, 2, 3, 4, 5),
    rules: Sequence[tuple] = CARUANA_PARITY_RULES,
    distinct: bool = True,
) -> ParityTasks:
    """Boolean tasks that share a hidden parity feature (Caruana 1997, Machine Learning 28).

    Every task t is ``op_t(bit_t', parity(bits in parity_bits))`` where bit_t' is a private bit
    ``x[rules[t][1]]``, negated when ``rules[t][2]`` is True, and op_t is 'or', 'and' or 'xor'.
    The parity is hard to learn from one task's labels alone; all tasks need it, so a shared
    hidden layer gets a training signal for it from every task. The default rules are Caruana's
    four tasks on 8 bits (see :data:`CARUANA_PARITY_RULES`); bits 6 and 7 are irrelevant inputs.

    Class balance: with 'or' 3/4 of the labels are 1, with 'and' 1/4, with 'xor' 1/2.

    n: number of examples. With ``distinct=True`` (default) they are n different bit patterns
        (so a train/test split never repeats a pattern), which needs n <= 2**n_bits; n = 2**n_bits
        gives every pattern once, in random order. With ``distinct=False`` bits are i.i.d. fair
        coin flips.
    parity_bits: 0-based indices of the shared bits (at least 2, distinct, < n_bits).
    rules: one (operator, private_bit, negate) triple per task; the private bit must not be a
        parity bit, or the task would not be "private bit combined with shared feature".

    Returns :class:`ParityTasks`.
    """
    where = "make_parity_tasks"
    n = count(n, "n", where)
    n_bits = count(n_bits, "n_bits", where, minimum=3)
    rng = generator(rng, where)
    parity_index = [int(b) for b in parity_bits]
    if len(parity_index) < 2 or len(set(parity_index)) != len(parity_index):
        raise ValueError(f"{where}: parity_bits must hold at least 2 distinct bit indices, got {list(parity_bits)}")
    if any(not 0 <= b < n_bits for b in parity_index):
        raise ValueError(f"{where}: parity_bits {parity_index} out of range for n_bits={n_bits}")
    rules = tuple(tuple(rule) for rule in rules)
    if not rules:
        raise ValueError(f"{where}: rules must define at least one task")
    for rule in rules:
        if len(rule) != 3:
            raise ValueError(f"{where}: each rule must be (operator, private_bit, negate), got {rule!r}")
        operator, private_bit, _ = rule
        if operator not in _BOOLEAN_OPERATORS:
            raise ValueError(f"{where}: unknown operator {operator!r} in rule {rule!r}; use 'or', 'and' or 'xor'")
        if not 0 <= int(private_bit) < n_bits:
            raise ValueError(f"{where}: private bit {private_bit} in rule {rule!r} out of range for n_bits={n_bits}")
        if int(private_bit) in parity_index:
            raise ValueError(f"{where}: private bit {private_bit} in rule {rule!r} is also a parity bit {parity_index}")

    if distinct:
        n_patterns = 2**n_bits
        if n > n_patterns:
            raise ValueError(
                f"{where}: n={n} distinct patterns requested but n_bits={n_bits} has only {n_patterns}; "
                "lower n or pass distinct=False"
            )
        codes = rng.choice(n_patterns, size=n, replace=False)
        bits = (codes[:, None] >> np.arange(n_bits)) & 1
    else:
        bits = rng.integers(0, 2, size=(n, n_bits))
    bits = bits.astype(bool)
    shared = np.logical_xor.reduce(bits[:, parity_index], axis=1)
    parity_name = "parity(" + ",".join(f"b{b}" for b in parity_index) + ")"
    targets, names = [], []
    for operator, private_bit, negate in rules:
        private = ~bits[:, int(private_bit)] if negate else bits[:, int(private_bit)]
        targets.append(_BOOLEAN_OPERATORS[operator](private, shared).astype(np.int64))
        names.append(f"{'NOT ' if negate else ''}b{int(private_bit)} {operator.upper()} {parity_name}")
    return ParityTasks(
        X=bits.astype(np.float64),
        targets=tuple(targets),
        shared_feature=shared.astype(np.int64),
        task_names=tuple(names),
    )


class AttributeSelectionTasks(NamedTuple):
    """Samples from :func:`make_attribute_selection_tasks`.

    X: (n, n_relevant + n_irrelevant) float64, x ~ N(0, I).
    targets: tuple of T float64 arrays (n,), noisy.
    clean_targets: tuple of T float64 arrays (n,), noiseless.
    relevant_features: (n_relevant,) int64 column indices that the tasks use (the first columns).
    task_weights: (T, n_relevant) float64 unit-norm weights of each task on the relevant inputs.
    """

    X: np.ndarray
    targets: tuple
    clean_targets: tuple
    relevant_features: np.ndarray
    task_weights: np.ndarray


def make_attribute_selection_tasks(
    n: int,
    *,
    rng,
    n_tasks: int = 4,
    n_relevant: int = 2,
    n_irrelevant: int = 30,
    noise: float = 0.3,
) -> AttributeSelectionTasks:
    """Few samples, many irrelevant inputs: Caruana's attribute-selection mechanism.

    Every task is a different linear function of the same few relevant inputs,
    y_t = X[:, :n_relevant] @ a_t + noise * e_t with a_t a random unit vector, and the other
    n_irrelevant columns are pure noise inputs. With few samples one task alone can hardly tell
    which inputs matter; the other tasks' training signals point at the same inputs, so a shared
    hidden layer learns to attend to them (Caruana 1997, Machine Learning 28, Section 3).

    The relevant inputs are the first ``n_relevant`` columns, so a plot of first-layer weights
    shows at once whether the net found them.

    Returns :class:`AttributeSelectionTasks`.
    """
    where = "make_attribute_selection_tasks"
    n = count(n, "n", where)
    rng = generator(rng, where)
    n_tasks = count(n_tasks, "n_tasks", where)
    n_relevant = count(n_relevant, "n_relevant", where)
    n_irrelevant = count(n_irrelevant, "n_irrelevant", where, minimum=0)
    noise = _check_noise(noise, where)
    task_weights = rng.standard_normal((n_tasks, n_relevant))
    task_weights /= np.linalg.norm(task_weights, axis=1, keepdims=True)
    X = rng.standard_normal((n, n_relevant + n_irrelevant))
    clean = X[:, :n_relevant] @ task_weights.T
    noisy = clean + noise * rng.standard_normal(clean.shape)
    return AttributeSelectionTasks(
        X=X,
        targets=tuple(noisy[:, t] for t in range(n_tasks)),
        clean_targets=tuple(clean[:, t] for t in range(n_tasks)),
        relevant_features=np.arange(n_relevant, dtype=np.int64),
        task_weights=task_weights,
    )


def input_as_extra_output(X, feature_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Move one input column to the output side, to be predicted as an extra task.

    Caruana & de Sa (1997, NIPS 9, "Promoting poor features to supervisors: some inputs work
    better as outputs"): a noisy or weakly useful input can help more as an auxiliary target than
    as an input, since the net must then learn the structure that predicts it.

    X: (n, d) float array, d >= 2. feature_index: column to move, 0 <= index < d (negative
        indices count from the end, as in Python).
    Returns (X_rest (n, d - 1), extra_target (n,)).
    """
    where = "input_as_extra_output"
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{where}: X must be 2-D (n, d), got shape {X.shape}")
    d = X.shape[1]
    if d < 2:
        raise ValueError(f"{where}: X needs at least 2 columns so one input is left, got {d}")
    if isinstance(feature_index, bool) or not isinstance(feature_index, numbers.Integral):
        raise TypeError(f"{where}: feature_index must be an int, got {type(feature_index).__name__}")
    if not -d <= feature_index < d:
        raise ValueError(f"{where}: feature_index={feature_index} out of range for {d} columns")
    column = int(feature_index) % d
    keep = [c for c in range(d) if c != column]
    return X[:, keep], X[:, column].copy()


class EavesdroppingTasks(NamedTuple):
    """Samples from :func:`make_eavesdropping_tasks`.

    X: (n, d) float64 inputs, x ~ N(0, I_d).
    targets: (hard, easy), two float64 arrays (n,), noisy. The hard task comes first: it is the
        main task of the lesson's experiment, the easy one the task it eavesdrops on.
    clean_targets: the same two tasks without noise.
    feature: (n,) float64, the shared hidden feature F = X @ feature_direction, F ~ N(0, 1).
    feature_direction: (d,) float64 unit vector w.
    """

    X: np.ndarray
    targets: tuple
    clean_targets: tuple
    feature: np.ndarray
    feature_direction: np.ndarray


def make_eavesdropping_tasks(n: int, *, rng, n_features: int = 10, noise: float = 0.3, gain: float = 1.5) -> EavesdroppingTasks:
    """Two tasks that need the same hidden feature, easy to find for one, hard for the other.

    Caruana (1997, Machine Learning 28, Section 3) calls this eavesdropping: a feature F useful to
    tasks A and B may be easy to learn from A's training signal and hard from B's, because B uses F
    in a more complex way; a net trained on both can learn F through A and B reads it from the
    shared layer. Here F = w . x for a random unit vector w, and (each scaled to variance 1 before
    noise of std ``noise`` is added)

        easy task: tanh(gain * F), which rises with F, so even a linear model of x finds w;
        hard task: |F|, an even function: for Gaussian x its covariance with every linear
            function of x is exactly 0, so at the start of training its gradient on a first-layer
            weight holds no first-order pull toward w, and a single-task net must find w from
            weaker, higher-order signals, which takes many more examples.

    The generator and the teacher are our construction; Caruana describes the mechanism, not this
    data. w is drawn before X, so one seed gives the same w for every n.

    Returns :class:`EavesdroppingTasks`.
    """
    where = "make_eavesdropping_tasks"
    n = count(n, "n", where)
    rng = generator(rng, where)
    n_features = count(n_features, "n_features", where, minimum=2)
    noise = _check_noise(noise, where)
    gain = real_number(gain, "gain", where, low=0.0, low_open=True)
    direction = rng.standard_normal(n_features)
    direction /= np.linalg.norm(direction)
    X = rng.standard_normal((n, n_features))
    feature = X @ direction
    easy = np.tanh(gain * feature) / np.sqrt(_activation_variance("tanh", gain))
    mean_abs = np.sqrt(2.0 / np.pi)  # E|F| and Var|F| = 1 - 2/pi for F ~ N(0, 1)
    hard = (np.abs(feature) - mean_abs) / np.sqrt(1.0 - mean_abs**2)
    clean = (hard, easy)
    noisy = tuple(target + noise * rng.standard_normal(n) for target in clean)
    return EavesdroppingTasks(X=X, targets=noisy, clean_targets=clean, feature=feature, feature_direction=direction)


class RepresentationBiasTasks(NamedTuple):
    """Samples from :func:`make_representation_bias_tasks`.

    X: (n, 2 + n_irrelevant) float64: column 0 is copy A of the latent z, column 1 copy B, the rest
        irrelevant N(0, 1) inputs.
    targets: (main, helper), two float64 arrays (n,), noisy.
    clean_targets: the same two tasks without noise.
    latent: (n,) float64, z ~ N(0, 1).
    """

    X: np.ndarray
    targets: tuple
    clean_targets: tuple
    latent: np.ndarray


def make_representation_bias_tasks(n: int, *, rng, copy_noise: float = 0.5, n_irrelevant: int = 8,
                                   noise: float = 0.3) -> RepresentationBiasTasks:
    """A main task with two equally good inputs, and a helper task that needs one of them.

    Caruana (1997, Machine Learning 28, Section 3) argues that a task trained alongside others
    prefers hidden representations the other tasks also prefer (representation bias). Here a latent
    z ~ N(0, 1) is observed twice, as x_A = z + copy_noise * e_A and x_B = z + copy_noise * e_B with
    independent noises, so for the main task

        main: tanh(1.5 z), scaled to variance 1,

    the two copies are exactly equally useful (the best use is their average). The helper task
    needs copy A itself, not z:

        helper: sin(2 x_A), scaled to variance 1.

    Alone, a net for the main task has no reason to prefer A over B; trained with the helper on a
    shared layer, it can end up relying on A. Both targets get Gaussian noise of std ``noise``.
    The construction is ours; Caruana describes the mechanism, not this data.

    Returns :class:`RepresentationBiasTasks`.
    """
    where = "make_representation_bias_tasks"
    n = count(n, "n", where)
    rng = generator(rng, where)
    copy_noise = real_number(copy_noise, "copy_noise", where, low=0.0)
    n_irrelevant = count(n_irrelevant, "n_irrelevant", where, minimum=0)
    noise = _check_noise(noise, where)
    latent = rng.standard_normal(n)
    copies = latent[:, None] + copy_noise * rng.standard_normal((n, 2))
    X = np.hstack([copies, rng.standard_normal((n, n_irrelevant))])
    main = np.tanh(1.5 * latent) / np.sqrt(_activation_variance("tanh", 1.5))
    # For x ~ N(0, v): E sin(2x) = 0 and Var sin(2x) = (1 - exp(-8v)) / 2.
    helper_variance = (1.0 - np.exp(-8.0 * (1.0 + copy_noise**2))) / 2.0
    helper = np.sin(2.0 * copies[:, 0]) / np.sqrt(helper_variance)
    clean = (main, helper)
    noisy = tuple(target + noise * rng.standard_normal(n) for target in clean)
    return RepresentationBiasTasks(X=X, targets=noisy, clean_targets=clean, latent=latent)


# --------------------------------------------------------------------------------------------
# Palmer penguins
# --------------------------------------------------------------------------------------------

_PENGUIN_COLUMNS = (
    "species",
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
    "year",
)
_PENGUIN_MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm")
PENGUIN_SPECIES = ("Adelie", "Chinstrap", "Gentoo")
PENGUIN_ISLANDS = ("Biscoe", "Dream", "Torgersen")
PENGUIN_SEXES = ("female", "male")
_MISSING = ("NA", "")


class Penguins(NamedTuple):
    """The Palmer penguins as arrays, from :func:`load_penguins`.

    features: (n, 6) float64: bill_length_mm, bill_depth_mm, flipper_length_mm, then island
        one-hot (Biscoe, Dream, Torgersen). Body mass is a target, not a feature.
    feature_names: the 6 column names of ``features``.
    species: (n,) int64 in {0, 1, 2}, names in ``species_names`` (Adelie, Chinstrap, Gentoo).
    sex: (n,) int64 in {0, 1} (female, male); -1 marks a missing value when drop_missing=False.
    body_mass_g: (n,) float64; NaN marks a missing value when drop_missing=False.
    year: (n,) int64 study year 2007-2009 (not a feature; for grouping or splitting by year).
    species_names, sex_names, island_names: tuples of class names, in code order.
    n_dropped: rows dropped for missing values (0 when drop_missing=False).
    """

    features: np.ndarray
    feature_names: tuple
    species: np.ndarray
    sex: np.ndarray
    body_mass_g: np.ndarray
    year: np.ndarray
    species_names: tuple
    sex_names: tuple
    island_names: tuple
    n_dropped: int


def _read_penguin_rows() -> list[dict]:
    text = resources.files("mtl_edu").joinpath("data/penguins.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _PENGUIN_COLUMNS:
        raise ValueError(
            f"load_penguins: data/penguins.csv has columns {reader.fieldnames}, expected {list(_PENGUIN_COLUMNS)}"
        )
    return list(reader)


def load_penguins(drop_missing: bool = True) -> Penguins:
    """Load the Palmer penguins: 344 penguins of three species from three islands, 2007-2009.

    Data: Gorman, Williams & Fraser 2014, "Ecological sexual dimorphism and environmental
    variability within a community of Antarctic penguins (genus Pygoscelis)", PLoS ONE 9(3):
    e90081; collected at Palmer Station, Antarctica LTER. Released under CC0 (public domain). The
    file shipped here is the cleaned ``penguins.csv`` of the palmerpenguins package (Horst, Hill &
    Gorman 2020; Python port on PyPI), unchanged. It is read from the package with
    importlib.resources, using only the standard csv module.

    Typical tasks: species (3 classes) and sex (2 classes) are classification targets,
    body_mass_g a regression target; the features are bill length, bill depth, flipper length and
    the island.

    Missing values, in the shipped file: 2 rows (one Adelie, one Gentoo) have no measurements at
    all and no sex; 9 more rows have measurements but no sex; so 11 rows lack something.
    drop_missing=True drops all 11 and keeps 333 (n_dropped = 11). drop_missing=False keeps all
    344 with NaN for missing measurements / body mass and -1 for missing sex; then the caller must
    handle them (a NaN reaching a loss makes the whole loss NaN).
    """
    if not isinstance(drop_missing, bool):
        raise TypeError(f"load_penguins: drop_missing must be True or False, got {drop_missing!r}")
    rows = _read_penguin_rows()

    def is_missing(row: dict) -> bool:
        return any(row[column] in _MISSING for column in (*_PENGUIN_MEASUREMENTS, "body_mass_g", "sex"))

    kept = [row for row in rows if not is_missing(row)] if drop_missing else rows
    n = len(kept)

    def code(row: dict, column: str, names: tuple) -> int:
        value = row[column]
        if value in _MISSING:
            return -1
        if value not in names:
            raise ValueError(f"load_penguins: unexpected {column} value {value!r}; expected one of {list(names)}")
        return names.index(value)

    def number(value: str) -> float:
        return np.nan if value in _MISSING else float(value)

    measurements = np.array([[number(row[c]) for c in _PENGUIN_MEASUREMENTS] for row in kept], dtype=np.float64).reshape(n, 3)
    island_codes = np.array([code(row, "island", PENGUIN_ISLANDS) for row in kept], dtype=np.int64)
    island_one_hot = np.zeros((n, len(PENGUIN_ISLANDS)))
    island_one_hot[np.arange(n), island_codes] = 1.0
    species = np.array([code(row, "species", PENGUIN_SPECIES) for row in kept], dtype=np.int64)
    if np.any(species < 0):
        raise ValueError("load_penguins: a row has no species; the shipped file should have none")
    return Penguins(
        features=np.hstack([measurements, island_one_hot]),
        feature_names=(*_PENGUIN_MEASUREMENTS, *(f"island_{name}" for name in PENGUIN_ISLANDS)),
        species=species,
        sex=np.array([code(row, "sex", PENGUIN_SEXES) for row in kept], dtype=np.int64),
        body_mass_g=np.array([number(row["body_mass_g"]) for row in kept], dtype=np.float64),
        year=np.array([int(row["year"]) for row in kept], dtype=np.int64),
        species_names=PENGUIN_SPECIES,
        sex_names=PENGUIN_SEXES,
        island_names=PENGUIN_ISLANDS,
        n_dropped=len(rows) - n,
    )
