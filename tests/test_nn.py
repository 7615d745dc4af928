"""Initialisation schemes and network modules: variances, gradients, parameter bookkeeping."""
import numpy as np
import pytest

from mtl_edu import Tensor, gradcheck, init, nn, no_grad
from mtl_edu import functional as F


# ---- init: the variances of the papers ------------------------------------------------------------

FAN_IN, FAN_OUT = 300, 500  # unequal, so fan_in-only and fan_in+fan_out schemes differ


@pytest.mark.parametrize(
    "name, expected_std",
    [
        ("xavier_normal", np.sqrt(2.0 / (FAN_IN + FAN_OUT))),
        ("xavier_uniform", np.sqrt(2.0 / (FAN_IN + FAN_OUT))),  # limit²/3 = 2/(fan_in+fan_out)
        ("he_normal", np.sqrt(2.0 / FAN_IN)),
        ("he_uniform", np.sqrt(2.0 / FAN_IN)),
        ("lecun_normal", np.sqrt(1.0 / FAN_IN)),
        ("normal", 1.0),
        ("uniform", np.sqrt(1.0 / 3.0)),
    ],
)
def test_empirical_std_matches_the_papers_variance(name, expected_std):
    rng = np.random.default_rng(0)
    for gain in (1.0, 2.5):
        W = init.INITS[name]((FAN_IN, FAN_OUT), rng, gain=gain)
        assert W.shape == (FAN_IN, FAN_OUT)
        # 150 000 draws: the std estimate is good to ~0.2 %; 1.5 % separates every pair of schemes.
        assert abs(W.std() / (gain * expected_std) - 1) < 0.015, (name, gain, W.std())
        assert abs(W.mean()) < 0.02 * gain * expected_std  # the mean's std is 0.0026 of that


@pytest.mark.parametrize(
    "name, expected_limit",
    [("xavier_uniform", np.sqrt(6.0 / (FAN_IN + FAN_OUT))), ("he_uniform", np.sqrt(6.0 / FAN_IN)), ("uniform", 1.0)],
)
def test_uniform_schemes_fill_exactly_their_interval(name, expected_limit):
    W = init.INITS[name]((FAN_IN, FAN_OUT), np.random.default_rng(1), gain=0.5)
    limit = 0.5 * expected_limit
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.999 * limit


def test_normal_and_uniform_take_their_scale_and_gain_multiplies_it():
    rng = np.random.default_rng(2)
    assert abs(init.normal((400, 400), rng, std=0.01).std() / 0.01 - 1) < 0.02
    assert abs(init.normal((400, 400), rng, gain=10.0).std() / 10 - 1) < 0.02
    assert np.abs(init.uniform((400, 400), rng, limit=0.3)).max() <= 0.3


def test_zeros_are_zeros():
    assert not init.zeros((3, 4), None).any()
    assert init.zeros((3, 4), None).shape == (3, 4)


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12)])
def test_orthogonal_has_orthonormal_columns_or_rows(shape):
    W = init.orthogonal(shape, np.random.default_rng(3), gain=2.0)
    assert W.shape == shape
    small = min(shape)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


def test_orthogonal_sign_correction_removes_the_qr_bias():
    # Plain QR returns R with a fixed diagonal sign convention, so Q[0, 0] would always have the
    # same sign; after the correction it is symmetric about zero (Haar-distributed Q).
    rng = np.random.default_rng(4)
    first = np.array([init.orthogonal((3, 3), rng)[0, 0] for _ in range(400)])
    assert abs(first.mean()) < 0.1
    assert (first > 0).mean() == pytest.approx(0.5, abs=0.1)
    q, _ = np.linalg.qr(np.random.default_rng(4).standard_normal((400, 3, 3)))
    assert abs(q[:, 0, 0].mean()) > 0.3  # what the test would see without the correction


def test_same_seed_same_weights_and_generator_advances():
    a = init.he_normal((4, 5), 7)
    b = init.he_normal((4, 5), np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(7)
    assert not np.array_equal(init.he_normal((4, 5), rng), init.he_normal((4, 5), rng))


def test_initialize_resolves_names_casts_and_accepts_functions():
    W = init.initialize("xavier_normal", (6, 3), np.random.default_rng(0), dtype=np.float32)
    assert W.dtype == np.float32
    W64 = init.initialize("xavier_normal", (6, 3), np.random.default_rng(0))
    np.testing.assert_array_equal(W, W64.astype(np.float32))
    constant = init.initialize(lambda shape, rng, gain: np.full(shape, gain), (2, 2), None, gain=3.0)
    np.testing.assert_array_equal(constant, np.full((2, 2), 3.0))
    assert set(init.INITS) == {"zeros", "normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal",
                               "he_uniform", "lecun_normal", "orthogonal"}


def test_init_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown init 'kaiming'.*he_normal"):
        init.initialize("kaiming", (2, 2), 0)
    with pytest.raises(ValueError, match=r"shape must be \(fan_in, fan_out\), got \(5,\)"):
        init.he_normal((5,), 0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.xavier_normal((2, 2), "seed")
    with pytest.raises(ValueError, match=r"returned shape \(3,\), expected \(2, 2\)"):
        init.initialize(lambda shape, rng, gain: np.zeros(3), (2, 2), 0)
    with pytest.raises(ValueError, match="gain must be a finite number"):
        init.he_normal((2, 2), 0, gain=float("nan"))


# ---- helpers for gradient checks of modules ---------------------------------------------------------

def _set_by_name(module, dotted: str, value):
    parts = dotted.split(".")
    owner = module
    for part in parts[:-1]:
        owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
    setattr(owner, parts[-1], value)


def check_module_gradients(module, x, tolerance=1e-6):
    """Gradcheck of module(x) with respect to the input and every parameter."""
    names = [name for name, _ in module.named_parameters()]
    originals = [p.data.copy() for p in module.parameters()]
    # Perturb away from the init (zero biases, unit gains) so every parameter matters generically.
    rng = np.random.default_rng(0)
    arrays = [a + 0.1 * rng.standard_normal(a.shape) for a in originals]

    def run(x_tensor, *params):
        for name, tensor in zip(names, params):
            _set_by_name(module, name, tensor)
        return module(x_tensor)

    result = gradcheck(run, x, *arrays)
    assert result.passed(tolerance), result
    assert len(result.errors) == 1 + len(names)
    return result


def test_linear_computes_x_w_plus_b_and_its_gradients_check():
    layer = nn.Linear(4, 3, rng=0)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (3,)
    assert not layer.bias.data.any()
    x = np.random.default_rng(1).standard_normal((5, 4))
    layer.bias.data[:] = [1.0, -2.0, 0.5]
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + layer.bias.data)
    check_module_gradients(layer, x)


def test_linear_without_bias_has_one_parameter():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None and layer.parameters() == [layer.weight]
    x = np.ones((2, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data)


@pytest.mark.parametrize(
    "options",
    [
        dict(activation="tanh"),
        dict(activation="sigmoid", final_activation=True),
        dict(activation="gelu", residual=True),
        dict(activation="tanh", norm="layernorm"),
        dict(activation="tanh", residual=True, norm="layernorm"),
    ],
    ids=["tanh", "sigmoid-final", "gelu-residual", "layernorm", "residual-layernorm"],
)
def test_mlp_gradients_check_against_central_differences(options):
    mlp = nn.MLP([3, 4, 4, 2], rng=0, **options)
    x = np.random.default_rng(1).standard_normal((5, 3))
    check_module_gradients(mlp, x)


def test_layernorm_normalises_rows_and_its_gradients_check():
    norm = nn.LayerNorm(6)
    x = np.random.default_rng(2).standard_normal((4, 6)) * 3 + 5
    y = norm(x).data
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1 / (1 + norm.eps / x.var(axis=1)), rtol=1e-9)
    check_module_gradients(norm, x)
    with pytest.raises(ValueError, match="input has 5 features, expected 6"):
        norm(np.ones((2, 5)))


def test_mlp_forward_is_the_stated_recursion():
    """h_l = h_{l-1} + act(LN(z_l)) where widths match, else act(LN(z_l)); linear output."""
    rng = np.random.default_rng(3)
    mlp = nn.MLP([3, 5, 5, 2], activation="tanh", residual=True, norm="layernorm", rng=0)
    for p in mlp.parameters():
        p.data[...] = p.data + 0.1 * rng.standard_normal(p.shape)
    x = rng.standard_normal((4, 3))

    def layer_norm(z, norm):
        centred = z - z.mean(axis=1, keepdims=True)
        return centred / np.sqrt(centred.var(axis=1, keepdims=True) + norm.eps) * norm.gain.data + norm.bias.data

    (W1, b1), (W2, b2), (W3, b3) = [(layer.weight.data, layer.bias.data) for layer in mlp.layers]
    h1 = np.tanh(layer_norm(x @ W1 + b1, mlp.norms[0]))  # 3 -> 5: no shortcut
    h2 = h1 + np.tanh(layer_norm(h1 @ W2 + b2, mlp.norms[1]))  # 5 -> 5: shortcut
    expected = h2 @ W3 + b3
    np.testing.assert_allclose(mlp(x).data, expected, rtol=1e-12)


def test_forward_trace_records_every_layer_and_matches_forward():
    mlp = nn.MLP([2, 6, 6, 6, 1], activation="relu", init="he_normal", rng=0)
    x = np.random.default_rng(0).standard_normal((7, 2))
    trace = mlp.forward_trace(x)
    assert len(trace.pre_activations) == len(trace.activations) == len(mlp.layers) == 4
    assert trace.activations[-1] is trace.output
    np.testing.assert_array_equal(trace.output.data, mlp(x).data)
    for z, h in zip(trace.pre_activations[:-1], trace.activations[:-1]):
        np.testing.assert_array_equal(h.data, np.maximum(z.data, 0))
    # retain_grad on a hidden pre-activation gives dL/dz_l, which also yields the weight gradient.
    for z in trace.pre_activations:
        z.retain_grad()
    trace.output.sum().backward()
    h1 = trace.activations[0].data
    np.testing.assert_allclose(mlp.layers[1].weight.grad, h1.T @ trace.pre_activations[1].grad)


def test_parameters_are_unique_ordered_and_named():
    mlp = nn.MLP([2, 3, 1], norm="layernorm", rng=0)
    names = [name for name, _ in mlp.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                     "norms.0.gain", "norms.0.bias"]
    assert mlp.parameters() == [p for _, p in mlp.named_parameters()]
    assert mlp.parameters() == mlp.parameters()  # stable
    assert mlp.num_parameters() == (2 * 3 + 3) + (3 * 1 + 1) + 2 * 3

    shared = nn.Linear(3, 3, rng=0)
    twice = nn.Sequential(shared, nn.Tanh(), shared)
    assert twice.parameters() == [shared.weight, shared.bias]  # a layer used twice counts once


def test_custom_module_finds_submodules_in_attributes_lists_and_skips_private():
    class TwoHeads(nn.Module):
        def __init__(self):
            self.trunk = nn.Linear(2, 4, rng=0)
            self.heads = [nn.Linear(4, 1, rng=1), nn.Linear(4, 1, rng=2)]
            self.scale = Tensor(np.ones(1), requires_grad=True)
            self._cache = nn.Linear(4, 4, rng=3)  # private: not a parameter

        def forward(self, x):
            z = self.trunk(x).tanh()
            return [head(z) * self.scale for head in self.heads]

    model = TwoHeads()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["trunk.weight", "trunk.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight",
                     "heads.1.bias", "scale"]
    outputs = model(np.ones((3, 2)))
    (outputs[0].sum() + outputs[1].sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_activation_modules_and_names():
    assert list(nn.ACTIVATIONS) == ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity"]
    x = Tensor(np.linspace(-3, 3, 13))
    expected = {
        "sigmoid": F.sigmoid(x), "tanh": F.tanh(x), "relu": F.relu(x), "leaky_relu": F.leaky_relu(x, 0.01),
        "gelu": F.gelu(x), "identity": x,
    }
    for name, value in expected.items():
        np.testing.assert_allclose(nn.activation(name)(x).data, value.data)
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x).data, np.where(x.data > 0, x.data, 0.2 * x.data))
    custom = nn.LeakyReLU(0.3)
    assert nn.activation(custom) is custom
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.activation("swish")


def test_sequential_applies_modules_in_order():
    first, second = nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=1)
    model = nn.Sequential(first, nn.ReLU(), second)
    x = np.random.default_rng(0).standard_normal((4, 2))
    expected = np.maximum(x @ first.weight.data, 0) @ second.weight.data
    np.testing.assert_allclose(model(x).data, expected)
    assert len(model) == 3 and model[1].name == "relu" and model.in_features == 2
    with pytest.raises(TypeError, match="item 1 is a ufunc, not a Module"):
        nn.Sequential(first, np.tanh)


def test_mlp_rejects_bad_settings_with_clear_messages():
    with pytest.raises(ValueError, match="at least two ints"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="positive int, got 0 at position 1"):
        nn.MLP([3, 0, 1])
    with pytest.raises(ValueError, match="norm must be None or 'layernorm', got 'batchnorm'"):
        nn.MLP([3, 2], norm="batchnorm")
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        nn.MLP([3, 2], init="glorot")
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 4\) and \(3, 2\) do not align"):
        nn.MLP([3, 2])(np.ones((2, 4)))


def test_mlp_is_reproducible_from_its_seed_and_zeros_init_is_symmetric():
    a = nn.MLP([2, 4, 1], init="he_normal", rng=5)
    b = nn.MLP([2, 4, 1], init="he_normal", rng=np.random.default_rng(5))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    other_seed = nn.MLP([2, 4, 1], init="he_normal", rng=6)
    assert not np.array_equal(a.layers[0].weight.data, other_seed.layers[0].weight.data)
    zeros = nn.MLP([2, 4, 1], init="zeros")
    assert all(not p.data.any() for p in zeros.parameters())


def test_float32_network_computes_in_float32():
    mlp = nn.MLP([3, 8, 2], activation="gelu", norm="layernorm", residual=True, rng=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in mlp.parameters())
    out = mlp(np.ones((4, 3)))  # float64 input is cast to the network's dtype
    assert out.dtype == np.float32
    F.mse_loss(out, np.zeros((4, 2))).backward()
    assert all(p.grad.dtype == np.float32 for p in mlp.parameters())
    with no_grad():
        assert mlp.forward_trace(np.ones((1, 3))).output.dtype == np.float32
