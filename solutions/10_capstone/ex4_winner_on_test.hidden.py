# points: 1
import math
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_test_delta_m()
assert isinstance(_prediction, (int, float)) and math.isfinite(_prediction), \
    "predicted_test_delta_m() should return one number"
