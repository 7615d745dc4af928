# points: 2
import sys

import numpy as np

from mtl_edu.data import datasets as _datasets


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_standardise_target should do the fix itself, not call mtl_edu's own standardize")


# The fix is the exercise: while it runs, the course's own standardisation refuses.
_forbidden = [_datasets.standardize]
_swapped = [(space, name, value) for space in [globals()] + [vars(m) for n, m in list(sys.modules.items())
                                                              if n.startswith("mtl_edu") and m is not None]
            for name, value in list(space.items()) if any(value is f for f in _forbidden)]
for _space, _name, _ in _swapped:
    _space[_name] = _refuse
try:
    _train, _test = np.array([1.0, 2.0, 3.0, 6.0]), np.array([10.0, 0.0])
    _z_train, _z_test, (_mean, _std) = fixed_standardise_target(_train, _test)
    _z_train_again, _, _ = fixed_standardise_target(_train, _test + 500.0)
finally:
    for _space, _name, _value in _swapped:
        _space[_name] = _value
assert abs(float(_mean) - 3.0) < 1e-9, "the mean should be the training set's"
assert min(abs(float(_std) - 1.8708286933869707), abs(float(_std) - 2.160246899469287)) < 1e-9, \
    "the standard deviation should be the training set's"
assert np.allclose(np.asarray(_z_test) * float(_std) + float(_mean), _test, rtol=0, atol=1e-9), \
    "z_test should convert back to the test values with the training mean and std"
assert np.allclose(np.asarray(_z_train) * float(_std) + float(_mean), _train, rtol=0, atol=1e-9), \
    "z_train should convert back to the training values"
assert np.allclose(_z_train_again, _z_train, rtol=0, atol=1e-12), "the training targets must not depend on the test set"
