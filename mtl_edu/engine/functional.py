"""Activations and losses built from `Tensor` operations, so their gradients come from autodiff.

Each function takes Tensors (targets and labels may also be NumPy arrays) and returns a Tensor.
The numerically delicate ones say in a comment which identity keeps them stable.
"""
from __future__ import annotations

import numpy as np

from .autodiff import Tensor

__all__ = [
    "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "softplus", "identity",
    "softmax", "log_softmax", "cross_entropy", "mse_loss", "binary_cross_entropy_with_logits",
    "concat", "stack", "LOSSES", "loss_function",
]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _target(x, like: Tensor, name: str) -> np.ndarray:
    """A target as a NumPy array of `like`'s dtype; targets receive no gradient."""
    array = x.data if isinstance(x, Tensor) else np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: targets must be numbers, got dtype {array.dtype}")
    return array.astype(like.dtype, copy=False)


# ---- activations ---------------------------------------------------------------------------------

def sigmoid(x: Tensor) -> Tensor:
    return _tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    return _tensor(x).tanh()


def relu(x: Tensor) -> Tensor:
    return _tensor(x).relu()


def identity(x: Tensor) -> Tensor:
    return _tensor(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """max(x, 0) + slope·min(x, 0): keeps a small gradient for negative inputs."""
    x = _tensor(x)
    return x.relu() - negative_slope * (-x).relu()


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ), an engine primitive: stable forward, and its derivative σ(x) exact everywhere."""
    return _tensor(x).softplus()


def gelu(x: Tensor) -> Tensor:
    """GELU (Hendrycks & Gimpel 2016), tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    x = _tensor(x)
    inner = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
    return 0.5 * x * (1 + inner.tanh())


# ---- probabilities -------------------------------------------------------------------------------

def log_softmax(logits: Tensor, axis: int = -1) -> Tensor:
    """log softmax, stable for logits of any size: subtract the (constant) maximum first."""
    logits = _tensor(logits)
    shifted = logits - logits.data.max(axis=axis, keepdims=True)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(logits: Tensor, axis: int = -1) -> Tensor:
    """eˣ / Σ eˣ along `axis`, with the maximum subtracted so no exponent overflows."""
    logits = _tensor(logits)
    exps = (logits - logits.data.max(axis=axis, keepdims=True)).exp()
    return exps / exps.sum(axis=axis, keepdims=True)


# ---- losses --------------------------------------------------------------------------------------

def _per_model_axes(pred: Tensor, name: str) -> tuple:
    """The axes a per-model loss averages over: all but the leading models axis."""
    if pred.ndim < 2:
        raise ValueError(f"{name}: per_model=True needs a leading models axis, (S, N, ...), got shape {pred.shape}")
    return tuple(range(1, pred.ndim))


def cross_entropy(logits: Tensor, labels, per_model: bool = False) -> Tensor:
    """Mean negative log-likelihood of integer `labels` (N,) under softmax(`logits` (N, C)).

    per_model=True: logits (S, N, C) from S models at once and labels (S, N); returns the S
    per-model means (S,), so that summing them gives each model exactly its own gradient.
    """
    logits = _tensor(logits)
    labels = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    expected_ndim = 3 if per_model else 2
    if logits.ndim != expected_ndim:
        layout = "(S, N, C)" if per_model else "(N, C)"
        raise ValueError(f"cross_entropy: logits must be {layout}, got shape {logits.shape}")
    n, classes = logits.shape[-2:]
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"cross_entropy: labels must have shape {logits.shape[:-1]} to match logits {logits.shape}, "
                         f"got {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ValueError("cross_entropy: labels must be whole class indices, got fractional values")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "biu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {labels.dtype}")
    if n and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"cross_entropy: labels must lie in [0, {classes - 1}] for {classes} classes, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    # Selecting with a one-hot mask keeps the backward a dense multiply (no scatter).
    one_hot = (labels[..., None] == np.arange(classes)).astype(logits.dtype)
    picked = log_softmax(logits, axis=-1) * one_hot
    return -(picked.sum(axis=(1, 2)) if per_model else picked.sum()) / n


def mse_loss(pred: Tensor, target, per_model: bool = False) -> Tensor:
    """Mean of (pred − target)² over all elements. Shapes must match exactly.

    per_model=True: pred (S, N, ...) from S models at once; returns the S per-model means (S,).
    """
    pred = _tensor(pred)
    target = _target(target, pred, "mse_loss")
    if pred.shape != target.shape:
        hint = ""
        if pred.size == target.size:
            hint = f"; reshape one of them (e.g. target.reshape{pred.shape})"
        raise ValueError(
            f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}{hint}. "
            "Broadcasting them would silently compare every prediction with every target."
        )
    diff = pred - target
    squared = diff * diff
    return squared.mean(axis=_per_model_axes(pred, "mse_loss")) if per_model else squared.mean()


def binary_cross_entropy_with_logits(logits: Tensor, targets, per_model: bool = False) -> Tensor:
    """Mean BCE of targets in [0, 1] under sigmoid(logits), without ever forming sigmoid.

    per_model=True: logits (S, N, ...) from S models at once; returns the S per-model means (S,).

    −[y log σ(x) + (1−y) log(1−σ(x))] = softplus(x) − x·y, finite for any x; its gradient is
    σ(x) − y, exact also at x = 0 (a form built from relu and |x| would give −y there).
    """
    logits = _tensor(logits)
    targets = _target(targets, logits, "binary_cross_entropy_with_logits")
    if logits.shape != targets.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits have shape {logits.shape} but targets have shape {targets.shape}"
        )
    if targets.size and (targets.min() < 0 or targets.max() > 1):
        raise ValueError(
            f"binary_cross_entropy_with_logits: targets must lie in [0, 1], got values from "
            f"{targets.min():.3g} to {targets.max():.3g}"
        )
    losses = logits.softplus() - logits * targets
    if per_model:
        return losses.mean(axis=_per_model_axes(logits, "binary_cross_entropy_with_logits"))
    return losses.mean()


#: The losses training loops and probes accept by name.
LOSSES = {
    "mse": mse_loss,
    "cross_entropy": cross_entropy,
    "bce": binary_cross_entropy_with_logits,
}


def loss_function(loss, where: str = "loss"):
    """The function (pred, target) -> Tensor for a name in LOSSES, or `loss` itself if callable."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"{where}: unknown loss {loss!r}; choose one of {list(LOSSES)} or pass a function")
        return LOSSES[loss]
    if callable(loss):
        return loss
    raise TypeError(f"{where}: loss must be a name from {list(LOSSES)} or a function (pred, y) -> Tensor, got {loss!r}")


# ---- joining tensors -----------------------------------------------------------------------------

def concat(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each receives its slice of the gradient."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    try:
        data = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as error:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"concat: cannot join shapes {shapes} along axis {axis} ({error})") from None
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return Tensor.from_op(data, tuple(tensors), backward, "concat")


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors along a new axis; each receives its slice of the gradient."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    try:
        data = np.stack([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"stack: all tensors must have the same shape, got {shapes}") from None

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return Tensor.from_op(data, tuple(tensors), backward, "stack")
