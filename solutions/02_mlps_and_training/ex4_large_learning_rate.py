# Reference solution: lesson 02, exercise 4 (choose). Answer from the explorer before you read on.
def large_learning_rate_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "a"  # dead ReLU units: below zero for every point, they pass no gradient and never recover
    ### END SOLUTION


check_large_learning_rate(large_learning_rate_answer)
