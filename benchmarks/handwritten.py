"""Hand-written NumPy backprop: the baseline the engine's training step is measured against.

The same networks as `bench_engine.py` builds from Tensor ops (tanh MLPs, MSE loss, plain SGD),
with every derivative written out by hand and no work the autodiff step skips either (no
gradient with respect to the input batch).
"""
from __future__ import annotations

import numpy as np


def init_mlp(sizes, rng, dtype=np.float64):
    """[(W (n_in, n_out), b (n_out,)), ...] with Xavier-normal weights."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)
        layers.append((W, np.zeros(n_out, dtype=dtype)))
    return layers


def mlp_forward(layers, x):
    """Activations [x, a_1, ..., out]: tanh after every layer but the last."""
    activations = [x]
    for i, (W, b) in enumerate(layers):
        z = activations[-1] @ W + b
        activations.append(np.tanh(z) if i < len(layers) - 1 else z)
    return activations


def mlp_backward(layers, activations, grad_out, need_input_grad=False):
    """Gradients [(dW, db), ...] for grad_out = dL/d(out); optionally also dL/dx."""
    grads = [None] * len(layers)
    delta = grad_out
    for i in range(len(layers) - 1, -1, -1):
        W, _ = layers[i]
        a_prev = activations[i]
        grads[i] = (a_prev.T @ delta, delta.sum(axis=0))
        if i > 0:
            delta = (delta @ W.T) * (1 - a_prev * a_prev)
        elif need_input_grad:
            delta = delta @ W.T
    return (grads, delta) if need_input_grad else grads


def sgd_(layers, grads, lr):
    for (W, b), (dW, db) in zip(layers, grads):
        W -= lr * dW
        b -= lr * db


def mlp_step(layers, x, y, lr):
    """One SGD step on mean squared error; returns the loss."""
    activations = mlp_forward(layers, x)
    diff = activations[-1] - y
    loss = float(np.mean(diff * diff))
    grads = mlp_backward(layers, activations, (2.0 / diff.size) * diff)
    sgd_(layers, grads, lr)
    return loss


def shared_step(trunk, heads, x, targets, weights, lr):
    """One SGD step of hard sharing: tanh trunk, tanh after it, heads; Σ wₜ MSEₜ. Returns the loss."""
    trunk_acts = mlp_forward(trunk, x)
    features = np.tanh(trunk_acts[-1])
    loss = 0.0
    grad_features = np.zeros_like(features)
    head_grads = []
    for head, y, w in zip(heads, targets, weights):
        acts = mlp_forward(head, features)
        diff = acts[-1] - y
        loss += w * float(np.mean(diff * diff))
        grads, grad_in = mlp_backward(head, acts, (2.0 * w / diff.size) * diff, need_input_grad=True)
        head_grads.append(grads)
        grad_features += grad_in
    trunk_grads = mlp_backward(trunk, trunk_acts, grad_features * (1 - features * features))
    sgd_(trunk, trunk_grads, lr)
    for head, grads in zip(heads, head_grads):
        sgd_(head, grads, lr)
    return loss
