# Reference solution: lesson 01, exercise 4 (choose). Answer from the explorer before you read on.
def kink_steps_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "d"  # on one side of the kink the function is a straight line: no truncation error at all
    ### END SOLUTION


check_kink_steps(kink_steps_answer)
