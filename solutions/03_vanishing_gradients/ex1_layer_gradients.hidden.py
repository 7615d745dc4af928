# points: 2
import numpy as np
_one = fixed_layer_gradients([np.eye(2), np.array([[1.0], [-2.0]])], [np.array([[0.0, 2.0]])], np.array([[1.0]]))
assert len(_one) == 2, "fixed_layer_gradients should return one array per layer, layer 1 first"
assert np.allclose(_one[0], [[0.25, -0.209987170807013]], rtol=0, atol=1e-9), \
    "∂L/∂z_1 is wrong for one hidden layer: is the slope σ(z)(1 − σ(z))?"
assert np.allclose(_one[1], [[1.0]], rtol=0, atol=1e-12), "the last entry should be output_grad itself"
_W = [np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]]), np.array([[1.0, 0.0], [-1.0, 1.0], [2.0, 0.5]]),
      np.array([[1.5], [-0.5]])]
_z = [np.array([[0.5, -1.0, 3.0], [0.0, 2.0, -2.0]]), np.array([[1.0, -0.5], [-3.0, 0.25]])]
_two = fixed_layer_gradients(_W, _z, np.array([[1.0], [-2.0]]))
assert len(_two) == 3, "fixed_layer_gradients should return one array per layer, layer 1 first"
assert np.allclose(_two[1], [[0.294917899862223, -0.117501856100797],
                            [-0.135529979192736, 0.246134082737598]], rtol=0, atol=1e-9), \
    "∂L/∂z_2 is wrong for two hidden layers of unequal widths"
assert np.allclose(_two[0], [[0.0693068012623205, -0.0810866455268695, 0.0239926405358535],
                            [-0.0338824947981841, 0.0400722782817318, -0.0155383069719042]], rtol=0, atol=1e-9), \
    "∂L/∂z_1 is wrong for two hidden layers of unequal widths"
