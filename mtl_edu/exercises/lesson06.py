"""Lesson 06 (`06_task_weights`): the checkers
`check_joint_gradient`, `check_equalising_weights`, `check_pareto_mask`.
"""
from __future__ import annotations

import numpy as np

from ..nets.multitask import HardSharingNet, flatten_grads, joint_loss, task_gradients, task_loss
from .core import as_array, call_learner, fail, passed, exercise_checker

__all__ = ["check_joint_gradient", "check_equalising_weights", "check_pareto_mask"]

def _shared_layer_case(n_tasks: int, seed: int) -> tuple:
    """(G (T, P), theta (P,), task losses, shared params) for a small hard-sharing net on random data."""
    rng = np.random.default_rng(seed)
    model = HardSharingNet(4, [5], [1] * n_tasks, branch_depth=1, rng=seed)
    X = rng.standard_normal((16, 4))
    outputs = model(X)
    losses = [task_loss("regression", out, rng.standard_normal(16) * (t + 1)) for t, out in enumerate(outputs)]
    shared = model.shared_parameters()
    G = task_gradients(losses, shared)
    theta = np.concatenate([p.data.ravel() for p in shared])
    return G, theta, losses, shared


# (number of tasks, weights, l2): plain sum, a weighted pair, a zero weight, weight decay on top.
_JOINT_GRADIENT_CASES = ((2, (1.0, 1.0), 0.0), (2, (0.2, 0.8), 0.0), (3, (2.0, 0.0, 0.5), 0.0),
                         (3, (0.3, 1.5, 0.7), 0.01))


@exercise_checker
def check_joint_gradient(joint_gradient) -> None:
    """Exercise 06.1: `joint_gradient(G, weights, l2, theta)` returns ∇θ(Σ wₜLₜ + l2·‖θ‖²) = wᵀG + 2·l2·θ."""
    for case, (n_tasks, weights, l2) in enumerate(_JOINT_GRADIENT_CASES):
        G, theta, losses, shared = _shared_layer_case(n_tasks, seed=10 + case)
        weights = np.array(weights)
        for p in shared:
            p.grad = None
        total, _ = joint_loss(losses, weights, l2=l2, params=shared if l2 > 0 else None)
        total.backward()
        expected = flatten_grads(shared)  # autodiff on the joint loss itself: the reference
        shown = f"weights = {weights.tolist()}, l2 = {l2:g} ({n_tasks} tasks, P = {theta.size})"
        got = as_array(call_learner(joint_gradient, G.copy(), weights.copy(), l2, theta.copy(),
                           description=f"joint_gradient(G, weights, l2, theta) with {shown}"),
                     theta.shape, f"joint_gradient with {shown}")
        if np.allclose(got, expected, rtol=1e-8, atol=1e-10):
            continue
        weighted = weights @ G
        close = lambda candidate: np.allclose(got, candidate, rtol=1e-8, atol=1e-10)  # noqa: E731
        if l2 > 0 and close(weighted):
            fail(f"with {shown}: the weight-decay term is missing; ∂(l2·‖θ‖²)/∂θ = 2·l2·θ.")
        if l2 > 0 and close(weighted + l2 * theta):
            fail(f"with {shown}: the weight-decay term needs a factor 2: ∂(l2·‖θ‖²)/∂θ = 2·l2·θ, not l2·θ.")
        if close(G.sum(axis=0) + 2 * l2 * theta):
            fail(f"with {shown}: you added the task gradients without their weights; the joint loss is "
                  "Σ wₜLₜ, so its gradient is Σ wₜ gₜ = weights @ G.")
        if close(G.mean(axis=0) + 2 * l2 * theta) or close(weighted / n_tasks + 2 * l2 * theta):
            fail(f"with {shown}: you divided by the number of tasks; the joint loss Σ wₜLₜ is a sum, not a mean.")
        index = int(np.argmax(np.abs(got - expected)))
        fail(f"with {shown}: at entry {index} of θ expected {expected[index]:.6g} (autodiff on the joint loss), "
              f"got {got[index]:.6g}.")
    passed(f"joint_gradient agrees with autodiff on Σ wₜLₜ + l2·‖θ‖² to within 1e-8 in all {len(_JOINT_GRADIENT_CASES)} "
        "cases (2 and 3 tasks, a zero weight, l2 = 0 and 0.01): the gradient of a weighted sum is the weighted "
        "sum of the gradients.")


def _rows_with_norms(norms, n_columns: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((len(norms), n_columns))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True) * np.asarray(norms, dtype=float)[:, None]


# Row norms of the test matrices: a 1000× imbalance (grams against a classifier), three spread tasks,
# four tasks, and equal norms (the weights must then all be 1).
_EQUALISING_NORMS = ((1.0, 1000.0), (0.5, 2.0, 8.0), (3.0, 0.2, 1.0, 40.0), (2.0, 2.0, 2.0))


@exercise_checker
def check_equalising_weights(equalising_weights) -> None:
    """Exercise 06.2: `equalising_weights(G)` returns w (T,) with wₜ‖gₜ‖ the same for all t and Σ wₜ = T."""
    for case, norms in enumerate(_EQUALISING_NORMS):
        G = _rows_with_norms(norms, 7, seed=20 + case)
        T = len(norms)
        inverse = 1.0 / np.asarray(norms)
        expected = T * inverse / inverse.sum()
        shown = f"G with row norms {list(norms)}"
        got = as_array(call_learner(equalising_weights, G.copy(), description=f"equalising_weights({shown})"), (T,),
                     f"equalising_weights({shown})")
        if np.allclose(got, expected, rtol=1e-8):
            continue
        weighted = got * np.asarray(norms)
        balanced = np.allclose(weighted, weighted[0], rtol=1e-6)
        if balanced and not np.isclose(got.sum(), T, rtol=1e-6):
            if np.isclose(got.sum(), 1.0, rtol=1e-6):
                fail(f"for {shown}: your weights sum to 1; scale them to sum to T = {T}, as GradNorm does, so that "
                      "equal norms give every task the weight 1.")
            fail(f"for {shown}: the weighted norms are equal (good), but the weights sum to {got.sum():.4g}; "
                  f"scale them to sum to T = {T}.")
        proportional = T * np.asarray(norms) / np.sum(norms)
        if np.allclose(got, proportional, rtol=1e-6):
            fail(f"for {shown}: your weights grow with the gradient norm; to even out wₜ‖gₜ‖ the task with the "
                  "larger gradient needs the SMALLER weight: wₜ ∝ 1/‖gₜ‖.")
        squared = T * inverse**2 / np.sum(inverse**2)
        if np.allclose(got, squared, rtol=1e-6):
            fail(f"for {shown}: your weights are ∝ 1/‖gₜ‖²; then wₜ‖gₜ‖ ∝ 1/‖gₜ‖ is not balanced. Use the norm, "
                  "not its square.")
        fail(f"for {shown}: expected weights {np.round(expected, 6).tolist()}, got {np.round(got, 6).tolist()} "
              f"(weighted norms wₜ‖gₜ‖ = {np.round(weighted, 6).tolist()} should all be equal).")
    passed(f"in all {len(_EQUALISING_NORMS)} cases (2 to 4 tasks, norms up to 1000× apart) the weighted norms "
        "wₜ‖gₜ‖ are equal and the weights sum to T.")


# Small sets with known answers (minimise both coordinates): duplicates, a tie in one coordinate, one point.
_PARETO_CASES = (
    (((1, 5), (2, 3), (3, 4), (4, 1), (2, 3)), (True, True, False, True, True)),
    (((1, 2), (1, 3), (2, 1)), (True, False, True)),
    (((0.5, 0.5),), (True,)),
    (((3, 3), (1, 1), (2, 2)), (False, True, False)),
)


def _reference_pareto_mask(points: np.ndarray) -> np.ndarray:
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [j, i]: j is no worse than i
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    return ~np.any(no_worse & better, axis=0)


@exercise_checker
def check_pareto_mask(pareto_mask) -> None:
    """Exercise 06.3: `pareto_mask(points)` marks the points (K, 2) that no other point dominates
    (both coordinates are losses: lower is better)."""
    rng = np.random.default_rng(6)
    cases = [(np.array(p, dtype=float), np.array(m)) for p, m in _PARETO_CASES]
    random_points = rng.random((25, 2))
    cases.append((random_points, _reference_pareto_mask(random_points)))
    for points, expected in cases:
        shown = ("[" + ", ".join(f"({a:g}, {b:g})" for a, b in points) + "]") if len(points) <= 5 \
            else f"{len(points)} random points"
        result = call_learner(pareto_mask, points.copy(), description=f"pareto_mask({shown})")
        if result is None:
            fail(f"pareto_mask({shown}) returned None; did you forget the `return`?")
        got = np.asarray(result)
        if got.shape != expected.shape:
            fail(f"pareto_mask({shown}) should return one True/False per point, shape {expected.shape}; got shape "
                  f"{got.shape}" + (" (indices? return a boolean mask instead)" if got.ndim == 1 else ""))
        if got.dtype != bool and not np.all(np.isin(got, (0, 1))):
            fail(f"pareto_mask({shown}) should return booleans, got values {got.tolist()}")
        got = got.astype(bool)
        if np.array_equal(got, expected):
            continue
        if np.array_equal(got, _reference_pareto_mask(-points)):
            fail(f"for {shown}: you kept the points that are best when both values are MAXIMISED; here both are "
                  "losses, so lower is better.")
        wrong = int(np.flatnonzero(got != expected)[0])
        point = points[wrong]
        if expected[wrong]:
            twins = [k for k in range(len(points)) if k != wrong and np.array_equal(points[k], point)]
            hint = (" An identical point does not dominate it: domination needs strictly better on one task."
                    if twins else "")
            fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is not dominated by any other point, "
                  f"so it belongs to the front, but you marked it False.{hint}")
        dominators = [k for k in range(len(points))
                      if np.all(points[k] <= point) and np.any(points[k] < point)]
        k = dominators[0]
        tie = " (equal on one task and better on the other still dominates)" if np.any(points[k] == point) else ""
        fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is dominated by point {k} "
              f"({points[k][0]:g}, {points[k][1]:g}){tie}, but you marked it True.")
    passed(f"pareto_mask finds the non-dominated points in all {len(cases)} sets (duplicates, ties in one "
        "coordinate, a single point, 25 random points).")
