"""Published multi-task learning behaviour, reproduced on small problems with fixed seeds.

1. Kendall, Gal & Cipolla 2018 (CVPR): uncertainty weighting learns each task's noise scale; on
   their toy (y1 = 2x + 8 + 10ε, y2 = 3x + 3 + ε) the learned σ come out near 10 and 1.
2. Caruana 1997 (Machine Learning 28): a shared representation helps related tasks when data is
   scarce (here the same function with independent noise: data amplification); for unrelated
   tasks competing for a small shared layer it hurts (negative transfer).
"""
import numpy as np

from mtl_edu.balancing.balancers import UncertaintyWeighting
from mtl_edu.data.datasets import make_kendall_toy, make_related_tasks
from mtl_edu.nets.multitask import HardSharingNet, delta_m, task_loss, task_metric
from mtl_edu.nets.optim import Adam


def test_uncertainty_weighting_learns_the_noise_scales_of_kendalls_toy():
    toy = make_kendall_toy(1000, rng=0)
    net = HardSharingNet(1, [16], [1, 1], branch_depth=1, activation="tanh", rng=0)
    balancer = UncertaintyWeighting(2, kinds=["regression", "regression"], lr=0.1)
    optimizer = Adam(net.parameters(), lr=0.05)
    for _ in range(800):
        optimizer.zero_grad()
        outputs = net(toy.x)
        losses = [task_loss("regression", outputs[0], toy.y1), task_loss("regression", outputs[1], toy.y2)]
        balancer.backward(losses, net.shared_parameters(), net.task_parameters())
        optimizer.step()
    sigmas = balancer.sigmas
    true = np.array(toy.noise_scales)
    assert np.all(np.abs(sigmas - true) / true < 0.15), f"learned sigma {sigmas}, true {true}"
    # the optimum of ½e^{-s}L + ½s is σ² = L: σ is the residual RMS the network reached
    residual_rms = np.sqrt([loss.item() for loss in losses])
    np.testing.assert_allclose(sigmas, residual_rms, rtol=0.02)


def transfer_error(rho: float, branch_depth: int, seed: int) -> list:
    """Per-task test RMSE (against the noiseless targets) of a width-2 network trained on 120 examples
    of two tasks with relatedness rho; branch_depth 0 = two separate networks (STL), 1 = the
    hidden layer shared (MTL)."""
    data = make_related_tasks(120, rho, rng=seed, noise=0.4)
    test = data.teacher.sample(1000, rng=seed + 1000)
    # Width 2 = the teacher's hidden units per task: room for one task's features, not two
    # unrelated tasks' features.
    net = HardSharingNet(10, [2], [1, 1], branch_depth=branch_depth, rng=seed)
    optimizer = Adam(net.parameters(), lr=0.02)
    for _ in range(400):
        optimizer.zero_grad()
        outputs = net(data.X)
        total = task_loss("regression", outputs[0], data.targets[0]) + task_loss("regression", outputs[1], data.targets[1])
        total.backward()
        optimizer.step()
    outputs = net(test.X)
    return [task_metric("regression", out, clean) for out, clean in zip(outputs, test.clean_targets)]


def test_mtl_helps_related_tasks_and_hurts_unrelated_ones():
    seeds = range(4)
    scores = {}
    for rho in (1.0, 0.0):
        stl = np.mean([transfer_error(rho, 0, seed) for seed in seeds], axis=0)
        mtl = np.mean([transfer_error(rho, 1, seed) for seed in seeds], axis=0)
        scores[rho] = delta_m(mtl, stl, higher_is_better=False)
    # positive transfer (Δm% < 0, lower is better): same function, independent noise, little data
    assert scores[1.0] < -15.0, scores
    # negative transfer (Δm% > 0): unrelated tasks compete for the shared layer
    assert scores[0.0] > 15.0, scores
