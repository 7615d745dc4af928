# Reference solution: lesson 07, exercise 1 (build). Try the exercise before you read on.
def imtl_g_two(g1, g2):
    """IMTL-G's update d for two gradient vectors g1, g2 of shape (P,)."""
    ### BEGIN SOLUTION
    # d = α g1 + (1 − α) g2 points along u1 + u2 = g1/‖g1‖ + g2/‖g2‖ exactly when α/(1 − α) = ‖g2‖/‖g1‖:
    # each gradient is weighted by the OTHER one's length, which takes the lengths out of the direction.
    length_1, length_2 = np.linalg.norm(g1), np.linalg.norm(g2)
    if length_1 == 0 or length_2 == 0:  # a task without a gradient has no direction: follow the other
        return (g1 + g2).astype(float)
    return (length_2 * g1 + length_1 * g2) / (length_1 + length_2)
    ### END SOLUTION


check_imtl_g_two_tasks(imtl_g_two)
