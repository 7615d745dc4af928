"""Many networks as one (ModelBatch): training S stacked networks gives every network exactly the
weights it gets when trained alone, for each layer type, loss and optimiser the course uses."""
import numpy as np
import pytest

from mtl_edu import Tensor, gradcheck, nn
from mtl_edu.nets.batched import ModelBatch
from mtl_edu.engine.functional import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from mtl_edu.nets.multitask import HardSharingNet, SoftSharingNet, Task, task_loss
from mtl_edu.nets.optim import SGD, Adam

SEEDS = (0, 1, 2, 3, 4)


# ---- the engine: a stack of matrix products ---------------------------------------------------------

@pytest.mark.parametrize("a_shape, b_shape", [((3, 4, 5), (3, 5, 2)), ((4, 5), (3, 5, 2)), ((3, 4, 5), (5, 2)),
                                              ((2, 1, 4, 5), (3, 5, 2))])
def test_stacked_matmul_has_the_gradient_of_central_differences(a_shape, b_shape):
    rng = np.random.default_rng(0)
    result = gradcheck(lambda a, b: ((a @ b) ** 2).sum(), rng.normal(size=a_shape), rng.normal(size=b_shape))
    assert result.max_error < 1e-7, result


def test_stacked_matmul_is_one_product_per_model():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 5, 2))
    product = (Tensor(a) @ Tensor(b)).data
    for s in range(3):
        np.testing.assert_array_equal(product[s], a[s] @ b[s])


def test_stacked_matmul_names_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"shapes \(3, 4, 5\) and \(3, 4, 2\) do not align \(5 != 4\)"):
        Tensor(np.ones((3, 4, 5))) @ Tensor(np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match=r"leading \(stack\) axes of shapes \(3, 4, 5\) and \(2, 5, 2\)"):
        Tensor(np.ones((3, 4, 5))) @ Tensor(np.ones((2, 5, 2)))
    with pytest.raises(ValueError, match="2-D matrices on both sides"):
        Tensor(np.ones((3, 4, 5))) @ Tensor(np.ones(5))


# ---- training S networks as one gives each the weights it gets alone ----------------------------------

def _train_alone(net, X, loss_of, optimizer_of, steps):
    optimizer = optimizer_of(net.parameters())
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(net(X), per_model=False).backward()
        optimizer.step()


def _train_batched(nets, X, loss_of, optimizer_of, steps):
    batch = ModelBatch(nets)
    optimizer = optimizer_of(batch.parameters())
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(batch(X), per_model=True).sum().backward()
        optimizer.step()
    return batch


def _assert_same_weights(nets, references):
    for net, reference in zip(nets, references):
        for (name, mine), theirs in zip(net.named_parameters(), reference.parameters()):
            np.testing.assert_allclose(mine.data, theirs.data, rtol=0, atol=1e-12, err_msg=name)


OPTIMIZERS = {
    "adam": lambda params: Adam(params, lr=0.01),
    "sgd-momentum-decay": lambda params: SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("make_net", [
    lambda seed: nn.MLP([6, 8, 8, 1], activation="tanh", rng=seed),
    lambda seed: nn.MLP([6, 8, 8, 1], activation="sigmoid", init="he_normal", rng=seed),
    lambda seed: nn.MLP([6, 8, 8, 8, 1], activation="relu", residual=True, norm="layernorm", rng=seed),
], ids=["tanh", "sigmoid", "relu-residual-layernorm"])
def test_an_mlp_batch_trains_like_each_mlp_alone(make_net, optimizer):
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(len(SEEDS), 32, 6)), rng.normal(size=(len(SEEDS), 32, 1))
    nets = [make_net(seed) for seed in SEEDS]
    _train_batched(nets, X, lambda out, per_model: mse_loss(out, y, per_model=per_model),
                   OPTIMIZERS[optimizer], 60).unstack()
    references = []
    for s, seed in enumerate(SEEDS):
        reference = make_net(seed)
        _train_alone(reference, X[s], lambda out, per_model, s=s: mse_loss(out, y[s]), OPTIMIZERS[optimizer], 60)
        references.append(reference)
    _assert_same_weights(nets, references)


def test_models_may_share_one_input_batch():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(32, 6)), rng.normal(size=(32, 1))
    nets = [nn.MLP([6, 8, 1], rng=seed) for seed in SEEDS]
    shared_y = np.broadcast_to(y, (len(SEEDS),) + y.shape)
    _train_batched(nets, X, lambda out, per_model: mse_loss(out, shared_y, per_model=per_model),
                   OPTIMIZERS["adam"], 40).unstack()
    references = [nn.MLP([6, 8, 1], rng=seed) for seed in SEEDS]
    for reference in references:
        _train_alone(reference, X, lambda out, per_model: mse_loss(out, y), OPTIMIZERS["adam"], 40)
    _assert_same_weights(nets, references)


def test_classification_heads_train_like_each_network_alone():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(len(SEEDS), 40, 5))
    labels = np.stack([rng.integers(0, 3, size=(len(SEEDS), 40)), rng.integers(0, 2, size=(len(SEEDS), 40))], axis=1)
    values = rng.normal(size=(len(SEEDS), 40))
    tasks = [Task("species", "multiclass", 3), Task("sex", "binary"), Task("mass", "regression")]
    targets = [labels[:, 0], labels[:, 1], values]

    def make(seed):
        return HardSharingNet(5, [6, 4], tasks, branch_depth=1, rng=seed)

    def joint(outputs, per_model, s=None):
        chosen = targets if s is None else [target[s] for target in targets]
        losses = [task_loss(task, out, target, per_model=per_model) for task, out, target in zip(tasks, outputs, chosen)]
        return losses[0] + losses[1] + losses[2]

    nets = [make(seed) for seed in SEEDS]
    _train_batched(nets, X, joint, OPTIMIZERS["adam"], 50).unstack()
    references = []
    for s, seed in enumerate(SEEDS):
        reference = make(seed)
        _train_alone(reference, X[s], lambda outputs, per_model, s=s: joint(outputs, False, s), OPTIMIZERS["adam"], 50)
        references.append(reference)
    _assert_same_weights(nets, references)


def test_soft_sharing_penalty_is_per_model_with_its_own_weight():
    nets = [SoftSharingNet(4, [3], [1, 1], penalty_weight=0.1 * (seed + 1), rng=seed) for seed in SEEDS]
    batch = ModelBatch(nets)
    weights = np.array([net.penalty_weight for net in nets])
    per_model = batch.network.l2_penalty(weights)
    assert per_model.shape == (len(SEEDS),)
    np.testing.assert_allclose(per_model.data, [net.l2_penalty().item() for net in nets], rtol=1e-13)


# ---- per-model losses: the value of each model's own loss --------------------------------------------

def test_per_model_losses_are_each_models_own_mean():
    rng = np.random.default_rng(2)
    pred = rng.normal(size=(3, 10, 4))
    regression, binary = rng.normal(size=(3, 10, 4)), rng.integers(0, 2, size=(3, 10, 4)).astype(float)
    labels = rng.integers(0, 4, size=(3, 10))
    cases = [
        (mse_loss(Tensor(pred), regression, per_model=True), [mse_loss(Tensor(p), t) for p, t in zip(pred, regression)]),
        (binary_cross_entropy_with_logits(Tensor(pred), binary, per_model=True),
         [binary_cross_entropy_with_logits(Tensor(p), t) for p, t in zip(pred, binary)]),
        (cross_entropy(Tensor(pred), labels, per_model=True), [cross_entropy(Tensor(p), t) for p, t in zip(pred, labels)]),
    ]
    for batched, alone in cases:
        assert batched.shape == (3,)
        np.testing.assert_allclose(batched.data, [loss.item() for loss in alone], rtol=1e-13)


def test_per_model_losses_name_a_missing_models_axis():
    with pytest.raises(ValueError, match=r"per_model=True needs a leading models axis"):
        mse_loss(Tensor(np.zeros(5)), np.zeros(5), per_model=True)
    with pytest.raises(ValueError, match=r"logits must be \(S, N, C\)"):
        cross_entropy(Tensor(np.zeros((5, 3))), np.zeros(5), per_model=True)
    with pytest.raises(ValueError, match=r"leading axis of the 3 models, got shape \(10,\)"):
        task_loss("regression", Tensor(np.zeros((3, 10, 1))), np.zeros(10), per_model=True)
    with pytest.raises(ValueError, match=r"pred must be a 3-D Tensor \(S, N, outputs\)"):
        task_loss("regression", Tensor(np.zeros((10, 1))), np.zeros((3, 10)), per_model=True)


# ---- the batch itself ---------------------------------------------------------------------------------

def test_a_batch_stacks_copies_and_writes_back_only_on_unstack():
    nets = [nn.MLP([3, 4, 2], rng=seed) for seed in SEEDS]
    before = [p.data.copy() for p in nets[2].parameters()]
    batch = ModelBatch(nets)
    assert batch.size == len(SEEDS) and repr(batch) == "ModelBatch(5 × MLP)"
    shapes = [p.shape for p in batch.parameters()]
    assert shapes == [(5, 3, 4), (5, 1, 4), (5, 4, 2), (5, 1, 2)]
    for p in batch.parameters():
        p.data += 1.0
    for old, p in zip(before, nets[2].parameters()):
        np.testing.assert_array_equal(p.data, old)  # not shared
    for old, p in zip(before, batch.model_parameters(2)):
        np.testing.assert_array_equal(p, old + 1.0)
    assert batch.unstack() == nets
    for old, p in zip(before, nets[2].parameters()):
        np.testing.assert_array_equal(p.data, old + 1.0)
    out = batch(np.zeros((7, 3)))
    assert out.shape == (5, 7, 2)


def test_a_batch_refuses_what_is_not_one_layout():
    with pytest.raises(ValueError, match="at least one network"):
        ModelBatch([])
    with pytest.raises(TypeError, match="model 1 is a str, not a Module"):
        ModelBatch([nn.MLP([3, 2]), "net"])
    with pytest.raises(ValueError, match=r"model 1 \(MLP\) has another layout than model 0 \(MLP\): first difference "
                                         r"\('layers.0.weight', \(3, 4\)\) vs \('layers.0.weight', \(3, 5\)\)"):
        ModelBatch([nn.MLP([3, 4, 2]), nn.MLP([3, 5, 2])])
    with pytest.raises(IndexError, match="from 0 to 1"):
        ModelBatch([nn.MLP([3, 2]), nn.MLP([3, 2])]).model_parameters(2)
