# points: 1
import math
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_gradient()
assert isinstance(_prediction, (tuple, list)) and len(_prediction) == 2, \
    "predicted_gradient() should return two numbers, (df_dx, df_dy)"
assert all(isinstance(_value, (int, float)) and math.isfinite(_value) for _value in _prediction), \
    "predicted_gradient() should return two finite numbers"
