# Reference solution: lesson 00, exercise 1 (build). Try the exercise before you read on.
def sigmoid_derivative(x):
    ### BEGIN SOLUTION
    s = 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
    return s * (1 - s)
    ### END SOLUTION


check_sigmoid_derivative(sigmoid_derivative)
