# Reference solution: lesson 03, exercise 2 (predict, then measure). Commit your own prediction first.
def predicted_gradient_ratio():
    """Your prediction: ‖∂L/∂z_1‖ / ‖∂L/∂z_31‖ through 30 sigmoid layers at gain 2, as one number (e.g. 1e-5)."""
    ### BEGIN SOLUTION
    # The bound allows ¼‖W_l‖₂ ≈ 1 per layer, but it is a ceiling: the five-layer net at gain 1 fell to
    # 0.000674, about 0.23 per layer, roughly ¼ × 1 (a full slope, and a random gradient kept at its length).
    # Doubled weights keep twice as much of a random gradient, and spread z wider, so the average slope
    # drops a little below what it was: say 0.21 × 2 ≈ 0.42 per layer. Thirty layers of that:
    return 0.42 ** 30
    ### END SOLUTION
