# Reference solution: lesson 09, exercise 3 (build). Try the exercise before you read on.
def uses_shared_parity(X, labels, parity_bits):
    """True or False: whether a task's labels (256,) on the bit patterns X (256, 8) are a function of
    parity(X[:, parity_bits]) and the other bits, and do depend on that parity."""
    ### BEGIN SOLUTION
    bits = X.astype(int)
    parity = bits[:, parity_bits].sum(axis=1) % 2
    others = [b for b in range(bits.shape[1]) if b not in parity_bits]
    table = {}  # (parity, other bits) -> label
    for key, label in zip(zip(parity, map(tuple, bits[:, others])), labels):
        if table.setdefault(key, label) != label:
            return False  # the label needs more than the parity and the other bits
    return any(table[(0, rest)] != table[(1, rest)] for p, rest in table if p == 0 and (1, rest) in table)
    ### END SOLUTION


check_uses_shared_parity(uses_shared_parity)
