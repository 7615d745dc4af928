"""Exercise checkers: a right answer gets a tick, a stub gets "not attempted", and typical wrong
answers get an ExerciseError that names the actual mistake."""
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from mtl_edu import Tensor, gradcheck
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
    lesson00.check_sigmoid_derivative, lesson00.check_steepness_peak, lesson01.check_fixed_add_bias,
    lesson01.check_topological_order, lesson01.check_kink_steps,
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
])
def test_slope_width_measurement_reports_the_gap_in_direction_and_size(prediction, fragments, capsys):
    lesson00.measure_slope_width(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out


def test_slope_width_measurement_names_a_prediction_that_is_not_a_number():
    fails(lesson00.measure_slope_width, lambda: "six", "your predicted |x| should be a number")
    fails(lesson00.measure_slope_width, lambda: None, "returned None")
    fails(lesson00.measure_slope_width, lambda: -6.0, "predict a positive number, got -6")


def test_steepness_peak_right_option_confirms_without_naming_the_letter(capsys):
    out = passes(lesson00.check_steepness_peak, lambda: " (C) ", capsys)
    assert "(c)" not in out.lower()


@pytest.mark.parametrize("answer, fragment", [
    ("a", "whose slope is a different function of x"),
    ("b", "narrower is not lower"),
    ("d", "takes the slider's value itself for the peak"),
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

# exercise 1: predict the two gradients, then measure

def test_hand_gradient_measurement_waits_for_a_prediction(capsys):
    assert lesson01.measure_hand_gradient(stub) is None
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


def test_hand_gradient_graph_carries_the_chain_rule_gradients():
    grads = {node.label: float(node.grad) for node in lesson01.hand_gradient_graph().nodes}
    # v = x·y + x = -3 at (3, -2): df/dx = 2v(y + 1) = 6, df/dy = 2v·x = -18
    assert grads["x"] == pytest.approx(6.0) and grads["y"] == pytest.approx(-18.0)


@pytest.mark.parametrize("prediction, fragments", [
    ((6.0, -18.0), ["Measured by autodiff", "✓ Close", "Both paths"]),
    ((12.0, -18.0), ["too high by 6", "only the path through u"]),
    ((-6.0, -18.0), ["too low by 12", "only the path straight into v"]),
    ((-18.0, 6.0), ["wrong order"]),
    ((6.0, 18.0), ["too high by 36", "sign went astray"]),
    ((1.0, 1.0), ["too low by 5", "too high by 19", "Start at the top"]),
])
def test_hand_gradient_measurement_reports_each_gap_and_names_the_slip(prediction, fragments, capsys):
    fig = lesson01.measure_hand_gradient(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out
    assert isinstance(fig, Figure) and "gradients autodiff found" in fig._suptitle.get_text()


def test_hand_gradient_measurement_names_a_prediction_of_the_wrong_form():
    fails(lesson01.measure_hand_gradient, lambda: 6.0, "return two numbers")
    fails(lesson01.measure_hand_gradient, lambda: (6.0, "x"), "your df_dy should be a number")
    fails(lesson01.measure_hand_gradient, lambda: (True, -18.0), "your df_dx should be a number, got True")
    fails(lesson01.measure_hand_gradient, lambda: (6.0, np.inf), "your df_dy should be a finite number")
    fails(lesson01.measure_hand_gradient, lambda: None, "returned None")


@pytest.mark.parametrize("prediction", [
    (np.float64(6.0), np.int64(-18)), [np.array(6.0), [-18.0]], np.array([6.0, -18.0]),
])
def test_hand_gradient_measurement_takes_any_real_number_form(prediction, capsys):
    lesson01.measure_hand_gradient(lambda: prediction)
    assert capsys.readouterr().out.count("✓ Close") == 2


# exercise 2: the bias summed over the wrong axis

def bias_op(gradients):
    """X + b as an op whose backward returns gradients(g) (a tuple for X and b)."""
    def op(X, b):
        return Tensor.from_op(X.data + b.data, (X, b), gradients, "add_bias")

    return op


def test_the_planted_bias_bug_is_seen_by_gradcheck_on_a_square_batch():
    # what the lesson's symptom cell shows: shapes agree on a (3, 3) batch, values do not
    result = gradcheck(bias_op(lambda g: (g, g.sum(axis=1))), np.ones((3, 3)), np.arange(3.0))
    assert result.errors[0] < 1e-7 and result.errors[1] > 1e-2


def test_fixed_bias_right_answer_passes(capsys):
    out = passes(lesson01.check_fixed_add_bias, bias_op(lambda g: (g, g.sum(axis=0))), capsys)
    assert "square" in out


@pytest.mark.parametrize("gradients, fragments", [
    (lambda g: (g, g.sum(axis=1)), ["shape (4,), one number per example", "bug is still there"]),
    (lambda g: (g, g), ["the batch's shape (4, 3)"]),
    (lambda g: (g, g.mean(axis=0)), ["1/4 of gradcheck's", "sum, don't average"]),
    (lambda g: (g, g.sum(axis=0, keepdims=True)), ["shape (1, 3)", "keep b's own shape"]),
    (lambda g: (g.sum(axis=0), g), ["swapped"]),
    (lambda g: (2 * g, g.sum(axis=0)), ["X's gradient changed"]),
    (lambda g: g.sum(axis=0), ["a tuple of two gradients"]),
])
def test_fixed_bias_non_fixes_are_named(gradients, fragments):
    fails(lesson01.check_fixed_add_bias, bias_op(gradients), *fragments)


def test_fixed_bias_catches_the_wrong_axis_on_a_square_batch():
    # the bug moved: a backward that is right for a (4, 3) batch but sums the rows of a square one
    def gradients(g):
        return g, (g.sum(axis=1) if g.shape[0] == g.shape[1] else g.sum(axis=0))

    fails(lesson01.check_fixed_add_bias, bias_op(gradients), "(3, 3)", "only because the batch is square")


def test_fixed_bias_names_a_changed_forward_and_a_missing_graph():
    fails(lesson01.check_fixed_add_bias,
          lambda X, b: Tensor.from_op(X.data + 2 * b.data, (X, b), lambda g: (g, g.sum(axis=0)), "add_bias"),
          "the forward value changed")
    fails(lesson01.check_fixed_add_bias, lambda X, b: Tensor(X.data + b.data), "records no backward")
    fails(lesson01.check_fixed_add_bias, lambda X, b: X.data + b.data, "must return a Tensor")


def test_fixed_bias_refuses_the_engines_own_addition_and_other_inputs():
    # X + b is right in value and gradient, but the backward that runs is the engine's, not the learner's
    fails(lesson01.check_fixed_add_bias, lambda X, b: X + b, "mtl_edu's own X + b", "Tensor.from_op")
    fails(lesson01.check_fixed_add_bias, lambda X, b: b + X, "mtl_edu's own X + b")
    fails(lesson01.check_fixed_add_bias,
          lambda X, b: Tensor.from_op(X.data + b.data, (b, X), lambda g: (g.sum(axis=0), g), "add_bias"),
          "from X and b themselves, in that order")


# exercise 3: a topological order without recursion

def explicit_stack_order(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_pushed = stack.pop()
        if inputs_pushed:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.inputs)
    return order


def recursive_order(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.inputs:
                visit(parent)
            order.append(node)

    visit(root)
    return order


def breadth_first_order(root):
    """Nodes by distance from the root, reversed: wrong when an input is reached by paths of two lengths."""
    order, seen, queue = [], {id(root)}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.inputs:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return order[::-1]


def every_path_order(root):
    """Breadth first without remembering what was seen: a node reached twice is listed twice."""
    order, queue = [], [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        queue.extend(node.inputs)
    return order[::-1]


def test_topological_order_right_answers_pass(capsys):
    passes(lesson01.check_topological_order, explicit_stack_order, capsys)
    # Kahn's algorithm (count the uses of each node, emit a node when all its users are done) is just as right
    def kahn(root):
        users, stack, seen = {}, [root], {id(root)}
        while stack:
            node = stack.pop()
            for parent in node.inputs:
                users[id(parent)] = users.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        order, ready = [], [root]
        while ready:
            node = ready.pop()
            order.append(node)
            for parent in node.inputs:
                users[id(parent)] -= 1
                if users[id(parent)] == 0:
                    ready.append(parent)
        return order[::-1]

    passes(lesson01.check_topological_order, kahn, capsys)


def test_topological_order_refuses_recursion_even_with_a_raised_recursion_limit():
    import sys

    def recursive_with_room(root):
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(100_000)
        try:
            return recursive_order(root)
        finally:
            sys.setrecursionlimit(limit)

    fails(lesson01.check_topological_order, recursive_with_room, "5001 nodes", "nested 50", "recurses",
          "your own stack")


def test_call_depth_is_a_few_calls_for_an_explicit_stack_and_one_per_node_for_recursion():
    import sys

    chain = lesson01._test_graphs()[-1][1]
    order, deepest = lesson01._call_measuring_depth(explicit_stack_order, chain)
    assert len(order) == 5001 and deepest <= 3
    small = lesson01._test_graphs()[3][1]  # the neuron: 9 nodes, 7 levels
    assert lesson01._call_measuring_depth(recursive_order, small)[1] >= 7
    assert sys.getprofile() is None  # the hook is gone afterwards


@pytest.mark.parametrize("answer, fragments", [
    (recursive_order, ["5001 nodes", "RecursionError", "your own stack"]),
    (breadth_first_order, ["short and a long path", "node p comes before its input node x"]),
    (every_path_order, ["listed twice"]),
    (lambda root: explicit_stack_order(root)[::-1], ["the output comes first"]),
    (lambda root: explicit_stack_order(root)[1:], ["misses 1 of the graph's 1 nodes"]),
    (lambda root: [node.name for node in explicit_stack_order(root)], ["not a node of the graph"]),
    (lambda root: None, ["returned None"]),
    (lambda root: root, ["return a list of nodes"]),
    (lambda root: root.missing, ["raised AttributeError"]),
])
def test_topological_order_wrong_answers_are_named(answer, fragments):
    fails(lesson01.check_topological_order, answer, *fragments)


# exercise 4: which steps to trust next to a kink

def test_the_kink_figure_shows_what_the_right_option_says():
    # |x - 0.003| at x0 = 0, over the explorer's steps 1e-13 .. 1e-1: steps shorter than the kink's distance
    # are good (excellent or fine: 1e-13 is only fine), the longer the better; longer steps are wrong
    function, _ = lesson01.FINITE_DIFFERENCE_FUNCTIONS["|x − 0.003| (a kink)"]
    epsilons = np.array([10.0**k for k in range(-13, 0)])
    central = lesson01.finite_difference_errors(function, 0.0, epsilons)["central"]
    clear = epsilons < 0.003
    assert np.all(central[clear] < 1e-4) and np.all(central[~clear] > 1e-2)
    assert np.all(central[clear][1:] <= central[clear][:-1] * 1.01)  # never clearly worse for a longer step
    assert central[clear][-1] < central[clear][0] * 1e-6  # the largest clear step beats the smallest by far


def test_kink_steps_right_option_confirms_without_naming_the_letter(capsys):
    out = passes(lesson01.check_kink_steps, lambda: "D", capsys)
    assert "(d)" not in out.lower()


@pytest.mark.parametrize("answer, fragment", [
    ("a", "carries the smooth functions' V over to a kink"),
    ("b", "the kink is at 0.003, not at 0"),
    ("c", "every visible step to feel the kink"),
    ("e", "the options are 'a', 'b', 'c', 'd', got 'e'"),
    (None, "return one letter as a string"),
])
def test_kink_steps_wrong_options_name_the_misconception(answer, fragment):
    fails(lesson01.check_kink_steps, lambda: answer, fragment)


def test_lesson01_answer_texts_name_each_predict_and_choose_answer():
    texts = lesson01.answer_texts()
    assert set(texts) == {"ex1_hand_gradient", "ex4_kink_steps"}
    assert "∂f/∂x = 6" in texts["ex1_hand_gradient"] and "∂f/∂y = -18" in texts["ex1_hand_gradient"]
    assert lesson01.KINK_STEPS.feedback["d"] in texts["ex4_kink_steps"]


def test_without_library_refuses_the_package_version_by_any_name_and_restores_it():
    from mtl_edu.nets import optim
    notebook: dict = {}  # a learner's namespace, as a notebook has one
    exec("from mtl_edu.nets import optim\nfrom mtl_edu.nets.optim import clip_grad_norm\n"
         "def by_name(_):\n    return clip_grad_norm([], 1.0)\n"
         "def through_module(_):\n    return optim.clip_grad_norm([], 1.0)\n", notebook)
    for learner in (notebook["by_name"], notebook["through_module"]):
        with pytest.raises(checking.ExerciseError, match="mtl_edu's own clip_grad_norm"):
            with checking.without_library(learner, optim.clip_grad_norm):
                learner(None)
    assert notebook["clip_grad_norm"] is optim.clip_grad_norm and optim.clip_grad_norm.__name__ == "clip_grad_norm"
    with pytest.raises(ValueError, match="empty list"):  # restored: the real one runs again
        notebook["by_name"](None)
