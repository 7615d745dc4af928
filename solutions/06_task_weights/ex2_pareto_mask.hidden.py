# points: 2
import sys

import numpy as np

from mtl_edu.lessons import lesson06 as _lesson06


def _refuse(*args, **kwargs):
    raise AssertionError("pareto_mask should find the front itself, not call the checker's own mask")


# The mask is the exercise: while it runs, the checker's own mask refuses.
_forbidden = [_lesson06._reference_pareto_mask]
_swapped = [(space, name, value) for space in [globals()] + [vars(m) for n, m in list(sys.modules.items())
                                                              if n.startswith("mtl_edu") and m is not None]
            for name, value in list(space.items()) if any(value is f for f in _forbidden)]
for _space, _name, _ in _swapped:
    _space[_name] = _refuse
try:
    _points = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 4.0], [4.0, 1.0], [2.0, 3.0]])
    assert [bool(v) for v in pareto_mask(_points)] == [True, True, False, True, True], \
        "duplicates: an identical point does not dominate, a point worse on both does"
    assert [bool(v) for v in pareto_mask(np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 1.0]]))] == [True, False, True], \
        "a tie on one task and worse on the other is dominated"
    assert [bool(v) for v in pareto_mask(np.array([[0.5, 0.5]]))] == [True], "a single point is on the front"
    assert [bool(v) for v in pareto_mask(np.array([[3.0, 3.0], [1.0, 1.0], [2.0, 2.0], [0.5, 4.0]]))] == \
        [False, True, False, True], "lower is better on both tasks"
finally:
    for _space, _name, _value in _swapped:
        _space[_name] = _value
