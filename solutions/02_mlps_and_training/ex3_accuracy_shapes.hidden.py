# points: 2
import numpy as np
from mtl_edu.nets import train as _train
_logits = np.array([[2.1], [-0.3], [0.2], [-1.4], [0.7], [0.4], [-0.2], [3.0], [-2.2], [0.05]])
_labels = np.array([1, 0, 0, 0, 1, 0, 1, 1, 1, 1])


def _refuse(*args, **kwargs):
    raise AssertionError("fixed_accuracy should compute the accuracy itself, not call mtl_edu's train.accuracy")


# While fixed_accuracy runs, mtl_edu's own accuracy refuses to run, by its module's name and the notebook's.
_originals = {"accuracy": _train.accuracy}
_aliases = {name: value for name, value in globals().items() if value is _originals["accuracy"]}
try:
    _train.accuracy = _refuse
    globals().update(dict.fromkeys(_aliases, _refuse))
    _mixed = fixed_accuracy(_logits, _labels)
    _all_right = fixed_accuracy(np.array([[1.5], [-0.5], [2.0], [-3.0]]), np.array([1, 0, 1, 0]))
finally:
    _train.accuracy = _originals["accuracy"]
    globals().update(_aliases)
assert abs(float(_mixed) - 0.6) < 1e-12, "fixed_accuracy: 6 of these 10 points are right"
assert abs(float(_all_right) - 1.0) < 1e-12, "fixed_accuracy: all 4 points right should give 1.0"
