# points: 2
import sys
import numpy as np
# Three training rows whose measurements have mean (2, 12, 110) and std (ddof 0) √(2/3)·(1, 2, 10); one
# validation row three of those stds (ddof 0: √6) or two (ddof 1) above the mean; one test row at the mean.
_train = np.array([[1.0, 10.0, 100.0, 1, 0, 0], [2.0, 12.0, 110.0, 0, 1, 0], [3.0, 14.0, 120.0, 0, 0, 1]])
_val = np.array([[4.0, 16.0, 130.0, 0, 1, 0]])
_test = np.array([[2.0, 12.0, 110.0, 0, 0, 1]])
_given = [_train.copy(), _val.copy(), _test.copy()]


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_standardise called mtl_edu's own standardize; write the scaling yourself")


# The package's standardize refuses to run while the learner's function does, under every name it has.
_real = sys.modules["mtl_edu.data.datasets"].standardize
# Each swapped name keeps its own value to restore (`_real` itself is one of the names swapped here).
_swapped = [(vars(_m), _k, _v) for _n, _m in list(sys.modules.items()) if _m is not None and _n.startswith("mtl_edu")
            for _k, _v in list(vars(_m).items()) if _v is _real]
_swapped += [(globals(), _k, _v) for _k, _v in list(globals().items()) if _v is _real]
for _namespace, _k, _ in _swapped:
    _namespace[_k] = _refuse
try:
    _parts = [np.asarray(_p, dtype=float) for _p in fixed_standardise(*_given)]
finally:
    for _namespace, _k, _v in _swapped:
        _namespace[_k] = _v
assert all(np.array_equal(_a, _b) for _a, _b in zip(_given, (_train, _val, _test))), \
    "fixed_standardise should not change the arrays it is given"
assert np.allclose(_parts[0][:, :3].mean(axis=0), 0.0), "the training rows should come out with mean 0"
assert np.allclose(_parts[1][0, :3], 6 ** 0.5) or np.allclose(_parts[1][0, :3], 2.0), \
    "the validation row should be scaled with the training rows' mean and std"
assert np.allclose(_parts[2][0, :3], 0.0), "the test row at the training mean should come out as 0"
assert all(np.array_equal(_p[:, 3:], _g[:, 3:]) for _p, _g in zip(_parts, (_train, _val, _test))), \
    "the island columns 3-5 should stay as they are"
