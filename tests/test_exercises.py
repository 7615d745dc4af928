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
    lesson00.check_sigmoid_derivative, lesson00.check_sigmoid_derivative_peak, lesson01.check_softplus_backward,
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


def _grid_peak():
    x = np.linspace(-6, 6, 1201)
    slope = sigmoid(x) * (1 - sigmoid(x))
    return x[np.argmax(slope)], slope.max()


def test_sigmoid_peak_right_answer_passes(capsys):
    out = passes(lesson00.check_sigmoid_derivative_peak, _grid_peak, capsys)
    assert "x = 0.000" in out and "0.25000" in out


@pytest.mark.parametrize("answer, fragment", [
    ((600, 0.25), "looks like an index"),
    ((0.0, 0.5), "σ(0), the value of the sigmoid"),
    ((6.0, 0.9975), "largest value of σ itself"),
    ((0.25, 0.0), "look swapped"),
    ((1.0, 0.25), "got x_peak = 1"),
    ((0.0, 0.2), "got peak_value = 0.2"),
    (0.25, "return two numbers"),
    (("zero", 0.25), "x_peak (the first number) should be a number"),
])
def test_sigmoid_peak_wrong_answers_are_named(answer, fragment):
    fails(lesson00.check_sigmoid_derivative_peak, lambda: answer, fragment)


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
