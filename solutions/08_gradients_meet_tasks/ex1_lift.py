# Reference solution: lesson 08, exercise 1 (predict, then measure). Commit your own prediction first.
def predicted_lift():
    """Your prediction: ‖∂L/∂z₁‖ with the auxiliary head after layer 4, divided by ‖∂L/∂z₁‖ without it."""
    ### BEGIN SOLUTION
    # The main head's gradient crosses 8 more layers (5 to 12) than the auxiliary head's, and each shrinks
    # it by about the factor section 1 measured, 0.23 per layer: the auxiliary gradient arrives about
    # 0.23^-8 times larger, and below layer 4 both shrink alike.
    return 0.23 ** -8
    ### END SOLUTION
