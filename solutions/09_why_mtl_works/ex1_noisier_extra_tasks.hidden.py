# points: 1
import math
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_prediction = predicted_extra_task_errors()
assert len(_prediction) == 2 and all(isinstance(_v, (int, float)) and math.isfinite(_v) and _v >= 0
                                     for _v in _prediction), \
    "predicted_extra_task_errors() should return two numbers >= 0"
