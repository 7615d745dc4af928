# Reference solution: lesson 09, exercise 2 (debug). Try the exercise before you read on.
def fixed_noisy_copies(clean, n_tasks, noise, seed):
    """(n_tasks, n) training targets: noisy observations of the clean values (n,), each task with its own noise."""
    ### BEGIN SOLUTION
    # The bug: a generator made from the same seed inside the loop starts the same sequence for every task, so
    # all tasks got identical noise and the extra tasks added nothing to average. Make it once.
    generator = np.random.default_rng(seed)
    draws = generator.standard_normal((n_tasks,) + np.shape(clean))  # row t: task t's own noise
    return clean + noise * draws
    ### END SOLUTION


check_noisy_copies(fixed_noisy_copies)
