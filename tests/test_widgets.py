"""Explorers: their update functions, the widget framework, and the computation-graph drawing.

Widgets are driven from Python (setting `control.value`), without a browser or a kernel.
"""
import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mtl_edu import Tensor  # noqa: E402
from mtl_edu.teaching import explorers  # noqa: E402
from mtl_edu.lessons import lesson00  # noqa: E402
from mtl_edu.lessons import lesson01  # noqa: E402
from mtl_edu.instruments import plots  # noqa: E402
from mtl_edu.instruments.graph_drawing import plot_computation_graph, trace_computation_graph  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def shown_png(explorer) -> str | None:
    data = explorer.output.outputs[0]["data"] if explorer.output.outputs else {}
    return data.get("image/png")


def shown_text(explorer) -> str:
    return explorer.output.outputs[0]["data"].get("text/plain", "") if explorer.output.outputs else ""


def another_value(control):
    """A different valid value: the other state of a checkbox, another option, or one slider step."""
    if isinstance(control.value, bool):
        return not control.value
    if hasattr(control, "options"):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(o for o in options if o != control.value)
    step = control.step
    return control.value - step if control.value + step > control.max else control.value + step


# ---- every registered explorer -----------------------------------------------------------------------

def test_registry_names_match_widget_factories():
    assert explorers.EXPLORERS, "no explorer registered"
    assert set(explorers.EXPLORERS) == set(explorers.EXPLORER_WIDGETS)
    for name, (update, defaults) in explorers.EXPLORERS.items():
        assert callable(update) and isinstance(defaults, dict) and defaults, name


@pytest.mark.parametrize("name", sorted(explorers.EXPLORERS))
def test_update_at_defaults_returns_a_titled_figure_that_renders(name):
    update, defaults = explorers.EXPLORERS[name]
    figures_before = plt.get_fignums()
    fig = update(**defaults)
    assert isinstance(fig, Figure), f"{name}: update returned {type(fig).__name__}"
    titles = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""]
    assert any(titles), f"{name}: figure has no title"
    png = explorers.figure_to_png(fig)
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000
    assert plt.get_fignums() == figures_before, f"{name}: update left a pyplot figure open"


@pytest.mark.parametrize("name", sorted(explorers.EXPLORER_WIDGETS))
def test_widget_builds_with_class_and_redraws_when_a_control_changes(name):
    defaults = explorers.EXPLORERS[name][1]
    first = next(iter(defaults))
    explorer = explorers.EXPLORER_WIDGETS[name](**{first: defaults[first]})  # initial values are accepted
    assert explorer.values() == defaults
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorers.EXPLORER_CLASS in explorer._dom_classes
    assert set(explorer.controls) == set(explorers.EXPLORERS[name][1])
    for control_name, control in explorer.controls.items():
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False, f"{name}.{control_name} updates while dragging"
    first_png = shown_png(explorer)
    assert first_png is not None, f"{name}: no figure at construction; output {shown_text(explorer)!r}"
    # The browser test nudges the first slider by one step: that must redraw a different figure.
    first_control = next(iter(explorer.controls.values()))
    first_control.value = another_value(first_control)
    second_png = shown_png(explorer)
    assert second_png is not None and second_png != first_png, f"{name}: changing the first control did not redraw"


@pytest.mark.parametrize("name", ["sigmoid", "neuron_graph", "finite_difference"])
def test_every_control_of_the_first_lessons_explorers_changes_the_output(name):
    explorer = explorers.EXPLORER_WIDGETS[name]()
    for control_name, control in explorer.controls.items():
        before = shown_png(explorer) or shown_text(explorer)
        control.value = another_value(control)
        after = shown_png(explorer) or shown_text(explorer)
        assert after != before, f"{name}: changing {control_name} left the output unchanged"


@pytest.mark.parametrize("name", sorted(explorers.EXPLORER_WIDGETS))
def test_widget_factory_refuses_unknown_controls(name):
    with pytest.raises(TypeError, match="no control named"):
        explorers.EXPLORER_WIDGETS[name](not_a_control=1)


# ---- the framework -------------------------------------------------------------------------------------

def _square_plot(a: float = 1.0) -> Figure:
    if a == 0:
        raise ValueError("a must not be 0: try a = 1.")
    if a < 0:
        return "negative a: nothing to draw, choose a > 0."
    fig, ax = explorers.new_figure((3, 2))
    ax.plot([0, 1, 2], [0, a, 4 * a])
    ax.set_title(f"a = {a}")
    return fig


def test_explorer_shows_message_for_valueerror_and_for_returned_text_then_recovers():
    slider = ipywidgets.FloatSlider(value=1.0, min=-2, max=2, step=1, continuous_update=True)
    explorer = explorers.Explorer(_square_plot, {"a": slider}, title="Square", help_text="help")
    assert slider.continuous_update is False, "the Explorer must switch continuous updates off"
    assert shown_png(explorer) and "a = 1" in explorer.status.value
    slider.value = 0.0
    assert shown_png(explorer) is None
    assert shown_text(explorer) == "a must not be 0: try a = 1."
    assert "not drawn" in explorer.status.value
    slider.value = -1.0
    assert shown_text(explorer) == "negative a: nothing to draw, choose a > 0."
    slider.value = 2.0
    assert shown_png(explorer) and "a = 2" in explorer.status.value


def test_explorer_reraises_unexpected_errors_after_saying_so():
    def broken(a=1.0):
        raise KeyError("oops")

    with pytest.raises(KeyError):
        explorers.Explorer(broken, {"a": ipywidgets.FloatSlider(value=1.0)}, title="Broken")


def test_explorer_passes_a_progress_callback_and_hides_the_bar_afterwards():
    seen = []

    def slow(a=1.0, progress=None):
        for step in range(3):
            progress(step + 1, 3)
            seen.append(step)
        return _square_plot(a)

    explorer = explorers.Explorer(slow, {"a": ipywidgets.FloatSlider(value=1.0)}, title="Slow", reports_progress=True)
    assert seen == [0, 1, 2]
    assert explorer.progress.max == 3 and explorer.progress.value == 3
    assert explorer.progress.layout.display == "none"


def test_register_explorer_refuses_duplicates_and_unknown_controls():
    with pytest.raises(ValueError, match="already registered"):
        explorers.register_explorer("sigmoid", _square_plot, ("a",), lesson00.sigmoid_explorer)
    with pytest.raises(TypeError, match="no control named"):
        explorers.register_explorer("square_test_only", _square_plot, ("b",), lesson00.sigmoid_explorer)
    with pytest.raises(TypeError, match="tuple of parameter names"):
        explorers.register_explorer("square_test_only", _square_plot, "a", lesson00.sigmoid_explorer)

    def no_default(a: float) -> Figure:
        return _square_plot(a)

    with pytest.raises(TypeError, match=r"give the update function's parameters \['a'\] a default"):
        explorers.register_explorer("square_test_only", no_default, ("a",), lesson00.sigmoid_explorer)
    assert "square_test_only" not in explorers.EXPLORERS


def test_every_explorers_defaults_are_its_update_functions_defaults():
    import inspect

    for name, (update, defaults) in explorers.EXPLORERS.items():
        parameters = inspect.signature(update).parameters
        assert defaults and defaults == {control: parameters[control].default for control in defaults}, name
    # the values the lessons start from (the widget's first figure)
    assert explorers.EXPLORERS["sigmoid"][1] == {"steepness": 1.0, "x_range": 6.0, "point": 1.0}
    assert explorers.EXPLORERS["capstone"][1] == {"branch_depth": 2, "method": "equal", "weights_seed": 0}


def test_plain_log_ticks_label_decades_without_mathtext():
    fig, ax = explorers.new_figure((3, 2))
    ax.loglog([1e-6, 1e-1], [1e-6, 1e-1])
    plots.plain_log_ticks(ax.xaxis)
    formatter = ax.xaxis.get_major_formatter()
    assert formatter(1e-6, 0) == "10⁻⁶" and formatter(100.0, 0) == "10²" and formatter(1.0, 0) == "10⁰"
    plots.plain_log_ticks(ax.yaxis, step=3)
    assert ax.yaxis.get_major_formatter()(1e-3, 0) == "10⁻³" and ax.yaxis.get_major_formatter()(1e-4, 0) == ""


# ---- lesson 00: sigmoid ------------------------------------------------------------------------------

def test_sigmoid_slope_is_the_derivative_and_at_most_a_quarter_of_the_steepness():
    x = np.linspace(-8, 8, 1601)
    for steepness in (0.5, 1.0, 3.0):
        sigma, slope = lesson00.sigmoid_and_slope(x, steepness)
        numeric = np.gradient(sigma, x)
        assert np.allclose(slope, numeric, atol=2e-4 * steepness**2)
        assert slope.max() <= steepness / 4 + 1e-15
        assert slope[800] == pytest.approx(steepness / 4)  # x = 0
    with np.errstate(all="raise"):  # no overflow far out
        sigma, slope = lesson00.sigmoid_and_slope(np.array([-1000.0, 1000.0]))
    assert sigma.tolist() == [0.0, 1.0] and slope.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("controls", [
    {"steepness": 0.25, "x_range": 1.0, "point": -1.0},
    {"steepness": 4.0, "x_range": 12.0, "point": 8.0},
    {"steepness": 2.0, "x_range": 3.0, "point": 3.0},
])
def test_sigmoid_update_at_edge_values(controls):
    assert isinstance(lesson00.sigmoid_explorer_update(**controls), Figure)


@pytest.mark.parametrize("controls, words", [
    ({"point": 7.5, "x_range": 6.0}, ["7.5", "±6", "outside"]),
    ({"steepness": 0.0}, ["steepness", "positive", "0"]),
    ({"x_range": -1.0}, ["range", "positive", "-1"]),
])
def test_sigmoid_update_explains_settings_it_cannot_draw(controls, words):
    with pytest.raises(ValueError) as error:
        lesson00.sigmoid_explorer_update(**controls)
    for word in words:
        assert word in str(error.value)


def test_sigmoid_widget_shows_the_explanation_then_the_figure_again():
    explorer = lesson00.sigmoid_explorer()
    explorer.controls["point"].value = 7.5
    assert "outside the plotted range" in shown_text(explorer) and shown_png(explorer) is None
    explorer.controls["x_range"].value = 8.0
    assert shown_png(explorer) is not None


# ---- lesson 01: the neuron graph -----------------------------------------------------------------------

def test_neuron_graph_gradients_match_the_chain_rule_by_hand():
    x, w, b, y = 1.5, -0.8, 0.5, 1.0
    graph = lesson01.neuron_graph(x, w, b, y)
    by_label = {node.label: node for node in graph.nodes}
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    dL_dz = 2 * (a - y) * a * (1 - a)
    assert by_label["L"].value == pytest.approx((a - y) ** 2)
    assert by_label["w"].grad == pytest.approx(dL_dz * x)
    assert by_label["x"].grad == pytest.approx(dL_dz * w)
    assert by_label["b"].grad == pytest.approx(dL_dz)
    assert by_label["a"].grad == pytest.approx(2 * (a - y))
    assert by_label["y"].grad is None and by_label["y"].kind == "constant"
    assert by_label["L"].kind == "output" and by_label["L"].formula == "L = d²"
    assert by_label["z"].formula == "z = m + b" and by_label["a"].formula == "a = σ(z)"


def test_neuron_graph_edge_labels_are_local_derivatives():
    graph = lesson01.neuron_graph(1.5, -0.8, 0.5, 1.0)
    label = {node.key: node.label for node in graph.nodes}
    local = {(label[e.source], label[e.target]): e.local_derivative for e in graph.edges}
    assert local[("w", "m")] == pytest.approx(1.5) and local[("x", "m")] == pytest.approx(-0.8)
    assert local[("m", "z")] == 1.0 and local[("b", "z")] == 1.0
    assert local[("y", "d")] is None  # a constant receives no gradient
    # The chain rule, read off the graph: grad(parent) = Σ grad(child) × local derivative.
    grad = {node.label: node.grad for node in graph.nodes}
    assert grad["z"] == pytest.approx(grad["a"] * local[("z", "a")])


# ---- lesson 01: finite differences ---------------------------------------------------------------------

def test_finite_difference_errors_show_truncation_and_round_off():
    fn = lesson01.FINITE_DIFFERENCE_FUNCTIONS["x³ − 2x + 1/(1+x²)"][0]
    epsilons = np.array([1e-1, 1e-2, 1e-3, 1e-6, 1e-13])
    result = lesson01.finite_difference_errors(fn, 0.7, epsilons)
    x = 0.7
    assert result["exact"] == pytest.approx(3 * x * x - 2 - 2 * x / (1 + x * x) ** 2, rel=1e-14)
    central, forward = result["central"], result["forward"]
    # Truncation: central error ∝ ε², forward ∝ ε.
    assert central[0] / central[1] == pytest.approx(100, rel=0.05)
    assert forward[1] / forward[2] == pytest.approx(10, rel=0.05)
    # Round-off: the tiniest step is far worse than a moderate one.
    assert central[4] > 100 * central[3]
    assert central[3] < 1e-8


def test_finite_difference_explorer_refuses_steps_outside_the_domain_and_unknown_functions():
    with pytest.raises(ValueError, match=r"√x is defined only for x > 0.*x0 − ε = -0.1"):
        lesson01.finite_difference_explorer_update(x0=0.0, function="√x")
    assert isinstance(lesson01.finite_difference_explorer_update(x0=0.2, function="√x"), Figure)
    with pytest.raises(ValueError, match="Unknown function 'sin'"):
        lesson01.finite_difference_explorer_update(function="sin")


@pytest.mark.parametrize("function", sorted(lesson01.FINITE_DIFFERENCE_FUNCTIONS))
@pytest.mark.parametrize("log10_eps", [-13, -1])
def test_finite_difference_update_for_every_function_at_extreme_steps(function, log10_eps):
    x0 = 1.0 if function == "√x" else 0.0
    assert isinstance(lesson01.finite_difference_explorer_update(log10_eps=log10_eps, x0=x0, function=function), Figure)


def test_kink_is_wrong_for_steps_across_it_and_exact_for_small_ones():
    fn = lesson01.FINITE_DIFFERENCE_FUNCTIONS["|x − 0.003| (a kink)"][0]
    result = lesson01.finite_difference_errors(fn, 0.0, np.array([1e-1, 1e-4]))
    assert result["central"][0] > 1e-2 and result["central"][1] < 1e-10


# ---- computation-graph tracing and drawing ----------------------------------------------------------

def test_a_node_used_twice_gets_two_edges_and_the_summed_gradient():
    x = Tensor(0.8, requires_grad=True)
    f = x * x + 2 * x
    graph = trace_computation_graph(f, {"x": x, "f": f})
    x_node = next(n for n in graph.nodes if n.label == "x")
    uses = [e for e in graph.edges if e.source == x_node.key]
    assert len(uses) == 3  # twice by x·x, once by x·2
    assert float(x_node.grad) == pytest.approx(2 * 0.8 + 2)
    assert graph.nodes[-1].formula == "f = (x · x) + (x · 2)"
    assert isinstance(plot_computation_graph(graph, "twice"), Figure)


def test_trace_refuses_a_freed_graph_a_used_leaf_and_a_huge_graph():
    x = Tensor(1.0, requires_grad=True)
    f = (x * 3).tanh()
    f.backward()
    with pytest.raises(ValueError, match="already holds a gradient"):
        trace_computation_graph((x * 2).sum(), {"x": x})
    x.grad = None
    with pytest.raises(ValueError, match="already back-propagated"):
        trace_computation_graph(f, {"x": x})
    chain = x
    for _ in range(50):
        chain = chain * 1.0
    with pytest.raises(ValueError, match="more than max_nodes=40"):
        trace_computation_graph(chain)
    with pytest.raises(ValueError, match="does not depend"):
        trace_computation_graph(Tensor(1.0) * 2)


def test_trace_of_an_array_graph_records_shapes_and_no_local_derivatives():
    X = Tensor(np.ones((4, 3)))
    b = Tensor(np.zeros(3), requires_grad=True)
    out = (X + b).sum()
    graph = trace_computation_graph(out, {"X": X, "b": b})
    b_node = next(n for n in graph.nodes if n.label == "b")
    assert b_node.grad.tolist() == [4.0, 4.0, 4.0]  # summed over the batch of 4
    assert all(e.local_derivative is None for e in graph.edges)
    assert isinstance(plot_computation_graph(graph, show_gradients=False), Figure)


# ---- the explorer benchmark ----------------------------------------------------------------------------

def test_explorer_benchmark_walks_the_registry_and_fails_over_the_bar(monkeypatch, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_explorers.py"
    spec = importlib.util.spec_from_file_location("bench_explorers", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "EXPLORERS", {"square": (_square_plot, {"a": 1.0})})
    assert bench.main(["--runs", "2"]) == 0
    assert "square" in capsys.readouterr().out
    monkeypatch.setattr(bench, "BAR_MS", 0.0)
    assert bench.main(["--runs", "1"]) == 1
    assert "median above 0 ms: square" in capsys.readouterr().err
    monkeypatch.setattr(bench, "EXPLORERS", {"square": (_square_plot, {"a": 0.5 - 1.0})})
    with pytest.raises(ValueError, match="message instead of a figure"):
        bench.main(["--runs", "1"])
