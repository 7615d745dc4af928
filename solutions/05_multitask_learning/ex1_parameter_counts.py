# Reference solution: lesson 05, exercise 1 (build). Try the exercise before you read on.
def count_parameters(n_in, hidden_sizes, n_tasks, branch_depth):
    ### BEGIN SOLUTION
    sizes = [n_in] + list(hidden_sizes) + [1]  # the input, the hidden layers, one output per task
    per_layer = [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]  # weights and biases of each Linear
    return sum(per_layer[:branch_depth]), n_tasks * sum(per_layer[branch_depth:])
    ### END SOLUTION


check_sharing_parameter_counts(count_parameters)
