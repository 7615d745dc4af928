"""Lesson 01 (`01_autodiff_from_scratch`): a neuron's computation graph, and finite differences
(truncation error against round-off) with the finite-difference explorer.

Exercise checkers: `check_softplus_backward`, `check_hand_gradient`, `check_unbroadcast`.
"""
from __future__ import annotations



import numpy as np
from matplotlib.figure import Figure

from ..engine.autodiff import error_band, grad as engine_grad, gradcheck, no_grad, Tensor
from ..instruments.graph_drawing import plot_computation_graph, trace_computation_graph
from ..instruments.plots import plain_log_ticks
from ..teaching.checking import (
    as_array, as_number, call_learner, exercise_checker, fail, passed, reference_sigmoid, worst_point,
)
from ..teaching.explorers import (
    dropdown, Explorer, float_slider, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "neuron_graph", "neuron_graph_explorer_update", "neuron_graph_explorer",
    "FINITE_DIFFERENCE_FUNCTIONS", "finite_difference_errors", "plot_finite_difference_errors",
    "finite_difference_explorer_update", "finite_difference_explorer", "check_softplus_backward",
    "HAND_GRADIENT_POINT", "check_hand_gradient", "check_unbroadcast",
]


# ==============================================================================================
# Explorers and the lesson's experiments
# ==============================================================================================

def neuron_graph(x: float, w: float, b: float, y: float):
    """The graph of L = (σ(w·x + b) − y)², back-propagated: a `ComputationGraph` with every value
    and gradient (x, w, b are inputs with gradients; the target y is a constant)."""
    inputs = {name: Tensor(float(value), requires_grad=True) for name, value in (("x", x), ("w", w), ("b", b))}
    target = Tensor(float(y))
    m = inputs["w"] * inputs["x"]
    z = m + inputs["b"]
    a = z.sigmoid()
    d = a - target
    loss = d**2
    return trace_computation_graph(loss, {**inputs, "y": target, "m": m, "z": z, "a": a, "d": d, "L": loss})


def neuron_graph_explorer_update(x: float = 1.5, w: float = -0.8, b: float = 0.5, y: float = 1.0) -> Figure:
    """Lesson 01: the neuron's graph with forward values, gradients and local derivatives."""
    graph = neuron_graph(x, w, b, y)
    return plot_computation_graph(graph, title=f"L = (σ(w·x + b) − y)² at x = {x:.3g}, w = {w:.3g}, "
                                               f"b = {b:.3g}, y = {y:.3g}")


def neuron_graph_explorer(**initial) -> Explorer:
    values = initial_values("neuron_graph", initial)
    controls = {name: float_slider(name, values[name], -3.0, 3.0, 0.1, ".1f") for name in ("x", "w", "b", "y")}
    return Explorer(neuron_graph_explorer_update, controls, title="Backprop through one neuron",
                    help_text="Each box: value (forward) and gradient dL/d(box) (backward). "
                              "Each arrow: its local derivative.")


register_explorer("neuron_graph", neuron_graph_explorer_update, ("x", "w", "b", "y"), neuron_graph_explorer)


# ---- finite differences, truncation against round-off ----------------------------------------------------

# name -> (function of a Tensor, smallest x where it is defined). Autodiff gives the exact
# derivative; the same function evaluated without a graph gives the finite differences.
FINITE_DIFFERENCE_FUNCTIONS: dict = {
    "x³ − 2x + 1/(1+x²)": (lambda x: x * x * x - 2 * x + 1 / (1 + x * x), -np.inf),
    "tanh(3x)": (lambda x: (3 * x).tanh(), -np.inf),
    "exp(x)·x": (lambda x: x.exp() * x, -np.inf),
    "√x": (lambda x: x.sqrt(), 0.0),
    "|x − 0.003| (a kink)": (lambda x: (x - 0.003).abs(), -np.inf),
}


def _relative_error(exact: float, estimate: np.ndarray) -> np.ndarray:
    """|g − ĝ| / (|g| + |ĝ|), 0 where both are 0: the measure `gradcheck` uses."""
    denominator = np.abs(exact) + np.abs(estimate)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(exact - estimate) / denominator
    return np.where(denominator == 0, 0.0, error)


def finite_difference_errors(function, x0: float, epsilons: np.ndarray) -> dict:
    """Relative errors of central and forward differences against autodiff, at x0, for each ε.

    function: maps a Tensor to a Tensor, element-wise.
    epsilons: (k,) step sizes. Returns {"exact": float, "central": (k,), "forward": (k,)}.
    central = (f(x0+ε) − f(x0−ε)) / 2ε (truncation error ∝ ε²); forward = (f(x0+ε) − f(x0)) / ε (∝ ε).
    """
    epsilons = np.asarray(epsilons, dtype=float)
    x = Tensor(float(x0), requires_grad=True)
    function(x).backward()
    exact = float(x.grad)
    with no_grad():
        plus, minus, here = (function(Tensor(points)).data for points in (x0 + epsilons, x0 - epsilons, x0))
    return {
        "exact": exact,
        "central": _relative_error(exact, (plus - minus) / (2 * epsilons)),
        "forward": _relative_error(exact, (plus - here) / epsilons),
    }


_BAND_SHADES = ((1e-7, "#d9f0d3"), (1e-4, "#f0f7d4"), (1e-2, "#fdebc8"), (1e1, "#f9d0c4"))


def plot_finite_difference_errors(epsilons: np.ndarray, errors: dict, chosen_eps: float, title: str) -> Figure:
    """Relative error against step ε (log–log) for central and forward differences, over the error bands."""
    fig, ax = new_figure((7.2, 3.8), margins=(0.11, 0.87, 0.13, 0.92))
    lower = 1e-20
    for upper, colour in _BAND_SHADES:
        ax.axhspan(lower, upper, color=colour, zorder=0)
        lower = upper
    margin = ax.get_yaxis_transform()  # x in axes fractions, y in data: labels right of the plot
    for y, text in ((1e-10, "excellent"), (3e-6, "fine for\nkinks"), (1e-3, "suspicious"), (0.1, "wrong")):
        ax.text(1.01, y, text, transform=margin, fontsize=8, color="0.3", va="center", ha="left")
    floor = 1e-15  # log axes cannot show an exact 0
    ax.loglog(epsilons, np.maximum(errors["central"], floor), color="tab:blue", linestyle="-", marker="o",
              markersize=4, label="central (f(x+ε) − f(x−ε)) / 2ε")
    ax.loglog(epsilons, np.maximum(errors["forward"], floor), color="tab:orange", linestyle="--", marker="s",
              markersize=4, label="forward (f(x+ε) − f(x)) / ε")
    ax.axvline(chosen_eps, color="black", linestyle=":", linewidth=1.2)
    chosen = int(np.argmin(np.abs(np.log10(epsilons) - np.log10(chosen_eps))))
    central_at = errors["central"][chosen]
    shown = "0 (exact)" if central_at == 0 else f"{central_at:.1e}"
    ax.annotate(f"ε = {chosen_eps:.0e}: central error {shown}\n({error_band(central_at)})",
                xy=(chosen_eps, max(central_at, floor)), xytext=(0.97, 0.06), textcoords="axes fraction",
                ha="right", fontsize=8.5, arrowprops=dict(arrowstyle="->", color="0.3"),
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="0.7"))
    ax.set_xlim(epsilons.min() / 2, epsilons.max() * 2)
    ax.set_ylim(floor / 2, 3)
    plain_log_ticks(ax.xaxis, step=2)
    plain_log_ticks(ax.yaxis, step=3)
    ax.set_xlabel("step ε (log scale)")
    ax.set_ylabel("relative error vs autodiff (log)")
    ax.set_title(title, y=1.0)
    ax.legend(loc="upper center", fontsize=8)
    return fig


def finite_difference_explorer_update(log10_eps: int = -6, x0: float = 0.7,
                                      function: str = "x³ − 2x + 1/(1+x²)") -> Figure:
    """Lesson 01: how the finite-difference error depends on the step ε (truncation vs round-off)."""
    if function not in FINITE_DIFFERENCE_FUNCTIONS:
        raise ValueError(f"Unknown function {function!r}; choose one of {sorted(FINITE_DIFFERENCE_FUNCTIONS)}.")
    fn, domain_start = FINITE_DIFFERENCE_FUNCTIONS[function]
    epsilons = np.array([10.0**k for k in range(-13, 0)])
    if x0 - epsilons.max() <= domain_start:
        raise ValueError(
            f"{function} is defined only for x > {domain_start:g}, but the largest step reaches "
            f"x0 − ε = {x0 - epsilons.max():.3g}: move x0 above {domain_start + epsilons.max():.3g}."
        )
    errors = finite_difference_errors(fn, x0, epsilons)
    return plot_finite_difference_errors(epsilons, errors, 10.0**log10_eps,
                                         title=f"Finite differences of {function} at x0 = {x0:.3g}")


def finite_difference_explorer(**initial) -> Explorer:
    values = initial_values("finite_difference", initial)
    controls = {
        "log10_eps": int_slider("log₁₀ ε", values["log10_eps"], -13, -1),
        "x0": float_slider("x0", values["x0"], -2.0, 2.0, 0.1, ".1f"),
        "function": dropdown("function", list(FINITE_DIFFERENCE_FUNCTIONS), values["function"]),
    }
    return Explorer(finite_difference_explorer_update, controls, title="Finite-difference step explorer",
                    help_text="Too large a step: truncation error. Too small: round-off. Find the valley.")


register_explorer("finite_difference", finite_difference_explorer_update, ("log10_eps", "x0", "function"),
                  finite_difference_explorer)

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

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
