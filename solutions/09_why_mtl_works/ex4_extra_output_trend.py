# Reference solution: lesson 09, exercise 4 (choose). Answer from the explorer before you read on.
def extra_output_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "a"  # MTL wins 8 to 10 of 10 seeds at every size; the gap shrinks from about 0.2 to 0.1
    ### END SOLUTION


check_extra_output_trend(extra_output_answer)
