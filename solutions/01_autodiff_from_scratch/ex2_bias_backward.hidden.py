# points: 2
import numpy as np
from mtl_edu import Tensor
# Weights r on the output make the gradient reaching X + b equal r: b's gradient is r summed over the rows.
for _rows, _expected_b in ((4, [18.0, 22.0, 26.0]), (3, [9.0, 12.0, 15.0])):
    _r = np.arange(3.0 * _rows).reshape(_rows, 3)
    _X = Tensor(np.ones((_rows, 3)), requires_grad=True)
    _b = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    _out = fixed_add_bias(_X, _b)
    assert np.allclose(_out.data, np.ones((_rows, 3)) + [0.5, -1.0, 2.0]), "fixed_add_bias: the value should be X + b"
    # the exercise is the op's own backward: mtl_edu's X + b (op "add") would bring the engine's instead
    assert _out.op != "add" and len(_out.parents) == 2 and _out.parents[0] is _X and _out.parents[1] is _b, \
        "fixed_add_bias should build its result with Tensor.from_op(..., (X, b), backward, ...), not return X + b"
    (_out * _r).sum().backward()
    assert _b.grad is not None and np.shape(_b.grad) == (3,), f"b's gradient should have b's shape (3,) for a batch of {_rows}"
    assert np.allclose(_b.grad, _expected_b), f"b's gradient is wrong for a batch of shape ({_rows}, 3)"
    assert np.allclose(_X.grad, _r), "X's gradient should be the incoming gradient, unchanged"
