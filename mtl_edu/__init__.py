"""mtl-edu: a from-scratch NumPy autodiff engine for a course on gradient flow and multi-task learning.

The package is layered bottom to top (see the course design): `autodiff` (Tensor), `functional`,
then `nn`/`init`/`optim`, the multi-task toolkit, the gradient-flow probes, and last the plots and
interactive explorers. Nothing imports from a layer above it.
"""
from . import functional, init, nn, optim, train
from .autodiff import GradcheckResult, Tensor, error_band, gradcheck, is_grad_enabled, no_grad

__all__ = [
    "Tensor", "no_grad", "is_grad_enabled", "gradcheck", "GradcheckResult", "error_band",
    "functional", "init", "nn", "optim", "train",
]
__version__ = "0.1.0"
