# points: 1
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_steps()
assert not isinstance(_prediction, (bool, np.bool_)), "predicted_steps() should return a number, not True or False"
try:
    _prediction = float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    raise AssertionError("predicted_steps() should return one number") from None
assert np.isfinite(_prediction) and _prediction > 0, "predicted_steps() should return one positive number"
