# Reference solution: lesson 08, exercise 4 (debug). Try the exercise before you read on.
def fixed_joint_loss(net, X, y, attach_depth, aux_weight):
    """L_main + aux_weight · L_aux for a DeepSupervisionNet with one auxiliary head after layer attach_depth."""
    ### BEGIN SOLUTION
    h = net.trunk.forward_trace(X).activations  # h[k - 1] is the trunk's output after layer k
    main_loss = F.cross_entropy(net.main_head(h[-1]), y)
    # The head must read the trunk's own Tensor: one rebuilt from its .data has no history, backward
    # stops there, and no auxiliary gradient reaches the trunk.
    aux_loss = F.cross_entropy(net.aux_heads[0](h[attach_depth - 1]), y)
    return main_loss + aux_loss * aux_weight
    ### END SOLUTION


check_joint_loss(fixed_joint_loss)
