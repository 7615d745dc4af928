# Reference solution: lesson 06, exercise 3 (predict, then measure). Commit your own prediction first.
def predicted_switch():
    """Your prediction: the λ at which the network switches from task B to task A, with task B's target × 2."""
    ### BEGIN SOLUTION
    # The switch is where the two ends have equal weighted loss. Doubling B's target makes B's squared
    # errors 4 times larger, so the odds λ/(1 − λ) at the switch grow 4-fold: 1.5 × 4 = 6, λ = 6/7 ≈ 0.86.
    return 0.86
    ### END SOLUTION
