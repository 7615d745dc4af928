"""Many multi-task networks at once: fit_multitask_models gives every model the weights
fit_multitask gives it alone, for equal weights and for every balancer the course compares."""
import numpy as np
import pytest

from mtl_edu.balancing.balancers import make_balancer
from mtl_edu.nets.multitask import HardSharingNet, Task
from mtl_edu.nets.train import TrainingDiverged, fit_multitask, fit_multitask_models

SEEDS = (0, 1, 2)
TASKS = (Task("value", "regression"), Task("label", "binary"), Task("kind", "multiclass", 3))
LOSSES = ("mse", "bce", "cross_entropy")


def _data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return X, [X @ rng.normal(size=5), (X[:, 0] > 0).astype(float), rng.integers(0, 3, size=n)]


def _net(seed):
    return HardSharingNet(5, [6, 4], list(TASKS), branch_depth=1, rng=seed)


def _balancer(method, seed):
    if method == "equal":
        return None
    options = {"kinds": ("regression", "classification", "classification")} if method == "uncertainty" else {}
    return make_balancer(method, 3, rng=np.random.default_rng(seed), **options)


METHODS = ["equal", "uncertainty", "dwa", "gradnorm", "rlw", "famo", "mgda", "pcgrad", "cagrad", "imtl_g",
           "nash_mtl", "aligned_mtl", "graddrop"]


@pytest.mark.parametrize("method", METHODS)
def test_each_model_ends_where_fit_multitask_takes_it_alone(method):
    X, targets = _data()
    nets = [_net(seed) for seed in SEEDS]
    balancers = None if method == "equal" else [_balancer(method, seed) for seed in SEEDS]
    history = fit_multitask_models(nets, X, targets, LOSSES, balancers=balancers, optimizer="adam", lr=0.01,
                                   steps=40, record_every=10)
    for seed, net in zip(SEEDS, nets):
        alone = _net(seed)
        reference = fit_multitask(alone, X, targets, list(LOSSES), balancer=_balancer(method, seed), optimizer="adam",
                                  lr=0.01, steps=40, record_every=10, progress=False)
        for mine, theirs in zip(net.parameters(), alone.parameters()):
            np.testing.assert_allclose(mine.data, theirs.data, rtol=0, atol=1e-12)
        np.testing.assert_allclose(history.task_losses[:, seed], reference.task_losses, rtol=1e-12)
        np.testing.assert_allclose(history.weights[:, seed], reference.weights, rtol=1e-12, atol=1e-15)
    assert history.steps == reference.steps


def test_models_may_each_have_their_own_data_and_probes_see_the_batch():
    per_model = [_data(seed) for seed in SEEDS]
    X = np.stack([x for x, _ in per_model])
    targets = [np.stack([t[k] for _, t in per_model]) for k in range(3)]
    nets = [_net(seed) for seed in SEEDS]
    seen = []
    fit_multitask_models(nets, X, targets, LOSSES, steps=5, record_every=2,
                         probes={"size": lambda batch, step: seen.append(step) or batch.size})
    assert seen == [0, 2, 4]
    alone = _net(1)
    fit_multitask(alone, per_model[1][0], per_model[1][1], list(LOSSES), optimizer="adam", lr=0.01, steps=5,
                  progress=False)
    for mine, theirs in zip(nets[1].parameters(), alone.parameters()):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=0, atol=1e-12)


def test_bad_settings_get_a_clear_message():
    X, targets = _data()
    nets = [_net(seed) for seed in SEEDS]
    with pytest.raises(ValueError, match="one balancer per model"):
        fit_multitask_models(nets, X, targets, LOSSES, balancers=[_balancer("dwa", 0)])
    with pytest.raises(ValueError, match="all weight losses or all use task gradients"):
        fit_multitask_models(nets, X, targets, LOSSES, balancers=[_balancer("dwa", 0), _balancer("mgda", 1),
                                                                  _balancer("dwa", 2)])
    with pytest.raises(ValueError, match="clips the shared gradient"):
        fit_multitask_models(nets, X, targets, LOSSES, balancers=[make_balancer("famo", 3, max_norm=1.0)] * 3)
    with pytest.raises(ValueError, match="task_losses must be 3 names"):
        fit_multitask_models(nets, X, targets, ("mse", "hinge", "bce"))
    with pytest.raises(ValueError, match=r"X must be \(N, d\) shared by the 3 models"):
        fit_multitask_models(nets, np.zeros((2, 40, 5)), targets, LOSSES)
    with pytest.raises(TrainingDiverged, match="diverged at step"):
        fit_multitask_models(nets, X, [targets[0] * 1e200] + targets[1:], LOSSES, steps=3)


def test_an_optimizer_factory_gets_the_stacked_parameters_and_matches_each_model_alone():
    from mtl_edu.nets.optim import SGD
    X, targets = _data()
    nets = [_net(seed) for seed in SEEDS]
    fit_multitask_models(nets, X, targets, LOSSES, optimizer=lambda params: SGD(params, lr=0.05, momentum=0.9),
                         steps=30)
    for seed, net in zip(SEEDS, nets):
        alone = _net(seed)
        fit_multitask(alone, X, targets, list(LOSSES), optimizer=SGD(alone.parameters(), lr=0.05, momentum=0.9),
                      steps=30, progress=False)
        for mine, theirs in zip(net.parameters(), alone.parameters()):
            np.testing.assert_allclose(mine.data, theirs.data, rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="factory must return an Optimizer, got str"):
        fit_multitask_models([_net(0)], X, targets, LOSSES, optimizer=lambda params: "sgd", steps=1)
