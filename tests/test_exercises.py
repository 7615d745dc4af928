"""Exercise checkers: a right answer gets a tick, a stub gets "not attempted", and typical wrong
answers get an ExerciseError that names the actual mistake."""
import re
from pathlib import Path

import numpy as np
import pytest

from mtl_edu import Tensor
from mtl_edu.teaching import checking
from mtl_edu.lessons import lesson00
from mtl_edu.lessons import lesson01
from checker_helpers import passes, fails, stub

ROOT = Path(__file__).resolve().parent.parent


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


# ---- the framework ---------------------------------------------------------------------------------------

def test_exercise_error_is_an_assertion_error():
    assert issubclass(checking.ExerciseError, AssertionError)


@pytest.mark.parametrize("checker", [
    lesson00.check_sigmoid_derivative, lesson00.check_steepness_peak, lesson01.check_softplus_backward,
    lesson01.check_hand_gradient, lesson01.check_unbroadcast,
])
def test_every_checker_reports_a_stub_as_not_attempted_without_raising(checker, capsys):
    assert checker(stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


def test_an_error_in_learner_code_names_the_call_and_the_error():
    def crashes(x):
        return x.nonexistent

    message = fails(lesson00.check_sigmoid_derivative, crashes, "sigmoid_derivative(x) for an array x raised AttributeError")
    assert "nonexistent" in message


# ---- environment -------------------------------------------------------------------------------------

def test_environment_check_prints_requirements_only_not_installed_versions(capsys):
    lesson00.check_environment()
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["✓ Python ≥ 3.10", "✓ numpy ≥ 2.0", "✓ matplotlib ≥ 3.9", "✓ ipywidgets ≥ 8.1", "environment OK"]


def test_environment_check_names_packages_too_old_or_missing(capsys):
    with pytest.raises(RuntimeError) as error:
        lesson00.check_environment({"numpy": (99, 0), "no-such-package-xyz": (1, 0)})
    message = str(error.value)
    assert re.search(r"numpy [\d.]+\S* is older than 99\.0", message)
    assert "no-such-package-xyz is not installed (needs ≥ 1.0)" in message
    assert "environment OK" not in capsys.readouterr().out


def test_environment_minimums_match_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    for package, needed in lesson00.MINIMUM_VERSIONS.items():
        match = re.search(rf'"{package}>=([\d.]+)"', text)
        assert match, f"pyproject.toml does not list {package}>=..."
        assert tuple(int(p) for p in match.group(1).split(".")[:2]) == needed
    assert f'requires-python = ">={lesson00.MINIMUM_PYTHON[0]}.{lesson00.MINIMUM_PYTHON[1]}"' in text


# ---- lesson 00 -----------------------------------------------------------------------------------------

def test_sigmoid_derivative_right_answers_pass(capsys):
    passes(lesson00.check_sigmoid_derivative, lambda x: sigmoid(x) * (1 - sigmoid(x)), capsys)
    passes(lesson00.check_sigmoid_derivative, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, capsys)


def test_sigmoid_derivative_wrong_answers_are_named():
    fails(lesson00.check_sigmoid_derivative, sigmoid, "returns σ(x) itself")
    fails(lesson00.check_sigmoid_derivative, lambda x: -sigmoid(x) * (1 - sigmoid(x)), "sign is flipped")
    s10 = sigmoid(10.0)
    fails(lesson00.check_sigmoid_derivative, lambda x: sigmoid(x) * (1 + sigmoid(x)),
          f"at x = 10: expected {s10 * (1 - s10):.6g}, got {s10 * (1 + s10):.6g}")
    fails(lesson00.check_sigmoid_derivative, lambda x: None, "returned None", "return")
    fails(lesson00.check_sigmoid_derivative, lambda x: float(np.sum(x)), "returned shape (), expected (41,)")
    only_arrays = lambda x: sigmoid(x) * (1 - sigmoid(x)) if np.ndim(x) else [0.25, 0.25]  # noqa: E731
    fails(lesson00.check_sigmoid_derivative, only_arrays, "sigmoid_derivative(0.0) should be one number")


def test_slope_width_is_where_the_slope_falls_to_one_percent():
    width = lesson00.slope_width()
    assert sigmoid(width) * (1 - sigmoid(width)) == pytest.approx(0.0025, rel=1e-12)
    x = np.linspace(0, width, 1000)
    assert np.all(sigmoid(x[:-1]) * (1 - sigmoid(x[:-1])) > 0.0025)


def test_slope_width_measurement_waits_for_a_prediction(capsys):
    lesson00.measure_slope_width(stub)
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


@pytest.mark.parametrize("prediction, fragments", [
    (6.0, ["✓ Close", "|x| = 5.99"]),
    (3.0, ["too low by 3", "tails are longer"]),
    (9.0, ["too high by 3", "falls off exponentially"]),
    (-6.0, ["✓ Close"]),  # a width is |x|: the sign of a symmetric bound does not matter
])
def test_slope_width_measurement_reports_the_gap_in_direction_and_size(prediction, fragments, capsys):
    lesson00.measure_slope_width(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out


def test_slope_width_measurement_names_a_prediction_that_is_not_a_number():
    fails(lesson00.measure_slope_width, lambda: "six", "your predicted |x| should be a number")
    fails(lesson00.measure_slope_width, lambda: None, "returned None")


def test_steepness_peak_right_option_confirms_without_naming_the_letter(capsys):
    out = passes(lesson00.check_steepness_peak, lambda: " (B) ", capsys)
    assert "(b)" not in out.lower()


@pytest.mark.parametrize("answer, fragment", [
    ("a", "multiplies its slope by the inner derivative"),
    ("c", "does not divide"),
    ("d", "at most 1/4, not 1"),
    ("e", "the options are 'a', 'b', 'c', 'd', got 'e'"),
    (2, "return one letter as a string"),
])
def test_steepness_peak_wrong_options_name_the_misconception(answer, fragment):
    fails(lesson00.check_steepness_peak, lambda: answer, fragment)


def test_choice_needs_its_right_option_among_the_options():
    with pytest.raises(ValueError, match="'e' is not among the options"):
        checking.Choice("q", {"a": "x", "b": "y"}, correct="e")


def test_a_prediction_report_never_raises_and_says_direction_and_factor(capsys):
    assert not checking.report_prediction(1e-3, 1e-6, "gradient", log_scale=True, tolerance=3.0)
    assert "too high by a factor of 1e+03" in capsys.readouterr().out
    assert checking.report_prediction(2e-6, 1e-6, "gradient", log_scale=True, tolerance=3.0)
    assert not checking.report_prediction(0.0, 1e-6, "gradient", log_scale=True, tolerance=3.0)
    assert "not positive" in capsys.readouterr().out


# ---- lesson 01 -----------------------------------------------------------------------------------------

def make_softplus(local_derivative=None, forward=None, wrap=True):
    def softplus_op(x):
        data = np.logaddexp(0.0, x.data) if forward is None else forward(x.data)

        def backward(g):
            value = local_derivative(g, x.data)
            return (value,) if wrap else value

        return Tensor.from_op(data, (x,), backward, "softplus")

    return softplus_op


def test_softplus_right_answer_passes(capsys):
    passes(lesson01.check_softplus_backward, make_softplus(lambda g, x: g * sigmoid(x)), capsys)


def test_softplus_wrong_answers_are_named():
    fails(lesson01.check_softplus_backward, make_softplus(lambda g, x: g * np.exp(x)), "returns eˣ", "σ(x)")
    fails(lesson01.check_softplus_backward, make_softplus(lambda g, x: sigmoid(x)), "ignores the incoming gradient g")
    fails(lesson01.check_softplus_backward, make_softplus(lambda g, x: g * sigmoid(x), wrap=False), "note the comma", "ndarray")
    fails(lesson01.check_softplus_backward, make_softplus(lambda g, x: g * sigmoid(-x)),
          "with g = 1, backward should return σ(x)", "at x = ")
    fails(lesson01.check_softplus_backward, make_softplus(lambda g, x: g * sigmoid(x), forward=lambda x: np.logaddexp(0.0, x) + 0.1),
          "the forward value changed")
    fails(lesson01.check_softplus_backward, lambda x: x.data, "must return a Tensor, got ndarray")


def test_hand_gradient_right_answer_passes(capsys):
    out = passes(lesson01.check_hand_gradient, lambda: (6.0, -18.0), capsys)
    assert "∂f/∂x = 6" in out and "∂f/∂y = -18" in out


@pytest.mark.parametrize("answer, fragment", [
    ((12.0, -18.0), "only the path through u = x·y"),
    ((-6.0, -18.0), "only the direct path"),
    ((-18.0, 6.0), "look swapped"),
    ((-6.5, -18.0), "df_dx: expected 6, got -6.5"),
    ((6.0, 18.0), "df_dy has the wrong sign"),
    ((6.0, -9.0), "df_dy: expected -18, got -9"),
    ((6.0,), "return two numbers"),
])
def test_hand_gradient_wrong_answers_are_named(answer, fragment):
    fails(lesson01.check_hand_gradient, lambda: answer, fragment)


def _right_unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def test_unbroadcast_right_answer_passes(capsys):
    passes(lesson01.check_unbroadcast, _right_unbroadcast, capsys)


def test_unbroadcast_wrong_answers_are_named():
    def leading_only(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        return grad

    def averages(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.mean(axis=0)
        return grad

    def drops_kept_axes(grad, shape):
        axes = tuple(range(grad.ndim - len(shape))) + tuple(
            i + grad.ndim - len(shape) for i, n in enumerate(shape) if n == 1)
        return grad.sum(axis=axes)

    def mutates(grad, shape):
        grad *= 1.0
        grad[...] = 0.0
        return _right_unbroadcast(grad, shape)

    fails(lesson01.check_unbroadcast, leading_only, "shape (4, 3) and an input of shape (1, 3)", "Axis 0 has length 1",
          "keepdims=True")
    fails(lesson01.check_unbroadcast, averages, "input of shape (3,): expected [22.0, 26.0, 30.0], got [5.5, 6.5, 7.5]",
          "0.25 × the right ones")
    fails(lesson01.check_unbroadcast, drops_kept_axes, "expected the shape (1, 3), got (3,)", "keepdims=True")
    fails(lesson01.check_unbroadcast, mutates, "changed the gradient it was given")
    fails(lesson01.check_unbroadcast, lambda grad, shape: None, "returned None")
