"""Lesson 10 (`10_capstone`): the checkers
`check_train_only_standardisation`, `check_delta_m_over_seeds`, `check_beats_stl`.
"""
from __future__ import annotations

import numpy as np

from ..balancing import aggregators
from .. import capstone
from ..data import datasets
from ..nets import multitask
from ..instruments import stats
from .core import as_array, call_learner, fail, as_number, passed, exercise_checker

__all__ = ["check_train_only_standardisation", "check_delta_m_over_seeds", "check_beats_stl"]

def _standardisation_cases() -> list:
    """(X_train, X_val, X_test, description): the lesson's penguin split, and a small split whose held-out
    rows come from a shifted distribution, so any use of their statistics shows plainly."""
    penguins = datasets.load_penguins()
    data = capstone.capstone_data()
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
def check_train_only_standardisation(standardise) -> None:
    """Exercise 10.1: `standardise(X_train, X_val, X_test)` returns the three arrays with columns 0–2
    (bill length, bill depth, flipper length) rescaled by the TRAINING rows' mean and std, and the island
    columns 3–5 unchanged; compared with `datasets.standardize` (std with ddof 0 or 1 both accepted)."""
    names = ("X_train", "X_val", "X_test")
    for X_train, X_val, X_test, shown in _standardisation_cases():
        given = [X_train.copy(), X_val.copy(), X_test.copy()]
        call = f"standardise(...) on {shown}"
        answer = call_learner(standardise, *given, description=call)
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
                      "rescale only columns 0–2 (datasets.standardize(..., columns=[0, 1, 2])).")
        pooled = np.vstack(originals)[:, :3]
        for label, stats_rows in (("train, validation and test together", pooled),
                                  ("train and validation together", np.vstack([X_train, X_val])[:, :3])):
            leaked = [_standardised_with(stats_rows.mean(axis=0), stats_rows.std(axis=0), X) for X in originals]
            if all(np.allclose(g, e, rtol=1e-6, atol=1e-6) for g, e in zip(got, leaked)):
                fail(f"{call}: you took the mean and std over {label}. That leaks the held-out rows into the "
                      "preprocessing: the validation and test scores would no longer measure data the model never "
                      "saw. Use the training rows' statistics for all three parts.")
        own = [_standardised_with(X[:, :3].mean(axis=0), X[:, :3].std(axis=0), X) for X in originals]
        for index in (1, 2):
            if np.allclose(got[index], own[index], rtol=1e-6, atol=1e-6) \
                    and not np.allclose(got[index], expected[index], rtol=1e-6, atol=1e-6):
                fail(f"{call}: {names[index]} was standardised with its own mean and std. That uses the held-out "
                      "rows' statistics (a leak) and moves them differently from the training rows, so the model "
                      "sees shifted inputs. Apply the training mean and std to every part.")
            if np.allclose(got[index], originals[index]):
                fail(f"{call}: {names[index]} came back unscaled; the network was trained on standardised inputs, "
                      "so the held-out parts need the same transformation (with the training statistics).")
        for g, e, name in zip(got, expected, names):
            if not np.allclose(g, e, rtol=1e-9, atol=1e-9):
                row, column = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape)
                fail(f"{call}: {name}[{row}, {column}] should be {e[row, column]:.6g}, got {g[row, column]:.6g}. "
                      "Each of columns 0–2 becomes (x − mean_train) / std_train.")
    passed("your standardisation uses the training rows' mean and std for all three parts and leaves the island "
        "columns alone, on the lesson's split and on a split with shifted held-out rows (agrees with "
        "datasets.standardize to within 1e-9).")


# (metrics (S, T), stl_metrics (S, T), higher_is_better (T,)): the lesson's tasks, two RMSE tasks, two seeds.
_SEED_CASES = (
    (np.array([[0.985, 0.868, 342.0], [0.971, 0.882, 351.0], [1.000, 0.853, 333.0]]),
     np.array([[0.985, 0.838, 324.0], [0.985, 0.853, 330.0], [0.985, 0.824, 318.0]]), (True, True, False)),
    (np.array([[0.31, 0.52], [0.29, 0.55], [0.35, 0.49], [0.30, 0.50], [0.33, 0.51]]),
     np.array([[0.30, 0.50], [0.30, 0.50], [0.32, 0.53], [0.31, 0.52], [0.30, 0.50]]), (False, False)),
    (np.array([[0.90, 0.80, 2.0], [0.95, 0.70, 2.5]]), np.array([[0.85, 0.85, 2.2], [0.90, 0.75, 2.0]]),
     (True, True, False)),
)


@exercise_checker
def check_delta_m_over_seeds(delta_m_over_seeds) -> None:
    """Exercise 10.2: `delta_m_over_seeds(metrics, stl_metrics, higher_is_better)` returns (mean, half_width):
    the mean per-seed Δm% (each seed against the STL networks of the same seed, `multitask.delta_m`) and the
    half-width t₀.₉₇₅,ₙ₋₁ · s / √n of its 95 % confidence interval (s the sample std, ddof = 1)."""
    for metrics, stl, better in _SEED_CASES:
        n_seeds, n_tasks = metrics.shape
        call = f"delta_m_over_seeds(...) with {n_seeds} seeds × {n_tasks} tasks, higher_is_better={list(better)}"
        answer = call_learner(delta_m_over_seeds, metrics.copy(), stl.copy(), list(better), description=call)
        if answer is None:
            fail(f"{call} returned None; did you forget the `return`?")
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
            fail(f"{call} should return a pair (mean, half_width), got {answer!r}")
        mean, half = (as_number(value, f"{call}[{k}]") for k, value in enumerate(answer))
        per_seed = np.array([multitask.delta_m(m, s, better) for m, s in zip(metrics, stl)])
        t = stats.t_quantile(0.975, n_seeds - 1)
        expected_mean = float(per_seed.mean())
        expected_half = float(t * per_seed.std(ddof=1) / np.sqrt(n_seeds))
        if np.isclose(mean, expected_mean, rtol=1e-9, atol=1e-9) and np.isclose(half, expected_half, rtol=1e-6,
                                                                               atol=1e-9):
            continue
        where = (f"{call}: expected (mean, half-width) = ({expected_mean:.4g}, {expected_half:.4g}), "
                 f"got ({mean:.4g}, {half:.4g})")
        if np.isclose(mean, expected_half, rtol=1e-6) and np.isclose(half, expected_mean, rtol=1e-6):
            fail(f"{where}. The two numbers are swapped: the mean first, then the half-width.")
        if np.isclose(mean, -expected_mean, rtol=1e-9):
            fail(f"{where}. The sign is flipped: in this course Δm% is lower-is-better, so a task that improves "
                  "on its STL baseline contributes a negative term.")
        if np.isclose(mean, expected_mean / 100, rtol=1e-9):
            fail(f"{where}. Multiply by 100: Δm% is a percentage.")
        unpaired = np.array([multitask.delta_m(m, stl.mean(axis=0), better) for m in metrics])
        if np.isclose(mean, unpaired.mean(), rtol=1e-9) and not np.isclose(unpaired.std(ddof=1), per_seed.std(ddof=1)) \
                and np.isclose(half, t * unpaired.std(ddof=1) / np.sqrt(n_seeds), rtol=1e-6):
            fail(f"{where}. Each seed was compared with the STL average; compare it with the STL run of the same "
                  "seed (row s with row s): pairing removes the part of the spread the two share.")
        pooled = multitask.delta_m(metrics.mean(axis=0), stl.mean(axis=0), better)
        if np.isclose(mean, pooled, rtol=1e-9) and not np.isclose(pooled, expected_mean, rtol=1e-9):
            fail(f"{where}. You averaged the metrics over seeds first and took one Δm%. Take each seed's Δm% "
                  "(row s of metrics against row s of stl_metrics), then their mean and interval.")
        if np.isclose(mean, expected_mean, rtol=1e-9):
            if np.isclose(half, per_seed.std(ddof=1), rtol=1e-6) or np.isclose(half, per_seed.std(), rtol=1e-6):
                fail(f"{where}. That is the spread of the seeds, not the uncertainty of their mean: divide the "
                      "sample std by √n and multiply by the t quantile.")
            if np.isclose(half, t * per_seed.std() / np.sqrt(n_seeds), rtol=1e-6):
                fail(f"{where}. Use the sample standard deviation (ddof=1): the n values also estimate the mean.")
            if np.isclose(half, 1.959963984540054 * per_seed.std(ddof=1) / np.sqrt(n_seeds), rtol=1e-6):
                fail(f"{where}. 1.96 is the normal quantile; with {n_seeds} seeds use Student's t with "
                      f"{n_seeds - 1} degrees of freedom (stats.t_quantile(0.975, n - 1)), which is wider.")
            fail(f"{where}. The mean is right; the half-width is t₀.₉₇₅,ₙ₋₁ · s / √n over the {n_seeds} "
                  "per-seed values.")
        fail(f"{where}. Per seed s: Δm%_s = delta_m(metrics[s], stl_metrics[s], higher_is_better); "
              "return their mean and the half-width of its 95 % t interval.")
    passed(f"your mean and 95 % interval of the per-seed Δm% agree with multitask.delta_m and Student's t on "
        f"{len(_SEED_CASES)} cases (the lesson's three tasks, two RMSE tasks, two seeds).")


def _setting(answer) -> tuple:
    if isinstance(answer, dict):
        answer = (answer.get("method"), answer.get("branch_depth"))
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
        fail(f"return a pair (method, branch_depth), e.g. ('equal', 2); got {answer!r}")
    method, depth = answer
    if not isinstance(method, str):
        fail(f"the method should be a name such as 'equal' or 'famo', got {method!r}")
    key = method.strip().lower().replace("-", "_").replace(" ", "_")
    by_label = {label.lower().replace(" ", "_"): name for name, label in capstone.CAPSTONE_METHODS.items()}
    key = by_label.get(key, key)
    if key == "stl" or depth == 0:
        fail(f"({method!r}, {depth!r}) is the single-task setting itself (nothing shared): Δm% against itself is "
              "0. Share at least one layer: branch depth 1 or 2.")
    known = list(capstone.CAPSTONE_METHODS) + [m for m in aggregators.AGGREGATORS
                                               if m not in capstone.CAPSTONE_METHODS]
    if key not in known:
        fail(f"unknown method {method!r}; choose one of {list(capstone.CAPSTONE_METHODS)} (the explorer's "
              f"balancers) or another aggregator: {known[len(capstone.CAPSTONE_METHODS):]}")
    try:
        capstone.check_capstone_setting(key, depth)
    except ValueError as error:
        fail(str(error))
    return key, int(depth)


@exercise_checker
def check_beats_stl(my_setting) -> None:
    """Exercise 10.3: `my_setting()` returns (method, branch_depth); the checker trains that setting on the
    lesson's ten seeds (`capstone.capstone_scores`) and requires a validation Δm% whose 95 % interval lies
    below zero; then it reports the test Δm% of the same choice."""
    method, depth = _setting(call_learner(my_setting, description="my_setting()"))
    label = capstone.CAPSTONE_METHODS.get(method, method)
    delta = capstone.capstone_scores(method, depth, "validation").delta_m
    verdict = capstone.delta_m_verdict(delta)
    score = f"{label} at branch depth {depth}: validation Δm% = {capstone.delta_m_summary(delta)} (lower is better)"
    if verdict.startswith("worse"):
        fail(f"{score}: worse than the single-task networks. Look in the explorer for a setting whose Δm% "
              "lies below zero.")
    if not verdict.startswith("better"):
        side = "below" if delta.mean() < 0 else "above"
        fail(f"{score}: the mean is {side} zero, but the 95 % interval contains zero, so with {delta.size} seeds "
              "this is not a win you could claim. Look for a setting whose whole interval lies below zero.")
    test = capstone.capstone_scores(method, depth, "test").delta_m
    passed(f"{score}: {verdict}. On the test set, which played no part in your choice, the same setting scores "
        f"Δm% = {capstone.delta_m_summary(test)}: {capstone.delta_m_verdict(test)}.")
