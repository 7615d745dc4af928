# points: 1
import math
import numpy as np
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict. Its form is what the measuring cell accepts: two real
# numbers >= 0 (Python or NumPy numbers, 0-d arrays or one-element lists), not True/False, None or NaN.
_prediction = predicted_extra_task_errors()
assert not isinstance(_prediction, (str, bytes)) and hasattr(_prediction, "__len__") and len(_prediction) == 2, \
    "predicted_extra_task_errors() should return two numbers"
_values = []
for _v in _prediction:
    assert _v is not None and np.asarray(_v).dtype != bool, "predicted_extra_task_errors() should return two numbers"
    try:
        _values.append(float(np.asarray(_v, dtype=float).reshape(())))
    except (TypeError, ValueError):
        raise AssertionError("predicted_extra_task_errors() should return two numbers") from None
assert all(math.isfinite(_v) and _v >= 0 for _v in _values), \
    "predicted_extra_task_errors() should return two finite numbers >= 0"
