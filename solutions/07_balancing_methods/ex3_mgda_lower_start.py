# Reference solution: lesson 07, exercise 3 (choose). Answer from the explorer before you read on.
def mgda_lower_start_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "b"  # g2 is short there and partly aligned with g1: the min-norm point is g2 itself
    ### END SOLUTION


check_mgda_lower_start(mgda_lower_start_answer)
