"""Each aggregator against the property that defines it, on seeded random conflicting gradients."""

import itertools

import numpy as np
import pytest

from mtl_edu import aggregators as agg
from mtl_edu.balancing.aggregators import AGGREGATORS, aggregate, get_aggregator

NAMES = sorted(AGGREGATORS)


def conflicting_gradients(rng, T, P):
    """Random (T, P) gradients with at least one conflicting pair (negative inner product)."""
    while True:
        G = rng.normal(size=(T, P)) * rng.uniform(0.2, 5.0, size=(T, 1))
        M = G @ G.T
        if (M[np.triu_indices(T, 1)] < 0).any():
            return G


def cases(seed, count, sizes):
    rng = np.random.default_rng(seed)
    for k in range(count):
        T, P = sizes[k % len(sizes)]
        yield conflicting_gradients(rng, T, P)


# ----------------------------------------------------------------------------------------------
# shared behaviour
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_identical_rows_give_the_mean(name, T):
    rng = np.random.default_rng(T)
    g = rng.normal(size=6)
    G = np.tile(g, (T, 1))
    d = aggregate(name, G, rng=rng)
    expected = T * g if name == "sum" else g
    np.testing.assert_allclose(d, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("T", [2, 3, 4])
def test_scaling_the_gradients_scales_the_direction(name, T):
    G = conflicting_gradients(np.random.default_rng(10 + T), T, 6)
    d = aggregate(name, G, rng=np.random.default_rng(0))
    d_scaled = aggregate(name, 3.7 * G, rng=np.random.default_rng(0))
    np.testing.assert_allclose(d_scaled, 3.7 * d, rtol=1e-7, atol=1e-12 * np.abs(G).max())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("T", [1, 2, 3])
def test_zero_gradients_give_zero_without_nan(name, T):
    d = aggregate(name, np.zeros((T, 5)), rng=np.random.default_rng(0))
    assert d.shape == (5,)
    assert np.all(d == 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_one_vanished_task_stays_finite(name):
    rng = np.random.default_rng(1)
    G = rng.normal(size=(3, 4))
    G[1] = 0.0
    d = aggregate(name, G, rng=rng)
    assert np.all(np.isfinite(d))


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    G = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    d = aggregate(name, G, rng=np.random.default_rng(0))
    assert d.dtype == np.float32 and d.shape == (5,)


@pytest.mark.parametrize("name", NAMES)
def test_bad_shapes_and_values_are_named(name):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"2-D \(T, P\).*shape \(3,\)"):
        aggregate(name, np.ones(3), rng=rng)
    with pytest.raises(ValueError, match=r"at least one task.*\(0, 4\)"):
        aggregate(name, np.ones((0, 4)), rng=rng)
    G = np.ones((2, 3))
    G[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"non-finite.*task 1, parameter 2"):
        aggregate(name, G, rng=rng)
    with pytest.raises(TypeError, match="real numbers"):
        aggregate(name, np.array([["a", "b"]]), rng=rng)


def test_dispatch_errors_list_valid_names_and_parameters():
    G = np.ones((2, 3))
    with pytest.raises(ValueError, match="unknown aggregator 'mgd'.*cagrad.*mgda.*pcgrad"):
        aggregate("mgd", G)
    with pytest.raises(ValueError, match="'mgda' does not take c.*tol, max_iter"):
        aggregate("mgda", G, c=0.5)
    with pytest.raises(ValueError, match="needs rng.*T = 3"):
        aggregate("pcgrad", -np.eye(3))
    with pytest.raises(ValueError, match="graddrop: needs rng"):
        aggregate("graddrop", G)
    with pytest.raises(TypeError, match="numpy.random.Generator.*int"):
        aggregate("graddrop", G, rng=0)
    with pytest.raises(ValueError, match="cagrad: c must be a finite number >= 0, got -1"):
        aggregate("cagrad", G, c=-1)
    with pytest.raises(ValueError, match="max_iter must be an int >= 1"):
        agg.mgda(G, max_iter=0)
    with pytest.raises(ValueError, match=r"leak must be .* \[0, 1\]"):
        agg.graddrop(G, np.random.default_rng(0), leak=1.5)


def test_dispatch_matches_direct_calls():
    G = conflicting_gradients(np.random.default_rng(3), 3, 5)
    np.testing.assert_array_equal(aggregate("cagrad", G, c=0.3), agg.cagrad(G, c=0.3))
    bound = get_aggregator("pcgrad", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(bound(G), agg.pcgrad(G, np.random.default_rng(7)))
    np.testing.assert_array_equal(aggregate("sum", G), G.sum(axis=0))
    np.testing.assert_array_equal(aggregate("mean", G), G.mean(axis=0))


# ----------------------------------------------------------------------------------------------
# MGDA
# ----------------------------------------------------------------------------------------------

def test_mgda_two_tasks_matches_dense_segment_search():
    grid = np.linspace(0.0, 1.0, 200_001)
    for G in cases(10, 20, [(2, 3), (2, 7)]):
        points = grid[:, None] * G[0] + (1 - grid[:, None]) * G[1]
        best = np.min(np.einsum("ij,ij->i", points, points))
        d = agg.mgda(G)
        assert d @ d <= best + 1e-9 * (G**2).sum()
        w = agg.mgda_weights(G)  # and d is a point of the segment, so no lower than the minimum
        assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(d, w @ G, atol=1e-12)


def slow_min_norm(M, iterations=5_000):
    """Projected gradient descent on w^T M w over the simplex with a fixed safe step."""
    T = len(M)
    w = np.full(T, 1.0 / T)
    step = 0.5 / np.linalg.eigvalsh(M)[-1]
    for _ in range(iterations):
        w = agg._project_to_simplex(w - step * 2 * M @ w)
    return w


@pytest.mark.parametrize("T", [3, 4, 6])
def test_mgda_is_the_min_norm_point_of_the_hull(T):
    for G in cases(20 + T, 4, [(T, T + 2), (T, 2 * T)]):
        w = agg.mgda_weights(G)
        d = agg.mgda(G)
        assert np.all(w >= 0) and np.isclose(w.sum(), 1.0)
        np.testing.assert_allclose(d, w @ G, atol=1e-12)
        # Optimality of the min-norm point of a convex hull: <g_t - d, d> >= 0 for every vertex.
        scale = (G**2).sum(axis=1).max()
        assert np.all(G @ d - d @ d >= -1e-7 * scale)
        w_slow = slow_min_norm(G @ G.T)
        slow = w_slow @ G
        assert d @ d <= slow @ slow + 1e-8 * scale


def test_mgda_decreases_every_loss_unless_pareto_stationary():
    for G in cases(30, 10, [(3, 6), (2, 4)]):
        d = agg.mgda(G)
        assert np.all(G @ d >= (d @ d) * (1 - 1e-6))
    opposite = np.array([[1.0, 2.0], [-2.0, -4.0]])
    np.testing.assert_allclose(agg.mgda(opposite), 0.0, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# PCGrad
# ----------------------------------------------------------------------------------------------

def test_pcgrad_leaves_non_conflicting_gradients_alone():
    rng = np.random.default_rng(40)
    for _ in range(10):
        G = np.abs(rng.normal(size=(4, 5)))  # all entries positive: no pair conflicts
        np.testing.assert_allclose(agg.pcgrad(G, rng), G.mean(axis=0), rtol=1e-12)


def test_pcgrad_two_tasks_follows_the_projection_rule():
    for G in cases(41, 10, [(2, 3), (2, 6)]):
        g1, g2 = G
        inner = g1 @ g2
        projected_1 = g1 - inner / (g2 @ g2) * g2
        projected_2 = g2 - inner / (g1 @ g1) * g1
        d = agg.pcgrad(G)
        np.testing.assert_allclose(d, (projected_1 + projected_2) / 2, rtol=1e-10, atol=1e-12)
        # each projected gradient is orthogonal to the other task's original gradient
        assert abs(projected_1 @ g2) < 1e-9 * np.linalg.norm(g1) * np.linalg.norm(g2)


def test_pcgrad_three_tasks_projects_only_conflicting_pairs():
    # g1 and g2 conflict; g3 is orthogonal to both, so the visiting order does not matter.
    g1 = np.array([1.0, 0.0, 0.0])
    g2 = np.array([-1.0, 1.0, 0.0])
    g3 = np.array([0.0, 0.0, 2.0])
    expected = (np.array([0.5, 0.5, 0.0]) + np.array([0.0, 1.0, 0.0]) + g3) / 3
    for seed in range(5):
        d = agg.pcgrad(np.stack([g1, g2, g3]), np.random.default_rng(seed))
        np.testing.assert_allclose(d, expected, atol=1e-12)


def test_pcgrad_uses_the_random_order_reproducibly():
    G = conflicting_gradients(np.random.default_rng(42), 4, 3)
    first = agg.pcgrad(G, np.random.default_rng(5))
    again = agg.pcgrad(G, np.random.default_rng(5))
    np.testing.assert_array_equal(first, again)
    results = {tuple(np.round(agg.pcgrad(G, np.random.default_rng(s)), 12)) for s in range(30)}
    assert len(results) > 1, "order of projections should matter for these gradients"


# ----------------------------------------------------------------------------------------------
# CAGrad
# ----------------------------------------------------------------------------------------------

def dual_objective(G, w, c):
    """CAGrad's dual objective at simplex weights w: (T,) or a batch (N, T)."""
    g0 = G.mean(axis=0)
    g_w = w @ G
    return g_w @ g0 + c * np.linalg.norm(g0) * np.linalg.norm(g_w, axis=-1)


def simplex_grid(T, resolution):
    points = [p for p in itertools.product(range(resolution + 1), repeat=T - 1)
              if sum(p) <= resolution]
    points = np.array(points, dtype=float) / resolution
    return np.column_stack([points, 1.0 - points.sum(axis=1)])


def test_cagrad_with_c_zero_is_the_mean_gradient():
    for G in cases(50, 6, [(2, 3), (3, 5), (5, 4)]):
        np.testing.assert_array_equal(agg.cagrad(G, c=0.0), G.mean(axis=0))


@pytest.mark.parametrize("T", [2, 3, 4])
@pytest.mark.parametrize("c", [0.2, 0.5, 0.9])
def test_cagrad_solves_its_constrained_problem(T, c):
    grid = simplex_grid(T, {2: 100_000, 3: 300, 4: 40}[T])
    for G in cases(60 + T, 5, [(T, T + 1), (T, 2 * T)]):
        g0 = G.mean(axis=0)
        d = agg.cagrad(G, c=c, rescale=False)
        assert np.linalg.norm(d - g0) <= c * np.linalg.norm(g0) * (1 + 1e-9)
        worst = np.min(G @ d)
        assert worst >= np.min(G @ g0) - 1e-12
        # Weak duality: every simplex point bounds the optimum from above; d attains the bound
        # at the solver's own weights, so d is optimal.
        w = agg.cagrad_weights(G, c=c)
        scale = np.linalg.norm(g0) ** 2
        assert worst == pytest.approx(dual_objective(G, w, c), abs=1e-6 * scale)
        grid_best = dual_objective(G, grid, c).min()
        assert dual_objective(G, w, c) <= grid_best + 1e-9 * scale
        np.testing.assert_allclose(agg.cagrad(G, c=c), d / (1 + c), rtol=1e-12)


def test_cagrad_beats_random_feasible_directions():
    rng = np.random.default_rng(70)
    for G in cases(71, 5, [(3, 4)]):
        c = 0.5
        g0 = G.mean(axis=0)
        d = agg.cagrad(G, c=c, rescale=False)
        offsets = rng.normal(size=(20_000, G.shape[1]))
        offsets *= (c * np.linalg.norm(g0) * rng.uniform(size=(20_000, 1)) ** 0.25
                    / np.linalg.norm(offsets, axis=1, keepdims=True))
        others = np.min((g0 + offsets) @ G.T, axis=1)
        assert np.min(G @ d) >= others.max() - 1e-9


def test_cagrad_opposite_gradients():
    G = np.array([[1.0, 0.0], [-3.0, 0.0]])
    g0 = G.mean(axis=0)
    np.testing.assert_allclose(agg.cagrad(G, c=0.5, rescale=False), 0.5 * g0, atol=1e-12)
    np.testing.assert_allclose(agg.cagrad(G, c=1.5, rescale=False), 0.0, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# IMTL-G
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 5])
def test_imtl_g_gives_equal_projections_on_unit_gradients(T):
    for G in cases(80 + T, 6, [(T, T), (T, 3 * T)]):
        d = agg.imtl_g(G)
        units = G / np.linalg.norm(G, axis=1, keepdims=True)
        projections = units @ d
        np.testing.assert_allclose(projections, projections[0], rtol=1e-8)
        alpha = agg.imtl_g_weights(G)
        assert alpha.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(d, alpha @ G, atol=1e-12)


def test_imtl_g_handles_parallel_and_duplicate_tasks():
    g = np.array([1.0, 2.0, -1.0])
    d = agg.imtl_g(np.stack([g, 3 * g]))  # same direction, different lengths
    np.testing.assert_allclose(d, 1.5 * g, rtol=1e-12)  # weights (3, 1) / 4
    G = np.stack([g, g, np.array([0.5, -1.0, 2.0])])
    d = agg.imtl_g(G)
    units = G / np.linalg.norm(G, axis=1, keepdims=True)
    np.testing.assert_allclose(units @ d, (units @ d)[0], rtol=1e-8)


# ----------------------------------------------------------------------------------------------
# Nash-MTL
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 5])
def test_nash_mtl_weights_solve_the_bargaining_equation(T):
    for G in cases(90 + T, 6, [(T, T + 1), (T, 3 * T)]):
        alpha = agg.nash_mtl_weights(G)
        assert np.all(alpha > 0)
        np.testing.assert_allclose(alpha * (G @ G.T @ alpha), 1.0, rtol=1e-9)
        # the direction is G^T alpha, scaled by sqrt(||G G^T||_F) / T
        d = agg.nash_mtl(G, ridge=0.0)
        expected = np.sqrt(np.linalg.norm(G @ G.T)) / T * (alpha @ G)
        np.testing.assert_allclose(d, expected, rtol=1e-7)


def test_nash_mtl_two_task_closed_form_and_opposite_gradients():
    G = np.array([[3.0, 1.0], [-1.0, 2.0]])
    units = G / np.linalg.norm(G, axis=1, keepdims=True)
    d = agg.nash_mtl(G)
    bisector = units.sum(axis=0)
    assert abs(d[0] * bisector[1] - d[1] * bisector[0]) < 1e-12  # d is along u1 + u2
    np.testing.assert_allclose(agg.nash_mtl(np.array([[1.0, 1.0], [-2.0, -2.0]])), 0.0)


def test_nash_mtl_gain_is_inverse_to_weight_under_task_rescaling():
    G = conflicting_gradients(np.random.default_rng(99), 3, 5)
    scaled = G * np.array([[1.0], [10.0], [0.1]])
    d, d_scaled = agg.nash_mtl(G, ridge=0.0), agg.nash_mtl(scaled, ridge=0.0)
    cosine = d @ d_scaled / (np.linalg.norm(d) * np.linalg.norm(d_scaled))
    assert cosine == pytest.approx(1.0, abs=1e-9)  # rescaling one task's loss keeps the direction


# ----------------------------------------------------------------------------------------------
# Aligned-MTL
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [2, 3, 5])
def test_aligned_mtl_makes_gradients_orthonormal_up_to_sqrt_lambda_min(T):
    for G in cases(100 + T, 5, [(T, T), (T, 3 * T)]):
        aligned = agg.aligned_mtl_gradients(G)
        lambda_min = np.linalg.eigvalsh(G @ G.T)[0]
        np.testing.assert_allclose(aligned @ aligned.T, lambda_min * np.eye(T),
                                   atol=1e-9 * lambda_min + 1e-12)
        np.testing.assert_allclose(agg.aligned_mtl(G), aligned.mean(axis=0), atol=1e-12)
        # B is symmetric, so the aligned gradients stay in the span of the task gradients
        coefficients = np.linalg.lstsq(G.T, aligned.T, rcond=None)[0]
        np.testing.assert_allclose(G.T @ coefficients, aligned.T, atol=1e-9)


def test_aligned_mtl_drops_null_directions_of_a_rank_deficient_gram():
    rng = np.random.default_rng(110)
    g1, g2 = rng.normal(size=(2, 6))
    G = np.stack([g1, g2, g1 + g2])
    values, vectors = np.linalg.eigh(G @ G.T)
    kept = vectors[:, 1:]  # rank 2
    aligned = agg.aligned_mtl_gradients(G)
    assert np.all(np.isfinite(aligned))
    np.testing.assert_allclose(aligned @ aligned.T, values[1] * kept @ kept.T, atol=1e-9)


# ----------------------------------------------------------------------------------------------
# GradDrop
# ----------------------------------------------------------------------------------------------

def test_graddrop_keeps_one_sign_per_coordinate():
    rng = np.random.default_rng(120)
    for _ in range(20):
        G = rng.normal(size=(4, 30))
        d = agg.graddrop(G, rng)
        positive = np.maximum(G, 0).mean(axis=0)
        negative = np.minimum(G, 0).mean(axis=0)
        took_positive = np.isclose(d, positive, rtol=0, atol=1e-15)
        took_negative = np.isclose(d, negative, rtol=0, atol=1e-15)
        assert np.all(took_positive | took_negative)


def test_graddrop_picks_the_positive_sign_with_probability_purity():
    G = np.array([[3.0, 1.0, -1.0], [-1.0, -1.0, -1.0]])
    purity = 0.5 * (1 + G.sum(axis=0) / np.abs(G).sum(axis=0))  # 0.75, 0.5, 0
    rng = np.random.default_rng(121)
    draws = 4000
    positive_mean = np.maximum(G, 0).mean(axis=0)
    chose_positive = np.array([agg.graddrop(G, rng) == positive_mean for _ in range(draws)])
    frequency = chose_positive.mean(axis=0)
    spread = np.sqrt(purity * (1 - purity) / draws)
    assert np.all(np.abs(frequency - purity) <= 5 * spread + 1e-12)


def test_graddrop_full_leak_is_the_mean():
    G = np.random.default_rng(122).normal(size=(3, 8))
    np.testing.assert_allclose(agg.graddrop(G, np.random.default_rng(0), leak=1.0),
                               G.mean(axis=0), rtol=1e-12)


def test_mgda_reaches_zero_when_the_gradients_cancel():
    # g1 + g2 + g3 = 0 and a short g4 off their plane: 0 is in the hull, w* = (1/3, 1/3, 1/3, 0).
    # Frank-Wolfe (even with away steps) crawls here: 1000 steps left ||d|| = 3.7e-3 max ||g_t||.
    G = np.array([[4.0, 1.0, 0.0], [-1.0, 3.0, 0.0], [-3.0, -4.0, 0.0], [0.1, 0.05, 0.02]])
    assert np.linalg.norm(agg.mgda(G)) < 1e-8 * 5.0
    np.testing.assert_allclose(agg.mgda_weights(G), [1 / 3, 1 / 3, 1 / 3, 0.0], atol=1e-9)
    # Random hulls that contain 0: the promised certificate, Frank-Wolfe gap <= tol * max ||g_t||^2,
    # holds at the default max_iter (before the fix it failed on about 1 in 6 of these).
    rng = np.random.default_rng(4)
    for T in (3, 4, 5):
        for _ in range(10):
            A = rng.normal(size=(T - 1, 5)) * np.exp(rng.normal(size=(T - 1, 1)))
            mix = rng.dirichlet(np.ones(T))
            G = np.vstack([A, -(mix[:-1] @ A) / mix[-1]])
            M = G @ G.T
            w = agg.mgda_weights(G)
            assert np.all(w >= 0) and np.isclose(w.sum(), 1.0)
            gap = w @ M @ w - np.min(M @ w)
            assert gap <= 1e-10 * np.max(np.diag(M)) * (1 + 1e-9)
            # ||d||^2 <= 2 * gap when the optimum is 0
            assert np.linalg.norm(agg.mgda(G)) <= np.sqrt(2e-10) * np.sqrt(np.max(np.diag(M)))


def test_nash_mtl_matches_the_authors_normalise_then_rescale_update():
    # AvivNavon/nash-mtl NashMTL: c = ||G G^T||_F, GTG / c goes to the solver, but c is put back in
    # the constraints (-log(alpha_t c) - log((GTG / c) alpha)_t <= 0), so alpha solves the equation
    # for the raw Gram matrix; the loss sum_t alpha_t L_t gives the update G^T alpha.
    rng = np.random.default_rng(7)
    for T in (2, 3, 5):
        for scale in (1e-3, 1.0, 1e3):
            G = scale * (rng.normal(size=(T, 8)) + rng.normal(size=(1, 8)))
            M = G @ G.T
            c = np.linalg.norm(M)
            alpha = agg.nash_mtl_weights(G)
            np.testing.assert_allclose(alpha * (M @ alpha), 1.0, rtol=1e-8)  # the raw equation
            alpha_c = agg.nash_mtl_weights(G / np.sqrt(c))  # the equation for M / c
            np.testing.assert_allclose(alpha, alpha_c / np.sqrt(c), rtol=1e-8)
            authors = alpha @ G
            assert np.linalg.norm(authors) ** 2 == pytest.approx(T, rel=1e-8)  # scale-free: ||G^T alpha|| = sqrt(T)
            d = agg.nash_mtl(G, ridge=0.0)
            # same direction as the authors' update (their max_norm = 1 clips it to d / ||d||) ...
            np.testing.assert_allclose(d / np.linalg.norm(d), authors / np.sqrt(T), atol=1e-9)
            # ... and the package's length convention: d = sqrt(||M||_F) / T * G^T alpha
            np.testing.assert_allclose(d, np.sqrt(c) / T * authors, rtol=1e-8)

