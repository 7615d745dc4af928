# Reference solution: lesson 08, exercise 3 (choose). Answer from the explorer before you read on.
def attach_depth_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "d"  # only a low head learns in 200 steps; the main task stays on log 2 at every depth
    ### END SOLUTION


check_attach_depth_under_sgd(attach_depth_answer)
