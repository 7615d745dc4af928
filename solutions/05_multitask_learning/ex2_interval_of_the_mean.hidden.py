# points: 2
import math


def _close(got, expected):
    return len(got) == 2 and all(math.isclose(float(g), e, rel_tol=1e-6, abs_tol=1e-9) for g, e in zip(got, expected))


assert _close(fixed_interval_of_the_mean([1.0, 2.0, 4.0]), (-1.4612497002633815, 6.127916366930048)), \
    "the interval of three differences (Student's t with 2 degrees of freedom)"
assert _close(fixed_interval_of_the_mean([-50, -42, -62, -50, -27, -61, -23, -54, 73, -45]),
              (-62.54377162343971, -5.656228376560289)), "the interval of ten differences"
assert _close(fixed_interval_of_the_mean([0.5, -0.25, 1.0, 0.0, 0.75, 0.25]),
              (-0.1158285767450763, 0.8658285767450763)), "the interval of six differences"
