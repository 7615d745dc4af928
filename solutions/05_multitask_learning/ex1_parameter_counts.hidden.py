# points: 2
import sys

from mtl_edu.nets import multitask as _multitask, nn as _nn


def _pair(value):
    return tuple(int(round(float(v))) for v in value)


def _refuse(*args, **kwargs):
    raise AssertionError("count_parameters should count from the layer sizes, not build mtl_edu's networks or layers")


# The count is the exercise: while it runs, mtl_edu's networks and layers (which list their own parameters) refuse.
_forbidden = [_multitask.HardSharingNet, _multitask.SoftSharingNet, _multitask.DeepSupervisionNet, _nn.MLP, _nn.Linear]
_swapped = [(space, name, value) for space in [globals()] + [vars(m) for n, m in list(sys.modules.items())
                                                              if n.startswith("mtl_edu") and m is not None]
            for name, value in list(space.items()) if any(value is f for f in _forbidden)]
for _space, _name, _ in _swapped:
    _space[_name] = _refuse
try:
    assert _pair(count_parameters(10, [2, 2], 2, 1)) == (22, 18), "count_parameters(10, [2, 2], 2, 1)"
    assert _pair(count_parameters(3, [5, 5], 3, 0)) == (0, 168), "count_parameters(3, [5, 5], 3, 0): nothing shared"
    assert _pair(count_parameters(6, [8, 4, 3], 4, 2)) == (92, 76), "count_parameters(6, [8, 4, 3], 4, 2)"
    assert _pair(count_parameters(7, [3, 3, 3], 2, 3)) == (48, 8), \
        "count_parameters(7, [3, 3, 3], 2, 3): every hidden layer shared"
finally:
    for _space, _name, _value in _swapped:
        _space[_name] = _value
