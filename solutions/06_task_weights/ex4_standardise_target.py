# Reference solution: lesson 06, exercise 4 (debug). Try the exercise before you read on.
def fixed_standardise_target(train_values, test_values):
    """z-scores of a regression target: (z_train, z_test, (mean, std)), with values = std · z + mean."""
    ### BEGIN SOLUTION
    train_values = np.asarray(train_values, dtype=float)
    mean, std = train_values.mean(), train_values.std()  # the training set's statistics only
    z_train = (train_values - mean) / std
    z_test = (np.asarray(test_values, dtype=float) - mean) / std
    return z_train, z_test, (mean, std)
    ### END SOLUTION


check_standardise_target(fixed_standardise_target)
