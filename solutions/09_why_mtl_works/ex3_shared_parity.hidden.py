# points: 2
import itertools
import numpy as np
_X = np.array(list(itertools.product([0, 1], repeat=8)), dtype=float)  # every pattern of b0..b7 once
_b = _X.astype(int)
_parity = _b[:, 1:6].sum(axis=1) % 2  # parity(b1..b5), the shared feature
_cases = [
    (_b[:, 0] | _parity, True, "b0 OR parity(b1..b5)"),
    (_b[:, 6] ^ _parity, True, "b6 XOR parity(b1..b5)"),
    (_b[:, 0] | (_b[:, 3:8].sum(axis=1) % 2), False, "b0 OR parity(b3..b7)"),
    (_b[:, 0] & (_b[:, 1:5].sum(axis=1) % 2), False, "b0 AND parity(b1..b4)"),
    (_b[:, 6].copy(), False, "b6 alone"),
]
for _labels, _expected, _name in _cases:
    _answer = uses_shared_parity(_X.copy(), _labels, [1, 2, 3, 4, 5])
    assert isinstance(_answer, (bool, np.bool_)), f"uses_shared_parity should return True or False, got {_answer!r}"
    assert bool(_answer) == _expected, f"uses_shared_parity is wrong for {_name}"
