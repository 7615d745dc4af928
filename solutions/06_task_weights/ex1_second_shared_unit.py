# Reference solution: lesson 06, exercise 1 (choose). Answer from the explorer before you read on.
def second_shared_unit_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "c"  # one unit per direction: no weight has to sacrifice either task
    ### END SOLUTION


check_second_shared_unit(second_shared_unit_answer)
