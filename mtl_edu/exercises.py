"""Checkers for the lessons' exercises: a tick when the answer is right, the exact problem when not.

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
To add a checker: write `check_<name>(learner_fn)` with the `@exercise_checker` decorator, call
learner code through `_call`, report with `_ok` / `_fail`, and test it both ways in
tests/test_exercises.py.
"""
from __future__ import annotations

import functools
import importlib.metadata
import re
import sys

import numpy as np

from .autodiff import Tensor, _unbroadcast, error_band, gradcheck

__all__ = [
    "ExerciseError", "NOT_ATTEMPTED", "exercise_checker", "MINIMUM_VERSIONS", "check_environment",
    "check_sigmoid_derivative", "check_sigmoid_derivative_peak",
    "check_softplus_backward", "check_hand_gradient", "check_unbroadcast",
]

NOT_ATTEMPTED = "Not attempted yet: write your code above, then run this cell."


class ExerciseError(AssertionError):
    """A wrong answer; the message says which input, what was expected and what came back."""


def _ok(message: str) -> None:
    print(f"✓ Correct: {message}")


def _fail(message: str):
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


def _call(function, *args, description: str):
    """Run learner code; an error other than NotImplementedError becomes an ExerciseError naming the call."""
    __tracebackhide__ = True
    try:
        return function(*args)
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"✗ {description} raised {type(error).__name__}: {error}") from error


def _number(value, description: str) -> float:
    """A learner's answer as a float, or a precise complaint about what it is instead."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{description} should be a number, got {type(value).__name__} {value!r}")
    if array.size != 1:
        _fail(f"{description} should be one number, got an array of shape {array.shape}")
    number = float(array.reshape(()))
    if not np.isfinite(number):
        _fail(f"{description} should be a finite number, got {number}")
    return number


def _array(value, shape: tuple, description: str) -> np.ndarray:
    """A learner's array answer of the expected shape, as float64, or a precise complaint."""
    if value is None:
        _fail(f"{description} returned None; did you forget the `return`?")
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{description} should return numbers, got {type(value).__name__}")
    if array.shape != tuple(shape):
        _fail(f"{description} returned shape {array.shape}, expected {tuple(shape)}")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array.reshape(-1)))[0])
        _fail(f"{description} returned a non-finite value ({array.reshape(-1)[bad]}) at position {bad}")
    return array


def _worst_point(got: np.ndarray, expected: np.ndarray, inputs: np.ndarray, name: str = "x") -> str:
    """Where two arrays differ most, said in words: 'at x = 2: expected 0.105, got 0.881'."""
    index = int(np.argmax(np.abs(got - expected)))
    return (f"at {name} = {inputs.reshape(-1)[index]:.4g}: expected {expected.reshape(-1)[index]:.6g}, "
            f"got {got.reshape(-1)[index]:.6g}")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---- lesson 00 ------------------------------------------------------------------------------------

MINIMUM_VERSIONS = {"numpy": (1, 24), "matplotlib": (3, 7), "ipywidgets": (8, 1)}
MINIMUM_PYTHON = (3, 10)


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def check_environment(minimum_versions: dict | None = None) -> None:
    """Print one line per requirement ("✓ numpy ≥ 1.24") and "environment OK", or raise naming
    every package that is missing or too old. Prints no installed version numbers, so the stored
    output is the same on every machine that meets the requirements."""
    minimum_versions = MINIMUM_VERSIONS if minimum_versions is None else minimum_versions
    problems = []
    python_needed = ".".join(map(str, MINIMUM_PYTHON))
    if sys.version_info[:2] >= MINIMUM_PYTHON:
        print(f"✓ Python ≥ {python_needed}")
    else:
        problems.append(f"Python {sys.version_info[0]}.{sys.version_info[1]} is older than {python_needed}")
    for package, needed in minimum_versions.items():
        needed_text = ".".join(map(str, needed))
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{package} is not installed (needs ≥ {needed_text})")
            continue
        if _version_tuple(installed) >= tuple(needed):
            print(f"✓ {package} ≥ {needed_text}")
        else:
            problems.append(f"{package} {installed} is older than {needed_text}")
    if problems:
        raise RuntimeError(
            "environment check failed: " + "; ".join(problems)
            + ". Re-run `make lab` (or `pip install -e .` in the course folder) and restart the kernel."
        )
    print("environment OK")


@exercise_checker
def check_sigmoid_derivative(sigmoid_derivative) -> None:
    """Exercise 00.1: `sigmoid_derivative(x)` must return σ(x)(1 − σ(x)) element-wise."""
    x = np.linspace(-10.0, 10.0, 41)
    got = _array(_call(sigmoid_derivative, x.copy(), description="sigmoid_derivative(x) for an array x"),
                 x.shape, "sigmoid_derivative(x) for x of shape (41,)")
    sigma = _sigmoid(x)
    expected = sigma * (1 - sigma)
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-9):
        if np.allclose(got, sigma, atol=1e-9):
            _fail("your function returns σ(x) itself, not its derivative; σ'(x) = σ(x)·(1 − σ(x)).")
        if np.allclose(got, -expected, atol=1e-9):
            _fail(f"the sign is flipped: σ' is never negative ({_worst_point(got, expected, x)}).")
        _fail(f"sigmoid_derivative differs from σ(x)(1 − σ(x)) {_worst_point(got, expected, x)}.")
    at_zero = _number(_call(sigmoid_derivative, 0.0, description="sigmoid_derivative(0.0)"),
                      "sigmoid_derivative(0.0)")
    if abs(at_zero - 0.25) > 1e-9:
        _fail(f"for the single number x = 0.0 expected 0.25, got {at_zero:.6g}")
    _ok("sigmoid_derivative agrees with σ(x)(1 − σ(x)) to within 1e-9 at 41 points in [−10, 10], "
        "and sigmoid_derivative(0.0) = 0.25.")


@exercise_checker
def check_sigmoid_derivative_peak(find_peak) -> None:
    """Exercise 00.2: `find_peak()` returns (x_peak, peak_value) for σ' found on a grid."""
    answer = _call(find_peak, description="your function")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        _fail(f"return two numbers, (x_peak, peak_value); got {type(answer).__name__} {answer!r}")
    x_peak = _number(answer[0], "x_peak (the first number)")
    peak = _number(answer[1], "peak_value (the second number)")
    if abs(peak - 0.25) > 1e-4:
        if abs(x_peak - 0.25) < 1e-4 and abs(peak) < 0.05:
            _fail(f"the two numbers look swapped: return (x_peak, peak_value), got ({x_peak:.4g}, {peak:.4g}).")
        if abs(peak - 0.5) < 1e-3:
            _fail("peak_value = 0.5 is σ(0), the value of the sigmoid; the exercise asks for the largest value "
                  "of its derivative σ'.")
        if abs(peak - 1.0) < 1e-2:
            _fail(f"peak_value = {peak:.4g} is about the largest value of σ itself (it approaches 1); "
                  "look for the largest value of σ' instead.")
        _fail(f"the largest value of σ' is 0.25, got peak_value = {peak:.6g}.")
    if abs(x_peak) > 0.02:
        if float(x_peak).is_integer() and abs(x_peak) > 6:
            _fail(f"x_peak = {x_peak:g} looks like an index into your grid; return the grid value x[index].")
        _fail(f"σ' is largest at x = 0, got x_peak = {x_peak:.4g}.")
    _ok(f"σ' is largest at x = 0, where σ'(0) = 1/4; your grid search found x = {round(x_peak, 3) + 0.0:.3f} "
        f"and σ' = {round(peak, 5) + 0.0:.5f}.")


# ---- lesson 01 ------------------------------------------------------------------------------------

@exercise_checker
def check_softplus_backward(softplus_op) -> None:
    """Exercise 01.1: a custom softplus op whose backward returns (g · σ(x),)."""
    x_values = np.array([-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0])
    x = Tensor(x_values.copy(), requires_grad=True)
    out = _call(softplus_op, x, description="softplus_op(x)")
    if not isinstance(out, Tensor):
        _fail(f"softplus_op must return a Tensor, got {type(out).__name__}")
    forward = _array(out.data, x_values.shape, "softplus_op(x).data")
    expected_forward = np.logaddexp(0.0, x_values)
    if not np.allclose(forward, expected_forward, rtol=1e-10, atol=1e-12):
        _fail(f"the forward value changed: softplus(x) = log(1 + eˣ), {_worst_point(forward, expected_forward, x_values)}")
    if out._backward is None:
        _fail("the result records no backward: build it with Tensor._result(data, (x,), backward, 'softplus').")

    ones = np.ones_like(x_values)
    returned = _call(out._backward, ones, description="your backward(g)")
    if not isinstance(returned, (tuple, list)) or len(returned) != 1:
        kind = type(returned).__name__ if not isinstance(returned, (tuple, list)) else f"{len(returned)} entries"
        _fail(f"backward must return a tuple with one gradient per input, e.g. `return (g * local,)` "
              f"(note the comma); yours returned {kind}.")
    local = _array(returned[0], x_values.shape, "backward(g) with g = 1")
    expected_local = _sigmoid(x_values)
    if not np.allclose(local, expected_local, rtol=1e-7, atol=1e-12):
        exp_x = np.exp(x_values)
        if np.allclose(local, exp_x, rtol=1e-7):
            _fail("your backward returns eˣ; the derivative of log(1 + eˣ) is eˣ/(1 + eˣ) = σ(x).")
        _fail(f"with g = 1, backward should return σ(x) = 1/(1 + e⁻ˣ): {_worst_point(local, expected_local, x_values)}")

    g = np.array([0.5, -1.0, 2.0, 3.0, -0.25, 1.5, -2.0])
    scaled = _array(_call(out._backward, g.copy(), description="your backward(g)")[0], x_values.shape,
                    "backward(g)")
    if not np.allclose(scaled, g * expected_local, rtol=1e-7, atol=1e-12):
        if np.allclose(scaled, expected_local, rtol=1e-7, atol=1e-12):
            _fail("your backward ignores the incoming gradient g; the chain rule needs g · σ(x).")
        _fail(f"backward(g) should be g · σ(x): {_worst_point(scaled, g * expected_local, x_values)}")

    check = gradcheck(softplus_op, x_values)
    if not check.passed(1e-6):
        _fail(f"gradcheck disagrees with your backward: relative error {check.max_error:.2e} ({error_band(check.max_error)})")
    _ok("backward returns g · σ(x) at 7 points from −30 to 30, and gradcheck confirms it "
        "(relative error below 1e-6).")


HAND_GRADIENT_POINT = {"x": 3.0, "y": -2.0}


@exercise_checker
def check_hand_gradient(hand_gradient) -> None:
    """Exercise 01.2: (∂f/∂x, ∂f/∂y) of f = (x·y + x)² at x = 3, y = −2, worked out by hand."""
    answer = _call(hand_gradient, description="hand_gradient()")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        _fail(f"return two numbers, (df_dx, df_dy); got {type(answer).__name__} {answer!r}")
    df_dx, df_dy = _number(answer[0], "df_dx"), _number(answer[1], "df_dy")
    x, y = HAND_GRADIENT_POINT["x"], HAND_GRADIENT_POINT["y"]
    v = x * y + x
    through_u, direct = 2 * v * y, 2 * v  # the two paths from x to f: via u = x·y, and straight into v
    expected_dx, expected_dy = through_u + direct, 2 * v * x
    close = lambda a, b: abs(a - b) < 1e-6  # noqa: E731
    if close(df_dx, expected_dy) and close(df_dy, expected_dx):
        _fail(f"the two numbers look swapped: return (df_dx, df_dy), got ({df_dx:g}, {df_dy:g}).")
    if not close(df_dx, expected_dx):
        if close(df_dx, through_u):
            _fail(f"df_dx = {df_dx:g} counts only the path through u = x·y; x also enters v = u + x directly. "
                  "Add the two paths' contributions.")
        if close(df_dx, direct):
            _fail(f"df_dx = {df_dx:g} counts only the direct path x → v; x also reaches v through u = x·y. "
                  "Add the two paths' contributions.")
        if close(df_dx, -expected_dx):
            _fail(f"df_dx has the wrong sign: got {df_dx:g}. Check the sign of v = x·y + x at x = 3, y = −2.")
        _fail(f"df_dx: expected {expected_dx:g}, got {df_dx:g}. Start from ∂f/∂v = 2v with v = x·y + x.")
    if not close(df_dy, expected_dy):
        if close(df_dy, -expected_dy):
            _fail(f"df_dy has the wrong sign: got {df_dy:g}. Check the sign of v = x·y + x at x = 3, y = −2.")
        _fail(f"df_dy: expected {expected_dy:g}, got {df_dy:g}. y reaches f only through u = x·y: ∂f/∂y = ∂f/∂u · x.")
    _ok(f"∂f/∂x = {expected_dx:g} (the sum of two paths: {through_u:g} through u and {direct:g} directly) and "
        f"∂f/∂y = {expected_dy:g}.")


# (gradient shape, input shape) pairs an un-broadcast must handle; the comments say which rule each tests.
_UNBROADCAST_CASES = (
    ((3,), (3,)),          # nothing was broadcast
    ((4, 3), (3,)),        # a bias added to a batch: a new leading axis
    ((4, 3), (1, 3)),      # an axis of length 1 stretched to 4
    ((4, 3), (4, 1)),      # a column stretched along the last axis
    ((2, 4, 3), (4, 1)),   # both at once
    ((5,), ()),            # a single number broadcast to a vector
)


@exercise_checker
def check_unbroadcast(unbroadcast) -> None:
    """Exercise 01.3: `unbroadcast(grad, shape)` sums grad back to the input's shape."""
    for grad_shape, shape in _UNBROADCAST_CASES:
        grad = np.arange(1.0, 1.0 + np.prod(grad_shape)).reshape(grad_shape)
        given = grad.copy()
        result = _call(unbroadcast, given, shape, description=f"unbroadcast(grad of shape {grad_shape}, {shape})")
        where = f"for a gradient of shape {grad_shape} and an input of shape {shape}"
        if result is None:
            _fail(f"{where}: unbroadcast returned None; did you forget the `return`?")
        if not np.array_equal(given, grad):
            _fail(f"{where}: unbroadcast changed the gradient it was given; compute a new array instead.")
        got_shape = np.shape(result)
        if got_shape != shape:
            hint = ""
            if tuple(n for n in got_shape if n != 1) == tuple(n for n in shape if n != 1):
                hint = " Sum stretched axes with keepdims=True so their length-1 axes stay."
            elif len(got_shape) > len(shape):
                hint = " Sum away the extra leading axes too."
            elif len(got_shape) == len(shape):
                stretched = [i for i, (a, b) in enumerate(zip(shape, got_shape)) if a == 1 and b != 1]
                if stretched:
                    hint = (f" Axis {stretched[0]} has length 1 in the input but {got_shape[stretched[0]]} in "
                            "the gradient: it was stretched, so sum over it with keepdims=True.")
            _fail(f"{where}: expected the shape {shape}, got {got_shape}.{hint}")
        expected = _unbroadcast(grad, shape)
        got = np.asarray(result, dtype=float)
        if not np.allclose(got, expected):
            hint = ""
            if np.all(expected != 0) and np.allclose(got / expected, (got / expected).reshape(-1)[0]):
                ratio = float((got / expected).reshape(-1)[0])
                hint = f" Your values are {ratio:.3g} × the right ones: sum the gradient, don't average it."
            _fail(f"{where}: expected {expected.tolist()}, got {got.tolist()}.{hint}")
    _ok(f"unbroadcast sums the gradient back to the input's shape in all {len(_UNBROADCAST_CASES)} cases "
        "(new leading axes, stretched length-1 axes, both, and a single number).")


# ---- lesson 03 ------------------------------------------------------------------------------------

from . import nn as _nn, probes as _probes  # noqa: E402
from .init import INITS as _INITS  # noqa: E402

__all__ += ["check_sigmoid_gradient_bound", "check_flat_gradient_init", "check_tanh_gain"]

def _returned_number(value, description: str) -> float:
    """`_number`, with a forgotten `return` (None) named as such rather than as NaN."""
    if value is None:
        _fail(f"{description} returned None; did you forget the `return`?")
    return _number(value, description)


# Lists of spectral norms ‖W_l‖₂ the bound is checked on: equal norms, norms above and below 4, an array.
_BOUND_CASES = ([2.0], [2.0] * 5, [2.0] * 20, [4.0, 4.0, 4.0], [1.0, 3.0, 0.5, 8.0], np.array([2.5, 1.5]))


@exercise_checker
def check_sigmoid_gradient_bound(sigmoid_gradient_bound) -> None:
    """Exercise 03.1: `sigmoid_gradient_bound(weight_norms)` returns ∏_l ¼‖W_l‖₂."""
    for case in _BOUND_CASES:
        norms = np.asarray(case, dtype=float)
        shown = "[" + ", ".join(f"{n:g}" for n in norms) + "]"
        given = case.copy() if isinstance(case, np.ndarray) else list(case)
        got = _returned_number(_call(sigmoid_gradient_bound, given, description=f"sigmoid_gradient_bound({shown})"),
                               f"sigmoid_gradient_bound({shown})")
        expected = float(np.prod(0.25 * norms))
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"for weight_norms = {shown}: expected {expected:.6g}, got {got:.6g}"
        n = norms.size
        if np.isclose(got, np.prod(norms), rtol=1e-9):
            _fail(f"{where}. You multiplied the weight norms but left out the sigmoid's slope: each layer "
                  "contributes max σ' · ‖W_l‖₂ = ¼‖W_l‖₂.")
        if n > 1 and np.isclose(got, 0.25 * np.prod(norms), rtol=1e-9):
            _fail(f"{where}. The factor ¼ belongs to every layer (each has its own σ'), so it appears {n} times: "
                  f"(¼)^{n} · ∏‖W_l‖₂.")
        if np.isclose(got, 0.25**n, rtol=1e-9):
            _fail(f"{where}. (¼)^n alone ignores the weights; multiply each layer's ¼ by its ‖W_l‖₂.")
        if n > 1 and np.isclose(got, np.sum(0.25 * norms), rtol=1e-9):
            _fail(f"{where}. You added the per-layer factors; the chain rule multiplies them.")
        _fail(f"{where}. The bound is the product over layers of ¼‖W_l‖₂.")
    _ok(f"the bound ∏ ¼‖W_l‖₂ is right on {len(_BOUND_CASES)} lists of weight norms. With every ‖W_l‖₂ = 2 "
        f"each layer halves it: 20 layers take it below 1e-6 (0.5^20 = {0.5**20:.2g}).")


_FLAT_CHECK = {"depth": 50, "width": 32, "batch": 64, "seed": 0}
_FLAT_BAND = (0.9, 1.1)


def _fresh_network_statistics(depth: int, activation: str, init, gain: float, width: int = 32, batch: int = 64,
                              seed: int = 0):
    """LayerStats of one pass through a fresh deep MLP, built as the lesson-03 gradient-flow explorer
    builds it (`widgets.gradient_flow`; a test keeps the two identical), so the checker's numbers are
    the ones the learner sees in the explorer."""
    rng = np.random.default_rng(seed)
    model = _nn.MLP([width] * (depth + 1) + [10], activation=activation, init=init, gain=gain, rng=rng)
    X = rng.standard_normal((batch, width))
    y = rng.integers(0, 10, size=batch)
    return _probes.layer_statistics(model, X, y, loss="cross_entropy", bins=30)


def _per_layer_factor(grad_norm: np.ndarray) -> float:
    """(g_1 / g_L)^(1/(L−1)): how much the gradient norm changes per layer on its way down."""
    first, last = float(grad_norm[0]), float(grad_norm[-1])
    if not (np.isfinite(first) and np.isfinite(last) and first > 0 and last > 0):
        return float("nan")
    return float(np.exp((np.log(first) - np.log(last)) / (grad_norm.size - 1)))


@exercise_checker
def check_flat_gradient_init(flat_gradient_init) -> None:
    """Exercise 03.2: `flat_gradient_init()` names the init that keeps a deep ReLU net's gradient flat."""
    name = _call(flat_gradient_init, description="flat_gradient_init()")
    if not isinstance(name, str):
        _fail(f"return the name of an initialisation as a string, e.g. \"lecun_normal\"; got {type(name).__name__} "
              f"{name!r}")
    choices = [n for n in _INITS if n != "zeros"]
    if name not in choices:
        _fail(f"{name!r} is not an initialisation in mtl_edu.init; choose one of {', '.join(choices)}")
    depth = _FLAT_CHECK["depth"]
    stats = _fresh_network_statistics(depth, "relu", name, 1.0, _FLAT_CHECK["width"], _FLAT_CHECK["batch"],
                                      _FLAT_CHECK["seed"])
    factor = _per_layer_factor(stats.grad_norm)
    low, high = _FLAT_BAND
    if not np.isfinite(factor):
        _fail(f"with {name} the gradient of some layer is 0 or not finite: nothing flows at all.")
    if factor < low:
        _fail(f"with {name} the gradient shrinks by ×{factor:.2f} per layer on its way down through {depth} ReLU "
              f"layers (×{factor ** depth:.1e} in total). ReLU zeroes about half of its inputs, so the weights "
              "must be larger than for tanh: which scheme doubles the variance?")
    if factor > high:
        _fail(f"with {name} the gradient grows by ×{factor:.2f} per layer on its way down through {depth} ReLU "
              f"layers (×{factor ** depth:.1e} in total): these weights are too large. Which scheme scales "
              "the variance with the layer's fan-in?")
    lecun = _per_layer_factor(_fresh_network_statistics(depth, "relu", "lecun_normal", 1.0, _FLAT_CHECK["width"],
                                                        _FLAT_CHECK["batch"], _FLAT_CHECK["seed"]).grad_norm)
    _ok(f"with {name} the gradient norm changes by ×{factor:.2f} per layer through {depth} ReLU layers (flat is "
        f"×1; the check accepts {low:g}–{high:g}). With lecun_normal, Var(W) = 1/n_in, it is ×{lecun:.2f}, "
        "close to 1/√2 ≈ 0.71: every ReLU halves the second moment and 2/n_in (He et al. 2015) restores it.")


_TANH_CHECK = {"depth": 50, "min_std": 0.2, "band": (0.95, 1.05)}


@exercise_checker
def check_tanh_gain(tanh_gain) -> None:
    """Exercise 03.3: `tanh_gain()` returns a gain for xavier_normal that keeps a 50-layer tanh net alive:
    last hidden activation std ≥ 0.2, gradient changing by less than 5 % per layer."""
    gain = _returned_number(_call(tanh_gain, description="tanh_gain()"), "tanh_gain()")
    if gain <= 0:
        _fail(f"the gain multiplies every weight and must be positive, got {gain:g}")
    if gain > 20:
        _fail(f"a gain of {gain:g} makes every weight huge; look between 0.5 and 3")
    depth, min_std, (low, high) = _TANH_CHECK["depth"], _TANH_CHECK["min_std"], _TANH_CHECK["band"]
    stats = _fresh_network_statistics(depth, "tanh", "xavier_normal", gain)
    std = float(stats.activation_std[-2])  # the last hidden layer; [-1] is the linear output
    saturated = float(stats.saturated_fraction[-2])
    factor = _per_layer_factor(stats.grad_norm)
    if std < min_std:
        _fail(f"with gain {gain:.3g} the activations fade with depth: the last hidden layer's std is {std:.2g}, "
              f"below {min_std:g}. Each layer shrinks the signal a little; increase the gain.")
    if not np.isfinite(factor) or not low <= factor <= high:
        direction = "grows" if factor > high else "shrinks"
        _fail(f"with gain {gain:.3g} the activations are alive (std {std:.2f}), but the gradient {direction} by "
              f"×{factor:.3f} per layer on its way down (×{factor ** depth:.2g} over {depth} layers; the aim is "
              f"{low:g}–{high:g}). {'Lower' if factor > high else 'Raise'} the gain a little.")
    _ok(f"with gain {gain:.3g}, after {depth} tanh layers the activations keep a std of {std:.2f} (≥ {min_std:g}), "
        f"{saturated:.0%} of the units are saturated, and the gradient changes by ×{factor:.2f} per layer "
        f"(within {low:g}–{high:g}).")


# ---- lesson 04 ------------------------------------------------------------------------------------

from . import optim as _optim  # noqa: E402

__all__ += ["check_clip_by_norm", "check_he_std", "check_leaky_relu_std"]


def _clip_by_norm_cases() -> list:
    """(gradient, max_norm) pairs: long and short vectors, a 2-D one, and a zero gradient."""
    rng = np.random.default_rng(4)
    cases = [(np.array([3.0, 1.0]), 1.0)]
    for size, norm, max_norm in ((5, 10.0, 1.0), (100, 0.3, 1.0), (100, 7.0, 2.5), (20, 1e-3, 0.5)):
        g = rng.standard_normal(size)
        cases.append((g * (norm / np.linalg.norm(g)), max_norm))
    cases.append((np.zeros(3), 1.0))
    return cases


def _reference_clip_by_norm(g: np.ndarray, max_norm: float) -> np.ndarray:
    """The library's answer: optim.clip_grad_norm applied to one parameter whose gradient is g."""
    param = Tensor(np.zeros_like(g), requires_grad=True)
    param.grad = g.copy()
    _optim.clip_grad_norm([param], max_norm)
    return param.grad


@exercise_checker
def check_clip_by_norm(clip_by_norm) -> None:
    """Exercise 04.1: `clip_by_norm(g, max_norm)` rescales g to norm max_norm when it is longer, else
    returns it unchanged; compared with `optim.clip_grad_norm` (Pascanu, Mikolov & Bengio 2013, ICML)."""
    cases = _clip_by_norm_cases()
    for g, max_norm in cases:
        norm = float(np.linalg.norm(g))
        where = f"for a gradient of {g.size} entries with norm {norm:.3g} and max_norm = {max_norm:g}"
        result = _call(clip_by_norm, g.copy(), max_norm, description=f"clip_by_norm(g, {max_norm:g}) {where}")
        if result is not None and norm == 0 and not np.all(np.isfinite(np.asarray(result, dtype=float))):
            _fail(f"{where}: you returned NaN. A zero gradient is already short enough: rescale only when the "
                  "norm exceeds max_norm, so you never divide by a zero norm.")
        got = _array(result, g.shape, f"clip_by_norm(g, {max_norm:g}) {where}")
        expected = _reference_clip_by_norm(g, max_norm)
        if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        got_norm = float(np.linalg.norm(got))
        if np.allclose(got, np.clip(g, -max_norm, max_norm), rtol=1e-9, atol=1e-12):
            _fail(f"{where}: you clipped every entry to ±{max_norm:g}, which is clipping by value and turns the "
                  "direction. Clipping by norm multiplies the whole vector by max_norm / ‖g‖.")
        if norm <= max_norm and np.isclose(got_norm, max_norm):
            _fail(f"{where}: the gradient is already shorter than max_norm, so it must come back unchanged; "
                  f"you stretched it to norm {got_norm:.3g}. Rescale only when ‖g‖ > max_norm.")
        if norm > max_norm and np.allclose(got, g):
            _fail(f"{where}: you returned g unchanged, but its norm is above max_norm; scale it by "
                  f"max_norm / ‖g‖ = {max_norm / norm:.3g}.")
        if got_norm > 0 and norm > 0 and np.dot(got, g) / (got_norm * norm) > 1 - 1e-9:
            _fail(f"{where}: the direction is right but the length is not: expected norm {min(norm, max_norm):.4g}, "
                  f"got {got_norm:.4g}.")
        shown = min(3, g.size)
        _fail(f"{where}: expected (first entries) {np.round(expected[:shown], 4).tolist()}, "
              f"got {np.round(got[:shown], 4).tolist()}.")
    _ok(f"clip_by_norm agrees with optim.clip_grad_norm to within 1e-9 on {len(cases)} gradients (2 to 100 "
        "entries; longer and shorter than max_norm; all zeros): long ones are scaled to norm max_norm, "
        "their direction kept, and short ones are left alone.")


_RELU_DEPTH = 50  # the exercises' network: the second moment is multiplied by the per-layer factor 49 times


def _factor_over_depth(per_layer: float) -> float:
    """How much the second moment changes from layer 1 to layer 50 if each layer multiplies it by per_layer."""
    with np.errstate(over="ignore", under="ignore"):
        return float(per_layer ** (_RELU_DEPTH - 1))


def _within_two_times(per_layer: float) -> bool:
    return per_layer > 0 and abs((_RELU_DEPTH - 1) * np.log(per_layer)) <= np.log(2.0)


@exercise_checker
def check_he_std(he_std) -> None:
    """Exercise 04.2: `he_std(fan_in)` returns the standard deviation √(2 / fan_in) of He et al. 2015 (ICCV)."""
    fan_ins = (1, 3, 64, 256, 1000)
    for fan_in in fan_ins:
        std = _number(_call(he_std, fan_in, description=f"he_std({fan_in})"), f"he_std({fan_in})")
        per_layer = fan_in * std**2 / 2  # ReLU keeps half of E[z²]; the layer multiplies by fan_in·Var(W)
        if _within_two_times(per_layer):
            continue
        expected = np.sqrt(2.0 / fan_in)
        consequence = (f"each ReLU layer then multiplies the second moment by fan_in·std²/2 = {per_layer:.3g}, "
                       f"and layer 50 has on average {_factor_over_depth(per_layer):.2g} × the second moment of "
                       "layer 1 (the goal: within a factor 2).")
        where = f"he_std({fan_in}) = {std:.4g}, expected √(2/{fan_in}) = {expected:.4g}"
        if np.isclose(std, np.sqrt(1.0 / fan_in)):
            _fail(f"{where}: that is the 1/fan_in variance (LeCun; Xavier for a square layer). ReLU zeroes the "
                  f"negative half of its input: {consequence} Double the variance.")
        if np.isclose(std, 2.0 / fan_in):
            _fail(f"{where}: you returned the variance 2/fan_in; the standard deviation is its square root.")
        if np.isclose(std, np.sqrt(2.0) / fan_in):
            _fail(f"{where}: √2/fan_in takes the square root of the 2 only; take it of 2/fan_in.")
        _fail(f"{where}: {consequence}")
    _ok(f"he_std(fan_in) = √(2/fan_in) at fan_in = {', '.join(str(n) for n in fan_ins)}: each ReLU layer then "
        "keeps the second moment on average (fan_in·std²/2 = 1), so over 50 layers it stays within 2× "
        "(He et al. 2015).")


_LEAKY_CASES = ((64, 0.0), (64, 0.5), (256, 0.2), (10, 1.0), (128, 0.01), (100, 0.3))


@exercise_checker
def check_leaky_relu_std(leaky_relu_std) -> None:
    """Exercise 04.3: `leaky_relu_std(fan_in, slope)` = √(2 / ((1 + slope²)·fan_in)), He et al. 2015 (ICCV),
    the init that keeps the second moment of a leaky-ReLU net constant through depth."""
    for fan_in, slope in _LEAKY_CASES:
        std = _number(_call(leaky_relu_std, fan_in, slope, description=f"leaky_relu_std({fan_in}, {slope:g})"),
                      f"leaky_relu_std({fan_in}, {slope:g})")
        kept = (1 + slope**2) / 2  # the fraction of E[z²] a leaky ReLU passes on
        per_layer = fan_in * std**2 * kept
        if _within_two_times(per_layer):
            continue
        expected = np.sqrt(2.0 / ((1 + slope**2) * fan_in))
        where = f"leaky_relu_std({fan_in}, {slope:g}) = {std:.4g}, expected {expected:.4g}"
        consequence = (f"each layer then multiplies the second moment by {per_layer:.3g}, and layer 50 has on "
                       f"average {_factor_over_depth(per_layer):.2g} × the second moment of layer 1 "
                       "(the goal: within 2×).")
        if np.isclose(std, np.sqrt(2.0 / fan_in)):
            _fail(f"{where}: your std ignores the slope. A leaky ReLU with slope {slope:g} keeps "
                  f"(1 + {slope:g}²)/2 = {kept:.3g} of E[z²], not 1/2: {consequence}")
        if np.isclose(std, np.sqrt(2.0 / ((1 + slope) * fan_in))):
            _fail(f"{where}: you used (1 + slope) where it should be (1 + slope²): the negative half outputs "
                  "slope·z, whose square is slope²·z².")
        if np.isclose(std, 2.0 / ((1 + slope**2) * fan_in)):
            _fail(f"{where}: you returned the variance; the standard deviation is its square root.")
        _fail(f"{where}: {consequence}")
    _ok(f"leaky_relu_std(fan_in, slope) = √(2 / ((1 + slope²)·fan_in)) at {len(_LEAKY_CASES)} (fan_in, slope) "
        "pairs, from slope 0 (ReLU: He's 2/fan_in) to slope 1 (a linear layer: 1/fan_in); each keeps the second "
        "moment of a 50-layer net within 2× on average.")


# ---- lesson 02 ------------------------------------------------------------------------------------

from . import datasets as _datasets  # noqa: E402
from . import nn as _nn  # noqa: E402
from . import train as _train  # noqa: E402
from .autodiff import no_grad as _no_grad  # noqa: E402

__all__ += ["check_mlp_forward", "check_accuracy_from_logits", "SPIRALS_EXERCISE", "check_spiral_settings"]


def _tanh_mlp_and_copy(seed: int) -> tuple:
    """Two identical nn.MLP([2, 8, 1], tanh) with non-zero biases (so a forgotten bias shows)."""
    models = [_nn.MLP([2, 8, 1], activation="tanh", rng=seed) for _ in range(2)]
    biases = np.random.default_rng(seed + 1).normal(0.0, 0.5, size=(2, 8))
    for model in models:
        model.layers[0].bias.data[:] = biases[0]
        model.layers[1].bias.data[:] = biases[1, :1]
    return models


@exercise_checker
def check_mlp_forward(mlp_forward) -> None:
    """Exercise 02.1: `mlp_forward(X, W1, b1, W2, b2)` = tanh(X @ W1 + b1) @ W2 + b2 with Tensor operations.

    X: (N, 2) Tensor, W1: (2, 8), b1: (8,), W2: (8, 1), b2: (1,) Tensors; returns (N, 1) logits, the
    same as nn.MLP([2, 8, 1], activation="tanh") with those weights, and backward() through it gives
    the same gradients.
    """
    learner_model, reference = _tanh_mlp_and_copy(seed=7)
    X = np.random.default_rng(8).normal(size=(6, 2))
    W1, b1 = learner_model.layers[0].weight, learner_model.layers[0].bias
    W2, b2 = learner_model.layers[1].weight, learner_model.layers[1].bias
    out = _call(mlp_forward, Tensor(X), W1, b1, W2, b2, description="mlp_forward(X, W1, b1, W2, b2)")
    if out is None:
        _fail("mlp_forward returned None; did you forget the `return`?")
    if not isinstance(out, Tensor):
        _fail(f"mlp_forward must return a Tensor built with Tensor operations (@, +, .tanh()), got "
              f"{type(out).__name__}: a NumPy array carries no graph, so backward() could not train the weights.")
    got = _array(out, (6, 1), "mlp_forward(X, W1, b1, W2, b2) for X of shape (6, 2)")
    expected = reference(X).data
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        w1, c1, w2, c2 = (p.data for p in (W1, b1, W2, b2))
        z = X @ w1 + c1
        slips = {
            "no activation between the layers (a linear model): apply .tanh() to X @ W1 + b1": z @ w2 + c2,
            "ReLU instead of tanh: this network uses tanh": np.maximum(z, 0) @ w2 + c2,
            "sigmoid instead of tanh: this network uses tanh": _sigmoid(z) @ w2 + c2,
            "the first bias b1 is missing": np.tanh(X @ w1) @ w2 + c2,
            "the output bias b2 is missing": np.tanh(z) @ w2,
            "tanh on the output too: the output layer is linear (logits)": np.tanh(np.tanh(z) @ w2 + c2),
        }
        for slip, value in slips.items():
            if np.allclose(got, value, rtol=1e-9, atol=1e-12):
                _fail(f"{slip}. (First point: expected {expected[0, 0]:.6g}, got {got[0, 0]:.6g}.)")
        index = int(np.argmax(np.abs(got - expected).reshape(-1)))
        _fail(f"the logits differ from nn.MLP's: for point {index} (x = {X[index, 0]:.3g}, {X[index, 1]:.3g}) "
              f"expected {expected[index, 0]:.6g}, got {got[index, 0]:.6g}. The recipe: h = tanh(X @ W1 + b1), "
              "logits = h @ W2 + b2.")
    out.sum().backward()
    reference(X).sum().backward()
    for name, mine, theirs in zip(("W1", "b1", "W2", "b2"), learner_model.parameters(), reference.parameters()):
        if mine.grad is None:
            _fail(f"backward() left no gradient on {name}: build the output from the Tensors you were given "
                  "(not from their .data), so the graph reaches every weight.")
        if not np.allclose(mine.grad, theirs.grad, rtol=1e-9, atol=1e-12):
            _fail(f"the output values are right, but the gradient reaching {name} differs from nn.MLP's "
                  f"(largest difference {np.max(np.abs(mine.grad - theirs.grad)):.3g}).")
    _ok("mlp_forward gives nn.MLP([2, 8, 1], tanh)'s logits on 6 points to within 1e-9, and backward() "
        "fills W1, b1, W2, b2 with the same gradients.")


# Logits chosen so that each typical slip gives a different accuracy from the right one (0.6).
_ACCURACY_LOGITS = np.array([2.1, -0.3, 0.2, -1.4, 0.7, 0.4, -0.2, 3.0, -2.2, 0.05])
_ACCURACY_LABELS = np.array([1, 0, 0, 0, 1, 0, 1, 1, 1, 1])


def _accuracy_slips(logits: np.ndarray, labels: np.ndarray) -> dict:
    """What typical slips return for (n, 1) logits and (n,) labels, keyed by the explanation."""
    column = logits.reshape(-1, 1)
    right = (column[:, 0] > 0) == labels
    return {
        "you compared the logits with 0.5; a logit is log(p / (1 − p)), so P(class 1) > 0.5 means logit > 0":
            float(np.mean((column[:, 0] > 0.5) == labels)),
        "you returned the number of correct points, not the fraction; divide by the number of points":
            float(np.sum(right)),
        "you returned a percentage; return a fraction between 0 and 1": float(100 * np.mean(right)),
        "comparing (n, 1) predictions with (n,) labels broadcasts to an (n, n) table; flatten the "
        "predictions first (e.g. logits[:, 0] or .reshape(-1))": float(np.mean((column > 0) == labels)),
        "you counted the mistakes (the error rate), not the correct points": float(np.mean(~right)),
    }


@exercise_checker
def check_accuracy_from_logits(accuracy_from_logits) -> None:
    """Exercise 02.2: `accuracy_from_logits(logits, y)`: logits (n, 1), y (n,) in {0, 1} -> fraction correct."""
    cases = [
        (_ACCURACY_LOGITS.reshape(-1, 1), _ACCURACY_LABELS, "the 10 logits of the exercise"),
        (np.array([[-1.0], [2.0], [0.5], [-0.1]]), np.array([0, 1, 1, 0]), "4 points all predicted right"),
        (np.array([[1.0], [1.0], [-1.0]]), np.array([0, 0, 1]), "3 points all predicted wrong"),
    ]
    for logits, labels, what in cases:
        answer = _call(accuracy_from_logits, logits.copy(), labels.copy(),
                       description=f"accuracy_from_logits on {what}")
        got = _number(answer, f"accuracy_from_logits on {what}")
        expected = _train.accuracy(logits, labels)
        if abs(got - expected) > 1e-12:
            for slip, value in _accuracy_slips(logits, labels).items():
                if abs(got - value) < 1e-12 and abs(value - expected) > 1e-12:
                    _fail(f"on {what}: expected {expected:.4g}, got {got:.4g}: {slip}.")
            _fail(f"on {what}: expected {expected:.4g}, got {got:.4g}. A point counts as class 1 when its "
                  "logit is > 0; accuracy is the fraction of points whose predicted class equals y.")
    _ok("accuracy_from_logits agrees with mtl_edu.train.accuracy on 3 cases (0.6, all right = 1, "
        "all wrong = 0), with (n, 1) logits and (n,) labels.")


# The spirals of the decision-boundary explorer (widgets.toy_split("spirals")), kept here because
# exercises sit below widgets in the package's layers; tests check the two agree.
SPIRALS_EXERCISE = {"n_points": 200, "noise": 0.05, "turns": 1.25, "test_fraction": 0.3, "sizes": [2, 16, 16, 1],
                    "max_steps": 1000, "target_test_accuracy": 0.95}


def _spirals_split() -> tuple:
    X, y = _datasets.make_spirals(SPIRALS_EXERCISE["n_points"], noise=SPIRALS_EXERCISE["noise"],
                                  rng=np.random.default_rng(0), turns=SPIRALS_EXERCISE["turns"])
    split = _datasets.train_test_split(X, y, test_fraction=SPIRALS_EXERCISE["test_fraction"],
                                       rng=np.random.default_rng(1))
    return split.train + split.test


@exercise_checker
def check_spiral_settings(spiral_settings) -> None:
    """Exercise 02.3: `spiral_settings()` returns {"activation", "optimizer", "lr", "steps"} that train
    the 2 × 16 MLP of the explorer to ≥ 95% test accuracy on its spirals in at most 1000 full-batch steps."""
    settings = _call(spiral_settings, description="spiral_settings()")
    needed = {"activation", "optimizer", "lr", "steps"}
    if not isinstance(settings, dict) or set(settings) != needed:
        got = sorted(settings) if isinstance(settings, dict) else f"a {type(settings).__name__}"
        _fail(f"return a dict with exactly the keys {sorted(needed)}, got {got}")
    activation, optimizer = settings["activation"], settings["optimizer"]
    if activation not in _nn.ACTIVATIONS:
        _fail(f"activation must be one of {list(_nn.ACTIVATIONS)}, got {activation!r}")
    if optimizer not in ("sgd", "adam"):
        _fail(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    lr = _number(settings["lr"], "lr")
    if lr <= 0:
        _fail(f"lr must be above 0, got {lr:g}: it is the size of each step downhill.")
    steps = settings["steps"]
    max_steps = SPIRALS_EXERCISE["max_steps"]
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= max_steps:
        _fail(f"steps must be a whole number from 1 to {max_steps}, got {steps!r}")
    X_train, y_train, X_test, y_test = _spirals_split()
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    model = _nn.MLP(SPIRALS_EXERCISE["sizes"], activation=activation, init=init, rng=0)
    described = f"{activation}, {optimizer}, lr = {lr:.3g}, {int(steps)} steps"
    try:
        history = _train.fit(model, X_train, y_train, loss="bce", optimizer=optimizer, lr=lr, steps=int(steps),
                             record_every=max(1, int(steps) // 10), progress=False)
    except _train.TrainingDiverged as error:
        _fail(f"with {described}: training diverged at step {error.step} (the loss became {error.loss}); "
              "lower the learning rate.")
    with _no_grad():
        train_accuracy = _train.accuracy(model(X_train).data, y_train)
        test_accuracy = _train.accuracy(model(X_test).data, y_test)
    target = SPIRALS_EXERCISE["target_test_accuracy"]
    reached = f"train accuracy {train_accuracy:.1%}, test accuracy {test_accuracy:.1%}"
    if test_accuracy < target:
        losses = history.loss
        middle, last = losses[len(losses) // 2], losses[-1]
        if train_accuracy >= target:
            hint = ("The training points are learned but the test points are not: the boundary fits noise; "
                    "fewer steps or a gentler learning rate may generalise better.")
        elif last > np.log(2.0) + 0.05:
            hint = (f"The loss ended at {last:.3g}, worse than the {np.log(2.0):.3f} of a coin-flip guess: the "
                    "steps overshoot. Lower the learning rate.")
        elif last < 0.8 * middle:
            hint = (f"The loss was still falling ({middle:.3g} at mid-run, {last:.3g} at the end): train longer "
                    "or take larger steps.")
        else:
            hint = (f"The loss barely moved in the second half of the run ({middle:.3g} → {last:.3g}): try a "
                    "larger learning rate, another activation (ReLU), or Adam.")
        _fail(f"with {described}: {reached}; the target is {target:.0%} test accuracy. {hint}")
    _ok(f"with {described}: {reached} (target {target:.0%} on the held-out points).")


# ---- lesson 06 ------------------------------------------------------------------------------------

from .multitask import HardSharingNet as _HardSharingNet  # noqa: E402
from .multitask import flatten_grads as _flatten_grads  # noqa: E402
from .multitask import joint_loss as _joint_loss  # noqa: E402
from .multitask import task_gradients as _task_gradients  # noqa: E402
from .multitask import task_loss as _task_loss  # noqa: E402

__all__ += ["check_joint_gradient", "check_equalising_weights", "check_pareto_mask"]


def _shared_layer_case(n_tasks: int, seed: int) -> tuple:
    """(G (T, P), theta (P,), task losses, shared params) for a small hard-sharing net on random data."""
    rng = np.random.default_rng(seed)
    model = _HardSharingNet(4, [5], [1] * n_tasks, branch_depth=1, rng=seed)
    X = rng.standard_normal((16, 4))
    outputs = model(X)
    losses = [_task_loss("regression", out, rng.standard_normal(16) * (t + 1)) for t, out in enumerate(outputs)]
    shared = model.shared_parameters()
    G = _task_gradients(losses, shared)
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
        total, _ = _joint_loss(losses, weights, l2=l2, params=shared if l2 > 0 else None)
        total.backward()
        expected = _flatten_grads(shared)  # autodiff on the joint loss itself: the reference
        shown = f"weights = {weights.tolist()}, l2 = {l2:g} ({n_tasks} tasks, P = {theta.size})"
        got = _array(_call(joint_gradient, G.copy(), weights.copy(), l2, theta.copy(),
                           description=f"joint_gradient(G, weights, l2, theta) with {shown}"),
                     theta.shape, f"joint_gradient with {shown}")
        if np.allclose(got, expected, rtol=1e-8, atol=1e-10):
            continue
        weighted = weights @ G
        close = lambda candidate: np.allclose(got, candidate, rtol=1e-8, atol=1e-10)  # noqa: E731
        if l2 > 0 and close(weighted):
            _fail(f"with {shown}: the weight-decay term is missing; ∂(l2·‖θ‖²)/∂θ = 2·l2·θ.")
        if l2 > 0 and close(weighted + l2 * theta):
            _fail(f"with {shown}: the weight-decay term needs a factor 2: ∂(l2·‖θ‖²)/∂θ = 2·l2·θ, not l2·θ.")
        if close(G.sum(axis=0) + 2 * l2 * theta):
            _fail(f"with {shown}: you added the task gradients without their weights; the joint loss is "
                  "Σ wₜLₜ, so its gradient is Σ wₜ gₜ = weights @ G.")
        if close(G.mean(axis=0) + 2 * l2 * theta) or close(weighted / n_tasks + 2 * l2 * theta):
            _fail(f"with {shown}: you divided by the number of tasks; the joint loss Σ wₜLₜ is a sum, not a mean.")
        index = int(np.argmax(np.abs(got - expected)))
        _fail(f"with {shown}: at entry {index} of θ expected {expected[index]:.6g} (autodiff on the joint loss), "
              f"got {got[index]:.6g}.")
    _ok(f"joint_gradient agrees with autodiff on Σ wₜLₜ + l2·‖θ‖² to within 1e-8 in all {len(_JOINT_GRADIENT_CASES)} "
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
        got = _array(_call(equalising_weights, G.copy(), description=f"equalising_weights({shown})"), (T,),
                     f"equalising_weights({shown})")
        if np.allclose(got, expected, rtol=1e-8):
            continue
        weighted = got * np.asarray(norms)
        balanced = np.allclose(weighted, weighted[0], rtol=1e-6)
        if balanced and not np.isclose(got.sum(), T, rtol=1e-6):
            if np.isclose(got.sum(), 1.0, rtol=1e-6):
                _fail(f"for {shown}: your weights sum to 1; scale them to sum to T = {T}, as GradNorm does, so that "
                      "equal norms give every task the weight 1.")
            _fail(f"for {shown}: the weighted norms are equal (good), but the weights sum to {got.sum():.4g}; "
                  f"scale them to sum to T = {T}.")
        proportional = T * np.asarray(norms) / np.sum(norms)
        if np.allclose(got, proportional, rtol=1e-6):
            _fail(f"for {shown}: your weights grow with the gradient norm; to even out wₜ‖gₜ‖ the task with the "
                  "larger gradient needs the SMALLER weight: wₜ ∝ 1/‖gₜ‖.")
        squared = T * inverse**2 / np.sum(inverse**2)
        if np.allclose(got, squared, rtol=1e-6):
            _fail(f"for {shown}: your weights are ∝ 1/‖gₜ‖²; then wₜ‖gₜ‖ ∝ 1/‖gₜ‖ is not balanced. Use the norm, "
                  "not its square.")
        _fail(f"for {shown}: expected weights {np.round(expected, 6).tolist()}, got {np.round(got, 6).tolist()} "
              f"(weighted norms wₜ‖gₜ‖ = {np.round(weighted, 6).tolist()} should all be equal).")
    _ok(f"in all {len(_EQUALISING_NORMS)} cases (2 to 4 tasks, norms up to 1000× apart) the weighted norms "
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
        result = _call(pareto_mask, points.copy(), description=f"pareto_mask({shown})")
        if result is None:
            _fail(f"pareto_mask({shown}) returned None; did you forget the `return`?")
        got = np.asarray(result)
        if got.shape != expected.shape:
            _fail(f"pareto_mask({shown}) should return one True/False per point, shape {expected.shape}; got shape "
                  f"{got.shape}" + (" (indices? return a boolean mask instead)" if got.ndim == 1 else ""))
        if got.dtype != bool and not np.all(np.isin(got, (0, 1))):
            _fail(f"pareto_mask({shown}) should return booleans, got values {got.tolist()}")
        got = got.astype(bool)
        if np.array_equal(got, expected):
            continue
        if np.array_equal(got, _reference_pareto_mask(-points)):
            _fail(f"for {shown}: you kept the points that are best when both values are MAXIMISED; here both are "
                  "losses, so lower is better.")
        wrong = int(np.flatnonzero(got != expected)[0])
        point = points[wrong]
        if expected[wrong]:
            twins = [k for k in range(len(points)) if k != wrong and np.array_equal(points[k], point)]
            hint = (" An identical point does not dominate it: domination needs strictly better on one task."
                    if twins else "")
            _fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is not dominated by any other point, "
                  f"so it belongs to the front, but you marked it False.{hint}")
        dominators = [k for k in range(len(points))
                      if np.all(points[k] <= point) and np.any(points[k] < point)]
        k = dominators[0]
        tie = " (equal on one task and better on the other still dominates)" if np.any(points[k] == point) else ""
        _fail(f"for {shown}: point {wrong} ({point[0]:g}, {point[1]:g}) is dominated by point {k} "
              f"({points[k][0]:g}, {points[k][1]:g}){tie}, but you marked it True.")
    _ok(f"pareto_mask finds the non-dominated points in all {len(cases)} sets (duplicates, ties in one "
        "coordinate, a single point, 25 random points).")


# ---- lesson 05 ------------------------------------------------------------------------------------

from . import multitask as _multitask05  # noqa: E402

__all__ += ["check_sharing_parameter_counts", "check_three_task_joint_loss", "check_delta_m_percent"]

# (n_in, hidden_sizes, n_tasks, branch_depth): the lesson's nets, a deeper and a wider one.
_PARAMETER_COUNT_CASES = ((10, [2, 2], 2, 0), (10, [2, 2], 2, 1), (10, [2, 2], 2, 2), (10, [8, 8], 3, 1),
                          (5, [4], 3, 1), (6, [8, 4, 3], 4, 2))


def _parameter_counts(n_in: int, hidden_sizes: list, n_tasks: int, branch_depth: int, biases: bool = True) -> tuple:
    """(shared, task-specific over all tasks) parameter counts of HardSharingNet, by its own parameters."""
    net = _multitask05.HardSharingNet(n_in, hidden_sizes, [1] * n_tasks, branch_depth=branch_depth, rng=0)
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
        got = _call(count_parameters, n_in, list(hidden), n_tasks, branch, description=call)
        if got is None:
            _fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            _fail(f"{call} should return a pair (shared, task_specific), got {got!r}")
        shared, specific = (_number(value, f"{call}[{k}]") for k, value in enumerate(got))
        expected = _parameter_counts(n_in, hidden, n_tasks, branch)
        if (shared, specific) == expected:
            continue
        where = f"{call}: expected (shared, task_specific) = {expected}, got ({shared:g}, {specific:g})"
        if (specific, shared) == expected:
            _fail(f"{where}. The two numbers are swapped: shared first.")
        if (shared, specific) == _parameter_counts(n_in, hidden, n_tasks, branch, biases=False):
            _fail(f"{where}. Every Linear layer also has a bias: out_features more parameters per layer.")
        if shared == expected[0] and specific * n_tasks == expected[1]:
            _fail(f"{where}. That is one task's tower; task_specific counts the towers of all {n_tasks} tasks.")
        if shared == expected[0]:
            _fail(f"{where}. The shared count is right. Each task has the layers above the branch point, "
                  f"{len(hidden) - branch} hidden layer(s) plus its own output layer, and there are {n_tasks} tasks.")
        if specific == expected[1]:
            _fail(f"{where}. The task-specific count is right. The trunk is the first {branch} hidden layer(s), "
                  "each with weights (fan_in × fan_out) and biases (fan_out); it is counted once, not per task.")
        _fail(f"{where}. Hidden layers 1..{branch} are shared; layers {branch + 1}..{len(hidden)} and the output "
              "layer (1 unit) exist once per task.")
    _ok(f"your counts match HardSharingNet's parameters in all {len(_PARAMETER_COUNT_CASES)} layouts. Moving the "
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
    losses = [_multitask05.task_loss(kind, Tensor(np.asarray(p, dtype=float).reshape(-1, 1)), t)
              for kind, p, t in zip(_JOINT_KINDS, predictions, targets)]
    total, values = _multitask05.joint_loss(losses, weights)
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
        got = _number(_call(joint_loss_three, [p.copy() for p in predictions], [t.copy() for t in targets],
                            weights.copy(), description=call), call)
        expected, losses = _joint_loss_reference(predictions, targets, weights)
        if np.isclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        shown = ", ".join(f"{v:.4g}" for v in losses)
        mse_on_logits = float(np.mean((predictions[2] - targets[2]) ** 2))
        probability = 0.5 * (1.0 + np.tanh(0.5 * predictions[2]))
        if np.isclose(got, sum(losses), rtol=1e-9):
            _fail(f"{where}. That is the unweighted sum L₁ + L₂ + L₃ ({shown}); multiply each by its weight.")
        if np.isclose(got, float(np.dot(weights[:2], losses[:2]) + weights[2] * mse_on_logits), rtol=1e-9):
            _fail(f"{where}. The third task is a classification: its loss is the binary cross-entropy of the "
                  "logits, −[y log σ(z) + (1 − y) log(1 − σ(z))], not a squared error.")
        if np.isclose(got, float(np.dot(weights[:2], losses[:2])), rtol=1e-9):
            _fail(f"{where}. The classification task's loss is missing: L₃ = {losses[2]:.4g}.")
        if np.isclose(got, n * expected, rtol=1e-9):
            _fail(f"{where}. Your result is n = {n} times too large: each task loss is a mean over the examples.")
        for divisor, what in ((3.0, "the number of tasks"), (float(weights.sum()), "the sum of the weights")):
            if not np.isclose(divisor, 1.0) and np.isclose(got, expected / divisor, rtol=1e-9):
                _fail(f"{where}. You divided by {what}; the joint loss is the plain weighted sum Σ wₜLₜ.")
        squared_probability = float(np.mean((probability - targets[2]) ** 2))
        if np.isclose(got, float(np.dot(weights[:2], losses[:2]) + weights[2] * squared_probability), rtol=1e-9):
            _fail(f"{where}. Squaring σ(z) − y is not the cross-entropy; use −[y log σ(z) + (1 − y) log(1 − σ(z))].")
        _fail(f"{where}. The three task losses here are {shown} (mean squared errors, then the mean binary "
              "cross-entropy of the logits).")
    _ok(f"your joint loss agrees with multitask.joint_loss to within 1e-9 on {len(cases)} batches (4 to 200 "
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
        got = _number(_call(delta_m_percent, list(metrics), list(stl), list(better), description=call), call)
        expected = _multitask05.delta_m(metrics, stl, better)
        if np.isclose(got, expected, rtol=1e-9, atol=1e-9):
            continue
        where = f"{call}: expected {expected:.4g}, got {got:.4g}"
        m, s = np.asarray(metrics), np.asarray(stl)
        if np.isclose(got, -expected, rtol=1e-9):
            _fail(f"{where}. The sign is flipped. In this course Δm% is lower-is-better: a multi-task model that "
                  "beats its single-task baselines gets a negative Δm% (LibMTL reports the opposite sign).")
        if np.isclose(got, expected / 100.0, rtol=1e-9):
            _fail(f"{where}. Multiply by 100: Δm% is a percentage.")
        if np.isclose(got, expected * len(metrics), rtol=1e-9):
            _fail(f"{where}. Average over the {len(metrics)} tasks instead of adding them up.")
        if np.isclose(got, 100.0 * np.mean((m - s) / np.abs(s)), rtol=1e-9):
            _fail(f"{where}. For a higher-is-better metric (accuracy) an increase is an improvement, so its "
                  "term takes the opposite sign: (−1)^lₜ with lₜ = 1 when higher is better.")
        if np.isclose(got, 100.0 * np.mean(np.where(better, -1.0, 1.0) * (m - s) / np.abs(m)), rtol=1e-9):
            _fail(f"{where}. Divide each change by the single-task value M_STL,t, not by the multi-task one.")
        _fail(f"{where}. Δm% = (100 / T) Σₜ (−1)^lₜ (Mₜ − M_STL,t) / M_STL,t.")
    _ok(f"your Δm% agrees with multitask.delta_m on {len(_DELTA_M_CASES)} cases (RMSE only, accuracy only, mixed). "
        "Remember the sign: lower is better, and a negative Δm% means sharing helped.")


# ---- lesson 07 ------------------------------------------------------------------------------------

from . import aggregators as _aggregators  # noqa: E402
from . import toys as _toys  # noqa: E402

__all__ += ["check_mgda_two_tasks", "check_pcgrad_two_tasks", "pareto_exercise_gradients", "check_pareto_stoppers"]

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
        d = _call(function, a, b, description=f"{name}(g1, g2) for {what}")
    if not (np.array_equal(a, g1) and np.array_equal(b, g2)):
        _fail(f"{name} changed the gradients it was given (for {what}); compute new arrays instead.")
    try:
        finite = bool(np.all(np.isfinite(np.asarray(d, dtype=float))))
    except (TypeError, ValueError):
        finite = True  # not numbers at all: _array below says so
    if not finite and np.array_equal(g1, g2):
        _fail(f"{name}(g1, g2) returned inf/NaN for {what}: ‖g₁ − g₂‖² = 0 there, so a formula that divides by it "
              "breaks. Every point of the segment is the same vector then: return g₁.")
    return _array(d, g1.shape, f"{name}(g1, g2) for {what}")


def _vector_text(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{round(float(x), 4) + 0.0:.4g}" for x in v) + ")"


@exercise_checker
def check_mgda_two_tasks(mgda_two) -> None:
    """Exercise 07.1: `mgda_two(g1, g2)` returns MGDA's d = γ g₁ + (1 − γ) g₂, the point of the segment
    [g₂, g₁] closest to 0: γ = clip((g₂ − g₁)·g₂ / ‖g₁ − g₂‖², 0, 1) (Sener & Koltun 2018, NeurIPS)."""
    for g1, g2, what in _TWO_TASK_CASES:
        got = _two_task_answer(mgda_two, g1, g2, "mgda_two", what)
        expected = _aggregators.mgda(np.stack([g1, g2]))
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
                _fail(f"{where}. Here γ = {raw:.3g} lies outside [0, 1]: clip it, so d stays on the segment "
                      "between g₁ and g₂ (the convex hull).")
            if np.allclose(got, swapped, rtol=1e-9, atol=1e-12):
                _fail(f"{where}. γ and 1 − γ are swapped: γ multiplies g₁.")
        if np.allclose(got, 0.5 * (g1 + g2), rtol=1e-9, atol=1e-12):
            _fail(f"{where}. That is the mean; MGDA picks the point of the segment closest to the origin.")
        _fail(f"{where}.")
    _ok(f"mgda_two agrees with aggregators.mgda to within 1e-9 on {len(_TWO_TASK_CASES)} cases (conflicting, "
        "clipped at an end of the segment, identical, exactly opposite, 5 parameters).")


@exercise_checker
def check_pcgrad_two_tasks(pcgrad_two) -> None:
    """Exercise 07.2: `pcgrad_two(g1, g2)` projects each gradient off the other when they conflict
    (g₁·g₂ < 0), then averages: d = (g₁' + g₂') / 2 (Yu et al. 2020, NeurIPS; the paper sums, the
    course averages so that identical gradients give d = g)."""
    for g1, g2, what in _TWO_TASK_CASES:
        got = _two_task_answer(pcgrad_two, g1, g2, "pcgrad_two", what)
        expected = _aggregators.pcgrad(np.stack([g1, g2]))
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
            _fail(f"{where}. You summed the projected gradients; this course averages them (half the sum).")
        if inner >= 0 and close(got, 0.5 * (project_1 + project_2)):
            _fail(f"{where}. These gradients do not conflict (g₁·g₂ = {inner:.3g} ≥ 0): PCGrad leaves them alone.")
        if inner < 0:
            sequential = g2 - float(g2 @ project_1) / float(project_1 @ project_1) * project_1
            if close(got, 0.5 * (project_1 + sequential)):
                _fail(f"{where}. You projected g₂ off the already-projected g₁'; project each off the ORIGINAL "
                      "other gradient.")
            onto = 0.5 * (inner / float(g2 @ g2) * g2 + inner / float(g1 @ g1) * g1)
            if close(got, onto):
                _fail(f"{where}. You kept the component along the other gradient; PCGrad removes it: "
                      "g₁' = g₁ − (g₁·g₂ / ‖g₂‖²) g₂.")
        if close(got, 0.5 * (g1 + g2)):
            _fail(f"{where}. That is the plain mean: the projection is missing.")
        _fail(f"{where}.")
    _ok(f"pcgrad_two agrees with aggregators.pcgrad to within 1e-9 on {len(_TWO_TASK_CASES)} cases (conflicting, "
        "not conflicting, identical, exactly opposite, 5 parameters).")


def pareto_exercise_gradients() -> tuple:
    """(point (2,), G (2, 2)): a point of the CAGrad toy's Pareto set (x₁ = 3) and the two task
    gradients there (rows g₁, g₂), the picture of exercise 07.3."""
    points, _ = _toys.pareto_front_toy(15)  # x1 = -7, -6, ..., 7
    point = points[10]
    return point, _toys.cagrad_toy(point)[1]


_METHOD_ALIASES = {name.replace("_", ""): name for name in _toys.FAST_TOY_METHODS}


def _method_key(name) -> str | None:
    if not isinstance(name, str):
        return None
    return _METHOD_ALIASES.get(name.lower().replace("-", "").replace("_", "").replace(" ", ""))


@exercise_checker
def check_pareto_stoppers(stoppers) -> None:
    """Exercise 07.3: `stoppers()` returns the names of the methods whose update d is zero at the
    Pareto point of `pareto_exercise_gradients()` (they stop at the first Pareto point they reach)."""
    answer = _call(stoppers, description="your function")
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        _fail(f"return a list or set of method names, e.g. {{'mgda', 'cagrad'}}; got {type(answer).__name__} "
              f"{answer!r}")
    names = list(answer)
    keys = [_method_key(name) for name in names]
    unknown = [name for name, key in zip(names, keys) if key is None]
    if unknown:
        _fail(f"unknown method name(s) {unknown}; use these: {', '.join(_toys.FAST_TOY_METHODS)}")
    chosen = set(keys)
    point, G = pareto_exercise_gradients()
    scale = float(np.linalg.norm(G))
    sizes = {}
    for method in _toys.FAST_TOY_METHODS:
        if method == "graddrop":  # random: its expected d, over its random sign choices, is the mean
            sizes[method] = float(np.linalg.norm(_aggregators.mean(G)))
        else:
            hyper = {"c": 0.5} if method == "cagrad" else {}
            sizes[method] = float(np.linalg.norm(_aggregators.aggregate(method, G, **hyper)))
    truth = {method for method, size in sizes.items() if size < 1e-9 * scale}
    wrongly_in = sorted(chosen - truth, key=_toys.FAST_TOY_METHODS.index)
    left_out = sorted(truth - chosen, key=_toys.FAST_TOY_METHODS.index)
    if wrongly_in:
        details = "; ".join(f"{m}: ‖d‖ = {sizes[m]:.3g}" for m in wrongly_in)
        _fail(f"{', '.join(wrongly_in)} still move(s) at this Pareto point ({details}, not 0): with g₁ and g₂ "
              "opposite but of different lengths, these keep some pull toward the average-loss optimum.")
    if left_out:
        pronoun = "it" if len(left_out) == 1 else "them"
        _fail(f"you left out {', '.join(left_out)}: at this point ‖d‖ < 1e-9·‖G‖ for {pronoun}. With two exactly "
              "opposite gradients, ask what the method's recipe makes of them.")
    _ok(f"at the Pareto point ({point[0]:.0f}, {point[1]:.2f}) the update is zero for exactly "
        f"{', '.join(sorted(truth, key=_toys.FAST_TOY_METHODS.index))}: they stop at the first Pareto point "
        "they reach. The others keep moving along the front toward the average-loss optimum.")


# ---- lesson 08 ------------------------------------------------------------------------------------

from . import multitask as _multitask08  # noqa: E402

__all__ += ["check_predicted_lift", "check_gradient_at_layer_one", "check_balanced_aux_weight"]

# (depth, attach_depth, decay_per_layer): the lesson's net, a head on top, a head at layer 1, other factors.
_L08_LIFT_CASES = ((12, 4, 0.244), (12, 12, 0.25), (12, 1, 0.25), (20, 5, 0.3), (6, 3, 0.5), (30, 10, 0.2))


@exercise_checker
def check_predicted_lift(predicted_lift) -> None:
    """Exercise 08.1: `predicted_lift(depth, attach_depth, decay_per_layer)` returns
    decay_per_layer^−(depth − attach_depth), the predicted ratio of the layer-1 gradient with an auxiliary
    head after layer attach_depth to the layer-1 gradient of the main head alone."""
    for depth, attach, decay in _L08_LIFT_CASES:
        call = f"predicted_lift({depth}, {attach}, {decay:g})"
        got = _returned_number(_call(predicted_lift, depth, attach, decay, description=call), call)
        expected = decay ** -(depth - attach)
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        gap = depth - attach
        if gap > 0 and np.isclose(got, decay**gap, rtol=1e-9):
            _fail(f"{where}. That is the inverse: the auxiliary path is {gap} layers *shorter*, so its gradient "
                  "shrinks less and the lift is larger than 1. Use a negative exponent.")
        for off in (1, -1):
            if gap + off >= 0 and np.isclose(got, decay ** -(gap + off), rtol=1e-9):
                _fail(f"{where}. Off by one layer: the two paths to layer 1 differ by exactly depth − attach_depth "
                      f"= {gap} layers (the layers from attach_depth + 1 to depth), not {gap + off}.")
        if decay != 0.25 and np.isclose(got, 0.25**-gap, rtol=1e-9):
            _fail(f"{where}. You used the ¼ of the sigmoid's slope bound; use the measured decay_per_layer "
                  f"({decay:g}), which includes the weights too.")
        if np.isclose(got, decay**-attach, rtol=1e-9) or np.isclose(got, decay ** -(attach - 1), rtol=1e-9):
            _fail(f"{where}. The exponent counts the layers the main gradient crosses and the auxiliary one does "
                  "not: those above the attach depth, depth − attach_depth of them.")
        _fail(f"{where}. Each layer multiplies the gradient by about decay_per_layer on its way down; the main "
              "head's gradient crosses depth − attach_depth more layers than the auxiliary head's.")
    depth, attach, decay = _L08_LIFT_CASES[0]
    _ok(f"the prediction decay^−(depth − attach_depth) is right on {len(_L08_LIFT_CASES)} cases; for the lesson's "
        f"net ({depth} layers, ×{decay:g} per layer) a head after layer {attach} predicts a lift of "
        f"×{decay ** -(depth - attach):.3g} at layer 1, and a head on top (attach_depth = depth) ×1.")


# (n_in, depth of the head d, width, n_out, batch, seed): a head part-way up first (there every usual slip
# gives a different wrong answer, so the diagnosis is specific), then at layer 1 and on a deeper layer.
_L08_LAYER_ONE_CASES = ((3, 3, 4, 2, 5, 1), (3, 1, 4, 2, 5, 0), (2, 5, 6, 3, 4, 2))


def _l08_layer_one_case(n_in: int, attach: int, width: int, n_out: int, batch: int, seed: int) -> tuple:
    """(weights [W_1..W_d], pre_activations [z_1..z_d], head weight, ∂L/∂output, ∂L/∂z_1 by autodiff) for an
    auxiliary head after layer d of a sigmoid DeepSupervisionNet; the loss is Σ output ⊙ G, so ∂L/∂output = G."""
    rng = np.random.default_rng(seed)
    net = _multitask08.DeepSupervisionNet(n_in, attach + 1, width, n_outputs=n_out, attach_depths=(attach,),
                                          activation="sigmoid", rng=rng, gain=2.0)
    x = Tensor(rng.standard_normal((batch, n_in)))
    output_gradient = rng.standard_normal((batch, n_out))
    trace = net.forward_trace(x)
    trace.pre_activations[0].retain_grad()
    (trace.outputs[1] * Tensor(output_gradient)).sum().backward()
    weights = [np.array(layer.weight.data) for layer in net.trunk.layers[:attach]]
    pre_activations = [np.array(z.data) for z in trace.pre_activations[:attach]]
    return (weights, pre_activations, np.array(net.aux_heads[0].weight.data), output_gradient,
            np.array(trace.pre_activations[0].grad))


def _l08_hand_backward(weights, pre_activations, head_weight, output_gradient, slope_at_head=True, slope=None,
                   transpose=True) -> np.ndarray:
    """∂L/∂z_1 by the chain rule, with switches for the usual slips (for the checker's diagnoses)."""
    slope = slope or (lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)))
    grad_h = output_gradient @ head_weight.T
    delta = grad_h * slope(pre_activations[-1]) if slope_at_head else grad_h
    for layer in range(len(pre_activations) - 1, 0, -1):
        W = weights[layer]
        delta = (delta @ (W.T if transpose else W)) * slope(pre_activations[layer - 1])
    return delta


@exercise_checker
def check_gradient_at_layer_one(gradient_at_layer_one) -> None:
    """Exercise 08.2: `gradient_at_layer_one(weights, pre_activations, head_weight, output_gradient)` returns
    ∂L/∂z_1 (N, width) sent down by a head that reads the sigmoid trunk after layer d = len(weights)."""
    for n_in, attach, width, n_out, batch, seed in _L08_LAYER_ONE_CASES:
        weights, pre_activations, head_weight, output_gradient, expected = _l08_layer_one_case(
            n_in, attach, width, n_out, batch, seed)
        call = f"gradient_at_layer_one(...) for a head after layer {attach}"
        got = _array(_call(gradient_at_layer_one, [w.copy() for w in weights], [z.copy() for z in pre_activations],
                           head_weight.copy(), output_gradient.copy(), description=call),
                     expected.shape, call)
        scale = float(np.abs(expected).max())
        if np.allclose(got, expected, rtol=1e-8, atol=1e-12 * scale):
            continue
        where = (f"{call}: the largest difference from autodiff is {np.abs(got - expected).max():.3g} "
                 f"(entries are up to {scale:.3g})")
        slips = [
            (dict(slope_at_head=False), "the head reads h_d = σ(z_d), so the first step down also multiplies "
                                        "by σ'(z_d) before anything else"),
            (dict(slope=_sigmoid), "multiply by the slope σ'(z) = σ(z)(1 − σ(z)), not by σ(z) itself"),
            (dict(slope=lambda z: np.ones_like(z)), "each layer also multiplies by the sigmoid's slope σ'(z_l)"),
            (dict(transpose=False), "going down multiplies by W_lᵀ: ∂L/∂h_(l−1) = ∂L/∂z_l · W_lᵀ "
                                    "(in this course z = h W + b, with W of shape (n_in, n_out))"),
        ]
        for switches, hint in slips:
            with np.errstate(all="ignore"):
                try:
                    wrong = _l08_hand_backward(weights, pre_activations, head_weight, output_gradient, **switches)
                except ValueError:
                    continue
            if wrong.shape == got.shape and np.allclose(got, wrong, rtol=1e-8, atol=1e-12 * scale):
                _fail(f"{where}. {hint[0].upper()}{hint[1:]}.")
        _fail(f"{where}. Start from ∂L/∂h_d = output_gradient · head_weightᵀ, multiply by σ'(z_d), then for "
              "l = d, …, 2: multiply by W_lᵀ and by σ'(z_(l−1)).")
    depths = ", ".join(str(d) for d in sorted(case[1] for case in _L08_LAYER_ONE_CASES))
    _ok(f"your ∂L/∂z_1 agrees with autodiff to 1e-8 (relative) for heads after layers {depths}. A head after "
        "layer d sends its gradient through d − 1 products with W_lᵀ and σ' ≤ ¼: the shorter the path, the less "
        "it shrinks.")


def _l08_balance_cases() -> list:
    """(G (2, P) rows [main, aux at weight 1], description): hand-made, random, and lesson-like imbalance."""
    rng = np.random.default_rng(8)
    tiny_main = np.vstack([1e-6 * rng.standard_normal(40), rng.standard_normal(40)])
    return [
        (np.array([[3.0, 4.0], [0.0, 1.0]]), "G = [[3, 4], [0, 1]]"),
        (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -2.0]]), "G = [[1, 0, 0], [0, 0, -2]]"),
        (rng.standard_normal((2, 50)) * np.array([[0.5], [3.0]]), "a random (2, 50) G"),
        (tiny_main, "a (2, 40) G whose main row is a million times smaller, as in the lesson"),
    ]


@exercise_checker
def check_balanced_aux_weight(balanced_aux_weight) -> None:
    """Exercise 08.3: `balanced_aux_weight(G)` returns the auxiliary weight w at which w·‖g_aux‖ = ‖g_main‖,
    for G (2, P) with rows [g_main, g_aux] measured at weight 1 on the shared layers."""
    for G, shown in _l08_balance_cases():
        call = f"balanced_aux_weight({shown})"
        got = _returned_number(_call(balanced_aux_weight, G.copy(), description=call), call)
        main, aux = (float(np.linalg.norm(row)) for row in G)
        expected = main / aux
        if np.isclose(got, expected, rtol=1e-6, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        if np.isclose(got, aux / main, rtol=1e-6):
            _fail(f"{where}. That is ‖g_aux‖/‖g_main‖, the inverse: the weight multiplies the auxiliary "
                  "gradient, so w·‖g_aux‖ = ‖g_main‖ gives w = ‖g_main‖/‖g_aux‖.")
        if np.isclose(got, expected**2, rtol=1e-6):
            _fail(f"{where}. You compared squared norms (e.g. g·g): the weight scales the gradient itself, so use "
                  "the norms ‖g‖ = √(g·g).")
        if np.isclose(got, np.abs(G[0]).max() / np.abs(G[1]).max(), rtol=1e-6):
            _fail(f"{where}. You compared the largest entries; the balance is between whole gradients: use their "
                  "norms.")
        summed = G[0].sum() / G[1].sum() if G[1].sum() != 0 else np.nan
        if np.isclose(got, summed, rtol=1e-6):
            _fail(f"{where}. Summing the entries lets positive and negative ones cancel; use the norms.")
        _fail(f"{where}. The weighted auxiliary gradient is w·g_aux; find w with ‖w·g_aux‖ = ‖g_main‖.")
    n_cases = len(_l08_balance_cases())
    _ok(f"w = ‖g_main‖/‖g_aux‖ is right on {n_cases} gradient matrices. Below this weight the main task's "
        "gradient is the larger one on the shared layers; above it the auxiliary task's.")


# ---- lesson 10 ------------------------------------------------------------------------------------

from . import aggregators as _aggregators10  # noqa: E402
from . import capstone as _capstone10  # noqa: E402
from . import datasets as _datasets10  # noqa: E402
from . import multitask as _multitask10  # noqa: E402

__all__ += ["check_train_only_standardisation", "check_delta_m_over_seeds", "check_beats_stl"]


def _l10_standardisation_cases() -> list:
    """(X_train, X_val, X_test, description): the lesson's penguin split, and a small split whose held-out
    rows come from a shifted distribution, so any use of their statistics shows plainly."""
    penguins = _datasets10.load_penguins()
    data = _capstone10.capstone_data()
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
    for X_train, X_val, X_test, shown in _l10_standardisation_cases():
        given = [X_train.copy(), X_val.copy(), X_test.copy()]
        call = f"standardise(...) on {shown}"
        answer = _call(standardise, *given, description=call)
        if answer is None:
            _fail(f"{call} returned None; did you forget the `return`?")
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            _fail(f"{call} should return three arrays (train, validation, test), got {type(answer).__name__}")
        originals = (X_train, X_val, X_test)
        changed = [name for name, before, after in zip(names, originals, given) if not np.array_equal(before, after)]
        if changed:
            _fail(f"{call} changed {', '.join(changed)} in place; work on copies (e.g. X.copy() or "
                  "arithmetic that makes new arrays), so the raw data stays available.")
        got = [_array(a, X.shape, f"{call}: the {name} part") for a, X, name in zip(answer, originals, names)]
        mean = X_train[:, :3].mean(axis=0)
        candidates = [[_standardised_with(mean, X_train[:, :3].std(axis=0, ddof=ddof), X) for X in originals]
                      for ddof in (0, 1)]
        if any(all(np.allclose(g, e, rtol=1e-9, atol=1e-9) for g, e in zip(got, expected)) for expected in candidates):
            continue
        expected = candidates[0]
        for g, X, name in zip(got, originals, names):
            if not np.allclose(g[:, 3:], X[:, 3:]):
                _fail(f"{call}: the island columns 3–5 of {name} changed. They are one-hot 0/1 indicators; "
                      "rescale only columns 0–2 (datasets.standardize(..., columns=[0, 1, 2])).")
        pooled = np.vstack(originals)[:, :3]
        for label, stats_rows in (("train, validation and test together", pooled),
                                  ("train and validation together", np.vstack([X_train, X_val])[:, :3])):
            leaked = [_standardised_with(stats_rows.mean(axis=0), stats_rows.std(axis=0), X) for X in originals]
            if all(np.allclose(g, e, rtol=1e-6, atol=1e-6) for g, e in zip(got, leaked)):
                _fail(f"{call}: you took the mean and std over {label}. That leaks the held-out rows into the "
                      "preprocessing: the validation and test scores would no longer measure data the model never "
                      "saw. Use the training rows' statistics for all three parts.")
        own = [_standardised_with(X[:, :3].mean(axis=0), X[:, :3].std(axis=0), X) for X in originals]
        for index in (1, 2):
            if np.allclose(got[index], own[index], rtol=1e-6, atol=1e-6) \
                    and not np.allclose(got[index], expected[index], rtol=1e-6, atol=1e-6):
                _fail(f"{call}: {names[index]} was standardised with its own mean and std. That uses the held-out "
                      "rows' statistics (a leak) and moves them differently from the training rows, so the model "
                      "sees shifted inputs. Apply the training mean and std to every part.")
            if np.allclose(got[index], originals[index]):
                _fail(f"{call}: {names[index]} came back unscaled; the network was trained on standardised inputs, "
                      "so the held-out parts need the same transformation (with the training statistics).")
        for g, e, name in zip(got, expected, names):
            if not np.allclose(g, e, rtol=1e-9, atol=1e-9):
                row, column = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape)
                _fail(f"{call}: {name}[{row}, {column}] should be {e[row, column]:.6g}, got {g[row, column]:.6g}. "
                      "Each of columns 0–2 becomes (x − mean_train) / std_train.")
    _ok("your standardisation uses the training rows' mean and std for all three parts and leaves the island "
        "columns alone, on the lesson's split and on a split with shifted held-out rows (agrees with "
        "datasets.standardize to within 1e-9).")


# (metrics (S, T), stl_metrics (S, T), higher_is_better (T,)): the lesson's tasks, two RMSE tasks, two seeds.
_L10_SEED_CASES = (
    (np.array([[0.985, 0.868, 342.0], [0.971, 0.882, 351.0], [1.000, 0.853, 333.0]]),
     np.array([[0.985, 0.838, 324.0], [0.985, 0.853, 330.0], [0.985, 0.824, 318.0]]), (True, True, False)),
    (np.array([[0.31, 0.52], [0.29, 0.55], [0.35, 0.49], [0.30, 0.50], [0.33, 0.51]]),
     np.array([[0.30, 0.50], [0.30, 0.50], [0.32, 0.53], [0.31, 0.52], [0.30, 0.50]]), (False, False)),
    (np.array([[0.90, 0.80, 2.0], [0.95, 0.70, 2.5]]), np.array([[0.85, 0.85, 2.2], [0.90, 0.75, 2.0]]),
     (True, True, False)),
)


@exercise_checker
def check_delta_m_over_seeds(delta_m_over_seeds) -> None:
    """Exercise 10.2: `delta_m_over_seeds(metrics, stl_metrics, higher_is_better)` returns (mean, std) of the
    per-seed Δm% (each seed against the STL networks of the same seed, `multitask.delta_m`; std = np.std)."""
    for metrics, stl, better in _L10_SEED_CASES:
        n_seeds, n_tasks = metrics.shape
        call = f"delta_m_over_seeds(...) with {n_seeds} seeds × {n_tasks} tasks, higher_is_better={list(better)}"
        answer = _call(delta_m_over_seeds, metrics.copy(), stl.copy(), list(better), description=call)
        if answer is None:
            _fail(f"{call} returned None; did you forget the `return`?")
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
            _fail(f"{call} should return a pair (mean, std), got {answer!r}")
        mean, spread = (_number(value, f"{call}[{k}]") for k, value in enumerate(answer))
        per_seed = np.array([_multitask10.delta_m(m, s, better) for m, s in zip(metrics, stl)])
        expected_mean, expected_std = float(per_seed.mean()), float(per_seed.std())
        if np.isclose(mean, expected_mean, rtol=1e-9, atol=1e-9) and np.isclose(spread, expected_std, rtol=1e-9,
                                                                                 atol=1e-9):
            continue
        where = (f"{call}: expected (mean, std) = ({expected_mean:.4g}, {expected_std:.4g}), "
                 f"got ({mean:.4g}, {spread:.4g})")
        if np.isclose(mean, expected_std, rtol=1e-9) and np.isclose(spread, expected_mean, rtol=1e-9):
            _fail(f"{where}. The two numbers are swapped: the mean first, then the std.")
        if np.isclose(mean, -expected_mean, rtol=1e-9):
            _fail(f"{where}. The sign is flipped: in this course Δm% is lower-is-better, so a task that improves "
                  "on its STL baseline contributes a negative term.")
        if np.isclose(mean, expected_mean / 100, rtol=1e-9):
            _fail(f"{where}. Multiply by 100: Δm% is a percentage.")
        unpaired = np.array([_multitask10.delta_m(m, stl.mean(axis=0), better) for m in metrics])
        if np.isclose(spread, unpaired.std(), rtol=1e-9) and not np.isclose(unpaired.std(), expected_std, rtol=1e-9):
            _fail(f"{where}. Each seed was compared with the STL average; compare it with the STL run of the same "
                  "seed (row s with row s): pairing removes the part of the spread the two share.")
        pooled = _multitask10.delta_m(metrics.mean(axis=0), stl.mean(axis=0), better)
        if np.isclose(mean, pooled, rtol=1e-9) and not np.isclose(pooled, expected_mean, rtol=1e-9):
            _fail(f"{where}. You averaged the metrics over seeds first and took one Δm%. Take each seed's Δm% "
                  "(row s of metrics against row s of stl_metrics), then their mean and std.")
        if np.isclose(spread, 0.0, atol=1e-12) and expected_std > 0:
            _fail(f"{where}. A std of 0 means you computed one Δm% only; compute one per seed (row), then their "
                  "spread.")
        if n_seeds > 1 and np.isclose(spread, per_seed.std(ddof=1), rtol=1e-9):
            _fail(f"{where}. The mean is right; for the std use np.std (ddof=0), as the lesson's table does; you "
                  "used the sample std (ddof=1).")
        if np.isclose(mean, expected_mean, rtol=1e-9):
            _fail(f"{where}. The mean is right; the spread is the std of the {n_seeds} per-seed Δm% values.")
        _fail(f"{where}. Per seed s: Δm%_s = delta_m(metrics[s], stl_metrics[s], higher_is_better); "
              "return (mean, std) over s.")
    _ok(f"your mean and std of the per-seed Δm% agree with multitask.delta_m seed by seed, to within 1e-9, on "
        f"{len(_L10_SEED_CASES)} cases (the lesson's three tasks, two RMSE tasks, two seeds).")


def _l10_signed(value: float) -> str:
    """"+1.23" / "-0.45", never "-0.00"."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


def _l10_setting(answer) -> tuple:
    if isinstance(answer, dict):
        answer = (answer.get("method"), answer.get("branch_depth"))
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
        _fail(f"return a pair (method, branch_depth), e.g. ('equal', 2); got {answer!r}")
    method, depth = answer
    if not isinstance(method, str):
        _fail(f"the method should be a name such as 'equal' or 'famo', got {method!r}")
    key = method.strip().lower().replace("-", "_").replace(" ", "_")
    by_label = {label.lower().replace(" ", "_"): name for name, label in _capstone10.CAPSTONE_METHODS.items()}
    key = by_label.get(key, key)
    if key == "stl" or depth == 0:
        _fail(f"({method!r}, {depth!r}) is the single-task setting itself (nothing shared): Δm% against itself is "
              "0. Share at least one layer: branch depth 1 or 2.")
    known = list(_capstone10.CAPSTONE_METHODS) + [m for m in _aggregators10.AGGREGATORS
                                                    if m not in _capstone10.CAPSTONE_METHODS]
    if key not in known:
        _fail(f"unknown method {method!r}; choose one of {list(_capstone10.CAPSTONE_METHODS)} (the explorer's "
              f"balancers) or another aggregator: {known[len(_capstone10.CAPSTONE_METHODS):]}")
    try:
        _capstone10.check_capstone_setting(key, depth)
    except ValueError as error:
        _fail(str(error))
    return key, int(depth)


@exercise_checker
def check_beats_stl(my_setting) -> None:
    """Exercise 10.3: `my_setting()` returns (method, branch_depth); the checker trains that setting on the
    lesson's three seeds (`capstone.capstone_scores`) and requires a validation Δm% whose mean ± std lies
    below zero; then it reports the test Δm% of the same choice."""
    method, depth = _l10_setting(_call(my_setting, description="my_setting()"))
    label = _capstone10.CAPSTONE_METHODS.get(method, method)
    validation = _capstone10.capstone_scores(method, depth, "validation")
    delta = validation.delta_m
    verdict = _capstone10.delta_m_verdict(delta)
    score = f"{label} at branch depth {depth}: validation Δm% = {_l10_signed(delta.mean())} ± {delta.std():.2f} " \
            f"over {delta.size} seeds (lower is better)"
    if verdict.startswith("worse"):
        _fail(f"{score}: worse than the single-task networks. Look in the explorer for a setting whose Δm% "
              "lies below zero.")
    if not verdict.startswith("better"):
        side = "below" if delta.mean() < 0 else "above"
        _fail(f"{score}: the mean is {side} zero, but zero lies within one std of it, so with {delta.size} seeds "
              "this is not a win you could claim. Look for a setting whose mean ± std stays below zero.")
    test = _capstone10.capstone_scores(method, depth, "test").delta_m
    _ok(f"{score}: {verdict}. On the test set, which played no part in your choice, the same setting scores "
        f"Δm% = {_l10_signed(test.mean())} ± {test.std():.2f}: {_capstone10.delta_m_verdict(test)}.")


# ---- lesson 09 ------------------------------------------------------------------------------------

from . import datasets as _datasets09  # noqa: E402

__all__ += ["check_effective_sample_size", "check_top_inputs", "check_uses_shared_parity"]

# (n, noise stds with the main task first, what the case shows)
_L09_SAMPLE_CASES = (
    (100, (0.5, 0.5, 0.5, 0.5), "4 tasks with equal noise"),
    (50, (1.0,), "the main task alone"),
    (100, (0.5, 1.0), "a second task twice as noisy"),
    (100, (0.5, 2.0), "a second task four times as noisy"),
    (30, (1.0, 0.5, 0.5), "two extra tasks less noisy than the main one"),
)


def _l09_effective_size(n: float, stds) -> float:
    variances = np.asarray(stds, dtype=float) ** 2
    return n * variances.size**2 * variances[0] / variances.sum()


@exercise_checker
def check_effective_sample_size(effective_sample_size) -> None:
    """Exercise 09.1: `effective_sample_size(n, noise_stds)` returns n·T²·σ₁²/Σσₜ², the number of main-task
    examples whose noise an equal-weight average of T tasks' targets at n inputs matches."""
    for n, stds, what in _L09_SAMPLE_CASES:
        call = f"effective_sample_size({n}, {list(stds)}) ({what})"
        got = _returned_number(_call(effective_sample_size, n, list(stds), description=call), call)
        expected = _l09_effective_size(n, stds)
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        variances = np.asarray(stds, dtype=float) ** 2
        T = len(stds)
        if np.isclose(got, n * T, rtol=1e-9) and not np.allclose(variances, variances[0]):
            _fail(f"{where}. n·T holds only when every task is as noisy as the main one; here they differ, so "
                  "compare the average target's noise variance Σσₜ²/T² with the main task's σ₁².")
        if np.isclose(got, n * np.sum(variances[0] / variances), rtol=1e-9):
            _fail(f"{where}. That is n·Σ σ₁²/σₜ², what the best (inverse-variance) weighting would give; the "
                  "exercise asks about equal weights, a plain average of the T targets.")
        stds_array = np.asarray(stds, dtype=float)
        if np.isclose(got, n * T**2 * stds_array[0] / stds_array.sum(), rtol=1e-9):
            _fail(f"{where}. Noise adds up in variances, not in standard deviations: square the stds.")
        if np.isclose(got, n * T * variances[0] / variances.sum(), rtol=1e-9):
            _fail(f"{where}. The average (1/T)Σyₜ has noise variance Σσₜ²/T², with T² below, not T.")
        if np.isclose(got, n * variances.sum() / (T**2 * variances[0]), rtol=1e-9):
            _fail(f"{where}. That is the inverse: solve σ₁²/m = (Σσₜ²/T²)/n for m.")
        _fail(f"{where}. The average of the T targets has noise variance Σσₜ²/T²; find the m at which "
              "σ₁²/m equals (Σσₜ²/T²)/n.")
    _ok(f"your effective sample size n·T²·σ₁²/Σσₜ² is right on {len(_L09_SAMPLE_CASES)} cases. Four equally "
        "noisy tasks are worth 4n examples; an extra task four times as noisy as the main one, weighted "
        "equally, is worth less than the main task alone (100 examples count as 23.5).")


def _l09_weight_cases() -> list:
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


def _l09_top(mass: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-mass, kind="stable")[:k]


@exercise_checker
def check_top_inputs(top_inputs) -> None:
    """Exercise 09.2: `top_inputs(W, k)` returns the indices of the k inputs (rows of W (d, h)) with the
    largest weight mass Σ_j |W_ij|, the largest first."""
    for W, k, what in _l09_weight_cases():
        call = f"top_inputs(W, {k}) for {what}"
        answer = _call(top_inputs, W.copy(), k, description=call)
        if answer is None:
            _fail(f"{call} returned None; did you forget the `return`?")
        got = np.asarray(answer).reshape(-1)
        mass = np.abs(W).sum(axis=1)
        expected = _l09_top(mass, k)
        if got.size == k and np.issubdtype(got.dtype, np.integer) and len(set(got.tolist())) == k \
                and np.all((0 <= got) & (got < mass.size)) and np.allclose(mass[got], mass[expected]):
            continue  # inputs with equal mass may come in either order
        where = f"{call}: expected {expected.tolist()}, got {got.tolist()}"
        if got.size == k and np.issubdtype(got.dtype, np.floating) and np.allclose(got, mass[expected]):
            _fail(f"{where}. Those are the masses; return the indices of the inputs (np.argsort gives them).")
        if got.size != k:
            _fail(f"{where}. Return exactly k = {k} indices.")
        got_int = got.astype(int)
        if np.array_equal(np.sort(got_int), np.sort(expected)):
            _fail(f"{where}. The right inputs in the wrong order: the one with the largest mass comes first.")
        if np.array_equal(got_int, np.argsort(mass, kind="stable")[:k]):
            _fail(f"{where}. Those are the k smallest; sort by decreasing mass (e.g. np.argsort(-mass)).")
        if k <= W.shape[1] and np.array_equal(got_int, _l09_top(np.abs(W).sum(axis=0), k)):
            _fail(f"{where}. You summed over the inputs (axis 0): here W is (inputs d, hidden units h), so an "
                  "input's mass is the sum of its row, over axis 1.")
        if np.array_equal(got_int, _l09_top(W.sum(axis=1), k)):
            _fail(f"{where}. A large negative weight matters as much as a large positive one: sum |W_ij|, not W_ij.")
        _fail(f"{where}. An input's weight mass is the sum of the absolute values in its row of W.")
    _ok(f"top_inputs ranks the inputs by Σ_j |W_ij| correctly on {len(_l09_weight_cases())} layers, the largest "
        "first. Try it on `first_layer_weights(net)` of the lesson's STL and MTL nets.")


def _l09_parity_cases() -> list:
    """(X (256, 8), [(name, labels (256,), expected answer), ...]) on the 256 patterns of
    make_parity_tasks(256, rng=0), for the main parity bits (1, 2, 3, 4, 5)."""
    main = _datasets09.make_parity_tasks(256, rng=0)
    X = main.X
    bits = X.astype(int)

    def tasks(**options):
        return _datasets09.make_parity_tasks(256, rng=0, **options).targets

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


def _l09_counterexample(bits: np.ndarray, labels: np.ndarray, parity_bits: list) -> str:
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
    X, cases = _l09_parity_cases()
    bits = X.astype(int)
    parity_bits = [1, 2, 3, 4, 5]
    for name, labels, expected in cases:
        call = f"uses_shared_parity(X, labels of '{name}', {parity_bits})"
        answer = _call(uses_shared_parity, X.copy(), np.array(labels), list(parity_bits), description=call)
        if not isinstance(answer, (bool, np.bool_)):
            _fail(f"{call} should return True or False, got {type(answer).__name__} {answer!r}")
        if bool(answer) == expected:
            continue
        where = f"{call}: expected {expected}, got {bool(answer)}"
        if expected:
            _fail(f"{where}. This task is computed from parity(b1..b5) and bits outside b1..b5 alone, and its "
                  "label changes with the parity, so a shared layer that computes the parity serves it.")
        counterexample = _l09_counterexample(bits, np.asarray(labels), parity_bits)
        if counterexample:
            _fail(f"{where}. Its labels are not a function of parity(b1..b5) and the other bits: {counterexample}.")
        _fail(f"{where}. Its labels never change with parity(b1..b5) when the other bits are fixed: it does not "
              "use the shared feature at all.")
    n_true = sum(expected for _, _, expected in cases)
    _ok(f"uses_shared_parity is right on all {len(cases)} tasks ({n_true} built on parity(b1..b5), "
        f"{len(cases) - n_true} not, including parity(b1..b4), which looks close but is a different feature).")
