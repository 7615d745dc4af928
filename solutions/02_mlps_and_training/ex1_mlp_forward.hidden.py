# points: 2
import numpy as np
from mtl_edu import Tensor
from mtl_edu.nets import nn as _nn
_X = Tensor(np.array([[1.0, -2.0], [0.5, 0.0], [-1.5, 1.0]]))
_W1 = Tensor(np.array([[0.3, -0.5, 0.8, 0.1, -0.2, 0.6, -0.7, 0.4],
                       [-0.6, 0.2, 0.5, -0.3, 0.9, -0.1, 0.3, -0.8]]), requires_grad=True)
_b1 = Tensor(np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.2, -0.3, 0.05]), requires_grad=True)
_W2 = Tensor(np.array([[0.5], [-0.4], [0.3], [0.8], [-0.6], [0.2], [0.7], [-0.1]]), requires_grad=True)
_b2 = Tensor(np.array([-0.25]), requires_grad=True)


def _refuse(*args, **kwargs):
    raise AssertionError("mlp_forward should compute the layers itself, not call mtl_edu's nn.MLP or nn.Linear")


# While mlp_forward runs, mtl_edu's own layers refuse to run, by their module's names and the notebook's.
_layers = {name: getattr(_nn, name) for name in ("MLP", "Linear", "Sequential")}
_aliases = {name: value for name, value in globals().items() if any(value is layer for layer in _layers.values())}
try:
    for _name in _layers:
        setattr(_nn, _name, _refuse)
    globals().update(dict.fromkeys(_aliases, _refuse))
    _logits = mlp_forward(_X, _W1, _b1, _W2, _b2)
finally:
    for _name, _layer in _layers.items():
        setattr(_nn, _name, _layer)
    globals().update(_aliases)
assert isinstance(_logits, Tensor) and _logits.shape == (3, 1), "mlp_forward should return an (N, 1) Tensor"
assert np.allclose(_logits.data[:, 0], [1.07377912, 0.21049184, -1.15280645], atol=1e-7), \
    "mlp_forward's logits are wrong"
assert _logits.requires_grad, "mlp_forward's output records no graph: build it from the Tensors, not their .data"
_logits.sum().backward()
assert _W2.grad is not None and np.allclose(
    _W2.grad[:, 0], [0.42680417, -0.58724907, -0.42179414, 0.94908467, -0.36732824, 0.55967454, -0.71153216,
                     0.33826038], atol=1e-7), "the gradient reaching W2 is wrong"
assert _W1.grad is not None and _b1.grad is not None, "backward() should reach W1 and b1 too"
