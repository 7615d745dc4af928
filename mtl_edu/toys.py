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

import numpy as np

from .aggregators import AGGREGATORS, get_aggregator

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

    method: a name in mtl_edu.aggregators.AGGREGATORS; start: (2,) initial point;
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
    beta_1, beta_2, eps = 0.9, 0.999, 1e-8
    first_1 = first_2 = second_1 = second_2 = 0.0
    decay_1 = decay_2 = 1.0  # beta^k for the bias corrections
    trajectory = np.empty((int(steps) + 1, 2))
    trajectory[0] = x1, x2
    for step in range(1, int(steps) + 1):
        _, _, d1_dx1, d1_dx2, d2_dx1, d2_dx2 = _toy_point(x1, x2)
        G = np.array(((d1_dx1, d1_dx2), (d2_dx1, d2_dx2)))
        direction_1, direction_2 = direction_of(G).tolist()
        first_1 = beta_1 * first_1 + (1.0 - beta_1) * direction_1
        first_2 = beta_1 * first_2 + (1.0 - beta_1) * direction_2
        second_1 = beta_2 * second_1 + (1.0 - beta_2) * direction_1 * direction_1
        second_2 = beta_2 * second_2 + (1.0 - beta_2) * direction_2 * direction_2
        decay_1 *= beta_1
        decay_2 *= beta_2
        step_size = lr / (1.0 - decay_1)
        root_correction = math.sqrt(1.0 - decay_2)
        x1 -= step_size * first_1 / (math.sqrt(second_1) / root_correction + eps)
        x2 -= step_size * first_2 / (math.sqrt(second_2) / root_correction + eps)
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
