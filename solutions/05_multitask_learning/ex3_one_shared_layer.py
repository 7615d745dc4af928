# Reference solution: lesson 05, exercise 3 (choose). Answer from the explorer before you read on.
def one_shared_layer_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "a"  # the first layer reads the inputs, and that is where unrelated tasks disagree
    ### END SOLUTION


check_one_shared_layer(one_shared_layer_answer)
