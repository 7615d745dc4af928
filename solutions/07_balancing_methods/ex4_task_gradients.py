# Reference solution: lesson 07, exercise 4 (debug). Try the exercise before you read on.
def fixed_task_gradients(net, X, targets, tasks):
    """G (T, P): row t is the gradient of task t's loss alone on the shared parameters of `net`."""
    ### BEGIN SOLUTION
    G = []
    for task_output, task_target, task in zip(net(X), targets, tasks):
        net.zero_grad()  # backward() adds into .grad: clear what the previous task (or step) left there
        multitask.task_loss(task, task_output, task_target).backward(retain_graph=True)
        G.append(np.concatenate([p.grad.ravel() for p in net.shared_parameters()]))
    return np.stack(G)
    ### END SOLUTION


check_task_gradients(fixed_task_gradients)
