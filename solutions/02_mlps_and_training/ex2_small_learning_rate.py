# Reference solution: lesson 02, exercise 2 (predict, then measure). Commit your own prediction first.
def predicted_steps():
    """Your prediction: after how many steps with lr = 0.05 the training loss first falls below 0.17."""
    ### BEGIN SOLUTION
    # Each step moves the weights by lr × gradient. A ten times smaller step covers the same path in about
    # ten times as many steps, and lr = 0.5 needed 292: about 2900.
    return 2900
    ### END SOLUTION
