# Reference solution: lesson 02, exercise 1 (build). Try the exercise before you read on.
def mlp_forward(X, W1, b1, W2, b2):
    """Logits of nn.MLP([2, 8, 1], activation="tanh"): X (N, 2), W1 (2, 8), b1 (8,), W2 (8, 1), b2 (1,) -> (N, 1)."""
    ### BEGIN SOLUTION
    hidden = (X @ W1 + b1).tanh()  # (N, 8); b1 is broadcast over the batch
    return hidden @ W2 + b2  # (N, 1): no activation on the output, the logits stay raw scores
    ### END SOLUTION


check_mlp_forward(mlp_forward)
