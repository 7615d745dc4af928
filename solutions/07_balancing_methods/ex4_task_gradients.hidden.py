# points: 2
import sys
import numpy as np
from mtl_edu import multitask as _multitask
_net = _multitask.HardSharingNet(3, [4, 3], [_multitask.Task("a", "regression"), _multitask.Task("b", "binary")],
                                 branch_depth=1, rng=5)
_X = np.linspace(-1, 1, 12).reshape(4, 3)
_targets = [np.array([0.5, -1.0, 2.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])]


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_task_gradients called mtl_edu's own task_gradients; the exercise asks you to fix "
                         "the hand-written version")


def _call():  # the package's task_gradients refuses to run, by any name, while the learner's function does
    blocked = (_multitask.task_gradients, _multitask.per_task_gradients)
    spaces = [globals()] + [vars(module) for key, module in list(sys.modules.items())
                            if module is not None and key.split(".")[0] == "mtl_edu"]
    swapped = [(space, name, value) for space in spaces for name, value in list(space.items())
               if any(value is f for f in blocked)]
    try:
        for space, name, value in swapped:
            space[name] = _refuse
        return np.asarray(fixed_task_gradients(_net, _X, _targets, _net.tasks), dtype=float)
    finally:
        for space, name, value in swapped:
            space[name] = value


_G = _call()
assert _G.shape == (2, 16), "G should have one row per task and one column per shared parameter entry"
assert np.allclose(np.linalg.norm(_G, axis=1), [0.50992958, 0.1524608], rtol=1e-6, atol=0), \
    "the rows of G are not the two tasks' own gradients"
assert np.allclose(_G[:, :3], [[-0.05863964, -0.09421296, -0.04603484], [-0.03234413, 0.06176646, -0.04980031]],
                   rtol=1e-6, atol=1e-9), "the rows of G are not the two tasks' own gradients"
assert np.allclose(_call(), _G, rtol=1e-9, atol=1e-12), "a second call on the same network gives a different G"
for _p in _net.parameters():  # an earlier backward pass leaves gradients behind in every .grad
    (_p * _p).sum().backward()
assert np.allclose(_call(), _G, rtol=1e-9, atol=1e-12), \
    "after another backward pass had left gradients in .grad, G comes out different"
