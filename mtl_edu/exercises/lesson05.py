"""Lesson 05 (`05_multitask_learning`): the checkers
`check_sharing_parameter_counts`, `check_three_task_joint_loss`, `check_delta_m_percent`.
"""
from __future__ import annotations

import numpy as np

from ..nets import multitask
from ..engine.autodiff import Tensor
from .core import call_learner, fail, as_number, passed, exercise_checker

__all__ = ["check_sharing_parameter_counts", "check_three_task_joint_loss", "check_delta_m_percent"]

# (n_in, hidden_sizes, n_tasks, branch_depth): the lesson's nets, a deeper and a wider one.
_PARAMETER_COUNT_CASES = ((10, [2, 2], 2, 0), (10, [2, 2], 2, 1), (10, [2, 2], 2, 2), (10, [8, 8], 3, 1),
                          (5, [4], 3, 1), (6, [8, 4, 3], 4, 2))


def _parameter_counts(n_in: int, hidden_sizes: list, n_tasks: int, branch_depth: int, biases: bool = True) -> tuple:
    """(shared, task-specific over all tasks) parameter counts of HardSharingNet, by its own parameters."""
    net = multitask.HardSharingNet(n_in, hidden_sizes, [1] * n_tasks, branch_depth=branch_depth, rng=0)
    kept = (lambda p: True) if biases else (lambda p: p.ndim == 2)
    shared = sum(p.size for p in net.shared_parameters() if kept(p))
    specific = sum(p.size for params in net.task_parameters() for p in params if kept(p))
    return shared, specific


@exercise_checker
def check_sharing_parameter_counts(count_parameters) -> None:
    """Exercise 05.1: `count_parameters(n_in, hidden_sizes, n_tasks, branch_depth)` returns
    (shared, task_specific), counted against `HardSharingNet`'s own parameters."""
    for n_in, hidden, n_tasks, branch in _PARAMETER_COUNT_CASES:
        call = f"count_parameters({n_in}, {hidden}, {n_tasks}, {branch})"
        got = call_learner(count_parameters, n_in, list(hidden), n_tasks, branch, description=call)
        if got is None:
            fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"{call} should return a pair (shared, task_specific), got {got!r}")
        shared, specific = (as_number(value, f"{call}[{k}]") for k, value in enumerate(got))
        expected = _parameter_counts(n_in, hidden, n_tasks, branch)
        if (shared, specific) == expected:
            continue
        where = f"{call}: expected (shared, task_specific) = {expected}, got ({shared:g}, {specific:g})"
        if (specific, shared) == expected:
            fail(f"{where}. The two numbers are swapped: shared first.")
        if (shared, specific) == _parameter_counts(n_in, hidden, n_tasks, branch, biases=False):
            fail(f"{where}. Every Linear layer also has a bias: out_features more parameters per layer.")
        if shared == expected[0] and specific * n_tasks == expected[1]:
            fail(f"{where}. That is one task's tower; task_specific counts the towers of all {n_tasks} tasks.")
        if shared == expected[0]:
            fail(f"{where}. The shared count is right. Each task has the layers above the branch point, "
                  f"{len(hidden) - branch} hidden layer(s) plus its own output layer, and there are {n_tasks} tasks.")
        if specific == expected[1]:
            fail(f"{where}. The task-specific count is right. The trunk is the first {branch} hidden layer(s), "
                  "each with weights (fan_in × fan_out) and biases (fan_out); it is counted once, not per task.")
        fail(f"{where}. Hidden layers 1..{branch} are shared; layers {branch + 1}..{len(hidden)} and the output "
              "layer (1 unit) exist once per task.")
    passed(f"your counts match HardSharingNet's parameters in all {len(_PARAMETER_COUNT_CASES)} layouts. Moving the "
        "branch point up moves parameters from the towers into the trunk: for [2, 2] with 2 tasks, "
        "0 + 62, then 22 + 18, then 28 + 6.")


_JOINT_KINDS = ("regression", "regression", "binary")


def _joint_loss_cases() -> list:
    """(predictions, targets, weights): two regression outputs and one logit per example, three sizes."""
    rng = np.random.default_rng(5)
    cases = []
    for n, weights in ((4, (1.0, 1.0, 1.0)), (30, (0.5, 2.0, 1.5)), (200, (1.0, 0.2, 3.0))):
        predictions = [rng.normal(size=n), rng.normal(size=n), 3.0 * rng.normal(size=n)]
        targets = [rng.normal(size=n), rng.normal(size=n), (rng.random(n) < 0.5).astype(np.int64)]
        cases.append((predictions, targets, np.array(weights)))
    return cases


def _joint_loss_reference(predictions, targets, weights) -> tuple:
    """(Σ wₜLₜ, [L₁, L₂, L₃]) by `multitask.task_loss` and `multitask.joint_loss`."""
    losses = [multitask.task_loss(kind, Tensor(np.asarray(p, dtype=float).reshape(-1, 1)), t)
              for kind, p, t in zip(_JOINT_KINDS, predictions, targets)]
    total, values = multitask.joint_loss(losses, weights)
    return float(total.item()), values


@exercise_checker
def check_three_task_joint_loss(joint_loss_three) -> None:
    """Exercise 05.2: `joint_loss_three(predictions, targets, weights)` returns Σ wₜ Lₜ for two
    regression tasks (mean squared error) and one binary task (mean binary cross-entropy on
    logits), compared with `multitask.joint_loss` of `multitask.task_loss`."""
    cases = _joint_loss_cases()
    for predictions, targets, weights in cases:
        n = predictions[0].size
        call = f"joint_loss_three(...) with n = {n} examples and weights {weights.tolist()}"
        got = as_number(call_learner(joint_loss_three, [p.copy() for p in predictions], [t.copy() for t in targets],
                            weights.copy(), description=call), call)
        expected, losses = _joint_loss_reference(predictions, targets, weights)
        if np.isclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        shown = ", ".join(f"{v:.4g}" for v in losses)
        mse_on_logits = float(np.mean((predictions[2] - targets[2]) ** 2))
        probability = 0.5 * (1.0 + np.tanh(0.5 * predictions[2]))
        if np.isclose(got, sum(losses), rtol=1e-9):
            fail(f"{where}. That is the unweighted sum L₁ + L₂ + L₃ ({shown}); multiply each by its weight.")
        if np.isclose(got, float(np.dot(weights[:2], losses[:2]) + weights[2] * mse_on_logits), rtol=1e-9):
            fail(f"{where}. The third task is a classification: its loss is the binary cross-entropy of the "
                  "logits, −[y log σ(z) + (1 − y) log(1 − σ(z))], not a squared error.")
        if np.isclose(got, float(np.dot(weights[:2], losses[:2])), rtol=1e-9):
            fail(f"{where}. The classification task's loss is missing: L₃ = {losses[2]:.4g}.")
        if np.isclose(got, n * expected, rtol=1e-9):
            fail(f"{where}. Your result is n = {n} times too large: each task loss is a mean over the examples.")
        for divisor, what in ((3.0, "the number of tasks"), (float(weights.sum()), "the sum of the weights")):
            if not np.isclose(divisor, 1.0) and np.isclose(got, expected / divisor, rtol=1e-9):
                fail(f"{where}. You divided by {what}; the joint loss is the plain weighted sum Σ wₜLₜ.")
        squared_probability = float(np.mean((probability - targets[2]) ** 2))
        if np.isclose(got, float(np.dot(weights[:2], losses[:2]) + weights[2] * squared_probability), rtol=1e-9):
            fail(f"{where}. Squaring σ(z) − y is not the cross-entropy; use −[y log σ(z) + (1 − y) log(1 − σ(z))].")
        fail(f"{where}. The three task losses here are {shown} (mean squared errors, then the mean binary "
              "cross-entropy of the logits).")
    passed(f"your joint loss agrees with multitask.joint_loss to within 1e-9 on {len(cases)} batches (4 to 200 "
        "examples, equal and unequal weights): Σ wₜLₜ with two mean squared errors and a mean binary cross-entropy.")


# (task metrics, single-task metrics, higher_is_better): RMSE only, accuracy only, mixed.
_DELTA_M_CASES = (
    ((0.30, 0.50), (0.40, 0.50), (False, False)),
    ((0.90, 0.80), (0.85, 0.85), (True, True)),
    ((0.25, 0.92, 0.60), (0.30, 0.90, 0.55), (False, True, False)),
    ((0.174, 0.175), (0.376, 0.376), (False, False)),
)


@exercise_checker
def check_delta_m_percent(delta_m_percent) -> None:
    """Exercise 05.3: `delta_m_percent(metrics, stl_metrics, higher_is_better)` returns Δm%, compared
    with `multitask.delta_m` (lower is better: negative means the multi-task model wins)."""
    for metrics, stl, better in _DELTA_M_CASES:
        call = f"delta_m_percent({list(metrics)}, {list(stl)}, {list(better)})"
        got = as_number(call_learner(delta_m_percent, list(metrics), list(stl), list(better), description=call), call)
        expected = multitask.delta_m(metrics, stl, better)
        if np.isclose(got, expected, rtol=1e-9, atol=1e-9):
            continue
        where = f"{call}: expected {expected:.4g}, got {got:.4g}"
        m, s = np.asarray(metrics), np.asarray(stl)
        if np.isclose(got, -expected, rtol=1e-9):
            fail(f"{where}. The sign is flipped. In this course Δm% is lower-is-better: a multi-task model that "
                  "beats its single-task baselines gets a negative Δm% (LibMTL reports the opposite sign).")
        if np.isclose(got, expected / 100.0, rtol=1e-9):
            fail(f"{where}. Multiply by 100: Δm% is a percentage.")
        if np.isclose(got, expected * len(metrics), rtol=1e-9):
            fail(f"{where}. Average over the {len(metrics)} tasks instead of adding them up.")
        if np.isclose(got, 100.0 * np.mean((m - s) / np.abs(s)), rtol=1e-9):
            fail(f"{where}. For a higher-is-better metric (accuracy) an increase is an improvement, so its "
                  "term takes the opposite sign: (−1)^lₜ with lₜ = 1 when higher is better.")
        if np.isclose(got, 100.0 * np.mean(np.where(better, -1.0, 1.0) * (m - s) / np.abs(m)), rtol=1e-9):
            fail(f"{where}. Divide each change by the single-task value M_STL,t, not by the multi-task one.")
        fail(f"{where}. Δm% = (100 / T) Σₜ (−1)^lₜ (Mₜ − M_STL,t) / M_STL,t.")
    passed(f"your Δm% agrees with multitask.delta_m on {len(_DELTA_M_CASES)} cases (RMSE only, accuracy only, mixed). "
        "Remember the sign: lower is better, and a negative Δm% means sharing helped.")
