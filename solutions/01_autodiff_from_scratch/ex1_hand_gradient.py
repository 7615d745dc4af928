# Reference solution: lesson 01, exercise 1 (predict, then measure). Commit your own prediction first.
def predicted_gradient():
    """Your prediction, worked out by hand: (∂f/∂x, ∂f/∂y) of f = (x·y + x)² at x = 3, y = −2."""
    ### BEGIN SOLUTION
    # From the top: v = x·y + x = −3, so ∂f/∂v = 2v = −6, and ∂f/∂u = ∂f/∂v · 1 = −6 (v = u + x).
    # x has two arrows: through u it gets ∂f/∂u · y = 12, straight into v it gets ∂f/∂v · 1 = −6;
    # the chain rule adds them. y has one arrow, through u: ∂f/∂u · x = −18.
    return 12.0 - 6.0, -18.0
    ### END SOLUTION
