# Reference solution: lesson 03, exercise 1 (debug). Try the exercise before you read on.
def fixed_layer_gradients(weights, pre_activations, output_grad):
    """layer_gradients with its bug fixed: [∂L/∂z_1, ..., ∂L/∂z_{L+1}], layer 1 first."""
    ### BEGIN SOLUTION
    deltas = [output_grad]  # ∂L/∂z_{L+1}
    for W_above, z_l in zip(weights[:0:-1], pre_activations[::-1]):
        sigma = 1 / (1 + np.exp(-z_l))
        # σ'(z) = σ(z)(1 − σ(z)) is written with the sigmoid's output σ(z); the bug put its input z there
        deltas.insert(0, (deltas[0] @ W_above.T) * sigma * (1 - sigma))
    return deltas
    ### END SOLUTION


check_layer_gradients(fixed_layer_gradients)
