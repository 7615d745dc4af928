# Reference solution: lesson 04, exercise 4 (choose). Answer from the explorer before you read on.
def half_the_depth_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "d"  # one factor of about 4 per layer: half the layers, half the decades
    ### END SOLUTION


check_half_the_depth(half_the_depth_answer)
