# points: 2
import numpy as np
_weights = [np.array([[0.5, -1.0, 0.3], [0.8, 0.2, -0.6]]),
            np.array([[1.0, 0.5, -0.5], [-0.4, 0.9, 0.1], [0.3, -0.7, 1.2]])]
_pre_activations = [np.array([[0.2, -0.5, 1.0], [-1.5, 0.3, 0.0]]), np.array([[0.7, -0.2, 0.4], [0.1, 1.1, -0.9]])]
_head_weight = np.array([[1.5], [-2.0], [0.5]])
_output_gradient = np.array([[1.0], [-0.5]])
assert np.allclose(gradient_at_layer_one(_weights, _pre_activations, _head_weight, _output_gradient),
                   [[0.00618483, -0.13314006, 0.1160896], [-0.01009118, 0.05825642, -0.06222965]],
                   rtol=1e-6, atol=1e-9), "gradient_at_layer_one is wrong for a head after layer 2"
assert np.allclose(gradient_at_layer_one(_weights[:1], _pre_activations[:1], _head_weight, _output_gradient),
                   (_output_gradient @ _head_weight.T) * np.array([[0.24751657, 0.23500371, 0.19661193],
                                                                    [0.14914645, 0.24445831, 0.25]]),
                   rtol=1e-6, atol=1e-9), "gradient_at_layer_one is wrong for a head after layer 1"
