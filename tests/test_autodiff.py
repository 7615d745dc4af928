"""The engine's gradients against central differences, over random shapes and broadcasting patterns."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mtl_edu
from mtl_edu import Tensor, gradcheck, no_grad
from mtl_edu import functional as F

TOL = 1e-6
FAST = settings(max_examples=25, deadline=None)


@st.composite
def shapes(draw, min_dims=0, max_dims=3):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims)))


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: the second drops leading axes and turns some axes into 1."""
    full = draw(shapes(min_dims=1))
    dropped = draw(st.integers(0, len(full)))
    other = tuple(1 if draw(st.booleans()) else n for n in full[dropped:])
    if draw(st.booleans()):
        return full, other
    return other, full


def arrays(shape, seed, positive=False, away_from_zero=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if positive:
        return np.abs(x) + 0.5
    if away_from_zero:
        return np.sign(x) * (np.abs(x) + 0.2)
    return x


def assert_gradcheck(fn, *inputs):
    result = gradcheck(fn, *inputs)
    assert result.max_error < TOL, result


# ---- every op ------------------------------------------------------------------------------------

@FAST
@given(broadcast_pair(), st.integers(0, 10**6))
def test_binary_ops_broadcast_and_unbroadcast(pair, seed):
    a, b = arrays(pair[0], seed), arrays(pair[1], seed + 1, positive=True)
    assert_gradcheck(lambda x, y: x + y, a, b)
    assert_gradcheck(lambda x, y: x - y, a, b)
    assert_gradcheck(lambda x, y: x * y, a, b)
    assert_gradcheck(lambda x, y: x / y, a, b)
    assert_gradcheck(lambda x, y: y / x, b, a + 3.0)


@FAST
@given(shapes(min_dims=1), st.integers(0, 10**6))
def test_python_numbers_and_arrays_on_either_side(shape, seed):
    a = arrays(shape, seed, positive=True)
    constant = arrays(shape[-1:], seed + 7)
    assert_gradcheck(lambda x: 2.0 + x - 3 * x / 4 + 1 / x - constant * x + x * constant - 5 - x, a)
    assert_gradcheck(lambda x: (constant - x) + (constant / x) + (constant + x), a)


@FAST
@given(shapes(), st.integers(0, 10**6))
def test_unary_ops(shape, seed):
    x = arrays(shape, seed)
    positive = arrays(shape, seed, positive=True)
    assert_gradcheck(lambda t: -t, x)
    assert_gradcheck(lambda t: t.exp(), x)
    assert_gradcheck(lambda t: t.tanh(), x)
    assert_gradcheck(lambda t: t.sigmoid(), x)
    assert_gradcheck(lambda t: t.log(), positive)
    assert_gradcheck(lambda t: t.log1p(), positive)
    assert_gradcheck(lambda t: t.sqrt(), positive)
    assert_gradcheck(lambda t: t**3, x)
    assert_gradcheck(lambda t: t**-1.5, positive)
    # abs and relu have a kink at 0: test them away from it.
    away = arrays(shape, seed, away_from_zero=True)
    assert_gradcheck(lambda t: t.abs(), away)
    assert_gradcheck(lambda t: t.relu(), away)


@FAST
@given(shapes(min_dims=1), st.data())
def test_reductions_over_any_axis(shape, data):
    x = arrays(shape, data.draw(st.integers(0, 10**6)))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    assert_gradcheck(lambda t: t.sum(axis=axis, keepdims=keepdims), x)
    assert_gradcheck(lambda t: t.mean(axis=axis, keepdims=keepdims), x)
    assert_gradcheck(lambda t: t.max(axis=axis, keepdims=keepdims), x)


def test_sum_over_several_axes():
    x = arrays((2, 3, 4), 0)
    assert_gradcheck(lambda t: t.sum(axis=(0, 2)), x)
    assert_gradcheck(lambda t: t.mean(axis=(0, 2), keepdims=True), x)


def test_max_splits_gradient_between_ties():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 10**6))
def test_matmul_matrix_and_vector(n, k, m, seed):
    A, B = arrays((n, k), seed), arrays((k, m), seed + 1)
    v, w = arrays((k,), seed + 2), arrays((n,), seed + 3)
    assert_gradcheck(lambda a, b: a @ b, A, B)
    assert_gradcheck(lambda a, x: a @ x, A, v)
    assert_gradcheck(lambda x, b: x @ b, v, B)
    assert_gradcheck(lambda x, y: x @ y, v, v + 1)
    assert_gradcheck(lambda y, a: y @ a, w, A)


def test_matmul_with_numpy_array_on_the_left():
    W = Tensor(arrays((3, 2), 0), requires_grad=True)
    x = arrays((4, 3), 1)
    (x @ W).sum().backward()
    np.testing.assert_allclose(W.grad, x.T @ np.ones((4, 2)))


@FAST
@given(shapes(min_dims=1), st.integers(0, 10**6))
def test_reshape_and_transpose(shape, seed):
    x = arrays(shape, seed)
    assert_gradcheck(lambda t: t.reshape(-1) * np.arange(x.size), x)
    assert_gradcheck(lambda t: t.T * arrays(tuple(reversed(shape)), seed + 1), x)
    axes = tuple(np.random.default_rng(seed).permutation(len(shape)))
    assert_gradcheck(lambda t: t.transpose(axes) * arrays(np.transpose(x, axes).shape, seed + 2), x)


def test_indexing_slices_and_repeated_integer_indices():
    x = arrays((5, 3), 0)
    assert_gradcheck(lambda t: t[1:4, ::2], x)
    assert_gradcheck(lambda t: t[2], x)
    assert_gradcheck(lambda t: t[..., 1], x)
    assert_gradcheck(lambda t: t[np.array([0, 2, 2, 4])], x)
    assert_gradcheck(lambda t: t[np.array([0, 1, 1]), np.array([2, 0, 0])], x)
    t = Tensor(np.zeros(4), requires_grad=True)
    t[np.array([1, 1, 1, 3])].sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 3.0, 0.0, 1.0])


def test_detach_blocks_the_gradient():
    x = Tensor([2.0], requires_grad=True)
    (x * x.detach()).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0])


# ---- functional ----------------------------------------------------------------------------------

@FAST
@given(st.integers(1, 5), st.integers(2, 5), st.integers(0, 10**6))
def test_losses_and_probabilities(n, classes, seed):
    logits = arrays((n, classes), seed)
    labels = np.random.default_rng(seed).integers(0, classes, n)
    targets01 = np.random.default_rng(seed + 1).uniform(0, 1, (n, classes))
    assert_gradcheck(lambda t: F.softmax(t, axis=1), logits)
    assert_gradcheck(lambda t: F.softmax(t, axis=0), logits)
    assert_gradcheck(lambda t: F.log_softmax(t, axis=1), logits)
    assert_gradcheck(lambda t: F.cross_entropy(t, labels), logits)
    assert_gradcheck(lambda t: F.cross_entropy(t, Tensor(labels)), logits)
    assert_gradcheck(lambda t: F.mse_loss(t, targets01), logits)
    assert_gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, targets01), logits)


@FAST
@given(shapes(min_dims=1), st.integers(0, 10**6))
def test_activations(shape, seed):
    x = arrays(shape, seed, away_from_zero=True)
    for fn in (F.leaky_relu, F.gelu, F.softplus, F.sigmoid, F.tanh, F.relu, F.identity):
        assert_gradcheck(fn, x)


def test_activation_values():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(F.softplus(Tensor(x)).data, np.log1p(np.exp(x)))
    np.testing.assert_allclose(F.leaky_relu(Tensor(x), 0.1).data, np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(F.sigmoid(Tensor(x)).data, 1 / (1 + np.exp(-x)))


def test_concat_and_stack():
    a, b = arrays((2, 3), 0), arrays((4, 3), 1)
    assert_gradcheck(lambda x, y: F.concat([x, y], axis=0) * arrays((6, 3), 2), a, b)
    assert_gradcheck(lambda x, y: F.concat([x.T, y.T], axis=1) * arrays((3, 6), 3), a, b)
    c = arrays((2, 3), 4)
    assert_gradcheck(lambda x, y: F.stack([x, y], axis=1) * arrays((2, 2, 3), 5), a, c)


def test_stable_for_huge_logits():
    logits = Tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], requires_grad=True)
    log_p = F.log_softmax(logits)
    assert np.all(np.isfinite(log_p.data))
    np.testing.assert_allclose(np.exp(log_p.data).sum(axis=1), 1.0)
    loss = F.cross_entropy(logits, np.array([1, 1])) + F.binary_cross_entropy_with_logits(
        logits, np.ones((2, 3))
    )
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))
    np.testing.assert_allclose(F.softplus(Tensor([1e4, -1e4])).data, [1e4, 0.0])


# ---- graph behaviour -----------------------------------------------------------------------------

def test_node_used_twice_accumulates():
    x = Tensor([3.0], requires_grad=True)
    y = x * 2
    (y * y + y).sum().backward()  # d/dx (4x² + 2x) = 8x + 2
    np.testing.assert_allclose(x.grad, [26.0])


def test_diamond_graph():
    x = Tensor(arrays((3,), 0), requires_grad=True)
    a = x.tanh()
    b = a * 2 + a.exp()
    (a * b).sum().backward()
    ref = gradcheck(lambda t: (t.tanh() * (t.tanh() * 2 + t.tanh().exp())).sum(), x.data)
    np.testing.assert_allclose(x.grad, ref.numeric[0], rtol=1e-6)


def test_thousand_layer_chain():
    x = Tensor(np.full(4, 0.1), requires_grad=True)
    h = x
    for _ in range(1000):
        h = (h * 1.001).tanh() + 0.0005
    h.sum().backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad)) and np.all(x.grad > 0)


def test_five_thousand_layer_mlp_backpropagates():
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((2, 3)))
    W = Tensor(np.eye(3), requires_grad=True)
    for _ in range(5000):
        h = h @ W
    h.sum().backward()
    assert W.grad.shape == (3, 3) and np.all(np.isfinite(W.grad))


def test_leaf_gradients_accumulate_until_cleared():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad, [6.0, 6.0])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad, [3.0, 3.0])


def test_leaf_gradients_are_independent_writable_arrays():
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1
    np.testing.assert_allclose(b.grad, np.ones(3))


def test_graph_is_freed_after_backward():
    x = Tensor(np.ones((100, 100)), requires_grad=True)
    hidden = x.tanh()
    probe = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    assert probe() is not None
    loss.backward()
    gc.disable()
    try:
        # Only the closures kept the activation alive; after backward nothing refers to it.
        assert probe() is None
    finally:
        gc.enable()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    shared = x * 3
    loss_a, loss_b = (shared * 2).sum(), (shared * shared).sum()
    loss_a.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.grad = None
    loss_b.backward()
    np.testing.assert_allclose(x.grad, 18 * x.data)


def test_backward_with_explicit_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 40.0])


def test_no_grad_records_nothing():
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
        assert not mtl_edu.is_grad_enabled()
    assert mtl_edu.is_grad_enabled()
    assert not y.requires_grad and y.parents == () and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        y.sum().backward()


# ---- the functional API and the read-only graph view ------------------------------------------------

def test_grad_returns_what_backward_writes_and_touches_no_grad():
    from mtl_edu.engine.autodiff import grad

    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    unused = Tensor(rng.standard_normal(4), requires_grad=True)
    x = Tensor(rng.standard_normal((5, 3)))
    hidden = (x @ w + b).tanh()
    loss = (hidden * hidden).sum()
    g_w, g_b, g_hidden, g_unused = grad(loss, [w, b, hidden, unused], retain_graph=True)
    assert w.grad is None and b.grad is None and hidden.grad is None and unused.grad is None
    np.testing.assert_array_equal(g_hidden, 2 * hidden.data)            # an intermediate result
    np.testing.assert_array_equal(g_unused, np.zeros(4))                # not reached: zeros
    hidden.retain_grad()
    loss.backward()
    np.testing.assert_array_equal(g_w, w.grad)                          # the same arrays, bit for bit
    np.testing.assert_array_equal(g_b, b.grad)
    np.testing.assert_array_equal(g_hidden, hidden.grad)
    with pytest.raises(RuntimeError, match="second time"):               # the graph was freed by backward
        grad(loss, [w])


def test_grad_frees_the_graph_unless_retained_and_stops_where_asked():
    from mtl_edu.engine.autodiff import grad

    w = Tensor([1.0, 2.0], requires_grad=True)
    z = w * 3                                   # the graph below z: one mul
    head = Tensor([0.5, -1.0], requires_grad=True)
    loss = (z * head).sum()
    (g_z, g_head) = grad(loss, [z, head], stop_at=[z])
    np.testing.assert_array_equal(g_z, head.data)
    np.testing.assert_array_equal(g_head, z.data)
    assert loss.graph_freed and not z.graph_freed and z.parents[0] is w   # nothing below z was touched
    z.backward(g_z)                                                          # one pass through the trunk
    np.testing.assert_array_equal(w.grad, 3 * head.data)
    assert z.graph_freed and z.parents == ()
    v = Tensor([2.0], requires_grad=True)
    y = (v * v).sum()
    first = grad(y, [v], retain_graph=True)
    np.testing.assert_array_equal(first[0], grad(y, [v])[0])
    with pytest.raises(RuntimeError, match="grad_output can be omitted only for a single number"):
        grad(v * 1.0 + Tensor([1.0, 2.0]), [v])
    with pytest.raises(ValueError, match=r"grad_output has shape \(3,\), output has shape \(1,\)"):
        grad(v * 2.0, [v], grad_output=np.ones(3))
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Tensor, got ndarray"):
        grad(v.sum(), [v, np.ones(1)])
    np.testing.assert_array_equal(grad(Tensor([1.0]).sum(), [v])[0], [0.0])   # no input needs a gradient


def test_graph_view_reads_the_recorded_graph():
    from mtl_edu.engine.autodiff import graph_nodes

    x = Tensor([1.0, -2.0], requires_grad=True)
    y = x ** 2
    out = (y * 3.0).sum()
    assert x.is_leaf and x.parents == () and x.op == ""
    assert y.parents == (x,) and y.op == "pow 2.0" and not y.is_leaf
    nodes = graph_nodes(out)
    assert nodes[0] is x and nodes[-1] is out and y in nodes
    assert graph_nodes(out, stop_at=[y])[0] is y                      # nothing below y
    (local,) = y.local_gradients(np.ones(2))
    np.testing.assert_array_equal(local, 2 * x.data)                 # d(x²)/dx, one chain-rule step
    assert x.grad is None                                            # nothing accumulated
    with pytest.raises(ValueError, match="this tensor is a leaf"):
        x.local_gradients(np.ones(2))
    out.backward()
    assert y.graph_freed and y.parents == () and not x.graph_freed


def test_no_module_outside_the_engine_touches_a_tensors_private_attributes():
    import re
    from pathlib import Path

    package = Path(mtl_edu.__file__).parent
    private = re.compile(r"\.(_parents|_backward|_retains_grad|_op|_topological_order|_result)\b|_freed_backward")
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() == "engine/autodiff.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if private.search(line.replace("self._backward", "")):      # a class's own method of that name is its own
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert not offenders, "outside mtl_edu/engine/autodiff.py:\n" + "\n".join(offenders)


# ---- dtypes --------------------------------------------------------------------------------------

def test_conversion_rules():
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(3).dtype == np.float64
    assert Tensor(np.array([True, False])).dtype == np.float64
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        Tensor(np.array(["a"]))


def test_float32_stays_float32_end_to_end():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 4)).astype(np.float32))
    W = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(3, np.float32), requires_grad=True)
    h = (x @ W + b).tanh()
    h = F.gelu(h) + F.softplus(h) + F.leaky_relu(h) + h.sigmoid() * 2.5 - np.ones(3)  # float64 constant
    loss = F.mse_loss(h, rng.standard_normal((8, 3))) + F.cross_entropy(h, np.arange(8) % 3)
    loss = loss + F.binary_cross_entropy_with_logits(h, np.ones((8, 3))) + (h**2).mean().sqrt()
    assert loss.dtype == np.float32
    loss.backward()
    assert W.grad.dtype == np.float32 and b.grad.dtype == np.float32


# ---- messages ------------------------------------------------------------------------------------

def test_matmul_message_names_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not align \(4 != 5\)"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))


def test_broadcast_message_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        Tensor(np.ones((3, 4))) + np.ones(5)
    with pytest.raises(ValueError, match=r"mul: shapes \(2,\) and \(3,\)"):
        Tensor(np.ones(2)) * Tensor(np.ones(3))


def test_backward_on_non_scalar_needs_grad():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        (x * 2).backward()


def test_loss_messages():
    logits = Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes, got values from 0 to 3"):
        F.cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"pred has shape \(4, 1\) but target has shape \(4,\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(3)), np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape shape \(2, 3\)"):
        Tensor(np.zeros((2, 3))).reshape(4, 2)


# ---- gradcheck itself ----------------------------------------------------------------------------

def test_gradcheck_catches_a_wrong_backward():
    def wrong_square(t):
        out = Tensor.from_op(t.data**2, (t,), lambda g: (g * t.data,), "wrong")  # missing factor 2
        return out

    result = gradcheck(wrong_square, arrays((3,), 0))
    assert result.max_error > 0.1
    assert "wrong" in mtl_edu.error_band(result.max_error)
    assert not result.passed()


def test_error_bands():
    assert mtl_edu.error_band(1e-9).startswith("excellent")
    assert mtl_edu.error_band(1e-5).startswith("fine")
    assert mtl_edu.error_band(1e-3).startswith("suspicious")
    assert mtl_edu.error_band(0.5).startswith("wrong")


def test_retain_grad_keeps_an_intermediate_gradient():
    x = Tensor([1.0, -2.0], requires_grad=True)
    hidden = (x * 3).retain_grad()
    other = x * 5
    (hidden * hidden + other).sum().backward()
    np.testing.assert_allclose(hidden.grad, 2 * hidden.data)
    assert other.grad is None
    np.testing.assert_allclose(x.grad, 18 * x.data + 5)


def test_bce_and_softplus_gradients_are_exact_at_zero():
    # Zero initialisation puts every logit at exactly 0, where a relu/abs formulation breaks.
    logits = Tensor(np.zeros(4), requires_grad=True)
    targets = np.array([0.0, 1.0, 1.0, 0.25])
    F.binary_cross_entropy_with_logits(logits, targets).backward()
    np.testing.assert_allclose(logits.grad, (0.5 - targets) / 4)
    x = Tensor(np.zeros(2), requires_grad=True)
    F.softplus(x).sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5])


def test_loss_lookup_by_name_and_its_messages():
    assert F.loss_function("mse") is F.mse_loss
    assert F.loss_function(F.cross_entropy) is F.cross_entropy
    with pytest.raises(ValueError, match=r"fit: unknown loss 'l1'; choose one of \['mse', 'cross_entropy', 'bce'\]"):
        F.loss_function("l1", "fit")
    with pytest.raises(TypeError, match="loss must be a name"):
        F.loss_function(3, "fit")
