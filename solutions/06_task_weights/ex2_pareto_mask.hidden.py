# points: 2
import numpy as np

_points = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 4.0], [4.0, 1.0], [2.0, 3.0]])
assert [bool(v) for v in pareto_mask(_points)] == [True, True, False, True, True], \
    "duplicates: an identical point does not dominate, a point worse on both does"
assert [bool(v) for v in pareto_mask(np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 1.0]]))] == [True, False, True], \
    "a tie on one task and worse on the other is dominated"
assert [bool(v) for v in pareto_mask(np.array([[0.5, 0.5]]))] == [True], "a single point is on the front"
assert [bool(v) for v in pareto_mask(np.array([[3.0, 3.0], [1.0, 1.0], [2.0, 2.0], [0.5, 4.0]]))] == \
    [False, True, False, True], "lower is better on both tasks"
