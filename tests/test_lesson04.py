"""Lesson 04: the fix-it explorer (compute, update, widget), its static figures, the exercise checkers,
and the divergence error the lesson shows."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from mtl_edu import nn, optim
from mtl_edu.teaching import checking
from mtl_edu.teaching import explorers
from mtl_edu.lessons import lesson02, lesson04
from mtl_edu.data.datasets import make_moons
from mtl_edu.engine.functional import cross_entropy
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

@pytest.mark.parametrize("checker", [lesson04.check_clip_gradients, lesson04.check_leaky_relu_std,
                                     lesson04.check_half_the_depth])
def test_stubs_are_not_attempted(checker, capsys):
    assert checker(_stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


# exercise 1 (debug): clipping by the joint norm

def _clip_jointly(params, max_norm):
    total = float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))
    if total > max_norm:
        for p in params:
            p.grad = p.grad * (max_norm / total)
    return total


def _clip_each(params, max_norm):
    """The lesson's buggy version: every tensor clipped by its own norm."""
    norms = []
    for p in params:
        norm = np.linalg.norm(p.grad)
        if norm > max_norm:
            p.grad = p.grad * (max_norm / norm)
        norms.append(norm)
    return float(np.sqrt(np.sum(np.square(norms))))


def test_clipping_all_gradients_together_passes(capsys):
    _passes(lesson04.check_clip_gradients, _clip_jointly, capsys)


def test_calling_the_librarys_clip_grad_norm_is_refused_and_it_works_again_afterwards(capsys):
    # the checker's expectation is what optim.clip_grad_norm does, so calling it would pass any value check
    _fails(lesson04.check_clip_gradients, lambda params, c: optim.clip_grad_norm(params, c),
           "mtl_edu's own clip_grad_norm")
    notebook: dict = {}  # a learner's namespace, where the function was imported by name
    exec("from mtl_edu.nets.optim import clip_grad_norm\n"
         "def fixed_clip_gradients(params, max_norm):\n    return clip_grad_norm(params, max_norm)\n", notebook)
    _fails(lesson04.check_clip_gradients, notebook["fixed_clip_gradients"], "mtl_edu's own clip_grad_norm")
    assert notebook["clip_grad_norm"] is optim.clip_grad_norm
    assert optim.clip_grad_norm.__name__ == "clip_grad_norm"
    param = nn.Linear(2, 2, rng=np.random.default_rng(0)).weight
    param.grad = np.full((2, 2), 3.0)
    assert optim.clip_grad_norm([param], 1.0) == pytest.approx(6.0)


def test_the_lessons_per_tensor_clipping_leaves_a_longer_gradient_that_points_elsewhere():
    # the symptom the lesson prints, on the section-2 network at its start: norm 25.6 -> 3.7, turned by 35°
    X, y = make_moons(128, noise=0.1, rng=np.random.default_rng(0))
    net = nn.MLP([2] + [32] * 10 + [2], activation="relu", init="he_normal", gain=1.3, rng=np.random.default_rng(1))
    cross_entropy(net(X), y).backward()
    params = net.parameters()
    original = np.concatenate([p.grad.ravel() for p in params])
    assert _clip_each(params, 1.0) == pytest.approx(np.linalg.norm(original), rel=1e-12)
    clipped = np.concatenate([p.grad.ravel() for p in params])
    assert 3.65 < np.linalg.norm(clipped) < 3.75
    angle = np.degrees(np.arccos(clipped @ original / (np.linalg.norm(clipped) * np.linalg.norm(original))))
    assert 34.6 < angle < 35.4


def _clip_by_value(params, max_norm):
    for p in params:
        p.grad = np.clip(p.grad, -max_norm, max_norm)
    return float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))


def _stretch_always(params, max_norm):
    total = float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))
    for p in params:
        p.grad = p.grad * (max_norm / total) if total > 0 else p.grad
    return total


def _divide_by_zero(params, max_norm):
    total = float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for p in params:
            p.grad = p.grad * min(1.0, max_norm / total) if total > 0 else p.grad / total
    return total


def _returns_the_norm_after(params, max_norm):
    _clip_jointly(params, max_norm)
    return float(np.sqrt(sum(np.sum(p.grad ** 2) for p in params)))


def _forgets_to_return(params, max_norm):
    _clip_jointly(params, max_norm)


@pytest.mark.parametrize("answer, fragments", [
    (_clip_each, ("each tensor is still clipped on its own", "norm 2, above max_norm")),
    (_clip_by_value, ("clipping by value",)),
    (_stretch_always, ("already short enough and must come back unchanged",)),
    (lambda params, c: 0.0, ("came back unchanged, but their joint norm is above max_norm",)),
    (_divide_by_zero, ("came back as NaN", "zero gradient")),
    (_returns_the_norm_after, ("you returned 1 (that is the norm after clipping)",)),
    (_forgets_to_return, ("returned None",)),
])
def test_clipping_non_fixes_are_named(answer, fragments):
    _fails(lesson04.check_clip_gradients, answer, *fragments)


def test_clipping_that_fixes_the_norm_but_not_the_direction_is_named():
    def scaled_apart(params, max_norm):
        total = _clip_jointly(params, max_norm)
        if total > max_norm and len(params) > 1:  # move length from one tensor to another: same norm, new direction
            first, second = params[0], params[1]
            a, b = np.linalg.norm(first.grad), np.linalg.norm(second.grad)
            first.grad = first.grad * np.sqrt(a * a + b * b) / a
            second.grad = np.zeros_like(second.grad)
        return total
    _fails(lesson04.check_clip_gradients, scaled_apart, "not scaled by one common factor")


# exercise 2 (build): the leaky-ReLU standard deviation

def test_leaky_relu_std_right_answer_passes_without_restating_the_formula(capsys):
    out = _passes(lesson04.check_leaky_relu_std, lambda n, a: np.sqrt(2.0 / ((1 + a * a) * n)), capsys)
    assert "√" not in out and "slope²" not in out


@pytest.mark.parametrize("answer, fragments", [
    (lambda n, a: np.sqrt(2.0 / n), ("ignores the slope", "0.625", "1.25")),
    (lambda n, a: np.sqrt(2.0 / ((1 + a) * n)), ("(1 + slope) where it should be (1 + slope²)",)),
    (lambda n, a: 2.0 / ((1 + a * a) * n), ("returned the variance",)),
    (lambda n, a: np.sqrt(1.0 / ((1 + a * a) * n)), ("multiplies the second moment by 0.5",)),
    (lambda n, a: "big", ("should be a number",)),
])
def test_leaky_relu_std_wrong_answers_are_named(answer, fragments):
    _fails(lesson04.check_leaky_relu_std, answer, *fragments)


# exercise 3 (predict): 16 residual ReLU blocks with He init

def test_residual_measurement_waits_for_a_prediction(capsys):
    lesson04.measure_residual_gradient(_stub)
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


def test_residual_relu_blocks_with_he_init_grow_the_gradient_by_about_root_2_per_block():
    # each block adds a branch as large as its input: the squared norm doubles per block, 2^(16/2) = 256
    ratio = lesson04.layer_one_ratio(**lesson04.RESIDUAL_PREDICTION)
    assert 256 / 2 < ratio < 256 * 2
    plain = lesson04.layer_one_ratio(16, "relu", "he_normal")
    assert ratio > 100 * plain  # the shortcuts, not He init, make it grow
    # trained like the fix-it nets, it diverges early (what the measuring cell prints and draws)
    run = lesson04.fix_it_run(**lesson04.RESIDUAL_PREDICTION)
    assert run.diverged_at is not None and run.diverged_at <= 10


def test_the_stored_lesson_draws_exercise_3s_net_only_in_its_measuring_cell():
    import json
    from pathlib import Path
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "04_exploding_gradients_and_fixes.ipynb"
    code = ["".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"]
    assert not any('"relu", "he_normal", residual=True)' in source for source in code)
    assert set(lesson04.RESIDUAL_FIGURE["ReLU + He + residual"].items()) <= set(lesson04.RESIDUAL_PREDICTION.items())


@pytest.mark.parametrize("prediction, fragments", [
    (256.0, ["Measured", "3.5e+02", "✓ Close"]),
    (1.0, ["too low by a factor of 3.5e+02", "'I + small' needs a small branch"]),
    (65536.0, ["too high by a factor of 1.9e+02", "not by 2"]),
    (np.float32(256.0), ["✓ Close"]),
    (np.array(256.0), ["✓ Close"]),
    ([256.0], ["✓ Close"]),
])
def test_residual_measurement_reports_the_gap_in_direction_and_size(prediction, fragments, capsys):
    fig = lesson04.measure_residual_gradient(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out
    assert "diverges at step" in out
    # after a prediction, the figure with all three nets, Exercise 3's among them
    assert isinstance(fig, Figure)
    labels = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    assert any(label.startswith("ReLU + He + residual") for label in labels), labels
    assert len(png_of(fig)) > 1000


def test_residual_measurement_shows_no_figure_before_a_prediction(capsys):
    assert lesson04.measure_residual_gradient(_stub) is None


def test_residual_measurement_names_a_prediction_that_is_not_a_positive_number():
    _fails(lesson04.measure_residual_gradient, lambda: [1, 2], "should be one number")
    _fails(lesson04.measure_residual_gradient, lambda: None, "returned None")
    _fails(lesson04.measure_residual_gradient, lambda: True, "got the bool True")
    _fails(lesson04.measure_residual_gradient, lambda: float("inf"), "should be a finite number")
    _fails(lesson04.measure_residual_gradient, lambda: 0.0, "a ratio of two gradient norms is a positive number")
    _fails(lesson04.measure_residual_gradient, lambda: -3.0, "a ratio of two gradient norms is a positive number")


# exercise 4 (choose): the exploding net at half the depth

def test_halving_the_depth_of_the_exploding_net_takes_about_the_square_root_of_its_gap():
    deep, shallow = (lesson04.layer_one_ratio(depth, "relu", "normal") for depth in lesson04.EXPLODING_DEPTHS)
    assert 5e8 < deep < 9e8                             # "about 7 × 10⁸" in the question
    assert 1e4 < shallow < 1e5                          # "a few times 10⁴", the right option
    assert abs(np.log(shallow) / np.log(deep) - 0.5) < 0.05


def test_half_the_depth_right_option_confirms_without_naming_the_letter(capsys):
    out = _passes(lesson04.check_half_the_depth, lambda: "d", capsys)
    assert "(d)" not in out.lower() and "10⁴" not in out


@pytest.mark.parametrize("answer, fragment", [
    ("a", "takes the gap for a property of the N(0, 1) weights' scale"),
    ("b", "treats the gap as a sum of the layers' contributions"),
    ("c", "expects a shallower net to be a healthy one"),
    ("x", "the options are 'a', 'b', 'c', 'd', got 'x'"),
])
def test_half_the_depth_wrong_options_name_the_misconception(answer, fragment):
    _fails(lesson04.check_half_the_depth, lambda: answer, fragment)


def test_half_the_depth_wrong_options_do_not_explain_the_right_one():
    for letter in "abc":
        feedback = lesson04.HALF_THE_DEPTH.feedback[letter]
        for giveaway in ("product", "factor", "square root", "decades"):
            assert giveaway not in feedback, (letter, giveaway)


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
