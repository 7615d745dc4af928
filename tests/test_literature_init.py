"""The package reproduces what the literature reports about initialisation and gradient flow.

1. He et al. 2015 (ICCV): in a deep ReLU net, Var(W) = 2/fan_in keeps the second moment of the
   pre-activations constant with depth, Var(W) = 1/fan_in halves it at every layer; Glorot &
   Bengio 2010 (AISTATS): tanh with the normalised ("Xavier") init keeps activations alive where a
   fixed small std (0.01) lets them collapse.
2. The initialisation experiment of deeplearning.ai's "Improving Deep Neural Networks" course
   (week 1, Initialization): on two circles, a [2, 10, 5, 1] ReLU net with a sigmoid output and
   cross-entropy stays at chance from zeros, starts with a huge cost and settles far from a solution
   from N(0, 1)·10 weights, and fits the data from He init.
3. Glorot & Bengio 2010 / Hochreiter 1991: in a 20-layer sigmoid net the gradient reaching the first
   layer is orders of magnitude smaller than at the top; ReLU with He init, or residual connections
   (He et al. 2016, CVPR), keep it within a small factor.
"""
import numpy as np
import pytest

from mtl_edu import nn, no_grad, train
from mtl_edu.engine.functional import mse_loss

try:
    from mtl_edu.data.datasets import make_circles
except ImportError:  # pragma: no cover - datasets.py is part of the package
    make_circles = None


# ---- 1. variance propagation ----------------------------------------------------------------------

DEPTH, WIDTH, BATCH, NETWORKS = 30, 256, 16, 8


def mean_second_moments(init: str, seeds) -> np.ndarray:
    """E[z_l²] of each of the DEPTH layers' pre-activations, averaged over inputs and networks.

    He et al.'s statement is about the expectation over random weights. One network's ratio
    E[z_30²]/E[z_1²] wanders (its log2 has a std of about 0.8 at width 256, because deep ReLU layers
    correlate the batch), so the moments are averaged over several independently drawn networks.
    """
    moments = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((BATCH, WIDTH))
        mlp = nn.MLP([WIDTH] * (DEPTH + 1), activation="relu", init=init, rng=rng)
        with no_grad():
            trace = mlp.forward_trace(x)
        moments.append([np.mean(z.data**2) for z in trace.pre_activations])
    return np.mean(moments, axis=0)


def growth(moments: np.ndarray) -> tuple[float, float]:
    """(E[z_30²]/E[z_1²], geometric mean of the 29 layer-to-layer ratios)."""
    total = moments[-1] / moments[0]
    return float(total), float(total ** (1 / (DEPTH - 1)))


def test_he_init_keeps_the_second_moment_of_relu_pre_activations_constant():
    total, per_layer = growth(mean_second_moments("he_normal", seeds=range(NETWORKS)))
    assert 0.5 <= total <= 2, f"E[z_30²]/E[z_1²] = {total:.3g}, expected about 1"
    assert 0.95 <= per_layer <= 1.05


def test_variance_one_over_fan_in_halves_the_second_moment_at_every_relu_layer():
    total, per_layer = growth(mean_second_moments("lecun_normal", seeds=range(100, 100 + NETWORKS)))
    assert 0.47 <= per_layer <= 0.53, f"per-layer ratio {per_layer:.3g}, expected about 1/2"
    # 29 halvings: 2^-29 ≈ 1.9e-9, up to a factor of 2 either way.
    assert 0.5 <= total / 2.0**-29 <= 2, f"E[z_30²]/E[z_1²] = {total:.3g}, expected about 2^-29 = 1.9e-9"


def test_tanh_activations_survive_30_layers_with_xavier_but_collapse_with_std_001():
    x = np.random.default_rng(0).standard_normal((BATCH, WIDTH))

    def last_hidden_std(init, gain):
        mlp = nn.MLP([WIDTH] * (DEPTH + 1), activation="tanh", init=init, gain=gain, rng=1)
        with no_grad():
            return float(mlp.forward_trace(x).activations[-2].data.std())

    assert last_hidden_std("xavier_normal", 1.0) > 0.05
    assert last_hidden_std("normal", 0.01) < 1e-12  # each layer multiplies the std by about 0.01·√256 = 0.16


# ---- 2. the deeplearning.ai initialisation experiment ---------------------------------------------

CIRCLE_SIZES = [2, 10, 5, 1]
LR, STEPS = 0.1, 2000


@pytest.fixture(scope="module")
def circles():
    if make_circles is None:  # pragma: no cover
        pytest.fail("mtl_edu.data.datasets.make_circles is missing")
    # sklearn's make_circles(300, noise=0.05) as in the course: the inner circle at radius 0.8.
    return make_circles(300, noise=0.05, factor=0.8, rng=1)


def train_circles(circles, init, gain=1.0):
    X, y = circles
    mlp = nn.MLP(CIRCLE_SIZES, activation="relu", init=init, gain=gain, rng=0)
    history = train.fit(mlp, X, y, loss="bce", lr=LR, steps=STEPS, metric="accuracy", record_every=STEPS // 4)
    return mlp, history


def test_zeros_init_never_breaks_symmetry_and_stays_at_chance(circles):
    mlp, history = train_circles(circles, "zeros")
    # Every hidden unit computes relu(0) = 0 and receives the same (zero) gradient: nothing moves.
    for layer in mlp.layers:
        assert not layer.weight.data.any()
    assert history.loss[-1] == pytest.approx(np.log(2), abs=1e-6)
    assert history.metrics["train_accuracy"][-1] == pytest.approx(0.5, abs=0.05)


@pytest.fixture(scope="module")
def he_history(circles):
    return train_circles(circles, "he_normal")[1]


def test_large_random_init_starts_with_a_huge_cost_and_trains_poorly(circles, he_history):
    _, history = train_circles(circles, "normal", gain=10.0)
    he = he_history
    # Logits of size ~100 make confident mistakes: the initial cost is hundreds of times log 2.
    assert history.loss[0] > 100 * he.loss[0]
    # Some ReLUs die (3 of 15 here) and the logits stay in the hundreds: training settles far from a solution.
    assert history.metrics["train_accuracy"][-1] < 0.9
    assert history.metrics["train_accuracy"][-1] < he.metrics["train_accuracy"][-1] - 0.1


def test_he_init_fits_the_circles(he_history):
    history = he_history
    assert history.metrics["train_accuracy"][-1] >= 0.95
    assert history.loss[-1] < 0.2


# ---- 3. vanishing gradients in a deep sigmoid net -------------------------------------------------

def gradient_reaching_layers(activation, init, residual=False, seed=0, depth=20, width=32, batch=64):
    """‖∂L/∂z_l‖ for each Linear layer l (bottom to top) of a depth-layer MLP on an MSE loss."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
    mlp = nn.MLP([width] * depth + [1], activation=activation, init=init, residual=residual, rng=rng)
    trace = mlp.forward_trace(x)
    for z in trace.pre_activations:
        z.retain_grad()
    mse_loss(trace.output, y).backward()
    return np.array([np.linalg.norm(z.grad) for z in trace.pre_activations])


def top_to_first(norms: np.ndarray) -> float:
    """Gradient at the top hidden layer over the gradient at the first."""
    return float(norms[-2] / norms[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_vanishes_through_20_sigmoid_layers(seed):
    norms = gradient_reaching_layers("sigmoid", "xavier_normal", seed=seed)
    # σ' ≤ 1/4 at every layer: the first layer's gradient is many orders of magnitude smaller.
    assert top_to_first(norms) >= 1e4
    assert np.all(np.diff(np.log(norms[:-1])) > 0)  # and it shrinks at every layer on the way down


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_with_he_init_or_residual_sigmoid_keeps_the_gradient(seed):
    relu = gradient_reaching_layers("relu", "he_normal", seed=seed)
    residual = gradient_reaching_layers("sigmoid", "xavier_normal", residual=True, seed=seed)
    for norms in (relu, residual):
        assert 0.1 <= top_to_first(norms) <= 10
