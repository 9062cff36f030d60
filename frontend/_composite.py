"""Functions PyTorch has as single kernels that tenkai writes as short compositions of registry
ops (``softmax``, ``log_softmax``, ``norm``, ``cumsum``, ``flip``, ``exp2``). Each names its
result node after PyTorch's grad_fn so ``print(y)`` reads the same."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._dtype import as_dtype
from ._ops import _floating, abs, apply, cast, exp, log, mul, pow, sqrt, sub, tensor_of
from ._reduce import amax, dims_arg, sum
from ._shape import matmul, named, transpose
from ._tensor import Tensor


def _float_input(op: str, input: Tensor, dtype: Any) -> Tensor:
    if dtype is not None:
        return cast(input, as_dtype(dtype).name)
    if not input.is_floating_point():
        kernel = {"softmax": "softmax_lastdim_kernel_impl",
                  "log_softmax": "log_softmax_lastdim_kernel_impl"}[op]
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype._legacy.removesuffix('Tensor')}'")
    return input


def _shifted(x: Tensor, dim: int) -> Tensor:
    """``x - max(x, dim)`` with the max treated as a constant (it cancels in the gradient)."""
    m = amax(x, dim, keepdim=True).detach()
    m = Tensor._make(np.where(np.isfinite(m._data), m._data, 0).astype(m._data.dtype))
    return sub(x, m)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)`` computed stably (``tenkai.softmax(x, dim=1)``)."""
    x = _float_input("softmax", input, dtype)
    e = exp(_shifted(x, dim))
    return named(apply("div", (e, sum(e, dim, keepdim=True))), "SoftmaxBackward0")


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)`` (``tenkai.log_softmax(x, dim=1)``)."""
    x = _float_input("log_softmax", input, dtype)
    z = _shifted(x, dim)
    return named(sub(z, log(sum(exp(z), dim, keepdim=True))), "LogSoftmaxBackward0")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default): ``x.norm()``, ``x.norm(1, dim=0)``."""
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if not x.is_floating_point():
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype._legacy.removesuffix('Tensor')}")
    if p in ("fro", 2, 2.0):
        out = sqrt(sum(mul(x, x), dim, keepdim))
    elif p in (math.inf, float("inf")):
        out = amax(abs(x), () if dim is None else dim, keepdim)
    elif p == 1:
        out = sum(abs(x), dim, keepdim)
    else:
        out = pow(sum(pow(abs(x), p), dim, keepdim), 1.0 / p)
    return named(out, "LinalgVectorNormBackward0")


def exp2(input: Tensor) -> Tensor:
    return named(pow(2.0, _floating(input)), "Exp2Backward0")


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim`` (a matmul with a triangular matrix of ones)."""
    (axis,) = dims_arg("cumsum", dim, max(input.ndim, 1))
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if x._ir_dtype == "bool" or (dtype is None and not x.is_floating_point()):
        x = cast(x, "int64")
    if x.ndim == 0:
        return named(apply("reshape", (x,), shape=()), "CumsumBackward0")
    n = x.shape[axis]
    tri = tensor_of(np.triu(np.ones((n, n))), x._ir_dtype)
    moved = transpose(x, axis, -1)
    return named(transpose(matmul(moved, tri), axis, -1), "CumsumBackward0")


def flip(input: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, like PyTorch)."""
    out = input
    for axis in dims_arg("flip", dims, input.ndim):
        index = tensor_of(np.arange(input.shape[axis] - 1, -1, -1), "int64")
        out = apply("take", (out, index), axis=axis)
    if out is input:
        out = apply("cast", (input,), dtype=input._ir_dtype)
    return named(out, "FlipBackward0")
