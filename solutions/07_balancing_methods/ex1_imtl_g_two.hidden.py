# points: 2
import numpy as np
assert np.allclose(imtl_g_two(np.array([2.0, 0.0]), np.array([0.0, 1.0])), [2 / 3, 2 / 3], rtol=0, atol=1e-9), \
    "imtl_g_two is wrong for g1 = (2, 0), g2 = (0, 1)"
assert np.allclose(imtl_g_two(np.array([1.0, 2.0, 2.0]), np.array([0.0, 0.0, -4.0])), [4 / 7, 8 / 7, -4 / 7],
                   rtol=0, atol=1e-9), "imtl_g_two is wrong for g1 = (1, 2, 2), g2 = (0, 0, -4)"
assert np.allclose(imtl_g_two(np.array([1.0, 0.0]), np.array([-3.0, 0.0])), [0.0, 0.0], rtol=0, atol=1e-9), \
    "imtl_g_two should give 0 for exactly opposite gradients"
assert np.allclose(imtl_g_two(np.array([0.0, 0.0]), np.array([1.0, 2.0])), [1.0, 2.0], rtol=0, atol=1e-9), \
    "imtl_g_two should follow the other gradient when one is zero"
