# Reference solution: lesson 07, exercise 2 (predict, then measure). Commit your own prediction first.
def predicted_stoppers():
    """Your prediction: the set of method names whose update d is zero at this Pareto point."""
    ### BEGIN SOLUTION
    # Opposite gradients: the segment between them passes through 0 (MGDA); projecting each off the
    # other removes all of it (PCGrad); opposite unit vectors add up to 0, and IMTL-G and Nash-MTL both
    # point along u1 + u2. The mean, CAGrad (close to the mean), GradDrop (the mean on average) and
    # Aligned-MTL still see that one gradient is longer.
    return {"mgda", "pcgrad", "imtl_g", "nash_mtl"}
    ### END SOLUTION
