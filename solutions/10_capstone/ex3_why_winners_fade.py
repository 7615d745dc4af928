# Reference solution: lesson 10, exercise 3 (choose). Try the exercise before you read on.
def validation_winners_answer():
    """Your answer, one letter: "a", "b", "c" or "d"."""
    ### BEGIN SOLUTION
    return "b"  # settings not picked fade too: the shared 66 validation penguins favoured sharing over STL
    ### END SOLUTION


check_validation_winners(validation_winners_answer)
