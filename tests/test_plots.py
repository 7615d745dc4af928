"""Every figure function draws what it is given, labels it, renders to PNG and rejects bad input
with a clear message."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from mtl_edu import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _main_axes(fig):
    """The plotting axes of a figure (colour bars and hidden panels left out)."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def _data_lines(ax):
    """Lines that draw data (not the invisible legend entries used for notes)."""
    return [line for line in ax.get_lines() if len(line.get_xdata())]


def _check_figure(fig, n_axes, panel_columns=None):
    """A figure of n_axes labelled axes that renders. panel_columns: a grid of panels sharing axes,
    where the left column carries the y label and each column's lowest panel the x label."""
    assert isinstance(fig, Figure)
    axes = _main_axes(fig)
    assert len(axes) == n_axes
    for number, ax in enumerate(axes):
        if panel_columns is None:
            assert ax.get_xlabel() and ax.get_ylabel(), "every axis is labelled"
        else:
            assert bool(ax.get_ylabel()) == (number % panel_columns == 0)
            assert bool(ax.get_xlabel()) == (number + panel_columns >= n_axes)
    assert any(ax.get_title() for ax in axes) or fig.get_suptitle()
    png = plots.figure_to_png_bytes(fig)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000
    return axes


def _assert_lines_differ_beyond_colour(lines):
    shapes = [(str(line.get_linestyle()), line.get_marker()) for line in lines]
    assert len(set(shapes)) == len(shapes), f"two lines share line style and marker: {shapes}"


def test_figures_are_closed_so_jupyter_shows_them_once():
    before = plt.get_fignums()
    fig = plots.plot_layer_gradient_norms({"a": np.ones(3)})
    assert plt.get_fignums() == before  # not held by pyplot: no second display at the cell's end
    assert fig.dpi == plots.DPI


def test_layer_gradient_norms_one_line_per_config_on_a_log_axis():
    norms = {"sigmoid": np.logspace(-8, 0, 20), "tanh": np.logspace(-2, 0, 20), "relu": np.full(12, 0.3)}
    fig = plots.plot_layer_gradient_norms(norms, title="gradients")
    (ax,) = _check_figure(fig, 1)
    lines = _data_lines(ax)
    assert len(lines) == 3 and ax.get_yscale() == "log" and ax.get_title() == "gradients"
    np.testing.assert_array_equal(lines[2].get_xdata(), np.arange(1, 13))  # layers numbered from 1
    _assert_lines_differ_beyond_colour(lines)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sigmoid", "tanh", "relu"]


def test_values_a_log_axis_cannot_show_are_hidden_and_counted():
    fig = plots.plot_layer_gradient_norms({"dead": np.array([0.0, 1e-3, np.inf, 1.0])})
    (ax,) = _main_axes(fig)
    shown = _data_lines(ax)[0].get_ydata()
    assert np.isnan(shown[0]) and np.isnan(shown[2]) and shown[3] == 1.0
    legend_texts = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "1 value(s) <= 0 hidden" in legend_texts and "1 inf/NaN" in legend_texts
    plots.figure_to_png_bytes(fig)


def test_layer_histograms_draw_normalised_densities():
    edges = np.linspace(-1, 1, 11)
    counts = [np.arange(10), np.ones(10) * 5, np.r_[np.zeros(9), 20]]
    fig = plots.plot_layer_histograms([(c, edges) for c in counts], kind="gradients", layers=[1, 3])
    (ax,) = _check_figure(fig, 1)
    lines = _data_lines(ax)
    assert len(lines) == 2
    for line, c in zip(lines, (counts[0], counts[2])):
        density = line.get_ydata()
        assert np.sum(density * 0.2) == pytest.approx(1.0)  # integrates to one over bins of width 0.2
        np.testing.assert_allclose(density, c / c.sum() / 0.2)
    many = [(np.ones(10), edges)] * 40
    assert len(_data_lines(_main_axes(plots.plot_layer_histograms(many))[0])) == 5


def test_heatmap_layer_by_step_has_a_log_colour_bar():
    values = np.outer(np.logspace(-6, 0, 8), np.linspace(1, 2, 30))
    values[0, 0] = 0.0
    fig = plots.plot_heatmap_layer_by_step(values, np.arange(30) * 10, title="norms")
    (ax,) = _check_figure(fig, 1)
    colorbars = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and "log" in colorbars[0].get_ylabel()
    mesh = ax.collections[0]
    assert isinstance(mesh.norm, matplotlib.colors.LogNorm)
    assert mesh.norm.vmin == pytest.approx(values[values > 0].min()) and mesh.norm.vmax == pytest.approx(2.0)
    assert ax.get_ylim() == (0.5, 8.5)


def test_loss_curves_mark_where_a_run_diverged():
    curves = {"lr 0.1": np.exp(-np.arange(50) / 10), "lr 10": np.r_[np.exp(np.arange(20)), np.nan, np.nan]}
    (ax,) = _check_figure(plots.plot_loss_curves(curves), 1)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["lr 0.1", "lr 10 (diverged at step 20)"]
    assert ax.get_yscale() == "log"
    (ax,) = _check_figure(plots.plot_loss_curves({"a": [3.0, 2.0, 1.0]}, log=False, steps=[0, 10, 20]), 1)
    np.testing.assert_array_equal(_data_lines(ax)[0].get_xdata(), [0, 10, 20])
    assert ax.get_yscale() == "linear"


def test_a_view_that_cuts_a_diverged_run_still_shows_its_cross_on_the_top_edge():
    curves = {"lr 10": np.r_[np.exp(np.arange(20)), np.nan]}  # last finite loss e^19 ≈ 1.8e8
    (ax,) = _check_figure(plots.plot_loss_curves(curves, ylim=(1e-2, 1e4)), 1)
    assert ax.get_ylim() == pytest.approx((1e-2, 1e4))
    (cross,) = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert cross.get_xdata()[0] == 19 and cross.get_ydata()[0] == pytest.approx(1e4)
    assert not cross.get_clip_on()
    # inside the view the ✕ stays at the run's last finite loss
    (ax,) = _check_figure(plots.plot_loss_curves(curves, ylim=(1e-2, 1e10)), 1)
    (cross,) = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert cross.get_ydata()[0] == pytest.approx(np.exp(19))


def test_singular_values_sorted_with_reference_line():
    fig = plots.plot_singular_values({"tanh": np.array([0.1, 2.0, 0.5]), "linear": np.ones(3)})
    (ax,) = _check_figure(fig, 1)
    lines = _data_lines(ax)
    np.testing.assert_array_equal(lines[0].get_ydata(), [2.0, 0.5, 0.1])
    assert any(list(line.get_ydata()) == [1, 1] for line in lines)  # the σ = 1 reference


def test_cosine_matrix_prints_every_cell():
    C = np.array([[1.0, -0.5], [-0.5, 1.0]])
    (ax,) = _check_figure(plots.plot_cosine_matrix(C, ["depth", "normals"]), 1)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["-0.50", "-0.50", "1.00", "1.00"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["depth", "normals"]


def test_trajectories_on_contours_panels_and_overlay():
    X1, X2 = np.meshgrid(np.linspace(-2, 2, 30), np.linspace(-2, 2, 30))
    Z = X1**2 + X2**2
    path = np.linspace([1.5, 1.5], [0, 0], 5000)  # long: thinned for drawing
    trajectories = {f"m{i}": np.stack([path, -path]) for i in range(5)}
    starts = np.array([[1.5, 1.5], [-1.5, -1.5]])
    fig = plots.plot_trajectories_on_contours(X1, X2, Z, trajectories, starts, pareto_set=np.zeros((2, 2)))
    axes = _check_figure(fig, 5, panel_columns=4)
    assert [ax.get_title() for ax in axes] == list(trajectories)
    assert all(len(line.get_xdata()) <= 1501 for line in _data_lines(axes[0]))
    fig = plots.plot_trajectories_on_contours(X1, X2, Z, {"a": path, "b": -path}, starts[:1])
    (ax,) = _check_figure(fig, 1)
    methods = [line for line in _data_lines(ax) if line.get_label() in ("a", "b")]
    _assert_lines_differ_beyond_colour(methods)


def test_loss_space_and_tradeoff():
    front = np.stack([np.linspace(0, 1, 10), 1 - np.linspace(0, 1, 10)], axis=1)
    (ax,) = _check_figure(plots.plot_loss_space({"mgda": front[::-1] + 1}, front), 1)
    assert "Pareto front" in [t.get_text() for t in ax.get_legend().get_texts()]
    methods = {name: np.stack([front[::-1] + k, front[::-1] + k + 0.5]) for k, name in enumerate("abcde")}
    axes = _check_figure(plots.plot_loss_space(methods, front), 5, panel_columns=4)   # small multiples
    assert [ax.get_title() for ax in axes] == list(methods)
    assert all(any(line.get_label() == name for line in ax.get_lines()) for ax, name in zip(axes, methods))
    assert {t.get_text() for t in axes[0].figure.legends[0].get_texts()} == {"start", "Pareto front"}
    (ax,) = _check_figure(plots.plot_loss_space(methods, front, panels=False), 1)
    with pytest.raises(ValueError, match="panels=True draws its own figure"):
        plots.plot_loss_space(methods, front, ax=ax, panels=True)
    (ax,) = _check_figure(plots.plot_tradeoff_curve(front, current=[0.5, 0.5], weights=np.linspace(0, 1, 10)), 1)
    assert len([t for t in ax.texts if t.get_text().startswith("w=")]) == 6


@pytest.mark.parametrize("call, message", [
    (lambda: plots.plot_layer_gradient_norms({}), "norms_by_config is empty"),
    (lambda: plots.plot_layer_gradient_norms([1, 2]), "must be a dict"),
    (lambda: plots.plot_layer_gradient_norms({"a": np.ones((2, 2))}), r"must be 1-D, got shape \(2, 2\)"),
    (lambda: plots.plot_heatmap_layer_by_step(np.ones((3, 5)), steps=np.arange(4)),
     "5 columns .* steps has 4 entries"),
    (lambda: plots.plot_cosine_matrix(np.eye(3), ["a", "b"]), "3 x 3 but 2 task names"),
    (lambda: plots.plot_cosine_matrix(np.ones((2, 3)), ["a", "b"]), "must be square"),
    (lambda: plots.plot_loss_curves({"a": np.ones(5)}, steps=np.arange(4)), "5 values but its steps have 4"),
    (lambda: plots.plot_loss_curves({"a": np.ones(5)}, ylim=(0, 1)), r"low > 0 on a log axis, got \(0.0, 1.0\)"),
    (lambda: plots.plot_loss_curves({"a": np.ones(5)}, log=False, ylim=(2, 1)), "low < high"),
    (lambda: plots.plot_layer_histograms([(np.ones(3), np.ones(3))]), "3 counts need 4 bin edges"),
    (lambda: plots.plot_layer_histograms([(np.ones(3), np.arange(4))], layers=[2]), r"layers \[2\] do not exist"),
    (lambda: plots.plot_layer_histograms([], kind="weights"), "kind must be one of"),
    (lambda: plots.plot_trajectories_on_contours(np.ones((3, 3)), np.ones((3, 3)), np.ones((3, 3)),
                                                 {"a": np.ones((5, 3))}, np.zeros((1, 2))), r"must have shape \(n, 2\)"),
    (lambda: plots.plot_tradeoff_curve(np.ones((4, 2)), weights=np.ones(3)), "4 points but 3 weights"),
])
def test_bad_input_gives_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_figure_to_png_bytes_rejects_non_figures():
    with pytest.raises(TypeError, match="expected a matplotlib Figure"):
        plots.figure_to_png_bytes("not a figure")


def test_paired_differences_figure_states_each_rows_interval_and_verdict():
    from mtl_edu.instruments.plots import plot_paired_differences

    rng = np.random.default_rng(0)
    fig = plot_paired_differences({"clearly lower": rng.normal(-5.0, 1.0, 10), "unclear": rng.normal(0.0, 1.0, 10),
                                   "clearly higher": rng.normal(5.0, 1.0, 10)},
                                  xlabel="difference", negative_means="A better", positive_means="B better")
    labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert [label.split(": ")[-1] for label in labels] == ["A better", "no difference shown", "B better"]
    assert labels[0].startswith("clearly lower\n")
    with pytest.raises(ValueError, match="at least 2 seeds"):
        plot_paired_differences({"one seed": [1.0]}, xlabel="d")

    def bar_colours(fig):  # the interval bars: the thick lines, one per row, top row first
        return [line.get_color() for line in fig.axes[0].get_lines() if line.get_linewidth() == 4]

    differences = {"lower": rng.normal(-5.0, 1.0, 10), "higher": rng.normal(5.0, 1.0, 10)}
    assert bar_colours(plot_paired_differences(differences, xlabel="d")) == ["tab:green", "tab:red"]
    assert bar_colours(plot_paired_differences(differences, xlabel="d", higher_is_better=True)) == ["tab:red", "tab:green"]


def test_compared_histograms_share_their_axes_and_name_each_network():
    from mtl_edu import nn, probes

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 8)), rng.integers(0, 3, size=64)
    stats = {name: probes.layer_statistics(nn.MLP([8, 8, 8, 3], activation="tanh", gain=gain, rng=1), X, y,
                                           loss="cross_entropy") for name, gain in (("small", 0.5), ("large", 2.0))}
    fig = plots.compare_layer_histograms(stats, kind="gradients", layers=[1, 2], title="two nets")
    left, right = fig.axes
    assert [left.get_title(), right.get_title()] == ["small", "large"]
    assert left.get_xlim() == right.get_xlim() and left.get_ylim() == right.get_ylim()
    with pytest.raises(ValueError):
        plots.compare_layer_histograms({}, kind="gradients")
