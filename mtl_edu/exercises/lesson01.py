"""Lesson 01 (`01_autodiff_from_scratch`): the checkers
`check_softplus_backward`, `check_hand_gradient`, `check_unbroadcast`.
"""
from __future__ import annotations

import numpy as np

from ..engine.autodiff import Tensor, error_band, gradcheck
from ..engine.autodiff import grad as engine_grad
from .core import as_array, call_learner, fail, as_number, passed, reference_sigmoid, worst_point, exercise_checker

__all__ = ["check_softplus_backward", "HAND_GRADIENT_POINT", "check_hand_gradient", "check_unbroadcast"]

@exercise_checker
def check_softplus_backward(softplus_op) -> None:
    """Exercise 01.1: a custom softplus op whose backward returns (g · σ(x),)."""
    x_values = np.array([-30.0, -3.0, -0.5, 0.0, 0.5, 3.0, 30.0])
    x = Tensor(x_values.copy(), requires_grad=True)
    out = call_learner(softplus_op, x, description="softplus_op(x)")
    if not isinstance(out, Tensor):
        fail(f"softplus_op must return a Tensor, got {type(out).__name__}")
    forward = as_array(out.data, x_values.shape, "softplus_op(x).data")
    expected_forward = np.logaddexp(0.0, x_values)
    if not np.allclose(forward, expected_forward, rtol=1e-10, atol=1e-12):
        fail(f"the forward value changed: softplus(x) = log(1 + eˣ), {worst_point(forward, expected_forward, x_values)}")
    if out.is_leaf:
        fail("the result records no backward: build it with Tensor.from_op(data, (x,), backward, 'softplus').")

    ones = np.ones_like(x_values)
    returned = call_learner(out.local_gradients, ones, description="your backward(g)")
    if not isinstance(returned, (tuple, list)) or len(returned) != 1:
        kind = type(returned).__name__ if not isinstance(returned, (tuple, list)) else f"{len(returned)} entries"
        fail(f"backward must return a tuple with one gradient per input, e.g. `return (g * local,)` "
              f"(note the comma); yours returned {kind}.")
    local = as_array(returned[0], x_values.shape, "backward(g) with g = 1")
    expected_local = reference_sigmoid(x_values)
    if not np.allclose(local, expected_local, rtol=1e-7, atol=1e-12):
        exp_x = np.exp(x_values)
        if np.allclose(local, exp_x, rtol=1e-7):
            fail("your backward returns eˣ; the derivative of log(1 + eˣ) is eˣ/(1 + eˣ) = σ(x).")
        fail(f"with g = 1, backward should return σ(x) = 1/(1 + e⁻ˣ): {worst_point(local, expected_local, x_values)}")

    g = np.array([0.5, -1.0, 2.0, 3.0, -0.25, 1.5, -2.0])
    scaled = as_array(call_learner(out.local_gradients, g.copy(), description="your backward(g)")[0], x_values.shape,
                    "backward(g)")
    if not np.allclose(scaled, g * expected_local, rtol=1e-7, atol=1e-12):
        if np.allclose(scaled, expected_local, rtol=1e-7, atol=1e-12):
            fail("your backward ignores the incoming gradient g; the chain rule needs g · σ(x).")
        fail(f"backward(g) should be g · σ(x): {worst_point(scaled, g * expected_local, x_values)}")

    check = gradcheck(softplus_op, x_values)
    if not check.passed(1e-6):
        fail(f"gradcheck disagrees with your backward: relative error {check.max_error:.2e} ({error_band(check.max_error)})")
    passed("backward returns g · σ(x) at 7 points from −30 to 30, and gradcheck confirms it "
        "(relative error below 1e-6).")


HAND_GRADIENT_POINT = {"x": 3.0, "y": -2.0}


@exercise_checker
def check_hand_gradient(hand_gradient) -> None:
    """Exercise 01.2: (∂f/∂x, ∂f/∂y) of f = (x·y + x)² at x = 3, y = −2, worked out by hand."""
    answer = call_learner(hand_gradient, description="hand_gradient()")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        fail(f"return two numbers, (df_dx, df_dy); got {type(answer).__name__} {answer!r}")
    df_dx, df_dy = as_number(answer[0], "df_dx"), as_number(answer[1], "df_dy")
    x, y = HAND_GRADIENT_POINT["x"], HAND_GRADIENT_POINT["y"]
    v = x * y + x
    through_u, direct = 2 * v * y, 2 * v  # the two paths from x to f: via u = x·y, and straight into v
    expected_dx, expected_dy = through_u + direct, 2 * v * x
    close = lambda a, b: abs(a - b) < 1e-6  # noqa: E731
    if close(df_dx, expected_dy) and close(df_dy, expected_dx):
        fail(f"the two numbers look swapped: return (df_dx, df_dy), got ({df_dx:g}, {df_dy:g}).")
    if not close(df_dx, expected_dx):
        if close(df_dx, through_u):
            fail(f"df_dx = {df_dx:g} counts only the path through u = x·y; x also enters v = u + x directly. "
                  "Add the two paths' contributions.")
        if close(df_dx, direct):
            fail(f"df_dx = {df_dx:g} counts only the direct path x → v; x also reaches v through u = x·y. "
                  "Add the two paths' contributions.")
        if close(df_dx, -expected_dx):
            fail(f"df_dx has the wrong sign: got {df_dx:g}. Check the sign of v = x·y + x at x = 3, y = −2.")
        fail(f"df_dx: expected {expected_dx:g}, got {df_dx:g}. Start from ∂f/∂v = 2v with v = x·y + x.")
    if not close(df_dy, expected_dy):
        if close(df_dy, -expected_dy):
            fail(f"df_dy has the wrong sign: got {df_dy:g}. Check the sign of v = x·y + x at x = 3, y = −2.")
        fail(f"df_dy: expected {expected_dy:g}, got {df_dy:g}. y reaches f only through u = x·y: ∂f/∂y = ∂f/∂u · x.")
    passed(f"∂f/∂x = {expected_dx:g} (the sum of two paths: {through_u:g} through u and {direct:g} directly) and "
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
        result = call_learner(unbroadcast, given, shape, description=f"unbroadcast(grad of shape {grad_shape}, {shape})")
        where = f"for a gradient of shape {grad_shape} and an input of shape {shape}"
        if result is None:
            fail(f"{where}: unbroadcast returned None; did you forget the `return`?")
        if not np.array_equal(given, grad):
            fail(f"{where}: unbroadcast changed the gradient it was given; compute a new array instead.")
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
            fail(f"{where}: expected the shape {shape}, got {got_shape}.{hint}")
        # The engine's own answer: the gradient an input of `shape` receives when it is broadcast to grad's shape.
        stretched = Tensor(np.zeros(shape), requires_grad=True)
        expected = engine_grad(stretched + np.zeros(grad_shape), [stretched], grad_output=grad)[0]
        got = np.asarray(result, dtype=float)
        if not np.allclose(got, expected):
            hint = ""
            if np.all(expected != 0) and np.allclose(got / expected, (got / expected).reshape(-1)[0]):
                ratio = float((got / expected).reshape(-1)[0])
                hint = f" Your values are {ratio:.3g} × the right ones: sum the gradient, don't average it."
            fail(f"{where}: expected {expected.tolist()}, got {got.tolist()}.{hint}")
    passed(f"unbroadcast sums the gradient back to the input's shape in all {len(_UNBROADCAST_CASES)} cases "
        "(new leading axes, stretched length-1 axes, both, and a single number).")
