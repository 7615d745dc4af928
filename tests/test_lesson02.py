"""Lesson 02: the decision-boundary explorer, the initialisation experiment and the exercise checkers.

Widgets are driven from Python (setting `control.value`), without a browser or a kernel.
"""
import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mtl_edu import Tensor, functional, nn, no_grad, train  # noqa: E402
from mtl_edu.teaching import checking  # noqa: E402
from mtl_edu.teaching import explorers  # noqa: E402
from mtl_edu.lessons import lesson02  # noqa: E402
from mtl_edu.data.datasets import make_circles  # noqa: E402
from checker_helpers import passes, fails, stub

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = {"steps": 50}  # enough to draw a boundary; keeps each widget redraw quick


def shown(explorer) -> dict:
    return explorer.output.outputs[0]["data"] if explorer.output.outputs else {}


# ---- the compute function ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_run():
    return lesson02.decision_boundary_run(**explorers.EXPLORERS["decision_boundary"][1])


def test_default_run_learns_the_moons_and_records_about_a_hundred_losses(default_run):
    run = default_run
    assert run.diverged_at is None
    assert run.train_accuracy >= 0.9 and run.test_accuracy >= 0.9
    # one record every 3 steps, and the trained model at step 300
    assert run.steps[0] == 0 and run.steps[-1] == 300 and 100 <= run.steps.size <= 102
    assert run.train_loss.shape == run.test_loss.shape == run.steps.shape
    assert run.train_loss[0] > 0.6 and run.train_loss[-1] < 0.5 * run.train_loss[0]
    assert run.probability.shape == run.grid_x.shape == run.grid_y.shape
    assert 0.0 <= run.probability.min() < 0.1 and 0.9 < run.probability.max() <= 1.0


def test_the_run_is_deterministic_and_its_numbers_agree_with_the_model():
    X_train, y_train, X_test, y_test = lesson02.toy_split("circles")
    runs, models = [], []
    for _ in range(2):
        model = nn.MLP([2, 8, 1], activation="tanh", rng=3)
        runs.append(lesson02.train_and_map(model, X_train, y_train, X_test, y_test, lr=0.5, steps=40))
        models.append(model)
    a, b = runs
    assert np.array_equal(a.train_loss, b.train_loss) and np.array_equal(a.probability, b.probability)
    with no_grad():
        logits = models[0](X_test)
        final_test = functional.binary_cross_entropy_with_logits(logits, y_test[:, None].astype(float))
        grid_logits = models[0](np.column_stack([a.grid_x.ravel(), a.grid_y.ravel()]))
    assert a.test_loss[-1] == pytest.approx(float(final_test.data), rel=1e-12)
    assert a.test_accuracy == train.accuracy(logits.data, y_test)
    assert np.allclose(a.probability.ravel(), 1 / (1 + np.exp(-grid_logits.data[:, 0])))
    # the grid covers every point, train and test
    for X in (X_train, X_test):
        assert a.grid_x.min() < X[:, 0].min() and X[:, 0].max() < a.grid_x.max()
        assert a.grid_y.min() < X[:, 1].min() and X[:, 1].max() < a.grid_y.max()


def test_toy_split_gives_the_same_data_for_a_name_and_seed_and_holds_out_30_percent():
    for dataset in lesson02.TOY_DATASETS:
        first, second = lesson02.toy_split(dataset), lesson02.toy_split(dataset)
        assert all(np.array_equal(a, b) for a, b in zip(first, second))
        X_train, y_train, X_test, y_test = first
        assert X_train.shape == (140, 2) and X_test.shape == (60, 2)
        assert set(np.unique(y_train)) == {0, 1}
    assert not np.array_equal(lesson02.toy_split("moons", seed=1)[0], lesson02.toy_split("moons")[0])


def test_a_huge_learning_rate_kills_relu_units():
    run = lesson02.decision_boundary_run(activation="relu", lr=10.0)
    assert run.dead_units > 10 and run.train_accuracy == pytest.approx(0.5, abs=0.05)
    healthy = lesson02.decision_boundary_run(activation="relu", lr=0.5)
    assert healthy.dead_units < run.dead_units


def test_a_diverging_run_is_drawn_with_its_loss_blowing_up_and_no_boundary():
    run = lesson02.decision_boundary_run(activation="relu", lr=100.0, depth=6, width=64, steps=50)
    assert run.diverged_at is not None and run.probability is None
    assert not np.isfinite(run.train_loss[-1]) and np.isnan(run.train_accuracy)
    assert run.train_loss[0] < 2 and np.nanmax(run.train_loss[np.isfinite(run.train_loss)]) > 1e10
    fig = lesson02.decision_boundary_explorer_update(activation="relu", lr=100.0, depth=6, width=64, steps=50)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("diverged" in t and "Lower the learning rate" in t for t in texts)
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)


# ---- the update function: defaults, edges, settings that cannot work ----------------------------------

def test_update_at_defaults_returns_a_two_panel_titled_figure_and_leaks_no_pyplot_figure():
    update, defaults = explorers.EXPLORERS["decision_boundary"]
    before = plt.get_fignums()
    fig = update(**defaults)
    assert isinstance(fig, Figure)
    assert "moons" in fig._suptitle.get_text()
    boundary, losses = fig.axes[:2]
    assert "train acc" in boundary.get_title() and boundary.get_xlabel() and boundary.get_ylabel()
    assert losses.get_yscale() == "log" and "log scale" in losses.get_ylabel()
    assert [line.get_label() for line in losses.get_lines()] == ["train", "test"]
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)
    assert plt.get_fignums() == before


@pytest.mark.parametrize("controls", [
    {"depth": 1, "width": 1},
    {"depth": 6, "width": 64},
    {"lr": 1e-3},
    {"lr": 10.0},
    {"steps": 1},
    {"dataset": "spirals", "activation": "identity"},
    {"dataset": "circles", "activation": "sigmoid", "optimizer": "adam"},
    {"activation": "leaky_relu"},
    {"activation": "gelu"},
])
def test_update_draws_a_figure_at_edge_values(controls):
    fig = lesson02.decision_boundary_explorer_update(**{**FAST, **controls})
    assert isinstance(fig, Figure)
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)


@pytest.mark.parametrize("controls, words", [
    ({"lr": 0.0}, ["learning rate", "above 0", "0"]),
    ({"lr": -0.1}, ["learning rate", "-0.1"]),
    ({"lr": float("nan")}, ["learning rate"]),
    ({"depth": 0}, ["depth", "got 0", "straight-line"]),
    ({"depth": 11}, ["depth", "from 1 to 10"]),
    ({"width": 0}, ["width", "got 0"]),
    ({"steps": 0}, ["steps", "got 0"]),
    ({"steps": 2.5}, ["steps", "2.5"]),
    ({"dataset": "blobs"}, ["Unknown dataset", "'blobs'", "moons"]),
    ({"activation": "swish"}, ["Unknown activation", "'swish'", "relu"]),
    ({"optimizer": "rmsprop"}, ["optimizer", "'rmsprop'"]),
])
def test_update_explains_settings_that_cannot_work(controls, words):
    with pytest.raises(ValueError) as error:
        lesson02.decision_boundary_explorer_update(**{**FAST, **controls})
    for word in words:
        assert word in str(error.value), f"{word!r} not in {str(error.value)!r}"


# ---- the widget ----------------------------------------------------------------------------------------

def test_widget_is_built_from_python_and_every_control_redraws():
    explorer = lesson02.decision_boundary_explorer(**FAST)
    assert explorers.EXPLORER_CLASS in explorer._dom_classes
    assert set(explorer.controls) == set(explorers.EXPLORERS["decision_boundary"][1])
    assert all(c.continuous_update is False for c in explorer.controls.values() if hasattr(c, "continuous_update"))
    assert isinstance(explorer.controls["lr"], ipywidgets.FloatLogSlider)
    new_values = {"dataset": "circles", "depth": 3, "width": 8, "activation": "relu", "optimizer": "adam",
                  "lr": 0.1, "steps": 60}
    for name, value in new_values.items():
        before = shown(explorer).get("image/png")
        explorer.controls[name].value = value
        after = shown(explorer).get("image/png")
        assert after is not None and after != before, f"changing {name} did not redraw"
        assert f"{name} = " in explorer.status.value
    assert explorer.values() == new_values


def test_widget_shows_a_message_not_a_traceback_for_a_setting_that_cannot_work():
    # The sliders cannot reach lr = 0 or depth = 0; a text box wired to the same update function can.
    lr_box = ipywidgets.FloatText(value=0.5)
    explorer = explorers.Explorer(lesson02.decision_boundary_explorer_update, {"lr": lr_box, "steps": ipywidgets.IntText(value=20)},
                          title="test", reports_progress=True)
    assert "image/png" in shown(explorer)
    lr_box.value = 0.0
    assert "learning rate" in shown(explorer)["text/plain"] and "image/png" not in shown(explorer)
    assert "not drawn" in explorer.status.value
    lr_box.value = 0.2
    assert "image/png" in shown(explorer)


def test_progress_is_reported_up_to_the_last_recorded_step():
    calls = []
    lesson02.decision_boundary_explorer_update(steps=200, progress=lambda done, total: calls.append((done, total)))
    assert calls and all(total == 200 for _, total in calls)
    assert calls[-1][0] == 199 and [done for done, _ in calls] == sorted(done for done, _ in calls)


# ---- the initialisation experiment ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def init_runs():
    return lesson02.initialisation_experiment()


def test_init_experiment_uses_the_settings_asserted_by_the_literature_test():
    literature = pytest.importorskip("test_literature_init")
    assert lesson02.INIT_EXPERIMENT["sizes"] == literature.CIRCLE_SIZES
    assert (lesson02.INIT_EXPERIMENT["lr"], lesson02.INIT_EXPERIMENT["steps"]) == (literature.LR, literature.STEPS)
    X_train, y_train, _, _ = lesson02.initialisation_data()
    X, y = make_circles(300, noise=0.05, factor=0.8, rng=1)  # the literature test's circles
    assert np.array_equal(X_train, X) and np.array_equal(y_train, y)


def test_zeros_stay_at_chance(init_runs):
    run = init_runs["zeros"]
    assert run.initial_output == 0.0
    # Only the output bias can move, and it shifts every point alike: the loss never leaves log 2 by much.
    assert run.train_loss[0] == pytest.approx(np.log(2), abs=1e-12)
    assert np.allclose(run.train_loss, np.log(2), atol=1e-3)
    assert run.train_loss[-1] == pytest.approx(np.log(2), abs=1e-6)
    assert run.train_accuracy == pytest.approx(0.5, abs=0.05)
    assert np.ptp(run.probability) < 1e-12  # one probability everywhere: no boundary at all
    assert run.dead_units == 15  # every hidden pre-activation is exactly 0, where ReLU passes no gradient


def test_huge_init_saturates_and_trains_poorly(init_runs):
    huge, he = init_runs["N(0, 1) × 10"], init_runs["He"]
    assert huge.initial_output > 100 * he.initial_output
    assert huge.train_loss[0] > 100 * he.train_loss[0]
    assert huge.train_accuracy < 0.9 and huge.train_accuracy < he.train_accuracy - 0.1
    assert huge.dead_units > 0


def test_he_init_learns_the_circles(init_runs):
    run = init_runs["He"]
    assert run.train_accuracy >= 0.95 and run.test_accuracy >= 0.9
    assert run.train_loss[-1] < 0.2 and run.dead_units == 0


def test_init_experiment_refuses_unknown_settings():
    with pytest.raises(TypeError, match="no setting named"):
        lesson02.initialisation_experiment(learning_rate=0.1)


def test_boundary_panels_draw_one_titled_panel_per_run(init_runs):
    fig = lesson02.plot_boundary_panels(init_runs, "three starts")
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 3 and all(label in t for label, t in zip(init_runs, titles))
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)


# ---- exercise 1: the forward pass -------------------------------------------------------------------------

@pytest.mark.parametrize("checker", [lesson02.check_mlp_forward, lesson02.check_fixed_accuracy,
                                     lesson02.check_large_learning_rate])
def test_checkers_say_not_attempted_for_the_stub(checker, capsys):
    checker(stub)
    assert capsys.readouterr().out.strip() == checking.NOT_ATTEMPTED


def test_mlp_forward_right_answer_passes(capsys):
    out = passes(lesson02.check_mlp_forward, lambda X, W1, b1, W2, b2: (X @ W1 + b1).tanh() @ W2 + b2, capsys)
    assert "same gradients" in out


@pytest.mark.parametrize("answer, fragment", [
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1) @ W2 + b2, "no activation"),
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1).relu() @ W2 + b2, "ReLU instead of tanh"),
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1).sigmoid() @ W2 + b2, "sigmoid instead of tanh"),
    (lambda X, W1, b1, W2, b2: (X @ W1).tanh() @ W2 + b2, "first bias b1 is missing"),
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1).tanh() @ W2, "output bias b2 is missing"),
    (lambda X, W1, b1, W2, b2: ((X @ W1 + b1).tanh() @ W2 + b2).tanh(), "tanh on the output"),
    (lambda X, W1, b1, W2, b2: (X @ W1 + b1).tanh() @ W2 + b2 + 0.1, "expected"),
])
def test_mlp_forward_names_the_slip(answer, fragment):
    fails(lesson02.check_mlp_forward, answer, fragment)


def test_mlp_forward_refuses_numpy_results_shapes_and_detached_graphs():
    fails(lesson02.check_mlp_forward, lambda X, W1, b1, W2, b2: np.tanh(X.data @ W1.data + b1.data) @ W2.data + b2.data,
          "must return a Tensor", "ndarray")
    fails(lesson02.check_mlp_forward, lambda X, W1, b1, W2, b2: ((X @ W1 + b1).tanh() @ W2 + b2).sum(axis=1),
          "shape (6,)", "expected (6, 1)")
    fails(lesson02.check_mlp_forward,
          lambda X, W1, b1, W2, b2: (X @ Tensor(W1.data) + b1).tanh() @ W2 + b2, "no gradient on W1")
    fails(lesson02.check_mlp_forward, lambda X, W1, b1, W2, b2: X @ W2, "raised")
    fails(lesson02.check_mlp_forward, lambda X, W1, b1, W2, b2: None, "forget the `return`")
    # right values, but a Tensor made from .data: no graph at all (the checker says so before backward())
    fails(lesson02.check_mlp_forward,
          lambda X, W1, b1, W2, b2: Tensor(np.tanh(X.data @ W1.data + b1.data) @ W2.data + b2.data),
          "records no graph", "not from their .data")


def test_mlp_forward_cannot_pass_by_calling_the_packages_layers():
    def through_mlp(X, W1, b1, W2, b2):
        model = nn.MLP([2, 8, 1], activation="tanh")
        for layer, (W, b) in zip(model.layers, ((W1, b1), (W2, b2))):
            layer.weight, layer.bias = W, b
        return model(X)

    def through_linear(X, W1, b1, W2, b2):
        first, second = nn.Linear(2, 8), nn.Linear(8, 1)
        first.weight, first.bias, second.weight, second.bias = W1, b1, W2, b2
        return second(first(X).tanh())

    fails(lesson02.check_mlp_forward, through_mlp, "mtl_edu's own MLP")
    fails(lesson02.check_mlp_forward, through_linear, "mtl_edu's own Linear")
    assert nn.MLP.__name__ == "MLP" and isinstance(nn.MLP([2, 1]), nn.Module)  # restored afterwards


# ---- exercise 2: predict the steps a ten times smaller learning rate needs, then measure ------------------

def test_small_learning_rate_measurement_waits_for_a_prediction(capsys):
    assert lesson02.measure_small_learning_rate(stub) is None
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


@pytest.fixture(scope="module")
def learning_rate_race():
    return {lr: lesson02.steps_to_reach_loss(lr) for lr in lesson02.SLOW_LEARNING_RATE["learning_rates"]}


def test_the_fast_run_is_section_4s_loop_and_the_crossings_are_far_from_a_tie(learning_rate_race):
    target = lesson02.SLOW_LEARNING_RATE["target_loss"]
    (fast_steps, fast_losses), (slow_steps, slow_losses) = learning_rate_race.values()
    # section 4 prints loss 0.747 at step 0 and 0.167 at step 300 for lr = 0.5; the question says 292 steps
    assert f"{fast_losses[0]:.3f}" == "0.747" and fast_steps == 292
    assert fast_losses.size == fast_steps + 1 and slow_losses.size == slow_steps + 1
    # each run crosses the target once, by a margin far above last-bit differences between CPUs
    for steps, losses in learning_rate_race.values():
        assert losses[-1] < target <= losses[-2]
        assert min(target - losses[-1], losses[-2] - target) > 1e-6
    # a ten times smaller step needs about ten times as many steps: the answer region of the exercise
    assert 8 < slow_steps / fast_steps < 11


def test_steps_to_reach_loss_says_none_when_the_target_is_out_of_reach():
    steps, losses = lesson02.steps_to_reach_loss(0.05, target_loss=0.17, max_steps=100)
    assert steps is None and losses.size == 101 and losses.min() > 0.17


@pytest.mark.parametrize("prediction, fragments", [
    (2900, ["Measured: below 0.17 after 292 steps with lr = 0.5", "✓ Close", "nearly coincide"]),
    (292, ["too low by a factor of 9.2", "not more effective per step"]),
    (30000, ["too high by a factor of 11", "in proportion to 1/lr"]),
])
def test_small_learning_rate_measurement_reports_the_gap_and_draws_both_runs(prediction, fragments, capsys):
    fig = lesson02.measure_small_learning_rate(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [line.get_label() for line in fig.axes[1].get_lines()][:2] == ["lr = 0.5", "lr = 0.05"]
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)


def test_small_learning_rate_measurement_names_a_prediction_that_is_not_a_number():
    fails(lesson02.measure_small_learning_rate, lambda: "ten times", "your predicted number of steps should be a number")
    fails(lesson02.measure_small_learning_rate, lambda: True, "should be a number, got True")
    fails(lesson02.measure_small_learning_rate, lambda: float("nan"), "should be a finite number")
    fails(lesson02.measure_small_learning_rate, lambda: 0, "a number of steps is positive")
    fails(lesson02.measure_small_learning_rate, lambda: -2900, "a number of steps is positive")
    fails(lesson02.measure_small_learning_rate, lambda: None, "returned None")


@pytest.mark.parametrize("prediction", [np.int64(2900), np.float32(2900.0), np.array(2900), [2900]])
def test_small_learning_rate_measurement_takes_any_real_number_form(prediction, capsys):
    lesson02.measure_small_learning_rate(lambda: prediction)
    assert "✓ Close" in capsys.readouterr().out


# ---- exercise 3: the accuracy that compares every prediction with every label ------------------------------

def accuracy_with_a_bug(logits, y):
    """The lesson's planted bug: (n, 1) predictions against (n,) labels."""
    return float(np.mean((logits > 0).astype(int) == y))


def test_the_planted_accuracy_bug_says_50_percent_for_balanced_labels_whatever_the_logits():
    _, y_train, _, _ = lesson02.toy_split("moons")
    rng = np.random.default_rng(0)
    for logits in (rng.normal(size=(140, 1)), np.where(y_train[:, None] == 1, 1.0, -1.0)):
        assert accuracy_with_a_bug(logits, y_train) == 0.5


def test_fixed_accuracy_right_answers_pass(capsys):
    passes(lesson02.check_fixed_accuracy, lambda logits, y: float(np.mean((logits[:, 0] > 0) == y)), capsys)
    passes(lesson02.check_fixed_accuracy, lambda logits, y: np.mean((logits > 0) == y[:, None]), capsys)
    # the probability route is just as right
    passes(lesson02.check_fixed_accuracy,
           lambda logits, y: np.mean(((1 / (1 + np.exp(-logits))) > 0.5).reshape(-1) == y), capsys)


@pytest.mark.parametrize("answer, fragment", [
    (accuracy_with_a_bug, "the bug is still there"),
    (lambda logits, y: np.mean((logits.T > 0) == y[:, None]), "the bug is still there"),
    (lambda logits, y: np.mean((logits[:, 0] > 0.5) == y), "compared the logits with 0.5"),
    (lambda logits, y: np.sum((logits[:, 0] > 0) == y), "number of correct points"),
    (lambda logits, y: 100 * np.mean((logits[:, 0] > 0) == y), "percentage"),
    (lambda logits, y: np.mean((logits[:, 0] > 0) != y), "error rate"),
    (lambda logits, y: np.mean((logits > 0) == y, axis=0), "returned an array of shape (10,)"),
    (lambda logits, y: (logits[:, 0] > 0) == y, "one value per point"),
    (lambda logits, y: 0.5, "expected 0.6, got 0.5"),
    (lambda logits, y: None, "returned None"),
])
def test_fixed_accuracy_names_the_non_fix(answer, fragment):
    fails(lesson02.check_fixed_accuracy, answer, fragment)


def test_fixed_accuracy_cannot_pass_by_calling_train_accuracy():
    fails(lesson02.check_fixed_accuracy, lambda logits, y: train.accuracy(logits, y), "mtl_edu's own accuracy")
    assert train.accuracy(np.array([[1.0], [-1.0]]), np.array([1, 0])) == 1.0  # restored afterwards


def test_accuracy_slips_all_differ_from_the_right_answer_on_the_checker_logits():
    # otherwise a slip would pass the first case silently
    right = train.accuracy(lesson02._ACCURACY_LOGITS.reshape(-1, 1), lesson02._ACCURACY_LABELS)
    slips = lesson02._accuracy_slips(lesson02._ACCURACY_LOGITS.reshape(-1, 1), lesson02._ACCURACY_LABELS)
    values = list(slips.values())
    assert all(abs(v - right) > 1e-9 for v in values) and len(set(values)) == len(values)


# ---- exercise 4: a learning rate of 10 ---------------------------------------------------------------------

def test_the_explorer_at_lr_10_shows_what_the_question_describes():
    relu = lesson02.decision_boundary_run(activation="relu", lr=10.0)
    tanh = lesson02.decision_boundary_run(activation="tanh", lr=10.0)
    assert relu.diverged_at is None and tanh.diverged_at is None  # finite losses: the run did not diverge
    assert relu.train_accuracy == pytest.approx(0.5) and relu.test_accuracy == pytest.approx(0.5)
    assert relu.train_loss[1] > 3 * relu.train_loss[0]  # the loss leaps up in the first steps
    assert np.ptp(relu.train_loss[10:]) < 1e-9  # then stays flat: nothing reaches the weights any more
    assert relu.dead_units > 16  # of 32 hidden units: the right option
    # tanh at lr = 10 is chaotic in its last digits: 94 % here, 88 % at the AVX level; learning is what counts
    assert tanh.train_accuracy > 0.8
    assert lesson02.decision_boundary_run(activation="relu", lr=0.5).train_accuracy > 0.9  # not (c)
    longer = lesson02.decision_boundary_run(activation="relu", lr=10.0, steps=2000)  # not (d): more steps
    assert longer.train_accuracy == pytest.approx(0.5) and np.ptp(longer.train_loss[10:]) < 1e-9  # change nothing
    # what a diverged run looks like, as things to try 5 says: 6 × 64 relu at lr = 10
    assert lesson02.decision_boundary_run(activation="relu", lr=10.0, depth=6, width=64).diverged_at is not None


def test_large_learning_rate_right_option_confirms_without_naming_the_letter(capsys):
    out = passes(lesson02.check_large_learning_rate, lambda: "(a)", capsys)
    assert "(a)" not in out.lower()


@pytest.mark.parametrize("answer, fragment", [
    ("b", "carries the saturation of sigmoid and tanh over to ReLU"),
    ("c", "a network of straight pieces for a straight boundary"),
    ("d", "a run still on its way"),
    ("e", "the options are 'a', 'b', 'c', 'd', got 'e'"),
    (["a"], "return one letter as a string"),
])
def test_large_learning_rate_wrong_options_name_the_misconception(answer, fragment):
    fails(lesson02.check_large_learning_rate, lambda: answer, fragment)


def test_answer_texts_name_each_predict_and_choose_answer():
    texts = lesson02.answer_texts()
    assert set(texts) == {"ex2_small_learning_rate", "ex4_large_learning_rate"}
    assert any(f"{lesson02.steps_to_reach_loss(0.05)[0]}" in text for text in texts["ex2_small_learning_rate"])
    assert lesson02.LARGE_LEARNING_RATE.feedback["a"] in texts["ex4_large_learning_rate"]
