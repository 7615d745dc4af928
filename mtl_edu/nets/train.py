"""Training loops: `fit` for one task, `fit_multitask` for several, a `History` of what happened.

Each step: zero the gradients, forward a batch, compute the loss, stop with `TrainingDiverged` if it
is not finite, back-propagate, optionally clip, update. Every `record_every` steps (and at the last
step) the loss, the metrics and the probes are recorded, all describing the model as it was at the
start of that step. Runs are deterministic given `rng` (which orders the minibatches).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..engine import functional as F
from ..engine.autodiff import Tensor, no_grad
from .batched import ModelBatch
from .init import as_generator
from .multitask import graph_leaves, joint_loss, per_task_gradients
from .optim import SGD, Adam, Optimizer, clip_grad_norm, clip_grad_value
from ..validation import positive_int, positive_number, weight_vector

__all__ = ["TrainingDiverged", "History", "fit", "fit_multitask", "ModelsHistory", "fit_multitask_models", "LOSSES",
           "accuracy"]

LOSSES = F.LOSSES

# A run expected to last longer than this gets a progress bar in a notebook.
_PROGRESS_AFTER_SECONDS = 1.0


class TrainingDiverged(FloatingPointError):
    """The loss became inf or NaN. `.step`, `.loss`, and `.history`: everything recorded until then
    (when the failing step was a recorded one, its non-finite loss is the last entry)."""

    def __init__(self, step: int, loss: float, lr: float | None = None, clip_norm: float | None = None,
                 history: "History | None" = None):
        self.step, self.loss, self.lr, self.history = step, loss, lr, history
        lr_hint = "a lower learning rate" + (f" (now {lr:g})" if lr is not None else "")
        clip_hint = (f"stronger gradient clipping (now clip_norm={clip_norm:g})" if clip_norm is not None
                     else "gradient clipping (clip_norm=1.0)")
        super().__init__(
            f"training diverged at step {step}: loss = {loss}. "
            f"Try {lr_hint}, {clip_hint}, or another initialisation."
        )


@dataclass
class History:
    """What a run recorded, one entry per recorded step (`steps`).

    loss: the (minibatch) training loss; task_losses: per recorded step a list of T task losses
    (multi-task runs); weights: the T task weights used at that step (multi-task runs);
    metrics: name -> list, e.g. "train_accuracy", "eval_loss"; probes: name -> list of probe values.
    """

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    task_losses: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    probes: dict = field(default_factory=dict)

    def as_arrays(self) -> dict:
        """The same records as NumPy arrays: "steps" (S,), "loss" (S,), "task_losses" (S, T) and
        "weights" (S, T) (empty for a single task), "metrics" and "probes" dicts of stacked arrays."""

        def stacked(values):
            try:
                return np.asarray(values, dtype=float)
            except (TypeError, ValueError):  # ragged or non-numeric probe values stay a list
                return values

        return {
            "steps": np.asarray(self.steps, dtype=int),
            "loss": np.asarray(self.loss, dtype=float),
            "task_losses": np.asarray(self.task_losses, dtype=float),
            "weights": np.asarray(self.weights, dtype=float),
            "metrics": {name: stacked(v) for name, v in self.metrics.items()},
            "probes": {name: stacked(v) for name, v in self.probes.items()},
        }

    def __repr__(self) -> str:
        if not self.steps:
            return "History(nothing recorded)"
        span = f"steps {self.steps[0]}..{self.steps[-1]}"
        return f"History({len(self.steps)} records, {span}, last loss {self.loss[-1]:.4g})"


# ---- argument checks -----------------------------------------------------------------------------

def _model_dtype(model) -> np.dtype:
    params = model.parameters() if hasattr(model, "parameters") else []
    return params[0].dtype if params else np.dtype(np.float64)


def _check_inputs(model, X, where: str) -> np.ndarray:
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{where}: X must hold numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{where}: X must be 2-D (n, features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{where}: X has no rows")
    if not np.isfinite(X).all():
        raise ValueError(f"{where}: X contains NaN or inf")
    width = getattr(model, "in_features", None)
    if width is not None and X.shape[1] != width:
        raise ValueError(f"{where}: X has {X.shape[1]} columns but the model takes {width} inputs")
    return X.astype(_model_dtype(model), copy=False)


def _resolve_loss(loss, where: str):
    """(name, fn(pred, y) -> Tensor)."""
    fn = F.loss_function(loss, where)
    return (loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")), fn


def _prepare_targets(y, n: int, loss_name: str, dtype, where: str, what: str = "y") -> np.ndarray:
    """Targets as arrays the loss accepts: class indices for cross_entropy, (n, 1) columns for a
    1-D target of mse/bce (a one-output model predicts (n, 1))."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(
            f"{where}: X has {n} rows but {what} has shape {y.shape}; they must have the same number of rows"
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {what} must hold numbers, got dtype {y.dtype}")
    if loss_name in ("mse", "bce"):
        y = y.astype(dtype, copy=False)
        if y.ndim == 1:
            y = y[:, None]
    return y


def _make_optimizer(optimizer, params, lr, where: str) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    lr = positive_number(lr, "lr", where)
    if optimizer == "sgd":
        return SGD(params, lr=lr)
    if optimizer == "adam":
        return Adam(params, lr=lr)
    raise ValueError(f"{where}: optimizer must be 'sgd', 'adam' or an Optimizer, got {optimizer!r}")


def _named_probes(probes, where: str) -> dict:
    if isinstance(probes, dict):
        items = list(probes.items())
    else:
        items = [(getattr(p, "__name__", f"probe{i}"), p) for i, p in enumerate(probes)]
    named = {}
    for name, probe in items:
        if not callable(probe):
            raise TypeError(f"{where}: probe {name!r} is not callable")
        if name in named:
            raise ValueError(f"{where}: two probes are called {name!r}; pass a dict name -> probe")
        named[name] = probe
    return named


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correct labels; `pred` are logits: (n, C) -> argmax, (n, 1) or (n,) -> logit > 0."""
    pred = np.asarray(pred)
    y = np.asarray(y).reshape(-1)
    if pred.ndim == 2 and pred.shape[1] > 1:
        labels = pred.argmax(axis=1)
    else:
        labels = (pred.reshape(-1) > 0).astype(int)
    return float(np.mean(labels == y))


def _resolve_metric(metric, where: str):
    if metric is None:
        return None
    if metric == "accuracy":
        return "accuracy", accuracy
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    raise ValueError(f"{where}: metric must be None, 'accuracy' or a function (pred, y) -> float, got {metric!r}")


class _Batches:
    """Row indices of each step's batch: the full data, or minibatches from a fresh permutation per epoch."""

    def __init__(self, n: int, batch_size, rng, where: str):
        self.n = n
        if batch_size is None or batch_size == n:
            self.batch_size = None
            return
        self.batch_size = positive_int(batch_size, "batch_size", where)
        if self.batch_size > n:
            raise ValueError(f"{where}: batch_size {self.batch_size} is larger than the {n} rows of X")
        self.rng = as_generator(rng, where)
        self.order, self.position = self.rng.permutation(n), 0

    def next(self):
        if self.batch_size is None:
            return None
        if self.position + self.batch_size > self.n:
            self.order, self.position = self.rng.permutation(self.n), 0
        index = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return index


class _Progress:
    """An ipywidgets progress bar, only inside a Jupyter kernel and only for a run that lasts.

    Nothing is ever printed. The bar is published with only its widget mimetype (no text/plain), and
    strict nbval skips that mimetype, so a stored notebook compares equal whether or not the bar
    appeared on a given machine; the bar closes when the run ends.
    """

    def __init__(self, steps: int, mode, where: str):
        if mode not in ("auto", True, False):
            raise ValueError(f"{where}: progress must be 'auto', True or False, got {mode!r}")
        self.steps, self.bar = steps, None
        self.enabled = mode is not False and _in_kernel()
        self.always = mode is True
        self.start = time.perf_counter()
        self.last_update = self.start

    def update(self, step: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.bar is None:
            elapsed = now - self.start
            expected_total = elapsed / (step + 1) * self.steps
            if not (self.always or (step >= 2 and expected_total > _PROGRESS_AFTER_SECONDS)):
                return
            self.bar = _show_bar(self.steps)
            if self.bar is None:
                self.enabled = False
                return
        if now - self.last_update > 0.1 or step + 1 == self.steps:
            self.bar.value = step + 1
            self.last_update = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _in_kernel() -> bool:
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show_bar(steps: int):
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        return None
    bar = ipywidgets.IntProgress(value=0, min=0, max=steps, description="training")
    bundle = bar._repr_mimebundle_()
    view = {k: v for k, v in bundle.items() if k == "application/vnd.jupyter.widget-view+json"}
    display(view, raw=True)
    return bar


# ---- the loop ------------------------------------------------------------------------------------

def _run(steps, optimizer, compute_losses, batches, clip_norm, clip_value, record_every, record, progress,
         history, where):
    """The loop `fit` and `fit_multitask` share.

    compute_losses(batch_index) runs forward and backward (skipping backward when the loss is not
    finite) and returns (total loss Tensor, task loss values or None, task weights or None);
    record(step) appends the metrics and probes.
    """
    params = optimizer.params
    last = steps - 1
    bar = _Progress(steps, progress, where)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # inf/NaN surface as TrainingDiverged below, with advice; NumPy's warnings would only repeat it.
            for step in range(steps):
                recording = step % record_every == 0 or step == last
                if recording:
                    record(step)  # probes and metrics see the model as it is at the start of this step
                optimizer.zero_grad()
                total, task_values, weights = compute_losses(batches.next())
                loss_value = float(total.data)
                if recording:
                    history.steps.append(step)
                    history.loss.append(loss_value)
                    if task_values is not None:
                        history.task_losses.append(task_values)
                        history.weights.append(weights)
                if not math.isfinite(loss_value):
                    raise TrainingDiverged(step, loss_value, lr=optimizer.lr, clip_norm=clip_norm, history=history)
                if clip_norm is not None:
                    clip_grad_norm(params, clip_norm)
                if clip_value is not None:
                    clip_grad_value(params, clip_value)
                optimizer.step()
                bar.update(step)
    finally:
        bar.close()
    return history


def _common_checks(steps, record_every, clip_norm, clip_value, where):
    steps = positive_int(steps, "steps", where)
    record_every = positive_int(record_every, "record_every", where)
    if clip_norm is not None:
        clip_norm = positive_number(clip_norm, "clip_norm", where)
    if clip_value is not None:
        clip_value = positive_number(clip_value, "clip_value", where)
    return steps, record_every, clip_norm, clip_value


def fit(model, X, y, loss="mse", optimizer="sgd", lr: float = 0.1, steps: int = 500, batch_size=None, rng=None,
        clip_norm=None, clip_value=None, record_every: int = 1, probes=(), eval_data=None, metric=None,
        progress="auto") -> History:
    """Train `model` on (X, y) and return its History.

    X: (n, features); y: (n,) class indices for "cross_entropy", (n,) or (n, k) targets for "mse"
    and "bce" (a 1-D y is compared with an (n, 1) output). loss: "mse", "cross_entropy", "bce"
    (binary cross-entropy on logits) or a function (pred Tensor, y array) -> scalar Tensor.
    optimizer: "sgd" or "adam" with learning rate `lr`, or an Optimizer (its own lr is used).
    batch_size None trains on the full batch; otherwise minibatches in an order drawn from `rng`
    (a Generator or seed; None means seed 0). clip_norm / clip_value clip gradients before each update.
    Every `record_every` steps and at the last step: the loss, `metric` ("accuracy" on logits, or a
    function (pred array, y array) -> float) on the training data as metrics["train_<name>"] and on
    `eval_data = (X_eval, y_eval)` as metrics["eval_<name>"] (with metrics["eval_loss"]), and each
    probe (callables (model, X, y, step) -> value, or a dict name -> callable) into probes[name].
    progress: "auto" shows a progress bar in a notebook for runs longer than about a second.
    Raises TrainingDiverged when the loss becomes inf or NaN.
    """
    where = "fit"
    steps, record_every, clip_norm, clip_value = _common_checks(steps, record_every, clip_norm, clip_value, where)
    X = _check_inputs(model, X, where)
    dtype = X.dtype
    loss_name, loss_fn = _resolve_loss(loss, where)
    y = _prepare_targets(y, X.shape[0], loss_name, dtype, where)
    optimizer = _make_optimizer(optimizer, model.parameters(), lr, where)
    metric = _resolve_metric(metric, where)
    named_probes = _named_probes(probes, where)
    if eval_data is not None:
        try:
            X_eval, y_eval = eval_data
        except (TypeError, ValueError):
            raise ValueError(f"{where}: eval_data must be a pair (X_eval, y_eval)") from None
        X_eval = _check_inputs(model, X_eval, where + " (eval_data)")
        y_eval = _prepare_targets(y_eval, X_eval.shape[0], loss_name, dtype, where + " (eval_data)", "y_eval")
    batches = _Batches(X.shape[0], batch_size, rng, where)
    history = History()
    for name in named_probes:
        history.probes[name] = []
    X_full = Tensor(X)

    def record(step):
        if metric is not None or eval_data is not None:
            with no_grad():
                if metric is not None:
                    name, fn = metric
                    history.metrics.setdefault(f"train_{name}", []).append(float(fn(model(X_full).data, y)))
                if eval_data is not None:
                    pred = model(Tensor(X_eval))
                    history.metrics.setdefault("eval_loss", []).append(float(loss_fn(pred, y_eval).data))
                    if metric is not None:
                        history.metrics.setdefault(f"eval_{name}", []).append(float(fn(pred.data, y_eval)))
        for name, probe in named_probes.items():
            history.probes[name].append(probe(model, X, y, step))

    def compute_losses(index):
        if index is None:
            total = loss_fn(model(X_full), y)
        else:
            total = loss_fn(model(Tensor(X[index])), y[index])
        if math.isfinite(float(total.data)):
            total.backward()
        return total, None, None

    return _run(steps, optimizer, compute_losses, batches, clip_norm, clip_value, record_every, record,
                progress, history, where)


def fit_multitask(model, X, targets, task_losses, balancer=None, task_weights=None, optimizer="sgd",
                  lr: float = 0.1, steps: int = 500, batch_size=None, rng=None, clip_norm=None, clip_value=None,
                  record_every: int = 1, probes=(), eval_data=None, metrics=None, progress="auto") -> History:
    """Train a multi-task `model` (model(x) returns a list of T outputs) and return its History.

    targets: list of T target arrays, each with n rows; task_losses: list of T loss names or functions
    (as in `fit`). How the T losses become one update:
    - balancer None: the weighted sum Σ wₜ Lₜ with `task_weights` (T,) (default all 1), then backward;
    - a balancer: `balancer.backward(losses, shared_params, task_params) -> weights (T,)`, which sets
      every `.grad` itself; shared and task parameters come from `model.shared_parameters()` and
      `model.task_parameters()`.
    history.task_losses (S, T) and history.weights (S, T) record both per recorded step; history.loss
    is Σ wₜ Lₜ with the weights used. metrics: None, or a list of T entries (None, "accuracy" or a
    function), recorded as metrics["train_<name>_task<t>"] (and "eval_..." with eval_data = (X_eval,
    eval_targets), which also records metrics["eval_loss_task<t>"]). Other arguments as in `fit`;
    probes are called as (model, X, targets, step).
    """
    where = "fit_multitask"
    steps, record_every, clip_norm, clip_value = _common_checks(steps, record_every, clip_norm, clip_value, where)
    X = _check_inputs(model, X, where)
    dtype = X.dtype
    if not isinstance(targets, (list, tuple)) or not targets:
        raise ValueError(
            f"{where}: targets must be a non-empty list with one array per task, got {type(targets).__name__}"
        )
    n_tasks = len(targets)
    if isinstance(task_losses, str) or callable(task_losses):
        task_losses = [task_losses] * n_tasks
    if len(task_losses) != n_tasks:
        raise ValueError(f"{where}: {n_tasks} targets but {len(task_losses)} task_losses")
    resolved = [_resolve_loss(loss, where) for loss in task_losses]
    targets = [_prepare_targets(t, X.shape[0], name, dtype, where, f"targets[{i}]")
               for i, (t, (name, _)) in enumerate(zip(targets, resolved))]
    loss_fns = [fn for _, fn in resolved]

    if balancer is not None and task_weights is not None:
        raise ValueError(f"{where}: give either a balancer or fixed task_weights, not both")
    if task_weights is None:
        fixed_weights = np.ones(n_tasks)
    else:
        fixed_weights = weight_vector(task_weights, n_tasks, where, "task_weights")
    if balancer is not None:
        if not callable(getattr(balancer, "backward", None)):
            raise TypeError(f"{where}: balancer must have a backward(task_losses, shared_params, task_params) method")
        if not (hasattr(model, "shared_parameters") and hasattr(model, "task_parameters")):
            raise TypeError(f"{where}: a balancer needs a model with shared_parameters() and task_parameters()")
        shared_params, task_params = model.shared_parameters(), model.task_parameters()

    if metrics is None:
        metric_list = [None] * n_tasks
    else:
        if not isinstance(metrics, (list, tuple)) or len(metrics) != n_tasks:
            raise ValueError(f"{where}: metrics must be a list with one entry per task ({n_tasks}), got {metrics!r}")
        metric_list = [_resolve_metric(m, where) for m in metrics]
    if eval_data is not None:
        try:
            X_eval, eval_targets = eval_data
        except (TypeError, ValueError):
            raise ValueError(f"{where}: eval_data must be a pair (X_eval, eval_targets)") from None
        X_eval = _check_inputs(model, X_eval, where + " (eval_data)")
        if not isinstance(eval_targets, (list, tuple)) or len(eval_targets) != n_tasks:
            raise ValueError(f"{where}: eval_data targets must be a list of {n_tasks} arrays")
        eval_targets = [_prepare_targets(t, X_eval.shape[0], name, dtype, where + " (eval_data)", f"eval targets[{i}]")
                        for i, (t, (name, _)) in enumerate(zip(eval_targets, resolved))]

    optimizer = _make_optimizer(optimizer, model.parameters(), lr, where)
    named_probes = _named_probes(probes, where)
    batches = _Batches(X.shape[0], batch_size, rng, where)
    history = History()
    for name in named_probes:
        history.probes[name] = []
    X_full = Tensor(X)

    def outputs_of(x_tensor):
        outputs = model(x_tensor)
        if not isinstance(outputs, (list, tuple)) or len(outputs) != n_tasks:
            got = len(outputs) if isinstance(outputs, (list, tuple)) else type(outputs).__name__
            raise ValueError(f"{where}: the model must return a list of {n_tasks} outputs (one per task), got {got}")
        return outputs

    def record(step):
        if any(m is not None for m in metric_list) or eval_data is not None:
            with no_grad():
                if any(m is not None for m in metric_list):
                    outputs = outputs_of(X_full)
                    for t, m in enumerate(metric_list):
                        if m is not None:
                            key = f"train_{m[0]}_task{t}"
                            history.metrics.setdefault(key, []).append(float(m[1](outputs[t].data, targets[t])))
                if eval_data is not None:
                    outputs = outputs_of(Tensor(X_eval))
                    for t, (fn, m) in enumerate(zip(loss_fns, metric_list)):
                        value = float(fn(outputs[t], eval_targets[t]).data)
                        history.metrics.setdefault(f"eval_loss_task{t}", []).append(value)
                        if m is not None:
                            key = f"eval_{m[0]}_task{t}"
                            history.metrics.setdefault(key, []).append(float(m[1](outputs[t].data, eval_targets[t])))
        for name, probe in named_probes.items():
            history.probes[name].append(probe(model, X, targets, step))

    def compute_losses(index):
        if index is None:
            outputs, batch_targets = outputs_of(X_full), targets
        else:
            outputs, batch_targets = outputs_of(Tensor(X[index])), [t[index] for t in targets]
        losses = [fn(out, target) for fn, out, target in zip(loss_fns, outputs, batch_targets)]
        values = [float(l.data) for l in losses]
        if balancer is None:
            weights = fixed_weights
            total, _ = joint_loss(losses, weights)
            if math.isfinite(float(total.data)):
                total.backward()
        else:
            if all(math.isfinite(v) for v in values):
                weights = np.asarray(balancer.backward(losses, shared_params, task_params), dtype=float).reshape(-1)
                if weights.shape != (n_tasks,):
                    raise ValueError(f"{where}: the balancer returned {weights.size} weights for {n_tasks} tasks")
            else:  # no backward through an inf/NaN loss: _run stops at this step
                weights = np.ones(n_tasks)
            # A NaN weight from the balancer also makes this NaN, and _run reports the divergence.
            total = Tensor(np.asarray(float(np.dot(weights, values))))
        return total, values, [float(w) for w in weights]

    return _run(steps, optimizer, compute_losses, batches, clip_norm, clip_value, record_every, record,
                progress, history, where)


# ---- many multi-task networks at once ----------------------------------------------------------------

@dataclass
class ModelsHistory:
    """What `fit_multitask_models` recorded, one entry per recorded step (`steps`).

    task_losses, weights: (K, S, T) each model's task losses and the task weights its balancer used;
    probes: name -> list of whatever each probe returned (called as probe(batch, step)).
    """

    steps: list
    task_losses: np.ndarray
    weights: np.ndarray
    probes: dict


def fit_multitask_models(models, X, targets, task_losses, balancers=None, optimizer: str = "adam", lr: float = 0.01,
                         steps: int = 500, record_every: int = 1, probes=()) -> ModelsHistory:
    """Train S multi-task networks of one layout at once, as one ModelBatch, in place.

    Each model s ends where `fit_multitask(models[s], X_s, targets_s, task_losses, balancer=balancers[s],
    optimizer=optimizer, lr=lr, steps=steps)` takes it (full batch, no clipping); a test checks the
    weights agree. Per step: every model's T losses (per model, `per_model=True`); then
    - no balancers: one backward of Σₜ Lₜ (equal weights);
    - loss-weighting balancers: each model's weights from its own balancer (`loss_weights`), then one
      backward of Σₜ wₜLₜ for all models;
    - gradient balancers (GradNorm, the aggregators): T backward passes give every model's per-task
      gradients at once; each model's balancer combines its own (`from_task_gradients`).

    models: S networks with shared_parameters() (e.g. HardSharingNet), one layout. X: (N, d) shared by
    all models, or (S, N, d). targets: T arrays, (N, ...) shared, or (S, N, ...) when X is (S, N, d).
    task_losses: T names from "mse", "bce", "cross_entropy". optimizer: "sgd", "adam" (with `lr`), or a
    function params -> Optimizer for anything else, e.g. `lambda ps: SGD(ps, lr=0.3, momentum=0.9)` (it is
    given the stacked parameters, which exist only inside). balancers: None or S balancers, one per
    model (they keep per-model state, e.g. RLW's generator). probes: callables (batch, step), or a
    dict name -> callable, called at each recorded step before the update.
    """
    where = "fit_multitask_models"
    steps, record_every, _, _ = _common_checks(steps, record_every, None, None, where)
    batch = ModelBatch(models)
    S = batch.size
    X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    per_model_data = X.ndim == 3
    if X.ndim not in (2, 3) or (per_model_data and X.shape[0] != S):
        raise ValueError(f"{where}: X must be (N, d) shared by the {S} models or ({S}, N, d), got {X.shape}")
    if not isinstance(targets, (list, tuple)) or not targets:
        raise ValueError(f"{where}: targets must be a list with one array per task")
    T = len(targets)
    task_losses = [task_losses] * T if isinstance(task_losses, str) else list(task_losses)
    unknown = [name for name in task_losses if name not in LOSSES]
    if len(task_losses) != T or unknown:
        raise ValueError(f"{where}: task_losses must be {T} names from {sorted(LOSSES)}, got {task_losses}")
    n = X.shape[-2]
    prepared = []
    for t, (target, name) in enumerate(zip(targets, task_losses)):
        target = np.asarray(target)
        rows = list(target) if per_model_data else [target] * S
        if len(rows) != S:
            raise ValueError(f"{where}: targets[{t}] must have a leading axis of the {S} models, got {target.shape}")
        prepared.append(np.stack([_prepare_targets(row, n, name, X.dtype, where, f"targets[{t}]") for row in rows]))
    if balancers is not None:
        balancers = list(balancers)
        if len(balancers) != S:
            raise ValueError(f"{where}: give one balancer per model ({S}), got {len(balancers)}")
        gradient_based = {bool(b.uses_task_gradients) for b in balancers}
        if len(gradient_based) != 1:
            raise ValueError(f"{where}: the balancers must all weight losses or all use task gradients")
        gradient_based = gradient_based.pop()
        clipped = [type(b).__name__ for b in balancers if getattr(b, "max_norm", None) is not None]
        if clipped:
            raise ValueError(f"{where}: {clipped[0]} clips the shared gradient (max_norm); training many models at "
                             "once supports only balancers without clipping")
    if callable(optimizer) and not isinstance(optimizer, Optimizer):
        # a factory: the stacked parameters exist only now, so the caller cannot build the optimiser
        optimizer = optimizer(batch.parameters())
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{where}: the optimizer factory must return an Optimizer, got {type(optimizer).__name__}")
    optimizer = _make_optimizer(optimizer, batch.parameters(), lr, where)
    named_probes = _named_probes(probes, where)
    probe_values = {name: [] for name in named_probes}
    shared = batch.network.shared_parameters()
    X_tensor = Tensor(X)
    recorded_steps, recorded_losses, recorded_weights = [], [], []
    last = steps - 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(steps):
            recording = step % record_every == 0 or step == last
            if recording:
                for name, probe in named_probes.items():
                    probe_values[name].append(probe(batch, step))
            optimizer.zero_grad()
            outputs = batch(X_tensor)
            losses = [LOSSES[name](out, target, per_model=True)
                      for name, out, target in zip(task_losses, outputs, prepared)]
            values = np.stack([loss.data for loss in losses], axis=1)  # (S, T)
            if not np.all(np.isfinite(values)):
                s, t = np.argwhere(~np.isfinite(values))[0]
                raise TrainingDiverged(step, float(values[s, t]), lr=optimizer.lr)
            if balancers is None or not gradient_based:
                weights = np.ones((S, T)) if balancers is None else np.stack(
                    [b.loss_weights(v) for b, v in zip(balancers, values)])
                total = None
                for t, loss in enumerate(losses):
                    term = loss if balancers is None else loss * weights[:, t]
                    total = term if total is None else total + term
                total.sum().backward()
            else:
                summed = [loss.sum() for loss in losses]
                shared_ids = {id(p) for p in shared}
                params = shared + [leaf for leaf in graph_leaves(summed) if id(leaf) not in shared_ids]
                grads = per_task_gradients(summed, params, retain_graph=False)  # grads[t][i]: (S, ...)
                shapes = [model_param.shape for model_param in _model_parameters_like(batch, params)]
                weights = np.zeros((S, T))
                combined = [np.empty_like(p.data) for p in params]
                for s, b in enumerate(balancers):
                    model_grads = [[g[s].reshape(shape) for g, shape in zip(row, shapes)] for row in grads]
                    weights[s], parts = b.from_task_gradients(values[s], model_grads, shapes, len(shared))
                    for i, part in enumerate(parts):
                        combined[i][s] = np.reshape(part, combined[i].shape[1:])
                for p, grad in zip(params, combined):
                    p.grad = grad
            if recording:
                recorded_steps.append(step)
                recorded_losses.append(values)
                recorded_weights.append(weights)
            optimizer.step()
    batch.unstack()
    return ModelsHistory(steps=recorded_steps, task_losses=np.array(recorded_losses),
                         weights=np.array(recorded_weights), probes=probe_values)


def _model_parameters_like(batch, stacked_params) -> list:
    """For stacked parameters of `batch.network`, the matching parameters of the first model (their
    per-model shapes)."""
    position = {id(p): i for i, p in enumerate(batch.network.parameters())}
    originals = batch.models[0].parameters()
    return [originals[position[id(p)]] for p in stacked_params]
