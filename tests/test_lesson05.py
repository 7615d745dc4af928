"""Lesson 05: the batched trainer behind the transfer explorer, the transfer and soft-sharing results
the lesson describes (with the lesson's own settings), the explorer, its figures, the exercise checkers
and the measurement of exercise 4."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mtl_edu.teaching import checking  # noqa: E402
from mtl_edu.teaching import explorers  # noqa: E402
from mtl_edu.lessons import lesson05  # noqa: E402
from mtl_edu.data.datasets import make_related_tasks  # noqa: E402
from mtl_edu.nets.multitask import HardSharingNet, SoftSharingNet, delta_m, task_loss  # noqa: E402
from mtl_edu.nets.optim import Adam  # noqa: E402
from mtl_edu.nets.train import History  # noqa: E402
from mtl_edu.instruments.stats import mean_interval, paired_interval, t_quantile  # noqa: E402
from checker_helpers import fails, passes, stub  # noqa: E402

RHOS = list(lesson05.TRANSFER_RHOS)


def png_of(fig) -> bytes:
    assert isinstance(fig, Figure)
    return explorers.figure_to_png(fig)


# ---- the batched trainer is the autodiff loop, only faster ------------------------------------------

def _autodiff_training(net, X, targets, steps, lr):
    optimizer = Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        outputs = net(X)
        loss = task_loss("regression", outputs[0], targets[0])
        for output, target in zip(outputs[1:], targets[1:]):
            loss = loss + task_loss("regression", output, target)
        if isinstance(net, SoftSharingNet):
            loss = loss + net.l2_penalty()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("make_net", [
    lambda seed: HardSharingNet(10, [3, 2], [1, 1, 1], branch_depth=0, rng=seed),
    lambda seed: HardSharingNet(10, [3, 2], [1, 1, 1], branch_depth=1, rng=seed),
    lambda seed: HardSharingNet(10, [3, 2], [1, 1, 1], branch_depth=2, rng=seed),
    lambda seed: HardSharingNet(10, [3, 2], [1, 1, 1], branch_depth=1, activation="relu", rng=seed),
    lambda seed: SoftSharingNet(10, [3, 2], [1, 1, 1], penalty_weight=0.05 * (seed + 1), rng=seed),
    lambda seed: SoftSharingNet(10, [3, 2], [1, 1, 1], penalty_weight=0.05, include_bias=True, rng=seed),
], ids=["branch0", "branch1", "branch2", "relu", "soft", "soft-bias"])
def test_batched_training_gives_the_weights_of_the_autodiff_loop(make_net):
    datasets = [make_related_tasks(40, rho, rng=seed, n_tasks=3, noise=0.4) for rho, seed in ((0.3, 0), (0.9, 1))]
    nets = [make_net(0), make_net(1)]
    final_losses = lesson05.train_sharing_nets(nets, np.stack([d.X for d in datasets]),
                                        np.stack([np.stack(d.targets) for d in datasets]), steps=80, lr=0.02)
    for net, data, seed in zip(nets, datasets, (0, 1)):
        reference = make_net(seed)
        _autodiff_training(reference, data.X, data.targets, 80, 0.02)
        for mine, theirs in zip(net.parameters(), reference.parameters()):
            np.testing.assert_allclose(mine.data, theirs.data, rtol=0, atol=1e-12)
    # the returned losses are the trained networks' task losses on their own training data
    outputs = nets[1](datasets[1].X)
    expected = [float(np.mean((out.data[:, 0] - target) ** 2)) for out, target in zip(outputs, datasets[1].targets)]
    np.testing.assert_allclose(final_losses[1], expected, rtol=1e-12)


def test_batched_training_refuses_what_it_cannot_train():
    X, targets = np.zeros((2, 5, 10)), np.zeros((2, 2, 5))
    hard = [HardSharingNet(10, [2, 2], [1, 1], branch_depth=1, rng=s) for s in range(2)]
    with pytest.raises(ValueError, match="another layout"):
        lesson05.train_sharing_nets([hard[0], HardSharingNet(10, [2, 2], [1, 1], branch_depth=2, rng=1)], X, targets, 5, 0.1)
    with pytest.raises(ValueError, match="another layout"):
        lesson05.train_sharing_nets([hard[0], SoftSharingNet(10, [2, 2], [1, 1], rng=1)], X, targets, 5, 0.1)
    with pytest.raises(ValueError, match=r"X must have shape \(2, n, 10\)"):
        lesson05.train_sharing_nets(hard, np.zeros((2, 5, 9)), targets, 5, 0.1)
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 2, 5\)"):
        lesson05.train_sharing_nets(hard, X, np.zeros((2, 5)), 5, 0.1)
    with pytest.raises(ValueError, match="lr > 0"):
        lesson05.train_sharing_nets(hard, X, targets, 5, 0.0)
    with pytest.raises(TypeError, match="HardSharingNet or SoftSharingNet"):
        lesson05.train_sharing_nets(["not a net"], X[:1], targets[:1], 5, 0.1)
    with pytest.raises(ValueError, match="at least one network"):
        lesson05.train_sharing_nets([], X, targets, 5, 0.1)


# ---- the transfer experiment: what the lesson tells the learner --------------------------------------

def dm(n_train, shared_layers, rho):
    return lesson05.transfer_experiment(n_train, shared_layers).delta_m[RHOS.index(rho)]


def interval(n_train, shared_layers, rho):
    result = lesson05.transfer_experiment(n_train, shared_layers)
    k = RHOS.index(rho)
    return result.delta_m_low[k], result.delta_m_high[k]


def helps(n_train, rho, shared_layers=2):
    return interval(n_train, shared_layers, rho)[1] < 0


def hurts(n_train, rho, shared_layers=2):
    return interval(n_train, shared_layers, rho)[0] > 0


def test_the_experiment_has_ten_seeds_and_six_relatedness_values():
    assert len(lesson05.TRANSFER_SETUP["seeds"]) >= 10
    assert lesson05.TRANSFER_RHOS == (0.0, 0.5, 0.75, 0.9, 0.95, 1.0)


def test_nothing_shared_is_exactly_the_single_task_baseline():
    result = lesson05.transfer_experiment(120, 0)
    np.testing.assert_array_equal(result.mtl, result.stl)
    np.testing.assert_array_equal(result.delta_m, np.zeros(len(RHOS)))
    assert [result.verdict(k) for k in range(len(RHOS))] == ["no difference shown"] * len(RHOS)


def test_one_seed_is_one_draw_section():
    # section 3b: at ρ = 1, n = 120 sharing helps (the interval excludes 0) although one seed of ten goes the
    # other way and mean ± sd crosses 0; at ρ = 0.9 the interval contains 0
    result = lesson05.transfer_experiment(120, 2)
    k = RHOS.index(1.0)
    per_seed = result.delta_m_per_seed[k]
    assert helps(120, 1.0)
    assert np.sum(per_seed > 0) == 1
    assert per_seed.mean() + per_seed.std(ddof=1) > 0
    both_tasks_better = np.all(result.mtl[k] < result.stl[k], axis=1)
    assert both_tasks_better.sum() == 9
    assert not helps(120, 0.9) and not hurts(120, 0.9)


def test_identical_tasks_gain_from_sharing_where_the_lesson_says():
    for n_train in (30, 120, 240):
        assert helps(n_train, 1.0), n_train
    assert dm(60, 2, 1.0) < 0 and not helps(60, 1.0)


def test_with_plenty_of_data_sharing_hurts_unless_the_tasks_are_identical():
    for rho in (0.0, 0.5, 0.75, 0.9, 0.95):
        assert hurts(240, rho), rho
    for rho in (0.0, 0.5, 0.75):
        assert dm(240, 2, rho) > 90.0, rho  # "about +100": MTL's errors about double STL's


def test_at_120_examples_ten_seeds_cannot_place_the_crossing():
    assert hurts(120, 0.0) and hurts(120, 0.75)
    for rho in (0.5, 0.9, 0.95):
        assert not hurts(120, rho) and not helps(120, rho), rho


def test_with_little_data_sharing_helps_even_unrelated_tasks():
    assert all(dm(60, 2, rho) < 0 for rho in RHOS)
    assert [rho for rho in RHOS if helps(60, rho)] == [0.0, 0.5]
    # things to try 4: with one layer shared the mean is below 0 but the interval reaches it
    assert dm(60, 1, 0.0) < 0 and not helps(60, 0.0, shared_layers=1)


def test_with_thirty_examples_the_intervals_mostly_contain_zero_and_little_is_learned():
    undecided = [rho for rho in RHOS if not helps(30, rho) and not hurts(30, rho)]
    assert len(undecided) >= 4
    for shared_layers in (0, 2):
        mean_rmse = lesson05.transfer_test_errors(30, shared_layers).mean(axis=(1, 2))
        assert np.all((mean_rmse > 0.65) & (mean_rmse < 0.9)), mean_rmse


def test_delta_m_is_the_mean_of_per_seed_paired_comparisons_with_a_t_interval():
    from mtl_edu.instruments.stats import mean_interval

    result = lesson05.transfer_experiment(120, 2)
    k = RHOS.index(0.9)
    assert result.delta_m_per_seed[k, 2] == pytest.approx(delta_m(result.mtl[k, 2], result.stl[k, 2], False))
    expected = mean_interval(result.delta_m_per_seed[k])
    assert (result.delta_m[k], result.delta_m_low[k], result.delta_m_high[k]) == pytest.approx(
        (expected.mean, expected.low, expected.high))
    assert result.stl.shape == (len(RHOS), len(lesson05.TRANSFER_SETUP["seeds"]), 2)


def test_transfer_errors_are_cached_read_only_and_reproducible():
    first = lesson05.transfer_test_errors(30, 1)
    assert lesson05.transfer_test_errors(30, 1) is first
    with pytest.raises(ValueError):
        first[0, 0, 0] = 0.0
    fresh = lesson05._transfer_test_errors_cached.__wrapped__(30, 1)
    assert fresh is not first
    np.testing.assert_array_equal(fresh, first)


@pytest.mark.parametrize("controls, words", [
    ({"rho": 0.3}, "ρ must be one of"),
    ({"shared_layers": 3}, r"from 0 \(two separate networks\) to 2"),
    ({"shared_layers": -1}, "shared layers"),
    ({"n_train": 5}, "training-set size"),
    ({"n_train": 100.5}, "whole number"),
])
def test_explorer_explains_settings_it_cannot_draw(controls, words):
    with pytest.raises(ValueError, match=words):
        lesson05.transfer_explorer_update(**controls)


def test_explorer_figure_states_the_setting_and_the_verdict():
    fig = lesson05.transfer_explorer_update(rho=0.0, n_train=240, shared_layers=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert any("ρ = 0.00" in t and "sharing hurts" in t and "[+75, +128]" in t for t in titles), titles
    undecided = lesson05.transfer_explorer_update(rho=0.9, n_train=120, shared_layers=2)
    assert any("no difference shown" in ax.get_title() for ax in undecided.axes)
    assert "n = 240" in fig._suptitle.get_text()
    assert any("lower is better" in ax.get_ylabel() for ax in fig.axes)
    helps = lesson05.transfer_explorer_update(rho=1.0, n_train=120, shared_layers=2)
    assert any("sharing helps" in ax.get_title() for ax in helps.axes)
    assert len(png_of(fig)) > 5_000


def test_every_control_of_the_transfer_explorer_redraws():
    explorer = lesson05.transfer_explorer()
    assert explorers.EXPLORER_CLASS in explorer._dom_classes
    for name, control in explorer.controls.items():
        assert control.continuous_update is False, name
        before = explorer.output.outputs[0]["data"]["image/png"]
        options = list(getattr(control, "options", [])) or [control.value - 1]
        control.value = next(o for o in options if o != control.value)
        after = explorer.output.outputs[0]["data"]["image/png"]
        assert after != before, f"changing {name} left the figure unchanged"
    assert isinstance(explorer.controls["rho"], ipywidgets.SelectionSlider)


# ---- soft sharing ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep():
    return lesson05.soft_sharing_sweep([0.001, 0.01, 0.1, 1.0], rhos=(0.0, 0.9), n_train=120)


def _change(sweep, errors, l, k):
    from mtl_edu.instruments.stats import mean_interval

    return mean_interval(sweep.change_from_stl(errors)[l, k])


def test_soft_sharing_gains_at_rho_09_are_matched_by_weight_decay(sweep):
    from mtl_edu.instruments.stats import paired_interval

    assert sweep.soft.shape == sweep.decay.shape == (4, 2, len(lesson05.TRANSFER_SETUP["seeds"]), 2)
    rho_09 = 1
    for l in (0, 1):  # λ = 0.001 and 0.01: both beat the separate networks
        assert _change(sweep, sweep.soft, l, rho_09).high < 0
        assert _change(sweep, sweep.decay, l, rho_09).high < 0
    for l in (0, 1, 2):  # and soft sharing is not shown better than its control up to λ = 0.1
        soft_minus_decay = paired_interval(sweep.soft[l, rho_09].mean(-1), sweep.decay[l, rho_09].mean(-1))
        assert not soft_minus_decay.excludes_zero, l
    # λ = 1: weight decay underfits, so only there soft sharing beats its control
    assert paired_interval(sweep.soft[3, rho_09].mean(-1), sweep.decay[3, rho_09].mean(-1)).high < 0
    assert _change(sweep, sweep.decay, 3, rho_09).low > 0


def test_at_rho_0_no_pull_towards_each_other_gains_but_weight_decay_does(sweep):
    assert all(_change(sweep, sweep.soft, l, 0).high >= 0 for l in range(4))
    assert _change(sweep, sweep.decay, 1, 0).high < 0


def test_hard_sharing_hurts_unrelated_tasks_and_is_undecided_at_rho_09(sweep):
    from mtl_edu.instruments.stats import mean_interval

    hard = [mean_interval(row) for row in sweep.change_from_stl(sweep.hard)]
    assert hard[0].low > 0 and not hard[1].excludes_zero
    assert len(png_of(lesson05.plot_soft_sharing(sweep))) > 5_000


def test_soft_sharing_at_zero_penalty_is_the_separate_networks():
    small = lesson05.soft_sharing_sweep([0.0], rhos=(0.9,), n_train=120)
    np.testing.assert_allclose(small.soft[0], small.stl, rtol=0, atol=1e-12)
    np.testing.assert_allclose(small.decay[0], small.stl, rtol=0, atol=1e-12)


def test_hidden_weight_norm_counts_the_weights_soft_sharing_ties():
    soft = SoftSharingNet(10, [3, 2], [1, 1], rng=0)
    expected = sum(float(np.sum(layer.weight.data ** 2)) for net in soft.networks for layer in net.layers[:-1])
    assert lesson05.hidden_weight_norm(soft).item() == pytest.approx(expected)
    hard = HardSharingNet(10, [3, 2], [1, 1], branch_depth=1, rng=0)
    expected = float(np.sum(hard.trunk.layers[0].weight.data ** 2)) + sum(
        float(np.sum(tower.layers[0].weight.data ** 2)) for tower in hard.towers)
    assert lesson05.hidden_weight_norm(hard).item() == pytest.approx(expected)


def test_soft_sharing_sweep_refuses_bad_input():
    with pytest.raises(ValueError, match="penalty_weights"):
        lesson05.soft_sharing_sweep([-1.0])
    with pytest.raises(ValueError, match="TRANSFER_RHOS"):
        lesson05.soft_sharing_sweep([0.1], rhos=(0.3,))
    with pytest.raises(ValueError, match="steps"):
        lesson05.soft_sharing_sweep([0.1], steps=0)
    with pytest.raises(ValueError, match="hidden_weight_decays must be 1 numbers >= 0"):
        lesson05.train_sharing_nets([SoftSharingNet(10, [2], [1, 1])], np.zeros((1, 5, 10)), np.zeros((1, 2, 5)), 5, 0.1,
                             hidden_weight_decays=[-1.0])


# ---- the other figures ---------------------------------------------------------------------------------

def test_sharing_diagram_titles_carry_the_parameter_counts_of_the_nets():
    fig = lesson05.plot_sharing_diagram([2, 2], [0, 1, 2])
    titles = [ax.get_title() for ax in fig.axes]
    for branch, title in enumerate(titles):
        net = HardSharingNet(10, [2, 2], [1, 1], branch_depth=branch)
        shared = sum(p.size for p in net.shared_parameters())
        specific = sum(p.size for params in net.task_parameters() for p in params)
        assert f"{shared} shared + {specific} task-specific" in title
    assert len(png_of(fig)) > 5_000


def test_transfer_map_has_one_line_per_training_set_size():
    results = {2: {n: lesson05.transfer_experiment(n, 2) for n in (30, 60)}}
    fig = lesson05.plot_transfer_map(results)
    assert len(fig.axes[0].get_lines()) >= 2
    assert len(png_of(fig)) > 5_000


def _history(validation_curves, steps):
    history = History(steps=list(steps))
    history.task_losses = [[1.0 / (s + 1)] * len(validation_curves) for s in steps]
    for t, curve in enumerate(validation_curves):
        history.metrics[f"eval_loss_task{t}"] = list(curve)
    return history


def test_best_validation_steps_reads_each_task_and_the_sum():
    steps = [0, 10, 20, 30]
    history = _history([[4.0, 3.0, 2.0, 1.0], [4.0, 1.0, 2.0, 3.0], [0.5, 0.4, 0.6, 0.7]], steps)
    best = lesson05.best_validation_steps(history, 3)
    # the sums are 8.5, 4.4, 4.6, 4.7
    assert best == {"task 1": 30, "task 2": 10, "task 3": 10, "joint": 10}
    assert len(png_of(lesson05.plot_per_task_validation(history, ["a", "b", "c"]))) > 5_000
    with pytest.raises(ValueError, match="eval_data"):
        lesson05.best_validation_steps(History(steps=[0, 1]), 2)


# ---- exercise checkers: right answers pass, a stub is "not attempted", typical slips are named ------------

def count_parameters(n_in, hidden_sizes, n_tasks, branch_depth):
    sizes = [n_in] + list(hidden_sizes) + [1]
    per_layer = [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]
    return sum(per_layer[:branch_depth]), n_tasks * sum(per_layer[branch_depth:])


def interval_of_the_mean(differences):
    d = np.asarray(differences, dtype=float)
    half = t_quantile(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean() - half, d.mean() + half


@pytest.mark.parametrize("checker", [lesson05.check_sharing_parameter_counts, lesson05.check_interval_of_the_mean,
                                     lesson05.check_one_shared_layer])
def test_checkers_report_a_stub_as_not_attempted(checker, capsys):
    assert checker(stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


def test_parameter_count_checker_passes_the_right_counts_without_restating_them(capsys):
    out = passes(lesson05.check_sharing_parameter_counts, count_parameters, capsys)
    assert "62" not in out and "22 + 18" not in out


def test_parameter_count_checker_names_the_slip():
    check = lesson05.check_sharing_parameter_counts
    fails(check, lambda *a: count_parameters(*a)[::-1], "swapped")

    def no_biases(n_in, hidden, n_tasks, branch):
        sizes = [n_in] + list(hidden) + [1]
        per_layer = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
        return sum(per_layer[:branch]), n_tasks * sum(per_layer[branch:])

    fails(check, no_biases, "bias")
    fails(check, lambda n_in, h, T, b: (count_parameters(n_in, h, T, b)[0], count_parameters(n_in, h, 1, b)[1]),
          "one task's tower")
    fails(check, lambda *a: None, "forget the `return`")
    fails(check, lambda *a: 7, "pair")


def _counted_by_building(n_in, hidden, n_tasks, branch):
    net = HardSharingNet(n_in, hidden, [1] * n_tasks, branch_depth=branch, rng=0)
    return (sum(p.size for p in net.shared_parameters()),
            sum(p.size for params in net.task_parameters() for p in params))


def _counted_with_layers(n_in, hidden, n_tasks, branch):
    from mtl_edu.nets import nn
    sizes = [n_in] + list(hidden) + [1]
    per_layer = [sum(p.size for p in nn.Linear(a, b, rng=0).parameters()) for a, b in zip(sizes[:-1], sizes[1:])]
    return sum(per_layer[:branch]), n_tasks * sum(per_layer[branch:])


@pytest.mark.parametrize("builder, name", [(_counted_by_building, "HardSharingNet"), (_counted_with_layers, "Linear")])
def test_parameter_count_checker_refuses_a_count_read_off_a_built_network(builder, name):
    fails(lesson05.check_sharing_parameter_counts, builder, f"mtl_edu's own {name}")
    assert _counted_by_building(10, [2, 2], 2, 1) == (22, 18)  # restored afterwards


def test_interval_checker_passes_the_fix(capsys):
    passes(lesson05.check_interval_of_the_mean, interval_of_the_mean, capsys)


def test_interval_checker_refuses_the_librarys_own_interval():
    fails(lesson05.check_interval_of_the_mean, lambda d: tuple(mean_interval(d)[1:3]), "mtl_edu's own mean_interval")
    fails(lesson05.check_interval_of_the_mean, lambda d: tuple(paired_interval(d, np.zeros_like(d))[1:3]),
          "mtl_edu's own paired_interval")
    assert mean_interval([1.0, 2.0, 4.0]).mean == pytest.approx(7 / 3)  # restored afterwards


def _interval(factor, spread):
    def interval(differences):
        d = np.asarray(differences, dtype=float)
        half = factor(d.size) * spread(d)
        return d.mean() - half, d.mean() + half
    return interval


@pytest.mark.parametrize("wrong, words", [
    (_interval(lambda n: t_quantile(0.975, n - 1), lambda d: d.std(ddof=1)), "The bug is still there"),
    (_interval(lambda n: t_quantile(0.975, n - 1), lambda d: d.std(ddof=1) / d.size), "divided s by n"),
    (_interval(lambda n: 1.96, lambda d: d.std(ddof=1) / np.sqrt(d.size)), "Student's t"),
    (_interval(lambda n: t_quantile(0.975, n), lambda d: d.std(ddof=1) / np.sqrt(d.size)), "degrees of freedom"),
    (_interval(lambda n: t_quantile(0.975, n - 1), lambda d: d.std() / np.sqrt(d.size)), "ddof=1"),
    (lambda d: interval_of_the_mean(d)[::-1], "swapped"),
    (lambda d: np.median(d) + np.array([-1.0, 1.0]) * (interval_of_the_mean(d)[1] - np.mean(d)), "d̄ ±"),
    (lambda d: None, "forget the `return`"),
    (lambda d: 3.0, "pair (low, high)"),
])
def test_interval_checker_names_the_slip(wrong, words):
    fails(lesson05.check_interval_of_the_mean, wrong, words)


def test_the_bug_of_exercise_2_shows_as_an_interval_that_does_not_narrow():
    draws = np.random.default_rng(1).normal(-30.0, 40.0, size=160)
    buggy = _interval(lambda n: t_quantile(0.975, n - 1), lambda d: d.std(ddof=1))
    widths = [np.diff(buggy(draws[:n]))[0] for n in (10, 40, 160)]
    assert widths[2] > widths[0] and widths[1] > widths[0]  # the symptom the lesson prints: no narrowing
    fixed = [np.diff(interval_of_the_mean(draws[:n]))[0] for n in (10, 40, 160)]
    assert fixed[2] < fixed[1] < fixed[0]


def test_one_shared_layer_choice_names_each_misconception(capsys):
    out = passes(lesson05.check_one_shared_layer, lambda: "a", capsys)
    assert "(a)" not in out
    for letter in "bcd":
        message = fails(lesson05.check_one_shared_layer, lambda: letter, f"not ({letter})")
        assert lesson05.ONE_SHARED_LAYER.feedback[letter] in message
    fails(lesson05.check_one_shared_layer, lambda: "e", "the options are")
    fails(lesson05.check_one_shared_layer, lambda: 3, "one letter")


def test_the_right_option_of_exercise_3_is_what_the_explorer_shows():
    one, both = lesson05.transfer_experiment(240, 1), lesson05.transfer_experiment(240, 2)
    k = RHOS.index(0.0)
    assert one.verdict(k) == both.verdict(k) == "sharing hurts"
    assert abs(one.delta_m[k] - both.delta_m[k]) < 10.0  # "about as much": neither halved nor gone


# ---- exercise 4: wider layers, predicted then measured ------------------------------------------------------

def test_width_two_is_the_lessons_own_experiment():
    narrow = lesson05.width_experiment(2)
    result = lesson05.transfer_experiment(240, 2)
    k = RHOS.index(0.0)
    np.testing.assert_allclose(narrow.mtl_rmse, result.mtl[k], rtol=0, atol=1e-12)
    np.testing.assert_allclose(narrow.stl_rmse, result.stl[k], rtol=0, atol=1e-12)
    assert narrow.delta_m.mean == pytest.approx(result.delta_m[k])


def test_the_explanation_printed_after_exercise_4_matches_its_measurement():
    narrow, wide = lesson05.width_experiment(2), lesson05.width_experiment(lesson05.WIDER_SETUP["units"])
    assert narrow.delta_m.low > 50 and wide.delta_m.mean < 0  # the +100 is gone
    assert wide.mtl_rmse.mean() < narrow.mtl_rmse.mean() - 0.05  # the competition is gone
    assert wide.stl_rmse.mean() > narrow.stl_rmse.mean() + 0.05  # the separate networks got worse ...
    assert wide.stl_train_mse.mean() < lesson05.TRANSFER_SETUP["noise"] ** 2  # ... by fitting the noise


def test_width_experiment_refuses_bad_input():
    with pytest.raises(ValueError, match="units"):
        lesson05.width_experiment(0)
    with pytest.raises(ValueError, match="rho"):
        lesson05.width_experiment(4, rho=0.3)


def test_wider_layers_measurement_waits_for_a_prediction(capsys):
    lesson05.measure_wider_layers(stub)
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


@pytest.mark.parametrize("prediction, fragments", [
    (-10.0, ["✓ Close", "Measured at ρ = 0", "4 units per layer", "Two things changed"]),
    (60.0, ["too high by 83", "keeps some of the old competition"]),
    (-90.0, ["too low by 67", "like that of identical tasks"]),
])
def test_wider_layers_measurement_reports_the_gap_and_a_reason(prediction, fragments, capsys):
    lesson05.measure_wider_layers(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out


def test_wider_layers_measurement_names_a_prediction_that_is_not_a_number():
    fails(lesson05.measure_wider_layers, lambda: "zero", "your predicted Δm% should be a number")
    fails(lesson05.measure_wider_layers, lambda: None, "returned None")


def test_answer_texts_cover_the_predict_and_choose_exercises():
    texts = lesson05.answer_texts()
    assert set(texts) == {"ex3_one_shared_layer", "ex4_wider_layers"}
    assert lesson05.ONE_SHARED_LAYER.feedback["a"] in texts["ex3_one_shared_layer"]
