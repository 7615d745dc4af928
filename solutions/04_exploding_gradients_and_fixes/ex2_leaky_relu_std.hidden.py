# points: 2
assert abs(float(leaky_relu_std(64, 0.0)) - 0.176776695296637) < 1e-9, "slope 0 is a ReLU: wrong std at fan_in 64"
assert abs(float(leaky_relu_std(100, 0.5)) - 0.126491106406735) < 1e-9, "wrong std at fan_in 100, slope 0.5"
assert abs(float(leaky_relu_std(10, 1.0)) - 0.316227766016838) < 1e-9, "slope 1 is no activation: wrong std at fan_in 10"
