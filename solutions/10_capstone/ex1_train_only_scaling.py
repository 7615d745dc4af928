# Reference solution: lesson 10, exercise 1 (debug). Try the exercise before you read on.
def fixed_standardise(X_train, X_val, X_test):
    """The three parts with the measurements (columns 0-2) standardised; the island columns 3-5 stay 0/1."""
    ### BEGIN SOLUTION
    # The bug: the mean and std came from all three parts stacked, so the validation and test rows shaped the
    # preprocessing (a leak), and the training rows, the only ones the network learns from, missed the centre.
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
