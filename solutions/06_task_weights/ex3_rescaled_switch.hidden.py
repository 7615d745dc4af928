# points: 1
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Any real number form the measuring cell accepts counts.
_prediction = predicted_switch()
try:
    _value = None if _prediction is None or np.asarray(_prediction).dtype == bool \
        else float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    _value = None
assert _value is not None and np.isfinite(_value) and 0 < _value < 1, \
    "predicted_switch() should return one number between 0 and 1"
