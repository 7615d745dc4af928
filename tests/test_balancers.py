"""Tests for mtl_edu.balancing.balancers: each balancer's weights follow its paper's definition, and the
gradients it leaves on the parameters are the ones that definition implies."""
import numpy as np
import pytest

from mtl_edu import Tensor, aggregators
from mtl_edu.balancing.balancers import (
    DWA,
    FAMO,
    RLW,
    GradientAggregation,
    GradNorm,
    StaticWeights,
    UncertaintyWeighting,
    make_balancer,
)
from mtl_edu.nets.multitask import HardSharingNet, flatten_grads, task_gradients, task_loss


def scalar_losses(values):
    """Leaf 'losses' L_t with requires_grad: after a balancer's backward, L_t.grad is its weight."""
    return [Tensor(np.array(float(v)), requires_grad=True) for v in values]


def problem(seed=0, branch_depth=1, n_tasks=3):
    rng = np.random.default_rng(seed)
    net = HardSharingNet(4, [6, 5], [1] * n_tasks, branch_depth=branch_depth, rng=seed)
    x = rng.standard_normal((12, 4))
    # targets on very different scales, so task gradients differ in size and direction
    ys = [scale * rng.standard_normal((12, 1)) for scale in (1.0, 5.0, 0.3)[:n_tasks]]
    return net, x, ys


def losses_of(net, x, ys):
    return [task_loss("regression", o, y) for o, y in zip(net(x), ys)]


def grads_of_weighted_sum(net, x, ys, weights):
    net.zero_grad()
    losses = losses_of(net, x, ys)
    total = sum((loss * float(w) for loss, w in zip(losses[1:], weights[1:])), losses[0] * float(weights[0]))
    total.backward()
    return flatten_grads(net.parameters())


# ---- static ------------------------------------------------------------------------------------

def test_static_weights_equal_a_weighted_backward():
    net, x, ys = problem()
    weights = np.array([1.0, 0.2, 3.0])
    expected = grads_of_weighted_sum(net, x, ys, weights)
    net.zero_grad()
    used = StaticWeights(weights).backward(losses_of(net, x, ys), net.shared_parameters(), net.task_parameters())
    np.testing.assert_array_equal(used, weights)
    np.testing.assert_allclose(flatten_grads(net.parameters()), expected, rtol=1e-12)


def test_balancer_checks_its_inputs():
    net, x, ys = problem()
    with pytest.raises(ValueError, match="expected 3 task losses, got 2"):
        StaticWeights([1, 1, 1]).backward(losses_of(net, x, ys)[:2], net.shared_parameters())
    with pytest.raises(ValueError, match="also in shared_params"):
        StaticWeights([1, 1, 1]).backward(losses_of(net, x, ys), net.shared_parameters(),
                                          [net.shared_parameters()] * 3)
    with pytest.raises(ValueError, match="non-finite"):
        StaticWeights([1]).backward([Tensor(np.array(np.nan), requires_grad=True)], [])


# ---- uncertainty weighting (Kendall, Gal & Cipolla 2018) ----------------------------------------

def test_uncertainty_gradient_wrt_log_variance_matches_the_formula():
    balancer = UncertaintyWeighting(3, kinds=["regression", "classification", "binary"], init_log_variance=0.0)
    balancer.log_variances.data[:] = [0.3, -0.2, 1.0]
    s = balancer.log_variances.data.copy()
    values = np.array([4.0, 0.7, 2.0])
    balancer.objective(scalar_losses(values)).backward()
    scales = np.array([0.5, 1.0, 1.0])
    # d/ds (c e^{-s} L + s/2) = -c e^{-s} L + 1/2
    np.testing.assert_allclose(balancer.log_variances.grad, -scales * np.exp(-s) * values + 0.5, rtol=1e-12)


def test_uncertainty_weights_the_losses_and_steps_s_downhill():
    balancer = UncertaintyWeighting(2, kinds=["regression", "classification"], lr=0.01)
    losses = scalar_losses([4.0, 0.2])
    weights = balancer.backward(losses, [])
    np.testing.assert_allclose(weights, [0.5, 1.0])  # s = 0: ½e⁰ and e⁰
    np.testing.assert_allclose([l.grad for l in losses], weights)
    # Adam's first step moves each s by lr against the sign of its gradient:
    # task 0: -½·4 + ½ < 0 -> s grows; task 1: -0.2 + ½ > 0 -> s shrinks
    np.testing.assert_allclose(balancer.log_variances.data, [0.01, -0.01], rtol=1e-6)
    assert balancer.log_variances.grad is None  # its own grad is not left for the caller's optimiser


def test_uncertainty_converges_to_the_loss_for_regression():
    # minimum of ½e^{-s}L + ½s over s is e^s = L, i.e. σ² = L
    balancer = UncertaintyWeighting(2, lr=0.05)
    for _ in range(1500):
        balancer.backward(scalar_losses([9.0, 0.25]), [])
    np.testing.assert_allclose(balancer.sigmas, [3.0, 0.5], rtol=1e-2)


# ---- DWA (Liu, Johns & Davison 2019) ---------------------------------------------------------

def test_dwa_first_two_epochs_are_one_then_the_formula():
    balancer = DWA(2, temperature=2.0, steps_per_epoch=2)
    epochs = [[(4.0, 2.0), (2.0, 2.0)],  # epoch 0: mean (3, 2)
              [(1.5, 1.8), (1.5, 2.2)],  # epoch 1: mean (1.5, 2)
              [(1.0, 1.0), (1.0, 1.0)]]
    seen = []
    for epoch in epochs:
        for values in epoch:
            losses = scalar_losses(values)
            seen.append(balancer.backward(losses, []))
            np.testing.assert_allclose([l.grad for l in losses], seen[-1])
    for weights in seen[:4]:
        np.testing.assert_array_equal(weights, [1.0, 1.0])
    ratio = np.array([1.5 / 3.0, 2.0 / 2.0])
    expected = 2 * np.exp(ratio / 2) / np.exp(ratio / 2).sum()
    np.testing.assert_allclose(seen[4], expected, rtol=1e-12)
    np.testing.assert_allclose(seen[5], expected, rtol=1e-12)  # constant within the epoch
    assert seen[4].sum() == pytest.approx(2.0)
    assert seen[4][1] > seen[4][0]  # the task whose loss fell less gets more weight


# ---- RLW (Lin et al. 2022) ---------------------------------------------------------------------

def test_rlw_is_softmax_of_a_standard_normal_draw():
    balancer = RLW(4, rng=np.random.default_rng(3))
    reference = np.random.default_rng(3)
    previous = None
    for _ in range(3):
        losses = scalar_losses([1, 2, 3, 4])
        weights = balancer.backward(losses, [])
        eps = reference.standard_normal(4)
        np.testing.assert_allclose(weights, np.exp(eps) / np.exp(eps).sum(), rtol=1e-12)
        assert weights.sum() == pytest.approx(1.0) and np.all(weights > 0)
        np.testing.assert_allclose([l.grad for l in losses], weights)
        assert previous is None or not np.allclose(weights, previous)
        previous = weights


# ---- GradNorm (Chen et al. 2018) ---------------------------------------------------------------

def test_gradnorm_first_step_norms_targets_and_renormalisation():
    net, x, ys = problem()
    balancer = GradNorm(3, alpha=1.5, lr=0.1)
    last_weight = net.shared_parameters()[-2]  # the last shared layer's weight matrix
    assert last_weight.ndim == 2
    norms = np.linalg.norm(task_gradients(losses_of(net, x, ys), [last_weight]), axis=1)
    expected_grads = grads_of_weighted_sum(net, x, ys, np.ones(3))

    net.zero_grad()
    used = balancer.backward(losses_of(net, x, ys), net.shared_parameters(), net.task_parameters())
    np.testing.assert_array_equal(used, np.ones(3))
    np.testing.assert_allclose(flatten_grads(net.parameters()), expected_grads, rtol=1e-12)
    np.testing.assert_allclose(balancer.last_grad_norms, norms, rtol=1e-12)
    # at the first step every loss ratio is 1, so the target is the mean norm
    np.testing.assert_allclose(balancer.last_targets, np.full(3, norms.mean()), rtol=1e-12)
    # one Adam step of lr against sign(G - target), then renormalised to sum to T
    stepped = 1.0 - 0.1 * np.sign(norms - norms.mean())
    np.testing.assert_allclose(balancer.weights.data, 3 * stepped / stepped.sum(), rtol=1e-6)
    assert balancer.weights.data.sum() == pytest.approx(3.0)
    # the task with the largest gradient norm (the 5x-scaled targets) is turned down
    assert np.argmin(balancer.weights.data) == np.argmax(norms) == 1


def test_gradnorm_equalises_gradient_norms_while_training():
    # alpha = 0 asks for equal weighted gradient norms G_t = w_t ||∇_W L_t|| on the last shared layer
    net, x, ys = problem(seed=1)
    balancer = GradNorm(3, alpha=0.0, lr=0.05)
    spreads = []
    for _ in range(50):
        net.zero_grad()
        used = balancer.backward(losses_of(net, x, ys), net.shared_parameters(), net.task_parameters())
        assert used.sum() == pytest.approx(3.0) and np.all(used > 0)
        G = balancer.last_grad_norms
        spreads.append((G.max() - G.min()) / G.mean())
        for p in net.parameters():
            p.data -= 0.01 * p.grad
    assert spreads[0] > 0.5 and max(spreads[-10:]) < 0.1
    weights = balancer.weights.data
    # the task with the large-scale targets is turned down, the small-scale one up
    assert np.argmin(weights) == 1 and np.argmax(weights) == 2


def test_gradnorm_needs_a_shared_weight_matrix():
    net, x, ys = problem(branch_depth=0)
    with pytest.raises(ValueError, match="needs a shared weight matrix"):
        GradNorm(3).backward(losses_of(net, x, ys), net.shared_parameters())


# ---- FAMO (Liu et al. 2023) --------------------------------------------------------------------

def test_famo_weights_and_logit_update():
    balancer = FAMO(2, lr=0.025, gamma=0.01)
    losses = scalar_losses([2.0, 0.5])
    weights = balancer.backward(losses, [])
    # uniform logits: w_t ∝ 1/L_t, i.e. the gradient of the mean log loss, normalised to sum 1
    np.testing.assert_allclose(weights, np.array([0.5, 2.0]) / 2.5, rtol=1e-6)
    np.testing.assert_allclose([l.grad for l in losses], weights)
    # task 0's loss halves, task 1's stays: task 0 improved faster, so its logit goes down
    balancer.update([1.0, 0.5])
    np.testing.assert_allclose(balancer.logits.data, [-0.025, 0.025], rtol=1e-6)


def test_famo_implicit_update_equals_explicit_update():
    explicit, implicit = FAMO(3), FAMO(3)
    sequence = [[3.0, 1.0, 2.0], [2.0, 0.9, 1.9], [1.5, 0.85, 1.5], [1.2, 0.8, 1.1]]
    for i, values in enumerate(sequence):
        w_explicit = explicit.backward(scalar_losses(values), [])
        w_implicit = implicit.backward(scalar_losses(values), [])
        np.testing.assert_allclose(w_explicit, w_implicit, rtol=1e-12)
        assert w_explicit.sum() == pytest.approx(1.0)
        if i + 1 < len(sequence):
            explicit.update(sequence[i + 1])
    assert not np.allclose(explicit.logits.data, 0.0)


def test_famo_rejects_losses_below_their_bound():
    with pytest.raises(ValueError, match="above its lower bound"):
        FAMO(2, min_losses=[1.0, 0.0]).backward(scalar_losses([0.5, 1.0]), [])


# ---- gradient aggregation -----------------------------------------------------------------------

def test_gradient_aggregation_mean_equals_averaged_backward():
    net, x, ys = problem()
    expected = grads_of_weighted_sum(net, x, ys, np.full(3, 1 / 3))
    for representation in (False, True):
        net.zero_grad()
        balancer = GradientAggregation("mean", representation=representation)
        z, outputs = net.forward_with_representation(x)
        losses = [task_loss("regression", o, y) for o, y in zip(outputs, ys)]
        weights = balancer.backward(losses, net.shared_parameters(), net.task_parameters(),
                                    representation=z if representation else None)
        np.testing.assert_allclose(flatten_grads(net.parameters()), expected, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(weights, np.full(3, 1 / 3), rtol=1e-8)


def test_gradient_aggregation_mgda_sets_shared_grads_to_the_aggregate():
    net, x, ys = problem()
    shared = net.shared_parameters()
    G = task_gradients(losses_of(net, x, ys), shared)
    alpha = aggregators.mgda_weights(G)
    heads = grads_of_weighted_sum(net, x, ys, np.full(3, 1 / 3))[flatten_grads(shared).size:]
    # gradients accumulate onto what .grad held before, like backward
    for p in net.parameters():
        p.grad = np.ones(p.shape)
    weights = GradientAggregation("mgda").backward(losses_of(net, x, ys), shared, net.task_parameters())
    grads = flatten_grads(net.parameters())
    np.testing.assert_allclose(grads[:G.shape[1]], 1.0 + aggregators.mgda(G), rtol=1e-10)
    np.testing.assert_allclose(grads[G.shape[1]:], 1.0 + heads, rtol=1e-10)
    np.testing.assert_allclose(weights, alpha, rtol=1e-6, atol=1e-9)


def test_mgda_ub_weights_come_from_representation_gradients():
    net, x, ys = problem(seed=2)
    z, outputs = net.forward_with_representation(x)
    losses = [task_loss("regression", o, y) for o, y in zip(outputs, ys)]
    G_z = task_gradients(losses, [z])  # z is not a leaf: read its gradient per task
    alpha = aggregators.mgda_weights(G_z)
    # MGDA-UB: the network's shared gradient is Σ αₜ ∇θ Lₜ with α found on z
    expected_shared = grads_of_weighted_sum(net, x, ys, alpha)[:sum(p.size for p in net.shared_parameters())]
    net.zero_grad()
    weights = GradientAggregation("mgda", representation=True).backward(
        losses, net.shared_parameters(), net.task_parameters(), representation=z)
    np.testing.assert_allclose(weights, alpha, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(flatten_grads(net.shared_parameters()), expected_shared, rtol=1e-8)


def test_gradient_aggregation_errors():
    net, x, ys = problem()
    with pytest.raises(ValueError, match="needs the shared representation"):
        GradientAggregation("mgda", representation=True).backward(losses_of(net, x, ys), net.shared_parameters())
    stl, x, ys = problem(branch_depth=0)
    with pytest.raises(ValueError, match="shared_params is empty"):
        GradientAggregation("mean").backward(losses_of(stl, x, ys), [])
    with pytest.raises(ValueError, match="unknown aggregator"):
        GradientAggregation("gradvac")


@pytest.mark.parametrize("name", sorted(aggregators.AGGREGATORS))
def test_every_aggregator_runs_as_a_balancer(name):
    net, x, ys = problem()
    balancer = make_balancer(name, 3, rng=np.random.default_rng(0))
    weights = balancer.backward(losses_of(net, x, ys), net.shared_parameters(), net.task_parameters())
    assert weights.shape == (3,) and np.all(np.isfinite(weights))
    assert all(p.grad is not None and np.all(np.isfinite(p.grad)) for p in net.parameters())


def test_make_balancer_by_name():
    assert isinstance(make_balancer("uncertainty", 2), UncertaintyWeighting)
    assert isinstance(make_balancer("pcgrad", 2, rng=0), GradientAggregation)
    with pytest.raises(ValueError, match="pass rng"):
        make_balancer("rlw", 2)
    with pytest.raises(ValueError, match="unknown name"):
        make_balancer("nope", 2)
