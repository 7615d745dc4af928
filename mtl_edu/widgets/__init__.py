"""Explorers: interactive figures a learner steers with sliders.

Every explorer has three layers, so the part that computes can be tested without a browser:

1. a compute function: pure, fast, plain data in and out;
2. an update function `<name>_explorer_update(**controls) -> Figure` that computes and plots. A
   setting that cannot work raises `ValueError` (or returns a message string) whose text tells the
   learner what to change; the widget shows that text instead of a traceback;
3. a widget factory `<name>_explorer(**initial_values) -> Explorer` that wires controls made with
   `continuous_update=False` to the update function.

`EXPLORERS` maps each explorer's name to `(update_fn, default_controls)` (the benchmark and tests
iterate over it) and `EXPLORER_WIDGETS` maps the same names to the widget factories. A lesson adds
an explorer by writing the three layers in its own module here, calling `register_explorer` once,
and importing the module below.

One module per lesson topic; this package re-exports all their public names, so
`from mtl_edu import widgets; widgets.gradient_flow_explorer()` works whichever module defines it:

    core                 the framework: Explorer, the registry, figures and controls
    sigmoid              lesson 00  the sigmoid and its slope
    autodiff_graphs      lesson 01  a neuron's computation graph; finite differences
    decision_boundary    lesson 02  a small network learns a 2-D boundary; the initialisation experiment
    vanishing_gradients  lesson 03  the gradient-flow explorer
    fix_it               lesson 04  exploding gradients and the remedies for both failures
    transfer             lesson 05  what sharing a network between tasks buys
    task_weights         lesson 06  task weights, the trade-off they trace, and loss scales
    balancing_lab        lesson 07  can the weights set themselves? the balancing lab
    deep_supervision     lesson 08  does multi-task learning cure vanishing gradients?
    mechanisms           lesson 09  why does MTL help at all? Caruana's mechanisms
    capstone             lesson 10  three penguin tasks, balancers, Δm% and gradient conflict
"""
# The order below is the order the explorers register in (importing a module registers its explorers),
# so `EXPLORERS` lists them as it always has; the benchmark and the tests walk it in this order.
# The star imports gather each module's `__all__`.
from . import (
    core, sigmoid, autodiff_graphs, vanishing_gradients, fix_it, decision_boundary, task_weights, balancing_lab,
    transfer, deep_supervision, capstone, mechanisms,
)
from .core import *  # noqa: F401,F403
from .sigmoid import *  # noqa: F401,F403
from .autodiff_graphs import *  # noqa: F401,F403
from .vanishing_gradients import *  # noqa: F401,F403
from .fix_it import *  # noqa: F401,F403
from .decision_boundary import *  # noqa: F401,F403
from .task_weights import *  # noqa: F401,F403
from .balancing_lab import *  # noqa: F401,F403
from .transfer import *  # noqa: F401,F403
from .deep_supervision import *  # noqa: F401,F403
from .capstone import *  # noqa: F401,F403
from .mechanisms import *  # noqa: F401,F403

__all__ = [
    *core.__all__, *sigmoid.__all__, *autodiff_graphs.__all__, *vanishing_gradients.__all__, *fix_it.__all__,
    *decision_boundary.__all__, *task_weights.__all__, *balancing_lab.__all__, *transfer.__all__,
    *deep_supervision.__all__, *capstone.__all__, *mechanisms.__all__,
]
