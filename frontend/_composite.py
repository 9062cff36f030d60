"""Functions PyTorch has as single kernels that tenkai writes as short compositions of registry
ops (``softmax``, ``log_softmax``, ``norm``, ``cumsum``, ``flip``, ``exp2``). Each names its
result node after PyTorch's grad_fn so ``print(y)`` reads the same."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from . import _eager_fused, _scan_fused
from ._dtype import as_dtype
from ._linalg_ops import matrix_norm
from ._ops import (
    _floating,
    abs,
    add,
    apply,
    cast,
    eq,
    exp,
    log,
    mul,
    ne,
    pow,
    sign,
    sqrt,
    sub,
    tensor_of,
    where,
)
from ._reduce import amax, amin, dims_arg, sum
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
    return named(apply("div", (e, sum(e, dim, keepdim=True))), "SoftmaxBackward0", x)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)`` (``tenkai.log_softmax(x, dim=1)``)."""
    x = _float_input("log_softmax", input, dtype)
    z = _shifted(x, dim)
    return named(sub(z, log(sum(exp(z), dim, keepdim=True))), "LogSoftmaxBackward0", x)


def _pow_masked(base: Tensor, exponent: float) -> Tensor:
    """``base ** exponent`` for ``base >= 0``, with gradient 0 where ``base == 0``.

    NOTE: PyTorch's norm backward masks those entries to 0 (``masked_fill_(norm == 0, 0)``);
    the plain pow/sqrt gradient there is ``0 * inf = nan``. Feeding pow a 1 at the zeros and
    selecting the exact value afterwards keeps both the value and the gradient finite."""
    at_zero = eq(base, 0)
    safe = where(at_zero, 1.0, base)
    value = sqrt(safe) if exponent == 0.5 else pow(safe, exponent)
    return where(at_zero, 0.0 if exponent > 0 else math.inf, value)


def _count_nonzero(x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """The p=0 "norm": how many entries are non-zero (nan counts), in ``x``'s dtype.

    NOTE: PyTorch gives this no gradient but the result still requires grad. ``sign`` has a
    zero gradient, so routing the zeros through it keeps ``x`` in the graph with a zero (never
    nan) gradient; ``+ 0`` turns ``sign(-0.)`` into ``+0.`` so an all ``-0.`` slice counts 0."""
    nonzero = where(ne(x, 0), 1.0, add(sign(x), 0.0))
    return sum(nonzero, dim, keepdim)


def _check_extreme_nonempty(x: Tensor, p: float, dim: Any) -> None:
    """max/min have no identity: PyTorch refuses the +-inf norm over an empty reduction."""
    name = "inf" if p > 0 else "-inf"
    if x.numel() == 0 and dim is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                           "tensor because the operation does not have an identity")
    for axis in dims_arg("linalg.vector_norm", dim, x.ndim):
        if x.shape[axis] == 0:  # PyTorch's message, its missing space after {axis} included
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                               f"dimension {axis}because this dimension is empty and the "
                               "operation does not have an identity")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default): ``x.norm()``, ``x.norm(1, dim=0)``.

    As ``torch.linalg.vector_norm``: ``p=inf``/``-inf`` is the max/min of ``|x|`` (the gradient
    is shared evenly between tied entries, as in PyTorch), ``p=0`` counts the non-zero entries,
    ``"fro"`` (or None) is the 2-norm. Where a norm is 0 its gradient is 0, not nan, as in
    PyTorch. One difference: for ``p=0`` PyTorch leaves ``x.grad`` None, tenkai gives zeros.
    """
    if not input.is_floating_point():
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype._legacy.removesuffix('Tensor')}")
    if p == "nuc":  # torch.norm's matrix norm: over dim, or the last two dims
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim,
                           dtype=dtype)
    if isinstance(p, str) and p != "fro":
        raise RuntimeError(f"norm: p={p!r} is not a norm order; use a number, 'fro' or 'nuc'")
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if p == "fro" and isinstance(dim, tuple | list) and len(dim) > 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    p = 2 if p in ("fro", None) else p
    if type(p) in (int, float) and fast.plain_float(x):
        if p in (math.inf, -math.inf):
            _check_extreme_nonempty(x, p, dim)
        return fast.result(_norm_data(x._data, float(p), dims_arg("norm", dim, x.ndim),
                                      keepdim))
    if p in (math.inf, -math.inf):
        _check_extreme_nonempty(x, p, dim)
        extreme = amax if p > 0 else amin
        out = extreme(abs(x), () if dim is None else dim, keepdim)
    elif p == 0:
        out = _count_nonzero(x, dim, keepdim)
    elif p == 1:
        out = sum(abs(x), dim, keepdim)
    elif p == 2:
        out = _pow_masked(sum(mul(x, x), dim, keepdim), 0.5)
    else:
        out = _pow_masked(sum(_pow_masked(abs(x), p), dim, keepdim), 1.0 / p)
    return named(out, "LinalgVectorNormBackward0", x)


def _norm_data(x: np.ndarray, p: float, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """:func:`norm`'s value on an array (the fast path)."""
    with np.errstate(all="ignore"):
        if p == 2 and x.size and sorted(axes) == list(range(x.ndim)):
            total = np.sqrt(_sum_of_squares(x.reshape(-1)))
            return total.reshape((1,) * x.ndim) if keepdim else total
        a = np.abs(x)
        if p == math.inf:
            return np.max(a, axes, keepdims=keepdim)
        if p == -math.inf:
            return np.min(a, axes, keepdims=keepdim)
        if p == 0:
            return np.sum(x != 0, axes, keepdims=keepdim).astype(x.dtype)
        if p == 1:
            return np.sum(a, axes, keepdims=keepdim)
        if p == 2:
            return np.sqrt(np.sum(x * x, axes, keepdims=keepdim))
        return np.sum(a ** x.dtype.type(p), axes, keepdims=keepdim) ** x.dtype.type(1.0 / p)


# dot products of at most this many elements: OpenBLAS runs them on the calling thread
DOT_BLOCK = 8192


def _sum_of_squares(flat: np.ndarray) -> np.ndarray:
    """``sum(x * x)`` of a 1-D array as BLAS dot products of blocks of :data:`DOT_BLOCK`
    (65536 float32: ~4x faster than the product and numpy's sum); the same float rounding
    class as the native row sum of the composite (partial sums, then their sum)."""
    whole = flat.size - flat.size % DOT_BLOCK
    if not whole:
        return np.dot(flat, flat)
    rows = flat[:whole].reshape(-1, DOT_BLOCK)
    total = np.vecdot(rows, rows).sum()
    return total + np.dot(flat[whole:], flat[whole:]) if whole < flat.size else total


def exp2(input: Tensor) -> Tensor:
    return named(pow(2.0, _floating(input)), "Exp2Backward0", input)


# PyTorch's CPU scans (cumsum, cumprod) accumulate float32 in float64 and float16/bfloat16 in
# float32, rounding each running value to the tensor's dtype: a long float32 cumsum stays
# within an ulp of the exact sums where a float32 running sum (numpy's) drifts
SCAN_ACCUMULATOR = {"float32": "float64", "float16": "float32", "bfloat16": "float32"}
# the same for the eager numpy path: array dtype -> accumulator dtype
NUMPY_SCAN_ACCUMULATOR = {np.dtype(np.float32): np.float64, np.dtype(np.float64): np.float64,
                          np.dtype(np.float16): np.float32}


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim`` (a matmul with a triangular matrix of ones)."""
    (axis,) = (norm_axis("cumsum", dim, max(input.ndim, 1)),) if type(dim) is int else \
        dims_arg("cumsum", dim, max(input.ndim, 1))
    if dtype is None and input._data.dtype in NUMPY_SCAN_ACCUMULATOR and input.ndim:
        if fast.plain(input):
            return fast.result(_scan_fused.cumsum_value(input._data, axis), fresh=True)
        if _eager_fused.available(input):
            return _scan_fused.cumsum_fused(input, axis, lambda t: cumsum(t, dim))
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if x._ir_dtype == "bool" or (dtype is None and not x.is_floating_point()):
        x = cast(x, "int64")
    if x.ndim == 0:
        return named(apply("reshape", (x,), shape=()), "CumsumBackward0", x)
    n = x.shape[axis]
    wide = SCAN_ACCUMULATOR.get(x._ir_dtype)
    src = x if wide is None else cast(x, wide)
    tri = tensor_of(np.triu(np.ones((n, n))), src._ir_dtype)
    if type(x._data) is not np.ndarray:  # on the input's GPU
        tri = tri.to(x.device)
    if axis == x.ndim - 1:  # along the last dim already: no transposes to record
        out = matmul(src, tri)
    else:
        out = transpose(matmul(transpose(src, axis, -1), tri), axis, -1)
    return named(out if wide is None else cast(out, x._ir_dtype), "CumsumBackward0", x)


def flip(input: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, like PyTorch)."""
    # an empty dims list flips nothing (dims_arg reads it as "all dims", as reductions do)
    axes = () if isinstance(dims, (list, tuple)) and not dims else \
        dims_arg("flip", dims, input.ndim)
    if fast.plain(input):
        return fast.result(np.flip(input._data, axes))
    if _eager_fused.available(input):  # one step: the gradient flipped back
        return _eager_fused.unary("FlipBackward0", input, np.flip(input._data, axes).copy(),
                                  lambda g: np.flip(g, axes).copy(), lambda t: flip(t, dims))
    out = input
    for axis in axes:
        index = tensor_of(np.arange(input.shape[axis] - 1, -1, -1), "int64")
        out = apply("take", (out, index), axis=axis)
    if out is input:
        out = apply("cast", (input,), dtype=input._ir_dtype)
    return named(out, "FlipBackward0", input)
