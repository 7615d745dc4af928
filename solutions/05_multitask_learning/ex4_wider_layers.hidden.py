# points: 1
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Any real number form the measuring cell accepts counts.
_prediction = predicted_delta_m()
try:
    _value = None if _prediction is None or np.asarray(_prediction).dtype == bool \
        else float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    _value = None
assert _value is not None and np.isfinite(_value), "predicted_delta_m() should return one finite number"
