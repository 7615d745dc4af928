# Reference solution: lesson 05, exercise 4 (predict, then measure). Commit your own prediction first.
def predicted_delta_m():
    """Your prediction: the mean Δm% over the 10 seeds with 4 units per hidden layer, as one number."""
    ### BEGIN SOLUTION
    # With 4 units the shared layers have room for both tasks' directions, so the competition behind the
    # +100 goes away; the separate networks, wider, fit more noise of 240 examples. About 0, perhaps below.
    return -10.0
    ### END SOLUTION
