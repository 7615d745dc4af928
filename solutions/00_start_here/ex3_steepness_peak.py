# Reference solution: lesson 00, exercise 3 (choose). Answer from the explorer before you read on.
def steepness_peak_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "c"  # d/dx σ(a·x) = a·σ'(a·x) peaks at a/4
    ### END SOLUTION


check_steepness_peak(steepness_peak_answer)
