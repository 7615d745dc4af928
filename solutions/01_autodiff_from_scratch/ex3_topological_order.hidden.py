# points: 3
import sys


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
# How deep the calls nest while the chain is sorted: a recursive sort goes about one level per node,
# even with a raised recursion limit; an explicit stack stays a few calls deep.
_depth = [0, 0]


def _profile(frame, event, arg):
    if event == "call":
        _depth[0] += 1
        _depth[1] = max(_depth)
    elif event == "return":
        _depth[0] -= 1


_previous_profile = sys.getprofile()
sys.setprofile(_profile)
try:
    _chain = topological_order(_h)
except RecursionError:
    _chain = None
finally:
    sys.setprofile(_previous_profile)
assert _chain is not None and [node.name for node in _chain] == [f"h{_layer}" for _layer in range(3001)], \
    "a chain of 3001 nodes, in order from h0 to h3000, without recursion"
assert _depth[1] <= 100, f"topological_order's calls nested {_depth[1]} deep on the chain: it recurses"
