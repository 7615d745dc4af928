# Reference solution: lesson 04, exercise 3 (predict, then measure). Commit your own prediction first.
def predicted_residual_ratio():
    """Your prediction: ‖∂L/∂z_1‖ / ‖∂L/∂z_out‖ of 16 residual ReLU blocks with He init, as one number."""
    ### BEGIN SOLUTION
    # With He init a branch is as large as its input, so each block adds as much as it passes on:
    # Var doubles per block, the norm grows by √2 on the way up and the gradient by √2 on the way down.
    return 2 ** (16 / 2)
    ### END SOLUTION
