"""Lesson 01 (`01_autodiff_from_scratch`): a neuron's computation graph, and finite differences
(truncation error against round-off) with the finite-difference explorer.

Exercises: `measure_hand_gradient` (predict, then measure: ∂f/∂x and ∂f/∂y of (x·y + x)²),
`check_fixed_add_bias` (debug: a bias's gradient summed over the wrong axis),
`check_topological_order` (build: a topological order without recursion), `check_kink_steps` (choose:
which finite-difference steps to trust next to a kink); `answer_texts` lists what would give the
predict and choose answers away.
"""
from __future__ import annotations

import sys

import numpy as np
from matplotlib.figure import Figure

from ..engine.autodiff import error_band, gradcheck, no_grad, Tensor
from ..instruments.graph_drawing import plot_computation_graph, trace_computation_graph
from ..instruments.plots import plain_log_ticks
from ..teaching.checking import (
    Choice, as_array, as_number, call_learner, committed_prediction, exercise_checker, fail, passed,
    report_prediction,
)
from ..teaching.explorers import (
    dropdown, Explorer, float_slider, initial_values, int_slider, new_figure, register_explorer,
)

__all__ = [
    "neuron_graph", "neuron_graph_explorer_update", "neuron_graph_explorer",
    "FINITE_DIFFERENCE_FUNCTIONS", "finite_difference_errors", "plot_finite_difference_errors",
    "finite_difference_explorer_update", "finite_difference_explorer", "HAND_GRADIENT_POINT",
    "hand_gradient_graph", "measure_hand_gradient", "check_fixed_add_bias",
    "check_topological_order", "KINK_STEPS", "check_kink_steps", "answer_texts",
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


register_explorer("neuron_graph", neuron_graph_explorer_update, ("x", "w", "b", "y"), neuron_graph_explorer,
                  static_controls=("x", "w"))


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
                  finite_difference_explorer,
                  static_controls=("log10_eps", "function"))

# ==============================================================================================
# Exercise checkers
# ==============================================================================================

# ---- exercise 1 (predict, then measure): the gradients of f = (x·y + x)², by hand --------------------------

HAND_GRADIENT_POINT = {"x": 3.0, "y": -2.0}


def hand_gradient_graph(x: float = HAND_GRADIENT_POINT["x"], y: float = HAND_GRADIENT_POINT["y"]):
    """The graph of f = (x·y + x)² with u = x·y and v = u + x, back-propagated: a `ComputationGraph`
    whose x and y carry ∂f/∂x and ∂f/∂y (x reaches f along two paths: through u, and straight into v)."""
    x_t, y_t = Tensor(float(x), requires_grad=True), Tensor(float(y), requires_grad=True)
    u = x_t * y_t
    v = u + x_t
    f = v**2
    return trace_computation_graph(f, {"x": x_t, "y": y_t, "u": u, "v": v, "f": f})


def _hand_gradients(x: float, y: float) -> dict:
    """∂f/∂x, ∂f/∂y of f = (x·y + x)² by the chain rule, and the two paths' shares of ∂f/∂x."""
    v = x * y + x
    return {"dx": 2 * v * (y + 1), "dy": 2 * v * x, "through_u": 2 * v * y, "direct": 2 * v}


def _predicted_number(value, description: str) -> float:
    """`as_number` for a prediction: True and False are refused (Python would count them as 1 and 0)."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"{description} should be a number, got {value!r}")
    return as_number(value, description)


def measure_hand_gradient(predicted_gradient):
    """Exercise 01.1: back-propagate f = (x·y + x)² at x = 3, y = −2 and compare with the learner's
    (∂f/∂x, ∂f/∂y), committed before. Returns the graph with its gradients drawn (a Figure), or None
    while no prediction is committed."""
    prediction = committed_prediction(predicted_gradient, "your prediction function")
    if prediction is None:
        return None
    if isinstance(prediction, np.ndarray) and prediction.shape == (2,):
        prediction = list(prediction)
    if not isinstance(prediction, (tuple, list)) or len(prediction) != 2:
        fail(f"return two numbers, (df_dx, df_dy); got {type(prediction).__name__} {prediction!r}")
    df_dx, df_dy = (_predicted_number(value, f"your {name}") for value, name in zip(prediction, ("df_dx", "df_dy")))
    graph = hand_gradient_graph()
    gradients = {node.label: float(node.grad) for node in graph.nodes if node.label in ("x", "y")}
    measured_dx, measured_dy = gradients["x"], gradients["y"]
    print(f"Measured by autodiff (f.backward()): ∂f/∂x = {measured_dx:.3g}, ∂f/∂y = {measured_dy:.3g}.")
    right_x = report_prediction(df_dx, measured_dx, "∂f/∂x", tolerance=0.01)
    right_y = report_prediction(df_dy, measured_dy, "∂f/∂y", tolerance=0.01)
    parts = _hand_gradients(**HAND_GRADIENT_POINT)
    close = lambda a, b: abs(a - b) < 0.01  # noqa: E731
    if right_x and right_y:
        print("Both paths from x were counted: in the drawing below, x's gradient is the sum of what its two "
              "arrows carry.")
    elif close(df_dx, measured_dy) and close(df_dy, measured_dx):
        print("Your two numbers are the right ones in the wrong order: return (df_dx, df_dy).")
    elif close(df_dx, parts["through_u"]) or close(df_dx, parts["direct"]):
        which = "through u = x·y" if close(df_dx, parts["through_u"]) else "straight into v = u + x"
        print(f"Your ∂f/∂x counts only the path {which}. x leaves along two arrows, and the chain rule adds "
              "what both carry: see the two arrows leaving x below.")
    elif close(df_dx, -measured_dx) or close(df_dy, -measured_dy):
        print("A sign went astray: v = x·y + x is negative at this point, and ∂f/∂v = 2v carries that sign "
              "into every gradient below it.")
    else:
        print("Start at the top, ∂f/∂f = 1, and work down the drawing below: each box's gradient is the "
              "gradient above it times the label on the arrow, summed where two arrows leave a box.")
    return plot_computation_graph(graph, title="f = (x·y + x)²: the gradients autodiff found")


# ---- exercise 2 (debug): a bias whose gradient was summed over the wrong axis ------------------------------

# Batch shapes (N, D) the fixed op is tried on: a square batch hides a wrong axis from a shape check.
_BIAS_CASES = ((4, 3), (3, 3), (1, 5), (6, 2))


@exercise_checker
def check_fixed_add_bias(fixed_add_bias) -> None:
    """Exercise 01.2: `fixed_add_bias(X, b)`: X (N, D), b (D,) Tensors -> X + b, whose backward hands X the
    incoming gradient and b its sum over the batch; compared with the engine's own `X + b`. Returning
    that `X + b` itself (op "add") is refused: the exercise is the op's own backward."""
    rng = np.random.default_rng(12)
    for n, d in _BIAS_CASES:
        X_values, b_values, g = rng.standard_normal((n, d)), rng.standard_normal(d), rng.standard_normal((n, d))
        where = f"for a batch X of shape {(n, d)} and b of shape {(d,)}"
        X, b = Tensor(X_values.copy(), requires_grad=True), Tensor(b_values.copy(), requires_grad=True)
        out = call_learner(fixed_add_bias, X, b, description=f"fixed_add_bias {where}")
        if not isinstance(out, Tensor):
            fail(f"{where}: fixed_add_bias must return a Tensor, got {type(out).__name__}")
        forward = as_array(out.data, (n, d), f"fixed_add_bias {where}: its value")
        if not np.allclose(forward, X_values + b_values, rtol=1e-12, atol=1e-12):
            fail(f"{where}: the forward value changed; it should stay X + b.")
        if out.is_leaf:
            fail("the result records no backward: build it with Tensor.from_op(data, (X, b), backward, 'add_bias').")
        if out.op == "add":
            fail("fixed_add_bias returned mtl_edu's own X + b, so the backward that runs is the engine's, not "
                 "yours. The exercise is to repair add_bias_with_a_bug's backward: build the result with "
                 "Tensor.from_op(X.data + b.data, (X, b), backward, 'add_bias') and your own backward, as it does.")
        if len(out.parents) != 2 or out.parents[0] is not X or out.parents[1] is not b:
            fail("build the result from X and b themselves, in that order: Tensor.from_op(data, (X, b), backward, "
                 "'add_bias'), so that backward's two gradients go to X and to b.")
        returned = call_learner(out.local_gradients, g, description=f"your backward(g) {where}")
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            fail(f"backward must return a tuple of two gradients, one for X and one for b; got "
                 f"{type(returned).__name__} {returned!r:.60}")
        grad_X, grad_b = (np.asarray(value, dtype=float) for value in returned)
        right_b = g.sum(axis=0)
        if grad_X.shape != (n, d) or not np.allclose(grad_X, g, rtol=1e-12, atol=1e-12):
            if grad_X.shape == right_b.shape and np.allclose(grad_X, right_b):
                fail(f"{where}: the two gradients are swapped; the order follows the inputs (X, b).")
            fail(f"{where}: X's gradient changed. X + b passes the incoming gradient to X unchanged: only b's "
                 "was wrong.")
        if grad_b.shape != (d,):
            if grad_b.shape == (n, d):
                fail(f"{where}: b's gradient has the batch's shape {(n, d)}, not b's {(d,)}: an update "
                     "b − lr·grad would turn the one bias into one per example.")
            if grad_b.shape == (1, d):
                fail(f"{where}: b's gradient has shape (1, {d}), b has shape ({d},): keep b's own shape.")
            if grad_b.shape == (n,):
                fail(f"{where}: b's gradient has shape ({n},), one number per example; b has one entry per "
                     f"feature, shape ({d},). The bug is still there.")
            fail(f"{where}: b's gradient has shape {grad_b.shape}, b has shape {(d,)}.")
        if not np.allclose(grad_b, right_b, rtol=1e-9, atol=1e-12):
            if n == d and np.allclose(grad_b, g.sum(axis=1), rtol=1e-9):
                fail(f"{where}: the shapes agree only because the batch is square; b's gradient is still the "
                     "sum over each example's features. The bug is still there.")
            if np.allclose(grad_b, right_b / n, rtol=1e-9):
                fail(f"{where}: b's gradient is 1/{n} of gradcheck's. b is used once for every example, and "
                     "each use adds its whole share: sum, don't average.")
            fail(f"{where}: b's gradient disagrees with a finite-difference check (largest difference "
                 f"{np.max(np.abs(grad_b - right_b)):.3g}).")
    check = gradcheck(fixed_add_bias, rng.standard_normal((5, 3)), rng.standard_normal(3))
    if not check.passed(1e-6):
        fail(f"gradcheck disagrees with your backward: relative error {check.max_error:.2e} ({error_band(check.max_error)}).")
    passed(f"fixed_add_bias passes gradcheck, and b's gradient keeps b's shape on {len(_BIAS_CASES)} batches, "
           "the square one included.")


# ---- exercise 3 (build): a topological order without recursion -------------------------------------------

class _Node:
    """A stand-in for the lesson's `Value`: a name and the nodes it was computed from (`.inputs`)."""

    __slots__ = ("name", "inputs")

    def __init__(self, name: str, *inputs):
        self.name, self.inputs = name, tuple(inputs)

    def __repr__(self) -> str:
        return f"node {self.name}"


def _test_graphs() -> list:
    """(description, root) of the graphs a topological order is tried on."""
    x = _Node("x")
    a = _Node("a", x)
    squared = _Node("a·a", a, a)  # one node used twice by the same operation
    x2 = _Node("x")
    long_way = _Node("q", _Node("p", x2))
    skip = _Node("out", long_way, x2)  # x2 reaches out directly and through p and q: paths of different lengths
    w, b, y = _Node("w"), _Node("b"), _Node("y")
    d = _Node("d", _Node("σ", _Node("z", _Node("m", w, x2), b)), y)
    neuron = _Node("L", d, d)
    node = _Node("h0")
    for layer in range(1, 5001):
        node = _Node(f"h{layer}", node)
    return [("a single node", x), ("a node used twice by one operation", squared),
            ("a graph where x reaches the output along a short and a long path", skip),
            ("the neuron of section 1", neuron),
            ("a chain of 5001 nodes (deeper than Python lets a recursion go)", node)]


def _call_measuring_depth(function, *args) -> tuple:
    """(function(*args), the deepest nesting of Python calls it reached, itself counted as 1).

    A recursive function goes as deep as the graph; one that keeps its own stack stays a few calls
    deep. Measured with a profile hook (sys.setprofile), so a raised recursion limit does not hide it.
    """
    depth = deepest = 0

    def profile(frame, event, arg):
        nonlocal depth, deepest
        if event == "call":
            depth += 1
            deepest = max(deepest, depth)
        elif event == "return":
            depth -= 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = function(*args)
    finally:
        sys.setprofile(previous)
    return result, deepest


# Deeper than this on the 5001-node chain, a function recursed (an explicit stack stays a few calls deep).
_MAX_CALL_DEPTH = 100


def _reachable(root) -> list:
    found, stack, seen = [], [root], {id(root)}
    while stack:
        node = stack.pop()
        found.append(node)
        for parent in node.inputs:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return found


@exercise_checker
def check_topological_order(topological_order) -> None:
    """Exercise 01.3: `topological_order(root)` lists every node root depends on (through `.inputs`), each
    once and after all of its inputs, root last, without recursion (a 5001-node chain must work, and
    the function's calls must not nest deeper than `_MAX_CALL_DEPTH` on it)."""
    for what, root in _test_graphs():
        try:
            order, deepest = _call_measuring_depth(topological_order, root)
        except NotImplementedError:
            raise
        except RecursionError:
            fail(f"on {what}: RecursionError. Your function calls itself once per node along the path; keep "
                 "your own stack of nodes still to visit (a Python list) instead.")
        except Exception as error:
            fail(f"on {what}: topological_order(root) raised {type(error).__name__}: {error}")
        if deepest > _MAX_CALL_DEPTH:
            fail(f"on {what}: your function's calls nested {deepest} deep, about one level per node: it "
                 "recurses (a raised recursion limit only moves the wall; a deeper graph would overflow the "
                 "stack). Keep your own stack of nodes still to visit (a Python list) instead.")
        if order is None:
            fail("topological_order returned None; did you forget the `return`?")
        if not isinstance(order, (list, tuple)):
            fail(f"return a list of nodes, got {type(order).__name__}")
        nodes = _reachable(root)
        known = {id(node) for node in nodes}
        strangers = [item for item in order if id(item) not in known]
        if strangers:
            fail(f"on {what}: the list holds {strangers[0]!r}, which is not a node of the graph: return the "
                 "nodes themselves (not their names or values).")
        position = {}
        for index, node in enumerate(order):
            if id(node) in position:
                fail(f"on {what}: {node!r} is listed twice. A node reached along two paths must appear once: "
                     "remember which nodes you have already listed or visited.")
            position[id(node)] = index
        missing = [node for node in nodes if id(node) not in position]
        if missing:
            fail(f"on {what}: the list misses {len(missing)} of the graph's {len(nodes)} nodes, e.g. {missing[0]!r}: "
                 "every node the output depends on must be listed, the output itself included.")
        if len(order) > 1 and order[0] is root:
            fail(f"on {what}: the output comes first. List every node after its inputs, so the output comes "
                 "last; backward then walks the list from the end.")
        for node in order:
            for parent in node.inputs:
                if position[id(parent)] > position[id(node)]:
                    fail(f"on {what}: {node!r} comes before its input {parent!r}. Walking the list backwards, "
                         f"{parent!r} would pass its gradient on before all of it has arrived. Emit a node only "
                         "after every one of its inputs has been emitted.")
    passed("topological_order lists each node once, after all of its inputs, on 5 graphs, the 5001-node "
           "chain included.")


# ---- exercise 4 (choose): finite differences next to a kink ----------------------------------------------

KINK_STEPS = Choice(
    "finite differences of |x − 0.003| at x0 = 0",
    {
        "a": "that carries the smooth functions' V over to a kink. Whether a kink makes a V too is for the "
             "blue curve to say: follow it from the smallest step to the largest and find its lowest point.",
        "b": "that takes a kink to spoil every difference quotient near it, but the kink is at 0.003, not at "
             "0, and the derivative at x0 exists. Read the band of the blue curve at each step in turn.",
        "c": "that expects every visible step to feel the kink. Whether x0 ± ε reaches the kink depends on "
             "ε against the kink's distance, 0.003: read the blue curve's band between 10⁻⁹ and 10⁻³.",
        "d": "within 0.003 of x0 the function is a straight line, and a central difference of a straight line "
             "has no truncation error at all: only round-off is left, and it grows as the step shrinks. A "
             "larger step reaches past the kink and averages the two slopes.",
    },
    correct="d",
)


@exercise_checker
def check_kink_steps(answer) -> None:
    """Exercise 01.4: read the finite-difference explorer for |x − 0.003| at x0 = 0."""
    KINK_STEPS.judge(answer)


def answer_texts() -> dict:
    """What would give away this lesson's predict and choose answers (tests/test_solutions.py scans for it)."""
    parts = _hand_gradients(**HAND_GRADIENT_POINT)
    dx, dy = parts["dx"], parts["dy"]
    return {
        "ex1_hand_gradient": [f"∂f/∂x = {dx:.3g}", f"∂f/∂y = {dy:.3g}",
                              f"∂f/∂y = {dy:.3g}".replace("-", "−")],
        "ex4_kink_steps": [KINK_STEPS.feedback[KINK_STEPS.correct], "steps across the kink"],
    }
