# Reference solution: lesson 04, exercise 1 (debug). Try the exercise before you read on.
def fixed_clip_gradients(params, max_norm):
    """clip_gradients with its bug fixed: clip by the norm of all the gradients together; return it."""
    ### BEGIN SOLUTION
    joint = float(np.sqrt(sum(np.sum(param.grad ** 2) for param in params)))  # one norm for all of them
    if joint > max_norm:
        for param in params:
            param.grad = param.grad * (max_norm / joint)  # one common factor keeps the update's direction
    return joint
    ### END SOLUTION


check_clip_gradients(fixed_clip_gradients)
