"""``tenkai.autograd``: ``backward``, ``grad``, the grad-mode switches (``_core``), custom
``Function`` (``function``), ``gradcheck``/``gradgradcheck`` and ``functional`` (jacobian,
hessian, vjp, jvp, hvp, vhp)."""

from . import anomaly_mode, function, functional, profiler
from ._core import (STATS, Variable, backward, enable_grad, grad, inference_mode,
                    is_grad_enabled, no_grad, set_grad_enabled)
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # shadows the module name

__all__ = ["STATS", "Function", "GradcheckError", "Variable", "anomaly_mode", "backward",
           "detect_anomaly", "enable_grad", "function", "functional", "grad", "gradcheck",
           "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad",
           "once_differentiable", "profiler", "set_detect_anomaly", "set_grad_enabled"]
