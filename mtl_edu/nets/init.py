"""Weight initialisation schemes: how large the random starting weights of a layer should be.

Every scheme has the same signature, `fn(shape, rng, gain=1.0, **kw) -> np.ndarray`, where
`shape = (fan_in, fan_out)` is the shape of a weight matrix `W` used as `x @ W` (inputs along the
rows), `rng` is a `numpy.random.Generator` (or an int seed) and `gain` multiplies the result.

Why the scale matters: a layer z = x W with independent zero-mean weights of variance Var(W)
multiplies the second moment of its input by fan_in · Var(W) on the way up, and the gradient by
fan_out · Var(W) on the way down. Over many layers that factor is raised to the depth, so it has to
be close to 1, once the activation's own effect is included:

- Glorot & Bengio 2010 (AISTATS), "Understanding the difficulty of training deep feedforward
  neural networks": for tanh-like units, compromise between the two directions with
  Var(W) = 2 / (fan_in + fan_out) ("Xavier" init).
- He, Zhang, Ren & Sun 2015 (ICCV), "Delving deep into rectifiers": ReLU zeroes half of its input,
  halving the second moment, so Var(W) = 2 / fan_in keeps it constant with depth; with 1 / fan_in
  it halves at every layer.
- LeCun, Bottou, Orr & Müller 1998 ("Efficient BackProp"): Var(W) = 1 / fan_in.
- Saxe, McClelland & Ganguli 2014 (ICLR), "Exact solutions to the nonlinear dynamics of learning
  in deep linear neural networks": orthogonal matrices keep every singular value at 1.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..validation import generator

__all__ = [
    "zeros", "normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform",
    "lecun_normal", "orthogonal", "INITS", "initialize", "as_generator",
]


def as_generator(rng, where: str = "init") -> np.random.Generator:
    """A Generator as given, or one built from an int seed; None means seed 0, the initialisers' default
    (so a network built twice without an rng is the same network)."""
    return generator(0 if rng is None else rng, where)


def _shape(shape, where: str) -> tuple:
    try:
        shape = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(f"{where}: shape must be a tuple of ints, got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{where}: shape must not contain negative sizes, got {shape}")
    return shape


def _fans(shape, where: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight matrix of shape (fan_in, fan_out)."""
    shape = _shape(shape, where)
    if len(shape) != 2:
        raise ValueError(f"{where}: shape must be (fan_in, fan_out), got {shape}")
    fan_in, fan_out = shape
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"{where}: fan_in and fan_out must be >= 1, got shape {shape}")
    return fan_in, fan_out


def _gain(gain, where: str) -> float:
    if isinstance(gain, bool) or not isinstance(gain, numbers.Real) or not np.isfinite(gain):
        raise ValueError(f"{where}: gain must be a finite number, got {gain!r}")
    return float(gain)


def zeros(shape, rng=None, gain: float = 1.0) -> np.ndarray:
    """All zeros. Every unit of a layer then computes the same function and receives the same
    gradient, so they stay identical forever: the symmetry that random init exists to break."""
    return np.zeros(_shape(shape, "zeros"))


def normal(shape, rng, gain: float = 1.0, std: float = 1.0) -> np.ndarray:
    """N(0, (gain·std)²) entries, whatever the layer's size (the "just use small random numbers" init)."""
    scale = _gain(gain, "normal") * _gain(std, "normal")
    return scale * as_generator(rng, "normal").standard_normal(_shape(shape, "normal"))


def uniform(shape, rng, gain: float = 1.0, limit: float = 1.0) -> np.ndarray:
    """U(−gain·limit, gain·limit) entries, whatever the layer's size."""
    bound = _gain(gain, "uniform") * _gain(limit, "uniform")
    return as_generator(rng, "uniform").uniform(-bound, bound, _shape(shape, "uniform"))


def xavier_normal(shape, rng, gain: float = 1.0) -> np.ndarray:
    """N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)) (Glorot & Bengio 2010, AISTATS)."""
    fan_in, fan_out = _fans(shape, "xavier_normal")
    std = _gain(gain, "xavier_normal") * np.sqrt(2.0 / (fan_in + fan_out))
    return std * as_generator(rng, "xavier_normal").standard_normal((fan_in, fan_out))


def xavier_uniform(shape, rng, gain: float = 1.0) -> np.ndarray:
    """U(±a) with a = gain·√(6 / (fan_in + fan_out)), the same variance as xavier_normal, since
    Var U(±a) = a²/3 (Glorot & Bengio 2010, AISTATS, their "normalized initialization")."""
    fan_in, fan_out = _fans(shape, "xavier_uniform")
    limit = _gain(gain, "xavier_uniform") * np.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng, "xavier_uniform").uniform(-limit, limit, (fan_in, fan_out))


def he_normal(shape, rng, gain: float = 1.0) -> np.ndarray:
    """N(0, σ²) with σ = gain·√(2 / fan_in) (He, Zhang, Ren & Sun 2015, ICCV), for ReLU layers."""
    fan_in, fan_out = _fans(shape, "he_normal")
    std = _gain(gain, "he_normal") * np.sqrt(2.0 / fan_in)
    return std * as_generator(rng, "he_normal").standard_normal((fan_in, fan_out))


def he_uniform(shape, rng, gain: float = 1.0) -> np.ndarray:
    """U(±a) with a = gain·√(6 / fan_in): the variance 2 / fan_in of He et al. 2015 (ICCV)."""
    fan_in, fan_out = _fans(shape, "he_uniform")
    limit = _gain(gain, "he_uniform") * np.sqrt(6.0 / fan_in)
    return as_generator(rng, "he_uniform").uniform(-limit, limit, (fan_in, fan_out))


def lecun_normal(shape, rng, gain: float = 1.0) -> np.ndarray:
    """N(0, σ²) with σ = gain·√(1 / fan_in) (LeCun et al. 1998, "Efficient BackProp")."""
    fan_in, fan_out = _fans(shape, "lecun_normal")
    std = _gain(gain, "lecun_normal") * np.sqrt(1.0 / fan_in)
    return std * as_generator(rng, "lecun_normal").standard_normal((fan_in, fan_out))


def orthogonal(shape, rng, gain: float = 1.0) -> np.ndarray:
    """gain × a random matrix with orthonormal rows or columns (whichever are fewer)
    (Saxe, McClelland & Ganguli 2014, ICLR).

    Drawn as the Q of a QR decomposition of a Gaussian matrix; multiplying each column of Q by the
    sign of R's diagonal makes the result uniformly distributed over orthogonal matrices (without it,
    QR's sign convention biases the distribution).
    """
    fan_in, fan_out = _fans(shape, "orthogonal")
    gain = _gain(gain, "orthogonal")
    tall = (max(fan_in, fan_out), min(fan_in, fan_out))
    gaussian = as_generator(rng, "orthogonal").standard_normal(tall)
    q, r = np.linalg.qr(gaussian)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if fan_in < fan_out:
        q = q.T
    return gain * q


INITS = {
    "zeros": zeros,
    "normal": normal,
    "uniform": uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "orthogonal": orthogonal,
}


def initialize(name_or_fn, shape, rng, gain: float = 1.0, dtype=np.float64, **kw) -> np.ndarray:
    """Weights of `shape` from a scheme named in `INITS` (or any `fn(shape, rng, gain, **kw)`),
    cast to `dtype`. The numbers are drawn in float64, so float32 weights are the float64 ones rounded.
    """
    if isinstance(name_or_fn, str):
        if name_or_fn not in INITS:
            raise ValueError(f"initialize: unknown init {name_or_fn!r}; choose one of {sorted(INITS)}")
        fn = INITS[name_or_fn]
    elif callable(name_or_fn):
        fn = name_or_fn
    else:
        raise TypeError(f"initialize: init must be a name from {sorted(INITS)} or a function, got {name_or_fn!r}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"initialize: dtype must be a float type, got {dtype}")
    weights = np.asarray(fn(shape, rng, gain=gain, **kw))
    expected = _shape(shape, "initialize")
    if weights.shape != expected:
        raise ValueError(f"initialize: {name_or_fn!r} returned shape {weights.shape}, expected {expected}")
    return weights.astype(dtype, copy=False)
