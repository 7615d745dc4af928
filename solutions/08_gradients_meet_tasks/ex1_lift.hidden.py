# points: 1
import math
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Any real number form counts (a Python or NumPy number, a
# 0-d array, a one-element list), as in the measuring cell; a lift is a ratio of two norms, so positive.
_prediction = predicted_lift()
assert _prediction is not None and not isinstance(_prediction, (bool, np.bool_)), \
    "predicted_lift() should return a number, not None or a bool"
try:
    _value = float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    _value = math.nan
assert math.isfinite(_value) and _value > 0, "predicted_lift() should return one positive, finite number"
