"""Gradient aggregators for multi-task learning: per-task gradients in, one update direction out.

Every aggregator is a pure function of a per-task gradient matrix

    G: (T, P)   row t = gradient of task t's loss w.r.t. the P shared parameters (flattened)

and returns the update direction

    d: (P,)     used as ``params -= lr * d``.

Scaling convention (so that methods can be compared side by side): unless a docstring says
otherwise, when all T rows of G are the same vector g, an aggregator returns g, exactly like
:func:`mean`. Papers differ here (PCGrad and GradDrop sum over tasks, Aligned-MTL's code sums,
CAGrad's code divides by 1 + c); each docstring states the paper's convention and how ours relates
to it. Every aggregator here is also positively homogeneous: scaling G by s > 0 scales d by s,
so a learning rate means the same thing for all of them.

All the small T x T problems are solved on the Gram matrix ``M = G G^T`` (entry (s, t) is
<g_s, g_t>), so their cost does not grow with P. Two-task problems have closed forms and take a
fast path; this is what makes 100k-step runs on the two-objective toy (``mtl_edu.balancing.toys``) quick.

Use :func:`aggregate` to call an aggregator by name, or :func:`get_aggregator` to fix its name,
hyper-parameters and random generator once and get back a function ``G -> d``.
"""

from __future__ import annotations

import inspect
import itertools
import math
from typing import Callable

import numpy as np

from ..validation import generator, nonnegative_number, positive_int

__all__ = [
    "mean",
    "sum_",
    "mgda",
    "mgda_weights",
    "pcgrad",
    "cagrad",
    "cagrad_weights",
    "imtl_g",
    "imtl_g_weights",
    "nash_mtl",
    "nash_mtl_weights",
    "aligned_mtl",
    "aligned_mtl_gradients",
    "graddrop",
    "AGGREGATORS",
    "aggregate",
    "get_aggregator",
]

# Norms (and squared norms) below this fraction of the largest one count as zero: a task whose
# gradient vanished has no direction to balance.
_RELATIVE_ZERO = 1e-12

# Up to this many tasks, CAGrad's dual is solved exactly by trying each support of the weights
# (2^T - 1 small linear solves); beyond it, by projected gradient descent.
_MAX_TASKS_FOR_SUPPORT_SEARCH = 8


# ----------------------------------------------------------------------------------------------
# input checking and small helpers
# ----------------------------------------------------------------------------------------------

def _check_gradients(G, name: str) -> np.ndarray:
    """Return G as a floating 2-D array (T, P), or raise a message that names `name`."""
    if not isinstance(G, np.ndarray):
        try:
            G = np.asarray(G, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: G must be a numeric array of shape (T, P), got {type(G).__name__}"
            ) from None
    if G.dtype.kind not in "fiub":
        raise TypeError(f"{name}: G must hold real numbers, got dtype {G.dtype}")
    if G.dtype.kind != "f":
        G = G.astype(np.float64)
    if G.ndim != 2:
        raise ValueError(
            f"{name}: G must be 2-D (T, P), one row of gradients per task, got shape {G.shape}"
        )
    if G.shape[0] == 0 or G.shape[1] == 0:
        raise ValueError(
            f"{name}: G needs at least one task and one parameter, got shape {G.shape}"
        )
    if not np.isfinite(G).all():
        bad = np.argwhere(~np.isfinite(G))
        task, param = (int(i) for i in bad[0])
        raise ValueError(
            f"{name}: G has {len(bad)} non-finite entries (first: task {task}, parameter {param}, "
            f"value {G[task, param]}); a loss or gradient has diverged"
        )
    return G


def _gram(G: np.ndarray) -> np.ndarray:
    """(T, T) Gram matrix <g_s, g_t> in float64, whatever G's dtype."""
    G64 = G.astype(np.float64, copy=False)
    return G64 @ G64.T


def _combine(weights, G: np.ndarray) -> np.ndarray:
    """d = sum_t weights_t g_t, returned in G's dtype."""
    return (np.asarray(weights, dtype=np.float64) @ G).astype(G.dtype, copy=False)


def _project_to_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of v (T,) onto {w >= 0, sum w = 1} (sort-based, Duchi et al. 2008)."""
    sorted_desc = np.sort(v)[::-1]
    cumulative = np.cumsum(sorted_desc) - 1.0
    index = np.arange(1, len(v) + 1)
    last = index[sorted_desc - cumulative / index > 0][-1]
    shift = cumulative[last - 1] / last
    return np.maximum(v - shift, 0.0)


# ----------------------------------------------------------------------------------------------
# mean and sum
# ----------------------------------------------------------------------------------------------

def mean(G) -> np.ndarray:
    """Average of the task gradients, d = (1/T) sum_t g_t.

    This is plain gradient descent on the average loss (1/T) sum_t L_t, the baseline every other
    aggregator is compared with. G: (T, P) per-task gradients; returns d: (P,).
    """
    G = _check_gradients(G, "mean")
    return G.mean(axis=0)


def sum_(G) -> np.ndarray:
    """Sum of the task gradients, d = sum_t g_t (gradient descent on sum_t L_t).

    T times :func:`mean`; kept because many papers write the joint loss as a sum.
    G: (T, P) per-task gradients; returns d: (P,).
    """
    G = _check_gradients(G, "sum_")
    return G.sum(axis=0)


# ----------------------------------------------------------------------------------------------
# MGDA
# ----------------------------------------------------------------------------------------------

def min_norm_two(m11: float, m12: float, m22: float) -> float:
    """Weight x on g1 of the min-norm point x g1 + (1 - x) g2 of the segment [g1, g2]."""
    # ||x g1 + (1-x) g2||^2 is a parabola in x; its vertex, clipped to [0, 1].
    curvature = m11 + m22 - 2.0 * m12
    if curvature <= _RELATIVE_ZERO * max(m11, m22, 1e-300):
        return 0.5  # g1 == g2: every point of the segment is the same vector
    return min(1.0, max(0.0, (m22 - m12) / curvature))


def _min_norm_weights(M: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Simplex weights w minimising w^T M w: Frank-Wolfe with away steps, exact line search."""
    T = M.shape[0]
    if T == 1:
        return np.ones(1)
    if T == 2:
        x = min_norm_two(M[0, 0], M[0, 1], M[1, 1])
        return np.array([x, 1.0 - x])
    # Start from the best pair (as Sener & Koltun do): often already optimal or close to it.
    best_value, w = np.inf, None
    for s in range(T):
        for t in range(s + 1, T):
            x = min_norm_two(M[s, s], M[s, t], M[t, t])
            value = x * x * M[s, s] + 2 * x * (1 - x) * M[s, t] + (1 - x) ** 2 * M[t, t]
            if value < best_value:
                best_value, w = value, np.zeros(T)
                w[s], w[t] = x, 1.0 - x
    scale = max(float(np.max(np.diag(M))), 1e-300)
    for _ in range(max_iter):
        Mw = M @ w
        wMw = float(w @ Mw)
        toward = int(np.argmin(Mw))
        support = np.flatnonzero(w > 0)
        away = int(support[np.argmax(Mw[support])])
        # The Frank-Wolfe gap w^T M w - min_t (M w)_t bounds the suboptimality of ||G^T w||^2 / 2.
        gap_toward = wMw - Mw[toward]
        if gap_toward <= tol * scale:
            break
        gap_away = Mw[away] - wMw
        # Away steps (moving weight off the worst vertex in use) make Frank-Wolfe converge
        # linearly instead of zig-zagging when the optimum lies on a face of the simplex.
        if gap_toward >= gap_away:
            direction = -w
            direction[toward] += 1.0
            slope, curvature = -gap_toward, M[toward, toward] - 2.0 * Mw[toward] + wMw
            largest_step = 1.0
        else:
            direction = w.copy()
            direction[away] -= 1.0
            slope, curvature = -gap_away, wMw - 2.0 * Mw[away] + M[away, away]
            largest_step = w[away] / (1.0 - w[away]) if w[away] < 1.0 else np.inf
        # Exact line search on the quadratic along the direction.
        step = largest_step if curvature <= 0.0 else min(largest_step, -slope / curvature)
        w = np.maximum(w + step * direction, 0.0)
        if step == largest_step and gap_toward < gap_away:
            w[away] = 0.0  # the away vertex leaves the support exactly
        w /= w.sum()
    else:
        # Out of steps with the gap still above tol. Frank-Wolfe's rate degrades badly when a short
        # gradient sits near the optimum (typically when the gradients cancel, 0 in their hull);
        # finish with Wolfe's exact active-set method, and keep whichever has the smaller gap.
        exact = _min_norm_weights_wolfe(M, tol * scale, max_iter)
        if _frank_wolfe_gap(M, exact) < _frank_wolfe_gap(M, w):
            w = exact
    return w


def _frank_wolfe_gap(M: np.ndarray, w: np.ndarray) -> float:
    Mw = M @ w
    return float(w @ Mw - np.min(Mw))


def _min_norm_weights_wolfe(M: np.ndarray, gap_tol: float, max_iter: int) -> np.ndarray:
    """Simplex weights minimising w^T M w by Wolfe's min-norm-point algorithm (active set).

    Wolfe, "Finding the nearest point in a polytope", Math. Programming 11 (1976). The support S
    is kept affinely independent; each minor step moves towards the minimiser of ||G^T w|| over
    the affine hull of S (a bordered linear system), so an optimum 0 is reached exactly.
    """
    T = M.shape[0]
    w = np.zeros(T)
    w[int(np.argmin(np.diag(M)))] = 1.0
    for _ in range(max_iter):
        Mw = M @ w
        toward = int(np.argmin(Mw))
        if float(w @ Mw) - Mw[toward] <= gap_tol or w[toward] > 0.0:
            break  # Frank-Wolfe gap small enough, or no vertex left to add
        w[toward] = 0.0
        support = np.append(np.flatnonzero(w > 0.0), toward)
        for _ in range(T + 1):  # minor cycle: each pass drops a vertex or ends it
            n = len(support)
            kkt = np.ones((n + 1, n + 1))
            kkt[:n, :n], kkt[n, n] = M[np.ix_(support, support)], 0.0
            rhs = np.zeros(n + 1)
            rhs[n] = 1.0
            v = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:n]
            if np.all(v > 0.0):
                w[:] = 0.0
                w[support] = v
                break
            current = w[support]
            leaving = v <= 0.0
            theta = float(np.min(current[leaving] / (current[leaving] - v[leaving])))
            current = np.maximum(current + theta * (v - current), 0.0)
            current[leaving & (current <= 1e-15)] = 0.0
            current[np.argmin(np.where(leaving, current, np.inf))] = 0.0
            w[:] = 0.0
            w[support] = current
            support = support[current > 0.0]
    return w / w.sum()


def mgda_weights(G, tol: float = 1e-10, max_iter: int = 1000) -> np.ndarray:
    """Simplex weights w (T,) of MGDA's min-norm point d = G^T w; see :func:`mgda`."""
    G = _check_gradients(G, "mgda_weights")
    tol = nonnegative_number(tol, "tol", "mgda_weights")
    max_iter = positive_int(max_iter, "max_iter", "mgda_weights")
    return _min_norm_weights(_gram(G), tol, max_iter)


def mgda(G, tol: float = 1e-10, max_iter: int = 1000) -> np.ndarray:
    """MGDA: the minimum-norm point of the convex hull of the task gradients.

        d = G^T w*,   w* = argmin_{w >= 0, sum w = 1} || sum_t w_t g_t ||^2

    If d != 0 it decreases every task loss to first order (<g_t, d> >= ||d||^2 for all t);
    d = 0 means the point is Pareto-stationary and MGDA stops there. Two tasks have a closed form
    (the vertex of a parabola clipped to [0, 1]); for T > 2 we run Frank-Wolfe with exact line
    search, started from the best pair, until the Frank-Wolfe gap w^T M w - min_t (M w)_t
    is below ``tol * max_t ||g_t||^2``. Sener & Koltun use plain Frank-Wolfe; we add away steps
    (Lacoste-Julien & Jaggi, "On the Global Linear Convergence of Frank-Wolfe Optimization
    Variants", NeurIPS 2015), which reach the same point to high accuracy in far fewer steps when
    the optimum lies on a face of the simplex. If ``max_iter`` steps are not enough (this happens
    when the gradients (nearly) cancel and a short gradient sits close to 0), Wolfe's exact
    min-norm-point algorithm ("Finding the nearest point in a polytope", 1976) finishes the job.

    Reference: Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS
    2018 (Algorithm 2; their MGDA-UB variant applies the same solver to gradients w.r.t. a
    shared representation, which the caller can do by passing those gradients as G). We do not
    normalise the gradients first (their code offers that as an option).

    Scale: the weights sum to 1, so identical rows g give d = g, like :func:`mean`.

    G: (T, P) per-task gradients; returns d: (P,).
    """
    G = _check_gradients(G, "mgda")
    tol = nonnegative_number(tol, "tol", "mgda")
    max_iter = positive_int(max_iter, "max_iter", "mgda")
    return _combine(_min_norm_weights(_gram(G), tol, max_iter), G)


# ----------------------------------------------------------------------------------------------
# PCGrad
# ----------------------------------------------------------------------------------------------

def pcgrad(G, rng: np.random.Generator | None = None) -> np.ndarray:
    """PCGrad ("gradient surgery"): project each task gradient off the gradients it conflicts with.

    For each task i, start from g_i and visit the other tasks j in a random order; whenever the
    current vector conflicts with the ORIGINAL g_j (negative inner product), remove its component
    along g_j:

        g_i <- g_i - (<g_i, g_j> / ||g_j||^2) g_j      if <g_i, g_j> < 0

    Pairs that do not conflict are left alone. Then combine the projected gradients.

    Reference: Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for Multi-Task
    Learning", NeurIPS 2020 (Algorithm 1).

    Scale: the paper SUMS the projected gradients; we AVERAGE them (paper / T), as the CAGrad
    toy code does, so that identical rows g give d = g like :func:`mean`.

    G: (T, P) per-task gradients. rng: numpy.random.Generator drawing the visiting order, one
    permutation per task; required when T > 2 (with T <= 2 there is no order to draw).
    Returns d: (P,).
    """
    G = _check_gradients(G, "pcgrad")
    T = G.shape[0]
    if T == 1:
        return G[0].copy()
    M = _gram(G)
    if T == 2:
        # Both projections in closed form: each side only sees the other's original gradient.
        m12 = float(M[0, 1])
        if m12 >= 0.0:
            return G.mean(axis=0)
        weight_1 = 0.5 * (1.0 - m12 / M[0, 0])
        weight_2 = 0.5 * (1.0 - m12 / M[1, 1])
        return _combine([weight_1, weight_2], G)
    if rng is None:
        raise ValueError(
            f"pcgrad: needs rng (a numpy.random.Generator) to draw the order in which each task "
            f"is projected off the others when T > 2, got rng=None with T = {T}"
        )
    generator(rng, "pcgrad", seeds=False)
    G64 = G.astype(np.float64, copy=False)
    projected = G64.copy()
    for i in range(T):
        others = np.delete(np.arange(T), i)
        for j in rng.permutation(others):
            inner = float(projected[i] @ G64[j])
            if inner < 0.0:  # <g_i, g_j> < 0 implies ||g_j|| > 0
                projected[i] -= (inner / M[j, j]) * G64[j]
    return projected.mean(axis=0).astype(G.dtype, copy=False)


# ----------------------------------------------------------------------------------------------
# CAGrad
# ----------------------------------------------------------------------------------------------

def cagrad_dual_two(m11: float, m12: float, m22: float, b1: float, b2: float,
                     radius: float) -> float:
    """Exact minimiser x of F(x) = x b1 + (1 - x) b2 + radius ||x g1 + (1 - x) g2|| on [0, 1]."""
    slope = b1 - b2
    q = m11 + m22 - 2.0 * m12  # ||g1 - g2||^2
    r = m12 - m22  # <g1 - g2, g2>
    p = m22  # ||g2||^2

    def objective(x: float) -> float:
        return x * slope + b2 + radius * math.sqrt(max(q * x * x + 2.0 * r * x + p, 0.0))

    candidates = [0.0, 1.0]
    if q > _RELATIVE_ZERO * max(m11, m22):
        # F is convex in x; F'(x) = 0 reads y / sqrt(y^2 + D) = k with y = q x + r, D = q p - r^2
        # (>= 0 by Cauchy-Schwarz), k = -slope / (radius sqrt(q)). Solvable only when |k| < 1.
        k = -slope / (radius * math.sqrt(q))
        if abs(k) < 1.0:
            D = max(q * p - r * r, 0.0)
            y = k * math.sqrt(D / (1.0 - k * k))
            candidates.append(min(1.0, max(0.0, (y - r) / q)))
    return min(candidates, key=objective)


def _cagrad_dual_on_support(M: np.ndarray, b: np.ndarray, radius: float, tol: float,
                            support_sizes) -> np.ndarray | None:
    """Exact dual weights by trying supports S; None if no support passes the optimality check.

    On a support S the optimality (KKT) conditions read  b_S + radius M_SS w_S / rho = mu 1,
    sum w_S = 1, rho = ||G_S^T w_S||: every task in S gets the same gain <g_t, d> = mu, and d's
    gain on the others is at least mu. With v = w_S / rho they reduce to one quadratic in mu,
    (mu 1 - b_S)^T M_SS^{-1} (mu 1 - b_S) = radius^2, whose larger root gives w_S = v / sum v.
    """
    T = M.shape[0]
    scale = max(float(b.mean()), 1e-300)  # ||g0||^2
    for size in support_sizes:
        for support in itertools.combinations(range(T), size):
            S = list(support)
            block = M[np.ix_(S, S)]
            if np.linalg.cond(block) > 1e10:
                continue  # dependent gradients: this face has no unique solution
            solved = np.linalg.solve(block, np.column_stack([np.ones(size), b[S]]))
            A, B, C = solved[:, 0].sum(), b[S] @ solved[:, 0], b[S] @ solved[:, 1]
            discriminant = B * B - A * (C - radius * radius)
            if A <= 0.0 or discriminant < 0.0:
                continue
            mu = (B + math.sqrt(discriminant)) / A
            v = (mu * solved[:, 0] - solved[:, 1]) / radius
            if v.sum() <= 0.0 or np.any(v < -tol * abs(v.sum())):
                continue
            w = np.zeros(T)
            w[S] = np.maximum(v, 0.0) / v.sum()
            rho = math.sqrt(max(float(w @ M @ w), 1e-300))
            gains = b + radius * (M @ w) / rho  # <g_t, d> for every task
            if np.all(gains >= gains[S].max() - 1e-9 * scale):
                return w
    return None


def _cagrad_dual_projected_gradient(M: np.ndarray, b: np.ndarray, radius: float, tol: float,
                                    max_iter: int) -> np.ndarray:
    """Dual weights by projected gradient descent with backtracking on the simplex."""
    T = M.shape[0]
    scale = max(float(b.mean()), 1e-300)

    def objective(w):
        return float(w @ b) + radius * math.sqrt(max(float(w @ M @ w), 0.0))

    starts = [np.full(T, 1.0 / T)] + list(np.eye(T))
    w = min(starts, key=objective)
    value = objective(w)
    step = 1.0 / max(float(np.abs(M).max()), 1e-300)
    for _ in range(max_iter):
        norm = math.sqrt(max(float(w @ M @ w), 1e-300))
        gradient = b + radius * (M @ w) / norm  # = <g_t, d(w)>
        # Duality gap: F(w) minus the worst gain of the primal-feasible d(w) = w.grad - min grad.
        if float(w @ gradient) - float(gradient.min()) <= tol * scale:
            break
        # Backtracking on the projected-gradient step (F is convex, smooth wherever G^T w != 0).
        while True:
            candidate = _project_to_simplex(w - step * gradient)
            change = candidate - w
            candidate_value = objective(candidate)
            bound = value + gradient @ change + (change @ change) / (2 * step)
            if candidate_value <= bound + 1e-15:
                break
            step *= 0.5
            if step < 1e-300:
                return w
        w, value = candidate, candidate_value
        step *= 2.0  # let the step grow back after a cautious stretch
    return w


def _cagrad_dual_weights(M: np.ndarray, b: np.ndarray, radius: float, tol: float,
                         max_iter: int) -> np.ndarray:
    """Simplex weights minimising F(w) = w.b + radius * sqrt(w^T M w)."""
    T = M.shape[0]
    if T == 1:
        return np.ones(1)
    if T == 2:
        x = cagrad_dual_two(float(M[0, 0]), float(M[0, 1]), float(M[1, 1]), float(b[0]),
                             float(b[1]), radius)
        return np.array([x, 1.0 - x])
    if T <= _MAX_TASKS_FOR_SUPPORT_SEARCH:
        # Large supports first: with moderate c the optimum usually weights every task.
        w = _cagrad_dual_on_support(M, b, radius, 1e-12, range(T, 0, -1))
        if w is not None:
            return w
    return _cagrad_dual_projected_gradient(M, b, radius, tol, max_iter)


def _cagrad_coefficients(M: np.ndarray, c: float, rescale: bool, tol: float,
                         max_iter: int) -> np.ndarray:
    """Coefficients beta (T,) with CAGrad's d = G^T beta = g0 + radius / ||g_w|| g_w."""
    T = M.shape[0]
    if T == 2:
        # Same computation as below on plain floats: this path runs once per step of the toy.
        (m11, m12), (_, m22) = M.tolist()
        b1, b2 = 0.5 * (m11 + m12), 0.5 * (m12 + m22)
        radius = c * math.sqrt(max(0.5 * (b1 + b2), 0.0))
        beta_1 = beta_2 = 0.5
        if radius > 0.0:
            x = cagrad_dual_two(m11, m12, m22, b1, b2, radius)
            norm_w = math.sqrt(max(x * x * m11 + 2.0 * x * (1.0 - x) * m12
                                   + (1.0 - x) ** 2 * m22, 0.0))
            if norm_w <= 1e-12 * math.sqrt(max(m11, m22)):
                beta_1 = beta_2 = 0.5 * max(0.0, 1.0 - c)
            else:
                beta_1 += radius / norm_w * x
                beta_2 += radius / norm_w * (1.0 - x)
        scale = 1.0 / (1.0 + c) if rescale else 1.0
        return np.array([beta_1 * scale, beta_2 * scale])
    b = M.mean(axis=1)  # b_t = <g_t, g0>
    radius = c * math.sqrt(max(float(b.mean()), 0.0))  # sqrt(phi) = c ||g0||
    beta = np.full(T, 1.0 / T)
    if radius > 0.0:
        w = _cagrad_dual_weights(M, b, radius, tol, max_iter)
        norm_w = math.sqrt(max(float(w @ M @ w), 0.0))
        if norm_w <= 1e-12 * math.sqrt(max(float(np.max(np.diag(M))), 1e-300)):
            beta *= max(0.0, 1.0 - c)
        else:
            beta += (radius / norm_w) * w
    return beta / (1.0 + c) if rescale else beta


def cagrad_weights(G, c: float = 0.5, tol: float = 1e-10, max_iter: int = 5000) -> np.ndarray:
    """Simplex weights w (T,) solving CAGrad's dual problem; see :func:`cagrad`.

    Returns the uniform weights when c ||g0|| = 0 (then the dual term is constant).
    """
    G = _check_gradients(G, "cagrad_weights")
    c = nonnegative_number(c, "c", "cagrad_weights")
    tol = nonnegative_number(tol, "tol", "cagrad_weights")
    max_iter = positive_int(max_iter, "max_iter", "cagrad_weights")
    M = _gram(G)
    b = M.mean(axis=1)
    radius = c * math.sqrt(max(float(b.mean()), 0.0))
    if radius == 0.0:
        return np.full(G.shape[0], 1.0 / G.shape[0])
    return _cagrad_dual_weights(M, b, radius, tol, max_iter)


def cagrad(G, c: float = 0.5, rescale: bool = True, tol: float = 1e-10,
           max_iter: int = 5000) -> np.ndarray:
    """CAGrad (conflict-averse gradient descent): the best worst-case direction near the mean.

        d* = argmax_d min_t <g_t, d>   subject to   ||d - g0|| <= c ||g0||,   g0 = (1/T) sum_t g_t

    Solved through its dual over the simplex: with phi = c^2 ||g0||^2 and g_w = G^T w,

        w* = argmin_{w >= 0, sum w = 1}  <g_w, g0> + sqrt(phi) ||g_w||,
        d* = g0 + sqrt(phi) / ||g_w*|| * g_w*    (a reweighting: d* = G^T (1/T + lambda w*)).

    By duality min_t <g_t, d*> equals the minimum of the dual objective. c = 0 is plain gradient
    descent on the mean loss (d = g0 exactly); larger c moves d further towards the worst-off
    task. Two tasks: the dual is a convex function of one variable, minimised in closed form
    (stationary point or an end of [0, 1]). T > 2: at the optimum every task in the support of
    w* gets the same gain <g_t, d*> = mu and the others at least mu; for T <= 8 we solve these
    conditions exactly on each candidate support (a quadratic in mu) and keep the one that passes.
    If none does (dependent gradients, many tasks), projected gradient descent with backtracking
    on the simplex, until the duality gap F(w) - min_t <g_t, d(w)> is below ``tol * ||g0||^2``
    or ``max_iter`` steps were taken.
    Degenerate case: if g_w* = 0 (the gradients cancel, a Pareto-stationary point), the formula is
    0/0; we return max(0, 1 - c) g0, which is optimal when two gradients are exactly opposite.

    Reference: Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task
    Learning", NeurIPS 2021. The toy experiment there uses c = 0.5.

    Scale: with ``rescale=True`` (default, as in the authors' code) we return d* / (1 + c), so
    identical rows g give d = g like :func:`mean`; ``rescale=False`` returns d* itself, the vector
    that satisfies the constraint above.

    G: (T, P) per-task gradients; c >= 0 radius of the ball around g0 relative to ||g0||.
    Returns d: (P,).
    """
    G = _check_gradients(G, "cagrad")
    c = nonnegative_number(c, "c", "cagrad")
    tol = nonnegative_number(tol, "tol", "cagrad")
    max_iter = positive_int(max_iter, "max_iter", "cagrad")
    if c == 0.0:
        return G.mean(axis=0)  # the ball has radius 0: plain gradient descent, bit for bit
    return _combine(_cagrad_coefficients(_gram(G), c, bool(rescale), tol, max_iter), G)


# ----------------------------------------------------------------------------------------------
# IMTL-G
# ----------------------------------------------------------------------------------------------

def _imtl_g_weights(M: np.ndarray) -> np.ndarray:
    T = M.shape[0]
    norms = np.sqrt(np.maximum(np.diag(M), 0.0))
    active = np.flatnonzero(norms > _RELATIVE_ZERO * max(float(norms.max()), 1e-300))
    alpha = np.zeros(T)
    if norms.max() == 0.0:
        return alpha  # every gradient is zero: nothing to balance, d = 0
    if len(active) == 1:
        alpha[active[0]] = 1.0
        return alpha
    if len(active) == 2:
        # Closed form: alpha = (n2, n1) / (n1 + n2), i.e. d ~ u1 + u2, the bisector of the two
        # unit gradients (this also covers parallel gradients, where the general system is 0/0).
        s, t = active
        alpha[s], alpha[t] = norms[t], norms[s]
        return alpha / (norms[s] + norms[t])
    # General case, all in Gram terms. Rows of D are g_1 - g_t, rows of U are u_1 - u_t
    # (t = 2..T over the active tasks); equal projections <d, u_1> = <d, u_t> give
    # alpha_{2:T} = g_1 U^T (D U^T)^{-1}, alpha_1 = 1 - sum alpha_{2:T}.
    Ma = M[np.ix_(active, active)]
    n = norms[active]
    G_dot_U = Ma / n[None, :]  # (s, t) entry: <g_s, u_t>
    first_dot_u = G_dot_U[0, 0] - G_dot_U[0, 1:]  # <g_1, u_1 - u_t>
    # <g_1 - g_s, u_1 - u_t> = <g_1,u_1> - <g_1,u_t> - <g_s,u_1> + <g_s,u_t>
    D_dot_U = (G_dot_U[0, 0] - G_dot_U[0, 1:][None, :] - G_dot_U[1:, 0][:, None]
               + G_dot_U[1:, 1:])
    # lstsq: when some tasks share a direction the system is singular but still consistent.
    rest = np.linalg.lstsq(D_dot_U.T, first_dot_u, rcond=None)[0]
    alpha[active[1:]] = rest
    alpha[active[0]] = 1.0 - rest.sum()
    return alpha


def imtl_g_weights(G) -> np.ndarray:
    """Weights alpha (T,), summing to 1, of IMTL-G's direction d = G^T alpha; see :func:`imtl_g`."""
    G = _check_gradients(G, "imtl_g_weights")
    return _imtl_g_weights(_gram(G))


def imtl_g(G) -> np.ndarray:
    """IMTL-G (impartial MTL, gradient part): a direction with equal projections on all tasks.

    Find d = G^T alpha with sum_t alpha_t = 1 such that <d, u_t> is the same for every task, where
    u_t = g_t / ||g_t||. With D the (T-1, P) matrix of rows g_1 - g_t and U the one of rows
    u_1 - u_t (t = 2..T), the condition d U^T = 0 gives the closed form

        alpha_{2:T} = g_1 U^T (D U^T)^{-1},    alpha_1 = 1 - sum_{t>=2} alpha_t.

    For two tasks this reduces to alpha = (||g_2||, ||g_1||) / (||g_1|| + ||g_2||), so d points
    along u_1 + u_2, the bisector of the two gradient directions. Tasks with a zero gradient get
    weight 0 (they have no direction); a singular system (tasks sharing a direction) is solved by
    least squares.

    Reference: Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task
    Learning", ICLR 2021 (the loss-scale part, IMTL-L, is not included here).

    Scale: the weights sum to 1, so identical rows g give d = g like :func:`mean`.

    G: (T, P) per-task gradients; returns d: (P,).
    """
    G = _check_gradients(G, "imtl_g")
    return _combine(_imtl_g_weights(_gram(G)), G)


# ----------------------------------------------------------------------------------------------
# Nash-MTL
# ----------------------------------------------------------------------------------------------

def _nash_weights(M: np.ndarray, ridge: float, tol: float, max_iter: int) -> np.ndarray:
    """alpha > 0 with alpha_t (M alpha)_t = 1, tasks with zero gradient get alpha_t = 0."""
    T = M.shape[0]
    diag = np.maximum(np.diag(M), 0.0)
    active = np.flatnonzero(diag > _RELATIVE_ZERO * max(float(diag.max()), 1e-300))
    alpha = np.zeros(T)
    if diag.max() == 0.0:
        return alpha
    K = M[np.ix_(active, active)]
    # Stationary points of f(a) = a^T K a / 2 - sum log a are exactly the solutions of
    # K a = 1 / a; f is strictly convex on a > 0, so damped Newton converges to the unique one.
    # The ridge keeps f bounded below when the gradients can cancel (0 in their convex cone).
    K = K + ridge * np.trace(K) / len(active) * np.eye(len(active))
    a = 1.0 / np.sqrt(np.diag(K) * len(active))

    def objective(x):
        return 0.5 * float(x @ K @ x) - float(np.sum(np.log(x)))

    value = objective(a)
    for _ in range(max_iter):
        Ka = K @ a
        if np.max(np.abs(a * Ka - 1.0)) <= tol:
            break
        gradient = Ka - 1.0 / a
        step = -np.linalg.solve(K + np.diag(1.0 / a**2), gradient)
        t = 1.0
        # Largest step that keeps every weight positive, then backtrack for decrease.
        negative = step < 0
        if negative.any():
            t = min(1.0, 0.99 * float(np.min(-a[negative] / step[negative])))
        while t > 1e-16:
            candidate = a + t * step
            candidate_value = objective(candidate)
            if candidate_value <= value + 1e-4 * t * float(gradient @ step):
                break
            t *= 0.5
        a, value = candidate, candidate_value
    alpha[active] = a
    return alpha


def nash_mtl_weights(G, ridge: float = 0.0, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """Nash bargaining weights alpha (T,) solving (G G^T) alpha = 1 / alpha (elementwise).

    This is the paper's equation on the raw Gram matrix (no normalisation), solved by damped
    Newton on the strictly convex f(a) = a^T M a / 2 - sum_t log a_t (its stationarity condition
    is the equation). A task with a zero gradient gets weight 0. If some non-negative combination
    of the gradients is zero (a Pareto-stationary point) the equation has no solution; the weights
    then grow without bound, and ``ridge > 0`` (added as ridge * trace(M) / T on the diagonal)
    keeps them finite. See :func:`nash_mtl`.
    """
    G = _check_gradients(G, "nash_mtl_weights")
    ridge = nonnegative_number(ridge, "ridge", "nash_mtl_weights")
    tol = nonnegative_number(tol, "tol", "nash_mtl_weights")
    max_iter = positive_int(max_iter, "max_iter", "nash_mtl_weights")
    return _nash_weights(_gram(G), ridge, tol, max_iter)


def nash_mtl(G, ridge: float = 1e-9, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """Nash-MTL: weights from the Nash bargaining solution between the tasks.

    The bargaining solution d = G^T alpha satisfies <g_t, d> = 1 / alpha_t for every task, i.e.

        alpha > 0,   (G G^T) alpha = 1 / alpha   (elementwise).

    Each task's gain <g_t, d> is inversely proportional to its weight, which makes the direction
    of the update invariant to a rescaling of any single task's loss. For two tasks there is a
    closed form: d ~ u_1 + u_2 (u_t = g_t / ||g_t||), the same direction as IMTL-G. For T > 2 we
    solve the T x T system by damped Newton (see :func:`nash_mtl_weights`); the authors instead
    solve a sequence of convex programs with CVXPY.

    Reference: Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task
    Learning as a Bargaining Game", ICML 2022.

    Scale: the paper's alpha makes ||d|| independent of the gradients' size: ||G^T alpha||^2 =
    sum_t alpha_t (M alpha)_t = T (the tasks with a nonzero gradient). The authors' code (class
    NashMTL in AvivNavon/nash-mtl, methods/weight_methods.py) divides M by c = ||M||_F only for
    conditioning: c reappears in its constraints, alpha_t * c * ((M / c) alpha)_t >= 1, so its
    alpha solves the equation for the raw M like ours, its update G^T alpha has norm sqrt(T), and
    its default max_norm = 1 then clips that to a unit vector. We keep the direction but make the
    length follow G's scale, so that a learning rate means the same as for the other aggregators:
    d = sqrt(||M||_F) / T * G^T alpha (= G^T alpha_c / T, where alpha_c solves the equation for
    M / ||M||_F). Then identical rows g give d = g like :func:`mean`; d / ||d|| is the authors'
    clipped update.

    G: (T, P) per-task gradients; ridge >= 0 regulariser for (near-)Pareto-stationary points.
    Returns d: (P,). When the gradients exactly cancel, returns 0.
    """
    G = _check_gradients(G, "nash_mtl")
    ridge = nonnegative_number(ridge, "ridge", "nash_mtl")
    tol = nonnegative_number(tol, "tol", "nash_mtl")
    max_iter = positive_int(max_iter, "max_iter", "nash_mtl")
    M = _gram(G)
    T = G.shape[0]
    scale = math.sqrt(float(np.linalg.norm(M))) / T
    norms = np.sqrt(np.maximum(np.diag(M), 0.0))
    active = np.flatnonzero(norms > _RELATIVE_ZERO * max(float(norms.max()), 1e-300))
    if len(active) == 0:
        return np.zeros(G.shape[1], dtype=G.dtype)
    if len(active) <= 2:
        # alpha_t = 1 / (||g_t|| sqrt(1 + cos)) gives d = sqrt(2) (u_1 + u_2) / ||u_1 + u_2||:
        # finite even as the gradients turn opposite (cos -> -1), where alpha blows up.
        units = np.zeros(T)
        units[active] = 1.0 / norms[active]
        bisector = units @ G.astype(np.float64, copy=False)
        length = float(np.linalg.norm(bisector))
        if length <= 1e-12 * len(active):
            return np.zeros(G.shape[1], dtype=G.dtype)
        direction = math.sqrt(len(active)) * bisector / length
        return (scale * direction).astype(G.dtype, copy=False)
    alpha = _nash_weights(M, ridge, tol, max_iter)
    return (scale * _combine(alpha, G.astype(np.float64, copy=False))).astype(G.dtype, copy=False)


# ----------------------------------------------------------------------------------------------
# Aligned-MTL
# ----------------------------------------------------------------------------------------------

def _aligned_rows(G: np.ndarray, rank_rtol: float) -> np.ndarray:
    """(T, T) matrix B of Aligned-MTL, so that B G are the aligned task gradients."""
    M = _gram(G)
    eigenvalues, eigenvectors = np.linalg.eigh(M)
    largest = float(eigenvalues[-1])
    if largest <= 0.0:
        return np.zeros_like(M)
    keep = eigenvalues > rank_rtol * largest
    values, vectors = eigenvalues[keep], eigenvectors[:, keep]
    return math.sqrt(float(values.min())) * (vectors / np.sqrt(values)) @ vectors.T


def _aligned_tolerance(rank_rtol, T: int, name: str) -> float:
    if rank_rtol is None:
        return T * float(np.finfo(np.float32).eps)
    return nonnegative_number(rank_rtol, "rank_rtol", name)


def aligned_mtl_gradients(G, rank_rtol: float | None = None) -> np.ndarray:
    """The aligned task gradients G_hat = B G: (T, P) of Aligned-MTL; see :func:`aligned_mtl`."""
    G = _check_gradients(G, "aligned_mtl_gradients")
    B = _aligned_rows(G, _aligned_tolerance(rank_rtol, G.shape[0], "aligned_mtl_gradients"))
    return (B @ G.astype(np.float64, copy=False)).astype(G.dtype, copy=False)


def aligned_mtl(G, rank_rtol: float | None = None) -> np.ndarray:
    """Aligned-MTL: make the task gradients orthogonal with equal norms, then combine them.

    Eigen-decompose the Gram matrix G G^T = V diag(lambda) V^T, keep the eigenvalues above
    ``rank_rtol * lambda_max`` (rank r), and rescale the task gradients with

        B = sqrt(lambda_min) V_r diag(lambda_r)^{-1/2} V_r^T,    G_hat = B G,

    where lambda_min is the smallest kept eigenvalue. When G has full row rank the rows of G_hat
    are orthogonal with equal norm sqrt(lambda_min) (G_hat G_hat^T = lambda_min I): the linear
    system of gradients is as well conditioned as possible, and the smallest principal component
    sets the step size. The update combines the aligned gradients with equal task weights.
    (:func:`aligned_mtl_gradients` returns G_hat itself.)

    Reference: Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment for
    Multi-Task Learning", CVPR 2023 (the "min" scale mode of their code).

    Scale: the authors' code SUMS the aligned gradients; we AVERAGE them, d = (1/T) sum_t g_hat_t
    (their d / T), so that identical rows g give d = g like :func:`mean` (then r = 1 and
    B = 1 1^T / T). ``rank_rtol`` defaults to T times float32 machine epsilon, the authors' rule.
    Near a point where two gradients are almost exactly opposite, that rule drops the small
    eigenvalue, and with opposite gradients of equal length the update is then exactly zero.

    G: (T, P) per-task gradients; returns d: (P,).
    """
    G = _check_gradients(G, "aligned_mtl")
    B = _aligned_rows(G, _aligned_tolerance(rank_rtol, G.shape[0], "aligned_mtl"))
    return _combine(B.mean(axis=0), G)


# ----------------------------------------------------------------------------------------------
# GradDrop
# ----------------------------------------------------------------------------------------------

def graddrop(G, rng: np.random.Generator | None = None, leak=0.0) -> np.ndarray:
    """GradDrop: per coordinate, keep only the positive or only the negative task gradients.

    For each parameter p, the positive sign purity is

        P_p = (1/2) (1 + sum_t g_tp / sum_t |g_tp|)   in [0, 1],

    (P_p = 1 when all tasks agree the coordinate should grow, 0 when all agree it should shrink).
    Draw U_p ~ Uniform(0, 1); if U_p < P_p keep the positive components g_tp > 0 of coordinate p,
    otherwise keep the negative ones. Task t's masked gradient is M_t * g_t. A leak l_t in [0, 1]
    lets part of a task's gradient through unmasked: l_t g_t + (1 - l_t) M_t g_t.

    Reference: Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov, "Just Pick a Sign:
    Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020. The paper applies
    the mask to gradients w.r.t. a shared activation layer (purity summed over the batch); here it
    is applied to whatever gradients G holds, e.g. the shared parameters.

    Scale: the paper SUMS the masked gradients; we AVERAGE them (paper / T), so that identical
    rows g give d = g like :func:`mean` (all signs agree, so nothing is dropped).

    G: (T, P) per-task gradients; rng: numpy.random.Generator for U (required);
    leak: scalar or (T,) values in [0, 1]. Returns d: (P,).
    """
    G = _check_gradients(G, "graddrop")
    if rng is None:
        raise ValueError("graddrop: needs rng (a numpy.random.Generator) to draw which sign to "
                         "keep in each coordinate, got rng=None")
    generator(rng, "graddrop", seeds=False)
    T, P = G.shape
    leak = np.asarray(leak, dtype=np.float64)
    if leak.ndim == 0:
        leak = np.full(T, float(leak))
    if leak.shape != (T,) or not np.all((leak >= 0) & (leak <= 1)):
        raise ValueError(
            f"graddrop: leak must be a number or a ({T},) array with values in [0, 1], "
            f"got {np.array2string(leak, precision=3)}"
        )
    G64 = G.astype(np.float64, copy=False)
    total = G64.sum(axis=0)
    magnitude = np.abs(G64).sum(axis=0)
    # Coordinates where every task's gradient is zero get purity 1/2; nothing to keep there anyway.
    purity = 0.5 * (1.0 + np.divide(total, magnitude, out=np.zeros(P), where=magnitude > 0))
    keep_positive = rng.uniform(size=P) < purity
    mask = np.where(keep_positive, G64 > 0, G64 < 0)
    masked = G64 * mask
    mixed = leak[:, None] * G64 + (1.0 - leak[:, None]) * masked
    return mixed.mean(axis=0).astype(G.dtype, copy=False)


# ----------------------------------------------------------------------------------------------
# dispatch by name
# ----------------------------------------------------------------------------------------------

AGGREGATORS: dict[str, Callable[..., np.ndarray]] = {
    "mean": mean,
    "sum": sum_,
    "mgda": mgda,
    "pcgrad": pcgrad,
    "cagrad": cagrad,
    "imtl_g": imtl_g,
    "nash_mtl": nash_mtl,
    "aligned_mtl": aligned_mtl,
    "graddrop": graddrop,
}
"""Every aggregator by name: ``AGGREGATORS[name](G, **hyper) -> d``."""


def get_aggregator(name: str, rng: np.random.Generator | None = None,
                   **hyper) -> Callable[[np.ndarray], np.ndarray]:
    """Return a function ``G -> d`` for the aggregator `name` with fixed hyper-parameters.

    rng is passed on to the aggregators that draw random numbers (pcgrad, graddrop) and ignored
    by the others. Unknown names and hyper-parameters raise a ValueError listing what is valid.
    """
    if not isinstance(name, str) or name not in AGGREGATORS:
        raise ValueError(
            f"unknown aggregator {name!r}; valid names: {', '.join(sorted(AGGREGATORS))}"
        )
    function = AGGREGATORS[name]
    parameters = inspect.signature(function).parameters
    accepted = [p for p in parameters if p not in ("G", "rng")]
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise ValueError(
            f"aggregator {name!r} does not take {', '.join(unknown)}; "
            f"its hyper-parameters are: {', '.join(accepted) or 'none'}"
        )
    keywords = dict(hyper)
    if "rng" in parameters:
        if rng is not None:
            generator(rng, name, seeds=False)
        keywords["rng"] = rng
    if not keywords:
        return function

    def aggregator(G):
        return function(G, **keywords)

    aggregator.__name__ = name
    aggregator.__doc__ = function.__doc__
    return aggregator


def aggregate(name: str, G, rng: np.random.Generator | None = None, **hyper) -> np.ndarray:
    """Apply the aggregator called `name` to G: (T, P) and return d: (P,).

    Example: ``aggregate("cagrad", G, c=0.5)`` or ``aggregate("pcgrad", G, rng=rng)``.
    Valid names are the keys of :data:`AGGREGATORS`.
    """
    return get_aggregator(name, rng=rng, **hyper)(G)


# ----------------------------------------------------------------------------------------------
# Two tasks in closed form, on plain floats
# ----------------------------------------------------------------------------------------------
# Each function below is one aggregator for G = [[g11, g12], [g21, g22]], written with Python floats:
# the same maths as the general aggregator above (tests check they agree to 1e-12), at a fraction of
# the cost of NumPy on a 2 x 2 matrix. The CAGrad toy runs them for hundreds of thousands of steps.
# u1, u2 are GradDrop's uniform draws; the other methods ignore them.

def _mean_two(g11, g12, g21, g22, u1, u2):
    return 0.5 * (g11 + g21), 0.5 * (g12 + g22)


def _mgda_two(g11, g12, g21, g22, u1, u2):
    x = min_norm_two(g11 * g11 + g12 * g12, g11 * g21 + g12 * g22, g21 * g21 + g22 * g22)
    return x * g11 + (1.0 - x) * g21, x * g12 + (1.0 - x) * g22


def _pcgrad_two(g11, g12, g21, g22, u1, u2):
    m12 = g11 * g21 + g12 * g22
    if m12 >= 0.0:
        return 0.5 * (g11 + g21), 0.5 * (g12 + g22)
    w1 = 0.5 * (1.0 - m12 / (g11 * g11 + g12 * g12))
    w2 = 0.5 * (1.0 - m12 / (g21 * g21 + g22 * g22))
    return w1 * g11 + w2 * g21, w1 * g12 + w2 * g22


def _cagrad_two(c: float, rescale: bool):
    scale = 1.0 / (1.0 + c) if rescale else 1.0

    def direction(g11, g12, g21, g22, u1, u2):
        m11, m12, m22 = g11 * g11 + g12 * g12, g11 * g21 + g12 * g22, g21 * g21 + g22 * g22
        b1, b2 = 0.5 * (m11 + m12), 0.5 * (m12 + m22)
        radius = c * math.sqrt(max(0.5 * (b1 + b2), 0.0))
        w1 = w2 = 0.5
        if radius > 0.0:
            x = cagrad_dual_two(m11, m12, m22, b1, b2, radius)
            norm_w = math.sqrt(max(x * x * m11 + 2.0 * x * (1.0 - x) * m12 + (1.0 - x) ** 2 * m22, 0.0))
            if norm_w <= 1e-12 * math.sqrt(max(m11, m22)):
                w1 = w2 = 0.5 * max(0.0, 1.0 - c)
            else:
                w1 += radius / norm_w * x
                w2 += radius / norm_w * (1.0 - x)
        w1, w2 = w1 * scale, w2 * scale
        return w1 * g11 + w2 * g21, w1 * g12 + w2 * g22

    return direction


def _imtl_g_two(g11, g12, g21, g22, u1, u2):
    n1, n2 = math.hypot(g11, g12), math.hypot(g21, g22)
    largest = max(n1, n2)
    active_1, active_2 = n1 > 1e-12 * largest, n2 > 1e-12 * largest
    if active_1 and active_2:  # d along u1 + u2, the bisector
        w1, w2 = n2 / (n1 + n2), n1 / (n1 + n2)
    else:
        w1, w2 = float(active_1), float(active_2 and not active_1)
    return w1 * g11 + w2 * g21, w1 * g12 + w2 * g22


def _nash_mtl_two(g11, g12, g21, g22, u1, u2):
    m11, m12, m22 = g11 * g11 + g12 * g12, g11 * g21 + g12 * g22, g21 * g21 + g22 * g22
    n1, n2 = math.sqrt(m11), math.sqrt(m22)
    largest = max(n1, n2)
    active_1, active_2 = n1 > 1e-12 * largest, n2 > 1e-12 * largest
    count = int(active_1) + int(active_2)
    if count == 0:
        return 0.0, 0.0
    unit_1 = 1.0 / n1 if active_1 else 0.0
    unit_2 = 1.0 / n2 if active_2 else 0.0
    s1, s2 = unit_1 * g11 + unit_2 * g21, unit_1 * g12 + unit_2 * g22
    length = math.hypot(s1, s2)
    if length <= 1e-12 * count:
        return 0.0, 0.0
    factor = math.sqrt(math.sqrt(m11 * m11 + 2.0 * m12 * m12 + m22 * m22)) / 2.0 * math.sqrt(count) / length
    return factor * s1, factor * s2


_ALIGNED_RANK_RTOL_TWO = 2 * float(np.finfo(np.float32).eps)  # the default rank rule for T = 2


def _aligned_mtl_two(g11, g12, g21, g22, u1, u2):
    m11, m12, m22 = g11 * g11 + g12 * g12, g11 * g21 + g12 * g22, g21 * g21 + g22 * g22
    # Eigenpairs of the Gram matrix: (largest, v) and (smallest, v_perp). With them
    # B = sqrt(smallest) M^(-1/2) at full rank, B = v v^T when the rank rule drops smallest,
    # and the weights are B's column means.
    spread = math.sqrt((m11 - m22) ** 2 + 4.0 * m12 * m12)
    largest = 0.5 * (m11 + m22 + spread)
    if largest <= 0.0:
        return 0.0, 0.0
    smallest = 0.5 * (m11 + m22 - spread)
    v1, v2 = (largest - m22, m12) if m11 >= m22 else (m12, largest - m11)
    length = math.hypot(v1, v2)
    v1, v2 = (v1 / length, v2 / length) if length > 0.0 else (1.0, 0.0)
    along = v1 + v2
    if smallest > _ALIGNED_RANK_RTOL_TWO * largest:
        ratio = math.sqrt(smallest / largest)
        w1 = 0.5 * (ratio * v1 * along + 1.0 - v1 * along)
        w2 = 0.5 * (ratio * v2 * along + 1.0 - v2 * along)
    else:
        w1, w2 = 0.5 * v1 * along, 0.5 * v2 * along
    return w1 * g11 + w2 * g21, w1 * g12 + w2 * g22


def _graddrop_two(g11, g12, g21, g22, u1, u2):
    result = []
    for a, b, u in ((g11, g21, u1), (g12, g22, u2)):
        magnitude = abs(a) + abs(b)
        purity = 0.5 * (1.0 + (a + b) / magnitude) if magnitude > 0.0 else 0.5
        if u < purity:  # keep the positive components of this coordinate
            result.append(0.5 * ((a if a > 0.0 else 0.0) + (b if b > 0.0 else 0.0)))
        else:
            result.append(0.5 * ((a if a < 0.0 else 0.0) + (b if b < 0.0 else 0.0)))
    return result[0], result[1]


_TWO_TASK = {"mean": _mean_two, "mgda": _mgda_two, "pcgrad": _pcgrad_two, "imtl_g": _imtl_g_two,
             "nash_mtl": _nash_mtl_two, "aligned_mtl": _aligned_mtl_two, "graddrop": _graddrop_two}
TWO_TASK_METHODS = ("mean", "mgda", "pcgrad", "cagrad", "imtl_g", "nash_mtl", "aligned_mtl", "graddrop")


def two_task_direction(method: str, c: float = 0.5, rescale: bool = True):
    """`method`'s direction for two tasks as a function (g11, g12, g21, g22, u1, u2) -> (d1, d2) on floats,
    G = [[g11, g12], [g21, g22]]; u1, u2 are GradDrop's uniform draws (ignored by the others).
    c, rescale: CAGrad's hyper-parameters (as :func:`cagrad`), ignored by the others.
    """
    if method == "cagrad":
        return _cagrad_two(nonnegative_number(c, "c", "two_task_direction"), bool(rescale))
    if method not in _TWO_TASK:
        raise ValueError(f"two_task_direction: no two-task closed form for {method!r}; "
                         f"choose from {', '.join(TWO_TASK_METHODS)}")
    return _TWO_TASK[method]
