"""mtl-edu: a from-scratch NumPy autodiff engine for a course on gradient flow and multi-task learning.

The folders are the layers, bottom to top: `data/` and `engine/` (Tensor, autodiff, functional), `nets/`
(layers, optimisers, many models at once, shared networks, training loops), `balancing/` (aggregators,
balancers, toys), `instruments/` (probes, statistics, figures), then the lessons' experiments,
exercise checkers and explorers. A module imports only from the layers below it (the README's table;
tests/test_layering.py checks it).
"""
from importlib import import_module

from .engine.autodiff import GradcheckResult, Tensor, error_band, gradcheck, is_grad_enabled, no_grad

# Short names for the modules, so a notebook writes `from mtl_edu import nn, train, plots`. Each module
# has one home (the layer it belongs to); these names only point there, and load it on first use.
MODULES = {
    "autodiff": "engine", "functional": "engine",
    "datasets": "data",
    "init": "nets", "nn": "nets", "optim": "nets", "batched": "nets", "multitask": "nets", "train": "nets",
    "aggregators": "balancing", "balancers": "balancing", "toys": "balancing",
    "probes": "instruments", "stats": "instruments", "plots": "instruments", "graph_drawing": "instruments",
}

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "gradcheck", "GradcheckResult", "error_band", *MODULES]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in MODULES:
        module = import_module(f".{MODULES[name]}.{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mtl_edu' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *MODULES})
