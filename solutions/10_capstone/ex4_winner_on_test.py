# Reference solution: lesson 10, exercise 4 (predict, then measure). Commit your own prediction first.
def predicted_test_delta_m():
    """Your prediction: RLW at branch depth 1, its test Δm% (mean over the ten seeds, lower is better), one number."""
    ### BEGIN SOLUTION
    # It was singled out by its validation score, so part of its −1.8 is likely luck; of the four depth-2
    # winners in section 5's table three fell back to no difference on test. Expect it nearer zero.
    return -0.5
    ### END SOLUTION
