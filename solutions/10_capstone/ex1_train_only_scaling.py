# Reference solution: lesson 10, exercise 1 (debug). Try the exercise before you read on.
def fixed_standardise(X_train, X_val, X_test):
    """The three parts with the measurements (columns 0-2) standardised; the island columns 3-5 stay 0/1."""
    ### BEGIN SOLUTION
    # The bug: rescale() took each part's own mean and std, so the held-out rows were scaled with their own
    # statistics (a leak, and a shift the network never sees in training). Take the training rows' once.
    train_mean = X_train[:, :3].mean(axis=0)
    train_std = X_train[:, :3].std(axis=0)
    fixed_parts = []
    for part in (X_train, X_val, X_test):
        fixed_part = part.copy()  # the caller's arrays stay as they were
        fixed_part[:, :3] = (part[:, :3] - train_mean) / train_std
        fixed_parts.append(fixed_part)
    return tuple(fixed_parts)
    ### END SOLUTION


check_train_only_standardisation(fixed_standardise)
