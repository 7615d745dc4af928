# Reference solution: lesson 08, exercise 4 (debug). Try the exercise before you read on.
def fixed_joint_loss(trunk, main_head, aux_head, X, y, attach_depth, aux_weight):
    """L_main + aux_weight · L_aux: main_head reads the trunk's top layer, aux_head its output after layer attach_depth."""
    ### BEGIN SOLUTION
    h = trunk.forward_trace(X).activations  # h[k - 1] is the trunk's output after layer k
    main_loss = F.cross_entropy(main_head(h[-1]), y)
    # The head must read the trunk's own Tensor: one rebuilt from its .data has no history, backward
    # stops there, and no auxiliary gradient reaches the trunk.
    aux_loss = F.cross_entropy(aux_head(h[attach_depth - 1]), y)
    return main_loss + aux_loss * aux_weight
    ### END SOLUTION


check_joint_loss(fixed_joint_loss)
