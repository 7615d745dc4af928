"""mtl_edu.data.datasets: toy sets, related-task generators, Caruana's mechanisms, Palmer penguins."""

from importlib import resources

import numpy as np
import pytest

from mtl_edu import datasets as ds

TOY_SETS = [ds.make_moons, ds.make_circles, ds.make_spirals]


# ------------------------------------------------------------------------- 2-D toy sets


@pytest.mark.parametrize("make", TOY_SETS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [2, 101, 400])
def test_toy_set_shapes_dtypes_and_balance(make, n):
    X, y = make(n, rng=np.random.default_rng(0))
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", TOY_SETS, ids=lambda f: f.__name__)
def test_toy_set_is_deterministic_given_rng(make):
    X_a, y_a = make(200, rng=np.random.default_rng(7))
    X_b, y_b = make(200, rng=np.random.default_rng(7))
    X_seed, y_seed = make(200, rng=7)
    X_other, _ = make(200, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    np.testing.assert_array_equal(X_a, X_seed)
    np.testing.assert_array_equal(y_a, y_seed)
    assert not np.allclose(X_a, X_other)
    # Rows are shuffled: labels are not in sorted blocks.
    assert np.any(np.diff(y_a) < 0)


def test_moons_lie_on_their_half_circles_without_noise():
    X, y = ds.make_moons(300, noise=0.0, rng=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5)


def test_circles_radii_without_noise():
    X, y = ds.make_circles(300, noise=0.0, factor=0.3, rng=1)
    radius = np.hypot(*X.T)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_spirals_many_arms_balanced_and_bounded():
    X, y = ds.make_spirals(301, noise=0.0, rng=2, n_classes=5, turns=2.0)
    counts = np.bincount(y)
    assert counts.size == 5 and counts.max() - counts.min() <= 1
    radius = np.hypot(*X.T)
    assert radius.min() >= 0.05 - 1e-12 and radius.max() <= 1.0 + 1e-12
    # Arms are rotated copies: at a given radius, class k sits 2*pi*k/K further round.
    s = radius
    angle = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * 2.0 * s + 2 * np.pi * y / 5
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-9)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: ds.make_moons(0, rng=0), ValueError, "n must be >= 2, got 0"),
        (lambda: ds.make_moons(2.5, rng=0), TypeError, "n must be an int"),
        (lambda: ds.make_moons(True, rng=0), TypeError, "n must be an int"),
        (lambda: ds.make_moons(10, noise=-0.1, rng=0), ValueError, "noise must be >= 0.0, got -0.1"),
        (lambda: ds.make_moons(10, rng=None), TypeError, "rng must be a numpy.random.Generator or an int seed >= 0, got None"),
        (lambda: ds.make_moons(10, rng=np.random.RandomState(0)), TypeError, "got RandomState"),
        (lambda: ds.make_circles(10, factor=1.0, rng=0), ValueError, "factor must be in (0.0, 1.0), got 1.0"),
        (lambda: ds.make_spirals(10, rng=0, n_classes=1), ValueError, "n_classes must be >= 2, got 1"),
        (lambda: ds.make_spirals(2, rng=0, n_classes=3), ValueError, "n must be >= 3, got 2"),
        (lambda: ds.make_spirals(10, rng=0, turns=0), ValueError, "turns must be > 0.0, got 0.0"),
        (lambda: ds.make_moons(10, noise=float("nan"), rng=0), ValueError, "noise must be finite"),
    ],
)
def test_toy_sets_reject_bad_arguments(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)


# ------------------------------------------------------------------------- splitting


def test_train_test_split_partitions_aligned_rows():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50)
    split = ds.train_test_split(X, y, test_fraction=0.2, rng=0)
    (X_train, y_train), (X_test, y_test) = split.train, split.test
    assert len(X_test) == 10 and len(X_train) == 40
    assert sorted(np.concatenate([split.train_index, split.test_index]).tolist()) == list(range(50))
    np.testing.assert_array_equal(X_train, X[split.train_index])
    # Rows stay aligned across arrays.
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    again = ds.train_test_split(X, y, test_fraction=0.2, rng=0)
    np.testing.assert_array_equal(again.test_index, split.test_index)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [100, 40, 20])
    split = ds.train_test_split(y, test_fraction=0.25, rng=1, stratify=y)
    np.testing.assert_array_equal(np.bincount(split.test[0]), [25, 10, 5])
    np.testing.assert_array_equal(np.bincount(split.train[0]), [75, 30, 15])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ds.train_test_split(test_fraction=0.2, rng=0), "at least one array"),
        (lambda: ds.train_test_split(np.zeros(5), np.zeros(4), test_fraction=0.2, rng=0), "same number of rows, got [5, 4]"),
        (lambda: ds.train_test_split(np.zeros(5), test_fraction=1.0, rng=0), "test_fraction must be in (0.0, 1.0), got 1.0"),
        (lambda: ds.train_test_split(np.zeros(5), test_fraction=0.05, rng=0), "gives 0 test rows"),
        (lambda: ds.train_test_split(np.zeros(5), test_fraction=0.5, rng=0, stratify=np.zeros(4)), "stratify must have shape (5,)"),
    ],
)
def test_train_test_split_rejects_bad_arguments(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, (200, 3))
    train[:, 2] = 1.0  # a constant column, e.g. an island absent from this split
    test = rng.normal(-4.0, 0.5, (30, 3))
    result = ds.standardize(train, test)
    np.testing.assert_allclose(result.train[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(result.train[:, :2].std(axis=0), 1.0)
    np.testing.assert_allclose(result.test[:, :2], (test[:, :2] - train[:, :2].mean(0)) / train[:, :2].std(0))
    np.testing.assert_allclose(result.train[:, 2], 0.0)
    assert result.std[2] == 1.0
    # The test set's own statistics did not enter: its mean stays far from zero.
    assert np.all(result.test[:, :2].mean(axis=0) < -2.0)


def test_standardize_selected_columns_and_1d():
    train = np.array([[1.0, 0.0], [3.0, 1.0], [5.0, 1.0]])
    test = np.array([[7.0, 0.0]])
    result = ds.standardize(train, test, columns=[0])
    np.testing.assert_array_equal(result.train[:, 1], train[:, 1])
    np.testing.assert_allclose(result.test[0, 0], (7.0 - 3.0) / np.std([1.0, 3.0, 5.0]))
    flat = ds.standardize(np.array([2.0, 4.0]), np.array([6.0]))
    np.testing.assert_allclose(flat.test, [3.0])
    with pytest.raises(ValueError, match="NaN"):
        ds.standardize(np.array([1.0, np.nan]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"columns \[5\] out of range for 2 columns"):
        ds.standardize(train, test, columns=[5])


# ------------------------------------------------------------------------- related tasks


def _clean_correlation(rho, activation="tanh", seed=0):
    data = ds.make_related_tasks(6000, rho, rng=seed, activation=activation)
    return np.corrcoef(*data.clean_targets)[0, 1]


def test_task_correlation_rises_with_rho():
    rhos = [0.0, 0.25, 0.5, 0.75, 1.0]
    correlations = [_clean_correlation(rho) for rho in rhos]
    assert np.all(np.diff(correlations) > 0.05), correlations
    assert abs(correlations[0]) < 0.06
    assert correlations[-1] == pytest.approx(1.0)


def test_linear_teacher_correlation_equals_rho():
    for rho in [0.2, 0.6, 0.9]:
        assert _clean_correlation(rho, activation="linear", seed=3) == pytest.approx(rho, abs=0.04)


def test_rho_one_gives_one_function_with_independent_noise():
    data = ds.make_related_tasks(500, 1.0, rng=4, n_tasks=3, n_features=12, noise=0.3)
    for t in (1, 2):
        np.testing.assert_array_equal(data.clean_targets[0], data.clean_targets[t])
        assert not np.allclose(data.targets[0], data.targets[t])
    residuals = np.stack(data.targets) - np.stack(data.clean_targets)
    assert np.corrcoef(residuals)[0, 1] == pytest.approx(0.0, abs=0.15)


def test_related_task_weights_are_unit_norm_with_cosine_rho():
    teacher = ds.make_related_task_teacher(0.3, rng=5, n_tasks=3, n_features=16, n_hidden=3)
    W = teacher.task_weights
    assert W.shape == (3, 3, 16)
    np.testing.assert_allclose(np.linalg.norm(W, axis=2), 1.0)
    for s in range(3):
        for t in range(3):
            expected = np.eye(3) if s == t else 0.3 * np.eye(3)
            np.testing.assert_allclose(W[s] @ W[t].T, expected, atol=1e-12)


def test_related_tasks_targets_scale_noise_and_types():
    data = ds.make_related_tasks(
        8000, 0.5, rng=np.random.default_rng(6), noise=0.4, task_types=("regression", "classification")
    )
    assert data.X.shape == (8000, 10) and data.X.dtype == np.float64
    regression, labels = data.targets
    assert regression.dtype == np.float64 and labels.dtype == np.int64
    assert set(np.unique(labels).tolist()) == {0, 1}
    assert labels.mean() == pytest.approx(0.5, abs=0.05)
    # Noiseless targets have unit variance by construction; the noise has the requested std.
    assert np.std(data.clean_targets[0]) == pytest.approx(1.0, abs=0.05)
    assert np.std(regression - data.clean_targets[0]) == pytest.approx(0.4, abs=0.02)
    # Labels mostly agree with the sign of the clean score; noise flips a few near zero.
    agreement = np.mean(labels == (data.clean_targets[1] > 0))
    assert 0.8 < agreement < 1.0


def test_related_tasks_deterministic_and_teacher_resamples_same_functions():
    a = ds.make_related_tasks(50, 0.4, rng=np.random.default_rng(9))
    b = ds.make_related_tasks(50, 0.4, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.targets[1], b.targets[1])
    test = a.teacher.sample(30, rng=1)
    assert test.X.shape == (30, 10)
    np.testing.assert_allclose(test.clean_targets[0], a.teacher.clean_targets(test.X)[0])
    assert test.teacher is a.teacher


def test_amplification_tasks_share_one_function():
    data = ds.make_amplification_tasks(100, rng=2, n_tasks=4)
    assert len(data.targets) == 4 and data.teacher.rho == 1.0
    np.testing.assert_array_equal(data.clean_targets[0], data.clean_targets[3])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(n=10, rho=1.5), ValueError, "rho must be in [0.0, 1.0], got 1.5"),
        (dict(n=10, rho=-0.1), ValueError, "rho must be in [0.0, 1.0], got -0.1"),
        (dict(n=0, rho=0.5), ValueError, "n must be >= 1, got 0"),
        (dict(n=10, rho=0.5, n_features=5), ValueError, "need n_features >= 6"),
        (dict(n=10, rho=0.5, task_types=("regression",)), ValueError, "task_types has 1 entries but n_tasks=2"),
        (dict(n=10, rho=0.5, task_types=("regression", "ranking")), ValueError, "unknown task types ['ranking']"),
        (dict(n=10, rho=0.5, task_types="regression"), TypeError, "task_types must be a sequence"),
        (dict(n=10, rho=0.5, activation="relu"), ValueError, "activation must be 'tanh' or 'linear', got 'relu'"),
        (dict(n=10, rho=0.5, gain=0.0), ValueError, "gain must be > 0.0, got 0.0"),
    ],
)
def test_related_tasks_reject_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as caught:
        ds.make_related_tasks(rng=0, **kwargs)
    assert message in str(caught.value)


def test_teacher_clean_targets_checks_shape():
    teacher = ds.make_related_task_teacher(0.5, rng=0)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 10\), got \(4, 3\)"):
        teacher.clean_targets(np.zeros((4, 3)))


# ------------------------------------------------------------------------- balancing toys


def test_kendall_toy_noise_scales_recovered_by_least_squares():
    toy = ds.make_kendall_toy(20000, rng=0)
    assert toy.x.shape == (20000, 1) and toy.y1.shape == (20000,) and toy.y2.dtype == np.float64
    assert toy.noise_scales == (10.0, 1.0)
    design = np.column_stack([toy.x[:, 0], np.ones(20000)])
    for target, scale, slope, intercept in zip((toy.y1, toy.y2), (10.0, 1.0), (2.0, 3.0), (8.0, 3.0)):
        coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
        residual_std = np.std(target - design @ coefficients)
        assert residual_std == pytest.approx(scale, rel=0.03)
        assert coefficients[0] == pytest.approx(slope, abs=5 * scale / np.sqrt(20000))
        assert coefficients[1] == pytest.approx(intercept, abs=5 * scale / np.sqrt(20000))


# ------------------------------------------------------------------------- Caruana


def test_parity_tasks_follow_caruanas_rules():
    data = ds.make_parity_tasks(256, rng=0)
    bits = data.X.astype(int)
    assert bits.shape == (256, 8) and data.X.dtype == np.float64
    # Every pattern exactly once.
    assert len({tuple(row) for row in bits}) == 256
    parity = bits[:, 1:6].sum(axis=1) % 2
    np.testing.assert_array_equal(data.shared_feature, parity)
    b1 = bits[:, 0]
    expected = [b1 | parity, (1 - b1) | parity, b1 & parity, (1 - b1) & parity]
    for target, wanted in zip(data.targets, expected):
        assert target.dtype == np.int64
        np.testing.assert_array_equal(target, wanted)
    assert data.task_names[1] == "NOT b0 OR parity(b1,b2,b3,b4,b5)"


def test_parity_tasks_custom_rules_and_sampling():
    data = ds.make_parity_tasks(
        1000, rng=1, n_bits=6, parity_bits=(0, 1, 2), rules=(("xor", 3, False), ("and", 4, True)), distinct=False
    )
    bits = data.X.astype(int)
    parity = bits[:, :3].sum(axis=1) % 2
    np.testing.assert_array_equal(data.targets[0], bits[:, 3] ^ parity)
    np.testing.assert_array_equal(data.targets[1], (1 - bits[:, 4]) & parity)
    assert data.targets[0].mean() == pytest.approx(0.5, abs=0.06)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=300), "n=300 distinct patterns requested but n_bits=8 has only 256"),
        (dict(n=10, rules=(("or", 2, False),)), "private bit 2 in rule ('or', 2, False) is also a parity bit"),
        (dict(n=10, rules=(("nand", 0, False),)), "unknown operator 'nand'"),
        (dict(n=10, parity_bits=(1,)), "parity_bits must hold at least 2 distinct bit indices"),
        (dict(n=10, parity_bits=(1, 9)), "parity_bits [1, 9] out of range for n_bits=8"),
    ],
)
def test_parity_tasks_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as caught:
        ds.make_parity_tasks(rng=0, **kwargs)
    assert message in str(caught.value)


def test_attribute_selection_tasks_use_only_relevant_inputs():
    data = ds.make_attribute_selection_tasks(5000, rng=0, n_tasks=3, n_relevant=2, n_irrelevant=10, noise=0.1)
    assert data.X.shape == (5000, 12)
    np.testing.assert_array_equal(data.relevant_features, [0, 1])
    for t in range(3):
        coefficients, *_ = np.linalg.lstsq(data.X, data.targets[t], rcond=None)
        np.testing.assert_allclose(coefficients[:2], data.task_weights[t], atol=0.01)
        assert np.max(np.abs(coefficients[2:])) < 0.01
        assert np.std(data.targets[t] - data.clean_targets[t]) == pytest.approx(0.1, rel=0.05)


def test_input_as_extra_output_moves_one_column():
    X = np.arange(12.0).reshape(3, 4)
    rest, extra = ds.input_as_extra_output(X, 1)
    np.testing.assert_array_equal(rest, X[:, [0, 2, 3]])
    np.testing.assert_array_equal(extra, X[:, 1])
    rest, extra = ds.input_as_extra_output(X, -1)
    np.testing.assert_array_equal(extra, X[:, 3])
    with pytest.raises(ValueError, match="feature_index=4 out of range for 4 columns"):
        ds.input_as_extra_output(X, 4)
    with pytest.raises(ValueError, match=r"X must be 2-D \(n, d\), got shape \(4,\)"):
        ds.input_as_extra_output(np.zeros(4), 0)


# ------------------------------------------------------------------------- Palmer penguins
# Published counts for the palmerpenguins `penguins` table (344 penguins: Adelie 152, Chinstrap 68,
# Gentoo 124; 2 rows without measurements, 11 without sex, 333 complete cases).


def test_penguins_csv_ships_inside_the_package():
    resource = resources.files("mtl_edu").joinpath("data/penguins.csv")
    assert resource.is_file()
    header = resource.read_text(encoding="utf-8").splitlines()[0]
    assert header == "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"


def test_load_penguins_drops_incomplete_rows():
    penguins = ds.load_penguins()
    assert penguins.n_dropped == 11
    assert penguins.features.shape == (333, 6) and penguins.features.dtype == np.float64
    assert penguins.feature_names[:3] == ("bill_length_mm", "bill_depth_mm", "flipper_length_mm")
    assert "body_mass_g" not in penguins.feature_names
    assert penguins.species_names == ("Adelie", "Chinstrap", "Gentoo")
    np.testing.assert_array_equal(np.bincount(penguins.species), [146, 68, 119])
    np.testing.assert_array_equal(np.bincount(penguins.sex), [165, 168])
    assert penguins.species.dtype == np.int64 and penguins.sex.dtype == np.int64
    assert not np.isnan(penguins.features).any() and not np.isnan(penguins.body_mass_g).any()
    np.testing.assert_array_equal(penguins.features[:, 3:].sum(axis=1), 1.0)
    assert set(np.unique(penguins.year).tolist()) == {2007, 2008, 2009}
    # Physical sanity: masses 2.7-6.3 kg, flippers 172-231 mm; Gentoo are the heavy ones.
    assert 2500 < penguins.body_mass_g.min() and penguins.body_mass_g.max() < 6500
    assert 170 <= penguins.features[:, 2].min() and penguins.features[:, 2].max() <= 235
    mean_mass = [penguins.body_mass_g[penguins.species == k].mean() for k in range(3)]
    assert mean_mass[2] > mean_mass[0] + 1000


def test_load_penguins_keeps_missing_values_when_asked():
    penguins = ds.load_penguins(drop_missing=False)
    assert penguins.n_dropped == 0 and penguins.features.shape == (344, 6)
    np.testing.assert_array_equal(np.bincount(penguins.species), [152, 68, 124])
    np.testing.assert_array_equal(np.isnan(penguins.features[:, :3]).sum(axis=0), [2, 2, 2])
    assert np.isnan(penguins.body_mass_g).sum() == 2
    assert np.sum(penguins.sex == -1) == 11
    with pytest.raises(TypeError, match="drop_missing must be True or False"):
        ds.load_penguins(drop_missing="yes")


def test_penguins_stratified_split_and_standardize():
    penguins = ds.load_penguins()
    split = ds.train_test_split(
        penguins.features, penguins.species, test_fraction=0.3, rng=0, stratify=penguins.species
    )
    (X_train, y_train), (X_test, y_test) = split.train, split.test
    assert len(y_train) + len(y_test) == 333
    np.testing.assert_allclose(np.bincount(y_test) / len(y_test), np.bincount(penguins.species) / 333, atol=0.01)
    scaled = ds.standardize(X_train, X_test, columns=[0, 1, 2])
    np.testing.assert_allclose(scaled.train[:, :3].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(scaled.test[:, 3:], X_test[:, 3:])
