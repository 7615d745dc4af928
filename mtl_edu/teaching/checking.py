"""The exercise checkers' kit: a tick when the answer is right, the exact problem when not.

Exercises come in four kinds (COURSE.md): *build* and *debug* exercises hand the checker a function
the learner wrote or repaired; *choose* exercises a function returning one option's letter, judged
by a `Choice` (feedback per option); *predict, then measure* exercises a function returning the
learner's prediction, which `committed_prediction` reads before the experiment runs and
`report_prediction` compares with the measurement afterwards.

Every checker follows one pattern (lessons rely on it):

- it takes the learner's function (or a function returning the learner's numbers) and calls it;
- right: it prints "✓ Correct: <what was checked>";
- wrong: it raises `ExerciseError` (an AssertionError) whose message starts with "✗" and names
  the input, the expected and the received value, and where it can, the likely slip;
- not attempted (the stub's `raise NotImplementedError` still in place): it prints
  "Not attempted yet: ..." and raises nothing, so a notebook runs top to bottom untouched.

A passing check's message says what was checked and a bound ("agrees to within 1e-9"), never a
measured error at full precision, and never restates the answer: the learner's own code already
holds it. The stored lessons show no passing check at all (their stubs are untouched), and
`tests/test_solutions.py` fails if one states an answer.

To add a checker: write `check_<name>(learner_fn)` in its lesson's module (`mtl_edu/lessons/`) with the
`@exercise_checker` decorator, call learner code through `call_learner`, read what it returned with
`as_number` / `returned_number` / `as_array`, report with `passed` / `fail`, list it in the module's
`__all__`, and test it both ways in tests/test_exercises.py.
"""
from __future__ import annotations

import contextlib
import functools
import sys

import numpy as np

from ..engine.autodiff import Tensor

__all__ = ["ExerciseError", "NOT_ATTEMPTED", "NO_PREDICTION", "exercise_checker", "Choice",
           "committed_prediction", "report_prediction", "without_library"]

NOT_ATTEMPTED = "Not attempted yet: write your code above, then run this cell."
NO_PREDICTION = ("Commit your prediction above first: fill in the function and run its cell, then run this "
                 "cell to measure.")


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


class Choice:
    """A multiple-choice question: one right option, and for each wrong one the misconception it shows.

    `feedback` maps each option's letter to what picking it says: for the right option why it is
    right (without restating it), for a wrong one the idea that leads there and why it fails.
    """

    def __init__(self, question: str, feedback: dict, correct: str):
        if correct not in feedback:
            raise ValueError(f"the correct option {correct!r} is not among the options {sorted(feedback)}")
        self.question = question
        self.feedback = dict(feedback)
        self.correct = correct

    def judge(self, answer_function) -> None:
        """Call the learner's `answer_function()` and judge the letter it returns."""
        __tracebackhide__ = True
        answer = call_learner(answer_function, description="your answer function")
        letters = ", ".join(f"'{letter}'" for letter in sorted(self.feedback))
        if not isinstance(answer, str):
            fail(f"return one letter as a string ({letters}), got {type(answer).__name__} {answer!r}")
        letter = answer.strip().strip("()").strip().lower()
        if letter not in self.feedback:
            fail(f"{self.question}: the options are {letters}, got {answer!r}")
        if letter != self.correct:
            fail(f"{self.question}: not ({letter}). {self.feedback[letter]}")
        passed(f"{self.question}: {self.feedback[letter]}")


def committed_prediction(predict_function, description: str):
    """The learner's prediction, or None (after printing NO_PREDICTION) while the stub is untouched.

    A measurement cell calls this first and shows nothing else until a prediction is committed, so
    the stored lesson (and any page made from it) never shows the measurement.
    """
    __tracebackhide__ = True
    try:
        value = call_learner(predict_function, description=description)
    except NotImplementedError:
        print(NO_PREDICTION)
        return None
    if value is None:
        fail(f"{description} returned None; did you forget the `return`?")
    return value


def report_prediction(predicted: float, measured: float, name: str, *, log_scale: bool = False,
                      tolerance: float, unit: str = "") -> bool:
    """Print how far a committed prediction landed from the measurement; True when within tolerance.

    log_scale compares orders of magnitude (tolerance is a factor, e.g. 3.0); otherwise the
    difference (tolerance in the quantity's units). A miss is not an error: the point of a
    prediction is the gap, so this prints and never raises.
    """
    if log_scale:
        if predicted <= 0:
            print(f"Your prediction {predicted:.3g} for {name} is not positive; the measured {name} is "
                  f"{measured:.3g}{unit}, so the sign (or the zero) is the first thing to revisit.")
            return False
        factor = measured / predicted
        close = max(factor, 1 / factor) <= tolerance
        if close:
            print(f"✓ Close: your prediction {predicted:.3g} is within a factor {tolerance:g} of the measured "
                  f"{name}, {measured:.3g}{unit}.")
        else:
            direction = "too low" if factor > 1 else "too high"
            print(f"Your prediction {predicted:.3g} is {direction} by a factor of {max(factor, 1 / factor):.2g}: "
                  f"the measured {name} is {measured:.3g}{unit}.")
        return close
    gap = measured - predicted
    close = abs(gap) <= tolerance
    if close:
        print(f"✓ Close: your prediction {predicted:.3g} is within {tolerance:g}{unit} of the measured {name}, "
              f"{measured:.3g}{unit}.")
    else:
        direction = "too low" if gap > 0 else "too high"
        print(f"Your prediction {predicted:.3g} is {direction} by {abs(gap):.2g}{unit}: the measured {name} is "
              f"{measured:.3g}{unit}.")
    return close


@contextlib.contextmanager
def without_library(learner_function, *library_functions):
    """While the checker calls `learner_function`, the package's own versions of what it asks for refuse to run.

    A build or debug exercise asks the learner to write something the package already has; calling
    the package's version would pass any check of values. Inside this block every name bound to one
    of `library_functions`, in the learner's namespace and in the package's modules, points to a
    stand-in that fails with a message naming it. Everything is restored afterwards.
    """
    __tracebackhide__ = True
    swapped = []

    def stand_in_for(original):
        def refuse(*args, **kwargs):
            __tracebackhide__ = True
            fail(f"your function called mtl_edu's own {original.__name__}; the exercise asks you to write "
                 "that part yourself.")
        return refuse

    stand_ins = {id(f): stand_in_for(f) for f in library_functions}
    namespaces = [getattr(learner_function, "__globals__", {})]
    namespaces += [vars(module) for name, module in list(sys.modules.items())
                   if module is not None and (name == "mtl_edu" or name.startswith("mtl_edu."))]
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            if id(value) in stand_ins and any(value is f for f in library_functions):
                swapped.append((namespace, name, value))
                namespace[name] = stand_ins[id(value)]
    try:
        yield
    finally:
        for namespace, name, value in swapped:
            namespace[name] = value
