"""Data movement: reshape, permute, expand, slice, cat, pad, and the indexing family
(take / index_add / index_put / slice_assign / gather / scatter_add).

``view``, ``flatten``, ``squeeze``, ``unsqueeze`` lower to ``reshape``; ``transpose``, ``t`` and
``T`` to ``permute``; ``stack`` to ``reshape`` + ``cat``; ``split``/``chunk`` to ``slice``;
advanced indexing to ``take``; index assignment to the functional ``index_put`` /
``slice_assign`` (the frontend writes the result back into the tensor).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import index_rules
from .errors import DTypeError, IndexOutOfRange, ShapeError
from .ops import (
    INDEXING,
    MOVEMENT,
    REQUIRED,
    OpDef,
    broadcast_shapes,
    first_dtype,
    fmt_shape,
    register,
    unbroadcast,
)

Shape = tuple[int, ...]


def _zeros(b, like):
    return b.full(shape=tuple(like.shape), value=0, dtype=like.dtype)


def _check_axis(op: str, axis: int, shape: Shape) -> None:
    # IR axes are already non-negative; an axis past the rank would silently give a wrong shape
    if not 0 <= axis < len(shape):
        raise IndexOutOfRange(f"{op}: Dimension out of range (expected to be in range of "
                              f"[0, {len(shape) - 1}], but got {axis}) for a tensor of shape "
                              f"{fmt_shape(shape)}")


def _check_fits(op: str, region: Shape, value: Shape) -> None:
    """``value`` must broadcast to the indexed ``region`` (PyTorch's index_put_ rule)."""
    try:
        fits = broadcast_shapes(op, region, value) == tuple(region)
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: shape mismatch: value tensor of shape {fmt_shape(value)} "
                         f"cannot be broadcast to indexing result of shape {fmt_shape(region)}")


# ---------------------------------------------------------------- reshape / permute / expand


def _reshape_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    old, new = shapes[0], tuple(attrs["shape"])
    if int(np.prod(old)) != int(np.prod(new)) or any(d < 0 for d in new):
        raise ShapeError(f"reshape: shape '{fmt_shape(new)}' is invalid for input of size "
                         f"{int(np.prod(old))} (input shape {fmt_shape(old)})")
    return new


register(OpDef("reshape", 1, MOVEMENT, _reshape_shape, first_dtype,
               lambda x, shape: np.reshape(x, shape),
               lambda b, g, out, x, shape: (b.reshape(g, shape=tuple(x.shape)),),
               attrs={"shape": REQUIRED}))


def _permute_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    shape, dims = shapes[0], tuple(attrs["dims"])
    if sorted(dims) != list(range(len(shape))):
        raise ShapeError(f"permute: number of dims don't match in permute: dims {dims} for a "
                         f"tensor of shape {fmt_shape(shape)}")
    return tuple(shape[d] for d in dims)


def _permute_vjp(b, g, out, x, dims):
    return (b.permute(g, dims=tuple(int(i) for i in np.argsort(dims))),)


register(OpDef("permute", 1, MOVEMENT, _permute_shape, first_dtype,
               lambda x, dims: np.transpose(x, dims), _permute_vjp, attrs={"dims": REQUIRED}))


def _expand_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    old, new = shapes[0], tuple(attrs["shape"])
    lead = len(new) - len(old)
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes provided ({len(new)}) must be greater or "
                         f"equal to the number of dimensions in the tensor ({len(old)})")
    for k, (o, n) in enumerate(zip(old, new[lead:], strict=True)):
        if o not in (1, n):  # PyTorch's message, prefixed with the op
            raise ShapeError(f"expand: The expanded size of the tensor ({n}) must match the "
                             f"existing size ({o}) at non-singleton dimension {k + lead}.  "
                             f"Target sizes: {fmt_shape(new)}.  Tensor sizes: {fmt_shape(old)}")
    return new


register(OpDef("expand", 1, MOVEMENT, _expand_shape, first_dtype,
               lambda x, shape: np.broadcast_to(x, shape),
               lambda b, g, out, x, shape: (unbroadcast(b, g, tuple(x.shape)),),
               attrs={"shape": REQUIRED}))

# ---------------------------------------------------------------- slice / slice_assign / pad / cat


def _slices(starts, stops, steps) -> tuple[slice, ...]:
    return tuple(slice(a, o, s) for a, o, s in zip(starts, stops, steps, strict=True))


def _slice_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    shape = shapes[0]
    if not len(attrs["starts"]) == len(attrs["stops"]) == len(attrs["steps"]) == len(shape):
        raise ShapeError(f"slice: expected one start/stop/step per dimension of {fmt_shape(shape)}")
    out = []
    for d, a, o, s in zip(shape, attrs["starts"], attrs["stops"], attrs["steps"], strict=True):
        if s <= 0 or not 0 <= a <= d or not 0 <= o <= d:
            raise ShapeError(f"slice: invalid slice {a}:{o}:{s} of a dimension of size {d}")
        out.append(max(0, -(-(o - a) // s)))
    return tuple(out)


def _slice_vjp(b, g, out, x, starts, stops, steps):
    return (b.slice_assign(_zeros(b, x), g, starts=starts, stops=stops, steps=steps),)


register(OpDef("slice", 1, MOVEMENT, _slice_shape, first_dtype,
               lambda x, starts, stops, steps: np.asarray(x[_slices(starts, stops, steps)]),
               _slice_vjp,
               attrs={"starts": REQUIRED, "stops": REQUIRED, "steps": REQUIRED}))


def _slice_assign_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    _check_fits("slice_assign", _slice_shape(shapes[:1], attrs), shapes[1])
    return shapes[0]


def _slice_assign_ref(x, src, starts, stops, steps):
    out = np.array(x, copy=True)
    out[_slices(starts, stops, steps)] = src
    return out


def _slice_assign_vjp(b, g, out, x, src, starts, stops, steps):
    gx = b.slice_assign(g, b.scalar(0, g.dtype), starts=starts, stops=stops, steps=steps)
    gsrc = b.slice(g, starts=starts, stops=stops, steps=steps)
    return gx, unbroadcast(b, gsrc, tuple(src.shape))


def _same_dtype2(op: str):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        if dts[0] != dts[-1]:
            raise DTypeError(f"{op}: Index put requires the source and destination dtypes "
                             f"match, got {dts[0]} for the destination and {dts[-1]} for the "
                             "source.")
        return dts[0]
    return rule


register(OpDef("slice_assign", 2, INDEXING, _slice_assign_shape, _same_dtype2("slice_assign"),
               _slice_assign_ref, _slice_assign_vjp,
               attrs={"starts": REQUIRED, "stops": REQUIRED, "steps": REQUIRED}))


def _pad_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    shape, pads = shapes[0], attrs["pads"]
    if len(pads) != len(shape) or any(lo < 0 or hi < 0 for lo, hi in pads):
        raise ShapeError(f"pad: expected one non-negative (before, after) pair per dimension of "
                         f"{fmt_shape(shape)}, got {pads}")
    return tuple(d + lo + hi for d, (lo, hi) in zip(shape, pads, strict=True))


def _pad_ref(x: np.ndarray, pads: Any, value: Any) -> np.ndarray:
    if x.ndim == 0:  # nothing to pad; np.pad rejects 0-d arrays
        return np.array(x, copy=True)
    return np.pad(x, pads, constant_values=value)


def _pad_vjp(b, g, out, x, pads, value):
    starts = tuple(lo for lo, _ in pads)
    stops = tuple(lo + d for (lo, _), d in zip(pads, x.shape, strict=True))
    return (b.slice(g, starts=starts, stops=stops, steps=(1,) * len(pads)),)


register(OpDef("pad", 1, MOVEMENT, _pad_shape, first_dtype,
               _pad_ref, _pad_vjp,
               attrs={"pads": REQUIRED, "value": 0}))


def _cat_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    if not shapes:
        raise ShapeError("cat: expected a non-empty list of Tensors")
    axis, first = attrs["axis"], shapes[0]
    _check_axis("cat", axis, first)
    for k, s in enumerate(shapes):
        if len(s) != len(first):
            raise ShapeError(f"cat: Tensors must have same number of dimensions: got "
                             f"{len(first)} and {len(s)} (shapes {fmt_shape(first)} and "
                             f"{fmt_shape(s)}, tensor number {k} in the list)")
        for i, (a, b) in enumerate(zip(s, first, strict=True)):
            if i != axis and a != b:  # PyTorch's message, prefixed with the op
                raise ShapeError(f"cat: Sizes of tensors must match except in dimension {axis}. "
                                 f"Expected size {b} but got size {a} for tensor number {k} in "
                                 f"the list (shapes {fmt_shape(first)} and {fmt_shape(s)}).")
    return tuple(sum(s[axis] for s in shapes) if i == axis else d for i, d in enumerate(first))


def _cat_dtype(dts: list[str], attrs: dict[str, Any]) -> str:
    if len(set(dts)) != 1:
        raise DTypeError(f"cat: expected all tensors to have one dtype, got {sorted(set(dts))}")
    return dts[0]


def _cat_vjp(b, g, out, *xs, axis):
    grads, start = [], 0
    for x in xs:
        starts = tuple(start if i == axis else 0 for i in range(len(g.shape)))
        stops = tuple(start + x.shape[axis] if i == axis else d for i, d in enumerate(g.shape))
        grads.append(b.slice(g, starts=starts, stops=stops, steps=(1,) * len(g.shape)))
        start += x.shape[axis]
    return tuple(grads)


register(OpDef("cat", -1, MOVEMENT, _cat_shape, _cat_dtype,
               lambda *xs, axis: np.concatenate(xs, axis=axis), _cat_vjp,
               attrs={"axis": REQUIRED}))

# ---------------------------------------------------------------- take / index_add / index_put


def _index_dtype(op: str):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        if dts[1] not in ("int64", "int32"):
            raise DTypeError(f"{op}: tensors used as indices must be long or int tensors, "
                             f"got {dts[1]}")
        if len(dts) == 3 and dts[0] != dts[2]:
            return _same_dtype2(op)([dts[0], dts[2]], attrs)
        return dts[0]
    return rule


def _take_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    x, idx, axis = shapes[0], shapes[1], attrs["axis"]
    _check_axis("take", axis, x)
    index_rules.rule(attrs["bounds"])
    return (*x[:axis], *idx, *x[axis + 1:])


def _take_ref(x, idx, axis, bounds):
    # np.take with a 0-d index returns a numpy scalar, not an array
    return np.asarray(np.take(x, index_rules.check(idx, x.shape[axis], axis, bounds),
                              axis=axis))


def _take_vjp(b, g, out, x, idx, axis, bounds):
    return b.index_add(_zeros(b, x), idx, g, axis=axis, bounds=bounds), None


# ``bounds``: the user-level op whose negative-index rule and error apply (ir/index_rules.py)
register(OpDef("take", 2, INDEXING, _take_shape, _index_dtype("take"), _take_ref, _take_vjp,
               attrs={"axis": REQUIRED, "bounds": "index"}))


def _index_write_shape(op: str):
    def rule(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
        _check_axis(op, attrs["axis"], shapes[0])
        index_rules.rule(attrs["bounds"])
        _check_fits(op, _take_shape(shapes[:2], attrs), shapes[2])
        return shapes[0]
    return rule


def _add_along(out: np.ndarray, idx: np.ndarray, src: np.ndarray, axis: int) -> None:
    """``out[..., idx, ...] += src`` along ``axis`` with repeated indices summed, in place,
    adding in index order as ``np.add.at`` does: a plain indexed add (3x faster) when a long
    index has no repeats; when each index holds a row of many elements and repeats at most
    ``_FEW_REPEATS`` times, that many plain indexed adds (first occurrences, then second
    ones, ...: the same additions in the same order, several times faster than np.add.at)."""
    where = (slice(None),) * axis + (idx,)
    size = out.shape[axis]
    if idx.ndim != 1 or idx.size == 0:
        np.add.at(out, where, src)
        return
    row = src.size // idx.size  # elements per index
    if idx.size <= 32 and row < _LONG_ROW:
        np.add.at(out, where, src)
        return
    flat = np.where(idx < 0, idx + size, idx)
    repeats = int(np.bincount(flat, minlength=size).max())
    if repeats <= 1:
        out[where] += src
    elif repeats <= _FEW_REPEATS and row >= _LONG_ROW:
        _add_by_occurrence(out, flat, src, axis, repeats)
    else:
        np.add.at(out, where, src)


_FEW_REPEATS, _LONG_ROW = 4, 64


def _add_by_occurrence(out: np.ndarray, idx: np.ndarray, src: np.ndarray, axis: int,
                       repeats: int) -> None:
    """:func:`_add_along` for a non-negative 1-D ``idx``: pass k adds the k-th occurrences
    of the indices (unique within a pass), on ``axis`` moved first (contiguous rows)."""
    order = np.argsort(idx, kind="stable")
    ordered = idx[order]
    starts = np.ones(len(idx), bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.flatnonzero(starts)
    occurrence = np.empty(len(idx), np.int64)
    occurrence[order] = np.arange(len(idx)) - np.repeat(first, np.diff(first, append=len(idx)))
    acc = out if axis == 0 else np.ascontiguousarray(np.moveaxis(out, axis, 0))
    rows = src if axis == 0 else np.ascontiguousarray(np.moveaxis(src, axis, 0))
    for k in range(repeats):
        pick = np.flatnonzero(occurrence == k)
        acc[idx[pick]] += rows[pick]
    if axis:
        out[...] = np.moveaxis(acc, 0, axis)


def _index_write_ref(accumulate: bool):
    def ref(x, idx, src, axis, bounds):
        out = np.array(x, copy=True)
        idx = index_rules.check(idx, x.shape[axis], axis, bounds)
        where = (slice(None),) * axis + (idx,)
        picked = (*x.shape[:axis], *idx.shape, *x.shape[axis + 1:])  # out[where].shape
        if src.shape != picked:
            src = np.broadcast_to(src, picked)
        if accumulate:
            _add_along(out, idx, src, axis)
        else:
            out[where] = src
        return out
    return ref


def _index_add_vjp(b, g, out, x, idx, src, axis, bounds):
    return g, None, unbroadcast(b, b.take(g, idx, axis=axis, bounds=bounds), tuple(src.shape))


def _index_put_vjp(b, g, out, x, idx, src, axis, bounds):
    gx = b.index_put(g, idx, b.scalar(0, g.dtype), axis=axis, bounds=bounds)
    return gx, None, unbroadcast(b, b.take(g, idx, axis=axis, bounds=bounds),
                                 tuple(src.shape))


register(OpDef("index_add", 3, INDEXING, _index_write_shape("index_add"),
               _index_dtype("index_add"), _index_write_ref(True), _index_add_vjp,
               attrs={"axis": REQUIRED, "bounds": "index_add"}))
register(OpDef("index_put", 3, INDEXING, _index_write_shape("index_put"),
               _index_dtype("index_put"), _index_write_ref(False), _index_put_vjp,
               attrs={"axis": REQUIRED, "bounds": "index_put"}))

# ---------------------------------------------------------------- gather / scatter_add


def _gather_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    x, idx, axis = shapes[0], shapes[1], attrs["axis"]
    _check_axis("gather", axis, x)
    index_rules.rule(attrs["bounds"])
    too_big = len(x) == len(idx) and any(
        i > d for k, (i, d) in enumerate(zip(idx, x, strict=True)) if k != axis)
    if len(x) != len(idx) or too_big:
        raise ShapeError(f"gather: Size does not match at dimension: index {fmt_shape(idx)} "
                         f"vs input {fmt_shape(x)} (dim {axis}); the index may not be larger "
                         "than the input outside dim")
    return tuple(idx)


def _along(x: np.ndarray, idx: np.ndarray, axis: int, bounds: str) -> tuple:
    """Index tuple selecting x[..., idx[...], ...] elementwise along ``axis``."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = index_rules.check(idx, x.shape[axis], axis, bounds)
    return tuple(grids)


def _gather_ref(x, idx, axis, bounds):
    return np.asarray(x[_along(x, idx, axis, bounds)])


def _scatter_add_ref(x, idx, src, axis, bounds):
    # np.add.at on the flat positions: the same additions in the same (C) order as on the
    # index tuple of _along, 2-3x faster
    out = np.array(x, copy=True, order="C")
    if out.ndim == 0:
        np.add.at(out, _along(x, idx, axis, bounds), src[tuple(slice(0, d) for d in idx.shape)])
        return out
    grids = np.indices(idx.shape, sparse=True)
    steps = [int(np.prod(out.shape[d + 1:])) for d in range(out.ndim)]
    flat = index_rules.check(idx, x.shape[axis], axis, bounds) * steps[axis]
    for d, grid in enumerate(grids):
        if d != axis:
            flat = flat + grid * steps[d]
    part = src[tuple(slice(0, d) for d in idx.shape)]
    np.add.at(out.reshape(-1), np.reshape(flat, -1), part.reshape(-1))
    return out


def _gather_vjp(b, g, out, x, idx, axis, bounds):
    return b.scatter_add(_zeros(b, x), idx, g, axis=axis, bounds=bounds), None


def _scatter_add_vjp(b, g, out, x, idx, src, axis, bounds):
    gsrc = b.gather(g, idx, axis=axis, bounds=bounds)
    if tuple(gsrc.shape) != tuple(src.shape):
        pads = tuple((0, s - i) for s, i in zip(src.shape, idx.shape, strict=True))
        gsrc = b.pad(gsrc, pads=pads, value=0)
    return g, None, gsrc


register(OpDef("gather", 2, INDEXING, _gather_shape, _index_dtype("gather"), _gather_ref,
               _gather_vjp, attrs={"axis": REQUIRED, "bounds": "gather"}))
def _scatter_add_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    # PyTorch's scatter rule: one rank; index no larger than src anywhere, nor than x off dim
    x, idx, src, axis = *shapes, attrs["axis"]
    _check_axis("scatter_add", axis, x)
    index_rules.rule(attrs["bounds"])
    if (not len(x) == len(idx) == len(src)
            or any(i > s for i, s in zip(idx, src, strict=True))
            or any(i > d for k, (i, d) in enumerate(zip(idx, x, strict=True)) if k != axis)):
        raise ShapeError(f"scatter_add: Expected index {fmt_shape(idx)} to be smaller than self "
                         f"{fmt_shape(x)} apart from dimension {axis} and to be smaller size "
                         f"than src {fmt_shape(src)}")
    return x


register(OpDef("scatter_add", 3, INDEXING, _scatter_add_shape, _index_dtype("scatter_add"),
               _scatter_add_ref, _scatter_add_vjp, attrs={"axis": REQUIRED,
                                                          "bounds": "scatter_add"}))
