"""Optimisers, gradient clipping and the training loops."""
import math

import numpy as np
import pytest

from mtl_edu import Tensor, nn, optim, train
from mtl_edu import functional as F
from mtl_edu.data.datasets import make_moons


def leaf(values):
    return Tensor(np.array(values, dtype=float), requires_grad=True)


def run_steps(optimizer, param, gradients):
    """Apply optimizer.step() once per gradient in `gradients`; return the parameter after each step."""
    trajectory = []
    for g in gradients:
        optimizer.zero_grad()
        param.grad = np.array(g, dtype=float)
        optimizer.step()
        trajectory.append(param.data.copy())
    return trajectory


# ---- SGD --------------------------------------------------------------------------------------------

def test_plain_sgd_step():
    p = leaf([1.0, -2.0])
    run_steps(optim.SGD([p], lr=0.1), p, [[0.5, 1.0]])
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 - 0.1])


def test_sgd_momentum_with_a_constant_gradient_sums_a_geometric_series():
    p, g, lr, mu = leaf([3.0]), 2.0, 0.1, 0.9
    trajectory = run_steps(optim.SGD([p], lr=lr, momentum=mu), p, [[g]] * 3)
    # v_t = g (1 + mu + ... + mu^(t-1)), so after 3 steps the total move is lr g (3 + 2 mu + mu^2).
    for t, value in enumerate(trajectory, start=1):
        moved = lr * g * sum((1 - mu ** k) / (1 - mu) for k in range(1, t + 1))
        np.testing.assert_allclose(value, [3.0 - moved])


def test_sgd_momentum_and_weight_decay_match_the_heavy_ball_recursion():
    # Independent form of heavy-ball momentum: θ_{t+1} = θ_t − lr (g_t + λ θ_t) + μ (θ_t − θ_{t−1}).
    lr, mu, decay = 0.05, 0.8, 0.1
    gradients = [[1.0, -0.5], [0.3, 2.0], [-1.2, 0.7]]
    p = leaf([0.5, -1.5])
    trajectory = run_steps(optim.SGD([p], lr=lr, momentum=mu, weight_decay=decay), p, gradients)
    previous = current = np.array([0.5, -1.5])
    for g, got in zip(gradients, trajectory):
        following = current - lr * (np.array(g) + decay * current) + mu * (current - previous)
        previous, current = current, following
        np.testing.assert_allclose(got, current, rtol=1e-12)


def test_sgd_weight_decay_alone_shrinks_the_weights():
    p = leaf([2.0])
    run_steps(optim.SGD([p], lr=0.1, weight_decay=0.5), p, [[0.0]])
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 0.5)])


# ---- Adam -------------------------------------------------------------------------------------------

def test_adam_bias_correction_makes_a_constant_gradient_move_lr_per_step():
    # With g constant, m̂_t = g and v̂_t = g² exactly, so each step moves lr·g/(|g| + eps).
    lr, eps = 0.01, 1e-8
    g = np.array([0.003, -40.0])
    p = leaf([1.0, 1.0])
    trajectory = run_steps(optim.Adam([p], lr=lr, eps=eps), p, [g] * 3)
    for t, value in enumerate(trajectory, start=1):
        np.testing.assert_allclose(value, 1.0 - t * lr * g / (np.abs(g) + eps), rtol=1e-12)


def test_adam_two_steps_with_changing_gradients_and_weight_decay():
    lr, (b1, b2), eps, decay = 0.1, (0.9, 0.999), 1e-8, 0.01
    g1, g2 = np.array([1.0, -2.0]), np.array([-0.5, 4.0])
    theta0 = np.array([0.2, 0.4])
    p = leaf(theta0)
    first, second = run_steps(optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=decay), p, [g1, g2])
    # Step 1: the bias-corrected moments are the gradient itself.
    d1 = g1 + decay * theta0
    theta1 = theta0 - lr * d1 / (np.abs(d1) + eps)
    np.testing.assert_allclose(first, theta1, rtol=1e-12)
    # Step 2: the corrected moments are weighted averages of the two gradients, weights (β, 1).
    d2 = g2 + decay * theta1
    m_hat = (b1 * d1 + d2) / (1 + b1)
    v_hat = (b2 * d1**2 + d2**2) / (1 + b2)
    np.testing.assert_allclose(second, theta1 - lr * m_hat / (np.sqrt(v_hat) + eps), rtol=1e-12)


def test_optimizers_skip_parameters_without_gradient():
    used, unused = leaf([1.0]), leaf([5.0])
    for optimizer in (optim.SGD([used, unused], lr=0.1, momentum=0.9), optim.Adam([used, unused], lr=0.1)):
        used.grad, unused.grad = np.array([1.0]), None
        optimizer.step()
        assert unused.data[0] == 5.0 and used.data[0] < 1.0


def test_lr_is_settable_and_zero_grad_clears():
    p = leaf([1.0])
    optimizer = optim.SGD([p], lr=0.1)
    optimizer.lr = 0.5
    run_steps(optimizer, p, [[1.0]])
    np.testing.assert_allclose(p.data, [0.5])
    optimizer.zero_grad()
    assert p.grad is None
    with pytest.raises(ValueError, match="SGD: lr must be a finite number > 0, got -1"):
        optimizer.lr = -1


def test_optimizer_settings_are_checked():
    p = leaf([1.0])
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0"):
        optim.SGD([p], lr=0)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\), got 1.5"):
        optim.SGD([p], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        optim.Adam([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="betas must be a pair"):
        optim.Adam([p], betas=0.9)
    with pytest.raises(ValueError, match="empty list of parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 1 \(shape \(1,\)\) appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_optimizer_accepts_a_module():
    mlp = nn.MLP([2, 3, 1], rng=0)
    assert optim.Adam(mlp).params == mlp.parameters()


# ---- clipping ---------------------------------------------------------------------------------------

def test_clip_grad_norm_returns_the_norm_before_and_rescales_to_max_norm():
    a, b, c = leaf([0.0, 0.0]), leaf([0.0]), leaf([0.0])
    a.grad, b.grad, c.grad = np.array([3.0, 0.0]), np.array([4.0]), None
    total = optim.clip_grad_norm([a, b, c], max_norm=2.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad, [3.0 * 2 / 5, 0.0])
    np.testing.assert_allclose(b.grad, [4.0 * 2 / 5])
    joint = math.sqrt(np.sum(a.grad**2) + np.sum(b.grad**2))
    assert joint == pytest.approx(2.0)
    # Below the threshold nothing changes, and the norm is still reported.
    assert optim.clip_grad_norm([a, b], max_norm=10.0) == pytest.approx(2.0)
    np.testing.assert_allclose(b.grad, [1.6])


def test_clip_grad_value_clips_each_entry():
    p = leaf([0.0, 0.0, 0.0])
    p.grad = np.array([-3.0, 0.2, 7.0])
    optim.clip_grad_value([p], 0.5)
    np.testing.assert_allclose(p.grad, [-0.5, 0.2, 0.5])
    with pytest.raises(ValueError, match="clip_value must be a finite number > 0"):
        optim.clip_grad_value([p], 0)
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        optim.clip_grad_norm([p], -1.0)


# ---- float32 stays float32 ----------------------------------------------------------------------------

@pytest.mark.parametrize("make_optimizer", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=1e-3),
])
def test_float32_stays_float32_through_mlp_and_optimizer(make_optimizer):
    mlp = nn.MLP([3, 8, 1], rng=0, dtype=np.float32)
    optimizer = make_optimizer(mlp.parameters())
    x = np.random.default_rng(0).standard_normal((5, 3))
    for _ in range(2):
        optimizer.zero_grad()
        loss = F.mse_loss(mlp(x), np.zeros((5, 1)))
        assert loss.dtype == np.float32
        loss.backward()
        optim.clip_grad_norm(mlp.parameters(), 0.1)
        optimizer.step()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in mlp.parameters())


# ---- fit ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.1, rng=0)


def test_fit_learns_the_moons(moons):
    X, y = moons
    mlp = nn.MLP([2, 16, 16, 2], activation="tanh", rng=1)
    history = train.fit(mlp, X, y, loss="cross_entropy", lr=0.5, steps=300, metric="accuracy", record_every=50)
    assert history.steps == [0, 50, 100, 150, 200, 250, 299]
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert history.metrics["train_accuracy"][-1] >= 0.95
    arrays = history.as_arrays()
    assert arrays["loss"].shape == (7,) and arrays["metrics"]["train_accuracy"].shape == (7,)


def test_fit_with_adam_bce_and_a_one_column_output(moons):
    X, y = moons
    mlp = nn.MLP([2, 16, 1], activation="relu", init="he_normal", rng=2)
    history = train.fit(mlp, X, y, loss="bce", optimizer="adam", lr=0.05, steps=200,
                        eval_data=(X[:50], y[:50]), metric="accuracy", record_every=199)
    assert history.metrics["train_accuracy"][-1] > 0.9
    assert history.metrics["eval_loss"][-1] < history.metrics["eval_loss"][0]
    assert set(history.metrics) == {"train_accuracy", "eval_loss", "eval_accuracy"}


def test_minibatch_runs_are_deterministic_given_rng(moons):
    X, y = moons

    def run(seed):
        mlp = nn.MLP([2, 8, 2], rng=0)
        return train.fit(mlp, X, y, loss="cross_entropy", lr=0.2, steps=30, batch_size=32, rng=seed).loss

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_probes_see_the_model_at_the_start_of_each_recorded_step(moons):
    X, y = moons
    mlp = nn.MLP([2, 4, 2], rng=0)
    initial = mlp.layers[0].weight.data.copy()
    calls = []

    def first_weight(model, X_, y_, step):
        calls.append(step)
        return model.layers[0].weight.data.copy()

    history = train.fit(mlp, X, y, loss="cross_entropy", lr=0.5, steps=7, record_every=3, probes=[first_weight])
    assert calls == history.steps == [0, 3, 6]
    np.testing.assert_array_equal(history.probes["first_weight"][0], initial)
    assert not np.array_equal(history.probes["first_weight"][1], initial)
    assert history.as_arrays()["probes"]["first_weight"].shape == (3, 2, 4)


def test_huge_learning_rate_raises_training_diverged_naming_step_and_loss(moons):
    X, y = moons
    mlp = nn.MLP([2, 16, 16, 1], activation="relu", init="he_normal", rng=1)
    with pytest.raises(train.TrainingDiverged) as caught:
        train.fit(mlp, X, y, loss="mse", lr=50.0, steps=300)
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert not math.isfinite(error.loss) and 0 < error.step < 300
    message = str(error)
    assert f"step {error.step}: loss = {error.loss}" in message
    assert "lower learning rate (now 50)" in message and "clip_norm" in message and "initialisation" in message
    # Everything up to the failure is kept (every step is recorded here), the failing loss last.
    assert error.history.steps == list(range(error.step + 1))
    assert all(math.isfinite(v) for v in error.history.loss[:-1]) and not math.isfinite(error.history.loss[-1])


def test_clipping_keeps_that_run_finite(moons):
    X, y = moons

    def run(clip_norm):
        mlp = nn.MLP([2, 16, 16, 1], activation="relu", init="he_normal", rng=1)
        return train.fit(mlp, X, y, loss="mse", lr=2.0, steps=300, clip_norm=clip_norm, record_every=100)

    with pytest.raises(train.TrainingDiverged):
        run(None)
    assert all(math.isfinite(v) for v in run(1.0).loss)


def test_fit_rejects_invalid_settings_with_the_values(moons):
    X, y = moons
    mlp = nn.MLP([2, 4, 2], rng=0)
    cases = [
        (dict(lr=0), "lr must be a finite number > 0, got 0"),
        (dict(lr=-0.1), "lr must be a finite number > 0, got -0.1"),
        (dict(steps=0), "steps must be an int >= 1, got 0"),
        (dict(record_every=0), "record_every must be an int >= 1, got 0"),
        (dict(batch_size=500), "batch_size 500 is larger than the 200 rows of X"),
        (dict(loss="hinge"), "unknown loss 'hinge'"),
        (dict(optimizer="rmsprop"), "optimizer must be 'sgd', 'adam' or an Optimizer, got 'rmsprop'"),
        (dict(clip_norm=0), "clip_norm must be a finite number > 0, got 0"),
        (dict(progress="yes"), "progress must be 'auto', True or False"),
    ]
    for options, message in cases:
        kwargs = dict(loss="cross_entropy", steps=2) | options
        with pytest.raises(ValueError, match=message):
            train.fit(mlp, X, y, **kwargs)
    with pytest.raises(ValueError, match=r"X has 200 rows but y has shape \(150,\)"):
        train.fit(mlp, X, y[:150], loss="cross_entropy")
    with pytest.raises(ValueError, match="X has 3 columns but the model takes 2 inputs"):
        train.fit(mlp, np.ones((10, 3)), np.zeros(10, dtype=int), loss="cross_entropy")


def test_fit_prints_nothing_outside_a_notebook(moons, capsys):
    X, y = moons
    train.fit(nn.MLP([2, 4, 2], rng=0), X, y, loss="cross_entropy", steps=5, progress=True)
    assert capsys.readouterr() == ("", "")


def test_fit_keeps_float32(moons):
    X, y = moons
    mlp = nn.MLP([2, 8, 1], rng=0, dtype=np.float32)
    train.fit(mlp, X, y, loss="bce", optimizer="adam", lr=0.01, steps=5)
    assert all(p.dtype == np.float32 for p in mlp.parameters())


# ---- fit_multitask ------------------------------------------------------------------------------------

class TwoTaskNet(nn.Module):
    """A shared tanh trunk and one linear head per task."""

    def __init__(self, rng):
        self.trunk = nn.MLP([2, 8], rng=rng, final_activation=True)
        self.heads = [nn.Linear(8, 1, rng=rng), nn.Linear(8, 2, rng=rng)]
        self.in_features = 2

    def forward(self, x):
        features = self.trunk(x)
        return [head(features) for head in self.heads]

    def shared_parameters(self):
        return self.trunk.parameters()

    def task_parameters(self):
        return [head.parameters() for head in self.heads]


@pytest.fixture(scope="module")
def two_tasks(moons):
    X, labels = moons
    regression = X[:, 0] * X[:, 1]  # task 0: a smooth function of the inputs
    return X, [regression, labels]


def test_fit_multitask_without_balancer_steps_along_the_summed_gradient(two_tasks):
    X, targets = two_tasks
    model = TwoTaskNet(rng=0)
    reference = TwoTaskNet(rng=0)
    # The update fit_multitask makes, computed by hand on the copy: one SGD step on L0 + L1.
    outputs = reference(X)
    (F.mse_loss(outputs[0], targets[0][:, None]) + F.cross_entropy(outputs[1], targets[1])).backward()
    expected = [p.data - 0.1 * p.grad for p in reference.parameters()]
    history = train.fit_multitask(model, X, targets, ["mse", "cross_entropy"], lr=0.1, steps=1)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-12)
    assert history.weights == [[1.0, 1.0]]
    assert history.loss[0] == pytest.approx(sum(history.task_losses[0]))


def test_fit_multitask_learns_both_tasks_and_records_per_task(two_tasks):
    X, targets = two_tasks
    history = train.fit_multitask(TwoTaskNet(rng=1), X, targets, ["mse", "cross_entropy"], task_weights=[2.0, 0.5],
                                  optimizer="adam", lr=0.05, steps=150, record_every=10,
                                  metrics=[None, "accuracy"], eval_data=(X[:40], [t[:40] for t in targets]))
    arrays = history.as_arrays()
    assert arrays["task_losses"].shape == (16, 2) and arrays["weights"].shape == (16, 2)
    assert np.all(arrays["task_losses"][-1] < 0.5 * arrays["task_losses"][0])
    np.testing.assert_allclose(arrays["loss"], arrays["task_losses"] @ [2.0, 0.5])
    assert history.metrics["train_accuracy_task1"][-1] > 0.85
    assert {"eval_loss_task0", "eval_loss_task1", "eval_accuracy_task1"} <= set(history.metrics)


class HalfAndHalf:
    """A test double with the balancer interface: weights (0.25, 0.75), gradients set by backward."""

    def __init__(self):
        self.calls = 0

    def backward(self, task_losses, shared_params, task_params):
        self.calls += 1
        assert len(task_params) == len(task_losses) == 2
        (0.25 * task_losses[0] + 0.75 * task_losses[1]).backward()
        return np.array([0.25, 0.75])


def test_fit_multitask_lets_a_balancer_set_gradients_and_weights(two_tasks):
    X, targets = two_tasks
    balancer = HalfAndHalf()
    model, reference = TwoTaskNet(rng=2), TwoTaskNet(rng=2)
    outputs = reference(X)
    (0.25 * F.mse_loss(outputs[0], targets[0][:, None]) + 0.75 * F.cross_entropy(outputs[1], targets[1])).backward()
    expected = [p.data - 0.1 * p.grad for p in reference.parameters()]
    history = train.fit_multitask(model, X, targets, ["mse", "cross_entropy"], balancer=balancer, lr=0.1, steps=1)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-12)
    assert balancer.calls == 1 and history.weights == [[0.25, 0.75]]
    assert history.loss[0] == pytest.approx(0.25 * history.task_losses[0][0] + 0.75 * history.task_losses[0][1])


def test_fit_multitask_rejects_mismatched_settings(two_tasks):
    X, targets = two_tasks
    model = TwoTaskNet(rng=0)
    with pytest.raises(ValueError, match="2 targets but 1 task_losses"):
        train.fit_multitask(model, X, targets, ["mse"])
    with pytest.raises(ValueError, match="either a balancer or fixed task_weights"):
        train.fit_multitask(model, X, targets, ["mse", "cross_entropy"], balancer=HalfAndHalf(), task_weights=[1, 1])
    with pytest.raises(ValueError, match="must return a list of 3 outputs"):
        train.fit_multitask(model, X, targets + [targets[0]], ["mse", "cross_entropy", "mse"], steps=1)
    with pytest.raises(TypeError, match="needs a model with shared_parameters"):
        train.fit_multitask(nn.MLP([2, 1]), X, targets, ["mse", "cross_entropy"], balancer=HalfAndHalf())


# ---- progress bar -------------------------------------------------------------------------------------

class FakeBar:
    def __init__(self, steps):
        self.max, self.value, self.closed = steps, 0, False

    def close(self):
        self.closed = True


def test_progress_bar_only_in_a_kernel_and_only_for_long_runs(moons, monkeypatch):
    X, y = moons
    shown = []

    def fake_show(steps):
        shown.append(FakeBar(steps))
        return shown[-1]

    monkeypatch.setattr(train, "_show_bar", fake_show)
    fit = lambda **kw: train.fit(nn.MLP([2, 4, 2], rng=0), X, y, loss="cross_entropy", steps=20, **kw)  # noqa: E731
    fit()  # not in a kernel
    assert shown == []
    monkeypatch.setattr(train, "_in_kernel", lambda: True)
    fit()  # in a kernel, but a short run
    assert shown == []
    fit(progress=False)
    assert shown == []
    monkeypatch.setattr(train, "_PROGRESS_AFTER_SECONDS", 0.0)  # every run counts as long
    fit()
    assert len(shown) == 1 and shown[0].value == 20 and shown[0].closed


def test_progress_bar_is_published_without_a_text_representation(monkeypatch):
    # Strict nbval skips only the widget-view mimetype, so a bar must carry nothing else:
    # then a stored notebook compares equal whether or not the bar appeared on that run.
    import IPython.display

    published = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: published.append((obj, raw)))
    bar = train._show_bar(10)
    assert bar.max == 10
    (bundle, raw), = published
    assert raw and list(bundle) == ["application/vnd.jupyter.widget-view+json"]
    bar.close()
