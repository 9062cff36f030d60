"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, and the
``lazy_property`` that computes ``probs`` from ``logits`` (or back) on first use."""

from __future__ import annotations

import numbers
from typing import Any

import tenkai
import tenkai.nn.functional as F

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "params_batch_shape", "probs_to_logits", "sum_rightmost"]


def broadcast_all(*values: Any) -> tuple[Any, ...]:
    """Numbers become tensors (the dtype of the first tensor given, else the default dtype),
    then all broadcast to one shape."""
    tensors = [v for v in values if isinstance(v, tenkai.Tensor)]
    for v in values:
        if not isinstance(v, (tenkai.Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number, "
                             f"torch.Tensor or objects implementing __torch_function__, "
                             f"got {type(v).__name__}.")
    dtype = tensors[0].dtype if tensors else tenkai.get_default_dtype()
    as_tensors = [v if isinstance(v, tenkai.Tensor) else tenkai.tensor(v, dtype=dtype)
                  for v in values]
    return tuple(tenkai.broadcast_tensors(*as_tensors))


def params_batch_shape(given: tuple[Any, ...], broadcast: Any) -> Any:
    """A distribution's batch shape: () when every parameter was given as a Python number,
    else the broadcast parameters' shape."""
    if all(isinstance(v, numbers.Number) for v in given):
        return tenkai.Size()
    return broadcast.size()


def sum_rightmost(value: Any, dim: int) -> Any:
    """Sum out the ``dim`` rightmost dims of ``value``."""
    if dim == 0:
        return value
    return value.sum(tuple(range(-dim, 0)))


def clamp_probs(probs: Any) -> Any:
    eps = tenkai.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Any, is_binary: bool = False) -> Any:
    return tenkai.sigmoid(logits) if is_binary else F.softmax(logits, dim=-1)


def probs_to_logits(probs: Any, is_binary: bool = False) -> Any:
    clamped = clamp_probs(probs)
    if is_binary:
        return tenkai.log(clamped) - tenkai.log1p(-clamped)
    return tenkai.log(clamped)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed once and then stored in the instance's ``__dict__`` (so a
    distribution's repr shows only the parameters it was given or has computed)."""

    def __init__(self, wrapped: Any):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with tenkai.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def scale_tril_matrices() -> tuple[lazy_property, lazy_property, lazy_property]:
    """``scale_tril``, ``covariance_matrix`` and ``precision_matrix`` as lazy properties of a
    distribution holding ``_unbroadcasted_scale_tril`` and a ``_matrix_shape()`` to expand to
    (MultivariateNormal, Wishart): ``scale_tril, covariance_matrix, precision_matrix =
    scale_tril_matrices()`` in the class body, the class hierarchy left as PyTorch's."""

    def scale_tril(self: Any) -> Any:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    def covariance_matrix(self: Any) -> Any:
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(self._matrix_shape())

    def precision_matrix(self: Any) -> Any:
        return tenkai.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            self._matrix_shape())

    return (lazy_property(scale_tril), lazy_property(covariance_matrix),
            lazy_property(precision_matrix))
