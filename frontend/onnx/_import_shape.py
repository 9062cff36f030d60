"""ONNX movement and shape operators in tenkai ops (Reshape, Flatten, Transpose, Concat,
Split, Slice, Gather, GatherElements, Unsqueeze, Squeeze, Expand, Pad) and the constant
sources (Constant, ConstantOfShape). Shapes, axes, starts/ends and split sizes must be
static (see ``_ctx``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _creation, _shape
from .._creation import as_tensor as _to_tensor
from ..nn import functional as F
from ._ctx import Ctx, as_tensor


def _reshape(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    shape = [int(d) for d in ctx.static(inputs[1], "shape").reshape(-1)]
    if not ctx.attr("allowzero", 0):  # 0 copies the input's dimension
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return [x.reshape(tuple(shape))]


def _flatten(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    axis = int(ctx.attr("axis", 1))
    axis = axis + x.ndim if axis < 0 else axis
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    return [x.reshape(rows, int(np.prod(x.shape[axis:], dtype=np.int64)))]


def _transpose(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    perm = ctx.attr("perm") or list(reversed(range(x.ndim)))
    return [x.permute(*[int(p) for p in perm])]


def _concat(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    parts = [as_tensor(v) for v in inputs if v is not None]
    return [_shape.cat(parts, dim=int(ctx.attr("axis")))]


def _split_sizes(ctx: Ctx, inputs: list[Any], length: int) -> list[int]:
    if len(inputs) > 1 and inputs[1] is not None:
        return [int(s) for s in ctx.static(inputs[1], "split").reshape(-1)]
    if ctx.attr("split") is not None:
        return [int(s) for s in ctx.attr("split")]
    parts = int(ctx.attr("num_outputs", ctx.n_outputs))
    chunk = -(-length // parts)  # opset 18 num_outputs: ceil-sized chunks, the last smaller
    return [min(chunk, length - k * chunk) for k in range(parts)]


def _split(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    axis = int(ctx.attr("axis", 0)) % x.ndim
    sizes = _split_sizes(ctx, inputs, x.shape[axis])
    if sum(sizes) != x.shape[axis]:
        raise ValueError(f"tenkai.onnx: {ctx.describe()}: split sizes {sizes} do not add up to "
                         f"dimension {axis} of size {x.shape[axis]}")
    return list(_shape.split(x, sizes, dim=axis))


def _slice_positions(ctx: Ctx, inputs: list[Any], shape: tuple[int, ...]) -> list[np.ndarray]:
    starts = ctx.static(inputs[1], "starts").reshape(-1)
    ends = ctx.static(inputs[2], "ends").reshape(-1)
    axes = ctx.axes(inputs, 3) or list(range(len(starts)))
    steps = (ctx.static(inputs[4], "steps").reshape(-1) if len(inputs) > 4
             and inputs[4] is not None else np.ones(len(starts), np.int64))
    positions = [np.arange(n) for n in shape]
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        if step == 0:
            raise ValueError(f"tenkai.onnx: {ctx.describe()}: slice step cannot be 0")
        # Python's slice clamping is ONNX's (INT64_MAX/INT64_MIN ends included)
        positions[axis] = positions[axis][slice(int(start), int(end), int(step))]
    return positions


def _slice(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    positions = _slice_positions(ctx, inputs, tuple(x.shape))
    for axis, pos in enumerate(positions):
        n = x.shape[axis]
        if len(pos) == n and np.array_equal(pos, np.arange(n)):
            continue
        steps = np.diff(pos)
        if len(pos) > 0 and (len(pos) == 1 or (steps[0] > 0 and np.all(steps == steps[0]))):
            step = 1 if len(pos) == 1 else int(steps[0])
            index = [slice(None)] * x.ndim
            index[axis] = slice(int(pos[0]), int(pos[-1]) + 1, step)
            x = x[tuple(index)]
        else:  # reversed or empty selections: pick the positions
            x = _shape.index_select(x, axis, _to_tensor(pos.astype(np.int64)))
    return [x]


def _gather(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    axis = int(ctx.attr("axis", 0)) % x.ndim
    size = x.shape[axis]
    indices = inputs[1]
    if isinstance(indices, np.ndarray):
        flat = as_tensor(np.where(indices < 0, indices + size, indices).astype(np.int64)
                         .reshape(-1))
    else:
        flat = indices.reshape(-1)
        flat = flat + (flat < 0).to(flat.dtype) * size
    out = _shape.index_select(x, axis, flat)
    shape = (*x.shape[:axis], *indices.shape, *x.shape[axis + 1:])
    return [out.reshape(tuple(shape))]


def _gather_elements(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, indices = as_tensor(inputs[0]), as_tensor(inputs[1])
    axis = int(ctx.attr("axis", 0)) % x.ndim
    indices = indices + (indices < 0).to(indices.dtype) * x.shape[axis]
    return [_shape.gather(x, axis, indices)]


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
              "wrap": "circular"}


def _pad(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    pads = [int(p) for p in ctx.static(inputs[1], "pads").reshape(-1)]
    axes = ctx.axes(inputs, 3) or list(range(x.ndim))
    axes = [a % x.ndim for a in axes]
    mode = ctx.attr("mode", "constant")
    if mode not in _PAD_MODES:
        raise ctx.unsupported(f"mode {mode!r}")
    value = inputs[2] if len(inputs) > 2 and inputs[2] is not None else np.zeros(())
    pairs = dict.fromkeys(range(x.ndim), (0, 0))
    for k, axis in enumerate(axes):
        pairs[axis] = (pads[k], pads[k + len(axes)])
    padded = [a for a, p in pairs.items() if p != (0, 0)]
    if not padded:
        return [x]
    # F.pad lists the last axis first and covers the trailing axes only
    flat = [p for axis in range(x.ndim - 1, min(padded) - 1, -1) for p in pairs[axis]]
    if mode != "constant":
        return [F.pad(x, flat, mode=_PAD_MODES[mode])]
    if isinstance(value, np.ndarray):
        return [F.pad(x, flat, value=float(value.reshape(-1)[0]))]
    # a tensor fill value (a float initializer, so a parameter): pad with 0, add value * mask
    border = F.pad(_creation.zeros(tuple(x.shape), dtype=x.dtype), flat, value=1.0)
    return [F.pad(x, flat) + border * value.reshape(())]


def _unsqueeze(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    axes = ctx.axes(inputs, 1) or []
    rank = x.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        x = x.unsqueeze(axis)
    return [x]


def _squeeze(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    axes = ctx.axes(inputs, 1)
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    axes = [a % x.ndim for a in axes]
    bad = [a for a in axes if x.shape[a] != 1]
    if bad:
        raise ValueError(f"tenkai.onnx: {ctx.describe()}: cannot squeeze axes {bad} of shape "
                         f"{list(x.shape)}: their size is not 1")
    shape = [d for i, d in enumerate(x.shape) if i not in axes]
    return [x.reshape(tuple(shape))]


def _expand(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    shape = [int(d) for d in ctx.static(inputs[1], "shape").reshape(-1)]
    return [x.expand(*np.broadcast_shapes(tuple(x.shape), tuple(shape)))]


def _constant(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    for key, convert in (("value", np.asarray), ("value_float", np.float32),
                         ("value_floats", lambda v: np.array(v, np.float32)),
                         ("value_int", np.int64), ("value_ints", lambda v: np.array(v, np.int64))):
        if key in ctx.attrs:
            return [np.asarray(convert(ctx.attrs[key]))]
    raise ctx.unsupported(f"a Constant with attributes {sorted(ctx.attrs)}")


def _constant_of_shape(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    shape = tuple(int(d) for d in ctx.static(inputs[0], "input").reshape(-1))
    value = ctx.attr("value")
    value = np.zeros(1, np.float32) if value is None else value.reshape(-1)
    return [np.full(shape, value[0], dtype=value.dtype)]


SHAPE_HANDLERS: dict[str, Callable[[Ctx, list[Any]], list[Any]]] = {
    "Reshape": _reshape, "Flatten": _flatten, "Transpose": _transpose, "Concat": _concat,
    "Split": _split, "Slice": _slice, "Gather": _gather, "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze, "Expand": _expand, "Constant": _constant, "Pad": _pad,
    "GatherElements": _gather_elements,
    "ConstantOfShape": _constant_of_shape,
}
