"""Lesson 07 (`07_balancing_methods`): the checkers
`check_mgda_two_tasks`, `check_pcgrad_two_tasks`, `check_pareto_stoppers`.
"""
from __future__ import annotations

import numpy as np

from ..balancing import aggregators, toys
from .core import as_array, call_learner, fail, passed, exercise_checker

__all__ = ["check_mgda_two_tasks", "check_pcgrad_two_tasks", "pareto_exercise_gradients", "check_pareto_stoppers"]

# (g1, g2, what the case tests): chosen so that each typical slip fails at least one of them.
_TWO_TASK_CASES = (
    (np.array([3.0, 0.5]), np.array([-1.0, 1.2]), "two conflicting gradients (g₁·g₂ < 0)"),
    (np.array([1.0, 0.0]), np.array([3.0, 0.5]), "g₂ much longer than g₁, angle about 10°"),
    (np.array([0.5, 2.0]), np.array([0.5, 2.0]), "two identical gradients"),
    (np.array([1.0, 0.0]), np.array([-2.0, 0.0]), "two exactly opposite gradients"),
    (np.array([0.3, -1.2, 2.0, 0.7, -0.4]), np.array([-0.9, 0.8, -1.1, 0.2, 1.5]), "5 parameters, conflicting"),
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
    if not finite and np.array_equal(g1, g2):
        fail(f"{name}(g1, g2) returned inf/NaN for {what}: ‖g₁ − g₂‖² = 0 there, so a formula that divides by it "
              "breaks. Every point of the segment is the same vector then: return g₁.")
    return as_array(d, g1.shape, f"{name}(g1, g2) for {what}")


def _vector_text(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{round(float(x), 4) + 0.0:.4g}" for x in v) + ")"


@exercise_checker
def check_mgda_two_tasks(mgda_two) -> None:
    """Exercise 07.1: `mgda_two(g1, g2)` returns MGDA's d = γ g₁ + (1 − γ) g₂, the point of the segment
    [g₂, g₁] closest to 0: γ = clip((g₂ − g₁)·g₂ / ‖g₁ − g₂‖², 0, 1) (Sener & Koltun 2018, NeurIPS)."""
    for g1, g2, what in _TWO_TASK_CASES:
        got = _two_task_answer(mgda_two, g1, g2, "mgda_two", what)
        expected = aggregators.mgda(np.stack([g1, g2]))
        scale = max(float(np.abs(np.stack([g1, g2])).max()), 1.0)
        if np.allclose(got, expected, rtol=1e-9, atol=1e-9 * scale):
            continue
        where = (f"for {what}, g₁ = {_vector_text(g1)}, g₂ = {_vector_text(g2)}: "
                 f"expected d = {_vector_text(expected)}, got {_vector_text(got)}")
        difference = g1 - g2
        denominator = float(difference @ difference)
        if denominator > 0:
            raw = float((g2 - g1) @ g2) / denominator
            unclipped = raw * g1 + (1 - raw) * g2
            swapped = (1 - raw) * g1 + raw * g2
            if not 0 <= raw <= 1 and np.allclose(got, unclipped, rtol=1e-9, atol=1e-12):
                fail(f"{where}. Here γ = {raw:.3g} lies outside [0, 1]: clip it, so d stays on the segment "
                      "between g₁ and g₂ (the convex hull).")
            if np.allclose(got, swapped, rtol=1e-9, atol=1e-12):
                fail(f"{where}. γ and 1 − γ are swapped: γ multiplies g₁.")
        if np.allclose(got, 0.5 * (g1 + g2), rtol=1e-9, atol=1e-12):
            fail(f"{where}. That is the mean; MGDA picks the point of the segment closest to the origin.")
        fail(f"{where}.")
    passed(f"mgda_two agrees with aggregators.mgda to within 1e-9 on {len(_TWO_TASK_CASES)} cases (conflicting, "
        "clipped at an end of the segment, identical, exactly opposite, 5 parameters).")


@exercise_checker
def check_pcgrad_two_tasks(pcgrad_two) -> None:
    """Exercise 07.2: `pcgrad_two(g1, g2)` projects each gradient off the other when they conflict
    (g₁·g₂ < 0), then averages: d = (g₁' + g₂') / 2 (Yu et al. 2020, NeurIPS; the paper sums, the
    course averages so that identical gradients give d = g)."""
    for g1, g2, what in _TWO_TASK_CASES:
        got = _two_task_answer(pcgrad_two, g1, g2, "pcgrad_two", what)
        expected = aggregators.pcgrad(np.stack([g1, g2]))
        scale = max(float(np.abs(np.stack([g1, g2])).max()), 1.0)
        if np.allclose(got, expected, rtol=1e-9, atol=1e-9 * scale):
            continue
        where = (f"for {what}, g₁ = {_vector_text(g1)}, g₂ = {_vector_text(g2)}: "
                 f"expected d = {_vector_text(expected)}, got {_vector_text(got)}")
        inner = float(g1 @ g2)
        project_1 = g1 - inner / float(g2 @ g2) * g2
        project_2 = g2 - inner / float(g1 @ g1) * g1
        close = lambda a, b: np.allclose(a, b, rtol=1e-9, atol=1e-12)  # noqa: E731
        if close(got, 2 * expected):
            fail(f"{where}. You summed the projected gradients; this course averages them (half the sum).")
        if inner >= 0 and close(got, 0.5 * (project_1 + project_2)):
            fail(f"{where}. These gradients do not conflict (g₁·g₂ = {inner:.3g} ≥ 0): PCGrad leaves them alone.")
        if inner < 0:
            sequential = g2 - float(g2 @ project_1) / float(project_1 @ project_1) * project_1
            if close(got, 0.5 * (project_1 + sequential)):
                fail(f"{where}. You projected g₂ off the already-projected g₁'; project each off the ORIGINAL "
                      "other gradient.")
            onto = 0.5 * (inner / float(g2 @ g2) * g2 + inner / float(g1 @ g1) * g1)
            if close(got, onto):
                fail(f"{where}. You kept the component along the other gradient; PCGrad removes it: "
                      "g₁' = g₁ − (g₁·g₂ / ‖g₂‖²) g₂.")
        if close(got, 0.5 * (g1 + g2)):
            fail(f"{where}. That is the plain mean: the projection is missing.")
        fail(f"{where}.")
    passed(f"pcgrad_two agrees with aggregators.pcgrad to within 1e-9 on {len(_TWO_TASK_CASES)} cases (conflicting, "
        "not conflicting, identical, exactly opposite, 5 parameters).")


def pareto_exercise_gradients() -> tuple:
    """(point (2,), G (2, 2)): a point of the CAGrad toy's Pareto set (x₁ = 3) and the two task
    gradients there (rows g₁, g₂), the picture of exercise 07.3."""
    points, _ = toys.pareto_front_toy(15)  # x1 = -7, -6, ..., 7
    point = points[10]
    return point, toys.cagrad_toy(point)[1]


_METHOD_ALIASES = {name.replace("_", ""): name for name in toys.FAST_TOY_METHODS}


def _method_key(name) -> str | None:
    if not isinstance(name, str):
        return None
    return _METHOD_ALIASES.get(name.lower().replace("-", "").replace("_", "").replace(" ", ""))


@exercise_checker
def check_pareto_stoppers(stoppers) -> None:
    """Exercise 07.3: `stoppers()` returns the names of the methods whose update d is zero at the
    Pareto point of `pareto_exercise_gradients()` (they stop at the first Pareto point they reach)."""
    answer = call_learner(stoppers, description="your function")
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        fail(f"return a list or set of method names, e.g. {{'mgda', 'cagrad'}}; got {type(answer).__name__} "
              f"{answer!r}")
    names = list(answer)
    keys = [_method_key(name) for name in names]
    unknown = [name for name, key in zip(names, keys) if key is None]
    if unknown:
        fail(f"unknown method name(s) {unknown}; use these: {', '.join(toys.FAST_TOY_METHODS)}")
    chosen = set(keys)
    point, G = pareto_exercise_gradients()
    scale = float(np.linalg.norm(G))
    sizes = {}
    for method in toys.FAST_TOY_METHODS:
        if method == "graddrop":  # random: its expected d, over its random sign choices, is the mean
            sizes[method] = float(np.linalg.norm(aggregators.mean(G)))
        else:
            hyper = {"c": 0.5} if method == "cagrad" else {}
            sizes[method] = float(np.linalg.norm(aggregators.aggregate(method, G, **hyper)))
    truth = {method for method, size in sizes.items() if size < 1e-9 * scale}
    wrongly_in = sorted(chosen - truth, key=toys.FAST_TOY_METHODS.index)
    left_out = sorted(truth - chosen, key=toys.FAST_TOY_METHODS.index)
    if wrongly_in:
        details = "; ".join(f"{m}: ‖d‖ = {sizes[m]:.3g}" for m in wrongly_in)
        fail(f"{', '.join(wrongly_in)} still move(s) at this Pareto point ({details}, not 0): with g₁ and g₂ "
              "opposite but of different lengths, these keep some pull toward the average-loss optimum.")
    if left_out:
        pronoun = "it" if len(left_out) == 1 else "them"
        fail(f"you left out {', '.join(left_out)}: at this point ‖d‖ < 1e-9·‖G‖ for {pronoun}. With two exactly "
              "opposite gradients, ask what the method's recipe makes of them.")
    passed(f"at the Pareto point ({point[0]:.0f}, {point[1]:.2f}) the update is zero for exactly "
        f"{', '.join(sorted(truth, key=toys.FAST_TOY_METHODS.index))}: they stop at the first Pareto point "
        "they reach. The others keep moving along the front toward the average-loss optimum.")
