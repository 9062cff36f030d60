"""``tenkai.autograd``: ``backward``, ``grad``, the grad-mode switches (``_core``), custom
``Function`` (``function``) and ``functional`` (jacobian, hessian, vjp, jvp, hvp, vhp)."""

from . import function, functional
from ._core import (STATS, Variable, backward, enable_grad, grad, inference_mode,
                    is_grad_enabled, no_grad, set_grad_enabled)
from .function import Function, once_differentiable

__all__ = ["STATS", "Function", "Variable", "backward", "enable_grad", "function", "functional",
           "grad", "inference_mode", "is_grad_enabled", "no_grad", "once_differentiable",
           "set_grad_enabled"]
