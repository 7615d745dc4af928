# Reference solution: lesson 05, exercise 2 (debug). Try the exercise before you read on.
def fixed_interval_of_the_mean(differences):
    """The 95 % interval (low, high) of the mean of n per-seed differences, differences: (n,)."""
    ### BEGIN SOLUTION
    values = np.asarray(differences, dtype=float)
    standard_error = values.std(ddof=1) / np.sqrt(values.size)  # how well n seeds pin the mean down
    half = t_quantile(0.975, values.size - 1) * standard_error
    return values.mean() - half, values.mean() + half
    ### END SOLUTION


check_interval_of_the_mean(fixed_interval_of_the_mean)
