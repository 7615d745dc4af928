"""Lesson 06: the task-weight explorer, the loss-scale experiment on penguins, the exercise checkers and the
measurement of exercise 3.

Widgets are driven from Python (setting `control.value`), without a browser or a kernel.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mtl_edu.teaching import checking  # noqa: E402
from mtl_edu.teaching import explorers  # noqa: E402
from mtl_edu.lessons import lesson06  # noqa: E402
from mtl_edu import toys  # noqa: E402
from mtl_edu.nets.multitask import task_gradients, task_loss  # noqa: E402
from mtl_edu.instruments.probes import task_gradient_norms  # noqa: E402
from checker_helpers import fails, passes, stub  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REGRESSION_PAIR, MIXED_PAIR = "regression + regression", "classification + regression"


def shown(explorer) -> dict:
    return explorer.output.outputs[0]["data"] if explorer.output.outputs else {}


# ---- the task pair and one weighted run ---------------------------------------------------------------

def test_both_pairs_share_inputs_and_the_label_is_the_sign_of_the_regression_target():
    regression, mixed = lesson06.task_pair_data(REGRESSION_PAIR), lesson06.task_pair_data(MIXED_PAIR)
    assert regression.X_train.shape == (200, 10) and regression.X_test.shape == (2000, 10)
    assert np.array_equal(regression.X_train, mixed.X_train) and np.array_equal(regression.X_test, mixed.X_test)
    assert np.array_equal(regression.targets_train[1], mixed.targets_train[1])
    assert np.array_equal(mixed.targets_train[0], (regression.targets_train[0] > 0).astype(int))
    assert np.array_equal(mixed.targets_test[0], (regression.targets_test[0] > 0).astype(int))
    assert [t.kind for t in mixed.tasks] == ["binary", "regression"] and mixed.losses == ("bce", "mse")
    assert not regression.X_train.flags.writeable  # cached data cannot be changed by accident


@pytest.mark.parametrize("weights, expected", [((1.0, 3.0), (0.25, 0.75)), ((0.0, 0.4), (0.0, 1.0)),
                                               ((2.0, 2.0), (0.5, 0.5))])
def test_weights_are_normalised_to_the_share_of_each_task(weights, expected):
    assert np.allclose(lesson06.normalised_task_weights(*weights), expected)


@pytest.mark.parametrize("weights, words", [((0.0, 0.0), "nothing to learn"), ((-0.5, 1.0), "≥ 0"),
                                            ((np.nan, 1.0), "finite")])
def test_weights_that_cannot_work_are_explained(weights, words):
    with pytest.raises(ValueError, match=words):
        lesson06.normalised_task_weights(*weights)


def test_a_run_depends_only_on_the_ratio_of_the_weights():
    first = lesson06.train_weighted_pair(0.5, 1.5)
    second = lesson06.train_weighted_pair(0.25, 0.75)
    assert np.array_equal(first.weights, [0.25, 0.75])
    assert np.array_equal(first.test_losses, second.test_losses)
    data = lesson06.task_pair_data(REGRESSION_PAIR)
    # for a regression task the metric is the RMSE, the square root of the loss
    assert np.allclose(first.test_errors, np.sqrt(first.test_losses))
    assert first.test_losses.shape == (2,) and np.all(first.test_losses > 0)
    assert data.tasks[0].kind == "regression"


@pytest.mark.parametrize("units", [0, 4, 1.5, True])
def test_shared_units_outside_one_to_three_are_refused(units):
    with pytest.raises(ValueError, match="shared layer"):
        lesson06.train_weighted_pair(0.5, 0.5, shared_units=units)


# ---- the sweep -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def narrow_sweep():
    return lesson06.task_weight_sweep(REGRESSION_PAIR, 1)


def test_a_one_unit_shared_layer_trades_one_task_for_the_other(narrow_sweep):
    sweep = narrow_sweep
    assert sweep.lambdas.shape == (13,) and sweep.test_losses.shape == sweep.test_errors.shape == (13, 2)
    assert sweep.lambdas[0] == pytest.approx(0.05) and sweep.lambdas[-1] == pytest.approx(0.95)
    loss_a, loss_b = sweep.test_losses.T
    # more weight on task A: task A's loss falls, task B's rises, each by a factor of several
    assert loss_a[-1] < 0.2 * loss_a[0] and loss_b[0] < 0.2 * loss_b[-1]
    assert np.corrcoef(sweep.lambdas, loss_a)[0, 1] < -0.9 and np.corrcoef(sweep.lambdas, loss_b)[0, 1] > 0.9
    assert lesson06.task_weight_sweep(REGRESSION_PAIR, 1) is sweep  # computed once, then reused


def test_the_sweep_with_two_shared_units_backs_the_answer_of_exercise_1(narrow_sweep):
    wide = lesson06.task_weight_sweep(REGRESSION_PAIR, 2)
    narrow_range = np.ptp(narrow_sweep.test_losses, axis=0)
    wide_range = np.ptp(wide.test_losses, axis=0)
    assert np.all(wide_range < 0.1 * narrow_range)
    assert np.all(wide.test_losses.max(axis=0) < narrow_sweep.test_losses.max(axis=0))


def test_the_live_run_lands_exactly_on_the_sweep_point_of_its_weight(narrow_sweep):
    middle = list(narrow_sweep.lambdas).index(0.5)
    run = lesson06.train_weighted_pair(0.5, 0.5)
    assert np.array_equal(run.test_losses, narrow_sweep.test_losses[middle])
    assert np.array_equal(run.test_errors, narrow_sweep.test_errors[middle])


def test_the_classification_regression_sweep_trades_error_rate_for_rmse():
    sweep = lesson06.task_weight_sweep(MIXED_PAIR, 1)
    error_rate, rmse = sweep.test_errors.T
    assert np.all((0.0 <= error_rate) & (error_rate <= 1.0))
    # the error rate is 1 − accuracy: a whole number of the 2000 test points, lower is better
    assert np.allclose(error_rate * 2000, np.round(error_rate * 2000))
    assert error_rate[-1] < error_rate[0] - 0.15 and rmse[-1] > rmse[0] + 0.3


def test_a_new_setting_reports_its_progress_once_per_model():
    key = (REGRESSION_PAIR, 3)
    lesson06._TASK_WEIGHT_SWEEPS.pop(key, None)  # start from an empty cache for this setting
    calls = []
    lesson06.task_weight_sweep(*key, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(k, 13) for k in range(1, 14)]
    calls.clear()
    lesson06.task_weight_sweep(*key, progress=lambda done, total: calls.append((done, total)))
    assert calls == []  # cached: nothing to train


# ---- the update function and the widget ------------------------------------------------------------------

def test_update_at_defaults_draws_both_panels_and_leaks_no_figure():
    update, defaults = explorers.EXPLORERS["task_weights"]
    before = plt.get_fignums()
    fig = update(**defaults)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    left, right = fig.axes
    assert "λ" in left.get_xlabel() and left.get_ylabel() and left.get_title()
    assert right.get_xlabel() == "test task A MSE (lower is better)" and "task B" in right.get_ylabel()
    assert "λ = 0.5" in fig._suptitle.get_text()
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)
    assert plt.get_fignums() == before


def test_error_view_draws_both_axes_lower_is_better():
    fig = lesson06.task_weights_explorer_update(0.7, 0.3, pair=MIXED_PAIR, show="test error")
    right = fig.axes[1]
    assert right.get_xlabel() == "test task A error rate (lower is better)"
    assert right.get_ylabel() == "test task B RMSE (lower is better)"
    assert "λ = 0.7" in fig._suptitle.get_text()


@pytest.mark.parametrize("controls, words", [
    ({"weight_a": 0.0, "weight_b": 0.0}, "nothing to learn"),
    ({"pair": "three tasks"}, "Unknown task pair"),
    ({"shared_units": 0}, "shared layer"),
    ({"show": "gradients"}, "show must be"),
])
def test_update_explains_settings_it_cannot_draw(controls, words):
    with pytest.raises(ValueError, match=words):
        lesson06.task_weights_explorer_update(**controls)


def test_widget_shows_a_message_for_zero_weights_then_the_figure_again():
    explorer = lesson06.task_weights_explorer()
    assert "mtl-explorer" in explorer._dom_classes
    assert all(getattr(c, "continuous_update", False) is False for c in explorer.controls.values())
    first = shown(explorer).get("image/png")
    assert first is not None
    explorer.controls["weight_a"].value = 0.0
    explorer.controls["weight_b"].value = 0.0
    assert "image/png" not in shown(explorer) and "nothing to learn" in shown(explorer)["text/plain"]
    assert "not drawn" in explorer.status.value
    explorer.controls["weight_b"].value = 0.5
    assert shown(explorer).get("image/png") not in (None, first)  # λ = 0 now: another figure
    assert "weight_b = 0.5" in explorer.status.value


# ---- loss scales on penguins -----------------------------------------------------------------------------

def test_the_three_mass_units_describe_the_same_grams():
    grams = lesson06.penguin_tasks("grams")
    for unit in ("kilograms", "standardised"):
        data = lesson06.penguin_tasks(unit)
        scale, offset = data.mass_to_grams
        assert np.allclose(data.targets_train[2] * scale + offset, grams.targets_train[2])
        assert np.allclose(data.targets_test[2] * scale + offset, grams.targets_test[2])
        assert np.array_equal(data.X_train, grams.X_train)
    z = lesson06.penguin_tasks("standardised").targets_train[2]
    assert abs(z.mean()) < 1e-12 and z.std() == pytest.approx(1.0)
    assert grams.X_train.shape[1] == 6 and np.allclose(grams.X_train[:, :3].mean(axis=0), 0.0)
    assert set(np.unique(grams.X_train[:, 3:])) == {0.0, 1.0}
    with pytest.raises(ValueError, match="mass unit"):
        lesson06.penguin_tasks("pounds")


def _initial_norms(unit: str) -> np.ndarray:
    data = lesson06.penguin_tasks(unit)
    model = lesson06.penguin_model(data)
    outputs = model(data.X_train)
    losses = [task_loss(task, out, y) for task, out, y in zip(data.tasks, outputs, data.targets_train)]
    return task_gradient_norms(task_gradients(losses, model.shared_parameters()))


def test_grams_make_the_mass_gradient_dominate_the_shared_layer_and_standardising_removes_that():
    grams, kilograms, standardised = (_initial_norms(u) for u in lesson06.MASS_UNITS)
    assert np.allclose(grams[:2], standardised[:2])  # same initial network, same classification targets
    assert grams[2] > 1000 * grams[:2].max()
    assert 3 * grams[:2].min() < kilograms[2] < grams[2] / 100
    assert standardised[2] < 10 * standardised[:2].min()


@pytest.fixture(scope="module")
def scale_runs():
    return {unit: lesson06.loss_scale_run(unit) for unit in ("grams", "standardised")}


def test_grams_saturate_the_shared_layer_and_ruin_the_classifiers(scale_runs):
    grams, standardised = scale_runs["grams"], scale_runs["standardised"]
    assert grams.saturated_fraction > 0.9 and standardised.saturated_fraction < 0.5
    assert grams.species_accuracy < 0.6 and grams.sex_accuracy < 0.6 and grams.mass_rmse_grams > 2000
    assert standardised.species_accuracy > 0.9 and standardised.sex_accuracy > 0.75
    assert standardised.mass_rmse_grams < 500


def test_the_recorder_sees_the_initial_network_and_records_every_ten_steps(scale_runs):
    run = scale_runs["grams"]
    assert list(run.steps) == list(range(0, 400, 10)) + [399]
    assert run.norms.shape == (41, 3) and run.cosines.shape == (41, 3, 3)
    assert np.allclose(run.norms[0], _initial_norms("grams"))
    assert np.allclose(run.cosines, np.transpose(run.cosines, (0, 2, 1)))
    assert run.task_names == ("species", "sex", "body mass")


def test_gradient_history_plot_shares_one_log_range_and_refuses_nothing_to_draw(scale_runs):
    fig = lesson06.plot_gradient_history({"grams": scale_runs["grams"], "standardised": scale_runs["standardised"]})
    norms_grams, norms_standardised, cosines = fig.axes[:3]
    assert norms_grams.get_yscale() == norms_standardised.get_yscale() == "log"
    assert norms_grams.get_ylim() == norms_standardised.get_ylim()
    assert cosines.get_ylim() == (-1.05, 1.05) and "cosine" in cosines.get_ylabel()
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="non-empty"):
        lesson06.plot_gradient_history({})


# ---- exercise checkers, both ways ------------------------------------------------------------------------

def _pareto_reference(points):
    points = np.asarray(points, dtype=float)
    return np.array([not np.any(np.all(points <= p, axis=1) & np.any(points < p, axis=1)) for p in points])


def _pareto_strict(points):
    points = np.asarray(points, dtype=float)
    return np.array([not np.any(np.all(points < p, axis=1)) for p in points])


def _pareto_weak(points):
    points = np.asarray(points, dtype=float)
    return np.array([not any(np.all(points[j] <= p) for j in range(len(points)) if j != i)
                     for i, p in enumerate(points)])


def _standardise_with(statistics_of):
    """A standardisation whose (mean, std) come from statistics_of(train, test); the test set is scaled by them."""
    def standardise(train_values, test_values):
        train_values, test_values = np.asarray(train_values, dtype=float), np.asarray(test_values, dtype=float)
        mean, std = statistics_of(train_values, test_values)
        return (train_values - mean) / std, (test_values - mean) / std, (mean, std)
    return standardise


_fixed_standardise = _standardise_with(lambda train, test: (train.mean(), train.std()))


def _own_statistics(train_values, test_values):
    train_values, test_values = np.asarray(train_values, dtype=float), np.asarray(test_values, dtype=float)
    return ((train_values - train_values.mean()) / train_values.std(),
            (test_values - test_values.mean()) / test_values.std(), (train_values.mean(), train_values.std()))


@pytest.mark.parametrize("checker", [lesson06.check_second_shared_unit, lesson06.check_pareto_mask,
                                     lesson06.check_standardise_target])
def test_checkers_report_a_stub_as_not_attempted(checker, capsys):
    assert checker(stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


def test_pareto_checker_passes_a_right_answer(capsys):
    passes(lesson06.check_pareto_mask, _pareto_reference, capsys)
    passes(lesson06.check_pareto_mask, lambda points: _pareto_reference(points).astype(int), capsys)


@pytest.mark.parametrize("wrong, words", [
    (_pareto_strict, "equal on one task and better on the other still dominates"),
    (_pareto_weak, "An identical point does not dominate it"),
    (lambda points: _pareto_reference(-np.asarray(points)), "MAXIMISED"),
    (lambda points: np.flatnonzero(_pareto_reference(points)), "boolean mask"),
    (lambda points: None, "forget the `return`"),
])
def test_pareto_checker_names_the_slip(wrong, words):
    fails(lesson06.check_pareto_mask, wrong, words)


def test_pareto_checker_refuses_its_own_mask():
    fails(lesson06.check_pareto_mask, lambda points: lesson06._reference_pareto_mask(np.asarray(points)),
          "mtl_edu's own _reference_pareto_mask")
    assert lesson06._reference_pareto_mask(np.array([[1.0, 2.0], [2.0, 3.0]])).tolist() == [True, False]  # restored


def test_second_shared_unit_choice_names_each_misconception(capsys):
    out = passes(lesson06.check_second_shared_unit, lambda: "c", capsys)
    assert "(c)" not in out
    for letter in "abd":
        message = fails(lesson06.check_second_shared_unit, lambda: letter, f"not ({letter})")
        assert lesson06.SECOND_SHARED_UNIT.feedback[letter] in message
    passes(lesson06.check_second_shared_unit, lambda: "(C)", capsys)


def test_standardise_checker_passes_training_statistics_with_either_ddof(capsys):
    passes(lesson06.check_standardise_target, _fixed_standardise, capsys)
    passes(lesson06.check_standardise_target,
           _standardise_with(lambda train, test: (train.mean(), train.std(ddof=1))), capsys)


@pytest.mark.parametrize("wrong, words", [
    (_standardise_with(lambda train, test: (np.concatenate([train, test]).mean(), np.concatenate([train, test]).std())),
     "still change when only the test set changes"),  # the bug still there
    (_standardise_with(lambda train, test: (test.mean(), test.std())), "still change when only the test set changes"),
    (_own_statistics, "standardised with its own statistics"),  # the bug moved to the test set
    (lambda train, test: (*_fixed_standardise(train, test)[:2], (0.0, 1.0)), "give back the values"),
    (lambda train, test: _fixed_standardise(train, test)[:2], "(z_train, z_test, (mean, std))"),
    (lambda train, test: (_fixed_standardise(train, test)[0][:-1], *_fixed_standardise(train, test)[1:]), "shape"),
    (lambda train, test: None, "forget the `return`"),
])
def test_standardise_checker_names_the_slip(wrong, words):
    fails(lesson06.check_standardise_target, wrong, words)


def test_standardise_checker_refuses_the_librarys_standardize():
    from mtl_edu.data import datasets

    def by_the_library(train, test):
        result = datasets.standardize(train, test)
        return result.train, result.test, (result.mean, result.std)

    fails(lesson06.check_standardise_target, by_the_library, "mtl_edu's own standardize")
    assert datasets.standardize(np.array([1.0, 3.0]), np.array([2.0])).mean == 2.0  # restored afterwards


def test_the_bug_of_exercise_4_shows_in_the_training_targets():
    grams = lesson06.penguin_tasks("grams")
    train, test = grams.targets_train[2], grams.targets_test[2]
    pooled = _standardise_with(lambda a, b: (np.concatenate([a, b]).mean(), np.concatenate([a, b]).std()))
    z_train = pooled(train, test)[0]
    assert abs(z_train.mean()) > 0.03 and abs(z_train.std() - 1) > 0.01
    assert np.abs(pooled(train, test + 500.0)[0] - z_train).max() > 0.1
    assert np.array_equal(_fixed_standardise(train, test + 500.0)[0], _fixed_standardise(train, test)[0])


# ---- exercise 3: the switch after rescaling task B's target, predicted then measured --------------------------

def test_the_explanation_printed_after_exercise_3_matches_its_measurement():
    switch = lesson06.switch_after_rescaling(2.0)
    assert switch.shape == (lesson06.RESCALED_SWITCH_SETUP["inits"],)
    original = float(np.mean(lesson06.fine_weight_sweep().switch))
    odds = original / (1 - original) * 4  # a squared error scales with the square of the factor
    assert abs(switch.mean() - odds / (1 + odds)) < 0.02
    assert np.all(switch > 0.8) and np.ptp(switch) <= 0.03


def test_rescaled_switch_refuses_a_scale_that_is_not_positive():
    with pytest.raises(ValueError, match="positive"):
        lesson06.switch_after_rescaling(0.0)


def test_rescaled_switch_measurement_waits_for_a_prediction(capsys):
    lesson06.measure_rescaled_switch(stub)
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


@pytest.mark.parametrize("prediction, fragments", [
    (0.86, ["✓ Close", "switch λ per init", "grow 4-fold"]),
    (0.6, ["too low by 0.26", "treats it as a property of the tasks"]),
    (0.75, ["too low by 0.11", "the gradient's factor 2"]),
    (0.3, ["too low", "needs more of the weight"]),
    (0.97, ["too high by 0.11", "and no more"]),
    (1.5, ["not a share of the joint loss"]),
])
def test_rescaled_switch_measurement_reports_the_gap_and_a_reason(prediction, fragments, capsys):
    lesson06.measure_rescaled_switch(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out


def test_rescaled_switch_measurement_names_a_prediction_that_is_not_a_number():
    fails(lesson06.measure_rescaled_switch, lambda: "about 0.8", "your predicted λ should be a number")
    fails(lesson06.measure_rescaled_switch, lambda: None, "returned None")


def test_answer_texts_cover_the_predict_and_choose_exercises():
    texts = lesson06.answer_texts()
    assert set(texts) == {"ex1_second_shared_unit", "ex3_rescaled_switch"}
    assert lesson06.SECOND_SHARED_UNIT.feedback["c"] in texts["ex1_second_shared_unit"]


def test_a_wider_layer_is_drawn_over_the_one_unit_curve_for_comparison():
    fig = lesson06.task_weights_explorer_update(0.5, 0.5, shared_units=2)
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert "sweep with 1 shared unit" in labels and "sweep" in labels
    narrow = lesson06.task_weight_sweep(REGRESSION_PAIR, 1).test_losses
    reference = next(line for line in fig.axes[1].get_lines() if line.get_label() == "sweep with 1 shared unit")
    assert np.array_equal(np.column_stack(reference.get_data()), narrow)
    one_unit = lesson06.task_weights_explorer_update(0.5, 0.5, shared_units=1)
    assert "sweep with 1 shared unit" not in [line.get_label() for line in one_unit.axes[1].get_lines()]


# ---- the convex-hull limit -------------------------------------------------------------------------------

def test_a_weighted_sum_never_picks_the_middle_of_a_front_that_bulges_outwards():
    lambdas = np.linspace(0.0, 1.0, 101)
    theta = toys.weighted_sum_minimisers(lambdas)
    # every minimiser is a global one on a 1e-4 grid; the Pareto set is [-1, 1], its middle never chosen
    assert np.all(np.abs(theta) > 0.95) and np.all(np.abs(theta) <= 1.0)
    # λ decides which end: more weight on L_A puts θ near L_A's optimum θ = 1
    assert np.all(theta[lambdas > 0.5] > 0) and np.all(theta[lambdas < 0.5] < 0)
    # the front itself is not convex: its midpoint lies above the chord between its ends
    ends = np.array(toys.fonseca_fleming(np.array([-1.0, 1.0])))
    middle = np.array(toys.fonseca_fleming(0.0))
    assert np.all(middle > ends.mean(axis=1) + 0.1)
    with pytest.raises(ValueError, match="lambdas"):
        toys.weighted_sum_minimisers([0.5, 1.5])


@pytest.fixture(scope="module")
def fine_sweep():
    return lesson06.fine_weight_sweep()


def test_a_finer_grid_of_weights_does_not_fill_the_jump(fine_sweep):
    fine = fine_sweep
    S, K = len(fine.inits), len(fine.lambdas)
    assert S >= 10 and K == 41 and fine.train_losses.shape == fine.test_errors.shape == (S, K, 2)
    # the explorer's λ = 0.5 network is init 0 of the fine sweep, trained the same way
    run = lesson06.train_weighted_pair(0.5, 0.5, MIXED_PAIR)
    k = list(fine.lambdas).index(0.5)
    np.testing.assert_allclose(fine.test_errors[0, k], run.test_errors, atol=1e-12)
    # in every init one step of 0.01 in λ moves task A's loss across a third of its range or more,
    # while the typical step moves it by about 1 %
    assert np.all(fine.largest_jump > 0.3) and np.all(fine.median_step < 0.015)
    assert np.all(fine.largest_jump > 20 * fine.median_step)
    # the switch sits at the same place whatever the init (lesson: 0.59 to 0.61)
    interval = fine_sweep.switch_interval()
    assert 0.57 < interval.low and interval.high < 0.63 and interval.high - interval.low < 0.04


def test_networks_in_the_gap_lie_on_the_supporting_line(fine_sweep):
    """The lesson's reading of the right panel: at the switch λ*, the networks between the two ends have
    (nearly) the weighted loss of the ends, so the front is a straight edge there, not a dent to fill."""
    points = fine_sweep.train_losses.reshape(-1, 2)
    lam = float(np.median(fine_sweep.switch))
    weighted = lam * points[:, 0] + (1 - lam) * points[:, 1]
    loss_a = points[:, 0]
    low, high = loss_a.min(), loss_a.max()
    gap = (loss_a > low + 0.3 * (high - low)) & (loss_a < low + 0.6 * (high - low))
    assert 0 < gap.sum() < 0.05 * len(points)  # few networks land in the gap
    assert np.all(weighted[gap] < weighted.min() + 0.02)


def test_the_convex_hull_figure_draws_the_toy_and_the_network(fine_sweep):
    fig = lesson06.plot_convex_hull_limit(fine_sweep)
    left, right = fig.axes[:2]
    assert "L_A" in left.get_xlabel() and "lower is better" in right.get_xlabel()
    assert len(right.collections[0].get_offsets()) == fine_sweep.train_losses.size // 2
    assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)
