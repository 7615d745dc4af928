"""Draw a small computation graph built from `Tensor` operations, with values and gradients on it.

Two steps, so the drawing takes plain data:

- `trace_computation_graph(output, names)` walks the graph that produced `output`, runs
  `output.backward()` once, and returns a `ComputationGraph`: every node's value and gradient,
  and for scalar graphs every edge's local derivative ∂child/∂parent.
- `plot_computation_graph(graph, title)` draws it with matplotlib: one box per node (formula,
  value, gradient), arrows in the direction of the forward pass, each labelled with its local
  derivative. The gradient of a node is the sum, over its outgoing arrows, of the gradient at the
  arrow's head times the arrow's label: the chain rule, readable off the picture.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..engine.autodiff import Tensor

__all__ = ["GraphNode", "GraphEdge", "ComputationGraph", "trace_computation_graph", "plot_computation_graph"]

# How each recorded op is written as a formula of its inputs' labels.
_FORMULAS = {
    "add": "{0} + {1}", "sub": "{0} − {1}", "mul": "{0} · {1}", "div": "{0} / {1}",
    "neg": "−{0}", "matmul": "{0} @ {1}", "sigmoid": "σ({0})", "tanh": "tanh({0})",
    "exp": "exp({0})", "log": "log({0})", "log1p": "log(1 + {0})", "sqrt": "√{0}",
    "abs": "|{0}|", "relu": "relu({0})", "sum": "sum({0})", "mean": "mean({0})",
    "max": "max({0})", "reshape": "reshape({0})", "transpose": "{0}ᵀ", "index": "{0}[…]",
}


@dataclass(frozen=True)
class GraphNode:
    """One node: `label` (a name given by the caller, or the op), `formula` (how it was computed),
    `value` and `grad` (arrays; grad None when no gradient reaches it), `kind`: "input" (a leaf
    with requires_grad), "constant" (a leaf without), "op" or "output"."""

    key: int
    label: str
    formula: str
    value: np.ndarray
    grad: np.ndarray | None
    kind: str


@dataclass(frozen=True)
class GraphEdge:
    """Arrow from an input (`source`) to the op that used it (`target`), keys of `GraphNode`s.

    `local_derivative` is ∂target/∂source for scalar graphs (None for arrays or constants).
    """

    source: int
    target: int
    local_derivative: float | None


@dataclass(frozen=True)
class ComputationGraph:
    """Nodes in topological order (every node after its inputs), output last; edges in use order."""

    nodes: list
    edges: list


def _exponent_of(node: Tensor) -> float | None:
    """The exponent of a `pow` node, which its op name carries ("pow 2.0")."""
    name, _, exponent = node.op.partition(" ")
    return float(exponent) if name == "pow" and exponent else None


def _operand(label: str) -> str:
    """A label as it appears inside a larger formula: bracketed when it is itself a formula."""
    return f"({label})" if " " in label else label


def _format_number(value: float) -> str:
    return f"{value:.3g}"


def _walk(output: Tensor) -> list:
    """Every tensor `output` depends on (constants included), inputs before the ops using them."""
    order, visited = [], set()
    stack = [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def trace_computation_graph(output: Tensor, names: dict | None = None, max_nodes: int = 40) -> ComputationGraph:
    """Record the graph behind `output`, back-propagate once, and return values and gradients.

    output: the Tensor at the end of the graph; if it holds more than one number, backward starts
        from a gradient of ones (the gradient of output.sum()).
    names: label -> Tensor for the nodes to name (inputs and any intermediate results); an
        unnamed op is shown by its formula, an unnamed constant by its value.
    max_nodes: larger graphs are refused (ValueError): they cannot be drawn legibly.
    This runs `output.backward()`, so afterwards the inputs' `.grad` hold the gradients (as after
    any backward) and the graph is freed. Call it on a freshly computed graph whose inputs have no
    gradient yet.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"trace_computation_graph: output must be a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise ValueError("trace_computation_graph: output does not depend on any input with requires_grad=True")
    label_of = {id(tensor): label for label, tensor in (names or {}).items()}
    nodes = _walk(output)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"trace_computation_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes} "
            "can be drawn legibly; draw a smaller piece of it"
        )
    for node in nodes:
        if node.graph_freed:
            raise ValueError(
                "trace_computation_graph: this graph was already back-propagated (and freed); "
                "compute the forward pass again, then trace it"
            )
        if not node.parents and node.requires_grad and node.grad is not None:
            name = label_of.get(id(node), "an input")
            raise ValueError(
                f"trace_computation_graph: {name} already holds a gradient, which backward would add to; "
                f"set its .grad = None first"
            )

    scalar_graph = all(node.size == 1 for node in nodes)
    edges = []
    for node in nodes:
        if not node.parents:
            continue
        locals_ = [None] * len(node.parents)
        if scalar_graph:
            # For scalars, the backward closure applied to a gradient of 1 gives ∂node/∂input.
            for i, local in enumerate(node.local_gradients(np.ones_like(node.data))):
                if local is not None and node.parents[i].requires_grad:
                    locals_[i] = float(np.asarray(local).reshape(()))
        for parent, local in zip(node.parents, locals_):
            edges.append(GraphEdge(source=id(parent), target=id(node), local_derivative=local))

    # Labels and formulas first: backward frees each node's link to its inputs.
    labels, described = {}, []
    for node in nodes:
        key = id(node)
        if key in label_of:
            label = label_of[key]
        elif not node.parents:
            label = _format_number(node.data.item()) if node.size == 1 else f"const {node.shape}"
        else:
            label = None  # an unnamed op is shown by its formula
        labels[key] = label
        if not node.parents:
            formula, kind = label, ("input" if node.requires_grad else "constant")
        else:
            parent_labels = [_operand(labels[id(p)]) for p in node.parents]
            if node.op.partition(" ")[0] == "pow":
                exponent = _exponent_of(node)
                power = {2.0: "²", 3.0: "³"}.get(exponent, "^?" if exponent is None else f"^{exponent:g}")
                expression = f"{parent_labels[0]}{power}"
            else:
                generic = node.op + "(" + ", ".join("{%d}" % i for i in range(len(parent_labels))) + ")"
                expression = _FORMULAS.get(node.op, generic).format(*parent_labels)
            if label is None:
                label = labels[key] = expression
                formula = expression
            else:
                formula = f"{label} = {expression}"
            kind = "output" if node is output else "op"
        described.append((label, formula, kind))

    for node in nodes:
        if node.parents and node.requires_grad:
            node.retain_grad()
    output.backward(np.ones_like(output.data))

    records = [
        GraphNode(id(node), label, formula, np.array(node.data, copy=True),
                  None if node.grad is None else np.array(node.grad, copy=True), kind)
        for node, (label, formula, kind) in zip(nodes, described)
    ]
    return ComputationGraph(nodes=records, edges=edges)


# ---- drawing -------------------------------------------------------------------------------------

_FACE = {"input": "#d6e6f5", "constant": "#eeeeee", "op": "#ffffff", "output": "#fde3c8"}
_BOX_WIDTH, _BOX_HEIGHT = 0.68, 0.66


def _layout(graph: ComputationGraph) -> dict:
    """Column and row of every node: ops by their longest path from the inputs, inputs just left
    of their first use, rows by the mean row of a node's inputs (few crossing arrows)."""
    parents = {node.key: [] for node in graph.nodes}
    children = {node.key: [] for node in graph.nodes}
    for edge in graph.edges:
        parents[edge.target].append(edge.source)
        children[edge.source].append(edge.target)
    column = {}
    for node in graph.nodes:  # topological order: inputs first
        column[node.key] = 1 + max((column[p] for p in parents[node.key]), default=-1)
    for node in reversed(graph.nodes):  # move each input next to its first use
        if not parents[node.key] and children[node.key]:
            column[node.key] = min(column[c] for c in children[node.key]) - 1
    n_columns = max(column.values()) + 1

    row = {}
    for c in range(n_columns):
        members = [n.key for n in graph.nodes if column[n.key] == c]
        wanted = {k: float(np.mean([row[p] for p in parents[k]])) for k in members if parents[k]}
        for key in members:
            if not parents[key]:
                # An input: sit just below the other inputs of the op it feeds.
                siblings = [wanted.get(p, row.get(p)) for child in children[key] for p in parents[child]]
                siblings = [s for s in siblings if s is not None]
                wanted[key] = max(siblings) + 1.0 if siblings else 0.0
        ordered = sorted(members, key=lambda k: (wanted[k], members.index(k)))
        previous = -np.inf
        for key in ordered:
            row[key] = max(wanted[key], previous + 1.0)
            previous = row[key]
    return {key: (column[key], row[key]) for key in column}


def _describe(array: np.ndarray | None) -> str:
    if array is None:
        return "—"
    if array.size == 1:
        return _format_number(float(array.reshape(())))
    return f"array {array.shape}"


def plot_computation_graph(graph: ComputationGraph, title: str = "Computation graph",
                           show_gradients: bool = True, column_width_in: float = 1.6) -> Figure:
    """Boxes for nodes (formula, value, gradient), arrows for the forward pass with local derivatives.

    show_gradients=False draws only the forward pass (values), e.g. for an exercise.
    """
    positions = _layout(graph)
    n_columns = 1 + max(c for c, _ in positions.values())
    rows = [r for _, r in positions.values()]
    top, bottom = min(rows), max(rows)
    figsize = (max(4.0, column_width_in * n_columns + 0.3), 1.1 * (bottom - top + 1.35) + 0.5)
    # Made by pyplot and closed at once (as in `plots`): Jupyter shows it once, pyplot keeps no reference.
    fig = plt.figure(figsize=figsize, dpi=80)
    plt.close(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.9))
    ax.set_xlim(-0.5, n_columns - 0.5)
    arcs_over_top = any(positions[e.target][0] - positions[e.source][0] > 1 for e in graph.edges)
    ax.set_ylim(bottom + 0.6, top - (1.0 if arcs_over_top else 0.7))  # rows grow downwards
    ax.axis("off")
    fig.suptitle(title, fontsize=11, y=0.97)

    for node in graph.nodes:
        x, y = positions[node.key]
        ax.add_patch(FancyBboxPatch(
            (x - _BOX_WIDTH / 2, y - _BOX_HEIGHT / 2), _BOX_WIDTH, _BOX_HEIGHT,
            boxstyle="round,pad=0.0,rounding_size=0.06", facecolor=_FACE[node.kind], edgecolor="0.3",
            linewidth=1.6 if node.kind == "output" else 1.0,
        ))
        lines = [node.formula, f"value {_describe(node.value)}"]
        if show_gradients:
            lines.append("no gradient" if node.kind == "constant" else f"grad {_describe(node.grad)}")
        title_size = 9 if len(lines[0]) <= 14 else (8 if len(lines[0]) <= 19 else 7)
        ax.text(x, y - _BOX_HEIGHT / 2 + 0.1, lines[0], ha="center", va="top", fontsize=title_size, fontweight="bold")
        ax.text(x, y + 0.02, "\n".join(lines[1:]), ha="center", va="center" if len(lines) > 2 else "top",
                fontsize=8.5, linespacing=1.3)

    pair_counts = {}
    for edge in graph.edges:
        pair_counts[(edge.source, edge.target)] = pair_counts.get((edge.source, edge.target), 0) + 1
    drawn = {}
    to_display, to_data = ax.transData.transform, ax.transData.inverted().transform
    for edge in graph.edges:
        (x0, y0), (x1, y1) = positions[edge.source], positions[edge.target]
        pair = (edge.source, edge.target)
        repeat = drawn.get(pair, 0)
        drawn[pair] = repeat + 1
        start, end = (x0 + _BOX_WIDTH / 2, y0), (x1 - _BOX_WIDTH / 2, y1)
        if pair_counts[pair] > 1:  # an input used twice by one op (x · x): two arcs, one each side
            bend = 0.45 if repeat % 2 else -0.45
        elif x1 - x0 > 1:  # skips a column: from top edge to top edge, arcing over the boxes between
            start, end = (x0 + _BOX_WIDTH / 4, y0 - _BOX_HEIGHT / 2), (x1 - _BOX_WIDTH / 4, y1 - _BOX_HEIGHT / 2)
            bend = -0.3
        else:
            bend = 0.0
        flows = edge.local_derivative is not None
        ax.annotate(
            "", xy=end, xytext=start,
            arrowprops=dict(arrowstyle="-|>", color="0.2" if flows else "0.6", linewidth=1.0,
                            linestyle="-" if flows else "--", shrinkA=0, shrinkB=0,
                            connectionstyle=f"arc3,rad={bend}"),
        )
        if show_gradients and flows:
            # The label sits on the arc's midpoint; arc3 bends in display coordinates.
            (u0, v0), (u1, v1) = to_display(start), to_display(end)
            middle = (0.5 * (u0 + u1) + 0.5 * bend * (v1 - v0), 0.5 * (v0 + v1) - 0.5 * bend * (u1 - u0))
            label_x, label_y = to_data(middle)
            ax.text(label_x, label_y, f"×{_format_number(edge.local_derivative)}", ha="center", va="center",
                    fontsize=7.5, color="0.15",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))
    return fig
