# points: 2
import numpy as np

_train, _test = np.array([1.0, 2.0, 3.0, 6.0]), np.array([10.0, 0.0])
_z_train, _z_test, (_mean, _std) = fixed_standardise_target(_train, _test)
assert abs(float(_mean) - 3.0) < 1e-9, "the mean should be the training set's"
assert min(abs(float(_std) - 1.8708286933869707), abs(float(_std) - 2.160246899469287)) < 1e-9, \
    "the standard deviation should be the training set's"
assert np.allclose(np.asarray(_z_test) * float(_std) + float(_mean), _test, rtol=0, atol=1e-9), \
    "z_test should convert back to the test values with the training mean and std"
assert np.allclose(np.asarray(_z_train) * float(_std) + float(_mean), _train, rtol=0, atol=1e-9), \
    "z_train should convert back to the training values"
_z_train_again, _, _ = fixed_standardise_target(_train, _test + 500.0)
assert np.allclose(_z_train_again, _z_train, rtol=0, atol=1e-12), "the training targets must not depend on the test set"
