"""Lesson 02 (`02_mlps_and_training`): the checkers
`check_mlp_forward`, `check_accuracy_from_logits`, `check_spiral_settings`.
"""
from __future__ import annotations

import numpy as np

from ..data import datasets
from ..nets import nn, train
from ..engine.autodiff import Tensor, no_grad
from .core import as_array, call_learner, fail, as_number, passed, reference_sigmoid, exercise_checker

__all__ = ["check_mlp_forward", "check_accuracy_from_logits", "SPIRALS_EXERCISE", "check_spiral_settings"]

def _tanh_mlp_and_copy(seed: int) -> tuple:
    """Two identical nn.MLP([2, 8, 1], tanh) with non-zero biases (so a forgotten bias shows)."""
    models = [nn.MLP([2, 8, 1], activation="tanh", rng=seed) for _ in range(2)]
    biases = np.random.default_rng(seed + 1).normal(0.0, 0.5, size=(2, 8))
    for model in models:
        model.layers[0].bias.data[:] = biases[0]
        model.layers[1].bias.data[:] = biases[1, :1]
    return models


@exercise_checker
def check_mlp_forward(mlp_forward) -> None:
    """Exercise 02.1: `mlp_forward(X, W1, b1, W2, b2)` = tanh(X @ W1 + b1) @ W2 + b2 with Tensor operations.

    X: (N, 2) Tensor, W1: (2, 8), b1: (8,), W2: (8, 1), b2: (1,) Tensors; returns (N, 1) logits, the
    same as nn.MLP([2, 8, 1], activation="tanh") with those weights, and backward() through it gives
    the same gradients.
    """
    learner_model, reference = _tanh_mlp_and_copy(seed=7)
    X = np.random.default_rng(8).normal(size=(6, 2))
    W1, b1 = learner_model.layers[0].weight, learner_model.layers[0].bias
    W2, b2 = learner_model.layers[1].weight, learner_model.layers[1].bias
    out = call_learner(mlp_forward, Tensor(X), W1, b1, W2, b2, description="mlp_forward(X, W1, b1, W2, b2)")
    if out is None:
        fail("mlp_forward returned None; did you forget the `return`?")
    if not isinstance(out, Tensor):
        fail(f"mlp_forward must return a Tensor built with Tensor operations (@, +, .tanh()), got "
              f"{type(out).__name__}: a NumPy array carries no graph, so backward() could not train the weights.")
    got = as_array(out, (6, 1), "mlp_forward(X, W1, b1, W2, b2) for X of shape (6, 2)")
    expected = reference(X).data
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        w1, c1, w2, c2 = (p.data for p in (W1, b1, W2, b2))
        z = X @ w1 + c1
        slips = {
            "no activation between the layers (a linear model): apply .tanh() to X @ W1 + b1": z @ w2 + c2,
            "ReLU instead of tanh: this network uses tanh": np.maximum(z, 0) @ w2 + c2,
            "sigmoid instead of tanh: this network uses tanh": reference_sigmoid(z) @ w2 + c2,
            "the first bias b1 is missing": np.tanh(X @ w1) @ w2 + c2,
            "the output bias b2 is missing": np.tanh(z) @ w2,
            "tanh on the output too: the output layer is linear (logits)": np.tanh(np.tanh(z) @ w2 + c2),
        }
        for slip, value in slips.items():
            if np.allclose(got, value, rtol=1e-9, atol=1e-12):
                fail(f"{slip}. (First point: expected {expected[0, 0]:.6g}, got {got[0, 0]:.6g}.)")
        index = int(np.argmax(np.abs(got - expected).reshape(-1)))
        fail(f"the logits differ from nn.MLP's: for point {index} (x = {X[index, 0]:.3g}, {X[index, 1]:.3g}) "
              f"expected {expected[index, 0]:.6g}, got {got[index, 0]:.6g}. The recipe: h = tanh(X @ W1 + b1), "
              "logits = h @ W2 + b2.")
    out.sum().backward()
    reference(X).sum().backward()
    for name, mine, theirs in zip(("W1", "b1", "W2", "b2"), learner_model.parameters(), reference.parameters()):
        if mine.grad is None:
            fail(f"backward() left no gradient on {name}: build the output from the Tensors you were given "
                  "(not from their .data), so the graph reaches every weight.")
        if not np.allclose(mine.grad, theirs.grad, rtol=1e-9, atol=1e-12):
            fail(f"the output values are right, but the gradient reaching {name} differs from nn.MLP's "
                  f"(largest difference {np.max(np.abs(mine.grad - theirs.grad)):.3g}).")
    passed("mlp_forward gives nn.MLP([2, 8, 1], tanh)'s logits on 6 points to within 1e-9, and backward() "
        "fills W1, b1, W2, b2 with the same gradients.")


# Logits chosen so that each typical slip gives a different accuracy from the right one (0.6).
_ACCURACY_LOGITS = np.array([2.1, -0.3, 0.2, -1.4, 0.7, 0.4, -0.2, 3.0, -2.2, 0.05])
_ACCURACY_LABELS = np.array([1, 0, 0, 0, 1, 0, 1, 1, 1, 1])


def _accuracy_slips(logits: np.ndarray, labels: np.ndarray) -> dict:
    """What typical slips return for (n, 1) logits and (n,) labels, keyed by the explanation."""
    column = logits.reshape(-1, 1)
    right = (column[:, 0] > 0) == labels
    return {
        "you compared the logits with 0.5; a logit is log(p / (1 − p)), so P(class 1) > 0.5 means logit > 0":
            float(np.mean((column[:, 0] > 0.5) == labels)),
        "you returned the number of correct points, not the fraction; divide by the number of points":
            float(np.sum(right)),
        "you returned a percentage; return a fraction between 0 and 1": float(100 * np.mean(right)),
        "comparing (n, 1) predictions with (n,) labels broadcasts to an (n, n) table; flatten the "
        "predictions first (e.g. logits[:, 0] or .reshape(-1))": float(np.mean((column > 0) == labels)),
        "you counted the mistakes (the error rate), not the correct points": float(np.mean(~right)),
    }


@exercise_checker
def check_accuracy_from_logits(accuracy_from_logits) -> None:
    """Exercise 02.2: `accuracy_from_logits(logits, y)`: logits (n, 1), y (n,) in {0, 1} -> fraction correct."""
    cases = [
        (_ACCURACY_LOGITS.reshape(-1, 1), _ACCURACY_LABELS, "the 10 logits of the exercise"),
        (np.array([[-1.0], [2.0], [0.5], [-0.1]]), np.array([0, 1, 1, 0]), "4 points all predicted right"),
        (np.array([[1.0], [1.0], [-1.0]]), np.array([0, 0, 1]), "3 points all predicted wrong"),
    ]
    for logits, labels, what in cases:
        answer = call_learner(accuracy_from_logits, logits.copy(), labels.copy(),
                       description=f"accuracy_from_logits on {what}")
        got = as_number(answer, f"accuracy_from_logits on {what}")
        expected = train.accuracy(logits, labels)
        if abs(got - expected) > 1e-12:
            for slip, value in _accuracy_slips(logits, labels).items():
                if abs(got - value) < 1e-12 and abs(value - expected) > 1e-12:
                    fail(f"on {what}: expected {expected:.4g}, got {got:.4g}: {slip}.")
            fail(f"on {what}: expected {expected:.4g}, got {got:.4g}. A point counts as class 1 when its "
                  "logit is > 0; accuracy is the fraction of points whose predicted class equals y.")
    passed("accuracy_from_logits agrees with mtl_edu.train.accuracy on 3 cases (0.6, all right = 1, "
        "all wrong = 0), with (n, 1) logits and (n,) labels.")


# The spirals of the decision-boundary explorer (widgets.toy_split("spirals")), kept here because
# exercises sit below widgets in the package's layers; tests check the two agree.
SPIRALS_EXERCISE = {"n_points": 200, "noise": 0.05, "turns": 1.25, "test_fraction": 0.3, "sizes": [2, 16, 16, 1],
                    "max_steps": 1000, "target_test_accuracy": 0.95}


def _spirals_split() -> tuple:
    X, y = datasets.make_spirals(SPIRALS_EXERCISE["n_points"], noise=SPIRALS_EXERCISE["noise"],
                                 rng=np.random.default_rng(0), turns=SPIRALS_EXERCISE["turns"])
    split = datasets.train_test_split(X, y, test_fraction=SPIRALS_EXERCISE["test_fraction"],
                                      rng=np.random.default_rng(1))
    return split.train + split.test


@exercise_checker
def check_spiral_settings(spiral_settings) -> None:
    """Exercise 02.3: `spiral_settings()` returns {"activation", "optimizer", "lr", "steps"} that train
    the 2 × 16 MLP of the explorer to ≥ 95% test accuracy on its spirals in at most 1000 full-batch steps."""
    settings = call_learner(spiral_settings, description="spiral_settings()")
    needed = {"activation", "optimizer", "lr", "steps"}
    if not isinstance(settings, dict) or set(settings) != needed:
        got = sorted(settings) if isinstance(settings, dict) else f"a {type(settings).__name__}"
        fail(f"return a dict with exactly the keys {sorted(needed)}, got {got}")
    activation, optimizer = settings["activation"], settings["optimizer"]
    if activation not in nn.ACTIVATIONS:
        fail(f"activation must be one of {list(nn.ACTIVATIONS)}, got {activation!r}")
    if optimizer not in ("sgd", "adam"):
        fail(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    lr = as_number(settings["lr"], "lr")
    if lr <= 0:
        fail(f"lr must be above 0, got {lr:g}: it is the size of each step downhill.")
    steps = settings["steps"]
    max_steps = SPIRALS_EXERCISE["max_steps"]
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= max_steps:
        fail(f"steps must be a whole number from 1 to {max_steps}, got {steps!r}")
    X_train, y_train, X_test, y_test = _spirals_split()
    init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    model = nn.MLP(SPIRALS_EXERCISE["sizes"], activation=activation, init=init, rng=0)
    described = f"{activation}, {optimizer}, lr = {lr:.3g}, {int(steps)} steps"
    try:
        history = train.fit(model, X_train, y_train, loss="bce", optimizer=optimizer, lr=lr, steps=int(steps),
                            record_every=max(1, int(steps) // 10), progress=False)
    except train.TrainingDiverged as error:
        fail(f"with {described}: training diverged at step {error.step} (the loss became {error.loss}); "
              "lower the learning rate.")
    with no_grad():
        train_accuracy = train.accuracy(model(X_train).data, y_train)
        test_accuracy = train.accuracy(model(X_test).data, y_test)
    target = SPIRALS_EXERCISE["target_test_accuracy"]
    reached = f"train accuracy {train_accuracy:.1%}, test accuracy {test_accuracy:.1%}"
    if test_accuracy < target:
        losses = history.loss
        middle, last = losses[len(losses) // 2], losses[-1]
        if train_accuracy >= target:
            hint = ("The training points are learned but the test points are not: the boundary fits noise; "
                    "fewer steps or a gentler learning rate may generalise better.")
        elif last > np.log(2.0) + 0.05:
            hint = (f"The loss ended at {last:.3g}, worse than the {np.log(2.0):.3f} of a coin-flip guess: the "
                    "steps overshoot. Lower the learning rate.")
        elif last < 0.8 * middle:
            hint = (f"The loss was still falling ({middle:.3g} at mid-run, {last:.3g} at the end): train longer "
                    "or take larger steps.")
        else:
            hint = (f"The loss barely moved in the second half of the run ({middle:.3g} → {last:.3g}): try a "
                    "larger learning rate, another activation (ReLU), or Adam.")
        fail(f"with {described}: {reached}; the target is {target:.0%} test accuracy. {hint}")
    passed(f"with {described}: {reached} (target {target:.0%} on the held-out points).")
