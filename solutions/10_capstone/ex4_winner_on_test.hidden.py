# points: 1
import math
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Its form is what the measuring cell accepts: one real
# number (a Python or NumPy number, a 0-d array or a one-element list), not True/False, None or NaN.
_prediction = predicted_test_delta_m()
assert _prediction is not None and np.asarray(_prediction).dtype != bool, "predicted_test_delta_m() should return one number"
try:
    _value = float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    raise AssertionError("predicted_test_delta_m() should return one number") from None
assert math.isfinite(_value), "predicted_test_delta_m() should return one finite number"
