# Reference solution: lesson 10, exercise 2 (choose). Answer from the explorer before you read on.
def gradnorm_weights_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "c"  # sex keeps the largest L/L(0) and has the smallest trunk gradient: both raise its weight
    ### END SOLUTION


check_gradnorm_weights(gradnorm_weights_answer)
