"""Multi-task networks, the weighted joint loss, per-task gradients and the Δm% score.

What lives here (one obvious place for each idea):

- **Tasks.** A :class:`Task` names a task and its kind: ``"regression"`` (MSE loss, RMSE metric),
  ``"binary"`` (one logit, binary cross-entropy, accuracy) or ``"multiclass"`` (C logits, softmax
  cross-entropy, accuracy). :func:`task_loss` and :func:`task_metric` are the only places that
  map a kind to its loss and its metric.
- **Sharing architectures.** :class:`HardSharingNet` (a shared trunk that branches into task
  towers at a movable depth; ``branch_depth=0`` is single-task learning with the same per-task
  capacity), :class:`SoftSharingNet` (one network per task, tied by an L2 penalty between
  corresponding layers) and :class:`DeepSupervisionNet` (auxiliary heads attached part-way up a
  deep trunk).
- **Joint loss and per-task gradients.** :func:`joint_loss` forms Σ wₜLₜ (+ L2);
  :func:`task_gradients` stacks each task's gradient on a list of parameters into G (T, P), the
  matrix every gradient aggregator (``mtl_edu.balancing.aggregators``) works on.
- **Scoring.** :func:`delta_m` is the average relative change against single-task baselines
  (Δm%, Maninis et al. 2019), in the course's convention: lower is better (negative means better than STL).

References: Caruana 1997 (Machine Learning 28) for multi-task learning with a shared
representation; Ruder 2017 (arXiv 1706.05098) for hard vs soft parameter sharing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from ..engine import functional as F
from . import nn
from ..engine.autodiff import Tensor, grad, graph_nodes
from ..validation import generator, nonnegative_number, weight_vector

__all__ = [
    "TASK_KINDS", "Task", "make_tasks", "task_loss", "task_metric", "metric_name", "higher_is_better",
    "HardSharingNet", "SoftSharingNet", "DeepSupervisionNet", "MultiHeadTrace",
    "joint_loss", "graph_leaves", "per_task_gradients", "task_gradients", "flatten_grads",
    "assign_flat_grad", "delta_m",
]


# ---- tasks, their losses and metrics ------------------------------------------------------------

#: kind -> (metric name, higher is better)
TASK_KINDS = {
    "regression": ("rmse", False),
    "binary": ("accuracy", True),
    "multiclass": ("accuracy", True),
}


@dataclass(frozen=True)
class Task:
    """One task of a multi-task problem.

    name: a label for tables and plots. kind: "regression", "binary" or "multiclass".
    n_outputs: regression targets per example (>= 1); 1 for "binary" (a single logit);
    the number of classes C >= 2 for "multiclass" (C logits).
    """

    name: str
    kind: str
    n_outputs: int = 1

    def __post_init__(self):
        if self.kind not in TASK_KINDS:
            raise ValueError(f"Task {self.name!r}: kind must be one of {sorted(TASK_KINDS)}, got {self.kind!r}")
        if isinstance(self.n_outputs, bool) or not isinstance(self.n_outputs, (int, np.integer)):
            raise TypeError(f"Task {self.name!r}: n_outputs must be an int, got {self.n_outputs!r}")
        if self.kind == "binary" and self.n_outputs != 1:
            raise ValueError(
                f"Task {self.name!r}: a binary task has one output (a logit), got n_outputs={self.n_outputs}; "
                "use kind='multiclass' for softmax over several classes"
            )
        if self.kind == "multiclass" and self.n_outputs < 2:
            raise ValueError(f"Task {self.name!r}: a multiclass task needs n_outputs >= 2 classes, got {self.n_outputs}")
        if self.n_outputs < 1:
            raise ValueError(f"Task {self.name!r}: n_outputs must be >= 1, got {self.n_outputs}")


def make_tasks(task_outputs) -> list:
    """Normalise a task spec to a list of :class:`Task`.

    Accepts a list whose entries are Tasks, or ints (a regression task with that many outputs,
    named "task0", "task1", ...). Mixed lists are fine.
    """
    if isinstance(task_outputs, (int, np.integer, Task, str)):
        raise TypeError(
            f"task_outputs must be a list with one entry per task (ints or Task), got {task_outputs!r}"
        )
    tasks = []
    for index, entry in enumerate(task_outputs):
        if isinstance(entry, Task):
            tasks.append(entry)
        elif isinstance(entry, (int, np.integer)) and not isinstance(entry, bool):
            tasks.append(Task(f"task{index}", "regression", int(entry)))
        else:
            raise TypeError(f"task_outputs[{index}] must be an int or a Task, got {entry!r}")
    if not tasks:
        raise ValueError("task_outputs: give at least one task")
    return tasks


def _kind(kind) -> str:
    if isinstance(kind, Task):
        return kind.kind
    if kind not in TASK_KINDS:
        raise ValueError(f"task kind must be one of {sorted(TASK_KINDS)} (or a Task), got {kind!r}")
    return kind


def metric_name(kind) -> str:
    """"rmse" for regression, "accuracy" for binary and multiclass tasks."""
    return TASK_KINDS[_kind(kind)][0]


def higher_is_better(kind) -> bool:
    """Whether a larger value of the task's metric (:func:`task_metric`) is better."""
    return TASK_KINDS[_kind(kind)][1]


def _regression_target(pred_shape: tuple, target, where: str) -> np.ndarray:
    target = np.asarray(target.data if isinstance(target, Tensor) else target, dtype=np.float64)
    # A single-output task's targets often come as (N,); the head outputs (N, 1).
    if target.ndim == 1 and len(pred_shape) == 2 and pred_shape[1] == 1:
        target = target.reshape(-1, 1)
    if target.shape != pred_shape:
        raise ValueError(f"{where}: regression prediction has shape {pred_shape} but target has shape {target.shape}")
    return target


def _labels(pred_shape: tuple, target, where: str) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != (pred_shape[0],):
        raise ValueError(f"{where}: labels must have shape ({pred_shape[0]},) to match predictions {pred_shape}, got {labels.shape}")
    return labels


def task_loss(kind, pred: Tensor, target, per_model: bool = False) -> Tensor:
    """The training loss of one task: a scalar Tensor.

    kind: "regression" (mean squared error), "binary" (binary cross-entropy on one logit) or
    "multiclass" (softmax cross-entropy), or a :class:`Task`.
    pred: (N, k) head output. target: regression (N, k) or (N,) when k = 1; binary (N,) in {0, 1};
    multiclass (N,) integer class indices.

    per_model=True: pred (S, N, k) from S models trained at once (a ModelBatch), target as above with
    a leading axis of the S models. Returns the S per-model losses (S,); their sum gives each model
    exactly the gradient of its own loss.
    """
    kind = _kind(kind)
    expected_ndim = 3 if per_model else 2
    if not isinstance(pred, Tensor) or pred.ndim != expected_ndim:
        shape = pred.shape if hasattr(pred, "shape") else type(pred).__name__
        layout = "(S, N, outputs)" if per_model else "(N, outputs)"
        raise ValueError(f"task_loss: pred must be a {expected_ndim}-D Tensor {layout}, got {shape}")
    if per_model:
        models, example_shape = pred.shape[0], pred.shape[1:]
        target = np.asarray(target.data if isinstance(target, Tensor) else target)
        if target.ndim == 0 or target.shape[0] != models:
            raise ValueError(f"task_loss: per_model targets need a leading axis of the {models} models, got shape "
                             f"{target.shape} (np.broadcast_to(target, ({models},) + target.shape) shares one)")
        if kind == "regression":
            if target.shape == pred.shape[:-1] and pred.shape[-1] == 1:
                target = target[..., None]  # one output per example: (S, N) targets for (S, N, 1) predictions
            if target.shape != pred.shape:
                raise ValueError(f"task_loss: regression predictions have shape {pred.shape} but targets have shape "
                                 f"{target.shape}")
            return F.mse_loss(pred, target, per_model=True)
        labels = np.stack([_labels(example_shape, t, "task_loss") for t in target])
        if kind == "binary":
            if pred.shape[2] != 1:
                raise ValueError(f"task_loss: a binary task needs one logit per example, got predictions of shape {pred.shape}")
            return F.binary_cross_entropy_with_logits(pred, labels[..., None], per_model=True)
        return F.cross_entropy(pred, labels, per_model=True)
    if kind == "regression":
        return F.mse_loss(pred, _regression_target(pred.shape, target, "task_loss"))
    labels = _labels(pred.shape, target, "task_loss")
    if kind == "binary":
        if pred.shape[1] != 1:
            raise ValueError(f"task_loss: a binary task needs one logit per example, got predictions of shape {pred.shape}")
        return F.binary_cross_entropy_with_logits(pred, labels.reshape(-1, 1))
    return F.cross_entropy(pred, labels)


def task_metric(kind, pred, target) -> float:
    """The evaluation metric of one task: RMSE for regression (lower is better), accuracy for
    binary (logit > 0 means class 1) and multiclass (arg-max) tasks (higher is better).

    pred: (N, k) Tensor or array; target as for :func:`task_loss`.
    """
    kind = _kind(kind)
    values = np.asarray(pred.data if isinstance(pred, Tensor) else pred, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"task_metric: pred must be 2-D (N, outputs), got shape {values.shape}")
    if kind == "regression":
        target = _regression_target(values.shape, target, "task_metric")
        return float(np.sqrt(np.mean((values - target) ** 2)))
    labels = _labels(values.shape, target, "task_metric")
    if kind == "binary":
        predicted = (values[:, 0] > 0).astype(np.int64)
    else:
        predicted = values.argmax(axis=1)
    return float(np.mean(predicted == labels))


# ---- architectures ---------------------------------------------------------------------------------

def _check_sizes(n_in, hidden_sizes, where: str) -> list:
    if isinstance(n_in, bool) or not isinstance(n_in, (int, np.integer)) or n_in < 1:
        raise ValueError(f"{where}: n_in must be a positive int, got {n_in!r}")
    sizes = list(hidden_sizes)
    bad = [s for s in sizes if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1]
    if bad:
        raise ValueError(f"{where}: hidden sizes must be positive ints, got {sizes}")
    return [int(s) for s in sizes]


def _input_tensor(x, n_in: int, where: str) -> Tensor:
    """x (N, n_in) as a Tensor; (S, N, n_in) also passes, one batch per model of a ModelBatch."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))
    if x.ndim not in (2, 3) or x.shape[-1] != n_in:
        raise ValueError(f"{where}: input must have shape (N, {n_in}), got {x.shape}")
    return x


class MultiHeadTrace(NamedTuple):
    """A forward pass of a network with a shared trunk and several heads (``forward_trace``).

    outputs: list of T Tensors, one per head (task order; for DeepSupervisionNet the main head
        first, then one per attach depth in ``attach_depths`` order).
    pre_activations: the trunk's z_l (N, width_l), one per trunk layer, bottom to top.
    activations: the trunk's h_l (N, width_l), one per trunk layer, bottom to top; the last is the
        shared representation. Call ``.retain_grad()`` on any of them before backward to read the
        gradient reaching that layer.
    """

    outputs: list
    pre_activations: list
    activations: list


class HardSharingNet(nn.Module):
    """Hard parameter sharing with a movable branch point (Caruana 1997; Ruder 2017, Section 3).

    Layout for ``hidden_sizes = [h1, ..., hL]`` and ``branch_depth = b``:

        x -> [shared trunk: hidden layers 1..b] -> z (the shared representation)
          -> for each task t: [task tower: hidden layers b+1..L] -> output layer (n_outputs_t)

    - ``branch_depth = 0``: no shared layer, T separate networks (single-task learning, STL).
      Each task's path has exactly the same layers as in any other branch depth, so STL and MTL
      compare on identical per-task capacity.
    - ``branch_depth = L``: everything is shared except each task's output layer.

    n_in: input width. hidden_sizes: widths of the L hidden layers. task_outputs: a list with one
    entry per task, a :class:`Task` or an int (a regression task with that many outputs).
    activation: a name from ``nn.ACTIVATIONS``. init: a name from ``mtl_edu.nets.init.INITS``.
    rng: numpy Generator or int seed (weights are drawn trunk first, then task by task).

    ``forward(x)`` returns a list of T Tensors (N, n_outputs_t); ``forward_with_representation``
    also returns z (N, h_b) (x itself when branch_depth = 0). Output layers are linear: logits
    for classification tasks, see :func:`task_loss`.
    """

    def __init__(self, n_in: int, hidden_sizes: Sequence[int], task_outputs, branch_depth: int,
                 activation: str = "tanh", init: str = "xavier_normal", rng=0, gain: float = 1.0):
        super().__init__()
        where = "HardSharingNet"
        hidden = _check_sizes(n_in, hidden_sizes, where)
        if isinstance(branch_depth, bool) or not isinstance(branch_depth, (int, np.integer)) \
                or not 0 <= branch_depth <= len(hidden):
            raise ValueError(
                f"{where}: branch_depth must be an int from 0 (separate networks) to "
                f"{len(hidden)} (= len(hidden_sizes), only output layers task-specific), got {branch_depth!r}"
            )
        rng = generator(rng, where)
        self.tasks = make_tasks(task_outputs)
        self.n_in = int(n_in)
        self.hidden_sizes = hidden
        self.branch_depth = int(branch_depth)
        self.activation = activation
        shared_sizes = [self.n_in] + hidden[: self.branch_depth]
        # A trunk of only hidden layers: final_activation keeps its top layer non-linear.
        self.trunk = (
            nn.MLP(shared_sizes, activation=activation, init=init, gain=gain, rng=rng, final_activation=True)
            if self.branch_depth > 0 else None
        )
        tower_in = shared_sizes[-1]
        self.towers = [
            nn.MLP([tower_in] + hidden[self.branch_depth:] + [task.n_outputs], activation=activation,
                   init=init, gain=gain, rng=rng)
            for task in self.tasks
        ]

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    def forward_with_representation(self, x):
        """(z, outputs): z (N, width at the branch point) the shared representation, outputs a list
        of T Tensors (N, n_outputs_t). Gradient aggregation on z is the "-UB" variant of
        Sener & Koltun 2018."""
        x = _input_tensor(x, self.n_in, "HardSharingNet.forward")
        z = self.trunk(x) if self.trunk is not None else x
        return z, [tower(z) for tower in self.towers]

    def forward(self, x):
        return self.forward_with_representation(x)[1]

    def forward_trace(self, x) -> MultiHeadTrace:
        """The forward pass keeping the shared trunk's per-layer z_l and h_l (empty lists when
        branch_depth = 0), for the gradient-flow probes."""
        x = _input_tensor(x, self.n_in, "HardSharingNet.forward")
        if self.trunk is None:
            return MultiHeadTrace(outputs=[tower(x) for tower in self.towers], pre_activations=[], activations=[])
        trace = self.trunk.forward_trace(x)
        z = trace.activations[-1]
        return MultiHeadTrace(outputs=[tower(z) for tower in self.towers],
                              pre_activations=list(trace.pre_activations), activations=list(trace.activations))

    def shared_parameters(self) -> list:
        """Parameters of the shared trunk (empty when branch_depth = 0)."""
        return self.trunk.parameters() if self.trunk is not None else []

    def task_parameters(self) -> list:
        """One list per task: the parameters of its tower and output layer."""
        return [tower.parameters() for tower in self.towers]


class SoftSharingNet(nn.Module):
    """Soft parameter sharing: one network per task, hidden layers pulled together by an L2 penalty.

    Duong, Cohn, Bird & Cook 2015 (ACL, "Low resource dependency parsing: cross-lingual parameter
    sharing in a neural network parser") regularise the distance between two task models'
    parameters; Ruder 2017 (arXiv 1706.05098, Section 3) calls this soft parameter sharing.

    Every task t has its own MLP [n_in, h1, ..., hL, n_outputs_t]. The penalty

        P = λ Σ_{a<b} Σ_{l=1..L} ||W_l^a − W_l^b||²      (+ the same on biases if include_bias)

    runs over every pair of tasks and every hidden layer (output layers differ in width, so
    they are not tied). λ → ∞ forces identical hidden layers (hard sharing of the whole trunk),
    λ = 0 gives independent networks. Add ``l2_penalty()`` to the joint loss.
    """

    def __init__(self, n_in: int, hidden_sizes: Sequence[int], task_outputs, penalty_weight: float = 0.0,
                 activation: str = "tanh", init: str = "xavier_normal", rng=0, gain: float = 1.0,
                 include_bias: bool = False):
        super().__init__()
        where = "SoftSharingNet"
        hidden = _check_sizes(n_in, hidden_sizes, where)
        if not hidden:
            raise ValueError(f"{where}: needs at least one hidden layer to tie, got hidden_sizes={hidden}")
        if not np.isfinite(penalty_weight) or penalty_weight < 0:
            raise ValueError(f"{where}: penalty_weight must be a finite number >= 0, got {penalty_weight!r}")
        rng = generator(rng, where)
        self.tasks = make_tasks(task_outputs)
        self.n_in = int(n_in)
        self.hidden_sizes = hidden
        self.penalty_weight = float(penalty_weight)
        self.include_bias = bool(include_bias)
        self.networks = [
            nn.MLP([self.n_in] + hidden + [task.n_outputs], activation=activation, init=init, gain=gain, rng=rng)
            for task in self.tasks
        ]

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    def forward(self, x):
        x = _input_tensor(x, self.n_in, "SoftSharingNet.forward")
        return [network(x) for network in self.networks]

    def l2_penalty(self, weight=None) -> Tensor:
        """weight · Σ_{a<b} Σ_hidden layers ||W^a − W^b||² as a scalar Tensor (weight defaults to
        ``penalty_weight``). Its gradient on W^a is 2·weight·Σ_{b≠a} (W^a − W^b).

        In a ModelBatch (weights (S, in, out)) the penalty is per model, (S,), and `weight` may be
        an array (S,) giving each model its own penalty weight."""
        weight = self.penalty_weight if weight is None else weight
        weight = float(weight) if np.ndim(weight) == 0 else np.asarray(weight, dtype=np.float64)
        total = None
        n_hidden = len(self.hidden_sizes)
        for a in range(self.n_tasks):
            for b in range(a + 1, self.n_tasks):
                for layer_a, layer_b in zip(self.networks[a].layers[:n_hidden], self.networks[b].layers[:n_hidden]):
                    pairs = [(layer_a.weight, layer_b.weight)]
                    if self.include_bias and layer_a.bias is not None:
                        pairs.append((layer_a.bias, layer_b.bias))
                    for p, q in pairs:
                        diff = p - q
                        squared = diff * diff
                        term = squared.sum(axis=(1, 2)) if squared.ndim == 3 else squared.sum()
                        total = term if total is None else total + term
        if total is None:  # a single task has nothing to be tied to
            return Tensor(0.0)
        return total * weight

    def shared_parameters(self) -> list:
        """No parameter is shared (the tie is the penalty), so this is empty."""
        return []

    def task_parameters(self) -> list:
        return [network.parameters() for network in self.networks]



class DeepSupervisionNet(nn.Module):
    """A deep trunk with the main head on top and auxiliary heads part-way up (deep supervision).

    Lee, Xie, Gallagher, Zhang & Tu 2015 (AISTATS, "Deeply-supervised nets") add companion
    objectives to hidden layers so that early layers receive a direct, short-path gradient.
    Here each auxiliary head is a linear layer reading the trunk's activation h_k after hidden
    layer k (k in ``attach_depths``, 1..depth) and predicting the same target as the main head.

    n_in: input width. depth: hidden layers in the trunk (each ``width`` wide).
    n_outputs: outputs of every head. attach_depths: where auxiliary heads read the trunk;
    ``attach_depths=[depth]`` puts an extra head on top (beside the main one), which adds a task
    but no shortcut. activation, init, gain, rng: as for ``nn.MLP``.

    ``forward(x)`` -> [main, aux_1, ...]; ``forward_trace(x)`` also returns the trunk's per-layer
    pre-activations and activations, so probes can ``.retain_grad()`` them.
    """

    def __init__(self, n_in: int, depth: int, width: int, n_outputs: int = 1, attach_depths: Sequence[int] = (),
                 activation: str = "sigmoid", init: str = "xavier_normal", rng=0, gain: float = 1.0):
        super().__init__()
        where = "DeepSupervisionNet"
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
            raise ValueError(f"{where}: depth must be an int >= 1, got {depth!r}")
        _check_sizes(n_in, [width], where)
        if isinstance(n_outputs, bool) or not isinstance(n_outputs, (int, np.integer)) or n_outputs < 1:
            raise ValueError(f"{where}: n_outputs must be a positive int, got {n_outputs!r}")
        attach = [int(k) for k in attach_depths]
        outside = [k for k in attach if not 1 <= k <= depth]
        if outside:
            raise ValueError(f"{where}: attach_depths must lie in 1..depth={depth}, got {attach}")
        rng = generator(rng, where)
        self.n_in, self.depth, self.width, self.n_outputs = int(n_in), int(depth), int(width), int(n_outputs)
        self.attach_depths = attach
        self.trunk = nn.MLP([self.n_in] + [self.width] * self.depth, activation=activation, init=init, gain=gain,
                            rng=rng, final_activation=True)
        self.main_head = nn.Linear(self.width, self.n_outputs, init=init, rng=rng, gain=gain)
        self.aux_heads = [nn.Linear(self.width, self.n_outputs, init=init, rng=rng, gain=gain) for _ in attach]

    @property
    def n_tasks(self) -> int:
        return 1 + len(self.aux_heads)

    def forward_trace(self, x) -> MultiHeadTrace:
        x = _input_tensor(x, self.n_in, "DeepSupervisionNet.forward")
        trace = self.trunk.forward_trace(x)
        activations = list(trace.activations)
        outputs = [self.main_head(activations[-1])]
        outputs += [head(activations[k - 1]) for head, k in zip(self.aux_heads, self.attach_depths)]
        return MultiHeadTrace(outputs=outputs, pre_activations=list(trace.pre_activations),
                                    activations=activations)

    def forward(self, x):
        return self.forward_trace(x).outputs

    def shared_parameters(self) -> list:
        return self.trunk.parameters()

    def task_parameters(self) -> list:
        return [self.main_head.parameters()] + [head.parameters() for head in self.aux_heads]


# ---- joint loss ------------------------------------------------------------------------------------

def _check_losses(task_losses, where: str) -> list:
    losses = list(task_losses) if not isinstance(task_losses, Tensor) else None
    if losses is None:
        raise TypeError(f"{where}: task_losses must be a list of scalar Tensors, one per task, got one Tensor")
    if not losses:
        raise ValueError(f"{where}: task_losses is empty; give one scalar loss per task")
    for t, loss in enumerate(losses):
        if not isinstance(loss, Tensor):
            raise TypeError(f"{where}: task_losses[{t}] must be a Tensor, got {type(loss).__name__}")
        if loss.size != 1:
            raise ValueError(f"{where}: task_losses[{t}] must be a single number, got shape {loss.shape}")
    return losses


def joint_loss(task_losses, weights, l2: float = 0.0, params=None):
    """The weighted joint loss L = Σ_t wₜ Lₜ + l2 · Σ_p ||p||².

    task_losses: T scalar Tensors. weights: T numbers. l2: weight-decay coefficient (no ½);
    params: the Tensors it applies to (needed when l2 > 0).
    Returns (total: scalar Tensor, values: list of T floats, the unweighted task losses).
    """
    losses = _check_losses(task_losses, "joint_loss")
    weights = weight_vector(weights, len(losses), "joint_loss")
    l2 = nonnegative_number(l2, "l2", "joint_loss")
    total = None
    for weight, loss in zip(weights, losses):
        term = loss * float(weight)
        total = term if total is None else total + term
    if l2 > 0:
        if not params:
            raise ValueError(f"joint_loss: l2={l2} needs params, the Tensors to apply weight decay to")
        for p in params:
            total = total + (p * p).sum() * float(l2)
    return total.reshape(()), [loss.item() for loss in losses]


# ---- per-task gradients ----------------------------------------------------------------------------

def graph_leaves(losses, stop_at=()) -> list:
    """Every leaf Tensor with requires_grad=True that the given losses depend on, in a stable order
    (first seen, bottom-up): the parameters a backward pass of these losses would write to.
    stop_at: Tensors below which nothing is looked at (e.g. a shared representation)."""
    seen, leaves = set(), []
    for loss in losses:
        for node in graph_nodes(loss, stop_at):  # the engine's own traversal, so the two agree
            if node.is_leaf and id(node) not in seen:
                seen.add(id(node))
                leaves.append(node)
    return leaves


def per_task_gradients(task_losses, params, retain_graph: bool = True, stop_at=()) -> list:
    """Gradient of each task loss w.r.t. each parameter, without touching any ``.grad``.

    task_losses: T scalar Tensors. params: P Tensors, parameters or intermediate results such as a
    shared representation z. Returns a list of T lists of arrays (grads[t][i] has params[i]'s shape;
    zeros where task t does not depend on params[i]). One reverse pass per task (``autodiff.grad``),
    each keeping the graph except the last when retain_graph=False. stop_at: Tensors below which the
    passes do not go (nor free anything).
    """
    losses = _check_losses(task_losses, "per_task_gradients")
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"per_task_gradients: params[{i}] must be a Tensor, got {type(p).__name__}")
    return [grad(loss, params, retain_graph=retain_graph or t < len(losses) - 1, stop_at=stop_at)
            for t, loss in enumerate(losses)]


def task_gradients(task_losses, params, retain_graph: bool = True) -> np.ndarray:
    """G: (T, P) row t = ∂Lₜ/∂θ flattened over ``params`` (in order, each raveled C-style).

    Uses one ``backward(retain_graph=True)`` per task and leaves every ``.grad`` as it was, so it
    can be called in the middle of a training step. This is the matrix the aggregators in
    ``mtl_edu.balancing.aggregators`` take.
    """
    params = list(params)
    grads = per_task_gradients(task_losses, params, retain_graph=retain_graph)
    if not params:
        return np.zeros((len(grads), 0))
    return np.stack([np.concatenate([g.ravel() for g in row]) for row in grads])


def flatten_grads(params) -> np.ndarray:
    """The ``.grad`` of every parameter, raveled and concatenated: (P,). A missing grad counts as zeros."""
    params = list(params)
    if not params:
        return np.zeros(0)
    return np.concatenate([(np.zeros(p.size) if p.grad is None else np.asarray(p.grad).ravel()) for p in params])


def assign_flat_grad(params, d, accumulate: bool = False) -> None:
    """Write a flat direction d: (P,) back into the parameters' ``.grad`` (the inverse of
    :func:`flatten_grads`). accumulate=True adds to an existing ``.grad``, as backward would."""
    params = list(params)
    d = np.asarray(d)
    total = sum(p.size for p in params)
    if d.ndim != 1 or d.size != total:
        raise ValueError(f"assign_flat_grad: d must have shape ({total},) to match the parameters, got {d.shape}")
    start = 0
    for p in params:
        piece = d[start:start + p.size].reshape(p.shape).astype(p.dtype, copy=True)
        start += p.size
        p.grad = piece + p.grad if (accumulate and p.grad is not None) else piece


# ---- scoring against single-task baselines ----------------------------------------------------------

def delta_m(task_metrics, stl_metrics, higher_is_better) -> float:
    """Δm%: the average relative change of a multi-task model against single-task baselines.

        Δm% = (100 / T) Σ_t (−1)^{l_t} (M_t − M_STL,t) / |M_STL,t|,   l_t = 1 if higher is better

    **Sign: lower is better.** Δm% < 0 means the multi-task model beats the single-task
    baselines on average; Δm% > 0 is a performance drop (negative transfer). This is the
    convention of the course design and of the balancing papers lesson 07 compares with
    (Navon et al. 2022, Nash-MTL; Liu et al. 2021, CAGrad; Liu et al. 2023, FAMO), who
    report "Δm% ↓". Maninis, Radosavovic & Kokkinos 2019 (CVPR) and LibMTL
    (``count_improvement``) report the same average with the opposite sign, as an
    improvement: theirs = −delta_m(...). Dividing by |M_STL,t| keeps the sign meaningful even
    for a negative-valued metric.

    task_metrics, stl_metrics: T numbers (one metric per task; for several metrics per task,
    average their delta_m first). higher_is_better: T bools, or one bool for all tasks.
    """
    metrics = np.asarray(task_metrics, dtype=np.float64)
    baseline = np.asarray(stl_metrics, dtype=np.float64)
    if metrics.ndim != 1 or metrics.shape != baseline.shape or metrics.size == 0:
        raise ValueError(
            f"delta_m: task_metrics and stl_metrics must be 1-D with one value per task and the same length, "
            f"got shapes {metrics.shape} and {baseline.shape}"
        )
    better = np.broadcast_to(np.asarray(higher_is_better, dtype=bool), metrics.shape) \
        if np.ndim(higher_is_better) == 0 else np.asarray(higher_is_better, dtype=bool)
    if better.shape != metrics.shape:
        raise ValueError(f"delta_m: higher_is_better needs one entry per task ({metrics.size}), got {len(better)}")
    if np.any(baseline == 0) or not np.all(np.isfinite(baseline)) or not np.all(np.isfinite(metrics)):
        raise ValueError(
            f"delta_m: metrics must be finite and STL baselines non-zero (the change is relative to them), "
            f"got task_metrics={metrics.tolist()}, stl_metrics={baseline.tolist()}"
        )
    sign = np.where(better, -1.0, 1.0)
    return float(100.0 * np.mean(sign * (metrics - baseline) / np.abs(baseline)))
