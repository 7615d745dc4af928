"""Layers and networks built on `Tensor`: Module, Linear, activations, LayerNorm, MLP.

A `Module` holds its parameters (Tensors with `requires_grad=True`) and its submodules as plain
attributes; `parameters()` finds them by walking the attributes in the order they were set. A
network is called like a function, `model(x)`, and returns a Tensor, so `loss.backward()` fills
every parameter's `.grad`.

Shapes: inputs are (N, features) batches, a Linear layer's weight is (in_features, out_features)
and it computes `x @ W + b`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import functional as F
from ..engine.autodiff import Tensor
from .init import as_generator, initialize

__all__ = [
    "Module", "Linear", "Sequential", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "Identity",
    "ACTIVATIONS", "activation", "LayerNorm", "MLP", "Trace",
]


def _as_input(x, dtype) -> Tensor:
    """A batch as a Tensor; NumPy arrays take the network's dtype so float32 stays float32."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"network input must be numbers, got dtype {array.dtype}")
    return Tensor(array.astype(dtype, copy=False))


class Module:
    """Base class: parameters and submodules are found in the instance's attributes.

    An attribute holding a Tensor is a parameter; one holding a Module, or a list/tuple of Modules,
    is a submodule. Attributes whose name starts with "_" are private and skipped.
    """

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self, prefix: str = "") -> list:
        """[(dotted name, Tensor), ...] in definition order, each Tensor once."""
        found, seen = [], set()
        self._collect(prefix, found, seen)
        return found

    def _collect(self, prefix, found, seen):
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Tensor):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append((prefix + name, value))
            elif isinstance(value, Module):
                value._collect(f"{prefix}{name}.", found, seen)
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        item._collect(f"{prefix}{name}.{i}.", found, seen)

    def parameters(self) -> list:
        """Every parameter Tensor, each once, in a stable order (definition order, bottom to top)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())


# ---- Linear ------------------------------------------------------------------------------------

class Linear(Module):
    """x @ W + b with W: (in_features, out_features), b: (out_features,) initialised to zeros.

    `init` names a scheme of `mtl_edu.nets.init` (or is a function `fn(shape, rng, gain)`); `rng` is a
    Generator or int seed, and None means seed 0.
    """

    def __init__(self, in_features: int, out_features: int, init="xavier_normal", bias: bool = True,
                 rng=None, gain: float = 1.0, dtype=np.float64):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = as_generator(rng, "Linear")
        weights = initialize(init, (self.in_features, self.out_features), rng, gain=gain, dtype=dtype)
        self.weight = Tensor(weights, requires_grad=True)
        self.bias = Tensor(np.zeros(self.out_features, dtype=dtype), requires_grad=True) if bias else None

    def forward(self, x):
        out = _as_input(x, self.weight.dtype) @ self.weight
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


# ---- containers and activations ----------------------------------------------------------------

class Sequential(Module):
    """Modules applied one after another: Sequential(a, b, c)(x) = c(b(a(x)))."""

    def __init__(self, *modules):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: item {i} is a {type(module).__name__}, not a Module")
        self.modules = list(modules)

    def forward(self, x):
        for module in self.modules:
            x = module(x)
        return x

    def __getitem__(self, index):
        return self.modules[index]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self):
        return iter(self.modules)

    @property
    def in_features(self):
        for module in self.modules:
            width = getattr(module, "in_features", None)
            if width is not None:
                return width
        return None

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(m) for m in self.modules)
        return f"Sequential(\n  {inner}\n)"


class _Activation(Module):
    name = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(_Activation):
    """σ(x) = 1 / (1 + e⁻ˣ); its derivative is at most 1/4."""
    name = "sigmoid"

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(_Activation):
    """tanh(x); its derivative is at most 1, reached only at 0."""
    name = "tanh"

    def forward(self, x):
        return F.tanh(x)


class ReLU(_Activation):
    """max(x, 0) (Nair & Hinton 2010); derivative 1 for x > 0, else 0."""
    name = "relu"

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(_Activation):
    """max(x, 0) + slope·min(x, 0) (Maas, Hannun & Ng 2013)."""
    name = "leaky_relu"

    def __init__(self, slope: float = 0.01):
        self.slope = float(slope)

    def forward(self, x):
        return F.leaky_relu(x, self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope:g})"


class GELU(_Activation):
    """Gaussian error linear unit, tanh approximation (Hendrycks & Gimpel 2016)."""
    name = "gelu"

    def forward(self, x):
        return F.gelu(x)


class Identity(_Activation):
    """x unchanged: a linear network."""
    name = "identity"

    def forward(self, x):
        return F.identity(x)


ACTIVATIONS = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "gelu": GELU,
    "identity": Identity,
}


def activation(name) -> Module:
    """The activation module called `name` (one of ACTIVATIONS); a Module passes through."""
    if isinstance(name, Module):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation: unknown activation {name!r}; choose one of {list(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


_activation_module = activation  # MLP's argument `activation` shadows the function's name


# ---- LayerNorm ---------------------------------------------------------------------------------

class LayerNorm(Module):
    """Normalise each row over its features, then scale and shift (Ba, Kiros & Hinton 2016).

    y = (x − mean(x)) / √(var(x) + eps) · gain + bias, statistics over the last axis of x (N, features);
    `.gain` starts at ones and `.bias` at zeros, both (features,).
    """

    def __init__(self, features: int, eps: float = 1e-5, dtype=np.float64):
        if isinstance(features, bool) or not isinstance(features, (int, np.integer)) or features < 1:
            raise ValueError(f"LayerNorm: features must be a positive int, got {features!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps!r}")
        self.features, self.eps = int(features), float(eps)
        self.gain = Tensor(np.ones(self.features, dtype=dtype), requires_grad=True)
        self.bias = Tensor(np.zeros(self.features, dtype=dtype), requires_grad=True)

    def forward(self, x):
        x = _as_input(x, self.gain.dtype)
        if x.shape[-1] != self.features:
            raise ValueError(f"LayerNorm: input has {x.shape[-1]} features, expected {self.features}")
        centred = x - x.mean(axis=-1, keepdims=True)
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        return centred / (variance + self.eps).sqrt() * self.gain + self.bias

    def __repr__(self) -> str:
        return f"LayerNorm({self.features}, eps={self.eps:g})"


# ---- MLP ---------------------------------------------------------------------------------------

@dataclass
class Trace:
    """One forward pass, layer by layer (bottom to top).

    output: the network's output Tensor.
    pre_activations: z_l, one per Linear layer: the input of layer l's activation (after LayerNorm
        when the MLP has one), the output layer's z included.
    activations: h_l, the output of each layer block (after the residual sum); the last is `output`.
    Call `.retain_grad()` on any of them before `backward()` to read the gradient reaching it.
    """

    output: Tensor
    pre_activations: list
    activations: list


class MLP(Module):
    """A multilayer perceptron: sizes = [n_in, h_1, ..., n_out].

    Hidden layer l: z_l = Linear_l(h_{l−1}), then z_l = LayerNorm_l(z_l) if norm == "layernorm";
    a_l = act(z_l); h_l = h_{l−1} + a_l if residual and the widths match (He et al. 2016, CVPR,
    identity shortcuts), else h_l = a_l. The output layer is linear, followed by the activation only
    when final_activation=True.

    Attributes: `.layers` (the Linear layers bottom to top), `.norms` (one LayerNorm per hidden layer,
    or empty), `.activation` (the activation Module), `.sizes`.
    One Generator (`rng`, or seed 0 when None) draws every layer's weights, bottom to top.
    """

    def __init__(self, sizes, activation="tanh", init="xavier_normal", gain: float = 1.0, rng=None,
                 residual: bool = False, norm=None, final_activation: bool = False, dtype=np.float64):
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else sizes
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise ValueError(f"MLP: sizes must be a list [n_in, ..., n_out] of at least two ints, got {sizes!r}")
        for i, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"MLP: every size must be a positive int, got {n!r} at position {i} of {sizes}")
        if norm not in (None, "layernorm"):
            raise ValueError(f"MLP: norm must be None or 'layernorm', got {norm!r}")
        self.sizes = [int(n) for n in sizes]
        self.activation = _activation_module(activation)
        rng = as_generator(rng, "MLP")
        self.layers = [
            Linear(n_in, n_out, init=init, rng=rng, gain=gain, dtype=dtype)
            for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])
        ]
        hidden = self.sizes[1:-1]
        self.norms = [LayerNorm(width, dtype=dtype) for width in hidden] if norm == "layernorm" else []
        self.residual, self.norm, self.final_activation = bool(residual), norm, bool(final_activation)
        self._dtype = np.dtype(dtype)
        # Fixed per layer, so forward need not compare shapes on every call.
        self._skips = [self.residual and self.sizes[l] == self.sizes[l + 1] for l in range(len(hidden))]

    @property
    def in_features(self) -> int:
        return self.sizes[0]

    @property
    def out_features(self) -> int:
        return self.sizes[-1]

    @property
    def dtype(self):
        return self._dtype

    def forward(self, x):
        return self._pass(x, keep=False)[0]

    def forward_trace(self, x) -> Trace:
        """The forward pass, keeping every layer's pre-activation z_l and output h_l (see Trace)."""
        output, pre_activations, activations = self._pass(x, keep=True)
        return Trace(output=output, pre_activations=pre_activations, activations=activations)

    def _pass(self, x, keep: bool) -> tuple:
        """The one forward pass: (output, [z_l], [h_l]), the two lists filled only when keep is true.
        The layers' ops are written out (not called as modules): a call per layer costs more than a
        small layer's arithmetic."""
        h = _as_input(x, self._dtype)
        act = self.activation.forward
        layers, norms, skips = self.layers, self.norms, self._skips
        last = len(layers) - 1
        pre_activations, activations = [], []
        for l, layer in enumerate(layers):
            z = h @ layer.weight
            if layer.bias is not None:
                z = z + layer.bias
            if l < last:
                if norms:
                    z = norms[l](z)
                h = h + act(z) if skips[l] else act(z)
            else:
                h = act(z) if self.final_activation else z
            if keep:
                pre_activations.append(z)
                activations.append(h)
        return h, pre_activations, activations

    def __repr__(self) -> str:
        extras = []
        if self.residual:
            extras.append("residual=True")
        if self.norm:
            extras.append(f"norm={self.norm!r}")
        if self.final_activation:
            extras.append("final_activation=True")
        tail = "".join(", " + e for e in extras)
        return f"MLP({self.sizes}, activation={self.activation!r}{tail})"
