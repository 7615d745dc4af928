"""Optimisers and gradient clipping: turn the `.grad` of each parameter into an update of `.data`.

An optimiser keeps the list of parameters it was given; `step()` updates each parameter's `.data`
in place from its `.grad` (parameters whose `.grad` is None are skipped), and `zero_grad()` sets
every `.grad` back to None before the next backward pass (gradients accumulate otherwise).
Update rules follow PyTorch's conventions, so the numbers a learner sees here carry over.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine.autodiff import Tensor
from ..validation import nonnegative_number, positive_number, unit_interval

__all__ = ["Optimizer", "SGD", "Adam", "adam_step", "clip_grad_norm", "clip_grad_value"]


def _parameter_list(params, where: str) -> list:
    """The parameters as a list of Tensors: accepts a Module or any iterable of Tensors."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Tensor):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{where}: params must be a list of Tensors or a Module, got {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{where}: got an empty list of parameters")
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__}, not a Tensor")
        if id(p) in seen:
            raise ValueError(f"{where}: parameter {i} (shape {p.shape}) appears twice in the list")
        seen.add(id(p))
    return params


class Optimizer:
    """Base class: holds `params` and the learning rate `lr` (settable, e.g. for a schedule)."""

    def __init__(self, params, lr: float):
        where = type(self).__name__
        self.params = _parameter_list(params, where)
        self.lr = lr

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = positive_number(value, "lr", type(self).__name__)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with heavy-ball momentum (Polyak 1964) and L2 weight decay.

    g = ∇L + weight_decay·θ;  v ← momentum·v + g  (v starts at 0);  θ ← θ − lr·v.
    With momentum = 0 this is θ ← θ − lr·g.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = unit_interval(momentum, "momentum", "SGD")
        self.weight_decay = nonnegative_number(weight_decay, "weight_decay", "SGD")
        self._velocity = [None] * len(self.params)

    def step(self) -> None:
        lr, momentum, decay = self._lr, self.momentum, self.weight_decay
        if momentum == 0.0 and decay == 0.0:
            for p in self.params:
                if p.grad is not None:
                    p.data -= lr * p.grad
            return
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if decay:
                g = g + decay * p.data
            if momentum:
                v = self._velocity[i]
                if v is None:
                    v = self._velocity[i] = np.zeros_like(p.data)
                v *= momentum
                v += g
                g = v
            p.data -= lr * g


def adam_step(m, v, g, t: int, lr: float, betas=(0.9, 0.999), eps: float = 1e-8, sqrt=np.sqrt):
    """Adam's update rule, the one place it is written: moments m, v and gradient g at step t >= 1.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  step = lr · m̂ / (√v̂ + eps), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
    computed as (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + eps), which folds both corrections into scalars.
    Returns (m, v, step); the caller subtracts step from its parameters. Works elementwise on arrays
    (:class:`Adam`) and on plain floats with sqrt=math.sqrt (the two-parameter toys, where one step
    of Python arithmetic is much cheaper than one of NumPy).
    """
    beta1, beta2 = betas
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * (g * g)
    step_size = lr / (1.0 - beta1**t)
    return m, v, step_size * (m / (sqrt(v) / math.sqrt(1.0 - beta2**t) + eps))


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, ICLR), with L2 weight decay added to the gradient (not AdamW).

    g = ∇L + weight_decay·θ;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  t ← t + 1;
    θ ← θ − lr · m̂ / (√v̂ + eps)  with  m̂ = m / (1−β₁ᵗ),  v̂ = v / (1−β₂ᵗ).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (unit_interval(beta1, "beta1", "Adam"), unit_interval(beta2, "beta2", "Adam"))
        self.eps = positive_number(eps, "eps", "Adam")
        self.weight_decay = nonnegative_number(weight_decay, "weight_decay", "Adam")
        self.t = 0
        self._m = [None] * len(self.params)
        self._v = [None] * len(self.params)

    def step(self) -> None:
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self._m[i] is None:
                self._m[i], self._v[i] = np.zeros_like(p.data), np.zeros_like(p.data)
            self._m[i], self._v[i], step = adam_step(self._m[i], self._v[i], g, self.t, self._lr, self.betas, self.eps)
            p.data -= step


def _grads(params, where: str) -> list:
    return [p.grad for p in _parameter_list(params, where) if p.grad is not None]


def clip_grad_norm(params, max_norm: float) -> float:
    """Rescale all gradients together so that their joint L2 norm is at most `max_norm`.

    Returns the joint norm before clipping, √(Σ‖∇θ‖²) over every parameter with a gradient.
    Clipping by norm keeps the direction of the update (Pascanu, Mikolov & Bengio 2013, ICML).
    A non-finite norm is returned without touching the gradients: there is no direction to keep.
    """
    max_norm = positive_number(max_norm, "max_norm", "clip_grad_norm")
    grads = _grads(params, "clip_grad_norm")
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if total > max_norm and math.isfinite(total):
        scale = max_norm / total
        for g in grads:
            g *= scale
    return total


def clip_grad_value(params, clip_value: float) -> None:
    """Clip every gradient entry into [−clip_value, clip_value] (changes the direction, unlike clip_grad_norm)."""
    clip_value = positive_number(clip_value, "clip_value", "clip_grad_value")
    for g in _grads(params, "clip_grad_value"):
        np.clip(g, -clip_value, clip_value, out=g)
