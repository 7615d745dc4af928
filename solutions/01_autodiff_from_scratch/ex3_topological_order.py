# Reference solution: lesson 01, exercise 3 (build). Try the exercise before you read on.
def topological_order(root):
    """Every node root depends on (through .inputs), each once and after all of its inputs; root last."""
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]  # (node, have its inputs been pushed already?)
    while stack:
        node, inputs_pushed = stack.pop()
        if inputs_pushed:
            order.append(node)  # its inputs were all above it on the stack, so they are in `order` already
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))  # come back to this node once its inputs are done
            stack.extend((parent, False) for parent in node.inputs)
    return order  # root was pushed first, so it comes out last
    ### END SOLUTION


check_topological_order(topological_order)
