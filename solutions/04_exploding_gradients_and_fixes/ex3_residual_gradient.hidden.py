# points: 1
import math

import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Any real number form the measuring cell accepts will do.
_prediction = predicted_residual_ratio()
assert _prediction is not None and not isinstance(_prediction, (bool, np.bool_)), \
    "predicted_residual_ratio() should return one number"
try:
    _number = float(np.asarray(_prediction, dtype=float).reshape(()))
except (TypeError, ValueError):
    raise AssertionError("predicted_residual_ratio() should return one number") from None
assert math.isfinite(_number) and _number > 0, "predicted_residual_ratio() should return one positive number"
