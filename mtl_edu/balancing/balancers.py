"""Balancers: strategies that turn T task losses into one set of parameter gradients.

Every balancer has the same call, made once per training step after the forward pass:

    weights = balancer.backward(task_losses, shared_params, task_params=None, representation=None)

- task_losses: T scalar Tensors (the graph must still be alive: do not call backward first).
- shared_params: the Tensors every task reads (``model.shared_parameters()``).
- task_params: optional, one list per task (``model.task_parameters()``); used to check the split.
- representation: only for ``GradientAggregation(..., representation=True)`` (the "-UB" variant);
  the shared representation z from ``model.forward_with_representation(x)``.

It leaves ``.grad`` set on every parameter the losses depend on, *added* to whatever ``.grad``
held before (as ``loss.backward()`` would), so the caller zeroes grads, calls ``backward``, then
steps its optimiser. It returns the task weights it used, a NumPy array (T,), for plotting.

Two families (see lesson 07):

- **Loss weighting** — one backward pass of Σ wₜLₜ with weights from the losses alone:
  :class:`StaticWeights`, :class:`UncertaintyWeighting` (Kendall et al. 2018), :class:`DWA`
  (Liu et al. 2019), :class:`RLW` (Lin et al. 2022), :class:`FAMO` (Liu et al. 2023) and
  :class:`GradNorm` (Chen et al. 2018, which also looks at gradient norms, so it needs T passes).
- **Gradient aggregation** — :class:`GradientAggregation` computes the per-task gradients G (T, P)
  of the shared parameters and hands them to any aggregator of ``mtl_edu.balancing.aggregators``.

Each method's weights live on its own paper's scale; each docstring says which (sum to T, sum to 1,
or unnormalised). Balancers with learnable state (uncertainty's log-variances, GradNorm's weights,
FAMO's logits) expose it through ``.parameters()`` and update it inside ``backward`` with their own
optimiser from ``mtl_edu.nets.optim``, so the caller's optimiser only sees the model.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import aggregators as _aggregators
from ..engine.autodiff import Tensor
from ..nets.multitask import TASK_KINDS, graph_leaves, per_task_gradients
from ..nets.optim import SGD, Adam, clip_grad_norm
from ..validation import generator, positive_int, positive_number

__all__ = [
    "Balancer", "StaticWeights", "UncertaintyWeighting", "DWA", "GradNorm", "RLW", "FAMO",
    "GradientAggregation", "BALANCERS", "make_balancer",
]


# ---- shared checks and helpers ---------------------------------------------------------------------

def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _accumulate(tensor: Tensor, grad: np.ndarray) -> None:
    """Add grad to tensor.grad the way backward does (a fresh array, never aliasing the input)."""
    grad = np.asarray(grad, dtype=tensor.dtype)
    tensor.grad = grad.copy() if tensor.grad is None else tensor.grad + grad


def _weighted_backward(losses: list, weights: np.ndarray) -> None:
    """One backward pass of Σ wₜLₜ (constant weights)."""
    total = None
    for weight, loss in zip(weights, losses):
        term = loss * float(weight)
        total = term if total is None else total + term
    if total.requires_grad:
        total.backward()


class Balancer:
    """Base class. Subclasses implement ``_backward(losses, shared, task_params, representation)``.

    Attributes: ``n_tasks``; ``needs_representation`` (True only for the -UB aggregation, which
    must be given the shared representation z).
    """

    needs_representation = False
    #: False: the update is Σ wₜ∇Lₜ with weights from the loss values alone (``loss_weights``).
    #: True: the balancer needs each task's gradient (``from_task_gradients``).
    uses_task_gradients = False

    def __init__(self, n_tasks: int):
        self.n_tasks = positive_int(n_tasks, "n_tasks", type(self).__name__)

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        """Loss-weighting balancers: the weights (T,) for this step from the T loss values, updating the
        balancer's state as ``backward`` does. ``backward`` is this plus one backward pass of Σ wₜLₜ;
        training many models at once (``train.fit_multitask_models``) calls it once per model."""
        raise NotImplementedError(f"{type(self).__name__} needs the task gradients; use from_task_gradients")

    def from_task_gradients(self, values: np.ndarray, grads: list, shapes: list, n_shared: int) -> tuple:
        """Gradient-based balancers: (weights (T,), combined gradient per parameter) from the T loss values
        and grads[t][i], task t's gradient of parameter i (shapes[i]; the first n_shared are shared),
        updating the balancer's state as ``backward`` does."""
        raise NotImplementedError(f"{type(self).__name__} weights the losses; use loss_weights")

    def parameters(self) -> list:
        """The balancer's own learnable Tensors (empty for most)."""
        return []

    def backward(self, task_losses, shared_params, task_params=None, representation=None) -> np.ndarray:
        """Set ``.grad`` on every parameter the losses reach; return the task weights used (T,)."""
        where = f"{type(self).__name__}.backward"
        losses = self._check_losses(task_losses, where)
        shared = self._check_params(shared_params, "shared_params", where)
        if task_params is not None:
            if len(task_params) != self.n_tasks:
                raise ValueError(f"{where}: task_params must hold one list per task ({self.n_tasks}), got {len(task_params)}")
            shared_ids = {id(p) for p in shared}
            for t, group in enumerate(task_params):
                group = self._check_params(group, f"task_params[{t}]", where)
                if any(id(p) in shared_ids for p in group):
                    raise ValueError(f"{where}: task_params[{t}] contains a parameter that is also in shared_params")
        weights = self._backward(losses, shared, task_params, representation)
        return np.asarray(weights, dtype=np.float64).copy()

    def _backward(self, losses, shared, task_params, representation):
        raise NotImplementedError

    def _check_losses(self, task_losses, where: str) -> list:
        if isinstance(task_losses, Tensor):
            raise TypeError(f"{where}: task_losses must be a list of {self.n_tasks} scalar Tensors, got one Tensor")
        losses = list(task_losses)
        if len(losses) != self.n_tasks:
            raise ValueError(f"{where}: expected {self.n_tasks} task losses, got {len(losses)}")
        for t, loss in enumerate(losses):
            if not isinstance(loss, Tensor) or loss.size != 1:
                shape = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
                raise ValueError(f"{where}: task_losses[{t}] must be a scalar Tensor, got {shape}")
            if not np.isfinite(loss.item()):
                raise ValueError(f"{where}: task_losses[{t}] is {loss.item()}; cannot balance a non-finite loss")
        return losses

    @staticmethod
    def _check_params(params, name: str, where: str) -> list:
        if isinstance(params, Tensor):
            raise TypeError(f"{where}: {name} must be a list of Tensors, got one Tensor")
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{where}: {name}[{i}] must be a Tensor, got {type(p).__name__}")
        return params

    @staticmethod
    def _values(losses) -> np.ndarray:
        return np.array([loss.item() for loss in losses], dtype=np.float64)


# ---- loss weighting --------------------------------------------------------------------------------

class StaticWeights(Balancer):
    """Fixed weights: one backward of Σ wₜLₜ. ``StaticWeights([1, 1, 1])`` is plain equal weighting."""

    def __init__(self, weights):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0 or not np.all(np.isfinite(weights)):
            raise ValueError(f"StaticWeights: weights must be a non-empty 1-D list of finite numbers, got {weights.tolist()}")
        super().__init__(weights.size)
        self.weights = weights

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        return self.weights

    def _backward(self, losses, shared, task_params, representation):
        weights = self.loss_weights(self._values(losses))
        _weighted_backward(losses, weights)
        return weights


_CLASSIFICATION_KINDS = ("classification",) + tuple(k for k in TASK_KINDS if k != "regression")


class UncertaintyWeighting(Balancer):
    """Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla 2018, CVPR, Eq. 7).

    Each task t gets a learnable s_t = log σ_t² and the joint loss

        regression:      ½ e^{−s_t} L_t + ½ s_t       (Gaussian likelihood, L_t a mean squared error)
        classification:    e^{−s_t} L_t + ½ s_t       (scaled softmax; L_t a cross-entropy)

    (½ s_t = log σ_t). For a regression task the minimum over s_t is at e^{s_t} = L_t, so σ_t
    learns the residual standard deviation: noisy tasks get a small weight ½e^{−s_t}.

    n_tasks: T. kinds: T entries "regression" or "classification" ("binary"/"multiclass" count as
    classification); default all regression. lr: learning rate of the Adam optimiser that updates
    s inside ``backward`` (one step per call). init_log_variance: starting s (0 means σ = 1).

    Returns weights c_t e^{−s_t} (c = ½ regression, 1 classification) used in this step,
    unnormalised. ``.log_variances`` is the Tensor s (T,); ``.sigmas`` = e^{s/2}.
    """

    def __init__(self, n_tasks: int, kinds=None, lr: float = 0.01, init_log_variance: float = 0.0):
        super().__init__(n_tasks)
        where = "UncertaintyWeighting"
        kinds = ("regression",) * self.n_tasks if kinds is None else tuple(getattr(k, "kind", k) for k in kinds)
        if len(kinds) != self.n_tasks:
            raise ValueError(f"{where}: kinds needs one entry per task ({self.n_tasks}), got {len(kinds)}")
        unknown = [k for k in kinds if k != "regression" and k not in _CLASSIFICATION_KINDS]
        if unknown:
            raise ValueError(f"{where}: unknown task kinds {unknown}; use 'regression' or 'classification'")
        self.kinds = kinds
        self.lr = positive_number(lr, "lr", where)
        self._scales = np.array([0.5 if k == "regression" else 1.0 for k in kinds])
        self.log_variances = Tensor(np.full(self.n_tasks, float(init_log_variance)), requires_grad=True)
        self._optimizer = Adam([self.log_variances], lr=self.lr)

    def parameters(self) -> list:
        return [self.log_variances]

    @property
    def sigmas(self) -> np.ndarray:
        """σ_t = e^{s_t / 2}, the learned noise scales (T,)."""
        return np.exp(0.5 * self.log_variances.data)

    def objective(self, losses) -> Tensor:
        """The uncertainty-weighted joint loss Σ_t c_t e^{−s_t} L_t + ½ s_t (a scalar Tensor)."""
        s = self.log_variances
        total = None
        for t, loss in enumerate(losses):
            term = (-s[t]).exp() * loss * self._scales[t] + s[t] * 0.5
            total = term if total is None else total + term
        return total

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        weights = self._scales * np.exp(-self.log_variances.data)
        # ∂/∂s_t of c_t e^{−s_t} L_t + ½ s_t, then one step of s's own optimiser
        previous = self.log_variances.grad
        self.log_variances.grad = 0.5 - weights * values
        self._optimizer.step()
        self.log_variances.grad = previous
        return weights

    def _backward(self, losses, shared, task_params, representation):
        # The model's gradient of the objective is Σ_t c_t e^{−s_t} ∇L_t: a weighted backward.
        weights = self.loss_weights(self._values(losses))
        _weighted_backward(losses, weights)
        return weights


class DWA(Balancer):
    """Dynamic Weight Average (Liu, Johns & Davison 2019, CVPR, Eq. 7).

        w_t(τ) = L̄_t(τ−1) / L̄_t(τ−2),     λ_t(τ) = T · softmax(w(τ) / temperature)_t

    where L̄_t(τ) is task t's training loss averaged over epoch τ. λ sums to T; in the first two
    epochs (no two completed epochs yet) λ_t = 1. A task whose loss falls slowly gets more weight.

    An "epoch" here is ``steps_per_epoch`` consecutive calls of ``backward``: the loss values of
    those calls are averaged into L̄(τ). Use 1 for full-batch training (the ratio then compares
    consecutive steps), or the number of mini-batches per pass over the data.
    """

    def __init__(self, n_tasks: int, temperature: float = 2.0, steps_per_epoch: int = 1):
        super().__init__(n_tasks)
        self.temperature = positive_number(temperature, "temperature", "DWA")
        if isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, (int, np.integer)) or steps_per_epoch < 1:
            raise ValueError(f"DWA: steps_per_epoch must be a positive int, got {steps_per_epoch!r}")
        self.steps_per_epoch = int(steps_per_epoch)
        self.epoch_losses = []  # completed epochs: list of (T,) averages
        self._running_sum = np.zeros(self.n_tasks)
        self._calls_in_epoch = 0

    def current_weights(self) -> np.ndarray:
        """λ (T,) for the epoch in progress."""
        if len(self.epoch_losses) < 2:
            return np.ones(self.n_tasks)
        ratio = self.epoch_losses[-1] / np.maximum(self.epoch_losses[-2], np.finfo(float).tiny)
        return self.n_tasks * _softmax(ratio / self.temperature)

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        weights = self.current_weights()
        self._running_sum += values
        self._calls_in_epoch += 1
        if self._calls_in_epoch == self.steps_per_epoch:
            self.epoch_losses.append(self._running_sum / self.steps_per_epoch)
            self._running_sum = np.zeros(self.n_tasks)
            self._calls_in_epoch = 0
        return weights

    def _backward(self, losses, shared, task_params, representation):
        weights = self.loss_weights(self._values(losses))
        _weighted_backward(losses, weights)
        return weights


class RLW(Balancer):
    """Random loss weighting (Lin, Ye, Zhang & Tsang 2022, TMLR): λ = softmax(ε), ε ~ N(0, I_T),
    drawn afresh every step. The weights sum to 1 (the paper's normalisation). rng: Generator or seed."""

    def __init__(self, n_tasks: int, rng):
        super().__init__(n_tasks)
        self.rng = generator(rng, "RLW")

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        return _softmax(self.rng.standard_normal(self.n_tasks))

    def _backward(self, losses, shared, task_params, representation):
        weights = self.loss_weights(self._values(losses))
        _weighted_backward(losses, weights)
        return weights


class FAMO(Balancer):
    """Fast Adaptive Multitask Optimization (Liu, Feng, Stone & Liu 2023, NeurIPS).

    FAMO aims to decrease every task's *log* loss at the same rate, using only loss values: one
    backward pass per step. With task logits ξ (T,), z = softmax(ξ) and D_t = L_t − m_t (m_t a
    lower bound of L_t, default 0), the model is updated along the gradient of

        Σ_t z_t log D_t / c,    c = Σ_t z_t / D_t  (held constant),

    i.e. Σ_t w_t ∇L_t with w_t = z_t / (c D_t): the weights sum to 1 (they are returned).
    After the model step, the change of the log losses δ_t = log D_t(before) − log D_t(after)
    updates the logits: ξ ← Adam step along Jᵀδ + γξ, where J is softmax's Jacobian, so a task
    whose log loss fell faster than the z-weighted average loses weight.

    lr (the paper code's ``w_lr``, 0.025) and gamma (its logit decay, 0.01) are the Adam learning
    rate and L2 weight decay for ξ, as in the authors' reference code. max_norm: clip the shared
    parameters' gradient norm after the backward (their code's default is 1.0; None = no clip).

    Where the "after" losses come from: call ``famo.update(new_losses)`` after the optimiser step
    with the losses re-evaluated on the same batch (the reference code's procedure), or skip it and
    ``backward`` uses the next call's losses instead. In full-batch training the two coincide
    exactly (the next forward is the re-evaluation); with mini-batches the implicit form compares
    different batches, which is noisier.
    """

    def __init__(self, n_tasks: int, lr: float = 0.025, gamma: float = 0.01, min_losses=None,
                 max_norm: float | None = None, eps: float = 1e-8):
        super().__init__(n_tasks)
        where = "FAMO"
        self.lr = positive_number(lr, "lr", where)
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or gamma < 0 or not np.isfinite(gamma):
            raise ValueError(f"{where}: gamma must be a finite number >= 0, got {gamma!r}")
        self.gamma = float(gamma)
        self.min_losses = np.zeros(self.n_tasks) if min_losses is None else np.asarray(min_losses, dtype=np.float64)
        if self.min_losses.shape != (self.n_tasks,):
            raise ValueError(f"{where}: min_losses needs one value per task ({self.n_tasks}), got shape {self.min_losses.shape}")
        self.max_norm = None if max_norm is None else positive_number(max_norm, "max_norm", where)
        self.eps = positive_number(eps, "eps", where)
        self.logits = Tensor(np.zeros(self.n_tasks), requires_grad=True)
        self._optimizer = Adam([self.logits], lr=self.lr, weight_decay=self.gamma)
        self._previous_losses = None
        self._updated = False

    def parameters(self) -> list:
        return [self.logits]

    def _gaps(self, values: np.ndarray) -> np.ndarray:
        gaps = values - self.min_losses + self.eps
        if np.any(gaps <= 0):
            raise ValueError(
                f"FAMO: every loss must stay above its lower bound min_losses (FAMO balances log(L − m)); "
                f"got losses {values.tolist()} and min_losses {self.min_losses.tolist()}"
            )
        return gaps

    def update(self, new_losses) -> None:
        """Update the logits from the losses re-evaluated after the model step (T numbers or Tensors)."""
        if self._previous_losses is None:
            raise RuntimeError("FAMO.update: call backward first; update compares the losses before and after a step")
        values = np.array([v.item() if isinstance(v, Tensor) else float(v) for v in new_losses])
        if values.shape != (self.n_tasks,):
            raise ValueError(f"FAMO.update: expected {self.n_tasks} losses, got {values.size}")
        self._update_logits(self._previous_losses, values)
        self._updated = True

    def _update_logits(self, before: np.ndarray, after: np.ndarray) -> None:
        delta = np.log(self._gaps(before)) - np.log(self._gaps(after))
        z = _softmax(self.logits.data)
        self.logits.grad = z * (delta - z @ delta)  # softmax's Jacobian (symmetric) times δ
        self._optimizer.step()
        self.logits.grad = None

    def loss_weights(self, values: np.ndarray) -> np.ndarray:
        if self._previous_losses is not None and not self._updated:
            self._update_logits(self._previous_losses, values)
        gaps = self._gaps(values)
        z = _softmax(self.logits.data)
        weights = (z / gaps) / np.sum(z / gaps)
        self._previous_losses = values
        self._updated = False
        return weights

    def _backward(self, losses, shared, task_params, representation):
        weights = self.loss_weights(self._values(losses))
        _weighted_backward(losses, weights)
        if self.max_norm is not None and shared:
            clip_grad_norm(shared, self.max_norm)
        return weights


# ---- balancers that look at gradients ----------------------------------------------------------------

def _all_parameters(losses, shared) -> list:
    """The shared parameters followed by every other leaf the losses reach (stable order)."""
    shared_ids = {id(p) for p in shared}
    return list(shared) + [leaf for leaf in graph_leaves(losses) if id(leaf) not in shared_ids]


class GradNorm(Balancer):
    """GradNorm (Chen, Badrinarayanan, Lee & Rabinovich 2018, ICML): learn the loss weights so that
    every task trains at a similar rate, measured by gradient norms.

    With weights w (T,) (start at 1), W = the last shared layer's weight matrix:

        G_t = ||∇_W w_t L_t|| = w_t ||∇_W L_t||,   Ḡ = mean_t G_t,
        r_t = L̃_t / mean(L̃),  L̃_t = L_t / L_t(0)         (relative inverse training rate)
        L_grad = Σ_t |G_t − Ḡ · r_t^α|                     (targets Ḡ r^α held constant)

    The network gets the gradient of Σ_t w_t L_t; the weights take one optimiser step on L_grad
    and are then renormalised so they sum to T (and kept > 0). Because G_t is linear in w_t and
    the target is constant, ∂L_grad/∂w_t = sign(G_t − Ḡ r_t^α) · ||∇_W L_t||, computed
    analytically from the per-task gradients (one backward pass per task, retain_graph=True),
    which also give the network's gradient, so a step costs T backward passes in all.

    alpha: the restoring force (1.5 on NYUv2 in the paper; 0 pushes toward equal gradient norms).
    lr: learning rate of the weights' optimiser. optimizer: "adam" (default) or "sgd".
    L_t(0) is the loss at the first call. W: the last 2-D Tensor in shared_params (with
    ``nn.Linear`` layers, the weight of the last shared layer).

    Returns the weights used in this step (they sum to T). After the call: ``.weights`` (Tensor,
    the updated weights), ``.last_grad_norms`` (G_t) and ``.last_targets`` (Ḡ r^α).
    """

    def __init__(self, n_tasks: int, alpha: float = 1.5, lr: float = 0.025, optimizer: str = "adam"):
        super().__init__(n_tasks)
        where = "GradNorm"
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha < 0 or not np.isfinite(alpha):
            raise ValueError(f"{where}: alpha must be a finite number >= 0, got {alpha!r}")
        self.alpha = float(alpha)
        self.lr = positive_number(lr, "lr", where)
        self.weights = Tensor(np.ones(self.n_tasks), requires_grad=True)
        if optimizer == "adam":
            self._optimizer = Adam([self.weights], lr=self.lr)
        elif optimizer == "sgd":
            self._optimizer = SGD([self.weights], lr=self.lr)
        else:
            raise ValueError(f"{where}: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
        self.initial_losses = None
        self.last_grad_norms = None
        self.last_targets = None

    def parameters(self) -> list:
        return [self.weights]

    uses_task_gradients = True

    def from_task_gradients(self, values: np.ndarray, grads: list, shapes: list, n_shared: int) -> tuple:
        matrices = [i for i in range(n_shared) if len(shapes[i]) == 2]
        if not matrices:
            raise ValueError(
                "GradNorm.backward: needs a shared weight matrix (a 2-D Tensor in shared_params) to measure "
                f"gradient norms on; got shared parameters of shapes {[tuple(x) for x in shapes[:n_shared]]}"
            )
        index = matrices[-1]  # W, the last shared layer's weight matrix
        if self.initial_losses is None:
            if np.any(values <= 0):
                raise ValueError(f"GradNorm: the first losses must be > 0 (they divide later ones), got {values.tolist()}")
            self.initial_losses = values
        norms = np.array([np.linalg.norm(g[index]) for g in grads])

        used = self.weights.data.copy()
        grad_norms = used * norms
        ratios = values / self.initial_losses
        targets = grad_norms.mean() * (ratios / ratios.mean()) ** self.alpha
        self.last_grad_norms, self.last_targets = grad_norms, targets
        combined = [sum(used[t] * grads[t][i] for t in range(self.n_tasks)) for i in range(len(shapes))]

        self.weights.grad = np.sign(grad_norms - targets) * norms
        self._optimizer.step()
        self.weights.grad = None
        # The paper renormalises so Σw = T; a floor keeps a weight from crossing zero.
        positive = np.maximum(self.weights.data, 1e-6)
        self.weights.data[...] = self.n_tasks * positive / positive.sum()
        return used, combined

    def _backward(self, losses, shared, task_params, representation):
        params = _all_parameters(losses, shared)
        grads = per_task_gradients(losses, params, retain_graph=False)
        used, combined = self.from_task_gradients(self._values(losses), grads, [p.shape for p in params], len(shared))
        for p, grad in zip(params, combined):
            _accumulate(p, grad)
        return used


class GradientAggregation(Balancer):
    """Apply an aggregator from ``mtl_edu.balancing.aggregators`` to the per-task gradients of the shared part.

    Shared parameters: G (T, P) holds each task's gradient (one backward pass per task), and their
    ``.grad`` gets d = aggregate(method, G). Every other parameter (the task heads) gets the gradient
    of the mean loss, (1/T) ∇L_t for task t's head: a head only sees its own task, so there is
    nothing to balance, and 1/T matches the aggregators' scale (identical task gradients g give
    d = g, like the mean). So ``GradientAggregation("mean")`` equals a backward of (1/T) Σ_t L_t.

    representation=True is the "-UB" variant of Sener & Koltun 2018 (NeurIPS, Section 3.3, MGDA-UB):
    G is taken w.r.t. the shared representation z (N, k) instead of the shared parameters
    (passes through the heads only), the aggregated direction d_z is reshaped to z's shape and
    back-propagated once through the trunk: z.backward(d_z). For a weighted method (MGDA) this is
    Σ αₜ∇θLₜ with the α found on z. Call with ``backward(..., representation=z)`` where
    ``z, outputs = model.forward_with_representation(x)``.

    method: a name in ``aggregators.AGGREGATORS``; rng: Generator for pcgrad (T > 2) and graddrop;
    hyper: the aggregator's hyper-parameters (e.g. c=0.5 for cagrad). n_tasks: optional, else
    fixed by the first call. With representation=True and method="graddrop" the sign masks act on
    the shared activations, which is where Chen et al. 2020 apply them.

    Returns effective task weights w (T,): the least-squares solution of Gᵀw = d (exact when d is
    a combination of the task gradients, as for every method but graddrop). For "mean" w = 1/T.
    """

    def __init__(self, method: str, rng=None, representation: bool = False, *, n_tasks: int | None = None, **hyper):
        self.method = method
        self.hyper = dict(hyper)
        self.rng = None if rng is None else generator(rng, "GradientAggregation")
        self.aggregate = _aggregators.get_aggregator(method, rng=self.rng, **hyper)
        self.representation = bool(representation)
        self.needs_representation = self.representation
        self.n_tasks = None if n_tasks is None else positive_int(n_tasks, "n_tasks", "GradientAggregation")
        self.last_G = None

    def backward(self, task_losses, shared_params, task_params=None, representation=None) -> np.ndarray:
        if self.n_tasks is None:  # fixed by the first call when not given
            self.n_tasks = len(task_losses) if not isinstance(task_losses, Tensor) else 1
        return super().backward(task_losses, shared_params, task_params, representation)

    def _direction(self, G: np.ndarray) -> tuple:
        d = np.asarray(self.aggregate(G), dtype=np.float64)
        weights = np.linalg.lstsq(G.T, d, rcond=None)[0] if G.shape[1] else np.full(G.shape[0], 1.0 / G.shape[0])
        return d, weights

    def _backward(self, losses, shared, task_params, representation):
        if self.representation:
            return self._backward_representation(losses, shared, representation)
        if representation is not None:
            raise ValueError("GradientAggregation.backward: got a representation but this balancer was built with "
                             "representation=False; build GradientAggregation(method, representation=True) for -UB")
        if not shared:
            raise ValueError("GradientAggregation.backward: shared_params is empty; there is nothing to aggregate "
                             "(branch_depth=0 networks share no parameters)")
        params = _all_parameters(losses, shared)
        grads = per_task_gradients(losses, params, retain_graph=False)
        weights, combined = self.from_task_gradients(self._values(losses), grads, [p.shape for p in params],
                                                     len(shared))
        for p, grad in zip(params, combined):
            _accumulate(p, grad)
        return weights

    @property
    def uses_task_gradients(self) -> bool:
        return not self.representation

    def from_task_gradients(self, values: np.ndarray, grads: list, shapes: list, n_shared: int) -> tuple:
        if self.representation:
            raise ValueError("GradientAggregation: the -UB variant (representation=True) aggregates gradients on "
                             "the shared representation, not on parameters; it has no from_task_gradients")
        if self.n_tasks is None:
            self.n_tasks = len(grads)
        T = self.n_tasks
        G = np.stack([np.concatenate([np.ravel(g) for g in row[:n_shared]]) for row in grads])
        self.last_G = G
        d, weights = self._direction(G)
        combined, start = [], 0
        for shape in shapes[:n_shared]:
            size = int(np.prod(shape))
            combined.append(d[start:start + size].reshape(shape))
            start += size
        combined += [sum(grads[t][i] for t in range(T)) / T for i in range(n_shared, len(shapes))]
        return weights, combined

    def _backward_representation(self, losses, shared, z):
        where = "GradientAggregation.backward"
        if z is None:
            raise ValueError(f"{where}: representation=True needs the shared representation: "
                             "z, outputs = model.forward_with_representation(x); balancer.backward(losses, ..., representation=z)")
        if not isinstance(z, Tensor) or not z.requires_grad or z.is_leaf:
            raise ValueError(f"{where}: the representation must be computed from the shared parameters "
                             "(a network with branch_depth >= 1); got one that no parameter produced")
        T = self.n_tasks
        # The per-task passes stop at z, so G costs T passes through the heads only; the graph below z
        # is left whole for one pass through the trunk.
        above = graph_leaves(losses, stop_at=(z,))
        grads = per_task_gradients(losses, [z] + above, retain_graph=False, stop_at=(z,))
        G = np.stack([row[0].ravel() for row in grads])
        self.last_G = G
        d, weights = self._direction(G)
        for i, leaf in enumerate(above, start=1):
            _accumulate(leaf, sum(grads[t][i] for t in range(T)) / T)
        z.backward(d.reshape(z.shape))
        return weights


# ---- by name ------------------------------------------------------------------------------------------

BALANCERS = {
    "static": StaticWeights,
    "uncertainty": UncertaintyWeighting,
    "dwa": DWA,
    "gradnorm": GradNorm,
    "rlw": RLW,
    "famo": FAMO,
}
"""Loss-weighting balancers by name; every aggregator name also works in :func:`make_balancer`."""


def make_balancer(name: str, n_tasks: int, rng=None, **options) -> Balancer:
    """A balancer by name: one of ``BALANCERS`` ("static" takes weights=..., default all 1) or any
    aggregator name ("mgda", "pcgrad", ...; add representation=True for the -UB variant)."""
    if name == "static":
        return StaticWeights(options.pop("weights", np.ones(n_tasks)), **options)
    if name == "rlw":
        if rng is None:
            raise ValueError("make_balancer: 'rlw' draws random weights; pass rng (a numpy Generator or an int seed)")
        return RLW(n_tasks, rng=rng, **options)
    if name in BALANCERS:
        return BALANCERS[name](n_tasks, **options)
    if name in _aggregators.AGGREGATORS:
        return GradientAggregation(name, n_tasks=n_tasks, rng=rng, **options)
    raise ValueError(
        f"make_balancer: unknown name {name!r}; choose one of {sorted(BALANCERS)} or an aggregator: "
        f"{sorted(_aggregators.AGGREGATORS)}"
    )
