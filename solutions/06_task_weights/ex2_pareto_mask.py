# Reference solution: lesson 06, exercise 2 (build). Try the exercise before you read on.
def pareto_mask(points):
    ### BEGIN SOLUTION
    points = np.asarray(points, dtype=float)
    keep = np.ones(len(points), dtype=bool)
    for i, point in enumerate(points):
        no_worse = np.all(points <= point, axis=1)  # every point at least as good as this one on both tasks
        better = np.any(points < point, axis=1)  # ... and strictly better on one
        keep[i] = not np.any(no_worse & better)
    return keep
    ### END SOLUTION


check_pareto_mask(pareto_mask)
