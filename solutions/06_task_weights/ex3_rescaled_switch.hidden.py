# points: 1
import math
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_switch()
assert isinstance(_prediction, (int, float)) and not isinstance(_prediction, bool) and math.isfinite(_prediction) \
    and 0 < _prediction < 1, "predicted_switch() should return one number between 0 and 1"
