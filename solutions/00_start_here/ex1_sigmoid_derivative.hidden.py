# points: 2
import numpy as np
assert np.allclose(sigmoid_derivative(np.array([-3.0, 0.0, 2.0])), [0.045176659730912, 0.25, 0.104993585403507],
                   rtol=0, atol=1e-9), "sigmoid_derivative is wrong at x = -3, 0 or 2"
assert abs(float(sigmoid_derivative(0.0)) - 0.25) < 1e-9, "sigmoid_derivative(0.0) should work on a single number"
