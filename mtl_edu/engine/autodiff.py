"""A NumPy array plus reverse-mode automatic differentiation.

Read this file top to bottom: a `Tensor` wraps a NumPy array (`.data`). Every operation on Tensors
computes its result with NumPy and, when an input needs a gradient, records a short `backward`
closure that maps the gradient of the result to the gradients of its inputs (the chain rule for
that one op, written in the comment beside it). `loss.backward()` visits the recorded graph in
reverse topological order, found iteratively so that a 1000-layer chain works, and accumulates
the gradient of every input that is used more than once.

Conventions (the same as PyTorch's, so what a learner learns here transfers):
- Leaves are Tensors a user made with `requires_grad=True`; only they keep `.grad` after backward.
- Gradients of leaves *accumulate* across backward calls: set `p.grad = None` between steps.
- The graph is freed after backward (pass `retain_graph=True` to back-propagate through it again),
  so intermediate activations are not kept alive by the closures that refer to them.
- float32 stays float32: NumPy operands are cast to the Tensor's float dtype, and Python numbers
  do not promote (NumPy >= 2 rules).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "grad", "graph_nodes", "gradcheck",
           "GradcheckResult", "error_band"]

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Inside this block, operations record no graph (evaluation, parameter updates)."""
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


def _freed_backward(grad):
    raise RuntimeError(
        "backward through a graph a second time: its intermediate results were freed by the first "
        "backward(). Recompute the forward pass, or call backward(retain_graph=True) the first time."
    )


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` back to `shape`: the adjoint of NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of length 1, so the input's
    gradient is the sum of the output gradient over exactly those axes.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if len(stretched) == 1 and grad.ndim >= 3 and stretched[0] < grad.ndim - 1 and grad.shape[-1] > 1:
        # A stack of models' biases, (S, N, out) -> (S, 1, out): NumPy's sum over a middle axis with
        # a short last axis runs ~5x slower than einsum's loop, which adds in the same order. (With
        # out = 1 NumPy sums pairwise, as it does for one model, so that case stays with NumPy.)
        axes = "abcdefghijklmnopqrstuvwxyz"[:grad.ndim]
        return np.einsum(f"{axes}->{axes.replace(axes[stretched[0]], '')}", grad).reshape(shape)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _spread_middle_axis(array: np.ndarray, other_shape: tuple) -> np.ndarray:
    """`array` repeated along its one length-1 middle axis to match `other_shape`, else unchanged.

    A stack of models' biases (S, 1, out) added to (S, N, out): the same sums as broadcasting, but
    NumPy's broadcast loop over a short last axis is ~5x slower than repeating first.
    """
    stretched = [i for i, (n, m) in enumerate(zip(array.shape, other_shape)) if n == 1 and m != 1]
    if len(stretched) != 1 or stretched[0] in (0, array.ndim - 1):
        return array
    return np.repeat(array, other_shape[stretched[0]], axis=stretched[0])


def _is_basic_index(index) -> bool:
    """True for indices that select a view (ints, slices, None, Ellipsis): no element repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) for p in parts)


def _reduced_shape(shape: tuple, axis, ndim: int) -> tuple:
    """The shape of a reduction's result with keepdims=True, so a gradient can broadcast back."""
    if axis is None:
        return (1,) * ndim
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = {a % ndim for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))



def _batched_matmul(a: "Tensor", b: "Tensor") -> "Tensor":
    """A stack of matrix products: (..., n, k) @ (..., k, m) -> (..., n, m), leading axes broadcast.

    This is how many small networks train as one: weights (S, k, m) with a leading models axis
    multiply inputs (S, N, k), or one shared batch (N, k), and every model gets its own product.
    """
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul: a stack of matrices needs 2-D matrices on both sides, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} != {b.shape[-2]})")
    try:
        data = a.data @ b.data
    except ValueError:
        raise ValueError(f"matmul: the leading (stack) axes of shapes {a.shape} and {b.shape} cannot be "
                         "broadcast together") from None
    a_shape, b_shape = a.shape, b.shape

    def backward(g):  # per matrix in the stack: gA = g Bᵀ, gB = Aᵀ g; summed over broadcast axes
        ga = _unbroadcast(g @ np.swapaxes(b.data, -1, -2), a_shape) if a.requires_grad else None
        gb = _unbroadcast(np.swapaxes(a.data, -1, -2) @ g, b_shape) if b.requires_grad else None
        return ga, gb

    return Tensor.from_op(data, (a, b), backward, "matmul")

class Tensor:
    """A NumPy array with a gradient.

    `Tensor(data, requires_grad=False)`: lists, ints and bools become float64; float arrays keep
    their dtype. Attributes: `.data` (the array), `.grad` (array of the same shape, or None),
    `.requires_grad`, and `.shape`, `.ndim`, `.dtype` of the data.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_retains_grad", "__weakref__")
    # Make NumPy hand `ndarray <op> Tensor` to the Tensor's reflected operator.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data)
        if array.dtype.kind not in "f":
            if array.dtype.kind not in "biu":
                raise TypeError(f"Tensor: cannot make a tensor from data of dtype {array.dtype}")
            array = array.astype(np.float64)
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._op = ""
        self._retains_grad = False

    @classmethod
    def from_op(cls, data, parents, backward, op: str) -> "Tensor":
        """The result of an operation, and how to back-propagate through it: every op in this file is
        built with it, and so can yours.

        data: the forward value (a NumPy array); parents: the Tensors it was computed from, in order;
        backward: a function that takes the gradient g of the result and returns one gradient per
        parent, as a tuple (None where a parent needs none); op: a short name for the operation.
        The graph is recorded only when a parent needs a gradient (and not under no_grad()).
        """
        out = object.__new__(cls)
        # NumPy turns 0-d results into scalars; keep .data an array so every op sees one type.
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out._op = op
        out._retains_grad = False
        if _grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents = parents
            out._backward = backward
        else:
            out.requires_grad = False
            out._parents = ()
            out._backward = None
        return out

    # ---- array facts -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        return f"Tensor({body}{flag})"

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only a tensor with one element has an item, this one has shape {self.shape}")
        return float(self.data.reshape(()))

    # ---- a read-only view of the graph (for drawing it, or walking it) ---------------------------
    @property
    def parents(self) -> tuple:
        """The Tensors this one was computed from, in the order its op took them: () for a leaf, a
        constant, a result computed without gradients, or a node whose graph backward has freed."""
        return self._parents

    @property
    def op(self) -> str:
        """The name of the operation that made this Tensor ("" for one made with Tensor(...))."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        """True when no recorded operation produced this Tensor (a parameter, an input, a constant)."""
        return self._backward is None

    @property
    def graph_freed(self) -> bool:
        """True once a backward() without retain_graph has gone through this node."""
        return self._backward is _freed_backward

    def local_gradients(self, grad) -> tuple:
        """One step of the chain rule: what this Tensor's op hands each of its parents for a gradient
        `grad` of this Tensor, as its backward returns it (a tuple, None where a parent needs none).
        Nothing is stored or accumulated."""
        if self._backward is None:
            raise ValueError(f"local_gradients: this tensor is a leaf (op {self._op!r}): no operation to differentiate")
        return self._backward(np.asarray(grad, dtype=self.dtype))

    def retain_grad(self) -> "Tensor":
        """Keep this intermediate result's gradient in `.grad` after backward (leaves always do).

        This is how the gradient-flow probes read the gradient reaching each hidden layer.
        """
        self._retains_grad = True
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph: no gradient flows through it."""
        return Tensor.from_op(self.data, (), None, "detach")

    def _lift(self, other) -> "Tensor":
        """Wrap a number or array as a constant Tensor of this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        array = np.asarray(other)
        if array.dtype.kind in "biuf" and self.data.dtype.kind == "f" and array.dtype != self.data.dtype:
            array = array.astype(self.data.dtype)
        elif array.dtype.kind not in "biuf":
            raise TypeError(f"cannot combine a Tensor with {type(other).__name__} of dtype {array.dtype}")
        return Tensor.from_op(array, (), None, "const")

    # ---- element-wise arithmetic with broadcasting ---------------------------------------------
    def _binary(self, other, op: str, compute):
        other = self._lift(other)
        a, b = self.data, other.data
        if a.ndim >= 3 and a.ndim == b.ndim and a.shape != b.shape:
            a, b = _spread_middle_axis(a, b.shape), _spread_middle_axis(b, a.shape)
        try:
            return other, compute(a, b)
        except ValueError:
            raise ValueError(
                f"{op}: shapes {self.shape} and {other.shape} cannot be broadcast together"
            ) from None

    def __add__(self, other):
        other, data = self._binary(other, "add", np.add)
        a_shape, b_shape = self.shape, other.shape

        def backward(g):  # d(a+b) = da + db
            return _unbroadcast(g, a_shape), _unbroadcast(g, b_shape)

        return Tensor.from_op(data, (self, other), backward, "add")

    __radd__ = __add__

    def __sub__(self, other):
        other, data = self._binary(other, "sub", np.subtract)
        a_shape, b_shape = self.shape, other.shape

        def backward(g):  # d(a-b) = da - db
            return _unbroadcast(g, a_shape), _unbroadcast(-g, b_shape)

        return Tensor.from_op(data, (self, other), backward, "sub")

    def __rsub__(self, other):
        return self._lift(other).__sub__(self)

    def __mul__(self, other):
        other, data = self._binary(other, "mul", np.multiply)
        a, b = self, other

        def backward(g):  # d(ab) = b da + a db
            return (
                _unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                _unbroadcast(g * a.data, b.shape) if b.requires_grad else None,
            )

        return Tensor.from_op(data, (a, b), backward, "mul")

    __rmul__ = __mul__

    def __truediv__(self, other):
        other, data = self._binary(other, "div", np.divide)
        a, b = self, other

        def backward(g):  # d(a/b) = da/b - a db/b²
            return (
                _unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
                _unbroadcast(-g * data / b.data, b.shape) if b.requires_grad else None,
            )

        return Tensor.from_op(data, (a, b), backward, "div")

    def __rtruediv__(self, other):
        return self._lift(other).__truediv__(self)

    def __neg__(self):
        def backward(g):  # d(-a) = -da
            return (-g,)

        return Tensor.from_op(-self.data, (self,), backward, "neg")

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
            raise TypeError("pow: the exponent must be a number (use exp/log for a tensor exponent)")
        p = float(exponent)
        x = self.data
        data = x**p

        def backward(g):  # d(x^p) = p x^(p-1) dx
            return (g * (p * x ** (p - 1)),)

        return Tensor.from_op(data, (self,), backward, f"pow {p!r}")  # the op's name carries its exponent

    # ---- matrix product ------------------------------------------------------------------------
    def __matmul__(self, other):
        other = self._lift(other)
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: needs operands with at least one axis, got shapes {a.shape} and {b.shape}")
        if a.ndim > 2 or b.ndim > 2:
            return _batched_matmul(a, b)
        k_a, k_b = a.shape[-1], b.shape[0]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({k_a} != {k_b})")
        data = a.data @ b.data
        a_nd, b_nd = a.ndim, b.ndim

        def backward(g):  # d(AB) = dA B + A dB  ->  gA = g Bᵀ, gB = Aᵀ g
            ga = gb = None
            if a_nd == 2 and b_nd == 2:
                if a.requires_grad:
                    ga = g @ b.data.T
                if b.requires_grad:
                    gb = a.data.T @ g
            elif a_nd == 2:  # (n, k) @ (k,) -> (n,)
                if a.requires_grad:
                    ga = np.outer(g, b.data)
                if b.requires_grad:
                    gb = a.data.T @ g
            elif b_nd == 2:  # (k,) @ (k, m) -> (m,)
                if a.requires_grad:
                    ga = b.data @ g
                if b.requires_grad:
                    gb = np.outer(a.data, g)
            else:  # (k,) @ (k,) -> ()
                if a.requires_grad:
                    ga = g * b.data
                if b.requires_grad:
                    gb = g * a.data
            return ga, gb

        return Tensor.from_op(data, (a, b), backward, "matmul")

    def __rmatmul__(self, other):
        return self._lift(other).__matmul__(self)

    # ---- reductions ----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims: bool = False):
        data = self.data.sum(axis=axis, keepdims=keepdims)
        shape, kept = self.shape, _reduced_shape(self.shape, axis, self.ndim)

        def backward(g):  # each input element contributes once to the sum
            return (np.broadcast_to(g.reshape(kept), shape),)

        return Tensor.from_op(data, (self,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False):
        data = self.data.mean(axis=axis, keepdims=keepdims)
        shape, kept = self.shape, _reduced_shape(self.shape, axis, self.ndim)
        count = self.data.size // max(data.size, 1) if self.data.size else 1

        def backward(g):  # each input element contributes 1/count to the mean
            return (np.broadcast_to(g.reshape(kept) / count, shape),)

        return Tensor.from_op(data, (self,), backward, "mean")

    def max(self, axis=None, keepdims: bool = False):
        data = self.data.max(axis=axis, keepdims=keepdims)
        x, kept = self.data, _reduced_shape(self.shape, axis, self.ndim)

        def backward(g):  # the gradient goes to the maximum; ties share it equally
            is_max = x == data.reshape(kept)
            return (is_max * (g.reshape(kept) / is_max.sum(axis=axis, keepdims=True)),)

        return Tensor.from_op(data, (self,), backward, "max")

    # ---- element-wise functions ----------------------------------------------------------------
    def exp(self):
        data = np.exp(self.data)

        def backward(g):  # d eˣ = eˣ dx
            return (g * data,)

        return Tensor.from_op(data, (self,), backward, "exp")

    def log(self):
        x = self.data
        data = np.log(x)

        def backward(g):  # d log x = dx / x
            return (g / x,)

        return Tensor.from_op(data, (self,), backward, "log")

    def log1p(self):
        x = self.data
        data = np.log1p(x)

        def backward(g):  # d log(1+x) = dx / (1+x)
            return (g / (1 + x),)

        return Tensor.from_op(data, (self,), backward, "log1p")

    def sqrt(self):
        data = np.sqrt(self.data)

        def backward(g):  # d √x = dx / (2√x); data + data keeps float32 under any promotion rules
            return (g / (data + data),)

        return Tensor.from_op(data, (self,), backward, "sqrt")

    def abs(self):
        x = self.data

        def backward(g):  # d|x| = sign(x) dx (0 at x = 0)
            return (g * np.sign(x),)

        return Tensor.from_op(np.abs(x), (self,), backward, "abs")

    def tanh(self):
        data = np.tanh(self.data)

        def backward(g):  # d tanh x = (1 - tanh² x) dx
            return (g * (1 - data * data),)

        return Tensor.from_op(data, (self,), backward, "tanh")

    def sigmoid(self):
        # σ(x) = ½(1 + tanh(x/2)): the same function, with no overflow for large |x|.
        data = 0.5 * (1 + np.tanh(0.5 * self.data))

        def backward(g):  # dσ = σ(1 - σ) dx, at most 1/4
            return (g * (data * (1 - data)),)

        return Tensor.from_op(data, (self,), backward, "sigmoid")

    def softplus(self):
        x = self.data
        data = np.logaddexp(0, x)  # log(1 + eˣ) without overflow

        def backward(g):  # d log(1 + eˣ) = σ(x) dx, also at x = 0 where relu/abs pieces would give 0
            return (g * (0.5 * (1 + np.tanh(0.5 * x))),)

        return Tensor.from_op(data, (self,), backward, "softplus")

    def relu(self):
        x = self.data
        data = np.maximum(x, 0)

        def backward(g):  # d relu = [x > 0] dx
            return (g * (x > 0),)

        return Tensor.from_op(data, (self,), backward, "relu")

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {self.shape} ({self.size} elements) into {shape}") from None
        original = self.shape

        def backward(g):
            return (g.reshape(original),)

        return Tensor.from_op(data, (self,), backward, "reshape")

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or None
        data = np.transpose(self.data, axes)
        inverse = None if axes is None else tuple(np.argsort(axes))

        def backward(g):  # transposing back undoes the permutation
            return (np.transpose(g, inverse),)

        return Tensor.from_op(data, (self,), backward, "transpose")

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(f"index: {error} (tensor shape {self.shape})") from None
        shape, dtype, basic = self.shape, self.dtype, _is_basic_index(index)

        def backward(g):  # scatter back; an element picked twice receives both gradients
            full = np.zeros(shape, dtype=dtype)
            if basic:
                full[index] += g
            else:
                np.add.at(full, index, g)
            return (full,)

        return Tensor.from_op(data, (self,), backward, "index")

    # ---- backward pass -------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False):
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires a gradient.

        `grad` is the gradient of some scalar with respect to this tensor; it may be omitted only
        when this tensor holds a single number (a loss).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require a gradient (no input had requires_grad=True, "
                "or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be omitted only for a single number, this tensor has shape "
                    f"{self.shape}; pass grad= of that shape, or reduce it first (e.g. .sum() or .mean())"
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, the tensor has shape {self.shape}")

        _reverse_pass(self, grad, retain_graph)

    def _topological_order(self, stop_at: frozenset = frozenset()) -> list:
        """Every node that needs a gradient, each after all of its inputs (iterative DFS); nothing
        below a node whose id is in stop_at is visited."""
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            if id(node) in stop_at:
                continue
            for parent in node._parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
        return order


def _reverse_pass(root: Tensor, grad: np.ndarray, retain_graph: bool, stop_at: frozenset = frozenset(),
                  wanted: dict | None = None) -> None:
    """The reverse pass from `root`, whose gradient is `grad`, shared by Tensor.backward and grad().

    wanted None (backward): every leaf reached accumulates its gradient in `.grad`, and so does every
    node that retains its gradient. wanted a dict {id: None} (grad): the gradient reaching each of those
    tensors is stored in it, and no `.grad` is touched. Nodes whose id is in stop_at are treated as
    leaves: nothing below them is visited or freed.
    """
    grads = {id(root): grad}
    handed_to_leaves = set()
    for node in reversed(root._topological_order(stop_at)):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        backward = node._backward
        if wanted is not None:
            if id(node) in wanted:
                wanted[id(node)] = g
            if backward is None or id(node) in stop_at:
                continue
        else:
            if backward is None:  # a leaf: keep its gradient
                # Own the array: an op may hand the same array to two inputs, or a read-only view.
                if id(g) in handed_to_leaves or not g.flags.writeable or g.base is not None:
                    g = g.copy()
                handed_to_leaves.add(id(g))
                if node.grad is None:
                    node.grad = g
                else:
                    node.grad = node.grad + g
                continue
            if node._retains_grad:
                node.grad = g if node.grad is None else node.grad + g
        for parent, parent_grad in zip(node._parents, backward(g)):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            previous = grads.get(key)
            grads[key] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            node._parents = ()
            node._backward = _freed_backward


def graph_nodes(output: Tensor, stop_at=()) -> list:
    """Every Tensor that `output` depends on and that needs a gradient, each after all of its inputs
    (the reverse of the order backward visits them), `output` last. stop_at: Tensors to treat as
    leaves: nothing below them is listed."""
    if not isinstance(output, Tensor):
        raise TypeError(f"graph_nodes: output must be a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        return []
    return output._topological_order(frozenset(id(t) for t in stop_at))


def grad(output: Tensor, inputs, grad_output=None, retain_graph: bool = False, stop_at=()) -> list:
    """The gradients of `output` with respect to each of `inputs`, as NumPy arrays, without touching
    any `.grad` (in the spirit of HIPS autograd's `grad`).

    inputs: Tensors the output was computed from, leaves (parameters) or intermediate results (a
    hidden layer); an input the output does not depend on gets zeros. grad_output: the gradient of
    some scalar with respect to `output`, needed unless `output` holds one number. retain_graph: keep
    the graph for another pass (otherwise it is freed as by backward). stop_at: Tensors to treat as
    leaves (the pass does not go below them, nor free anything there).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"grad: output must be a Tensor, got {type(output).__name__}")
    inputs = list(inputs)
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"grad: inputs[{i}] must be a Tensor, got {type(tensor).__name__}")
    if grad_output is None:
        if output.data.size != 1:
            raise RuntimeError(f"grad: grad_output can be omitted only for a single number, output has shape "
                               f"{output.shape}; pass grad_output= of that shape")
        grad_output = np.ones_like(output.data)
    else:
        grad_output = np.array(grad_output.data if isinstance(grad_output, Tensor) else grad_output, dtype=output.dtype)
        if grad_output.shape != output.shape:
            raise ValueError(f"grad: grad_output has shape {grad_output.shape}, output has shape {output.shape}")
    wanted = dict.fromkeys(id(t) for t in inputs)
    if output.requires_grad:
        _reverse_pass(output, grad_output, retain_graph, frozenset(id(t) for t in stop_at), wanted)
    return [np.zeros_like(t.data) if wanted[id(t)] is None else np.array(wanted[id(t)], copy=True) for t in inputs]


# ---- gradient checking -----------------------------------------------------------------------

_BANDS = (
    (1e-7, "excellent (< 1e-7)"),
    (1e-4, "fine for kinks such as ReLU (1e-7 .. 1e-4)"),
    (1e-2, "suspicious (1e-4 .. 1e-2)"),
    (np.inf, "wrong (> 1e-2)"),
)


def error_band(relative_error: float) -> str:
    """Name the band a relative error falls in (the rule of thumb of cs231n's gradient-check notes)."""
    for upper, name in _BANDS:
        if relative_error < upper:
            return name
    return _BANDS[-1][1]


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖g − ĝ‖ / (‖g‖ + ‖ĝ‖), and 0 when both are zero."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)


@dataclass
class GradcheckResult:
    """Per input: the backward gradient, the central-difference estimate and their relative error."""

    analytic: list
    numeric: list
    errors: list

    @property
    def max_error(self) -> float:
        return max(self.errors) if self.errors else 0.0

    def passed(self, tolerance: float = 1e-6) -> bool:
        return self.max_error < tolerance

    def __repr__(self) -> str:
        lines = [f"input {i}: relative error {e:.2e}  {error_band(e)}" for i, e in enumerate(self.errors)]
        return "GradcheckResult(\n  " + "\n  ".join(lines) + "\n)"


def gradcheck(fn, *inputs, eps: float = 1e-6, seed: int = 0) -> GradcheckResult:
    """Compare backward's gradients of `fn(*inputs)` with central differences, in float64.

    `fn` maps Tensors to a Tensor; a non-scalar output is reduced to the scalar Σ r ⊙ fn(x) with a
    fixed random r, which checks every output's gradient at once. Inputs are arrays or Tensors.
    Returns the relative error ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) per input.
    """
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
    rng = np.random.default_rng(seed)
    weights = None

    def scalar(values) -> Tensor:
        nonlocal weights
        out = fn(*values)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        if out.size != 1:
            if weights is None:
                weights = rng.standard_normal(out.shape)
            out = (out * weights).sum()
        return out

    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    scalar(leaves).backward()
    analytic = [np.zeros_like(a) if t.grad is None else t.grad for a, t in zip(arrays, leaves)]

    numeric = []
    with no_grad():
        for i, a in enumerate(arrays):
            estimate = np.zeros_like(a)
            flat = a.reshape(-1)
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = scalar([Tensor(x) for x in arrays]).item()
                flat[j] = original - eps
                minus = scalar([Tensor(x) for x in arrays]).item()
                flat[j] = original
                estimate.reshape(-1)[j] = (plus - minus) / (2 * eps)
            numeric.append(estimate)
    errors = [_relative_error(g, n) for g, n in zip(analytic, numeric)]
    return GradcheckResult(analytic=analytic, numeric=numeric, errors=errors)
