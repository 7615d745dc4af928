# Reference solution: lesson 08, exercise 1 (predict, then measure). Commit your own prediction first.
def predicted_lift():
    """Your prediction: ‖∂L/∂z₁‖ with the auxiliary head after layer 6 of the 16-layer trunk, divided by ‖∂L/∂z₁‖
    without it."""
    ### BEGIN SOLUTION
    # The main head's gradient crosses 10 more layers (7 to 16) than the auxiliary head's, and each shrinks
    # it by about the factor section 1 measured, 0.23 per layer: the auxiliary gradient arrives about
    # 0.23^-10 times larger, and below layer 6 both shrink alike.
    return 0.23 ** -10
    ### END SOLUTION
