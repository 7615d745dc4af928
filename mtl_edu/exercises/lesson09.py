"""Lesson 09 (`09_why_mtl_works`): the checkers
`check_effective_sample_size`, `check_top_inputs`, `check_uses_shared_parity`.
"""
from __future__ import annotations

import numpy as np

from ..data import datasets
from .core import call_learner, fail, passed, returned_number, exercise_checker

__all__ = ["check_effective_sample_size", "check_top_inputs", "check_uses_shared_parity"]

# (n, noise stds with the main task first, what the case shows)
_SAMPLE_CASES = (
    (100, (0.5, 0.5, 0.5, 0.5), "4 tasks with equal noise"),
    (50, (1.0,), "the main task alone"),
    (100, (0.5, 1.0), "a second task twice as noisy"),
    (100, (0.5, 2.0), "a second task four times as noisy"),
    (30, (1.0, 0.5, 0.5), "two extra tasks less noisy than the main one"),
)


def _effective_size(n: float, stds) -> float:
    variances = np.asarray(stds, dtype=float) ** 2
    return n * variances.size**2 * variances[0] / variances.sum()


@exercise_checker
def check_effective_sample_size(effective_sample_size) -> None:
    """Exercise 09.1: `effective_sample_size(n, noise_stds)` returns n·T²·σ₁²/Σσₜ², the number of main-task
    examples whose noise an equal-weight average of T tasks' targets at n inputs matches."""
    for n, stds, what in _SAMPLE_CASES:
        call = f"effective_sample_size({n}, {list(stds)}) ({what})"
        got = returned_number(call_learner(effective_sample_size, n, list(stds), description=call), call)
        expected = _effective_size(n, stds)
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        variances = np.asarray(stds, dtype=float) ** 2
        T = len(stds)
        if np.isclose(got, n * T, rtol=1e-9) and not np.allclose(variances, variances[0]):
            fail(f"{where}. n·T holds only when every task is as noisy as the main one; here they differ, so "
                  "compare the average target's noise variance Σσₜ²/T² with the main task's σ₁².")
        if np.isclose(got, n * np.sum(variances[0] / variances), rtol=1e-9):
            fail(f"{where}. That is n·Σ σ₁²/σₜ², what the best (inverse-variance) weighting would give; the "
                  "exercise asks about equal weights, a plain average of the T targets.")
        stds_array = np.asarray(stds, dtype=float)
        if np.isclose(got, n * T**2 * stds_array[0] / stds_array.sum(), rtol=1e-9):
            fail(f"{where}. Noise adds up in variances, not in standard deviations: square the stds.")
        if np.isclose(got, n * T * variances[0] / variances.sum(), rtol=1e-9):
            fail(f"{where}. The average (1/T)Σyₜ has noise variance Σσₜ²/T², with T² below, not T.")
        if np.isclose(got, n * variances.sum() / (T**2 * variances[0]), rtol=1e-9):
            fail(f"{where}. That is the inverse: solve σ₁²/m = (Σσₜ²/T²)/n for m.")
        fail(f"{where}. The average of the T targets has noise variance Σσₜ²/T²; find the m at which "
              "σ₁²/m equals (Σσₜ²/T²)/n.")
    passed(f"your effective sample size n·T²·σ₁²/Σσₜ² is right on {len(_SAMPLE_CASES)} cases. Four equally "
        "noisy tasks are worth 4n examples; an extra task four times as noisy as the main one, weighted "
        "equally, is worth less than the main task alone (100 examples count as 23.5).")


def _weight_cases() -> list:
    """(W (d, h), k, description): random layers, one with a clear winner, ties broken by sign traps."""
    rng = np.random.default_rng(9)
    signed = np.array([[3.0, -3.0], [1.0, 1.0], [-2.5, 0.0], [0.5, -0.5], [0.0, 2.0]])
    wide = rng.standard_normal((32, 2)) * np.r_[np.full(2, 0.1), np.full(30, 0.05)][:, None]
    wide[[7, 19]] *= 40.0
    return [
        (signed, 2, "a (5, 2) layer with negative weights"),
        (rng.standard_normal((10, 4)), 3, "a random (10, 4) layer"),
        (wide, 2, "a (32, 2) layer in which inputs 7 and 19 stand out"),
        (rng.standard_normal((6, 8)), 6, "a (6, 8) layer, all 6 inputs ranked"),
    ]


def _top(mass: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-mass, kind="stable")[:k]


@exercise_checker
def check_top_inputs(top_inputs) -> None:
    """Exercise 09.2: `top_inputs(W, k)` returns the indices of the k inputs (rows of W (d, h)) with the
    largest weight mass Σ_j |W_ij|, the largest first."""
    for W, k, what in _weight_cases():
        call = f"top_inputs(W, {k}) for {what}"
        answer = call_learner(top_inputs, W.copy(), k, description=call)
        if answer is None:
            fail(f"{call} returned None; did you forget the `return`?")
        got = np.asarray(answer).reshape(-1)
        mass = np.abs(W).sum(axis=1)
        expected = _top(mass, k)
        if got.size == k and np.issubdtype(got.dtype, np.integer) and len(set(got.tolist())) == k \
                and np.all((0 <= got) & (got < mass.size)) and np.allclose(mass[got], mass[expected]):
            continue  # inputs with equal mass may come in either order
        where = f"{call}: expected {expected.tolist()}, got {got.tolist()}"
        if got.size == k and np.issubdtype(got.dtype, np.floating) and np.allclose(got, mass[expected]):
            fail(f"{where}. Those are the masses; return the indices of the inputs (np.argsort gives them).")
        if got.size != k:
            fail(f"{where}. Return exactly k = {k} indices.")
        got_int = got.astype(int)
        if np.array_equal(np.sort(got_int), np.sort(expected)):
            fail(f"{where}. The right inputs in the wrong order: the one with the largest mass comes first.")
        if np.array_equal(got_int, np.argsort(mass, kind="stable")[:k]):
            fail(f"{where}. Those are the k smallest; sort by decreasing mass (e.g. np.argsort(-mass)).")
        if k <= W.shape[1] and np.array_equal(got_int, _top(np.abs(W).sum(axis=0), k)):
            fail(f"{where}. You summed over the inputs (axis 0): here W is (inputs d, hidden units h), so an "
                  "input's mass is the sum of its row, over axis 1.")
        if np.array_equal(got_int, _top(W.sum(axis=1), k)):
            fail(f"{where}. A large negative weight matters as much as a large positive one: sum |W_ij|, not W_ij.")
        fail(f"{where}. An input's weight mass is the sum of the absolute values in its row of W.")
    passed(f"top_inputs ranks the inputs by Σ_j |W_ij| correctly on {len(_weight_cases())} layers, the largest "
        "first. Try it on `first_layer_weights(net)` of the lesson's STL and MTL nets.")


def _parity_cases() -> list:
    """(X (256, 8), [(name, labels (256,), expected answer), ...]) on the 256 patterns of
    make_parity_tasks(256, rng=0), for the main parity bits (1, 2, 3, 4, 5)."""
    main = datasets.make_parity_tasks(256, rng=0)
    X = main.X
    bits = X.astype(int)

    def tasks(**options):
        return datasets.make_parity_tasks(256, rng=0, **options).targets

    cases = [(name, labels, True) for name, labels in zip(main.task_names, main.targets)]
    cases += [
        ("parity(b1..b5) itself", main.shared_feature, True),
        ("b6 XOR parity(b1..b5)", tasks(rules=(("xor", 6, False),))[0], True),
        ("b0 OR parity(b3..b7)", tasks(parity_bits=(3, 4, 5, 6, 7), rules=(("or", 0, False),))[0], False),
        ("b0 AND parity(b1..b4)", tasks(parity_bits=(1, 2, 3, 4), rules=(("and", 0, False),))[0], False),
        ("b6 (a plain copy of bit 6)", bits[:, 6], False),
        ("b0 AND b7", bits[:, 0] & bits[:, 7], False),
        ("random labels", np.random.default_rng(1).integers(0, 2, 256), False),
    ]
    return X, cases


def _counterexample(bits: np.ndarray, labels: np.ndarray, parity_bits: list) -> str:
    """Two patterns with the same parity and the same other bits but different labels, as text."""
    parity = bits[:, parity_bits].sum(axis=1) % 2
    others = [b for b in range(bits.shape[1]) if b not in parity_bits]
    seen = {}
    for index, key in enumerate(zip(parity, map(tuple, bits[:, others]))):
        if key in seen and labels[seen[key]] != labels[index]:
            first = "".join(str(b) for b in bits[seen[key]])
            second = "".join(str(b) for b in bits[index])
            return (f"patterns b0..b7 = {first} and {second} have the same parity and the same other bits, "
                    f"but labels {labels[seen[key]]} and {labels[index]}")
        seen.setdefault(key, index)
    return ""


@exercise_checker
def check_uses_shared_parity(uses_shared_parity) -> None:
    """Exercise 09.3: `uses_shared_parity(X, labels, parity_bits)` is True exactly when the labels are a
    function of the shared feature parity(X[:, parity_bits]) and the bits outside parity_bits, and do
    depend on that parity."""
    X, cases = _parity_cases()
    bits = X.astype(int)
    parity_bits = [1, 2, 3, 4, 5]
    for name, labels, expected in cases:
        call = f"uses_shared_parity(X, labels of '{name}', {parity_bits})"
        answer = call_learner(uses_shared_parity, X.copy(), np.array(labels), list(parity_bits), description=call)
        if not isinstance(answer, (bool, np.bool_)):
            fail(f"{call} should return True or False, got {type(answer).__name__} {answer!r}")
        if bool(answer) == expected:
            continue
        where = f"{call}: expected {expected}, got {bool(answer)}"
        if expected:
            fail(f"{where}. This task is computed from parity(b1..b5) and bits outside b1..b5 alone, and its "
                  "label changes with the parity, so a shared layer that computes the parity serves it.")
        counterexample = _counterexample(bits, np.asarray(labels), parity_bits)
        if counterexample:
            fail(f"{where}. Its labels are not a function of parity(b1..b5) and the other bits: {counterexample}.")
        fail(f"{where}. Its labels never change with parity(b1..b5) when the other bits are fixed: it does not "
              "use the shared feature at all.")
    n_true = sum(expected for _, _, expected in cases)
    passed(f"uses_shared_parity is right on all {len(cases)} tasks ({n_true} built on parity(b1..b5), "
        f"{len(cases) - n_true} not, including parity(b1..b4), which looks close but is a different feature).")
