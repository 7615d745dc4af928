# Reference solution: lesson 08, exercise 2 (build). Try the exercise before you read on.
def gradient_at_layer_one(weights, pre_activations, head_weight, output_gradient):
    """∂L/∂z_1 (N, width) sent down by a head that reads h_d = σ(z_d), d = len(weights)."""
    ### BEGIN SOLUTION
    def slope(z):  # σ'(z) = σ(z)(1 − σ(z))
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)

    delta = (output_gradient @ head_weight.T) * slope(pre_activations[-1])   # ∂L/∂z_d
    for layer in range(len(pre_activations) - 1, 0, -1):                    # z_d → … → z_1
        delta = (delta @ weights[layer].T) * slope(pre_activations[layer - 1])
    return delta
    ### END SOLUTION


check_gradient_at_layer_one(gradient_at_layer_one)
