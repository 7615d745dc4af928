# Reference solution: lesson 02, exercise 3 (debug). Find the bug yourself before you read on.
def fixed_accuracy(logits, y):
    """The fraction of points whose predicted class equals the label; logits: (n, 1), y: (n,) in {0, 1}."""
    ### BEGIN SOLUTION
    predicted = (logits[:, 0] > 0).astype(int)  # shape (n,) like y, so the comparison goes point by point
    return float((predicted == y).mean())
    ### END SOLUTION


check_fixed_accuracy(fixed_accuracy)
