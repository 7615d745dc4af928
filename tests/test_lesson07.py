"""Lesson 07 (balancing methods): the fast toy runner, the balancing lab, the network comparison and
the lesson's exercises (checkers, the measuring cell and the buggy set-up's symptom).

Expected outcomes come from the aggregators' definitions and from the qualitative result of Liu et
al. (2021, NeurIPS) on their toy, not from stored runs.
"""
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mtl_edu import aggregators as agg  # noqa: E402
from mtl_edu.teaching import checking  # noqa: E402
from mtl_edu.teaching import explorers  # noqa: E402
from mtl_edu.lessons import lesson07  # noqa: E402
from mtl_edu import toys  # noqa: E402
from mtl_edu import multitask  # noqa: E402
from checker_helpers import fails, passes, stub  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HYPER = {"cagrad": {"c": 0.5}}


def shown_png(explorer):
    data = explorer.output.outputs[0]["data"] if explorer.output.outputs else {}
    return data.get("image/png")


def shown_text(explorer):
    data = explorer.output.outputs[0]["data"] if explorer.output.outputs else {}
    return data.get("text/plain", "")


# ---- the fast toy runner -----------------------------------------------------------------------------

def random_gradient_matrices(seed, count=400):
    rng = np.random.default_rng(seed)
    matrices = [rng.normal(size=(2, 2)) * rng.uniform(0.01, 100) for _ in range(count)]
    # the cases every closed form must get right: opposite, identical, one zero, orthogonal
    matrices += [np.array([[1.0, 2.0], [-2.0, -4.0]]), np.array([[1.0, 1.0], [1.0, 1.0]]),
                 np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[0.0, 0.0], [0.0, 0.0]]),
                 np.array([[3.0, 0.0], [0.0, 3.0]]), np.array([[1.0, 1e-4], [-1.0, -1e-4]])]
    return matrices


@pytest.mark.parametrize("method", agg.TWO_TASK_METHODS)
def test_two_task_closed_forms_agree_with_the_aggregators(method):
    direction = agg.two_task_direction(method, **HYPER.get(method, {}))
    for index, G in enumerate(random_gradient_matrices(1)):
        uniforms = np.random.default_rng(index).uniform(size=2)
        expected = agg.aggregate(method, G, rng=np.random.default_rng(index), **HYPER.get(method, {}))
        got = np.array(direction(*G.ravel().tolist(), *uniforms.tolist()))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * max(np.abs(G).max(), 1.0),
                                   err_msg=f"{method} at G = {G.tolist()}")


def test_fast_runner_follows_run_toy_where_no_crease_is_crossed():
    # Start 2 lies in the lower half: no log crease, so round-off stays round-off.
    fast = toys.run_toy_many_fast(steps=1500, lr=1e-2, hyper=HYPER, starts=toys.TOY_STARTS[1:2])
    slow = toys.run_toy_many(list(toys.FAST_TOY_METHODS), steps=1500, lr=1e-2, hyper=HYPER,
                             starts=toys.TOY_STARTS[1:2])
    for method in toys.FAST_TOY_METHODS:
        np.testing.assert_allclose(fast[method], slow[method], rtol=0, atol=1e-9, err_msg=method)


def test_fast_runner_keeps_every_kth_point_and_the_last_and_draws_graddrops_stream():
    full = toys.run_toy_many_fast(["mean", "graddrop"], steps=1000, lr=1e-2)
    thinned = toys.run_toy_many_fast(["mean", "graddrop"], steps=1000, lr=1e-2, record_every=300)
    assert thinned["mean"].shape == (3, 5, 2)  # steps 0, 300, 600, 900 and the last, 1000
    np.testing.assert_array_equal(thinned["graddrop"], full["graddrop"][:, [0, 300, 600, 900, 1000]])
    # The same random stream as run_toy: graddrop's path is identical, not just similar.
    reference = toys.run_toy("graddrop", toys.TOY_STARTS[1], 1000, lr=1e-2, rng=np.random.default_rng((0, 1)))
    np.testing.assert_allclose(full["graddrop"][1], reference, rtol=0, atol=1e-9)


def test_fast_runner_rejects_bad_input():
    with pytest.raises(ValueError, match="no two-task closed form for \\['sum'\\]"):
        toys.run_toy_many_fast(["sum"], steps=2)
    with pytest.raises(ValueError, match="mgda takes no hyper-parameter \\['c'\\]"):
        toys.run_toy_many_fast(["mgda"], steps=2, hyper={"mgda": {"c": 0.5}})
    with pytest.raises(ValueError, match="not run"):
        toys.run_toy_many_fast(["mean"], steps=2, hyper={"cagrad": {"c": 0.5}})
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        toys.run_toy_many_fast(["mean"], steps=-1)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1, got 0"):
        toys.run_toy_many_fast(["mean"], steps=5, record_every=0)
    with pytest.raises(ValueError, match=r"starts must have shape \(S, 2\)"):
        toys.run_toy_many_fast(["mean"], starts=[1.0, 2.0], steps=2)


# ---- the balancing lab: the lesson's protocol gives the paper's outcome ----------------------------

@pytest.fixture(scope="module")
def lab():
    return lesson07.balancing_lab_runs()


def ends(lab, method):
    finals = lab.paths[method][:, -1]
    return finals, toys.distance_to_pareto_set(finals), np.linalg.norm(finals - lab.optimum, axis=1)


def test_lab_runs_the_protocol_it_states(lab):
    assert (lab.steps, lab.lr) == (lesson07.BALANCING_LAB["steps"], lesson07.BALANCING_LAB["lr"])
    # Adam moves about lr per step: the lesson's runs cover the paper's 100k x 1e-3.
    assert lab.steps * lab.lr == pytest.approx(100_000 * 1e-3)
    assert list(lab.paths) == list(lesson07.TOY_METHOD_LABELS)
    n_points = lab.steps // lab.record_every + 1
    assert all(paths.shape == (3, n_points, 2) for paths in lab.paths.values())
    np.testing.assert_array_equal(lab.paths["cagrad"][:, 0], toys.TOY_STARTS)
    losses = np.stack(toys.cagrad_toy_grid(lab.paths["mgda"][..., 0], lab.paths["mgda"][..., 1]), axis=-1)
    np.testing.assert_allclose(lab.loss_paths["mgda"], losses)
    assert lesson07.balancing_lab_runs().paths["mean"] is lab.paths["mean"]  # cached: computed once


def test_averaging_and_graddrop_get_stuck_from_the_upper_starts(lab):
    for method in ("mean", "graddrop"):
        finals, to_front, _ = ends(lab, method)
        assert np.all(to_front[[0, 2]] > 5.0) and np.all(finals[[0, 2], 1] > 0), method
        assert to_front[1] < 0.01, method  # the lower start is already past the creases


@pytest.mark.parametrize("method", ["mgda", "pcgrad", "imtl_g", "nash_mtl"])
def test_conflict_methods_stop_at_a_start_dependent_pareto_point(lab, method):
    finals, to_front, to_optimum = ends(lab, method)
    assert np.all(to_front < 0.01) and np.all(np.abs(finals[:, 0]) <= 7.0)
    assert np.ptp(finals[:, 0]) > 1.0 and np.all(to_optimum > 1.0)


def test_cagrad_reaches_the_average_loss_optimum_and_aligned_mtl_stops_short(lab):
    _, _, to_optimum = ends(lab, "cagrad")
    assert np.all(to_optimum < 1e-3)
    finals, to_front, _ = ends(lab, "aligned_mtl")
    assert np.all((to_front > 0.01) & (to_front < 0.05)) and np.all(np.abs(finals[:, 0]) < 0.01)


def test_the_approach_stops_each_run_where_it_first_reaches_the_front(lab):
    paths, loss_paths = lesson07.paths_until_front(lab)
    near = lesson07.BALANCING_LAB["near_front"]
    assert list(paths) == list(lab.paths) and all(paths[m].shape == lab.paths[m].shape for m in paths)
    for method in lab.paths:
        for start in range(3):
            whole, cut = lab.paths[method][start], paths[method][start]
            distances = toys.distance_to_pareto_set(whole)
            reached = np.flatnonzero(distances < near)
            if reached.size == 0:  # never reached: drawn whole (the mean and GradDrop from the upper starts)
                np.testing.assert_array_equal(cut, whole)
                continue
            first = reached[0]
            np.testing.assert_array_equal(cut[:first + 1], whole[:first + 1])
            assert np.all(cut[first:] == whole[first]) and np.all(loss_paths[method][start, first:] ==
                                                                   lab.loss_paths[method][start, first])
    # what the stored figures leave out: the stoppers end where they arrived, the others slide on
    for method in ("cagrad", "aligned_mtl"):
        assert np.abs(paths[method][:, -1, 0] - lab.paths[method][:, -1, 0]).max() > 1.0, method


def test_the_table_of_where_runs_end_waits_for_exercise_2s_prediction(lab, capsys):
    assert lesson07.toy_endings(lab, stub) is None
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"
    figure = lesson07.toy_endings(lab, lambda: {"mgda"})
    out = capsys.readouterr().out
    assert isinstance(figure, Figure) and "The whole runs" in figure.texts[0].get_text()
    for line in lesson07._toy_endings_lines(lab):
        assert line in out
    assert out.count("Pareto front, x₁ =") == 12 and out.count("   never   ") == 4
    fails(lambda f: lesson07.toy_endings(lab, f), lambda: "mgda", "should be a set")


def test_the_notes_under_the_toy_table_hold(lab):
    # "end where they first reached the front ... may still creep a few tenths after arriving"
    for method in ("mgda", "pcgrad", "imtl_g", "nash_mtl"):
        for path in lab.paths[method]:
            first = lesson07._first_near_front(path)
            assert first is not None and abs(path[-1, 0] - path[first, 0]) < 0.7, method
    # the others slide on along the front once they reach it away from where they stop (CAGrad arrives in the
    # middle from the upper starts)
    for method, starts in (("cagrad", (1,)), ("aligned_mtl", (0, 1, 2)), ("mean", (1,)), ("graddrop", (1,))):
        for start in starts:
            path = lab.paths[method][start]
            assert abs(path[-1, 0] - path[lesson07._first_near_front(path), 0]) > 1.0, (method, start)
    # "Aligned-MTL ... stops about 0.025 short"; "CAGrad ends at the optimum from every start"
    outcomes = {(o.method, o.start): o for o in lesson07.toy_outcomes(lab)}
    assert all(abs(outcomes["aligned_mtl", s].distance_to_front - 0.025) < 0.005 for s in range(3))
    assert all(outcomes["cagrad", s].verdict == "average-loss optimum" for s in range(3))


def test_step_gains_record_what_the_direction_and_the_step_promise():
    adam = toys.toy_step_gains("mgda", [-8.5, 7.5], 300, 2e-3)
    assert adam.path.shape == (301, 2) and adam.direction_gains.shape == adam.step_gains.shape == (300, 2)
    fast = toys.run_toy_many_fast(["mgda"], starts=[[-8.5, 7.5]], steps=300, lr=2e-3)["mgda"][0]
    np.testing.assert_array_equal(adam.path, fast)               # the lesson's Adam runs, bit for bit
    plain = toys.toy_step_gains("mgda", [-8.5, -5.0], 300, 1e-2, optimizer="plain")
    np.testing.assert_allclose(np.diff(plain.path, axis=0) / -1e-2, _mgda_directions(plain.path[:-1]), rtol=1e-9)
    np.testing.assert_allclose(plain.step_gains, 1e-2 * plain.direction_gains, rtol=1e-9)
    for bad, fragment in (({"method": "graddrop"}, "method must be one of"), ({"optimizer": "sgd"}, "optimizer must be"),
                          ({"steps": 0}, "steps must be"), ({"lr": -1.0}, "lr must be")):
        arguments = {"method": "mgda", "start": [0.0, 0.0], "steps": 5, "lr": 1e-3, **bad}
        with pytest.raises(ValueError, match=fragment):
            toys.toy_step_gains(**arguments)


def _mgda_directions(points):
    directions = []
    for x1, x2 in points:
        _, _, a, b, c, d = toys._toy_point(x1, x2)
        directions.append(agg.mgda(np.array([[a, b], [c, d]])))
    return np.array(directions)


def test_plain_steps_keep_mgdas_promise_and_adams_steps_break_it_where_the_lesson_says():
    checks = {(c.optimizer, c.start): c for c in lesson07.plain_vs_adam_toy()}
    starts = [tuple(s) for s in toys.TOY_STARTS.tolist()]
    assert len(checks) == 6
    for start in starts:
        assert checks["plain", start].broken == 0
        assert checks["adam", start].reached_at is not None               # Adam reaches the front from every start
    upper, lower, right = starts
    assert checks["adam", lower].broken == 0                              # smooth bowls: never
    for start in (upper, right):                                          # "about 2 % of the approach"
        share = checks["adam", start].broken / checks["adam", start].approach
        assert 0.01 < share < 0.03, (start, share)
    assert checks["plain", right].reached_at is None                       # still creeping beside the crease of L2
    assert checks["plain", right].end[0] == pytest.approx(5.0, abs=0.01)
    assert checks["adam", right].reached_at <= 14_000


def test_verdicts_name_the_four_outcomes():
    optimum = toys.toy_average_optimum()
    assert lesson07.toy_verdict(optimum, 0.0, 0.0) == "average-loss optimum"
    assert lesson07.toy_verdict([-3.0, -8.37], 0.001, 3.0) == "Pareto front, x₁ = -3.00"
    assert lesson07.toy_verdict([-1e-14, -8.33], 0.025, 0.025) == "0.025 short of the front"
    crease_x1 = 2 * (np.tanh(1.5) - 3.5)  # a = 0 there: the crease of L1
    assert lesson07.toy_verdict([crease_x1, 1.5], 9.9, 11.0) == "stuck in the crease of L₁"
    assert lesson07.toy_verdict([-crease_x1, 1.5], 9.9, 11.0) == "stuck in the crease of L₂"
    assert lesson07.toy_verdict([0.0, 5.0], 13.4, 13.4) == "stopped 13.40 from the front"


def test_outcomes_follow_the_methods_and_starts_asked_for(lab):
    outcomes = lesson07.toy_outcomes(lab, ["cagrad", "mean"], [2])
    assert [(o.method, o.start) for o in outcomes] == [("mean", 2), ("cagrad", 2)]
    assert outcomes[1].verdict == "average-loss optimum"
    html_table = lesson07.toy_outcome_table_html(outcomes)
    assert "start 3: (9.00, 9.00)" in html_table and html_table.count("<tr>") == 3


# ---- the explorer ----------------------------------------------------------------------------------

def test_explorer_update_draws_the_default_and_every_setting_without_warnings(lab):
    update, defaults = explorers.EXPLORERS["balancing_lab"]
    assert update is lesson07.balancing_lab_explorer_update
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for settings in (defaults, {"methods": tuple(lesson07.TOY_METHOD_LABELS), "start": 2},
                         {"methods": ("aligned_mtl",), "start": 0}):
            fig = update(**settings, runs=lab)
            assert isinstance(fig, Figure)
            assert explorers.figure_to_png(fig).startswith(PNG_MAGIC)
    fig = update(**defaults)  # without runs: the cached lab
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert [lesson07.TOY_METHOD_LABELS[m] for m in defaults["methods"]] == [name for name in labels
                                                                    if name in lesson07.TOY_METHOD_LABELS.values()]


@pytest.mark.parametrize("settings, fragment", [
    ({"methods": ()}, "Pick at least one method"),
    ({"methods": ("adam",)}, "Unknown method"),
    ({"start": 3}, "start must be 0, 1 or 2"),
])
def test_explorer_explains_settings_that_cannot_work(lab, settings, fragment):
    with pytest.raises(ValueError, match=fragment):
        lesson07.balancing_lab_explorer_update(**settings, runs=lab)


def test_widget_draws_paths_and_a_table_and_redraws_on_every_control(lab):
    explorer = lesson07.balancing_lab_explorer(runs=lab)
    assert explorers.EXPLORER_CLASS in explorer._dom_classes
    assert list(explorer.controls) == ["start", "methods"]
    assert shown_png(explorer) and explorer.outcome_table in explorer.children
    assert explorer.outcome_table.value.count("<tr>") == 1 + len(explorers.EXPLORERS["balancing_lab"][1]["methods"])
    picture = shown_png(explorer)
    explorer.controls["start"].value = 2
    assert shown_png(explorer) != picture and "start 3" in explorer.outcome_table.value
    picture = shown_png(explorer)
    explorer.controls["methods"].value = ("cagrad",)
    assert shown_png(explorer) != picture and explorer.outcome_table.value.count("<tr>") == 2
    explorer.controls["methods"].value = ()
    assert "Pick at least one method" in shown_text(explorer) and explorer.outcome_table.value == ""


# ---- static figures ---------------------------------------------------------------------------------

def test_graddrop_panel_shows_its_outcomes_whose_average_is_the_mean():
    G = np.array([[3.0, 0.5], [-1.0, 1.2]])
    directions = lesson07.two_task_directions(G)
    outcomes, chances = directions["GradDrop"], directions["GradDrop probabilities"]
    assert chances.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(chances @ outcomes, agg.mean(G), atol=1e-12)
    np.testing.assert_allclose(directions["MGDA"], agg.mgda(G))
    np.testing.assert_allclose(directions["CAGrad (c = 0.5)"], agg.cagrad(G, c=0.5))
    assert isinstance(lesson07.plot_two_task_directions(G), Figure)
    assert len([ax for ax in lesson07.plot_two_task_directions(G, methods=()).axes if ax.get_visible()]) == 1
    with pytest.raises(ValueError, match="unknown methods"):
        lesson07.plot_two_task_directions(G, methods=("adam",))
    with pytest.raises(ValueError, match="must be \\(2, 2\\)"):
        lesson07.two_task_directions(np.ones((3, 2)))


# ---- the network comparison -------------------------------------------------------------------------

def test_scale_mismatch_data_has_a_large_value_target_and_read_only_arrays():
    data = lesson07.scale_mismatch_data()
    assert data.X_train.shape == (lesson07.SCALE_MISMATCH["n_train"], 10)
    assert 5.0 < np.std(data.targets_train[0]) < 20.0  # about 10: a unit-variance target times 10
    assert set(np.unique(data.targets_train[1])) == {0, 1}
    with pytest.raises(ValueError):
        data.targets_train[0][0] = 1.0


def test_network_runs_are_reproducible_and_uncertainty_downweights_the_large_loss():
    first, again = lesson07.balancing_network_run("uncertainty", seed=1), lesson07.balancing_network_run("uncertainty", seed=1)
    np.testing.assert_array_equal(first.test_metrics, again.test_metrics)
    steps = lesson07.SCALE_MISMATCH["steps"]
    assert first.weights.shape == first.task_losses.shape == (len(first.steps), 2)
    assert first.steps[-1] == steps - 1 and first.test_metrics[0] > 0 and 0 <= first.test_metrics[1] <= 1
    # Kendall et al.'s weight settles near 1/(2 L_t) (regression) and 1/L_t (classification), so with
    # a value loss ~100x the label loss the ratio must fall well below 1.
    ratio = first.weights[-1, 0] / first.weights[-1, 1]
    assert ratio < 0.1
    equal = lesson07.balancing_network_run("equal", seed=1)
    np.testing.assert_array_equal(equal.weights, np.ones_like(equal.weights))
    with pytest.raises(ValueError, match="Unknown method 'adam'"):
        lesson07.balancing_network_run("adam")


def test_weight_figure():
    runs = {m: lesson07.balancing_network_run(m, seed=0) for m in ("equal", "mgda")}
    fig = lesson07.plot_weight_ratios(runs)
    assert isinstance(fig, Figure) and explorers.figure_to_png(fig).startswith(PNG_MAGIC)


# ---- the network comparison: ten seeds, paired intervals, and the two controls ------------------------

@pytest.fixture(scope="module")
def comparison():
    return lesson07.balancing_network_comparison()


def _verdicts(comparison):
    from mtl_edu.instruments.stats import mean_interval

    out = {}
    for row in comparison.rows[1:]:
        interval = mean_interval(comparison.delta_m[row])
        out[row] = "better" if interval.high < 0 else "worse" if interval.low > 0 else "no difference"
    return out


def test_each_row_of_the_comparison_is_the_single_run_of_that_seed(comparison):
    assert len(comparison.seeds) >= 10
    for method, seed in (("mgda", 3), ("uncertainty", 7)):
        run = lesson07.balancing_network_run(method, seed)
        np.testing.assert_allclose(comparison.test_metrics[method][seed], run.test_metrics, rtol=1e-12)
        np.testing.assert_allclose(comparison.weights[method][:, seed], run.weights, rtol=1e-12, atol=1e-15)


def test_the_lesson_verdicts(comparison):
    verdicts = _verdicts(comparison)
    better = {row for row, verdict in verdicts.items() if verdict == "better"}
    assert better == {"stl_early", "uncertainty", "gradnorm", "famo", "imtl_g", "aligned_mtl"}
    assert verdicts["equal_standardised"] == "worse"
    for row in ("equal", "dwa", "rlw", "mgda", "pcgrad", "cagrad", "nash_mtl", "graddrop"):
        assert verdicts[row] == "no difference", row


def test_early_stopped_single_task_networks_beat_every_balancer(comparison):
    early = comparison.delta_m["stl_early"]
    for method in lesson07.NETWORK_METHOD_LABELS:
        assert np.mean(early) < np.mean(comparison.delta_m[method]), method
    # paired: early stopping against the best balancer, seed by seed
    from mtl_edu.instruments.stats import paired_interval
    assert paired_interval(early, comparison.delta_m["gradnorm"]).high < 0


def test_the_methods_that_beat_stl_fit_the_value_training_data_less_closely(comparison):
    mse = {row: comparison.train_value_mse[row].mean() for row in comparison.rows if row != "stl_early"}
    for row in ("uncertainty", "gradnorm", "famo", "imtl_g", "aligned_mtl"):
        assert mse[row] > mse["equal"], row
    assert mse["equal_standardised"] < 1.0 < mse["equal"] < 2.5  # "near 2, or below 1 once standardised"


# ---- exercise checkers and the measuring cell ----------------------------------------------------------

@pytest.mark.parametrize("checker", [lesson07.check_imtl_g_two_tasks, lesson07.check_mgda_lower_start,
                                     lesson07.check_task_gradients])
def test_stubs_are_not_attempted(checker, capsys):
    assert checker(stub) is None
    assert capsys.readouterr().out == checking.NOT_ATTEMPTED + "\n"


def imtl_g_two(g1, g2):
    length_1, length_2 = np.linalg.norm(g1), np.linalg.norm(g2)
    if length_1 == 0 or length_2 == 0:
        return (g1 + g2).astype(float)
    return (length_2 * g1 + length_1 * g2) / (length_1 + length_2)


def test_imtl_g_checker_passes_the_two_task_direction_without_restating_it(capsys):
    out = passes(lesson07.check_imtl_g_two_tasks, imtl_g_two, capsys)
    assert "‖g" not in out and "length" not in out  # the weights are the answer


@pytest.mark.parametrize("route", [
    lambda G: agg.imtl_g(G),
    lambda G: agg.imtl_g_weights(G) @ G,
    lambda G: agg.aggregate("imtl_g", G),
    lambda G: agg.get_aggregator("imtl_g")(G),
    lambda G: agg.AGGREGATORS["imtl_g"](G),
    lambda G: agg.nash_mtl(G) / np.linalg.norm(agg.nash_mtl(G)),
    lambda G: np.array(agg.two_task_direction("imtl_g")(*G.ravel(), 0.0, 0.0)),
])
def test_imtl_g_checker_refuses_the_package_imtl_g_by_any_route(route):
    fails(lesson07.check_imtl_g_two_tasks, lambda g1, g2: route(np.stack([g1, g2])), "mtl_edu's own",
          "write that part yourself")
    G = np.array([[3.0, 0.5], [-1.0, 1.2]])  # restored afterwards
    np.testing.assert_allclose(agg.aggregate("imtl_g", G), imtl_g_two(G[0], G[1]))
    assert agg.AGGREGATORS["imtl_g"] is agg.imtl_g


def test_imtl_g_direction_has_equal_projections_and_weights_summing_to_one():
    for g1, g2, _ in lesson07._TWO_TASK_CASES[:5]:
        d = imtl_g_two(g1, g2)
        if np.any(d):
            assert d @ g1 / np.linalg.norm(g1) == pytest.approx(d @ g2 / np.linalg.norm(g2))
    g1, g2 = np.array([3.0, 0.5]), np.array([-1.0, 1.2])
    weights = np.linalg.lstsq(np.stack([g1, g2]).T, imtl_g_two(g1, g2), rcond=None)[0]
    assert weights.sum() == pytest.approx(1.0)


def test_imtl_g_checker_names_each_slip():
    def own_length(g1, g2):
        n1, n2 = np.linalg.norm(g1), np.linalg.norm(g2)
        return (n1 * g1 + n2 * g2) / (n1 + n2) if n1 + n2 else g1 + g2

    def unit_sum(g1, g2):
        return g1 / np.linalg.norm(g1) + g2 / np.linalg.norm(g2)

    def divides_by_zero(g1, g2):  # right wherever both gradients have a direction
        n1, n2 = np.linalg.norm(g1), np.linalg.norm(g2)
        with np.errstate(all="ignore"):
            return (g1 / n1 + g2 / n2) * n1 * n2 / (n1 + n2)

    def in_place(g1, g2):
        g1 *= 2.0
        return imtl_g_two(g1, g2)

    fails(lesson07.check_imtl_g_two_tasks, own_length, "weighted each gradient by its own length")
    fails(lesson07.check_imtl_g_two_tasks, lambda g1, g2: (g1 + g2) / 2, "That is the mean")
    fails(lesson07.check_imtl_g_two_tasks, unit_sum, "points the right way", "wrong length")
    fails(lesson07.check_imtl_g_two_tasks, divides_by_zero, "a zero gradient has no direction")
    fails(lesson07.check_imtl_g_two_tasks, in_place, "changed the gradients")
    fails(lesson07.check_imtl_g_two_tasks, lambda g1, g2: None, "did you forget the `return`")
    fails(lesson07.check_imtl_g_two_tasks, lambda g1, g2: g1[:1], "returned shape")


def test_pareto_point_of_the_exercise_has_opposite_gradients():
    point, G = lesson07.pareto_exercise_gradients()
    # distance_to_pareto_set samples the set every 0.0035 in x1
    assert point[0] == pytest.approx(3.0) and toys.distance_to_pareto_set(point) < 2e-3
    cosine = G[0] @ G[1] / np.linalg.norm(G[0]) / np.linalg.norm(G[1])
    assert cosine == pytest.approx(-1.0, abs=1e-9)


def test_the_pareto_measurement_separates_stoppers_from_movers_by_a_clear_margin():
    points, sizes, zero = lesson07.pareto_update_sizes()
    assert toys.distance_to_pareto_set(points).max() < 2e-3
    stoppers = {method for method, flags in zero.items() if flags.all()}
    assert stoppers == {"mgda", "pcgrad", "imtl_g", "nash_mtl"}
    for method in set(zero) - stoppers:  # they move at both points, by a clear margin
        assert not zero[method].any() and sizes[method].min() > 0.1, method
    assert np.allclose(sizes["graddrop"], sizes["mean"]) and np.allclose(sizes["aligned_mtl"], sizes["mean"])


def test_the_stoppers_measurement_waits_for_a_prediction(capsys):
    lesson07.measure_pareto_stoppers(stub)
    assert capsys.readouterr().out == checking.NO_PREDICTION + "\n"


@pytest.mark.parametrize("prediction, fragments", [
    ({"MGDA", "PCGrad", "imtl-g", "Nash MTL"}, ["Measured ‖d‖", "✓ Close"]),
    ({"mgda", "cagrad"}, ["4 of the 8 methods wrong: 1 named as stopping that keep moving, 3 left out",
                          "CAGrad (c = 0.5) moves: CAGrad stays within", "PCGrad stops: projecting"]),
    (set(), ["0 named as stopping that keep moving, 4 left out that stop", "MGDA stops"]),
    (["mean", "graddrop", "aligned_mtl", "mgda", "pcgrad", "imtl_g", "nash_mtl"],
     ["3 named as stopping", "GradDrop moves: GradDrop's expected update is the mean",
      "Aligned-MTL moves", "mean moves"]),
])
def test_the_stoppers_measurement_reports_each_misjudged_method(prediction, fragments, capsys):
    lesson07.measure_pareto_stoppers(lambda: prediction)
    out = capsys.readouterr().out
    for fragment in fragments:
        assert fragment in out, out
    for line in lesson07._pareto_measurement_lines():
        assert line in out


def test_the_stoppers_measurement_names_a_prediction_of_the_wrong_form():
    fails(lesson07.measure_pareto_stoppers, lambda: "mgda", "should be a set")
    fails(lesson07.measure_pareto_stoppers, lambda: {"adam"}, "unknown method name")
    fails(lesson07.measure_pareto_stoppers, lambda: None, "returned None")


def test_the_claims_behind_exercise_3s_feedback_hold(lab):
    path = lab.paths["mgda"][1]
    for point in path[::10]:  # d = γ g₁ + (1 − γ) g₂ with γ below 0.001 all the way: task 2 alone
        G = toys.cagrad_toy(point)[1]
        difference = G[0] - G[1]
        assert np.clip((G[1] - G[0]) @ G[1] / (difference @ difference), 0, 1) < 1e-3
        assert np.linalg.norm(G[1]) < 0.2 * np.linalg.norm(G[0])  # "g₂ is much shorter"
    G = toys.cagrad_toy(path[0])[1]
    assert G[0] @ G[1] > 0  # "here" (at the start) g₂ is "partly aligned with" g₁
    assert abs(path[-1, 0] + 7.0) < 0.05
    checks = lesson07.plain_vs_adam_toy()
    assert (checks[1].optimizer, checks[1].start) == ("plain", (-8.5, -5.0))  # option (a)'s feedback: `checks[1]`
    assert abs(checks[1].end[0] + 7.0) < 0.05  # plain steps end there too
    assert np.all(path[:, 1] < -4.9)  # option (c): the path stays in the lower half, where the creases are not
    assert np.linalg.norm(lab.paths["mean"][1, -1] - lab.optimum) < 0.01  # option (d): the mean goes elsewhere


def test_mgda_lower_start_choice_confirms_without_naming_the_letter(capsys):
    out = passes(lesson07.check_mgda_lower_start, lambda: " (B) ", capsys)
    assert "(b)" not in out.lower()


@pytest.mark.parametrize("answer, fragment", [
    ("a", "plain steps"),
    ("c", "only where a log loss's argument passes through zero"),
    ("d", "is what the mean does"),
    ("e", "the options are 'a', 'b', 'c', 'd', got 'e'"),
    (2, "return one letter as a string"),
])
def test_mgda_lower_start_wrong_options_name_the_misconception(answer, fragment):
    fails(lesson07.check_mgda_lower_start, lambda: answer, fragment)


def fixed_task_gradients(net, X, targets, tasks):
    G = []
    for task_output, task_target, task in zip(net(X), targets, tasks):
        net.zero_grad()
        multitask.task_loss(task, task_output, task_target).backward(retain_graph=True)
        G.append(np.concatenate([p.grad.ravel() for p in net.shared_parameters()]))
    return np.stack(G)


def buggy_task_gradients(net, X, targets, tasks):  # the lesson's planted bug: no zero_grad
    rows = []
    for output, target, task in zip(net(X), targets, tasks):
        multitask.task_loss(task, output, target).backward(retain_graph=True)
        rows.append(np.concatenate([p.grad.ravel() for p in net.shared_parameters()]))
    return np.stack(rows)


def test_task_gradients_checker_passes_the_fix(capsys):
    passes(lesson07.check_task_gradients, fixed_task_gradients, capsys)


def test_task_gradients_checker_refuses_the_package_version():
    def by_the_package(net, X, targets, tasks):
        losses = [multitask.task_loss(task, out, target) for out, target, task in zip(net(X), targets, tasks)]
        return multitask.task_gradients(losses, net.shared_parameters())

    def by_its_helper(net, X, targets, tasks):
        losses = [multitask.task_loss(task, out, target) for out, target, task in zip(net(X), targets, tasks)]
        rows = multitask.per_task_gradients(losses, net.shared_parameters())
        return np.stack([np.concatenate([g.ravel() for g in row]) for row in rows])

    fails(lesson07.check_task_gradients, by_the_package, "mtl_edu's own task_gradients")
    fails(lesson07.check_task_gradients, by_its_helper, "mtl_edu's own per_task_gradients")
    assert multitask.task_gradients.__name__ == "task_gradients"  # restored afterwards
    assert multitask.per_task_gradients.__name__ == "per_task_gradients"


def test_task_gradients_checker_names_the_bug_and_the_usual_non_fixes():
    def zeroed_once(net, X, targets, tasks):
        net.zero_grad()
        return buggy_task_gradients(net, X, targets, tasks)

    def zeroed_after(net, X, targets, tasks):
        rows = []
        for output, target, task in zip(net(X), targets, tasks):
            multitask.task_loss(task, output, target).backward(retain_graph=True)
            rows.append(np.concatenate([p.grad.ravel() for p in net.shared_parameters()]))
            net.zero_grad()
        return np.stack(rows)

    def zeroed_before_reading(net, X, targets, tasks):
        rows = []
        for output, target, task in zip(net(X), targets, tasks):
            multitask.task_loss(task, output, target).backward(retain_graph=True)
            net.zero_grad()
            rows.append(np.concatenate([np.zeros(p.size) for p in net.shared_parameters()]))
        return np.stack(rows)

    fails(lesson07.check_task_gradients, buggy_task_gradients, "a first call", "sum of the gradients of tasks 1 to t")
    fails(lesson07.check_task_gradients, zeroed_once, "sum of the gradients of tasks 1 to t")
    fails(lesson07.check_task_gradients, zeroed_after, "after another backward pass", "not only after it")
    fails(lesson07.check_task_gradients, zeroed_before_reading, "Every row is zero")
    fails(lesson07.check_task_gradients, lambda *args: fixed_task_gradients(*args)[::-1], "reverse order")
    fails(lesson07.check_task_gradients, lambda *args: fixed_task_gradients(*args)[:, :3], "returned shape")


def test_the_lessons_buggy_set_up_shows_its_symptom_on_the_lesson_network():
    data = lesson07.scale_mismatch_data()
    net = multitask.HardSharingNet(10, [32, 16], list(data.tasks), branch_depth=1, rng=0)
    first = buggy_task_gradients(net, data.X_train, data.targets_train, data.tasks)
    lengths = np.linalg.norm(first, axis=1)
    assert lengths[1] / lengths[0] == pytest.approx(1.0, abs=0.02)  # "as long as the value task's"
    assert first[0] @ first[1] / lengths.prod() > 0.99  # "and pointing the same way"
    second = buggy_task_gradients(net, data.X_train, data.targets_train, data.tasks)
    assert np.linalg.norm(second[0]) > 1.9 * lengths[0]  # "a second call changes the answer"
    true = fixed_task_gradients(net, data.X_train, data.targets_train, data.tasks)
    assert np.linalg.norm(true[1]) < 0.1 * np.linalg.norm(true[0])  # the label's own gradient is short


def test_answer_texts_name_the_measurement_and_the_right_option(lab):
    texts = lesson07.answer_texts()
    assert set(texts) == {"ex2_pareto_stoppers", "ex3_mgda_lower_start"}
    assert any("stops" in line for line in texts["ex2_pareto_stoppers"])
    for giveaway in ("MGDA, PCGrad, IMTL-G and Nash-MTL", "MGDA, PCGrad, IMTL-G, Nash-MTL", "mgda, pcgrad, imtl_g, nash_mtl",
                     "Pareto front, x₁ = -3.09", *lesson07._toy_endings_lines(lab)):
        assert giveaway in texts["ex2_pareto_stoppers"], giveaway
    assert texts["ex3_mgda_lower_start"] == [lesson07.MGDA_LOWER_START.feedback["b"]]


def test_two_task_direction_names_what_it_cannot_do():
    with pytest.raises(ValueError, match="no two-task closed form for 'adam'; choose from mean, mgda"):
        agg.two_task_direction("adam")
    with pytest.raises(ValueError, match="two_task_direction: c must be a finite number >= 0"):
        agg.two_task_direction("cagrad", c=-1.0)
