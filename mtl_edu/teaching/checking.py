"""The exercise checkers' kit: a tick when the answer is right, the exact problem when not.

Every checker follows one pattern (lessons rely on it):

- it takes the learner's function (or a function returning the learner's numbers) and calls it;
- right: it prints "✓ Correct: <what was checked>";
- wrong: it raises `ExerciseError` (an AssertionError) whose message starts with "✗" and names
  the input, the expected and the received value, and where it can, the likely slip;
- not attempted (the stub's `raise NotImplementedError` still in place): it prints
  "Not attempted yet: ..." and raises nothing, so a notebook runs top to bottom untouched.

A passing check's message is stored in the committed notebooks and compared by strict nbval, so
it states what was checked and a bound ("agrees to within 1e-9"), never a measured error at full
precision, which could differ in its last digits on another machine.

To add a checker: write `check_<name>(learner_fn)` in its lesson's module (`mtl_edu/lessons/`) with the
`@exercise_checker` decorator, call learner code through `call_learner`, read what it returned with
`as_number` / `returned_number` / `as_array`, report with `passed` / `fail`, list it in the module's
`__all__`, and test it both ways in tests/test_exercises.py.
"""
from __future__ import annotations

import functools

import numpy as np

from ..engine.autodiff import Tensor

__all__ = ["ExerciseError", "NOT_ATTEMPTED", "exercise_checker"]

NOT_ATTEMPTED = "Not attempted yet: write your code above, then run this cell."


class ExerciseError(AssertionError):
    """A wrong answer; the message says which input, what was expected and what came back."""


def passed(message: str) -> None:
    print(f"✓ Correct: {message}")


def fail(message: str):
    __tracebackhide__ = True  # pytest and IPython hide this frame: the message is what matters
    raise ExerciseError(f"✗ {message}")


def exercise_checker(check):
    """Make `check` print NOT_ATTEMPTED instead of failing while the learner's stub is unchanged."""

    @functools.wraps(check)
    def run(*args, **kwargs) -> None:
        __tracebackhide__ = True
        try:
            check(*args, **kwargs)
        except NotImplementedError:
            print(NOT_ATTEMPTED)

    return run


def call_learner(function, *args, description: str):
    """Run learner code; an error other than NotImplementedError becomes an ExerciseError naming the call."""
    __tracebackhide__ = True
    try:
        return function(*args)
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"✗ {description} raised {type(error).__name__}: {error}") from error


def as_number(value, description: str) -> float:
    """A learner's answer as a float, or a precise complaint about what it is instead."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{description} should be a number, got {type(value).__name__} {value!r}")
    if array.size != 1:
        fail(f"{description} should be one number, got an array of shape {array.shape}")
    number = float(array.reshape(()))
    if not np.isfinite(number):
        fail(f"{description} should be a finite number, got {number}")
    return number


def returned_number(value, description: str) -> float:
    """`as_number`, with a forgotten `return` (None) named as such rather than as NaN."""
    if value is None:
        fail(f"{description} returned None; did you forget the `return`?")
    return as_number(value, description)


def as_array(value, shape: tuple, description: str) -> np.ndarray:
    """A learner's array answer of the expected shape, as float64, or a precise complaint."""
    if value is None:
        fail(f"{description} returned None; did you forget the `return`?")
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{description} should return numbers, got {type(value).__name__}")
    if array.shape != tuple(shape):
        fail(f"{description} returned shape {array.shape}, expected {tuple(shape)}")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array.reshape(-1)))[0])
        fail(f"{description} returned a non-finite value ({array.reshape(-1)[bad]}) at position {bad}")
    return array


def worst_point(got: np.ndarray, expected: np.ndarray, inputs: np.ndarray, name: str = "x") -> str:
    """Where two arrays differ most, said in words: 'at x = 2: expected 0.105, got 0.881'."""
    index = int(np.argmax(np.abs(got - expected)))
    return (f"at {name} = {inputs.reshape(-1)[index]:.4g}: expected {expected.reshape(-1)[index]:.6g}, "
            f"got {got.reshape(-1)[index]:.6g}")


def reference_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))
