# points: 2
import sys
import numpy as np
from mtl_edu.balancing import aggregators as _aggregators


def _refuse(*args, **kwargs):
    raise AssertionError("imtl_g_two called mtl_edu's own IMTL-G; the exercise asks you to write it yourself")


# While imtl_g_two runs, the package's IMTL-G (and Nash-MTL, the same two-task direction) refuses to run,
# by any name: names in this notebook and in the package's modules, and the table `aggregate` looks names up in.
_blocked = [getattr(_aggregators, _name) for _name in ("imtl_g", "imtl_g_weights", "nash_mtl", "aggregate",
                                                       "get_aggregator", "two_task_direction")]
_spaces = [globals(), _aggregators.AGGREGATORS] + [vars(_module) for _key, _module in list(sys.modules.items())
                                                    if _module is not None and _key.split(".")[0] == "mtl_edu"]
_swapped = [(_space, _name, _value) for _space in _spaces for _name, _value in list(_space.items())
            if any(_value is _f for _f in _blocked)]
try:
    for _space, _name, _value in _swapped:
        _space[_name] = _refuse
    _d1 = imtl_g_two(np.array([2.0, 0.0]), np.array([0.0, 1.0]))
    _d2 = imtl_g_two(np.array([1.0, 2.0, 2.0]), np.array([0.0, 0.0, -4.0]))
    _d3 = imtl_g_two(np.array([1.0, 0.0]), np.array([-3.0, 0.0]))
    _d4 = imtl_g_two(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
finally:
    for _space, _name, _value in _swapped:
        _space[_name] = _value
assert np.allclose(_d1, [2 / 3, 2 / 3], rtol=0, atol=1e-9), "imtl_g_two is wrong for g1 = (2, 0), g2 = (0, 1)"
assert np.allclose(_d2, [4 / 7, 8 / 7, -4 / 7], rtol=0, atol=1e-9), "imtl_g_two is wrong for g1 = (1, 2, 2), g2 = (0, 0, -4)"
assert np.allclose(_d3, [0.0, 0.0], rtol=0, atol=1e-9), "imtl_g_two should give 0 for exactly opposite gradients"
assert np.allclose(_d4, [1.0, 2.0], rtol=0, atol=1e-9), "imtl_g_two should follow the other gradient when one is zero"
