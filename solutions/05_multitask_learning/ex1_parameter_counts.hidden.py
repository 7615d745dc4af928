# points: 2
def _pair(value):
    return tuple(int(round(float(v))) for v in value)


assert _pair(count_parameters(10, [2, 2], 2, 1)) == (22, 18), "count_parameters(10, [2, 2], 2, 1)"
assert _pair(count_parameters(3, [5, 5], 3, 0)) == (0, 168), "count_parameters(3, [5, 5], 3, 0): nothing shared"
assert _pair(count_parameters(6, [8, 4, 3], 4, 2)) == (92, 76), "count_parameters(6, [8, 4, 3], 4, 2)"
assert _pair(count_parameters(7, [3, 3, 3], 2, 3)) == (48, 8), "count_parameters(7, [3, 3, 3], 2, 3): every hidden layer shared"
