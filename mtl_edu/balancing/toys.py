"""The two-objective toy of the CAGrad paper, with analytic gradients, and a trajectory runner.

Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS
2021, Figure 1: two losses L1, L2 of a point x = (x1, x2) in the plane, optimised from three
starting points with Adam (lr 1e-3) under different gradient aggregators. The losses follow the
definitions in ``toy.py`` of the authors' repository (Cranial-XIX/CAGrad); the gradients here are
derived by hand, not by autodiff.

With  a = -x1/2 - 7/2 + tanh(x2),   b = -x1/2 + 7/2 - tanh(x2),   floor = 5e-6:

    upper half (x2 > 0), gated by c1 = max(tanh(x2/2), 0):
        l1 = log(max(|a|, floor)) + 6,       l2 = log(max(|b|, floor)) + 6
    lower half (x2 < 0), gated by c2 = max(tanh(-x2/2), 0):
        q1 = ((x1 - 7)^2 + (x2 + 8)^2 / 10) / 10 - 20
        q2 = ((x1 + 7)^2 + (x2 + 8)^2 / 10) / 10 - 20
    L1 = c1 l1 + c2 q1,    L2 = c1 l2 + c2 q2.

In the lower half, minimising lambda L1 + (1 - lambda) L2 gives x1 = 14 lambda - 7 and an x2 that
solves a one-dimensional equation, so the Pareto set is a curve over x1 in [-7, 7]. It is nearly
flat: x2 = -8.3551 at x1 = 0 (the minimiser of the average loss, the paper's (0, -8.3552)) and
x2 = -8.4345 at x1 = +-7 (the paper draws it as the line x2 = -8.3552).
:func:`pareto_front_toy` computes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .aggregators import AGGREGATORS, TWO_TASK_METHODS, get_aggregator, two_task_direction
from ..nets.optim import adam_step

__all__ = [
    "TOY_STARTS",
    "TOY_LOSS_FLOOR",
    "cagrad_toy",
    "cagrad_toy_grid",
    "pareto_front_toy",
    "toy_average_optimum",
    "distance_to_pareto_set",
    "run_toy",
    "run_toy_many",
    "FAST_TOY_METHODS",
    "run_toy_many_fast",
    "TOY_OPTIMIZERS",
    "ToyStepGains",
    "toy_step_gains",
    "fonseca_fleming",
    "weighted_sum_minimisers",
]

TOY_STARTS = np.array([[-8.5, 7.5], [-8.5, -5.0], [9.0, 9.0]])
"""(3, 2) the published starting points of the CAGrad toy."""
TOY_STARTS.setflags(write=False)

TOY_LOSS_FLOOR = 5e-6
"""Floor on |a| and |b| inside the logarithms (the constant LOWER of the authors' toy.py)."""

_LOG_FLOOR = math.log(TOY_LOSS_FLOOR)


# ----------------------------------------------------------------------------------------------
# the landscape
# ----------------------------------------------------------------------------------------------

def _toy_point(x1: float, x2: float) -> tuple[float, float, float, float, float, float]:
    """(L1, L2, dL1/dx1, dL1/dx2, dL2/dx1, dL2/dx2) at one point, on plain floats for speed."""
    tanh_x2 = math.tanh(x2)
    dtanh_x2 = 1.0 - tanh_x2 * tanh_x2
    a = -0.5 * x1 - 3.5 + tanh_x2
    b = -0.5 * x1 + 3.5 - tanh_x2
    # The floor cuts the log's slope to zero below it; at the floor itself we keep the slope, as
    # PyTorch's clamp does in the reference code.
    if abs(a) >= TOY_LOSS_FLOOR:
        log_a, dlog_a = math.log(abs(a)) + 6.0, 1.0 / a
    else:
        log_a, dlog_a = _LOG_FLOOR + 6.0, 0.0
    if abs(b) >= TOY_LOSS_FLOOR:
        log_b, dlog_b = math.log(abs(b)) + 6.0, 1.0 / b
    else:
        log_b, dlog_b = _LOG_FLOOR + 6.0, 0.0
    shift = x2 + 8.0
    quad_1 = ((x1 - 7.0) ** 2 + 0.1 * shift * shift) / 10.0 - 20.0
    quad_2 = ((x1 + 7.0) ** 2 + 0.1 * shift * shift) / 10.0 - 20.0
    half = math.tanh(0.5 * x2)
    dhalf = 0.5 * (1.0 - half * half)
    # Gates c1 = max(tanh(x2/2), 0), c2 = max(-tanh(x2/2), 0); both pass slope at x2 = 0.
    gate_up, dgate_up = (half, dhalf) if half >= 0.0 else (0.0, 0.0)
    gate_down, dgate_down = (-half, -dhalf) if half <= 0.0 else (0.0, 0.0)
    loss_1 = gate_up * log_a + gate_down * quad_1
    loss_2 = gate_up * log_b + gate_down * quad_2
    d1_dx1 = gate_up * (-0.5 * dlog_a) + gate_down * (x1 - 7.0) / 5.0
    d2_dx1 = gate_up * (-0.5 * dlog_b) + gate_down * (x1 + 7.0) / 5.0
    dquad_dx2 = 0.02 * shift
    d1_dx2 = (gate_up * dlog_a * dtanh_x2 + dgate_up * log_a
              + gate_down * dquad_dx2 + dgate_down * quad_1)
    d2_dx2 = (-gate_up * dlog_b * dtanh_x2 + dgate_up * log_b
              + gate_down * dquad_dx2 + dgate_down * quad_2)
    return loss_1, loss_2, d1_dx1, d1_dx2, d2_dx1, d2_dx2


def _check_point(x, name: str) -> tuple[float, float]:
    try:
        point = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: x must be a pair of numbers (x1, x2), got {x!r}") from None
    if point.shape != (2,):
        raise ValueError(f"{name}: x must have shape (2,), got shape {point.shape}")
    if not np.isfinite(point).all():
        raise ValueError(f"{name}: x must be finite, got {point.tolist()}")
    return float(point[0]), float(point[1])


def cagrad_toy(x) -> tuple[np.ndarray, np.ndarray]:
    """The two toy losses and their gradients at one point.

    x: (2,) the point (x1, x2). Returns losses: (2,) = (L1, L2) and grads: (2, 2) with row t the
    gradient of L_t, i.e. the per-task gradient matrix G that the aggregators take.
    """
    x1, x2 = _check_point(x, "cagrad_toy")
    loss_1, loss_2, d1_dx1, d1_dx2, d2_dx1, d2_dx2 = _toy_point(x1, x2)
    return np.array([loss_1, loss_2]), np.array([[d1_dx1, d1_dx2], [d2_dx1, d2_dx2]])


def cagrad_toy_grid(X1, X2) -> tuple[np.ndarray, np.ndarray]:
    """Both toy losses on arrays of points (e.g. from numpy.meshgrid), for contour plots.

    X1, X2: arrays of the same shape S. Returns (L1, L2), each of shape S.
    """
    X1 = np.asarray(X1, dtype=np.float64)
    X2 = np.asarray(X2, dtype=np.float64)
    if X1.shape != X2.shape:
        raise ValueError(f"cagrad_toy_grid: X1 and X2 must have the same shape, "
                         f"got {X1.shape} and {X2.shape}")
    tanh_x2 = np.tanh(X2)
    a = -0.5 * X1 - 3.5 + tanh_x2
    b = -0.5 * X1 + 3.5 - tanh_x2
    log_a = np.log(np.maximum(np.abs(a), TOY_LOSS_FLOOR)) + 6.0
    log_b = np.log(np.maximum(np.abs(b), TOY_LOSS_FLOOR)) + 6.0
    quad_common = 0.01 * (X2 + 8.0) ** 2 - 20.0
    quad_1 = (X1 - 7.0) ** 2 / 10.0 + quad_common
    quad_2 = (X1 + 7.0) ** 2 / 10.0 + quad_common
    half = np.tanh(0.5 * X2)
    gate_up, gate_down = np.maximum(half, 0.0), np.maximum(-half, 0.0)
    return gate_up * log_a + gate_down * quad_1, gate_up * log_b + gate_down * quad_2


# ----------------------------------------------------------------------------------------------
# Pareto set and average-loss optimum
# ----------------------------------------------------------------------------------------------

def _pareto_x2(weight_1: np.ndarray) -> np.ndarray:
    """x2 of the Pareto point with weight lambda = weight_1 on L1 (vectorised bisection)."""
    # In the lower half, min over x1 of lambda q1 + (1 - lambda) q2 equals
    # 19.6 lambda (1 - lambda) + 0.01 (x2 + 8)^2 - 20 =: B(x2); the x2-stationarity of
    # tanh(-x2/2) * B(x2) reads  -0.5 sech^2(x2/2) B + tanh(-x2/2) 0.02 (x2 + 8) = 0.
    # Its left side is positive at x2 = -8 and negative at x2 = -12 for every lambda in [0, 1].
    spread = 19.6 * weight_1 * (1.0 - weight_1) - 20.0
    low = np.full_like(weight_1, -12.0)
    high = np.full_like(weight_1, -8.0)
    for _ in range(60):
        middle = 0.5 * (low + high)
        gate = np.tanh(-0.5 * middle)
        slope = -0.5 * (1.0 - gate**2) * (spread + 0.01 * (middle + 8.0) ** 2) \
            + gate * 0.02 * (middle + 8.0)
        negative = slope < 0.0
        low = np.where(negative, middle, low)
        high = np.where(negative, high, middle)
    return 0.5 * (low + high)


def pareto_front_toy(n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Points of the toy's Pareto set and front, for plotting.

    Every Pareto-optimal point satisfies lambda grad L1 + (1 - lambda) grad L2 = 0 for some
    lambda in [0, 1]; in the lower half-plane the x1 part gives x1 = 14 lambda - 7 and the x2
    part a one-dimensional equation solved here by bisection.

    n: number of points (>= 2), evenly spaced in x1 over [-7, 7].
    Returns points: (n, 2) the Pareto set, and losses: (n, 2) the Pareto front (L1, L2).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"pareto_front_toy: n must be an integer >= 2, got {n!r}")
    x1 = np.linspace(-7.0, 7.0, int(n))
    x2 = _pareto_x2((x1 + 7.0) / 14.0)
    losses = np.stack(cagrad_toy_grid(x1, x2), axis=1)
    return np.stack([x1, x2], axis=1), losses


def toy_average_optimum() -> np.ndarray:
    """(2,) the minimiser of the average loss (L1 + L2) / 2: the Pareto point with lambda = 1/2.

    The paper quotes (0, -8.3552).
    """
    return np.array([0.0, float(_pareto_x2(np.array([0.5]))[0])])


def distance_to_pareto_set(points, n: int = 4001) -> np.ndarray:
    """Euclidean distance from each point to the Pareto set (sampled with n points).

    points: (N, 2) or (2,). Returns (N,) distances (a scalar array for a single point).
    """
    points = np.asarray(points, dtype=np.float64)
    if points.shape[-1:] != (2,) or points.ndim > 2:
        raise ValueError(f"distance_to_pareto_set: points must have shape (N, 2) or (2,), "
                         f"got {points.shape}")
    curve, _ = pareto_front_toy(n)
    flat = points.reshape(-1, 2)
    distances = np.sqrt(((flat[:, None, :] - curve[None, :, :]) ** 2).sum(axis=-1)).min(axis=1)
    return distances.reshape(points.shape[:-1])


# ----------------------------------------------------------------------------------------------
# optimisation runs
# ----------------------------------------------------------------------------------------------

def run_toy(method: str, start, steps: int, lr: float = 1e-3,
            rng: np.random.Generator | None = None, **hyper) -> np.ndarray:
    """Optimise the toy with Adam, steering by an aggregator of the two task gradients.

    Each step computes G = (grad L1, grad L2), takes d = aggregate(method, G, rng, **hyper) and
    feeds d to Adam (betas 0.9, 0.999, eps 1e-8, bias-corrected, as torch.optim.Adam), exactly
    the protocol of the paper's toy (there: 100k steps at lr 1e-3).

    method: a name in mtl_edu.balancing.aggregators.AGGREGATORS; start: (2,) initial point;
    steps: number of Adam steps (>= 0); lr > 0; rng: Generator for the random aggregators
    (pcgrad does not need one on two tasks; graddrop does); hyper: passed to the aggregator,
    e.g. c=0.5 for cagrad.
    Returns the trajectory: (steps + 1, 2), row 0 being the start.
    """
    x1, x2 = _check_point(start, "run_toy")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"run_toy: steps must be an integer >= 0, got {steps!r}")
    if not (isinstance(lr, (int, float, np.floating)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"run_toy: lr must be a finite number > 0, got {lr!r}")
    direction_of = get_aggregator(method, rng=rng, **hyper)
    first_1 = first_2 = second_1 = second_2 = 0.0  # Adam's moments, one pair per coordinate
    trajectory = np.empty((int(steps) + 1, 2))
    trajectory[0] = x1, x2
    for step in range(1, int(steps) + 1):
        _, _, d1_dx1, d1_dx2, d2_dx1, d2_dx2 = _toy_point(x1, x2)
        G = np.array(((d1_dx1, d1_dx2), (d2_dx1, d2_dx2)))
        direction_1, direction_2 = direction_of(G).tolist()
        first_1, second_1, step_1 = adam_step(first_1, second_1, direction_1, step, lr, sqrt=math.sqrt)
        first_2, second_2, step_2 = adam_step(first_2, second_2, direction_2, step, lr, sqrt=math.sqrt)
        x1 -= step_1
        x2 -= step_2
        trajectory[step] = x1, x2
    return trajectory


def run_toy_many(methods=None, starts=TOY_STARTS, steps: int = 100_000, lr: float = 1e-3,
                 seed: int = 0, hyper: dict | None = None) -> dict[str, np.ndarray]:
    """Run :func:`run_toy` for every method from every start.

    methods: names (default: every aggregator except "sum", which Adam makes identical to
    "mean"); starts: (S, 2), default TOY_STARTS; hyper: {method: {name: value}} per-method
    hyper-parameters; seed: each (method, start) run gets numpy.random.default_rng((seed, s)).
    Returns {method: trajectories (S, steps + 1, 2)}.
    """
    if methods is None:
        methods = [name for name in AGGREGATORS if name != "sum"]
    if isinstance(methods, str):
        methods = [methods]
    starts = np.asarray(starts, dtype=np.float64)
    if starts.ndim != 2 or starts.shape[1] != 2:
        raise ValueError(f"run_toy_many: starts must have shape (S, 2), got {starts.shape}")
    hyper = {} if hyper is None else dict(hyper)
    unknown = sorted(set(hyper) - set(methods))
    if unknown:
        raise ValueError(f"run_toy_many: hyper names methods that are not run: {unknown}")
    results = {}
    for method in methods:
        results[method] = np.stack([
            run_toy(method, start, steps, lr=lr,
                    rng=np.random.default_rng((seed, index)), **hyper.get(method, {}))
            for index, start in enumerate(starts)
        ])
    return results


# ----------------------------------------------------------------------------------------------
# many runs, fast: the two-task closed forms on plain floats
# ----------------------------------------------------------------------------------------------

FAST_TOY_METHODS = TWO_TASK_METHODS  # the aggregators with a two-task closed form on floats
"""The aggregators :func:`run_toy_many_fast` knows in two-task closed form ("sum" moves like
"mean" under Adam, as in :func:`run_toy_many`)."""

_FAST_TOY_HYPER = {"cagrad": ("c", "rescale")}
def _run_toy_fast(direction, x1: float, x2: float, steps: int, lr: float, record_every: int,
                  draws, plain: bool = False, gains: list | None = None) -> np.ndarray:
    """One run on the toy, keeping every record_every-th point: Adam (the arithmetic of run_toy), or
    plain steps x <- x - lr * d when plain is true. When gains is a list, each step appends
    (g1·d, g2·d, g1·s, g2·s): what the direction d and the step actually taken, s, promise each task."""
    first_1 = first_2 = second_1 = second_2 = 0.0
    kept = [(x1, x2)]
    u1 = u2 = 0.0
    for step in range(1, steps + 1):
        _, _, d1_dx1, d1_dx2, d2_dx1, d2_dx2 = _toy_point(x1, x2)
        if draws is not None:
            u1, u2 = draws[step - 1]
        direction_1, direction_2 = direction(d1_dx1, d1_dx2, d2_dx1, d2_dx2, u1, u2)
        if plain:
            step_1, step_2 = lr * direction_1, lr * direction_2
        else:
            first_1, second_1, step_1 = adam_step(first_1, second_1, direction_1, step, lr, sqrt=math.sqrt)
            first_2, second_2, step_2 = adam_step(first_2, second_2, direction_2, step, lr, sqrt=math.sqrt)
        x1 -= step_1
        x2 -= step_2
        if gains is not None:
            gains.append((d1_dx1 * direction_1 + d1_dx2 * direction_2, d2_dx1 * direction_1 + d2_dx2 * direction_2,
                          d1_dx1 * step_1 + d1_dx2 * step_2, d2_dx1 * step_1 + d2_dx2 * step_2))
        if step % record_every == 0 or step == steps:
            kept.append((x1, x2))
    return np.array(kept)


@dataclass(frozen=True)
class ToyStepGains:
    """One run on the toy, every step kept: what the direction promised and what the step did.

    path: (steps + 1, 2) points, row 0 the start; direction_gains: (steps, 2), g_t·d of each step;
    step_gains: (steps, 2), g_t·s for the step s actually taken (s = lr·d for plain steps, Adam's
    rescaled step otherwise). A small step changes L_t by about -g_t·s.
    """

    method: str
    optimizer: str
    lr: float
    path: np.ndarray
    direction_gains: np.ndarray
    step_gains: np.ndarray


TOY_OPTIMIZERS = ("adam", "plain")
"""How :func:`toy_step_gains` turns a direction d into a step: Adam (as run_toy) or x <- x - lr·d."""


def toy_step_gains(method: str, start, steps: int, lr: float, optimizer: str = "adam") -> ToyStepGains:
    """Run one method of FAST_TOY_METHODS from one start (graddrop excepted: it draws at random) and keep,
    at every step, g_t·d and g_t·s for both tasks: does the step taken keep the direction's promise?

    optimizer: "adam" (the lesson's runs) or "plain" (x <- x - lr * d, the step of lesson 07's section 1).
    """
    if optimizer not in TOY_OPTIMIZERS:
        raise ValueError(f"toy_step_gains: optimizer must be one of {TOY_OPTIMIZERS}, got {optimizer!r}")
    if method not in FAST_TOY_METHODS or method == "graddrop":
        choices = ", ".join(m for m in FAST_TOY_METHODS if m != "graddrop")
        raise ValueError(f"toy_step_gains: method must be one of {choices}, got {method!r}")
    x1, x2 = _check_point(start, "toy_step_gains")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"toy_step_gains: steps must be an integer >= 1, got {steps!r}")
    if not (isinstance(lr, (int, float, np.floating)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"toy_step_gains: lr must be a finite number > 0, got {lr!r}")
    gains: list = []
    path = _run_toy_fast(two_task_direction(method), x1, x2, int(steps), float(lr), 1, None,
                         plain=optimizer == "plain", gains=gains)
    gains_array = np.array(gains)
    return ToyStepGains(method, optimizer, float(lr), path, gains_array[:, :2], gains_array[:, 2:])


def run_toy_many_fast(methods=None, starts=TOY_STARTS, steps: int = 100_000, lr: float = 1e-3,
                      seed: int = 0, hyper: dict | None = None, record_every: int = 1) -> dict[str, np.ndarray]:
    """:func:`run_toy_many` about 3x faster: the direction comes from each aggregator's two-task
    closed form evaluated on plain floats, without building a NumPy array per step.

    Same protocol (Adam, betas 0.9/0.999, eps 1e-8, bias-corrected) and the same random streams
    (graddrop's run from start s draws from numpy.random.default_rng((seed, s))), so the paths agree
    with run_toy_many up to round-off. Where a path crosses the crease of a log loss (|a| or |b|
    near 0, where the gradient ~ 1/a is huge) round-off is amplified, and the two can part ways
    there while reaching the same kind of end point.

    methods: names from FAST_TOY_METHODS (default: all); starts: (S, 2); hyper: {method: {name:
    value}}, only cagrad's c and rescale here; record_every: keep every k-th point of each path
    (and always the first and the last), which is all a plot needs.
    Returns {method: trajectories (S, n, 2)}, n = steps // record_every + 1, plus 1 when
    record_every does not divide steps.
    """
    if methods is None:
        methods = list(FAST_TOY_METHODS)
    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    unknown = [name for name in methods if name not in FAST_TOY_METHODS]
    if unknown:
        raise ValueError(f"run_toy_many_fast: no two-task closed form for {unknown}; "
                         f"choose from {', '.join(FAST_TOY_METHODS)}")
    starts = np.asarray(starts, dtype=np.float64)
    if starts.ndim != 2 or starts.shape[1] != 2 or starts.shape[0] == 0:
        raise ValueError(f"run_toy_many_fast: starts must have shape (S, 2) with S >= 1, got {starts.shape}")
    if not np.isfinite(starts).all():
        raise ValueError(f"run_toy_many_fast: starts must be finite, got {starts.tolist()}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"run_toy_many_fast: steps must be an integer >= 0, got {steps!r}")
    if not (isinstance(lr, (int, float, np.floating)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"run_toy_many_fast: lr must be a finite number > 0, got {lr!r}")
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ValueError(f"run_toy_many_fast: record_every must be an integer >= 1, got {record_every!r}")
    hyper = {} if hyper is None else dict(hyper)
    not_run = sorted(set(hyper) - set(methods))
    if not_run:
        raise ValueError(f"run_toy_many_fast: hyper names methods that are not run: {not_run}")
    for name, values in hyper.items():
        refused = sorted(set(values) - set(_FAST_TOY_HYPER.get(name, ())))
        if refused:
            raise ValueError(f"run_toy_many_fast: {name} takes no hyper-parameter {refused} here; "
                             f"accepted: {list(_FAST_TOY_HYPER.get(name, ())) or 'none'}")
    results = {}
    for name in methods:
        direction = two_task_direction(name, **hyper.get(name, {}))
        paths = []
        for index, (x1, x2) in enumerate(starts.tolist()):
            # One size-(steps, 2) draw is the same stream as run_toy's size-2 draw per step.
            draws = (np.random.default_rng((seed, index)).uniform(size=(int(steps), 2)).tolist()
                     if name == "graddrop" else None)
            paths.append(_run_toy_fast(direction, x1, x2, int(steps), float(lr), int(record_every), draws))
        results[name] = np.stack(paths)
    return results


# ----------------------------------------------------------------------------------------------
# a front that bulges away from the origin: what a weighted sum cannot reach (lesson 06)
# ----------------------------------------------------------------------------------------------

def fonseca_fleming(theta) -> tuple[np.ndarray, np.ndarray]:
    """The two losses of Fonseca & Fleming's (1995) test problem in one variable, for θ of any shape:
    L_A = 1 − exp(−(θ − 1)²),  L_B = 1 − exp(−(θ + 1)²).

    Its Pareto set is θ ∈ [−1, 1]; its front, (L_A(θ), L_B(θ)) over that set, bulges away from the
    origin (it is not convex), so a weighted sum λL_A + (1 − λ)L_B is minimised only near its two
    ends: see :func:`weighted_sum_minimisers`.
    """
    theta = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValueError("fonseca_fleming: theta must be finite")
    return 1.0 - np.exp(-(theta - 1.0) ** 2), 1.0 - np.exp(-(theta + 1.0) ** 2)


def weighted_sum_minimisers(lambdas, thetas=None) -> np.ndarray:
    """(K,) for each λ in `lambdas` (K,), the θ on the grid `thetas` that minimises
    λ·L_A(θ) + (1 − λ)·L_B(θ) of :func:`fonseca_fleming`: a global minimum, found by search over the
    grid (default 30 001 points on [−1.5, 1.5], a step of 1e-4), not by a descent that could stop early.
    """
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if lambdas.ndim != 1 or lambdas.size == 0 or not np.all((lambdas >= 0) & (lambdas <= 1)):
        raise ValueError(f"weighted_sum_minimisers: lambdas must be a 1-D list of values in [0, 1], "
                         f"got {np.asarray(lambdas).tolist()}")
    thetas = np.linspace(-1.5, 1.5, 30_001) if thetas is None else np.asarray(thetas, dtype=np.float64)
    loss_a, loss_b = fonseca_fleming(thetas)
    weighted = lambdas[:, None] * loss_a + (1.0 - lambdas[:, None]) * loss_b
    return thetas[np.argmin(weighted, axis=1)]
