# points: 2
import math
import sys

from mtl_edu.instruments import stats as _stats


def _close(got, expected):
    return len(got) == 2 and all(math.isclose(float(g), e, rel_tol=1e-6, abs_tol=1e-9) for g, e in zip(got, expected))


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_interval_of_the_mean should compute the interval, not call mtl_edu's own")


# The fix is the exercise: while it runs, the course's own intervals of a mean refuse.
_forbidden = [_stats.mean_interval, _stats.paired_interval]
_swapped = [(space, name, value) for space in [globals()] + [vars(m) for n, m in list(sys.modules.items())
                                                              if n.startswith("mtl_edu") and m is not None]
            for name, value in list(space.items()) if any(value is f for f in _forbidden)]
for _space, _name, _ in _swapped:
    _space[_name] = _refuse
try:
    assert _close(fixed_interval_of_the_mean([1.0, 2.0, 4.0]), (-1.4612497002633815, 6.127916366930048)), \
        "the interval of three differences (Student's t with 2 degrees of freedom)"
    assert _close(fixed_interval_of_the_mean([-50, -42, -62, -50, -27, -61, -23, -54, 73, -45]),
                  (-62.54377162343971, -5.656228376560289)), "the interval of ten differences"
    assert _close(fixed_interval_of_the_mean([0.5, -0.25, 1.0, 0.0, 0.75, 0.25]),
                  (-0.1158285767450763, 0.8658285767450763)), "the interval of six differences"
finally:
    for _space, _name, _value in _swapped:
        _space[_name] = _value
