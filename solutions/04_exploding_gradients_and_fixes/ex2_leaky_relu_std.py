# Reference solution: lesson 04, exercise 2 (build). Try the exercise before you read on.
def leaky_relu_std(fan_in, slope):
    """The std of N(0, std²) weights that keeps the second moment of a leaky-ReLU net constant through depth."""
    ### BEGIN SOLUTION
    # E[a²] = ½E[z²] (positive half) + ½·slope²·E[z²] (negative half) = (1 + slope²)/2 · E[z²],
    # so the layer keeps E[z²] when fan_in · std² · (1 + slope²)/2 = 1
    return np.sqrt(2.0 / ((1.0 + slope**2) * fan_in))
    ### END SOLUTION


check_leaky_relu_std(leaky_relu_std)
