"""Lesson 04: the fix-it explorer (compute, update, widget), its static figures, the exercise checkers,
and the divergence error the lesson shows."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from mtl_edu import Tensor, nn, optim
from mtl_edu.teaching import checking
from mtl_edu.teaching import explorers
from mtl_edu.lessons import lesson02, lesson04
from mtl_edu.data.datasets import make_moons
from mtl_edu.nets.train import TrainingDiverged, fit
from checker_helpers import passes as _passes, fails as _fails, stub as _stub

DEPTH = 16  # the explorer's default depth


def png_of(fig) -> bytes:
    assert isinstance(fig, Figure)
    return explorers.figure_to_png(fig)


# ---- the compute function: the physics the lesson claims -------------------------------------------------

def test_vanishing_reference_gradient_fades_by_many_orders_toward_the_input():
    run = lesson04.fix_it_run(DEPTH, "sigmoid", "xavier_normal")
    assert run.grad_norms.shape == (DEPTH + 1,)
    assert np.all(np.isfinite(run.grad_norms)) and np.all(run.grad_norms > 0)
    assert run.grad_norms[0] < 1e-6 * run.grad_norms[-1]
    # it decays layer after layer, not in one place
    assert np.all(np.diff(np.log(run.grad_norms[:-1])) > 0)
    assert run.diverged_at is None and run.losses.shape == (lesson04.FIX_IT_SETTINGS["steps"],)


def test_exploding_reference_gradient_grows_toward_the_input_and_the_run_diverges():
    run = lesson04.fix_it_run(DEPTH, "relu", "normal")
    assert run.grad_norms[0] > 1e3 * run.grad_norms[-1]
    assert run.diverged_at is not None
    assert not np.isfinite(run.losses[-1])
    assert run.losses.shape == (run.diverged_at + 1,)
    assert np.all(np.isfinite(run.losses[:-1]))


def test_he_init_with_relu_keeps_the_gradient_within_a_small_factor_and_trains():
    run = lesson04.fix_it_run(DEPTH, "relu", "he_normal")
    ratio = run.grad_norms[0] / run.grad_norms[-1]
    assert 0.05 < ratio < 20
    assert run.diverged_at is None
    assert run.losses[-1] < 0.5 * run.losses[0]


def test_residual_connections_lift_the_sigmoid_gradient_at_layer_one():
    plain = lesson04.fix_it_run(DEPTH, "sigmoid", "xavier_normal")
    residual = lesson04.fix_it_run(DEPTH, "sigmoid", "xavier_normal", residual=True)
    assert residual.grad_norms[0] > 1e6 * plain.grad_norms[0]


def test_layernorm_flattens_the_exploding_gradient_profile_and_the_net_trains():
    run = lesson04.fix_it_run(DEPTH, "relu", "normal", layernorm=True)
    assert 0.1 < run.grad_norms[0] / run.grad_norms[-1] < 10
    assert run.diverged_at is None and run.losses[-1] < run.losses[0]


@pytest.mark.parametrize("clipping", ["norm", "value"])
def test_clipping_stops_the_divergence_but_leaves_the_initial_gradients_alone(clipping):
    broken = lesson04.fix_it_run(DEPTH, "relu", "normal")
    clipped = lesson04.fix_it_run(DEPTH, "relu", "normal", clipping=clipping)
    assert clipped.diverged_at is None
    assert np.all(np.isfinite(clipped.losses))
    np.testing.assert_array_equal(clipped.grad_norms, broken.grad_norms)


def test_runs_are_deterministic_and_read_only():
    first = lesson04.fix_it_run(3, "tanh", "xavier_normal")
    assert lesson04.fix_it_run(3, "tanh", "xavier_normal") is first  # cached
    second = lesson04._fix_it_run_cached.__wrapped__(3, "tanh", "xavier_normal", False, False, "none")  # fresh
    assert first is not second
    np.testing.assert_array_equal(first.grad_norms, second.grad_norms)
    np.testing.assert_array_equal(first.losses, second.losses)
    with pytest.raises(ValueError):
        second.losses[0] = 0.0


@pytest.mark.parametrize("kwargs, fragment", [
    ({"depth": 0}, "between 1 and"),
    ({"depth": 61}, "between 1 and 60"),
    ({"depth": 2.5}, "whole number"),
    ({"activation": "swish"}, "Unknown activation 'swish'"),
    ({"init": "orthogonal"}, "Unknown init 'orthogonal'"),
    ({"clipping": "both"}, "Unknown clipping 'both'"),
])
def test_settings_that_cannot_work_get_a_clear_message(kwargs, fragment):
    settings = {"depth": 4, "activation": "relu", "init": "he_normal", **kwargs}
    with pytest.raises(ValueError, match=fragment):
        lesson04.fix_it_run(**settings)
    with pytest.raises(ValueError, match=fragment):
        lesson04.fix_it_explorer_update(**settings)


# ---- the update function and the widget ---------------------------------------------------------------

def test_fix_it_is_registered_with_defaults_the_update_accepts():
    update, defaults = explorers.EXPLORERS["fix_it"]
    assert update is lesson04.fix_it_explorer_update
    assert defaults == {"depth": 16, "activation": "relu", "init": "he_normal", "residual": False,
                        "layernorm": False, "clipping": "none"}
    assert explorers.EXPLORER_WIDGETS["fix_it"] is lesson04.fix_it_explorer


def test_update_at_defaults_draws_both_panels_with_three_runs():
    fig = lesson04.fix_it_explorer_update()
    left, right = fig.axes
    assert left.get_yscale() == "log" and right.get_yscale() == "log"
    assert len(left.get_lines()) >= 3 and len(right.get_lines()) >= 3
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert any(label.startswith("your net") for label in labels)
    assert any("diverged at step" in label for label in labels)  # the exploding reference
    assert "relu" in fig._suptitle.get_text() and "He" in fig._suptitle.get_text()
    assert len(png_of(fig)) > 10_000


@pytest.mark.parametrize("controls", [
    {"depth": 1},
    {"depth": 30, "activation": "sigmoid", "residual": True},
    {"depth": 3, "activation": "gelu", "layernorm": True, "clipping": "value"},
    {"init": "normal", "clipping": "norm"},
])
def test_update_at_edge_values_draws(controls):
    fig = lesson04.fix_it_explorer_update(**controls)
    assert len(fig.axes) == 2
    assert png_of(fig)


def test_update_reports_progress_once_per_run():
    calls = []
    lesson04.fix_it_explorer_update(depth=2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def _shown_png(explorer) -> str:
    (output,) = explorer.output.outputs
    return output["data"]["image/png"]


def test_widget_builds_from_python_and_redraws_when_controls_change():
    explorer = lesson04.fix_it_explorer(depth=4)
    assert explorers.EXPLORER_CLASS in explorer._dom_classes
    assert list(explorer.controls) == ["depth", "activation", "init", "residual", "layernorm", "clipping"]
    assert all(getattr(c, "continuous_update", False) is False for c in explorer.controls.values()
               if hasattr(c, "continuous_update"))
    seen = {_shown_png(explorer)}
    for name, value in (("depth", 5), ("activation", "tanh"), ("residual", True), ("layernorm", True),
                        ("clipping", "norm"), ("init", "xavier_normal")):
        explorer.controls[name].value = value
        png = _shown_png(explorer)
        assert png not in seen, f"changing {name} did not change the figure"
        seen.add(png)
        assert f"{name} = " in explorer.status.value


def test_widget_rejects_unknown_initial_controls():
    with pytest.raises(TypeError, match="no control named"):
        lesson04.fix_it_explorer(width=3)


# ---- the lesson's static figures ----------------------------------------------------------------------

def test_static_figures_render():
    k = np.arange(1, 11)
    figures = [
        lesson04.plot_matrix_product_norms({0.9: 0.9**k, 1.1: 1.1**k}, np.array([0.9, 1.0, 1.1]),
                                    np.array([0.3, 1.0, 2.6]), n=8),
        lesson04.plot_clipping_2d(np.array([3.0, 1.0]), np.array([0.95, 0.32]), np.array([1.0, 1.0]), 1.0),
        lesson04.plot_second_moments({"relu": {"He": np.ones(5)}, "tanh": {"He": np.ones(5)}},
                              {"relu": {"theory": np.ones(5)}}),
        lesson02.plot_activation_derivatives(np.linspace(-1, 1, 5), {"relu": (np.zeros(5), np.ones(5))}),
    ]
    for fig in figures:
        assert png_of(fig)


def test_clipping_picture_labels_the_angles():
    fig = lesson04.plot_clipping_2d(np.array([3.0, 1.0]), np.array([0.949, 0.316]), np.array([1.0, 1.0]), 1.0)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("angle 18°" in label for label in labels)
    assert any("angle 45°" in label for label in labels)


def test_second_moments_plot_refuses_other_than_two_activations():
    with pytest.raises(ValueError, match="two activations"):
        lesson04.plot_second_moments({"relu": {"He": np.ones(3)}})


# ---- the divergence the lesson shows ----------------------------------------------------------------------

def test_the_lesson_network_diverges_with_a_message_that_says_what_to_try():
    X, y = make_moons(128, noise=0.1, rng=np.random.default_rng(0))
    net = nn.MLP([2] + [32] * 10 + [2], activation="relu", init="he_normal", gain=1.3, rng=np.random.default_rng(1))
    with pytest.raises(TrainingDiverged) as caught:
        fit(net, X, y, loss="cross_entropy", optimizer=optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
            steps=100, progress=False)
    error = caught.value
    message = str(error)
    assert f"step {error.step}" in message
    assert "loss = nan" in message or "loss = inf" in message
    for remedy in ("learning rate", "clip", "initialisation"):
        assert remedy in message
    # every step was recorded, the failing one included
    assert len(error.history.loss) == error.step + 1 and not np.isfinite(error.history.loss[-1])


# ---- exercise checkers, both ways -----------------------------------------------------------------------

@pytest.mark.parametrize("checker", [lesson04.check_clip_by_norm, lesson04.check_he_std, lesson04.check_leaky_relu_std])
def test_stubs_are_not_attempted(checker, capsys):
    assert checker(_stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


def _clip_by_norm(g, max_norm):
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > max_norm else g


def test_clip_by_norm_right_answer_passes_and_matches_the_library(capsys):
    _passes(lesson04.check_clip_by_norm, _clip_by_norm, capsys)
    # the checker's reference really is optim.clip_grad_norm
    g = np.array([3.0, 4.0])
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = g.copy()
    optim.clip_grad_norm([p], 1.0)
    np.testing.assert_allclose(p.grad, _clip_by_norm(g, 1.0))


@pytest.mark.parametrize("answer, fragment", [
    (lambda g, c: np.clip(g, -c, c), "clipping by value"),
    (lambda g, c: g * (c / np.linalg.norm(g)) if np.linalg.norm(g) > 0 else g, "already shorter than max_norm"),
    (lambda g, c: g, "returned g unchanged"),
    (lambda g, c: g * (c / np.linalg.norm(g) ** 2) if np.linalg.norm(g) > c else g, "direction is right but the length"),
    (lambda g, c: -_clip_by_norm(g, c), "expected (first entries)"),
    (lambda g, c: None, "forget the `return`"),
])
def test_clip_by_norm_wrong_answers_are_named(answer, fragment):
    _fails(lesson04.check_clip_by_norm, answer, fragment)


def test_clip_by_norm_dividing_by_a_zero_norm_is_named():
    def divides_always(g, max_norm):
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.linalg.norm(g)
            return g * min(1.0, max_norm / norm) if norm != 0 else g / norm
    _fails(lesson04.check_clip_by_norm, divides_always, "returned NaN", "zero gradient")


def test_he_std_right_answer_passes(capsys):
    _passes(lesson04.check_he_std, lambda fan_in: np.sqrt(2.0 / fan_in), capsys)


@pytest.mark.parametrize("answer, fragments", [
    (lambda n: np.sqrt(1.0 / n), ("1/fan_in variance", "0.5", "1.8e-15")),
    (lambda n: 2.0 / n, ("the variance 2/fan_in",)),
    (lambda n: np.sqrt(2.0) / n, ("square root of the 2 only",)),
    (lambda n: 0.1, ("he_std(1) = 0.1", "within a factor 2")),
    (lambda n: 1.05 * np.sqrt(2.0 / n), ("expected √(2/1)",)),
])
def test_he_std_wrong_answers_are_named(answer, fragments):
    _fails(lesson04.check_he_std, answer, *fragments)


def test_leaky_relu_std_right_answer_passes(capsys):
    _passes(lesson04.check_leaky_relu_std, lambda n, a: np.sqrt(2.0 / ((1 + a * a) * n)), capsys)


@pytest.mark.parametrize("answer, fragments", [
    (lambda n, a: np.sqrt(2.0 / n), ("ignores the slope", "0.625", "1.25")),
    (lambda n, a: np.sqrt(2.0 / ((1 + a) * n)), ("(1 + slope) where it should be (1 + slope²)",)),
    (lambda n, a: 2.0 / ((1 + a * a) * n), ("returned the variance",)),
    (lambda n, a: np.sqrt(1.0 / ((1 + a * a) * n)), ("multiplies the second moment by 0.5",)),
    (lambda n, a: "big", ("should be a number",)),
])
def test_leaky_relu_std_wrong_answers_are_named(answer, fragments):
    _fails(lesson04.check_leaky_relu_std, answer, *fragments)


# ---- section 2's control: the gain, not only the optimiser -------------------------------------------

def test_the_gain_decides_between_certain_early_divergence_and_none():
    # the claims the lesson prints, with the tolerance a chaotic late divergence needs on other CPUs
    first_bad_step = lesson04.divergence_steps(gains=(0.8, 1.0, 1.3))
    at_08, at_10, at_13 = first_bad_step
    assert first_bad_step.shape == (3, 16)
    assert np.all(at_13 >= 0) and at_13.max() <= 10        # 1.3: every seed, all by step 10
    assert at_13[0] == 9                                     # seed 1 is the lesson's run: step 9
    assert np.all(at_08 < 0)                                 # 0.8: none in 100 steps
    diverged = at_10[at_10 >= 0]
    assert diverged.size >= 1 and diverged.min() >= 30       # 1.0: some, but none in the first 30 steps
    assert diverged.size < 12


def test_divergence_steps_refuses_bad_settings():
    with pytest.raises(ValueError, match="steps must be a whole number"):
        lesson04.divergence_steps(steps=0)
    with pytest.raises(ValueError, match="gains > 0"):
        lesson04.divergence_steps(gains=(0.0,))
