"""The gradient-flow probes measure what they claim: checked against hand-written backprop, finite
differences, explicit Jacobians and hand-made per-task gradient matrices."""
import numpy as np
import pytest

from mtl_edu import multitask, nn, probes, train
from mtl_edu.engine.autodiff import Tensor
from mtl_edu.engine.functional import mse_loss


def _set_weights(model, weights, biases=None):
    for i, layer in enumerate(model.layers):
        layer.weight.data = np.array(weights[i], dtype=np.float64)
        if biases is not None:
            layer.bias.data = np.array(biases[i], dtype=np.float64)


def _numpy_forward(weights, biases, X, act):
    """Plain NumPy forward of an MLP: lists of z_l and h_l (linear output layer)."""
    zs, hs, h = [], [], X
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = h @ W + b
        h = z if l == len(weights) - 1 else act(z)
        zs.append(z)
        hs.append(h)
    return zs, hs


@pytest.fixture
def tiny_tanh_net():
    rng = np.random.default_rng(3)
    model = nn.MLP([3, 4, 5, 2], activation="tanh", rng=7)
    for layer in model.layers:
        layer.bias.data = rng.standard_normal(layer.bias.shape) * 0.3
    X = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 2))
    return model, X, y


def test_gradient_norms_match_hand_written_backprop(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    weights = [layer.weight.data for layer in model.layers]
    biases = [layer.bias.data for layer in model.layers]
    zs, hs = _numpy_forward(weights, biases, X, np.tanh)
    # MSE = mean over all N*k entries, so dL/dout = 2 (out - y) / (N k).
    dz = 2 * (hs[-1] - y) / y.size
    expected_z, expected_w = [None] * 3, [None] * 3
    for l in (2, 1, 0):
        expected_z[l] = np.linalg.norm(dz)
        h_below = X if l == 0 else hs[l - 1]
        expected_w[l] = np.linalg.norm(h_below.T @ dz)
        if l > 0:
            dz = (dz @ weights[l].T) * (1 - np.tanh(zs[l - 1]) ** 2)
    np.testing.assert_allclose(probes.gradient_norms_by_layer(model, X, y, "mse"), expected_z, rtol=1e-10)
    np.testing.assert_allclose(probes.gradient_norms_by_layer(model, X, y, "mse", kind="weight"),
                               expected_w, rtol=1e-10)


def test_weight_gradient_norms_match_finite_differences(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    weights = [layer.weight.data.copy() for layer in model.layers]
    biases = [layer.bias.data for layer in model.layers]

    def loss_at(ws):
        return np.mean((_numpy_forward(ws, biases, X, np.tanh)[1][-1] - y) ** 2)

    eps = 1e-6
    numeric = []
    for l, W in enumerate(weights):
        grad = np.zeros_like(W)
        for index in np.ndindex(W.shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[l][index] += eps
            minus[l][index] -= eps
            grad[index] = (loss_at(plus) - loss_at(minus)) / (2 * eps)
        numeric.append(np.linalg.norm(grad))
    stats = probes.layer_statistics(model, X, y, "mse")
    np.testing.assert_allclose(stats.weight_grad_norm, numeric, rtol=1e-6)
    assert stats.loss == pytest.approx(loss_at(weights), rel=1e-12)


def test_probes_leave_existing_gradients_untouched(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    sentinels = [np.full(p.shape, 7.0) for p in model.parameters()]
    for p, s in zip(model.parameters(), sentinels):
        p.grad = s
    probes.gradient_norms_by_layer(model, X, y)
    probes.layer_statistics(model, X, y, lr=0.1)
    probes.jacobian_singular_values(model, X[0], 1, 2)
    for p, s in zip(model.parameters(), sentinels):
        assert p.grad is s and np.all(p.grad == 7.0)


def test_update_ratio_is_lr_times_gradient_over_weight_norm(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    stats = probes.layer_statistics(model, X, y, lr=0.05)
    weight_norms = [np.linalg.norm(layer.weight.data) for layer in model.layers]
    np.testing.assert_allclose(stats.weight_norm, weight_norms)
    np.testing.assert_allclose(stats.update_ratio, 0.05 * stats.weight_grad_norm / stats.weight_norm)
    assert probes.layer_statistics(model, X, y).update_ratio is None


def _one_hidden_layer(activation, first_weights):
    """[1, 4, 1] net whose hidden pre-activations are z = x * w (zero biases)."""
    model = nn.MLP([1, 4, 1], activation=activation, rng=0)
    _set_weights(model, [np.array([first_weights], dtype=float), np.ones((4, 1))], [np.zeros(4), np.zeros(1)])
    return model


@pytest.mark.parametrize("activation, expected", [
    ("sigmoid", 0.5),  # |z| > 4.595: x = -10 and 10
    ("tanh", 0.75),  # |z| > 2.647: x = -10, 10 and 3
    ("relu", 0.5),  # z <= 0: x = -10 and 0
    ("identity", 0.0),
])
def test_saturated_fraction_on_constructed_inputs(activation, expected):
    model = _one_hidden_layer(activation, [1, 1, 1, 1])
    X = np.array([[-10.0], [0.0], [10.0], [3.0]])
    stats = probes.layer_statistics(model, X, np.zeros(4))
    assert stats.saturated_fraction[0] == pytest.approx(expected)
    assert stats.saturated_fraction[1] == 0.0  # the linear output layer never saturates
    assert stats.activation_names == [activation, "identity"]
    assert stats.saturation_rule == probes.SATURATION_RULES[activation]


def test_dead_relu_units_are_counted_per_unit():
    model = _one_hidden_layer("relu", [1, -1, 1, -1])
    X = np.array([[1.0], [2.0], [0.5]])  # positive inputs: the units with weight -1 never fire
    stats = probes.layer_statistics(model, X, np.zeros(3))
    assert stats.saturated_fraction[0] == pytest.approx(0.5)
    assert stats.always_saturated_fraction[0] == pytest.approx(0.5)
    X_mixed = np.array([[1.0], [-1.0]])  # each unit fires on one of the two inputs
    assert probes.layer_statistics(model, X_mixed, np.zeros(2)).always_saturated_fraction[0] == 0.0


def test_histograms_count_every_entry_on_shared_bins():
    rng = np.random.default_rng(0)
    model = nn.MLP([2, 8, 8, 8, 1], activation="sigmoid", rng=0)
    X, y = rng.standard_normal((32, 2)), rng.standard_normal(32)
    stats = probes.layer_statistics(model, X, y, bins=20)
    assert len(stats.activation_histograms) == len(stats.gradient_histograms) == 4
    widths = [8, 8, 8, 1]
    for (counts, edges), width in zip(stats.activation_histograms, widths):
        assert counts.shape == (20,) and edges.shape == (21,)
        assert counts.sum() == 32 * width
    for (counts, _), width in zip(stats.gradient_histograms, widths):
        assert counts.sum() == 32 * width
    hidden_edges = [edges for _, edges in stats.activation_histograms[:3]]
    assert hidden_edges[0][0] == 0.0 and hidden_edges[0][-1] == 1.0  # sigmoid's range
    gradient_edges = [edges for _, edges in stats.gradient_histograms]
    assert all(np.array_equal(gradient_edges[0], e) for e in gradient_edges[:3])  # hidden layers share bins
    assert gradient_edges[0][0] == -gradient_edges[0][-1]
    largest_hidden_gradient = max(np.abs(z).max() for z in _pre_activation_grads(model, X, y)[:3])
    assert gradient_edges[0][-1] == pytest.approx(largest_hidden_gradient)
    log_edges = [edges for _, edges in stats.gradient_log10_histograms]
    assert all(np.array_equal(log_edges[0], e) for e in log_edges)


def _pre_activation_grads(model, X, y):
    trace = model.forward_trace(Tensor(X))
    for z in trace.pre_activations:
        z.retain_grad()
    mse_loss(trace.output, y.reshape(-1, 1)).backward()
    model.zero_grad()
    return [z.grad for z in trace.pre_activations]


def test_deep_sigmoid_net_starves_its_first_layer():
    rng = np.random.default_rng(0)
    model = nn.MLP([2] + [32] * 20 + [1], activation="sigmoid", init="xavier_normal", rng=0)
    X, y = rng.standard_normal((128, 2)), rng.standard_normal(128)
    norms = probes.gradient_norms_by_layer(model, X, y, "mse")
    assert norms.shape == (21,)
    assert norms[19] >= 100 * norms[0], f"top hidden {norms[19]:.3g} vs layer 1 {norms[0]:.3g}"
    # The decay is steady, not one bad layer: each half of the stack loses a factor of 10 or more.
    assert norms[19] >= 10 * norms[10] and norms[10] >= 10 * norms[0]


def test_deep_supervision_lifts_early_layer_gradients():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 3)), rng.standard_normal(64)
    plain = multitask.DeepSupervisionNet(3, 12, 16, attach_depths=[], activation="sigmoid", rng=0)
    supervised = multitask.DeepSupervisionNet(3, 12, 16, attach_depths=[2], activation="sigmoid", rng=0)
    plain_norms = probes.gradient_norms_by_layer(plain, X, y, "mse")
    supervised_norms = probes.gradient_norms_by_layer(supervised, X, y, "mse")
    assert plain_norms.shape == supervised_norms.shape == (12,)
    assert supervised_norms[0] > 100 * plain_norms[0]
    # Above the attachment point nothing changes: the auxiliary head's gradient only flows down.
    np.testing.assert_allclose(supervised_norms[2:], plain_norms[2:], rtol=1e-10)
    # A loss function receives the list of head outputs and can weight them.
    main_only = probes.gradient_norms_by_layer(
        supervised, X, y, lambda outputs, target: multitask.task_loss("regression", outputs[0], target))
    np.testing.assert_allclose(main_only, plain_norms, rtol=1e-10)


def _finite_difference_jacobian(model, x, eps=1e-6):
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        plus = model(Tensor(x[None] + step)).data[0]
        minus = model(Tensor(x[None] - step)).data[0]
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(1)
    model = nn.MLP([3, 6, 6, 2], activation="tanh", rng=2)
    x = rng.standard_normal(3)
    numeric = _finite_difference_jacobian(model, x)
    np.testing.assert_allclose(probes.input_output_jacobian(model, x), numeric, atol=1e-8)
    np.testing.assert_allclose(probes.jacobian_singular_values(model, x),
                               np.linalg.svd(numeric, compute_uv=False), rtol=1e-6)
    assert probes.jacobian_singular_values(model, x).shape == (2,)


def test_linear_net_singular_values_are_those_of_the_weight_product():
    model = nn.MLP([4, 5, 6, 3], activation="identity", rng=4)
    weights = [layer.weight.data for layer in model.layers]
    product = weights[0] @ weights[1] @ weights[2]  # x @ W1 @ W2 @ W3: the map is product.T
    x = np.random.default_rng(0).standard_normal(4)
    np.testing.assert_allclose(probes.jacobian_singular_values(model, x),
                               np.linalg.svd(product, compute_uv=False), rtol=1e-10)
    # Between hidden layers 1 and 2 only W2 acts.
    np.testing.assert_allclose(probes.jacobian_singular_values(model, x, from_layer=1, to_layer=2),
                               np.linalg.svd(weights[1], compute_uv=False), rtol=1e-10)


@pytest.mark.parametrize("options", [
    {"activation": "tanh"},
    {"activation": "relu", "residual": True},
    {"activation": "gelu", "norm": "layernorm", "residual": True},
    {"activation": "sigmoid", "final_activation": True},
])
def test_layer_jacobians_multiply_to_the_end_to_end_jacobian(options):
    model = nn.MLP([3, 5, 5, 5, 2], rng=5, **options)
    x = np.random.default_rng(2).standard_normal(3)
    jacobians = probes.layer_jacobians(model, x)
    assert [j.shape for j in jacobians] == [(5, 3), (5, 5), (5, 5), (2, 5)]
    product = jacobians[0]
    for j in jacobians[1:]:
        product = j @ product
    np.testing.assert_allclose(product, probes.input_output_jacobian(model, x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jacobians[1], _finite_difference_block(model, x, 1), atol=1e-7)


def _finite_difference_block(model, x, layer, eps=1e-6):
    """∂h_layer/∂h_{layer-1} by perturbing h_{layer-1} and re-running the layers above by hand."""
    trace = model.forward_trace(Tensor(x[None]))
    below = trace.activations[layer - 1].data[0]

    def block(h):
        return probes._block(model, layer)(Tensor(h[None])).data[0]

    columns = []
    for i in range(below.size):
        step = np.zeros_like(below)
        step[i] = eps
        columns.append((block(below + step) - block(below - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def test_gradient_norm_recorder_with_fit():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    model = nn.MLP([3, 8, 8, 1], rng=1)
    before_training = probes.gradient_norms_by_layer(model, X, y, "mse")
    recorder = probes.GradientNormRecorder("mse")
    history = train.fit(model, X, y, "mse", steps=7, record_every=3, probes=[recorder], progress=False)
    assert recorder.steps == history.steps == [0, 3, 6]
    layer_by_step = recorder.as_array()
    assert layer_by_step.shape == (3, 3)
    np.testing.assert_allclose(layer_by_step[:, 0], before_training)  # step 0 sees the untrained model
    stored = history.as_arrays()["probes"]["gradient_norms"]
    np.testing.assert_allclose(stored.T, layer_by_step)
    assert not np.allclose(layer_by_step[:, 0], layer_by_step[:, -1])  # training changed them


def test_task_gradient_recorder_with_fit_multitask():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    targets = [X[:, 0], -X[:, 0]]
    untrained = multitask.HardSharingNet(3, [8, 8], [1, 1], branch_depth=2, rng=0)
    outputs = untrained(Tensor(X))
    losses = [multitask.task_loss("regression", out, t) for out, t in zip(outputs, targets)]
    G = multitask.task_gradients(losses, untrained.shared_parameters())

    net = multitask.HardSharingNet(3, [8, 8], [1, 1], branch_depth=2, rng=0)
    recorder = probes.TaskGradientRecorder(["mse", "mse"])
    train.fit_multitask(net, X, targets, ["mse", "mse"], steps=5, record_every=2, probes=[recorder], progress=False)
    records = recorder.as_arrays()
    assert list(records["steps"]) == [0, 2, 4]
    assert records["norms"].shape == (3, 2) and records["cosines"].shape == (3, 2, 2)
    assert records["conflict_fraction"].shape == (3,)
    # The first record describes the untrained network.
    np.testing.assert_allclose(records["norms"][0], np.linalg.norm(G, axis=1), rtol=1e-10)
    cosine = G[0] @ G[1] / np.prod(np.linalg.norm(G, axis=1))
    assert records["cosines"][0, 0, 1] == pytest.approx(cosine, rel=1e-10)
    assert records["conflict_fraction"][0] == float(cosine < 0)


def test_task_gradient_recorder_on_chosen_parameters():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    targets = [X[:, 0], -X[:, 0]]
    net = multitask.HardSharingNet(3, [8, 8], [1, 1], branch_depth=2, rng=0)
    first_layer = lambda model: model.shared_parameters()[:2]  # noqa: E731
    outputs = net(Tensor(X))
    losses = [multitask.task_loss("regression", out, t) for out, t in zip(outputs, targets)]
    G = multitask.task_gradients(losses, first_layer(net))
    recorder = probes.TaskGradientRecorder(["mse", "mse"], parameters=first_layer)
    train.fit_multitask(net, X, targets, ["mse", "mse"], steps=1, probes=[recorder], progress=False)
    np.testing.assert_allclose(recorder.as_arrays()["norms"][0], np.linalg.norm(G, axis=1), rtol=1e-10)
    with pytest.raises(TypeError, match="function model -> list of parameters, got list"):
        probes.TaskGradientRecorder(["mse", "mse"], parameters=[1, 2])
    empty = probes.TaskGradientRecorder(["mse", "mse"], parameters=lambda model: [])
    with pytest.raises(ValueError, match="gave no parameters"):
        empty(net, X, targets, 0)


def test_cosine_matrix_and_conflicts_on_a_hand_made_G():
    G = np.array([[1.0, 0.0], [0.0, 3.0], [-2.0, 0.0], [0.0, 0.0]])
    expected = np.array([
        [1, 0, -1, 0],
        [0, 1, 0, 0],
        [-1, 0, 1, 0],
        [0, 0, 0, 0],  # a zero gradient has no direction: 0 everywhere, the diagonal included
    ], dtype=float)
    np.testing.assert_allclose(probes.cosine_matrix(G), expected, atol=1e-15)
    np.testing.assert_allclose(probes.task_gradient_norms(G), [1, 3, 2, 0])
    assert probes.conflict_fraction(G) == pytest.approx(1 / 6)  # only tasks 0 and 2 of 6 pairs
    assert probes.conflict_fraction(G[:2]) == 0.0
    similarity = probes.gradient_magnitude_similarity(G[:2])
    assert similarity[0, 1] == pytest.approx(2 * 1 * 3 / (1 + 9))
    np.testing.assert_allclose(np.diag(similarity), 1.0)


def test_cosine_matrix_ignores_scale_and_survives_extremes():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((4, 50))
    scaled = G * np.array([[1e-200], [1.0], [1e200], [3.0]])
    C = probes.cosine_matrix(scaled)
    np.testing.assert_allclose(C, probes.cosine_matrix(G), atol=1e-12)
    norms = np.linalg.norm(G, axis=1)
    np.testing.assert_allclose(probes.cosine_matrix(G), (G @ G.T) / np.outer(norms, norms), atol=1e-12)
    assert np.all(np.isfinite(C)) and np.allclose(C, C.T)


@pytest.mark.parametrize("call, message", [
    (lambda: probes.cosine_matrix(np.ones(3)), r"G must be 2-D \(T, P\).*\(3,\)"),
    (lambda: probes.cosine_matrix(np.array([[1.0, np.nan]])), "inf or NaN"),
    (lambda: probes.conflict_fraction(np.ones((1, 4))), "at least 2 tasks"),
    (lambda: probes.task_gradient_norms(np.zeros((0, 3))), "no rows"),
])
def test_bad_gradient_matrices_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_inputs_to_layer_probes_raise_clear_errors(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3\).*\(6, 2\)"):
        probes.gradient_norms_by_layer(model, X[:, :2], y)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        probes.layer_statistics(model, X, y, loss="hinge")
    with pytest.raises(ValueError, match="6 rows but y has shape"):
        probes.gradient_norms_by_layer(model, X, y[:4])
    with pytest.raises(ValueError, match="kind must be"):
        probes.gradient_norms_by_layer(model, X, y, kind="bias")
    with pytest.raises(TypeError, match="forward_trace"):
        probes.gradient_norms_by_layer(nn.Linear(3, 2), X, y)
    with pytest.raises(ValueError, match=r"x must be one input point of shape \(3,\)"):
        probes.jacobian_singular_values(model, X)
    with pytest.raises(ValueError, match="from_layer < to_layer"):
        probes.jacobian_singular_values(model, X[0], from_layer=2, to_layer=2)
    with pytest.raises(ValueError, match="lr must be"):
        probes.layer_statistics(model, X, y, lr=-1.0)


def test_exploding_net_reports_inf_without_warnings():
    rng = np.random.default_rng(0)
    # Each layer multiplies the signal by about 1000 * sqrt(16): 100 layers overflow float64.
    model = nn.MLP([2] + [16] * 100 + [1], activation="identity", init="normal", gain=1000.0, rng=0)
    X, y = rng.standard_normal((8, 2)), rng.standard_normal(8)
    with np.errstate(all="raise"):  # any NumPy warning inside the probe would raise here
        stats = probes.layer_statistics(model, X, y)
    assert not np.all(np.isfinite(stats.grad_norm))
    with pytest.raises(FloatingPointError, match="overflowed"):
        probes.jacobian_singular_values(model, X[0])


def test_table_has_one_row_per_layer(tiny_tanh_net):
    model, X, y = tiny_tanh_net
    stats = probes.layer_statistics(model, X, y, lr=0.1)
    lines = stats.table().splitlines()
    assert len(lines) == 1 + stats.n_layers and "update/W" in lines[0]
    assert lines[1].split()[0] == "1" and f"{stats.grad_norm[0]:.3g}" in lines[1]
