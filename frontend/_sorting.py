"""Sorting, selection and counting: ``sort``/``argsort``/``topk``/``kthvalue``/``median``/
``mode``, ``unique``/``unique_consecutive``, ``bincount``, ``searchsorted``/``bucketize``.

The order is data-dependent, so these run eagerly with numpy: the indices are computed first
and the values are ``gather``-ed at them (so gradients reach the chosen elements, as in
PyTorch). There is no registry op for the ordering, so inside ``tenkai.compile`` they raise a
clear NotImplementedError naming the op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from . import _eager_fused, _trace
from ._node import GRAD_MODE
from ._ops import apply, tensor_of, where
from ._reduce import _return_type
from ._select_ties import kth_positions, kth_rows
from ._shape import gather, named, reshape, squeeze
from ._tensor import Tensor

RETURN_TYPES = {name: _return_type(name) for name in ("sort", "topk", "kthvalue", "median",
                                                      "mode")}


def _eager_only(op: str) -> None:
    if _trace.active() is not None:
        raise NotImplementedError(f"{op}: not supported inside tenkai.compile (the order is "
                                  "data-dependent and there is no registry op for it); compute "
                                  "it outside the compiled function")


def _order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``; nan sorts as the largest value, as in PyTorch."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    back = (slice(None),) * axis + (slice(None, None, -1),)  # np.flip without its wrapper
    flipped = np.argsort(x[back], axis=axis, kind="stable")
    return (n - 1 - flipped)[back]


def _take_along(data: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    """``np.take_along_axis(data, index, axis)``; along the last axis without its overhead."""
    if axis != data.ndim - 1 or data.ndim < 2:
        return np.take_along_axis(data, index, axis)
    rows = data.reshape(-1, data.shape[-1])
    picks = index.reshape(rows.shape[0], index.shape[-1])
    return rows[np.arange(rows.shape[0])[:, None], picks].reshape(index.shape)


def _values(input: Tensor, axis: int, index: np.ndarray, name: str, drop: bool = False,
            again: Callable[[Tensor], Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """The entries of ``input`` at ``index`` along ``axis`` and the indices as int64 tensors
    (``drop``: without ``axis``, which ``index`` has as size 1). ``again(t)``: the op's
    values on ``t`` (the op's own call; given where ``index`` holds distinct positions along
    each line): with it a float input that requires grad gets one fused step
    (:mod:`tenkai._eager_fused`) instead of a recorded gather and its scatter-add backward."""
    drop = drop and input.ndim > 0
    if fast.plain(input):  # (never with a fused step: that needs an input requiring grad)
        index = index.astype(np.int64, copy=False)  # the caller's own array
        values = _take_along(np.atleast_1d(input._data), index, axis)
        if input.ndim == 0:
            values, index = values.reshape(()), index.reshape(())
        elif drop:
            values, index = values.squeeze(axis), index.squeeze(axis)
        return fast.result(values, fresh=True), fast.result(index, fresh=True)
    if again is not None and input.ndim and _eager_fused.available(input):
        return _fused_values(input, axis, index.astype(np.int64), name, drop, again)
    idx = tensor_of(index.astype(np.int64), "int64")
    x = reshape(input, (1,)) if input.ndim == 0 else input
    values = named(gather(x, axis, idx), name, input)
    if input.ndim == 0:
        values, idx = reshape(values, ()), reshape(idx, ())
    elif drop:
        values, idx = squeeze(values, axis), squeeze(idx, axis)
    return named(values, name, input), idx


def _fused_values(input: Tensor, axis: int, index: np.ndarray, name: str, drop: bool,
                  again: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor]:
    """:func:`_values` as a fused step: the gradient puts each cotangent back at its
    position (the positions along a line are distinct: no two add up)."""
    data = input._data
    values = _take_along(data, index, axis)
    if drop:
        values, index = values.squeeze(axis), index.squeeze(axis)

    def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
        g = np.expand_dims(seeds[0], axis) if drop else seeds[0]
        out = np.zeros(data.shape, data.dtype)
        np.put_along_axis(out, np.expand_dims(index, axis) if drop else index, g, axis)
        return [out]

    values = values if values.flags.c_contiguous else values.copy()
    (out,) = _eager_fused.record(name, [input], [values], backward, lambda t: [again(t)])
    return out, fast.result(index, fresh=True)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Values sorted along ``dim`` and their original positions."""
    _eager_only("sort")
    axis = norm_axis("sort", dim, max(input.ndim, 1))
    index = _order(np.atleast_1d(input._data), axis, descending)
    name = "SortBackward1" if stable else "SortBackward0"  # PyTorch's stable= overload
    return RETURN_TYPES["sort"](*_values(input, axis, index, name, again=lambda t: sort(
        t, dim, descending, stable).values))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    return sort(input, dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def _top_rows(rows: np.ndarray, k: int, largest: bool) -> np.ndarray | None:
    """The first ``k`` positions of :func:`_order` on each row of a float (R, n) array with
    ``0 < k < n``, from a partition instead of a full stable sort: the k entries before
    slot k of the partition, ordered by a stable sort of them in position order. None where
    a row holds a nan or where the k-th value is tied with the (k+1)-th (the full stable
    sort picks which of those entries come first)."""
    if rows.dtype.kind != "f" or np.isnan(rows).any():
        return None
    key = np.negative(rows) if largest else rows  # ascending in key: the order wanted
    part = np.argpartition(key, k, axis=1)  # slot k: the (k+1)-th smallest; before: the k
    r = np.arange(rows.shape[0])[:, None]  # smallest, unordered
    cols = np.sort(part[:, :k], axis=1)  # the k chosen positions, in position order
    chosen = key[r, cols]
    if not (chosen.max(axis=1) < key[r[:, 0], part[:, k]]).all():
        return None
    return cols[r, np.argsort(chosen, axis=1, kind="stable")]


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) entries along ``dim``."""
    _eager_only("topk")
    axis = norm_axis("topk", dim, max(input.ndim, 1))
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    data = np.atleast_1d(input._data)
    index = None
    if axis == data.ndim - 1 and 0 < k < size and data.size >= _TOP_ROWS_MIN:
        index = _top_rows(data.reshape(-1, size), k, largest)
        index = None if index is None else index.reshape(data.shape[:-1] + (k,))
    if index is None:
        index = _order(data, axis, largest)[(slice(None),) * axis + (slice(0, k),)]
    return RETURN_TYPES["topk"](*_values(input, axis, index, "TopkBackward0", again=lambda t: topk(
        t, k, dim, largest, sorted).values))


_TOP_ROWS_MIN = 4096  # elements from which partitioning beats the stable sort (measured:
# (1024, 64) float32, k=5: 1411 us sorted, ~600 us partitioned; (1, 64): the sort's ~10 us)


def _first_nan(data: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """``index`` with the lines of ``data`` along ``axis`` that hold a nan pointing at their
    first nan instead: ``median`` propagates nan, as in PyTorch (``nanmedian`` skips them)."""
    if data.dtype.kind != "f" or data.shape[axis] == 0:
        return index
    nans = np.isnan(data)
    has = nans.any(axis=axis, keepdims=True)
    if not has.any():
        return index
    return np.where(has, np.argmax(nans, axis=axis, keepdims=True), index)


def _select(op: str, input: Tensor, position: Any, dim: int, keepdim: bool, name: str,
            again: Callable[[Tensor], Tensor]) -> Any:
    axis = norm_axis(op, dim, max(input.ndim, 1))
    data = np.atleast_1d(input._data)
    n = data.shape[axis]
    if n and data.dtype.kind == "f":  # one line per row: no take_along_axis, no moveaxis
        last = axis == data.ndim - 1
        lines = data if last else np.moveaxis(data, axis, -1)
        rows = lines.reshape(-1, n)
        pick, values = _select_rows(op, rows, position(n))
        index = pick.reshape(lines.shape[:-1] + (1,))
        if input.ndim and fast.plain(input):  # the values are taken already
            keep = lines.shape[:-1] + (1,) if keepdim else lines.shape[:-1]
            index, values = index.reshape(keep), values.reshape(keep)
            if keepdim and not last:
                index, values = np.moveaxis(index, -1, axis), np.moveaxis(values, -1, axis)
            return RETURN_TYPES[op](fast.result(values, fresh=True),
                                    fast.result(index, fresh=True))
        index = index if last else np.moveaxis(index, -1, axis)
        return RETURN_TYPES[op](*_values(input, axis, index, name, not keepdim, again))
    index = np.take(_order(data, axis, False), [position(n)], axis=axis)
    if op == "median":
        index = _first_nan(data, axis, index)
    elif op == "kthvalue":  # which of tied entries: PyTorch's quickselect decides
        index = kth_positions(data, axis, index, position(n))
    return RETURN_TYPES[op](*_values(input, axis, index, name, not keepdim, again))


def _select_rows(op: str, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The position (int64) and value of the k-th smallest entry of each float row (R, n):
    a stable sort's, then for ``median`` the first nan, for ``kthvalue`` PyTorch's pick
    among tied entries (tied: a sorted neighbour equals it, or it is nan)."""
    order = np.argsort(rows, axis=1, kind="stable")
    lo, hi = max(k - 1, 0), min(k + 2, rows.shape[1])
    ar = np.arange(rows.shape[0])
    near = rows[ar[:, None], order[:, lo:hi]]  # the k-th value and its sorted neighbours
    pick, values = order[:, k], near[:, k - lo]
    if op == "median":
        nans = np.isnan(rows[ar, order[:, -1]])  # nan sorts last: the rows holding one
        if nans.any():  # median propagates nan (the first one), as PyTorch's
            pick = np.where(nans, np.argmax(np.isnan(rows), 1), pick)
            values = rows[ar, pick]
        return pick, values
    tied = np.isnan(values)
    tied |= (near[:, 1:] == near[:, :-1]).any(1)
    if tied.any():
        pick = kth_rows(rows, pick, k, tied)
        values = rows[ar, pick]
    return pick, values


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest entry (1-based) along ``dim`` and its position."""
    _eager_only("kthvalue")
    size = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= size:
        raise IndexError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _select("kthvalue", input, lambda n: k - 1, dim, keepdim, "KthvalueBackward0",
                   lambda t: kthvalue(t, k, dim, keepdim).values)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (of all elements, or along ``dim`` with its position)."""
    _eager_only("median")
    if dim is None:
        flat = reshape(input, (-1,))
        if flat.shape[0] == 0:
            return named(tensor_of(np.nan, input._ir_dtype), "MedianBackward0", input)
        order = _order(flat._data, 0, False)
        pos = int(_first_nan(flat._data, 0, order[(flat.shape[0] - 1) // 2:][:1])[0])
        if not (flat.requires_grad and GRAD_MODE.enabled):
            return named(apply("take", (flat, tensor_of(pos, "int64")), axis=0),
                         "MedianBackward0", input)
        # the gradient is shared evenly between the elements equal to the median (nan: the
        # nans), as PyTorch's MedianBackward0: the max over just those elements shares it so
        v = flat._data[pos]
        hits = np.isnan(flat._data) if np.isnan(v) else flat._data == v
        only = where(tensor_of(hits, "bool"), flat, tensor_of(-np.inf, flat._ir_dtype))
        return named(apply("max", (only,), axes=(0,), keepdim=False), "MedianBackward0", input)
    return _select("median", input, lambda n: (n - 1) // 2, dim, keepdim, "MedianBackward1",
                   lambda t: median(t, dim, keepdim).values)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a == b`` with nan equal to nan (as ``np.unique`` counts them)."""
    eq = a == b
    if a.dtype.kind == "f":
        eq |= np.isnan(a) & np.isnan(b)
    return eq


def _mode_positions(rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows`` (R, n): the last position of its most frequent value (the smallest
    on ties), for all rows at once: the runs of equal values in the sorted rows (flat, in row
    order then value order), their lengths, the first longest run of each row."""
    r, n = rows.shape
    ordered = np.sort(rows, axis=1)
    starts = np.ones((r, n), bool)
    starts[:, 1:] = ~_same(ordered[:, 1:], ordered[:, :-1])
    first = np.flatnonzero(starts)  # every row starts with a run
    lengths = np.empty_like(first)
    lengths[:-1] = first[1:] - first[:-1]
    lengths[-1] = r * n - first[-1]
    row_of = first // n
    longest = np.maximum.reduceat(lengths, np.flatnonzero(first % n == 0))
    winners = np.flatnonzero(lengths == longest[row_of])
    new_row = np.ones(len(winners), bool)  # the first (smallest) winner of each row
    new_row[1:] = row_of[winners[1:]] != row_of[winners[:-1]]
    best = ordered.reshape(-1)[first[winners[new_row]]]
    hits = _same(rows, best[:, None])
    return n - 1 - np.argmax(hits[:, ::-1], axis=1)


def _mode_counted(rows: np.ndarray) -> np.ndarray | None:
    """:func:`_mode_positions` for few integer rows over a narrow range of values, by counting
    (one ``bincount`` for all rows: the first largest count is the smallest most frequent
    value); None where the counts would not be small (then the sorted runs are cheaper)."""
    r, n = rows.shape
    if rows.dtype.kind not in "iu" or r * n > _MODE_COUNTED_MAX:
        return None
    lo = int(rows.min())
    span = int(rows.max()) - lo + 1
    if span > 4 * n:
        return None
    shifted = rows.astype(np.int64) - lo
    if r > 1:
        shifted += np.arange(0, r * span, span)[:, None]
    counts = np.bincount(shifted.reshape(-1), minlength=r * span).reshape(r, span)
    hits = rows == (counts.argmax(1) + lo)[:, None]
    return n - 1 - hits[:, ::-1].argmax(1)


_MODE_COUNTED_MAX = 1 << 14  # elements up to which counting beats sorting (measured: 64: 11 vs
# 29 us; 1024 rows of 64: 636 vs 570 us)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest on ties) and its last position."""
    _eager_only("mode")
    axis = norm_axis("mode", dim, max(input.ndim, 1))
    data = np.atleast_1d(input._data)
    last = axis == data.ndim - 1
    data = data if last else np.moveaxis(data, axis, -1)
    flat = data.reshape(-1, data.shape[-1])
    picks = _mode_counted(flat) if flat.size else np.zeros(flat.shape[0], np.int64)
    picks = _mode_positions(flat) if picks is None else picks
    index = picks.reshape(data.shape[:-1] + (1,))
    index = index if last else np.moveaxis(index, -1, axis)
    return RETURN_TYPES["mode"](*_values(input, axis, index, "ModeBackward0", not keepdim,
                                         lambda t: mode(t, dim, keepdim).values))


# ---------------------------------------------------------------- unique and counting


def _int64(a: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(a, dtype=np.int64))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (sorted), optionally with inverse indices and counts."""
    _eager_only("unique")
    data = input._data
    axis = None if dim is None else norm_axis("unique", dim, input.ndim)
    vals, inverse, counts = np.unique(data, return_inverse=True, return_counts=True, axis=axis)
    out = [Tensor._make(np.asarray(vals, dtype=data.dtype))]
    if return_inverse:
        out.append(_int64(inverse.reshape(data.shape if axis is None else -1)))
    if return_counts:
        out.append(_int64(counts))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """Collapse runs of equal consecutive values (of the flattened tensor)."""
    _eager_only("unique_consecutive")
    if dim is not None:
        raise NotImplementedError("unique_consecutive: dim= is not supported by tenkai")
    flat = input._data.reshape(-1)
    starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
    out = [Tensor._make(flat[starts].copy())]
    if return_inverse:
        out.append(_int64((np.cumsum(starts) - 1).reshape(input._data.shape)))
    if return_counts:
        out.append(_int64(np.diff(np.append(np.nonzero(starts)[0], flat.size))))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Counts of each non-negative integer value (weighted sums with ``weights``)."""
    _eager_only("bincount")
    if input.ndim != 1 or input.is_floating_point():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.numel() and input._data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _int64(np.bincount(input._data, minlength=minlength))
    dt = np.float32 if weights._data.dtype == np.float32 else np.float64
    return Tensor._make(np.bincount(input._data, weights._data, minlength).astype(dt))


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """Insertion positions of ``input`` in the (last dim of) ``sorted_sequence``."""
    _eager_only("searchsorted")
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side)
    else:
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, vals,
                                                                          strict=True)])
        out = out.reshape(values.shape)
    return Tensor._make(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``right=False``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


FUNCTIONS = """sort argsort msort topk kthvalue median mode unique unique_consecutive bincount
searchsorted bucketize""".split()
METHODS = """sort argsort msort topk kthvalue median mode unique unique_consecutive
bincount""".split()
INPLACE: list[str] = []
