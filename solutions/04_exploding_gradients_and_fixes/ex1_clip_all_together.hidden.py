# points: 2
import sys

import numpy as np
from mtl_edu.nets import optim as _optim

# mtl_edu's own clip_grad_norm refuses to run while these tests call fixed_clip_gradients: the exercise asks
# for that part. Every name bound to it (here and in mtl_edu's modules) is swapped, then restored.
_library = [_optim.clip_grad_norm]  # in a list, so that swapping names never touches it


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_clip_gradients called mtl_edu's own clip_grad_norm; write that part yourself")


_namespaces = [globals()] + [vars(module) for key, module in list(sys.modules.items())
                             if module is not None and key.split(".")[0] == "mtl_edu"]
_swapped = [(namespace, name) for namespace in _namespaces for name, value in list(namespace.items())
            if value is _library[0]]
for _namespace, _name in _swapped:
    _namespace[_name] = _refuse
try:
    _a, _b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    _a.grad, _b.grad = np.array([3.0, 0.0]), np.array([0.0, 4.0])
    _norm = fixed_clip_gradients([_a, _b], 1.0)
    assert _norm is not None and abs(float(_norm) - 5.0) < 1e-9, \
        "fixed_clip_gradients should return the joint norm before clipping"
    assert np.allclose(_a.grad, [0.6, 0.0], rtol=0, atol=1e-12) and np.allclose(_b.grad, [0.0, 0.8], rtol=0, atol=1e-12), \
        "gradients with joint norm 5 and max_norm 1 should all be scaled by 1/5"
    _short = [Tensor(np.zeros(1), requires_grad=True) for _ in range(4)]
    for _p in _short:
        _p.grad = np.array([0.6])
    fixed_clip_gradients(_short, 1.0)
    assert all(np.allclose(_p.grad, [0.5], rtol=0, atol=1e-12) for _p in _short), \
        "four gradients of 0.6 each (joint norm 1.2) should be clipped together, to 0.5 each"
    _c = Tensor(np.zeros(2), requires_grad=True)
    _c.grad = np.array([0.3, 0.4])
    fixed_clip_gradients([_c], 1.0)
    assert np.allclose(_c.grad, [0.3, 0.4], rtol=0, atol=1e-12), "a gradient shorter than max_norm should stay as it is"
finally:
    for _namespace, _name in _swapped:
        _namespace[_name] = _library[0]
