# points: 3
class _N:
    def __init__(self, name, *inputs):
        self.name, self.inputs, self.data, self.grad = name, inputs, 0.0, 0.0


_x = _N("x")
_out = _N("out", _N("q", _N("p", _x)), _x)  # x reaches out directly and through p and q
assert [node.name for node in topological_order(_out)] == ["x", "p", "q", "out"], \
    "a graph with a short and a long path from x: each node once, after all of its inputs"
assert [node.name for node in topological_order(_N("x·x", _x, _x))] == ["x", "x·x"], \
    "a node used twice by one operation must be listed once"
assert [node.name for node in topological_order(_x)] == ["x"], "a single node is its own order"
_h = _N("h0")
for _layer in range(1, 3001):
    _h = _N(f"h{_layer}", _h)
try:
    _chain = topological_order(_h)
except RecursionError:
    _chain = None
assert _chain is not None and [node.name for node in _chain] == [f"h{_layer}" for _layer in range(3001)], \
    "a chain of 3001 nodes, in order from h0 to h3000, without recursion"
