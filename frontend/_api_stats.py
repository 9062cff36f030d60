"""Numerical helpers of the ``tenkai`` namespace: ``std_mean``/``var_mean``, ``trapezoid``,
``cumulative_trapezoid``, ``gradient``, ``cdist``, ``combinations``, ``isin``,
``unravel_index``, ``histogramdd``, ``segment_reduce``, ``binomial``, ``lu_unpack``.

The differentiable ones are compositions of registry ops (slices, products, sums, norms), so
they trace, compile and get gradients like the ops they are built from.
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _contract, _eager_fused, _ops, _random, _shape, return_types
from . import _eager_fast as fast
from ._composite import _pow_masked, cumsum, norm
from ._reduce import amax, amin, dims_arg, mean, prod, std, sum, var
from ._tensor import Tensor

histogramdd_result = return_types._make("histogramdd", "hist", "bin_edges")
lu_unpack_result = return_types._make("lu_unpack", "P", "L", "U")


# ---------------------------------------------------------------- moments


def _moment_args(dim: Any, unbiased: Any, keepdim: Any) -> tuple[Any, Any, bool]:
    if isinstance(dim, bool):  # std_mean(x, unbiased)
        return None, dim, bool(keepdim)
    return dim, unbiased, bool(keepdim)


def _check_float(op: str, input: Any) -> None:
    if isinstance(input, Tensor) and not input.is_floating_point():
        raise RuntimeError(f"{op} only support floating point and complex dtypes")


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(std(input, dim), mean(input, dim))`` in one call."""
    dim, unbiased, keepdim = _moment_args(dim, unbiased, keepdim)
    _check_float("std_mean", input)
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(var(input, dim), mean(input, dim))`` in one call."""
    dim, unbiased, keepdim = _moment_args(dim, unbiased, keepdim)
    _check_float("var_mean", input)
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


# ---------------------------------------------------------------- integration / differences


def _along(t: Tensor, axis: int, start: int | None, stop: int | None) -> Tensor:
    return t[(slice(None),) * axis + (slice(start, stop),)]


def _spacing(y: Tensor, x: Any, dx: Any, axis: int, op: str) -> Any:
    """The step between neighbours along ``axis``: a number, or a tensor broadcasting to the
    (n - 1)-long slices."""
    if x is None:
        return 1 if dx is None else dx
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'x' must be Tensor, not {_ops.type_name(x)}")
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        d = _ops.sub(x[1:], x[:-1])
        return _shape.reshape(d, (-1,) + (1,) * (y.ndim - axis - 1))
    (xa,) = dims_arg(op, axis - y.ndim, x.ndim)
    return _ops.sub(_along(x, xa, 1, None), _along(x, xa, None, -1))


def _trapezoids(y: Tensor, x: Any, dx: Any, dim: int, op: str) -> tuple[Tensor, int]:
    if x is not None and dx is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments: x and dx")
    (axis,) = dims_arg(op, dim, y.ndim)
    y = _ops._floating(y)
    step = _spacing(y, x, dx, axis, op)
    pair = _ops.add(_along(y, axis, 1, None), _along(y, axis, None, -1))
    return _ops.mul(_ops.div(pair, 2), step), axis


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``, with sample points ``x`` or spacing ``dx``."""
    parts, axis = _trapezoids(y, x, dx, dim, "trapezoid")
    return sum(parts, axis)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None,
                         dim: int = -1) -> Tensor:
    """Running trapezoidal sums along ``dim`` (one fewer element than ``y`` there)."""
    parts, axis = _trapezoids(y, x, dx, dim, "cumulative_trapezoid")
    return cumsum(parts, axis)


def _coefficients(coords: np.ndarray, edge_order: int) -> list[tuple[np.ndarray, ...]]:
    """Weights of f[i-1], f[i], f[i+1] (interior) and of the 2 or 3 edge points."""
    hl, hr = np.diff(coords)[:-1], np.diff(coords)[1:]
    mid = (-hr / (hl * (hl + hr)), (hr - hl) / (hl * hr), hl / (hr * (hl + hr)))
    d1, d2 = coords[1] - coords[0], coords[-1] - coords[-2]
    if edge_order == 1:
        return [mid, (-1 / d1, 1 / d1), (-1 / d2, 1 / d2)]
    a, b = coords[1] - coords[0], coords[2] - coords[1]
    first = (-(2 * a + b) / (a * (a + b)), (a + b) / (a * b), -a / (b * (a + b)))
    a, b = coords[-2] - coords[-3], coords[-1] - coords[-2]
    last = (b / (a * (a + b)), -(a + b) / (a * b), (2 * b + a) / (b * (a + b)))
    return [mid, first, last]


def _weighted(parts: Sequence[Tensor], weights: Sequence[Any], axis: int, ndim: int,
              dtype: str) -> Tensor:
    out = None
    for part, w in zip(parts, weights, strict=True):
        w = np.asarray(w, dtype=np.float64)
        if not np.any(w):  # a zero weight: left out (0 * inf would be nan)
            continue
        if w.ndim:
            w = w.reshape((-1,) + (1,) * (ndim - axis - 1))
        term = _ops.mul(part, _ops.tensor_of(w, dtype))
        out = term if out is None else _ops.add(out, term)
    return out if out is not None else _ops.mul(parts[0], 0)


def _gradient_along(f: Tensor, coords: np.ndarray, axis: int, edge_order: int) -> Tensor:
    n, dt = f.shape[axis], f._ir_dtype
    mid, first, last = _coefficients(coords, edge_order)
    inner = _weighted([_along(f, axis, 0, n - 2), _along(f, axis, 1, n - 1),
                       _along(f, axis, 2, n)], mid, axis, f.ndim, dt)
    k = edge_order + 1
    head = _weighted([_along(f, axis, i, i + 1) for i in range(k)], first, axis, f.ndim, dt)
    tail = _weighted([_along(f, axis, n - k + i, n - k + i + 1) for i in range(k)], last,
                     axis, f.ndim, dt)
    return _shape.cat([head, inner, tail], axis)


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None,
             edge_order: int = 1) -> tuple[Tensor, ...]:
    """Central differences of ``input`` along each of ``dim`` (all dims by default), with
    one-sided differences of order ``edge_order`` (1 or 2) at the ends. ``spacing`` is a
    number, one number per dim, or one tensor of sample coordinates per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    axes = list(range(input.ndim)) if dim is None else list(
        dims_arg("gradient", dim, input.ndim))
    spacings = list(spacing) if isinstance(spacing, Sequence) else [spacing] * len(axes)
    if len(spacings) != len(axes):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                           f"it's spacing and dim arguments to have the same length, but got "
                           f"a spacing argument of length {len(spacings)} and a dim argument "
                           f"of length {len(axes)}.")
    f = _ops._floating(input)
    out = []
    for axis, h in zip(axes, spacings, strict=True):
        n = f.shape[axis]
        if n < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
        coords = (h._data.astype(np.float64) if isinstance(h, Tensor)
                  else np.arange(n, dtype=np.float64) * float(h))
        if n == 2 and edge_order == 1:
            step = (f[(slice(None),) * axis + (slice(1, 2),)]
                    - f[(slice(None),) * axis + (slice(0, 1),)]) / float(coords[1] - coords[0])
            out.append(_shape.cat([step, step], axis))
            continue
        out.append(_gradient_along(f, coords, axis, edge_order))
    return tuple(out)


# ---------------------------------------------------------------- distances, sets, indices


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """p-norm distances between the rows of ``x1`` (B, P, M) and ``x2`` (B, R, M): (B, P, R)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if x1.ndim < 2 else 2}"
                           f" got: {min(x1.ndim, x2.ndim)}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if not x1.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: "
                           f"{x1.dtype._legacy[:-6]}")
    modes = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    rows, cols = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode in modes[:2] and (rows > 25 or cols > 25)))
    (a, b), _ = _ops.promote(x1, x2)
    if fast.plain(a, b):
        return fast.result(_cdist_data(a._data, b._data, p, use_mm))
    if p == 2 and a.shape[:-2] == b.shape[:-2] and _eager_fused.available(a, b):
        return _cdist_fused(a, b, use_mm, lambda u, v: [cdist(u, v, p, compute_mode)])
    if use_mm:  # PyTorch's matmul form: |a|^2 + |b|^2 - 2 a.b, clamped at 0
        sq1 = sum(_ops.mul(a, a), -1, keepdim=True)
        sq2 = _shape.transpose(sum(_ops.mul(b, b), -1, keepdim=True), -1, -2)
        cross = _shape.matmul(a, _shape.transpose(b, -1, -2))
        d2 = _ops.clamp(_ops.sub(_ops.add(sq1, sq2), _ops.mul(cross, 2.0)), min=0.0)
        return _shape.named(_pow_masked(d2, 0.5), "CdistBackward0", x1, x2)
    diff = _ops.sub(_shape.unsqueeze(a, -2), _shape.unsqueeze(b, -3))
    return _shape.named(norm(diff, p, -1), "CdistBackward0", x1, x2)


def _cdist_fused(a: Tensor, b: Tensor, use_mm: bool, composite: Any) -> Tensor:
    """Euclidean :func:`cdist` as one fused eager step (see :mod:`tenkai._eager_fused`):
    the fast path's values; the backward is PyTorch's, with ``w = g / d`` (0 where d = 0):
    ``dA = rowsum(w) * a - w @ b``, ``dB = colsum(w) * b - w.T @ a``."""
    x, y = a._data, b._data
    d = _cdist_data(x, y, 2, use_mm)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(d == 0, 0, seeds[0] / d).astype(x.dtype, copy=False)
        wt = np.swapaxes(w, -1, -2)
        d_a = np.add.reduce(w, -1)[..., None] * x - w @ y
        d_b = np.add.reduce(wt, -1)[..., None] * y - wt @ x
        return [d_a, d_b]

    return _eager_fused.record("CdistBackward0", [a, b], [d.astype(x.dtype, copy=False)],
                               backward, composite)[0]


def _cdist_data(a: np.ndarray, b: np.ndarray, p: float, use_mm: bool) -> np.ndarray:
    """:func:`cdist` on arrays (the composite's values, in one pass of numpy)."""
    if use_mm:
        sq1 = np.sum(a * a, -1)[..., :, None]
        sq2 = np.sum(b * b, -1)[..., None, :]
        d2 = sq1 + sq2 - 2 * (a @ np.swapaxes(b, -1, -2))
        return np.sqrt(np.maximum(d2, 0))
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 2:
        return np.sqrt(np.sum(diff * diff, -1))
    if p == 1:
        return np.sum(diff, -1)
    if p == math.inf:
        return np.max(diff, -1, initial=0)
    if p == 0:
        return np.count_nonzero(diff, -1).astype(a.dtype)
    with np.errstate(all="ignore"):
        return np.power(np.sum(np.power(diff, p), -1), 1 / p)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-D tensor's elements, one per row."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.zeros(0, input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return _ops.apply("take", (input, _ops.tensor_of(rows, "int64")), axis=0)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Elementwise membership of ``elements`` in ``test_elements`` (a bool tensor)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._make(np.isin(a, b, invert=invert))


def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates, in a tensor of ``shape``, of flat indices (one int64 tensor per dim)."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    idx = indices if isinstance(indices, Tensor) else _ops.tensor_of(indices, "int64")
    if idx._ir_dtype not in ("int64", "int32", "int16", "int8", "uint8"):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    total = math.prod(shape)
    data = idx._data.astype(np.int64)  # as in PyTorch, out-of-range indices wrap around
    out, stride = [], total
    for s in shape:
        stride //= max(s, 1)
        out.append(Tensor._make(((data // max(stride, 1)) % max(s, 1)).astype(np.int64)))
    return tuple(out)


# ---------------------------------------------------------------- histograms, segments


def histogramdd(input: Tensor, bins: Any, *, range: Sequence[float] | None = None,
                weight: Tensor | None = None, density: bool = False) -> Any:
    """A D-dimensional histogram of the (N, D) points of ``input`` (the last dim is D):
    ``(hist, bin_edges)``."""
    if not input.is_floating_point():
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input {input.dtype._legacy[:-6].lower()}")
    pts = input._data.reshape(-1, input.shape[-1]) if input.ndim else input._data.reshape(1, 1)
    d = pts.shape[1]
    if isinstance(bins, int):
        edges_arg: Any = [bins] * d
    else:
        edges_arg = [b._data if isinstance(b, Tensor) else int(b) for b in bins]
    ranges = None if range is None else [tuple(range[2 * i: 2 * i + 2]) for i in
                                         builtins.range(d)]
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = np.histogramdd(pts, bins=edges_arg, range=ranges, weights=w,
                                 density=density)
    dt = input._data.dtype
    return histogramdd_result(Tensor._make(hist.astype(dt)),
                              [Tensor._make(e.astype(dt)) for e in edges])


_SEGMENT = {"sum": (sum, 0.0), "mean": (mean, math.nan), "max": (amax, -math.inf),
            "min": (amin, math.inf), "prod": (prod, 1.0)}


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices: Tensor | None = None, offsets: Tensor | None = None,
                   axis: int = 0, unsafe: bool = False, initial: Any = None) -> Tensor:
    """Reduce consecutive segments of ``data`` along ``axis`` (their ``lengths`` or
    ``offsets``) with sum, mean, max, min or prod; an empty segment gives ``initial`` (or the
    reduction's identity, nan for mean)."""
    if reduce not in _SEGMENT:
        raise RuntimeError(f"reduce argument must be either sum, max, min, mean or prod, not "
                           f"{reduce}")
    if indices is not None:
        raise NotImplementedError("segment_reduce: the 'indices' argument is not supported "
                                  "(PyTorch does not support it either)")
    if (lengths is None) == (offsets is None):
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    (ax,) = dims_arg("segment_reduce", axis, data.ndim)
    counts = lengths if lengths is not None else offsets
    if counts.ndim != ax + 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of "
                           f"{'lengths' if lengths is not None else 'offsets'} but got {ax}.")
    if counts.ndim > 1:
        raise NotImplementedError("segment_reduce: per-row lengths/offsets (axis > 0) are not "
                                  "supported by tenkai; reduce along axis 0")
    if lengths is not None:
        lens = lengths._data.reshape(-1).astype(np.int64)
        if not unsafe and (lens.min(initial=0) < 0 or lens.sum() != data.shape[ax]):
            raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to "
                               "sum to data.size(lengths.dim()-1) when !unsafe.")
        bounds = np.concatenate([[0], np.cumsum(lens)])
    else:
        bounds = offsets._data.reshape(-1).astype(np.int64)
    fn, empty = _SEGMENT[reduce]
    fill = empty if initial is None else float(initial)
    parts = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        seg = _along(data, ax, a, b)
        if b > a:
            red = fn(seg, ax, True)
            if initial is not None and reduce != "mean":
                red = _SEGMENT_COMBINE[reduce](red, initial)
        else:
            shape = list(data.shape)
            shape[ax] = 1
            red = Tensor._make(np.full(shape, fill, dtype=data._data.dtype))
        parts.append(red)
    return _shape.named(_shape.cat(parts, ax), "SegmentReduceBackward0")


_SEGMENT_COMBINE = {"sum": _ops.add, "prod": _ops.mul, "max": _ops.maximum,
                    "min": _ops.minimum}


# ---------------------------------------------------------------- sampling, factorizations


def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Binomial(count, prob) draws: the number of ``count`` Bernoulli(``prob``) trials that
    succeed, from tenkai's generator (uniforms compared with ``prob``)."""
    if count.shape != prob.shape:
        count, prob = (_shape.expand(t, tuple(np.broadcast_shapes(count.shape, prob.shape)))
                       for t in (count, prob))
    if not count.is_floating_point():
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{count.dtype._legacy[:-6]}")
    if not prob.is_floating_point():
        raise ValueError(f"binomial only supports floating-point dtypes for prob, got: "
                         f"{prob.dtype._legacy[:-6]}")
    trials = int(count._data.max(initial=0))
    if trials * max(count.numel(), 1) > 1 << 24:
        raise NotImplementedError(f"binomial: {trials} trials for each of {count.numel()} "
                                  "draws is beyond tenkai's trial-by-trial sampler (at most "
                                  "2**24 trials in all)")
    u = _random.draw("uniform", (*count.shape, max(trials, 1)), generator,
                     dtype=prob._ir_dtype, low=0.0, high=1.0)._data
    live = np.arange(max(trials, 1)) < count._data[..., None]
    hits = (u < prob._data[..., None]) & live
    return Tensor._make(hits.sum(-1).astype(count._data.dtype))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> Any:
    """``(P, L, U)`` from ``linalg.lu_factor``'s packed factors and 1-based pivots."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    dt = LU_data._data.dtype
    empty = Tensor._make(np.zeros(0, dt))
    L = U = P = empty
    if unpack_data:
        eye = Tensor._make(np.eye(m, k, dtype=dt))
        L = _ops.add(_contract.tril(LU_data[..., :, :k], -1), eye)
        U = _contract.triu(LU_data[..., :k, :])
    if unpack_pivots:
        piv = LU_pivots._data.astype(np.int64) - 1
        if piv.size and (piv.min() < 0 or piv.max() >= m):
            raise RuntimeError("lu_unpack: pivots must be between 1 and LU.size(-2) inclusive")
        flat = piv.reshape(-1, piv.shape[-1]) if piv.ndim else piv.reshape(1, -1)
        perms = []
        for row in flat:
            perm = np.arange(m)
            for i, p in enumerate(row):
                perm[[i, p]] = perm[[p, i]]
            perms.append(np.eye(m, dtype=dt)[perm].T)
        P = Tensor._make(np.ascontiguousarray(np.stack(perms).reshape(
            (*LU_data.shape[:-2], m, m))))
    return lu_unpack_result(P, L, U)


NAMES = """std_mean var_mean trapezoid trapz cumulative_trapezoid gradient cdist combinations
isin unravel_index histogramdd segment_reduce binomial lu_unpack""".split()
