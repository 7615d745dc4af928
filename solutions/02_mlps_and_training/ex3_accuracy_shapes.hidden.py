# points: 2
import numpy as np
_logits = np.array([[2.1], [-0.3], [0.2], [-1.4], [0.7], [0.4], [-0.2], [3.0], [-2.2], [0.05]])
_labels = np.array([1, 0, 0, 0, 1, 0, 1, 1, 1, 1])
assert abs(float(fixed_accuracy(_logits, _labels)) - 0.6) < 1e-12, "fixed_accuracy: 6 of these 10 points are right"
assert abs(float(fixed_accuracy(np.array([[1.5], [-0.5], [2.0], [-3.0]]), np.array([1, 0, 1, 0]))) - 1.0) < 1e-12, \
    "fixed_accuracy: all 4 points right should give 1.0"
