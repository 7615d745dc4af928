"""Gradient-flow instruments: look inside a network while it computes and learns.

Per-layer statistics of one forward/backward pass (`layer_statistics`, and the fast
`gradient_norms_by_layer`), Jacobians and their singular values (`input_output_jacobian`,
`layer_jacobians`, `jacobian_singular_values`), recorders to pass to `train.fit(probes=...)`
(`GradientNormRecorder`, `TaskGradientRecorder`), and instruments on a per-task gradient matrix
G (T, P) for multi-task learning (`task_gradient_norms`, `cosine_matrix`, `conflict_fraction`,
`gradient_magnitude_similarity`).

Layers are numbered l = 1..L bottom to top, one per Linear layer of an `nn.MLP` (the output layer
is layer L). For layer l, z_l is its pre-activation, a_l = act(z_l), and h_l its block output
(h_l = a_l, or h_{l-1} + a_l with a residual connection); see `nn.MLP.forward_trace`.

"The gradient reaching layer l" is ∂L/∂z_l, the gradient of the loss with respect to the
pre-activations over the whole batch (the back-propagated gradient of Glorot & Bengio 2010,
AISTATS); its norm is the Frobenius norm of that (N, width) array. The instruments read it with
`Tensor.retain_grad()` and give every parameter's `.grad` back as they found it, so they can run
in the middle of a training loop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..engine import functional as F
from ..engine.autodiff import Tensor, no_grad
from ..nets.multitask import task_gradients

__all__ = [
    "SATURATION_RULES",
    "LayerStats",
    "layer_statistics",
    "gradient_norms_by_layer",
    "input_output_jacobian",
    "layer_jacobians",
    "jacobian_singular_values",
    "GradientNormRecorder",
    "WeightChangeRecorder",
    "TaskGradientRecorder",
    "task_gradient_norms",
    "cosine_matrix",
    "conflict_fraction",
    "gradient_magnitude_similarity",
]

# ---- saturation ---------------------------------------------------------------------------------
# Each rule is stated on a = act(z) as one would say it, and tested on z, which is equivalent and
# works for residual blocks too (where h_l is not a_l). The thresholds mark where the slope act'(z)
# has fallen to about 1% of its best: σ' = a(1-a) < 0.0099 for a < 0.01 or a > 0.99,
# tanh' = 1 - a² < 0.02 for |a| > 0.99.
_SIGMOID_EDGE = math.log(0.99 / 0.01)  # σ(z) > 0.99  <=>  z > 4.595
_TANH_EDGE = math.atanh(0.99)  # |tanh z| > 0.99  <=>  |z| > 2.647
_GELU_EDGE = -3.0  # GELU(z) > -0.005 and GELU'(z) > -0.012 below: a flat tail

SATURATION_RULES = {
    "sigmoid": "sigmoid: a < 0.01 or a > 0.99",
    "tanh": "tanh: |a| > 0.99",
    "relu": "relu: a = 0 (dead)",
    "leaky_relu": "leaky_relu: z < 0 (low-slope side)",
    "gelu": "gelu: z < -3 (flat tail)",
    "identity": "identity: never saturates",
}
"""activation name -> when a unit counts as saturated (or dead), in words."""

_SATURATED = {
    "sigmoid": lambda z: np.abs(z) > _SIGMOID_EDGE,
    "tanh": lambda z: np.abs(z) > _TANH_EDGE,
    "relu": lambda z: z <= 0,
    "leaky_relu": lambda z: z < 0,
    "gelu": lambda z: z < _GELU_EDGE,
    "identity": lambda z: np.zeros(z.shape, dtype=bool),
}


@dataclass
class LayerStats:
    """Per-layer statistics of one forward and backward pass, layers bottom to top (L = #layers).

    activation_names: L names, the activation of each layer ("identity" for a linear output layer).
    saturation_rule: the hidden layers' rule from SATURATION_RULES.
    activation_mean, activation_std: (L,) mean and standard deviation of h_l over batch and units.
    unit_spread: (L,) how much a unit's output varies across the inputs of the batch: each unit's standard
        deviation over the examples, averaged over the units. A deep sigmoid stack drives it towards 0
        (every input lands on the same point) while activation_std stays large (units differ).
    pre_activation_std: (L,) standard deviation of z_l.
    saturated_fraction: (L,) fraction of (example, unit) entries that are saturated / dead.
    always_saturated_fraction: (L,) fraction of units saturated on every example of the batch
        (for ReLU: dead units).
    grad_norm: (L,) ‖∂L/∂z_l‖, the gradient reaching layer l.
    weight_grad_norm, weight_norm: (L,) ‖∂L/∂W_l‖ and ‖W_l‖ (Frobenius).
    update_ratio: (L,) lr·‖∂L/∂W_l‖/‖W_l‖, the relative size of one SGD step (Karpathy's rule of
        thumb, CS231n notes: around 1e-3), or None when no lr was given.
    activation_histograms, gradient_histograms, gradient_log10_histograms: L pairs (counts (B,),
        edges (B+1,)) of h_l, of ∂L/∂z_l and of log10|∂L/∂z_l| (zeros left out). All hidden layers
        share the same bins (the output layer has bins of its own); the log10 bins are shared by all.
    loss: the loss value.
    """

    activation_names: list
    saturation_rule: str
    activation_mean: np.ndarray
    activation_std: np.ndarray
    unit_spread: np.ndarray
    pre_activation_std: np.ndarray
    saturated_fraction: np.ndarray
    always_saturated_fraction: np.ndarray
    grad_norm: np.ndarray
    weight_grad_norm: np.ndarray
    weight_norm: np.ndarray
    update_ratio: np.ndarray | None
    activation_histograms: list = field(repr=False)
    gradient_histograms: list = field(repr=False)
    gradient_log10_histograms: list = field(repr=False)
    loss: float = float("nan")

    @property
    def n_layers(self) -> int:
        return len(self.grad_norm)

    def table(self, layers=None) -> str:
        """A fixed-format text table, one row per layer (all layers, or the 1-based `layers`)."""
        chosen = range(1, self.n_layers + 1) if layers is None else layers
        header = f"{'layer':>5} {'act std':>9} {'saturated':>9} {'‖∂L/∂z‖':>10} {'‖∂L/∂W‖':>10}"
        if self.update_ratio is not None:
            header += f" {'update/W':>9}"
        rows = [header]
        for layer in chosen:
            i = layer - 1
            row = (f"{layer:>5d} {self.activation_std[i]:>9.3g} {self.saturated_fraction[i]:>9.1%} "
                   f"{self.grad_norm[i]:>10.3g} {self.weight_grad_norm[i]:>10.3g}")
            if self.update_ratio is not None:
                row += f" {self.update_ratio[i]:>9.2g}"
            rows.append(row)
        return "\n".join(rows)


# ---- input checks -------------------------------------------------------------------------------

def _check_model(model, where: str) -> None:
    if not (callable(getattr(model, "forward_trace", None)) and isinstance(getattr(model, "layers", None), list)):
        raise TypeError(f"{where}: model must be an nn.MLP (with .layers and forward_trace), "
                        f"got {type(model).__name__}")


def _layered_part(model, where: str):
    """The MLP whose layers the statistics describe: the model itself, or its `.trunk` for a
    network that traces a trunk and puts heads on it (multitask.DeepSupervisionNet)."""
    if not callable(getattr(model, "forward_trace", None)):
        raise TypeError(f"{where}: model must have forward_trace(x) (an nn.MLP, or a network with a traced "
                        f"trunk such as multitask.DeepSupervisionNet), got {type(model).__name__}")
    for candidate in (model, getattr(model, "trunk", None)):
        if isinstance(getattr(candidate, "layers", None), list) and candidate.layers:
            return candidate
    raise TypeError(f"{where}: {type(model).__name__} has no .layers (nor a .trunk with .layers) to report on")


def _check_batch(model, X, where: str) -> Tensor:
    dtype = model.layers[0].weight.dtype
    array = np.asarray(X.data if isinstance(X, Tensor) else X)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: X must hold numbers, got dtype {array.dtype}")
    width = model.layers[0].in_features
    if array.ndim != 2 or array.shape[1] != width or array.shape[0] == 0:
        raise ValueError(f"{where}: X must have shape (N, {width}) with N >= 1 for this model, got {array.shape}")
    return Tensor(array.astype(dtype, copy=False))


def _loss_function(loss, where: str):
    """(name, fn); a loss given as a function is "custom" and receives targets as they are."""
    fn = F.loss_function(loss, where)
    return (loss if isinstance(loss, str) else "custom"), fn


def _targets(y, n: int, loss_name: str, dtype, where: str):
    """Targets as the loss takes them; a 1-D target of mse/bce becomes a column like a 1-output net.
    A loss function gets y exactly as given (it may be a list of per-task targets)."""
    if loss_name == "custom":
        return y
    array = np.asarray(y.data if isinstance(y, Tensor) else y)
    if array.ndim == 0 or array.shape[0] != n:
        raise ValueError(f"{where}: X has {n} rows but y has shape {array.shape}; they must have the same number of rows")
    if loss_name in ("mse", "bce"):
        array = array.astype(dtype, copy=False)
        if array.ndim == 1:
            array = array[:, None]
    return array


def _activation_name(model, layer: int) -> str:
    """The activation applied in layer `layer` (0-based) of an MLP; the output layer is linear
    unless the MLP was built with final_activation=True."""
    last = layer == len(model.layers) - 1
    if last and not getattr(model, "final_activation", False):
        return "identity"
    return getattr(getattr(model, "activation", None), "name", "") or "unknown"


# ---- one traced forward/backward pass -----------------------------------------------------------

def _traced_backward(model, X, y, loss, where: str):
    """(mlp, trace, loss value, weight grads) with ∂L/∂z_l left in trace.pre_activations[l].grad.

    mlp is the part whose layers are reported (see _layered_part). Every parameter's .grad is
    restored afterwards, so a probe does not disturb training.
    """
    mlp = _layered_part(model, where)
    x = _check_batch(mlp, X, where)
    loss_name, loss_fn = _loss_function(loss, where)
    target = _targets(y, x.shape[0], loss_name, x.dtype, where)
    params = model.parameters()
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = None
        # Deep nets at extreme gains overflow on purpose (lesson 04): report inf, don't warn.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            trace = model.forward_trace(x)
            if len(trace.pre_activations) != len(mlp.layers):
                raise ValueError(f"{where}: the trace has {len(trace.pre_activations)} pre-activations for "
                                 f"{len(mlp.layers)} layers")
            for z in trace.pre_activations:
                z.retain_grad()
            outputs = getattr(trace, "outputs", None)
            if outputs is None:
                loss_value = loss_fn(trace.output, target)
            elif loss_name == "custom":
                loss_value = loss_fn(outputs, target)
            else:  # every head predicts the same target (deep supervision), each with weight 1
                loss_value = sum((loss_fn(out, target) for out in outputs[1:]), loss_fn(outputs[0], target))
            if not isinstance(loss_value, Tensor) or loss_value.size != 1:
                raise ValueError(f"{where}: the loss must return a scalar Tensor, got {type(loss_value).__name__}")
            loss_value.backward()
        weight_grads = [layer.weight.grad if layer.weight.grad is not None else np.zeros_like(layer.weight.data)
                        for layer in mlp.layers]
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad
    return mlp, trace, float(loss_value.data), weight_grads


def _pre_activation_grad(z: Tensor) -> np.ndarray:
    return z.grad if z.grad is not None else np.zeros_like(z.data)


def gradient_norms_by_layer(model, X, y, loss="mse", kind: str = "pre_activation") -> np.ndarray:
    """(L,) the norm of the gradient at each layer, bottom to top: one forward and one backward pass.

    kind: "pre_activation" for ‖∂L/∂z_l‖ (the gradient reaching layer l) or "weight" for
    ‖∂L/∂W_l‖. X: (N, n_in); y: targets for `loss` ("mse", "cross_entropy", "bce" or a function
    (pred, y) -> scalar Tensor, which receives y unchanged). This is the fast path the
    gradient-flow explorer calls.

    model: an nn.MLP, or a network whose forward_trace traces an MLP `.trunk` and returns several
    `outputs` (multitask.DeepSupervisionNet): then the layers are the trunk's, a named loss is
    applied to every output against the same y and summed, and a loss function receives the list
    of outputs (to weight the heads differently).
    """
    where = "gradient_norms_by_layer"
    if kind not in ("pre_activation", "weight"):
        raise ValueError(f"{where}: kind must be 'pre_activation' or 'weight', got {kind!r}")
    _, trace, _, weight_grads = _traced_backward(model, X, y, loss, where)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if kind == "weight":
            return np.array([np.linalg.norm(g) for g in weight_grads])
        return np.array([np.linalg.norm(_pre_activation_grad(z)) for z in trace.pre_activations])


def _finite(values: np.ndarray) -> np.ndarray:
    """The finite entries, flattened (no copy when all are finite, the usual case)."""
    finite = np.isfinite(values)
    return values.ravel() if finite.all() else values[finite]


def _histograms(arrays: list, bins: int, value_range) -> list:
    """(counts, edges) per array of finite values, all on the same `bins` bins over `value_range`."""
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    # bins + range (not an edges array) takes NumPy's fast path for equal-width bins.
    return [(np.histogram(a, bins=bins, range=value_range)[0], edges) for a in arrays]


def _common_range(arrays: list, symmetric: bool) -> tuple[float, float]:
    """(low, high) covering every (finite) array; a small window when all values are equal."""
    filled = [a for a in arrays if a.size]
    if not filled:
        return (-1.0, 1.0)
    low, high = min(a.min() for a in filled), max(a.max() for a in filled)
    if symmetric:
        high = max(abs(low), abs(high))
        low = -high
    # An exploding network's values can span more than float64 can subtract: cap the window
    # (values beyond ±1e300 are then left out of the counts).
    low, high = max(low, -1e300), min(high, 1e300)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    return float(low), float(high)


def layer_statistics(model, X, y, loss="mse", lr: float | None = None, bins: int = 50) -> LayerStats:
    """Activation, saturation and gradient statistics of every layer for one batch (see LayerStats).

    model, X, y, loss: as for `gradient_norms_by_layer`. lr: learning rate for the update/weight
    ratios (optional);
    bins: histogram bins. The hidden layers' activation histograms share their bins: [0, 1] for
    sigmoid, [-1, 1] for tanh (without residual connections), the data's range otherwise; the linear
    output layer gets bins of its own range. Gradient histograms of the hidden layers share one
    symmetric range, so a vanishing gradient shows up as a spike at 0, as in Glorot & Bengio
    (2010, AISTATS), Fig. 7.
    """
    where = "layer_statistics"
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"{where}: bins must be an int >= 1, got {bins!r}")
    if lr is not None and not (isinstance(lr, (int, float, np.floating)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"{where}: lr must be a finite number > 0 (or None), got {lr!r}")
    mlp, trace, loss_value, weight_grads = _traced_backward(model, X, y, loss, where)
    names = [_activation_name(mlp, l) for l in range(len(mlp.layers))]
    hidden_name = names[0] if len(names) > 1 else names[-1]
    z_values = [z.data for z in trace.pre_activations]
    h_values = [h.data for h in trace.activations]
    grads = [_pre_activation_grad(z) for z in trace.pre_activations]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        saturated, always = [], []
        for name, z in zip(names, z_values):
            rule = _SATURATED.get(name)
            mask = rule(z) if rule is not None else np.zeros(z.shape, dtype=bool)
            saturated.append(mask.mean())
            always.append(mask.all(axis=0).mean())
        weight_norms = np.array([np.linalg.norm(layer.weight.data) for layer in mlp.layers])
        weight_grad_norms = np.array([np.linalg.norm(g) for g in weight_grads])
        update_ratio = None
        if lr is not None:
            update_ratio = np.divide(lr * weight_grad_norms, weight_norms,
                                     out=np.full_like(weight_norms, np.inf), where=weight_norms > 0)
        finite_grads = [_finite(g) for g in grads]
        log_magnitudes = [np.log10(np.abs(g[g != 0])) for g in finite_grads]
        finite_h = [_finite(h) for h in h_values]
        hidden_h = finite_h[:-1]
        bounded = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(hidden_name)
        if hidden_h and bounded is not None and not getattr(mlp, "residual", False):
            hidden_range = bounded  # fixed bins: histograms of different nets compare directly
        else:
            hidden_range = _common_range(hidden_h or finite_h, symmetric=False)
        activation_histograms = _histograms(hidden_h, bins, hidden_range) + \
            _histograms(finite_h[-1:], bins, _common_range(finite_h[-1:], symmetric=False))
        # As for activations: hidden layers share bins, the output layer (often far larger) has its own.
        hidden_grads = finite_grads[:-1] or finite_grads
        gradient_histograms = _histograms(finite_grads[:-1], bins, _common_range(hidden_grads, symmetric=True)) + \
            _histograms(finite_grads[-1:], bins, _common_range(finite_grads[-1:], symmetric=True))
        stats = LayerStats(
            activation_names=names,
            saturation_rule=SATURATION_RULES.get(hidden_name, f"{hidden_name}: no saturation rule"),
            activation_mean=np.array([h.mean() for h in h_values]),
            activation_std=np.array([h.std() for h in h_values]),
            unit_spread=np.array([h.std(axis=0).mean() for h in h_values]),
            pre_activation_std=np.array([z.std() for z in z_values]),
            saturated_fraction=np.array(saturated, dtype=np.float64),
            always_saturated_fraction=np.array(always, dtype=np.float64),
            grad_norm=np.array([np.linalg.norm(g) for g in grads]),
            weight_grad_norm=weight_grad_norms,
            weight_norm=weight_norms,
            update_ratio=update_ratio,
            activation_histograms=activation_histograms,
            gradient_histograms=gradient_histograms,
            gradient_log10_histograms=_histograms(log_magnitudes, bins, _common_range(log_magnitudes, symmetric=False)),
            loss=loss_value,
        )
    return stats


# ---- Jacobians ----------------------------------------------------------------------------------

def _check_point(model, x, where: str) -> np.ndarray:
    width = model.layers[0].in_features
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: x must hold numbers, got dtype {array.dtype}")
    if array.shape not in ((width,), (1, width)):
        raise ValueError(f"{where}: x must be one input point of shape ({width},) (or (1, {width})), got {array.shape}")
    return array.reshape(width).astype(model.layers[0].weight.dtype, copy=False)


def _jacobian_of(fn, point: np.ndarray, n_out: int, params) -> np.ndarray:
    """(n_out, n_in) Jacobian of fn at one point, from a single backward pass.

    The point is copied into a batch of n_out identical rows; back-propagating the identity matrix
    through fn (which treats rows independently) makes row i of the input's gradient ∂f_i/∂x.
    """
    saved = [p.grad for p in params]
    try:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            batch = Tensor(np.repeat(point[None, :], n_out, axis=0), requires_grad=True)
            out = fn(batch)
            if not out.requires_grad:  # the output does not depend on the input at all
                return np.zeros((n_out, point.size), dtype=point.dtype)
            out.backward(np.eye(n_out, dtype=out.dtype))
        return batch.grad if batch.grad is not None else np.zeros((n_out, point.size), dtype=point.dtype)
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def input_output_jacobian(model, x) -> np.ndarray:
    """(n_out, n_in) the Jacobian ∂f/∂x of the network's output at one input point x: (n_in,)."""
    where = "input_output_jacobian"
    _check_model(model, where)
    point = _check_point(model, x, where)
    return _jacobian_of(model, point, model.layers[-1].out_features, model.parameters())


def _block(model, layer: int):
    """Layer `layer` (0-based) of an MLP as a function h_{l-1} -> h_l, as in MLP.forward_trace."""
    linear = model.layers[layer]
    last = layer == len(model.layers) - 1
    norms = getattr(model, "norms", [])

    def forward(h):
        z = linear(h)
        if last:
            return model.activation(z) if getattr(model, "final_activation", False) else z
        if norms:
            z = norms[layer](z)
        a = model.activation(z)
        skip = getattr(model, "residual", False) and linear.in_features == linear.out_features
        return h + a if skip else a

    return forward


def layer_jacobians(model, x) -> list:
    """Per-layer Jacobians J_l = ∂h_l/∂h_{l-1}, each (n_l, n_{l-1}), at the input point x: (n_in,).

    By the chain rule the end-to-end Jacobian is their product J_L ⋯ J_2 J_1, and a gradient
    travelling down to layer l is multiplied by the transposes of the Jacobians above it: when
    their singular values sit below 1 it shrinks geometrically with depth (lesson 03).
    For a plain layer J_l = diag(act'(z_l)) W_lᵀ; a residual connection adds the identity.
    """
    where = "layer_jacobians"
    _check_model(model, where)
    point = _check_point(model, x, where)
    params = model.parameters()
    with no_grad():
        inputs = model.forward_trace(Tensor(point[None, :])).activations
    inputs = [point] + [h.data[0] for h in inputs[:-1]]
    return [_jacobian_of(_block(model, l), inputs[l], model.layers[l].out_features, params)
            for l in range(len(model.layers))]


def jacobian_singular_values(model, x, from_layer: int = 0, to_layer: int | None = None) -> np.ndarray:
    """Singular values, largest first, of the Jacobian ∂h_to/∂h_from at the input point x: (n_in,).

    Default: the whole network, ∂output/∂input, giving min(n_in, n_out) values. With layers given
    (h_0 = the input, h_L = the output), the product J_to ⋯ J_{from+1} of per-layer Jacobians, e.g.
    from_layer=1, to_layer=L-1 for the square map between the first and last hidden layers, whose
    spectrum shows in how many directions gradients vanish or explode (Saxe, McClelland & Ganguli
    2014, ICLR; Pennington, Schoenholz & Ganguli 2017, NeurIPS: "dynamical isometry" when all are ≈ 1).
    """
    where = "jacobian_singular_values"
    _check_model(model, where)
    n_layers = len(model.layers)
    to_layer = n_layers if to_layer is None else to_layer
    for name, value in (("from_layer", from_layer), ("to_layer", to_layer)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    if not 0 <= from_layer < to_layer <= n_layers:
        raise ValueError(f"{where}: need 0 <= from_layer < to_layer <= {n_layers} (the number of layers), "
                         f"got from_layer={from_layer}, to_layer={to_layer}")
    if from_layer == 0 and to_layer == n_layers:
        jacobian = input_output_jacobian(model, x)
    else:
        jacobians = layer_jacobians(model, x)
        jacobian = jacobians[from_layer]
        for layer_jacobian in jacobians[from_layer + 1:to_layer]:
            jacobian = layer_jacobian @ jacobian
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.all(np.isfinite(jacobian)):
            raise FloatingPointError(f"{where}: the Jacobian overflowed (contains inf/NaN); the network "
                                     "explodes at this input, try a smaller weight gain")
        return np.linalg.svd(jacobian, compute_uv=False)


# ---- recording over training ---------------------------------------------------------------------

class GradientNormRecorder:
    """A probe for `train.fit(..., probes=[recorder])`: per-layer gradient norms at each recorded step.

    loss: the loss `fit` trains with ("mse", "cross_entropy", "bce" or a function); kind:
    "pre_activation" (‖∂L/∂z_l‖) or "weight" (‖∂L/∂W_l‖). Each call returns the (L,) norms (fit stores
    them in history.probes["gradient_norms"]) and keeps them here as well.
    `as_array()` -> (L, S) layer x step, ready for `plots.plot_heatmap_layer_by_step(arr, steps)`.
    """

    def __init__(self, loss="mse", kind: str = "pre_activation"):
        _loss_function(loss, "GradientNormRecorder")
        if kind not in ("pre_activation", "weight"):
            raise ValueError(f"GradientNormRecorder: kind must be 'pre_activation' or 'weight', got {kind!r}")
        self.loss, self.kind = loss, kind
        self.steps: list = []
        self.norms: list = []
        # fit names a probe by its __name__.
        self.__name__ = "gradient_norms"

    def __call__(self, model, X, y, step) -> np.ndarray:
        norms = gradient_norms_by_layer(model, X, y, self.loss, kind=self.kind)
        self.steps.append(int(step))
        self.norms.append(norms)
        return norms

    def as_array(self) -> np.ndarray:
        """(L, S) the recorded norms, one column per recorded step (see `.steps`)."""
        if not self.norms:
            raise ValueError("GradientNormRecorder: nothing recorded yet; pass it to fit(..., probes=[recorder])")
        return np.stack(self.norms, axis=1)


class WeightChangeRecorder:
    """A probe for `train.fit(..., probes=[recorder])`: how far each layer's weights moved between two
    recorded steps, relative to their size, ‖W_l(t) − W_l(t′)‖ / ‖W_l(t′)‖ (t′ the previous record).

    This is what the optimiser actually did to a layer, where a gradient norm is only what it was told.
    Under plain gradient descent the two are proportional (ΔW = −lr·∇W); Adam divides every coordinate's
    step by its own running gradient scale, so a layer with a tiny gradient can still move.
    `.steps` are the later steps of each pair; `as_array()` -> (L, S) layer × step.
    """

    def __init__(self):
        self.steps: list = []
        self.ratios: list = []
        self._previous = None
        self.__name__ = "weight_change"

    def __call__(self, model, X, y, step):
        layers = _layered_part(model, "WeightChangeRecorder").layers
        weights = [layer.weight.data.copy() for layer in layers]
        ratios = None
        if self._previous is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.array([np.linalg.norm(now - before) / np.linalg.norm(before)
                                   for now, before in zip(weights, self._previous)])
            self.steps.append(int(step))
            self.ratios.append(ratios)
        self._previous = weights
        return ratios

    def as_array(self) -> np.ndarray:
        """(L, S) the recorded ratios, one column per recorded step after the first (see `.steps`)."""
        if not self.ratios:
            raise ValueError("WeightChangeRecorder: fewer than two records yet; pass it to "
                             "fit(..., probes=[recorder]) and train for at least two record intervals")
        return np.stack(self.ratios, axis=1)


class TaskGradientRecorder:
    """A probe for `train.fit_multitask(..., probes=[recorder])`: per-task gradients on the shared
    parameters at each recorded step, summarised by their norms and cosines.

    task_losses: the T losses fit_multitask trains with (names or functions). Each call builds
    G (T, P) on `model.shared_parameters()`, or on `parameters(model)` when given (e.g. only the trunk
    layers below an auxiliary head, which both tasks reach), and returns its (T, T) cosine matrix; the
    recorder keeps `.norms` (list of (T,)), `.cosines` (list of (T, T)) and `.steps`. `as_arrays()`
    stacks them.
    """

    def __init__(self, task_losses, parameters=None):
        if isinstance(task_losses, str) or callable(task_losses) or len(task_losses) == 0:
            raise ValueError("TaskGradientRecorder: task_losses must be a list with one loss per task")
        if parameters is not None and not callable(parameters):
            raise TypeError("TaskGradientRecorder: parameters must be a function model -> list of parameters, "
                            f"got {type(parameters).__name__}")
        self.parameters = parameters
        self.loss_functions = [_loss_function(loss, "TaskGradientRecorder")[1] for loss in task_losses]
        self.steps: list = []
        self.norms: list = []
        self.cosines: list = []
        self.__name__ = "task_gradient_cosines"

    def __call__(self, model, X, targets, step) -> np.ndarray:
        where = "TaskGradientRecorder"
        if self.parameters is None and not callable(getattr(model, "shared_parameters", None)):
            raise TypeError(f"{where}: the model must have shared_parameters(), got {type(model).__name__}")
        if len(targets) != len(self.loss_functions):
            raise ValueError(f"{where}: {len(self.loss_functions)} task losses but {len(targets)} targets")
        params = model.shared_parameters() if self.parameters is None else list(self.parameters(model))
        if not params:
            raise ValueError(f"{where}: parameters(model) gave no parameters to record the gradients on")
        outputs = model(Tensor(np.asarray(X)))
        losses = [fn(out, target) for fn, out, target in zip(self.loss_functions, outputs, targets)]
        G = task_gradients(losses, params, retain_graph=False)
        cosines = cosine_matrix(G)
        self.steps.append(int(step))
        self.norms.append(task_gradient_norms(G))
        self.cosines.append(cosines)
        return cosines

    def as_arrays(self) -> dict:
        """{"steps": (S,), "norms": (S, T), "cosines": (S, T, T), "conflict_fraction": (S,)}."""
        if not self.steps:
            raise ValueError("TaskGradientRecorder: nothing recorded yet; pass it to fit_multitask(..., probes=[recorder])")
        cosines = np.stack(self.cosines)
        T = cosines.shape[1]
        upper = np.triu_indices(T, k=1)
        conflict = (cosines[:, upper[0], upper[1]] < 0).mean(axis=1) if T > 1 else np.zeros(len(self.steps))
        return {"steps": np.array(self.steps), "norms": np.stack(self.norms), "cosines": cosines,
                "conflict_fraction": conflict}


# ---- per-task gradient matrix G (T, P) ----------------------------------------------------------

def _check_G(G, where: str) -> np.ndarray:
    array = np.asarray(G, dtype=np.float64) if not isinstance(G, Tensor) else G.data.astype(np.float64)
    if array.ndim != 2:
        raise ValueError(f"{where}: G must be 2-D (T, P) per-task gradients, got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{where}: G has no rows (tasks)")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: G contains inf or NaN (rows {sorted(set(np.nonzero(~np.isfinite(array))[0].tolist()))})")
    return array


def _unit_rows(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(norms (T,), unit rows (T, P)) without overflow or underflow: each row is divided by its
    largest entry before squaring, so norms of 1e-200 or 1e200 come out right. Zero rows stay zero."""
    largest = np.abs(G).max(axis=1) if G.shape[1] else np.zeros(G.shape[0])
    nonzero = largest > 0
    scaled = np.zeros_like(G)
    scaled[nonzero] = G[nonzero] / largest[nonzero, None]
    scaled_norms = np.linalg.norm(scaled, axis=1)
    units = np.zeros_like(G)
    units[nonzero] = scaled[nonzero] / scaled_norms[nonzero, None]
    with np.errstate(over="ignore"):
        return largest * scaled_norms, units


def task_gradient_norms(G) -> np.ndarray:
    """(T,) ‖g_t‖ for each row of G: (T, P) per-task gradients on the shared parameters."""
    return _unit_rows(_check_G(G, "task_gradient_norms"))[0]


def cosine_matrix(G) -> np.ndarray:
    """(T, T) cosine similarity ⟨g_s, g_t⟩ / (‖g_s‖ ‖g_t‖) of the rows of G: (T, P).

    A zero gradient has no direction: its row and column are defined as 0, the diagonal entry
    included, so the result never holds NaN and a zero task reads as "neither aligned nor in
    conflict". Every other diagonal entry is 1.
    """
    G = _check_G(G, "cosine_matrix")
    norms, units = _unit_rows(G)
    # The Gram matrix of unit rows is the cosine matrix; rounding can step just outside [-1, 1].
    cosines = np.clip(units @ units.T, -1.0, 1.0)
    cosines[np.diag_indices_from(cosines)] = (norms > 0).astype(np.float64)
    return cosines


def conflict_fraction(G) -> float:
    """The fraction of the T(T-1)/2 task pairs whose gradients conflict (negative cosine).

    G: (T, P) with T >= 2. Pairs involving a zero gradient count as not conflicting (cosine 0).
    Yu et al. (2020, NeurIPS, PCGrad) call gradients with negative cosine "conflicting".
    """
    G = _check_G(G, "conflict_fraction")
    T = G.shape[0]
    if T < 2:
        raise ValueError(f"conflict_fraction: needs at least 2 tasks (rows of G) to form a pair, got G of shape {G.shape}")
    upper = np.triu_indices(T, k=1)
    return float(np.mean(cosine_matrix(G)[upper] < 0))


def gradient_magnitude_similarity(G) -> np.ndarray:
    """(T, T) 2‖g_s‖‖g_t‖ / (‖g_s‖² + ‖g_t‖²), from Yu et al. (2020, NeurIPS, PCGrad).

    1 when two tasks' gradients have the same norm, near 0 when one dwarfs the other (the
    imbalance behind lesson 06's loss-scale mismatch). Two zero gradients count as similar (1).
    """
    norms = task_gradient_norms(G)
    # Dividing by the largest norm first keeps the squares from overflowing.
    scale = norms.max()
    if not np.isfinite(scale):
        raise ValueError(f"gradient_magnitude_similarity: a task gradient norm overflows float64 ({scale})")
    if scale == 0:
        return np.ones((norms.size, norms.size))
    scaled = norms / scale
    numerator = 2 * np.outer(scaled, scaled)
    denominator = scaled[:, None] ** 2 + scaled[None, :] ** 2
    return np.divide(numerator, denominator, out=np.ones_like(numerator), where=denominator > 0)
