"""Tests for mtl_edu.nets.multitask: architectures, task losses/metrics, joint loss, per-task gradients, Δm%."""
import numpy as np
import pytest

from mtl_edu import Tensor, gradcheck
from mtl_edu.nets.multitask import (
    DeepSupervisionNet,
    HardSharingNet,
    SoftSharingNet,
    Task,
    assign_flat_grad,
    delta_m,
    flatten_grads,
    higher_is_better,
    joint_loss,
    make_tasks,
    metric_name,
    per_task_gradients,
    task_gradients,
    task_loss,
    task_metric,
)


def linear_count(n_in, n_out):
    return n_in * n_out + n_out


def mixed_tasks():
    return [Task("size", "regression", 2), Task("species", "multiclass", 3), Task("sex", "binary", 1)]


# ---- tasks ---------------------------------------------------------------------------------------

def test_task_validation_names_the_problem():
    with pytest.raises(ValueError, match="binary task has one output"):
        Task("sex", "binary", 2)
    with pytest.raises(ValueError, match="needs n_outputs >= 2"):
        Task("species", "multiclass", 1)
    with pytest.raises(ValueError, match="kind must be one of"):
        Task("x", "ranking")
    with pytest.raises(TypeError, match="one entry per task"):
        make_tasks(3)
    tasks = make_tasks([2, Task("b", "binary")])
    assert tasks[0] == Task("task0", "regression", 2) and tasks[1].kind == "binary"


def test_metric_names_and_directions():
    assert metric_name("regression") == "rmse" and not higher_is_better("regression")
    assert metric_name(Task("c", "multiclass", 3)) == "accuracy" and higher_is_better("binary")


def test_task_losses_match_their_formulas():
    rng = np.random.default_rng(0)
    pred = rng.standard_normal((6, 1))
    y = rng.standard_normal(6)
    assert task_loss("regression", Tensor(pred), y).item() == pytest.approx(np.mean((pred[:, 0] - y) ** 2))

    labels = np.array([0, 1, 1, 0, 1, 0])
    p = 1 / (1 + np.exp(-pred[:, 0]))
    bce = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    assert task_loss("binary", Tensor(pred), labels).item() == pytest.approx(bce)

    logits = rng.standard_normal((6, 3))
    classes = np.array([0, 2, 1, 1, 0, 2])
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert task_loss("multiclass", Tensor(logits), classes).item() == pytest.approx(-log_probs[np.arange(6), classes].mean())


def test_task_metrics_on_hand_made_numbers():
    assert task_metric("regression", np.array([[1.0], [3.0]]), np.array([0.0, 0.0])) == pytest.approx(np.sqrt(5.0))
    # logit > 0 means class 1: predictions 1, 0, 1, 0 against labels 1, 1, 1, 0 -> 3/4
    assert task_metric("binary", np.array([[2.0], [-1.0], [0.5], [-3.0]]), np.array([1, 1, 1, 0])) == 0.75
    logits = np.array([[0.1, 0.9, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert task_metric("multiclass", logits, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="target has shape"):
        task_loss("regression", Tensor(np.zeros((3, 2))), np.zeros(3))


# ---- hard sharing ------------------------------------------------------------------------------

@pytest.mark.parametrize("branch_depth", [0, 1, 2, 3])
def test_hard_sharing_parameter_counts_follow_the_branch_point(branch_depth):
    n_in, hidden, tasks = 5, [8, 7, 6], mixed_tasks()
    net = HardSharingNet(n_in, hidden, tasks, branch_depth=branch_depth, rng=0)
    sizes = [n_in] + hidden
    shared = sum(linear_count(a, b) for a, b in zip(sizes[:branch_depth], sizes[1:branch_depth + 1]))
    tower_sizes = sizes[branch_depth:]
    towers = [sum(linear_count(a, b) for a, b in zip(tower_sizes[:-1], tower_sizes[1:]))
              + linear_count(tower_sizes[-1], task.n_outputs) for task in tasks]
    assert sum(p.size for p in net.shared_parameters()) == shared
    assert [sum(p.size for p in group) for group in net.task_parameters()] == towers
    assert net.num_parameters() == shared + sum(towers)
    # shared and task parameters split model.parameters() exactly
    split = net.shared_parameters() + [p for group in net.task_parameters() for p in group]
    assert {id(p) for p in split} == {id(p) for p in net.parameters()} and len(split) == len(net.parameters())


def test_hard_sharing_outputs_and_representation_shapes():
    net = HardSharingNet(5, [8, 7], mixed_tasks(), branch_depth=1, rng=0)
    x = np.random.default_rng(1).standard_normal((4, 5))
    z, outputs = net.forward_with_representation(x)
    assert z.shape == (4, 8)
    assert [o.shape for o in outputs] == [(4, 2), (4, 3), (4, 1)]
    # every task's loss is computable on its own kind of target
    losses = [task_loss(t, o, y) for t, o, y in zip(net.tasks, outputs, [np.zeros((4, 2)), np.array([0, 1, 2, 0]), np.array([1, 0, 1, 0])])]
    assert all(np.isfinite(l.item()) for l in losses)
    # branch_depth = 0: no shared layer, the representation is the input
    stl = HardSharingNet(5, [8, 7], mixed_tasks(), branch_depth=0, rng=0)
    z0, _ = stl.forward_with_representation(x)
    assert stl.shared_parameters() == [] and np.array_equal(z0.data, x)


def test_hard_sharing_trace_matches_forward():
    x = np.random.default_rng(7).standard_normal((4, 5))
    for branch_depth in (0, 2):
        net = HardSharingNet(5, [8, 7, 6], [1, 2], branch_depth=branch_depth, rng=0)
        trace = net.forward_trace(x)
        for traced, plain in zip(trace.outputs, net(x)):
            np.testing.assert_array_equal(traced.data, plain.data)
        assert len(trace.pre_activations) == len(trace.activations) == branch_depth
        if branch_depth:
            np.testing.assert_array_equal(trace.activations[-1].data, net.forward_with_representation(x)[0].data)


def test_hard_sharing_tasks_only_reach_their_own_tower():
    net = HardSharingNet(3, [4, 4], [1, 1], branch_depth=1, rng=0)
    x = np.random.default_rng(2).standard_normal((5, 3))
    out = net(x)
    out[0].sum().backward()
    assert all(p.grad is not None for p in net.shared_parameters())
    assert all(p.grad is not None for p in net.task_parameters()[0])
    assert all(p.grad is None for p in net.task_parameters()[1])


def test_hard_sharing_rejects_bad_branch_depth():
    with pytest.raises(ValueError, match=r"branch_depth must be an int from 0 .* to 2"):
        HardSharingNet(3, [4, 4], [1, 1], branch_depth=3)
    with pytest.raises(ValueError, match=r"input must have shape \(N, 3\)"):
        HardSharingNet(3, [4], [1], branch_depth=1)(np.zeros((2, 4)))


# ---- soft sharing ------------------------------------------------------------------------------

def test_soft_sharing_penalty_value_is_the_pairwise_sum():
    net = SoftSharingNet(4, [5, 3], [1, 2, 1], penalty_weight=0.3, rng=0)
    expected = 0.0
    for a in range(3):
        for b in range(a + 1, 3):
            for layer in range(2):
                diff = net.networks[a].layers[layer].weight.data - net.networks[b].layers[layer].weight.data
                expected += np.sum(diff**2)
    assert net.l2_penalty(1.0).item() == pytest.approx(expected)
    assert net.l2_penalty().item() == pytest.approx(0.3 * expected)
    assert net.shared_parameters() == [] and len(net.task_parameters()) == 3
    assert [o.shape for o in net(np.zeros((2, 4)))] == [(2, 1), (2, 2), (2, 1)]


def test_soft_sharing_penalty_gradient():
    net = SoftSharingNet(3, [4], [1, 1, 1], penalty_weight=0.7, rng=1)

    def penalty(*weights):
        for network, w in zip(net.networks, weights):
            network.layers[0].weight = w
        return net.l2_penalty()

    start = [network.layers[0].weight.data.copy() for network in net.networks]
    result = gradcheck(penalty, *start)
    assert result.passed(1e-6), result
    # and the closed form 2λ Σ_{b≠a} (W^a − W^b)
    for a in range(3):
        closed = 2 * 0.7 * sum(start[a] - start[b] for b in range(3) if b != a)
        np.testing.assert_allclose(result.analytic[a], closed, rtol=1e-10)


def test_soft_sharing_penalty_pulls_networks_together():
    net = SoftSharingNet(3, [4], [1, 1], penalty_weight=1.0, rng=0)
    before = net.l2_penalty().item()
    for _ in range(20):
        net.zero_grad()
        net.l2_penalty().backward()
        for p in net.parameters():
            if p.grad is not None:
                p.data -= 0.05 * p.grad
    assert net.l2_penalty().item() < 0.2 * before


# ---- deep supervision --------------------------------------------------------------------------

def test_deep_supervision_heads_read_the_right_depth():
    net = DeepSupervisionNet(3, depth=5, width=4, n_outputs=2, attach_depths=[2, 4], activation="sigmoid", rng=0)
    x = np.random.default_rng(3).standard_normal((6, 3))
    trace = net.forward_trace(x)
    assert [o.shape for o in trace.outputs] == [(6, 2)] * 3
    assert len(trace.pre_activations) == 5 and len(trace.activations) == 5
    assert net.n_tasks == 3 and len(net.task_parameters()) == 3
    # the head at depth 2 trains trunk layers 1..2 only
    trace.outputs[1].sum().backward()
    trunk = net.trunk.layers
    assert all(np.any(layer.weight.grad != 0) for layer in trunk[:2])
    assert all(layer.weight.grad is None for layer in trunk[2:])
    with pytest.raises(ValueError, match="attach_depths must lie in 1..depth=5"):
        DeepSupervisionNet(3, depth=5, width=4, attach_depths=[6])


def test_deep_supervision_lifts_the_gradient_at_the_first_layer():
    # With sigmoid, σ' <= 1/4 per layer: a head at depth 1 is a much shorter path to layer 1.
    x = np.random.default_rng(4).standard_normal((32, 3))
    y = np.random.default_rng(5).standard_normal((32, 1))
    net = DeepSupervisionNet(3, depth=8, width=16, attach_depths=[1], activation="sigmoid", rng=0)
    main, aux = net(x)
    task_loss("regression", main, y).backward(retain_graph=True)  # the aux loss reuses the trunk
    from_main = np.linalg.norm(net.trunk.layers[0].weight.grad)
    net.zero_grad()
    task_loss("regression", aux, y).backward()
    from_aux = np.linalg.norm(net.trunk.layers[0].weight.grad)
    assert from_aux > 10 * from_main


# ---- joint loss and per-task gradients --------------------------------------------------------

def test_joint_loss_weights_and_l2():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    losses = [(a * a).sum(), a.sum()]  # 5 and 3
    total, values = joint_loss(losses, [2.0, 0.5], l2=0.1, params=[a])
    assert values == [5.0, 3.0]
    assert total.item() == pytest.approx(2 * 5 + 0.5 * 3 + 0.1 * 5)
    total.backward()
    np.testing.assert_allclose(a.grad, 2 * 2 * a.data + 0.5 + 0.1 * 2 * a.data)
    with pytest.raises(ValueError, match="one weight per task"):
        joint_loss(losses, [1.0])
    with pytest.raises(ValueError, match="needs params"):
        joint_loss([a.sum()], [1.0], l2=0.1)


def make_losses(net, x, ys):
    return [task_loss("regression", o, y) for o, y in zip(net(x), ys)]


def test_task_gradients_equal_separate_backward_passes():
    rng = np.random.default_rng(6)
    net = HardSharingNet(4, [6, 5], [1, 2, 1], branch_depth=1, rng=0)
    x = rng.standard_normal((10, 4))
    ys = [rng.standard_normal((10, 1)), rng.standard_normal((10, 2)), rng.standard_normal((10, 1))]
    params = net.parameters()

    expected = []
    for t in range(3):
        net.zero_grad()
        make_losses(net, x, ys)[t].backward()
        expected.append(flatten_grads(params))
    expected = np.stack(expected)

    sentinel = [np.full(p.shape, 7.0) for p in params]
    for p, s in zip(params, sentinel):
        p.grad = s
    losses = make_losses(net, x, ys)
    G = task_gradients(losses, params)
    assert G.shape == (3, net.num_parameters())
    np.testing.assert_allclose(G, expected, rtol=1e-12, atol=1e-14)
    # .grad is left as it was, and the graph is still alive for the real backward
    assert all(p.grad is s for p, s in zip(params, sentinel))
    net.zero_grad()
    sum(losses[1:], losses[0]).backward()
    np.testing.assert_allclose(flatten_grads(params), expected.sum(axis=0), rtol=1e-12)


def test_per_task_gradients_give_zeros_where_a_task_does_not_reach():
    net = HardSharingNet(2, [3], [1, 1], branch_depth=1, rng=0)
    x = np.ones((4, 2))
    losses = make_losses(net, x, [np.zeros((4, 1)), np.ones((4, 1))])
    head_1 = net.task_parameters()[1]
    grads = per_task_gradients(losses, head_1)
    assert all(np.all(g == 0) for g in grads[0]) and any(np.any(g != 0) for g in grads[1])


def test_flatten_and_assign_are_inverse():
    params = [Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)]
    d = np.arange(9.0)
    assign_flat_grad(params, d)
    np.testing.assert_array_equal(params[0].grad, d[:6].reshape(2, 3))
    np.testing.assert_array_equal(flatten_grads(params), d)
    assign_flat_grad(params, d, accumulate=True)
    np.testing.assert_array_equal(flatten_grads(params), 2 * d)
    with pytest.raises(ValueError, match=r"d must have shape \(9,\)"):
        assign_flat_grad(params, np.zeros(8))


# ---- Δm% ---------------------------------------------------------------------------------------

def test_delta_m_sign_negative_means_better_than_stl():
    # accuracy 0.8 -> 0.9 is 12.5 % better; RMSE 1.25 -> 1.0 (lower is better) is 20 % better
    assert delta_m([0.9, 1.0], [0.8, 1.25], [True, False]) == pytest.approx(-16.25)
    # both worse: negative transfer is a performance drop, a positive Δm%
    assert delta_m([0.7, 1.5], [0.8, 1.25], [True, False]) == pytest.approx(100 * (0.125 + 0.2) / 2)
    assert delta_m([2.0, 2.0], [2.0, 2.0], True) == 0.0


def test_delta_m_is_minus_libmtl_improvement():
    # LibMTL's count_improvement docstring example: base A = (96, 98), new A = (93, 99) with AM1
    # higher-better and AM2 lower-better; base B = 0.2, new B = 0.5 higher-better. LibMTL averages
    # the metrics within a task, then over tasks.
    task_a = delta_m([93, 99], [96, 98], [True, False])
    task_b = delta_m([0.5], [0.2], [True])
    libmtl = (((93 - 96) / 96 + (98 - 99) / 98) / 2 + (0.5 - 0.2) / 0.2) / 2 * 100
    assert (task_a + task_b) / 2 == pytest.approx(-libmtl)


def test_delta_m_rejects_bad_input():
    with pytest.raises(ValueError, match="non-zero"):
        delta_m([1.0], [0.0], True)
    with pytest.raises(ValueError, match="same length"):
        delta_m([1.0, 2.0], [1.0], True)
    with pytest.raises(ValueError, match="one entry per task"):
        delta_m([1.0, 2.0], [1.0, 2.0], [True, False, True])
