# points: 1
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_gradient()
if isinstance(_prediction, np.ndarray) and _prediction.shape == (2,):
    _prediction = list(_prediction)
assert isinstance(_prediction, (tuple, list)) and len(_prediction) == 2, \
    "predicted_gradient() should return two numbers, (df_dx, df_dy)"
for _value in _prediction:
    assert not isinstance(_value, (bool, np.bool_)), "predicted_gradient() should return numbers, not True or False"
    try:
        _value = float(np.asarray(_value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        raise AssertionError("predicted_gradient() should return two numbers, (df_dx, df_dy)") from None
    assert np.isfinite(_value), "predicted_gradient() should return two finite numbers"
