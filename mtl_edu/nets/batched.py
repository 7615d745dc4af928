"""Many small networks trained at once: one model with a leading models axis.

A comparison across seeds trains the same small network ten or more times. One after another,
each training step pays Python's cost per operation once per seed; stacked, it pays it once for
all of them. `ModelBatch([net_0, ..., net_{S-1}])` copies S networks of one layout into one
network whose every parameter has a leading axis of length S:

    Linear weight (in, out) -> (S, in, out)        bias (out,) -> (S, 1, out)

so `x @ W + b` computes all S layers at once (the engine's matmul multiplies stacks of matrices).
Inputs are (S, N, in), one batch per model, or (N, in) shared by all. Losses are taken per model
(`task_loss(..., per_model=True)` returns (S,)) and summed, so every model receives exactly the
gradient of its own loss; element-wise optimisers (SGD, momentum, Adam) then keep per-model state
automatically, because their state has the parameters' shape. After training, `unstack()`
writes each model's weights back into the networks it was made from.

What is not per model: `clip_grad_norm` on the stacked parameters clips all models together,
and a learning rate is shared. A test trains S networks both ways and checks that they end with
the same weights.
"""
from __future__ import annotations

import copy

import numpy as np

from ..engine.autodiff import no_grad
from .nn import Module

__all__ = ["ModelBatch"]


def _stacked(arrays: list) -> np.ndarray:
    """Stack S equally shaped arrays on a new leading axis, with scalars and vectors given the
    singleton axes that let them broadcast over a batch: () -> (S, 1, 1), (d,) -> (S, 1, d)."""
    stacked = np.stack(arrays)
    missing = max(0, 2 - arrays[0].ndim)
    return stacked.reshape(stacked.shape[:1] + (1,) * missing + stacked.shape[1:])


class ModelBatch(Module):
    """S networks of one layout (same class, same parameter names and shapes) as one network.

    models: the networks, e.g. `[MLP(sizes, rng=seed) for seed in range(16)]`; their weights are
    copied, not shared: train the batch, then call `unstack()`.
    `.network` is the stacked network (call its own methods on it, e.g. `l2_penalty`),
    `.size` the number of models S. Calling the batch calls the stacked network.
    """

    def __init__(self, models):
        models = list(models)
        if not models:
            raise ValueError("ModelBatch: give at least one network")
        for s, model in enumerate(models):
            if not isinstance(model, Module):
                raise TypeError(f"ModelBatch: model {s} is a {type(model).__name__}, not a Module")
        first = models[0]
        layout = [(name, p.shape) for name, p in first.named_parameters()]
        if not layout:
            raise ValueError(f"ModelBatch: {type(first).__name__} has no parameters to stack")
        for s, model in enumerate(models[1:], start=1):
            other = [(name, p.shape) for name, p in model.named_parameters()]
            if type(model) is not type(first) or other != layout:
                difference = next(((a, b) for a, b in zip(layout, other) if a != b), (len(layout), len(other)))
                raise ValueError(f"ModelBatch: model {s} ({type(model).__name__}) has another layout than model 0 "
                                 f"({type(first).__name__}): first difference {difference[0]} vs {difference[1]}")
        self._models = models
        self.network = copy.deepcopy(first)
        groups = zip(*(model.parameters() for model in models))
        for parameter, group in zip(self.network.parameters(), groups):
            parameter.data = _stacked([p.data for p in group])
            parameter.grad = None

    @property
    def size(self) -> int:
        """The number of models S."""
        return len(self._models)

    @property
    def models(self) -> list:
        """The networks the batch was made from (their weights change only at `unstack()`)."""
        return list(self._models)

    def forward(self, x):
        return self.network(x)

    def unstack(self) -> list:
        """Write every model's trained weights back into its own network; returns the networks."""
        with no_grad():
            for parameter, group in zip(self.network.parameters(), zip(*(m.parameters() for m in self._models))):
                for s, p in enumerate(group):
                    p.data[...] = parameter.data[s].reshape(p.shape)
        return self.models

    def model_parameters(self, s: int) -> list:
        """Copies of model s's current parameters as arrays, in `parameters()` order."""
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not -self.size <= s < self.size:
            raise IndexError(f"ModelBatch.model_parameters: model index must be an int from 0 to {self.size - 1}, "
                             f"got {s!r}")
        return [parameter.data[s].reshape(p.shape).copy()
                for parameter, p in zip(self.network.parameters(), self._models[s].parameters())]

    def __repr__(self) -> str:
        return f"ModelBatch({self.size} × {type(self._models[0]).__name__})"
