"""Math and statistics methods of issue 13's API breadth, also ``torch.X`` functions:
``lerp``, ``nansum``/``nanmean``/``nanmedian``, ``renorm``, ``repeat_interleave``,
``count_nonzero``, ``cov``/``corrcoef``, ``dist``, ``inner``/``vdot``/``addr``, ``aminmax``,
``argwhere``, ``hardshrink``/``prelu``/``positive``, ``nonzero_static``, the LU/QR helpers
(``lu``, ``lu_solve``, ``geqrf``, ``orgqr``, ``ormqr``) and the histograms (``histc``,
``histogram``). The special functions are in ``_api_tensor_special``.

Most are composites of registry ops (autograd and tenkai.compile work). ``nanmedian``,
``geqrf`` and the histograms run eagerly with NumPy (no gradient, as in PyTorch, except
``nanmedian``'s, which flows through a ``take``); inside tenkai.compile they raise
NotImplementedError.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _eager_fast as fast
from . import _trace, linalg
from ._composite import _norm_data, norm
from ._contract import _scaled_sum, tensordot
from ._dtype import as_dtype, get_default_dtype
from ._linalg_lu import householder_product, lu_factor_ex
from ._math import isnan
from ._node import GRAD_MODE
from ._ops import (
    abs,
    add,
    apply,
    cast,
    clamp,
    div,
    gt,
    logical_or,
    lt,
    mul,
    ne,
    nonzero,
    sqrt,
    sub,
    tensor_of,
    where,
)
from ._reduce import amax, amin, dims_arg, sum
from ._select_ties import all_nan_position
from ._shape import cat, dot, matmul, named, outer, reshape, transpose
from ._sorting import _order, _values
from ._tensor import Tensor
from .return_types import _make

aminmax_type = _make("aminmax", "min", "max")
histogram_type = _make("histogram", "hist", "bin_edges")
nanmedian_type = _make("nanmedian", "values", "indices")
geqrf_type = _make("geqrf", "a", "tau")


def _legacy(t: Tensor) -> str:
    return t.dtype._legacy.removesuffix("Tensor")


def _no_grad_eager(op: str, *tensors: Any, why: str = "") -> None:
    """``op`` has no registry op (and, unless ``why`` says, no derivative in tenkai)."""
    if _trace.active() is not None:
        raise NotImplementedError(f"{op}: not supported inside tenkai.compile (no registry op); "
                                  "compute it outside the compiled function")
    if GRAD_MODE.enabled and any(isinstance(t, Tensor) and t.requires_grad for t in tensors):
        raise NotImplementedError(f"{op}: the derivative is not implemented in tenkai{why}")


# ---------------------------------------------------------------- elementwise


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``."""
    out = add(input, mul(weight, sub(end, input)))
    return named(out, "LerpBackward1" if isinstance(weight, Tensor) else "LerpBackward0",
                 input, end, *([weight] if isinstance(weight, Tensor) else []))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    out = where(logical_or(gt(input, lambd), lt(input, -lambd)), input, 0.0)
    return named(out, "HardshrinkBackward0", input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)`` with one weight, or one per channel (dim 1)."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    if weight.numel() == 1:
        w = reshape(weight, ())
    else:
        w = reshape(weight, (channels,) + (1,) * (input.ndim - 2))
    return named(where(gt(input, 0), input, mul(w, input)), "PreluKernelBackward0", input, w)


def positive(input: Tensor) -> Tensor:
    if input._ir_dtype == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ---------------------------------------------------------------- reductions


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum`` with NaN counted as zero."""
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if x.is_floating_point():
        x = where(isnan(x), tensor_of(0, x._ir_dtype), x)
    return named(sum(x, dim, keepdim), "NansumBackward0", input)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """The mean of the non-NaN elements."""
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if not x.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy(x)}")
    count = sum(cast(ne(x, x), x._ir_dtype), dim, keepdim)
    total = sum(tensor_of(np.ones(tuple(x.shape)), x._ir_dtype), dim, keepdim)
    return div(nansum(x, dim, keepdim), sub(total, count))


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median of the non-NaN elements (NaN where all are NaN); with ``dim``, the
    values and their positions."""
    if _trace.active() is not None:
        raise NotImplementedError("nanmedian: not supported inside tenkai.compile (the order is "
                                  "data-dependent); compute it outside the compiled function")
    if dim is None:
        flat = reshape(input, (-1,))
        data = flat._data
        valid = int(np.sum(~np.isnan(data))) if data.dtype.kind == "f" else data.size
        if valid == 0:
            return named(tensor_of(np.nan, input._ir_dtype), "NanmedianBackward0", input)
        pos = int(_order(data, 0, False)[(valid - 1) // 2])
        out = apply("take", (flat, tensor_of(pos, "int64")), axis=0, bounds="index")
        return named(out, "NanmedianBackward0", input)
    axis = dims_arg("nanmedian", dim, max(input.ndim, 1))[0] if input.ndim else 0
    data = np.atleast_1d(input._data)
    order = _order(data, axis, False)
    valid = np.sum(~np.isnan(data), axis=axis, keepdims=True) if data.dtype.kind == "f" \
        else np.full_like(np.take(data, [0], axis=axis), data.shape[axis], dtype=np.int64)
    pick = np.maximum(valid - 1, 0) // 2
    index = np.take_along_axis(order, pick.astype(np.int64), axis=axis)
    if data.shape[axis] and not valid.all():  # all-nan lines: PyTorch's selection decides
        index = np.where(valid == 0, all_nan_position(data.shape[axis]), index)
    values, idx = _values(input, axis, index, "NanmedianBackward1")
    if not keepdim and input.ndim:
        values = named(reshape(values, tuple(np.delete(values.shape, axis))),
                       "NanmedianBackward1", input)
        idx = reshape(idx, tuple(np.delete(idx.shape, axis)))
    return nanmedian_type(values, idx)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """How many elements are non-zero (over ``dim``), as int64."""
    if fast.plain(input):
        if dim is None:  # numpy's one C call (an axis tuple goes through astype and sum)
            return Tensor._make(np.asarray(np.count_nonzero(input._data), np.int64))
        axes = dims_arg("count_nonzero", dim, input.ndim) if input.ndim else None
        return fast.result(np.count_nonzero(input._data, axis=axes), np.int64)
    return sum(cast(ne(input, 0), "int64"), dim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` of all elements or along ``dim``."""
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    axes = () if dim is None else dim
    return aminmax_type(amin(input, axes, keepdim), amax(input, axes, keepdim))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero`` padded with ``fill_value`` (or cut) to exactly ``size`` rows."""
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)._data[:size]
    pad = np.full((size - found.shape[0], input.ndim), fill_value, dtype=np.int64)
    return Tensor._make(np.concatenate([found, pad]).astype(np.int64))


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` scaled down to p-norm ``maxnorm`` where its norm exceeds it."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = dims_arg("renorm", dim, input.ndim)[0]
    others = tuple(d for d in range(input.ndim) if d != axis)
    norms = norm(input, p, others, keepdim=True) if others else abs(input)
    scale = where(gt(norms, maxnorm), div(maxnorm, add(norms, 1e-7)), 1.0)
    return named(mul(input, cast(scale, input._ir_dtype)), "RenormBackward0", input)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (slice along ``dim``) repeated ``repeats`` times; ``repeat_interleave(r)``
    alone repeats ``arange(len(r))``."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        counts = input._data.astype(np.int64)
        return Tensor._make(np.repeat(np.arange(counts.size), counts))
    if isinstance(repeats, Tensor):
        if _trace.active() is not None:
            _trace.active().escape(repeats, "repeat_interleave(repeats)")
        reps = repeats._data.astype(np.int64).reshape(-1)
        if (reps < 0).any():
            raise RuntimeError("repeats can not be negative")
    else:
        reps = np.asarray([int(repeats)])
        if reps[0] < 0:
            raise RuntimeError("Repeats must be non-negative")
    x = reshape(input, (-1,)) if dim is None else input
    axis = 0 if dim is None else dims_arg("repeat_interleave", dim, max(input.ndim, 1))[0]
    n = x.shape[axis] if x.ndim else 1
    if reps.size not in (1, n):
        raise RuntimeError("repeats must have the same size as input along dim")
    index = np.repeat(np.arange(n), np.broadcast_to(reps, (n,)))
    if output_size is not None and output_size != index.size:
        raise RuntimeError("allocated size does not match required size")
    x = reshape(x, (1,)) if x.ndim == 0 else x
    out = apply("take", (x, Tensor._make(index.astype(np.int64))), axis=axis, bounds="index")
    return named(out, "IndexSelectBackward0", x)


# ---------------------------------------------------------------- statistics


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance of the rows (variables) over the columns (observations)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = reshape(input, (1, -1)) if input.ndim < 2 else input
    x = x if x.is_floating_point() else cast(x, get_default_dtype().name)
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = cast(fweights, x._ir_dtype)
    if aweights is not None:
        w = cast(aweights, x._ir_dtype) if w is None else mul(w, cast(aweights, x._ir_dtype))
    if w is None and fast.plain_float(x):
        data = x._data
        dt = data.dtype.type
        centered = data - (np.sum(data, 1) / dt(n_obs))[:, None]
        with np.errstate(all="ignore"):
            out = (centered @ centered.T) / max(dt(n_obs) - dt(correction), dt(0))
        return fast.result(out.reshape(()) if input.ndim < 2 or x.shape[0] == 1 else out)
    if w is None:
        avg = div(sum(x, 1), n_obs)
        w_sum = tensor_of(n_obs, x._ir_dtype)
        fact = sub(w_sum, correction)
    else:
        w_sum = sum(w)
        avg = div(sum(mul(x, w), 1), w_sum)
        if correction == 0:
            fact = w_sum
        elif aweights is None:
            fact = sub(w_sum, correction)
        else:
            aw = cast(aweights, x._ir_dtype)
            fact = sub(w_sum, div(mul(correction, sum(mul(w, aw))), w_sum))
    xm = sub(x, reshape(avg, (-1, 1)))
    weighted = xm if w is None else mul(xm, w)
    c = matmul(xm, transpose(weighted, 0, 1))
    out = div(c, clamp(fact, min=0.0))
    if input.ndim < 2 or x.shape[0] == 1:
        out = reshape(out, ())
    return out


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows."""
    c = cov(input)
    if c.ndim == 0:
        return div(c, c)
    if fast.plain_float(c):
        with np.errstate(all="ignore"):
            d = np.sqrt(np.diagonal(c._data))
            return fast.result(np.clip(c._data / d[:, None] / d[None, :], -1.0, 1.0))
    d = sqrt(reshape(_diagonal(c), (-1,)))
    c = div(div(c, reshape(d, (-1, 1))), reshape(d, (1, -1)))
    return clamp(c, -1.0, 1.0)


def _diagonal(c: Tensor) -> Tensor:
    n = c.shape[0]
    flat = reshape(c, (n * n,))
    return apply("take", (flat, Tensor._make(np.arange(n, dtype=np.int64) * (n + 1))), axis=0,
                 bounds="index")


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other``."""
    if (type(p) in (int, float) and fast.plain_float(input, other)
            and input._data.dtype == other._data.dtype):
        with np.errstate(all="ignore"):  # the composite's difference and norm, on arrays
            d = np.subtract(input._data, other._data)
        if d.size:
            return fast.result(_norm_data(d, float(p), tuple(range(d.ndim)), False))
    return named(norm(sub(input, other), p), "DistBackward0", input, other)


# ---------------------------------------------------------------- products


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dims (a product with a scalar)."""
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([input.ndim - 1], [other.ndim - 1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors (conjugating the first, a no-op for real ones)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    return dot(input, other)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
                           if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha, "AddrBackward0", vec1, vec2)


# ---------------------------------------------------------------- histograms


def _hist_input(op: str, input: Tensor) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'{_legacy(input)}\'')
    _no_grad_eager(op)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of ``bins`` equal-width bins over ``[min, max]`` (the data's range if equal)."""
    _hist_input("histogram", input)
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " + str(bins))
    data = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc(): max must be larger than min")
    # PyTorch's histc bins by linear interpolation in the input's dtype (not np.histogram's
    # edge search, which differs at some edges): bin = (x - min) * bins / (max - min)
    dt = data.dtype.type
    with np.errstate(all="ignore"):
        inside = data[(data >= dt(lo)) & (data <= dt(hi))]  # nan and out-of-range dropped
        pos = ((inside - dt(lo)) * dt(bins) / (dt(hi) - dt(lo))).astype(np.int64)
    counts = np.bincount(np.minimum(pos, bins - 1), minlength=bins)
    return Tensor._make(counts.astype(input._data.dtype))


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None,
              density: bool = False) -> Any:
    """``(hist, bin_edges)`` as ``numpy.histogram`` computes them."""
    _hist_input("histogram", input)
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    hist, out_edges = np.histogram(input._data.reshape(-1), bins=edges, range=range,
                                   weights=None if weight is None else
                                   weight._data.reshape(-1), density=density)
    dt = input._data.dtype
    return histogram_type(Tensor._make(hist.astype(dt)), Tensor._make(out_edges.astype(dt)))


# ---------------------------------------------------------------- LU and QR


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> Any:
    """``(LU, pivots[, infos])``: ``torch.linalg.lu_factor_ex``'s packed factors."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """``X`` with ``A X = b`` from ``torch.lu``'s factors."""
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    return linalg.lu_solve(LU_data, LU_pivots, b)


def geqrf(input: Tensor) -> Any:
    """LAPACK's packed QR: R on and above the diagonal, the Householder vectors below, and
    their scales ``tau`` (eager; no derivative, as in PyTorch)."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: The input tensor A must have at least 2 dimensions.")
    _no_grad_eager("geqrf", input, why=" (PyTorch has none either)")
    batch = input._data.reshape((-1,) + tuple(input.shape[-2:]))
    packed, taus = [], []
    for a in batch:
        h, tau = np.linalg.qr(a.astype(np.float64), mode="raw")
        packed.append(h.T)
        taus.append(tau)
    m, n = input.shape[-2:]
    a_out = np.asarray(packed).reshape(tuple(input.shape)).astype(input._data.dtype)
    tau_out = np.asarray(taus).reshape(tuple(input.shape[:-2]) + (min(m, n),))
    return geqrf_type(Tensor._make(a_out), Tensor._make(tau_out.astype(input._data.dtype)))


def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of the product of ``geqrf``'s Householder reflectors."""
    return householder_product(input, tau)


def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True,
          transpose: bool = False) -> Tensor:
    """``Q @ input3`` (or ``input3 @ Q``, ``Q^T``) with Q the full m x m product of the
    reflectors ``(input, input2)`` that ``geqrf`` returns."""
    m, k = input.shape[-2], input2.shape[-1]
    if input.shape[-1] < m:
        pad = tensor_of(np.zeros(tuple(input.shape[:-1]) + (m - input.shape[-1],)),
                        input._ir_dtype)
        square = cat([input, pad], -1)
    else:
        square = input
    taus = input2
    if k < m:
        taus = cat([input2, tensor_of(np.zeros(tuple(input2.shape[:-1]) + (m - k,)),
                                      input2._ir_dtype)], -1)
    q = householder_product(_first_cols(square, m), taus)
    q = _swap_last(q) if transpose else q
    return matmul(q, input3) if left else matmul(input3, q)


def _first_cols(a: Tensor, m: int) -> Tensor:
    if a.shape[-1] == m:
        return a
    return apply("slice", (a,), starts=(0,) * a.ndim, stops=tuple(a.shape[:-1]) + (m,),
                 steps=(1,) * a.ndim)


def _swap_last(a: Tensor) -> Tensor:
    return transpose(a, -2, -1)


METHODS = """lerp hardshrink prelu positive nansum
nanmean nanmedian count_nonzero aminmax argwhere nonzero_static renorm repeat_interleave cov
corrcoef dist inner vdot addr histc histogram lu lu_solve geqrf orgqr ormqr""".split()
INPLACE = "lerp renorm addr".split()
FUNCTIONS = METHODS
MODULE_INPLACE: list[str] = []
