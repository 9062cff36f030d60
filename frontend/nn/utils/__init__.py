"""``tenkai.nn.utils``: gradient clipping and parameter/vector conversion, as in PyTorch.

The clipping functions are written with tenkai tensor ops only (no ``.item()``, no numpy, no
Python branch on a tensor's value), so a training step that calls them traces whole inside
``tenkai.compile``::

    loss.backward()
    tenkai.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()

The one exception is ``clip_grad_norm_(..., error_if_nonfinite=True)``: raising needs the norm's
value on the host, so that option cannot be traced (compile reports it as untraceable).
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

from ..._composite import norm
from ..._creation import tensor
from ..._shape import cat, stack
from ..._tensor import Tensor
from ...autograd import no_grad
from . import parametrizations, parametrize, prune, rnn
from ._hook_norms import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "parametrizations", "parametrize", "prune",
           "remove_spectral_norm", "remove_weight_norm", "rnn", "spectral_norm",
           "vector_to_parameters", "weight_norm"]

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: list[Tensor]) -> list[Tensor]:
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(x: Tensor, p: float) -> Tensor:
    """``torch.linalg.vector_norm(x, p)`` over all elements, as a 0-d tensor of ``x``'s dtype."""
    return norm(x, p)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` viewed as one vector (a 0-d tensor):
    ``nn.utils.get_total_norm([p.grad for p in model.parameters()])``.

    It is the norm of the per-tensor norms, as PyTorch computes it; ``tensor(0.)`` when
    ``tensors`` is empty. ``foreach`` is accepted for compatibility (tenkai fuses anyway).
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        norms = [_vector_norm(t, norm_type) for t in tensors]
        total_norm = _vector_norm(stack(norms), norm_type)
    # NOTE: the only host-side check; float() reads the value, so it is not traceable.
    if error_if_nonfinite and not math.isfinite(float(total_norm)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale every ``.grad`` in place by ``min(max_norm / (total_norm + 1e-6), 1)``:
    ``nn.utils.clip_grads_with_norm_(model.parameters(), 1.0, total_norm)``.

    The coefficient is clamped, not branched on, so the step stays one traced graph.
    """
    grads = _grads(_as_list(parameters))
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        clip_coef = max_norm / (total_norm + 1e-6)
        clip_coef_clamped = clip_coef.clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients in place so their total norm is at most ``max_norm``; returns the
    total norm before clipping: ``nn.utils.clip_grad_norm_(model.parameters(), 1.0)``.

    ``parameters`` is one tensor or an iterable; parameters whose ``.grad`` is None are
    skipped. ``norm_type`` may be ``float('inf')``. ``error_if_nonfinite=True`` raises a
    RuntimeError for a nan/inf norm (a host check: not traceable by ``tenkai.compile``).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once, by both steps below
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (warns, as PyTorch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every ``.grad`` in place to ``[-clip_value, clip_value]``:
    ``nn.utils.clip_grad_value_(model.parameters(), 0.5)``."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(_as_list(parameters)):
            g.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-d tensor:
    ``vec = nn.utils.parameters_to_vector(model.parameters())``."""
    # PyTorch also checks that all parameters share a device; tenkai's tensors always do.
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (replacing their ``.data``):
    ``nn.utils.vector_to_parameters(vec, model.parameters())``.

    As in PyTorch, a ``vec`` too short fails in ``view_as``; extra elements are ignored.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param


def _typename(obj: Any) -> str:
    """``torch.typename``: ``'list'``, ``'numpy.ndarray'``..."""
    kind = type(obj)
    module = kind.__module__
    if module in ("", "builtins"):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"
