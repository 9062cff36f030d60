"""Scans, differences and shape helpers as compositions of registry ops: ``cumprod``,
``cummax``/``cummin``, ``logcumsumexp``, ``diff``, ``broadcast_to``/``broadcast_tensors``,
``atleast_Nd``, ``block_diag``, ``cartesian_prod``, ``meshgrid``, ``roll``, ``rot90``,
``fliplr``/``flipud``.

The scans double their reach each step (Hillis-Steele): ``log2(n)`` whole-tensor steps of
``mul``/``logaddexp``/``where``, so they trace and compile like any elementwise chain.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tenkai.ir.ops import norm_axis

from . import _eager_fast as fast
from . import _eager_fused, _scan_fused, _trace
from ._composite import NUMPY_SCAN_ACCUMULATOR, SCAN_ACCUMULATOR, flip
from ._dtype import as_dtype
from ._math import isnan, logaddexp
from ._ops import (
    add,
    apply,
    as_tensor_arg,
    cast,
    eq,
    exp,
    ge,
    le,
    log,
    logical_not,
    mul,
    promote,
    sub,
    tensor_of,
    where,
)
from ._reduce import _return_type
from ._shape import _slice_along, cat, expand, gather, named, reshape, stack, transpose
from ._tensor import Size, Tensor

# ---------------------------------------------------------------- scans


def _shifted(y: Tensor, axis: int, step: int, fill: Any) -> Tensor:
    """``y`` moved ``step`` places forward along ``axis``, the first ``step`` filled."""
    n = y.shape[axis]
    head = _slice_along(y, axis, 0, n - step)
    pads = tuple((step, 0) if i == axis else (0, 0) for i in range(y.ndim))
    return apply("pad", (head,), pads=pads, value=fill)


def _scan(input: Tensor, dim: int, op: str, combine: Any, fill: Any) -> tuple[int, Tensor]:
    """Inclusive scan by doubling (Hillis-Steele): ``log2(n)`` steps of ``combine(earlier,
    later)``, each over the whole tensor, so graphs and eager time stay small for long dims."""
    axis = norm_axis(op, dim, max(input.ndim, 1))
    y = reshape(input, (1,)) if input.ndim == 0 else input
    n, step = y.shape[axis], 1
    while step < n:
        y = combine(_shifted(y, axis, step, fill), y)
        step *= 2
    return axis, y


def _finish(y: Tensor, input: Tensor, name: str) -> Tensor:
    if y is input or (input.ndim == 0 and y.ndim == 1):
        y = apply("cast", (y,), dtype=y._ir_dtype) if y is input else reshape(y, ())
    return named(y, name, input)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running products along ``dim`` (gradients exact even with zeros)."""
    if dtype is None and input._data.dtype in NUMPY_SCAN_ACCUMULATOR and input.ndim:
        axis = norm_axis("cumprod", dim, input.ndim)
        if fast.plain(input):
            return fast.result(_scan_fused.cumprod_value(input._data, axis), fresh=True)
        if _eager_fused.available(input):
            return _scan_fused.cumprod_fused(input, axis, lambda t: cumprod(t, dim))
    x = input if dtype is None else cast(input, as_dtype(dtype).name)
    if dtype is None and not x.is_floating_point():
        x = cast(x, "int64")
    wide = SCAN_ACCUMULATOR.get(x._ir_dtype)  # PyTorch's accumulation dtype
    src = x if wide is None else cast(x, wide)
    axis = norm_axis("cumprod", dim, max(x.ndim, 1))
    n = x.shape[axis] if x.ndim else 0
    if n and x.is_floating_point() and x.numel() * n <= 65536:
        square, last = _lower_square(src, axis, 1)
        y = apply("prod", (square,), axes=(square.ndim - 1,), keepdim=False)
        y = y if axis == last else transpose(y, axis, -1)
        return named(y if wide is None else cast(y, x._ir_dtype), "CumprodBackward0", x)
    _, y = _scan(src, dim, "cumprod", mul, 1)
    return _finish(y if wide is None else cast(y, x._ir_dtype), x, "CumprodBackward0")


def _lower_square(x: Tensor, axis: int, fill: Any) -> tuple[Tensor, int]:
    """The scanned dim of ``x`` as an (n, n) square, last: row i holds ``x_0 .. x_i`` and
    ``fill`` after them (a where: inf and nan stay where they are). For short scans, whose
    reductions over the rows record a few ops whatever n is (the doubling scans record
    several per step); the square has n times the input's elements. Returns it and the
    index of x's last dim."""
    last = x.ndim - 1
    moved = x if axis == last else transpose(x, axis, -1)
    n = moved.shape[-1]
    square = expand(reshape(moved, (*moved.shape[:-1], 1, n)), (*moved.shape, n))
    keep = tensor_of(np.tri(n, dtype=bool), "bool")
    return where(keep, square, tensor_of(fill, x._ir_dtype)), last


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` computed stably."""
    if fast.plain_float(input):
        axis = norm_axis("logcumsumexp", dim, max(input.ndim, 1))
        data = input._data.reshape(input.shape or (1,))
        with np.errstate(all="ignore"):
            return fast.result(np.logaddexp.accumulate(data, axis).reshape(input.shape), fresh=True)
    axis = norm_axis("logcumsumexp", dim, max(input.ndim, 1))
    n = input.shape[axis] if input.ndim else 0
    if n and input.is_floating_point() and input.numel() * n <= 65536:
        return named(_logcumsumexp_square(input, axis), "LogcumsumexpBackward0", input)
    _, y = _scan(input, dim, "logcumsumexp", logaddexp, -math.inf)
    return _finish(y, input, "LogcumsumexpBackward0")


def _logcumsumexp_square(x: Tensor, axis: int) -> Tensor:
    """``y_i = M_i + log(sum_{j <= i} exp(x_j - M_i))`` over an (n, n) square of the scanned
    dim (:func:`_lower_square`), ``M_i`` the running max (a constant of the gradient:
    ``dy_i/dx_j = exp(x_j - y_i)`` either way; 0 where the max is not finite, so inf and -inf
    pass through log and exp). Eight recorded ops whatever n is (the doubling scan records
    ten per step)."""
    masked, last = _lower_square(x, axis, -math.inf)
    moved_shape = masked.shape[:-1]
    high = apply("max", (masked.detach(),), axes=(masked.ndim - 1,), keepdim=True)
    shift = where(eq(sub(high, high), 0.0), high, tensor_of(0, x._ir_dtype))
    total = apply("sum", (exp(sub(masked, shift)),), axes=(masked.ndim - 1,), keepdim=False)
    y = add(log(total), reshape(shift, tuple(moved_shape)))
    return y if axis == last else transpose(y, axis, -1)


CumResult = {name: _return_type(name) for name in ("cummax", "cummin")}


def _cum_extreme(input: Tensor, dim: int, name: str) -> Any:
    """Running max/min and where it was (the latest position on ties, nan wins as in PyTorch);
    values are gathered at the indices so the gradient goes to that position."""
    if type(input._data) is np.ndarray and _trace.active() is None:
        # eager on the CPU: the positions from numpy, the values gathered at them (recorded
        # when the input requires grad: one fused step, or one gather node)
        axis = norm_axis(name, dim, max(input.ndim, 1))
        values, index = _scan_fused.cum_extreme_values(
            input._data.reshape(input.shape or (1,)), axis, name)
        if fast.plain(input):
            return CumResult[name](fast.result(values.reshape(input.shape), fresh=True),
                                   fast.result(index.reshape(input.shape), fresh=True))
        if input.ndim and _eager_fused.available(input):
            return CumResult[name](_scan_fused.cum_extreme_fused(
                input, axis, name, values, index,
                lambda t: _cum_extreme(t, dim, name).values), Tensor._make(index))
        x = reshape(input, (1,)) if input.ndim == 0 else input
        out = gather(x, axis, Tensor._make(index))
        if input.ndim == 0:
            out = reshape(out, ())
        return CumResult[name](named(out, name.capitalize() + "Backward0", input),
                               Tensor._make(index.reshape(input.shape)))
    better = ge if name == "cummax" else le
    is_float = input.is_floating_point()
    if is_float:
        worst = -math.inf if name == "cummax" else math.inf
    else:
        info = np.iinfo(input._data.dtype) if input._ir_dtype != "bool" else None
        worst = (0 if name == "cummax" else 1) if info is None else \
            (int(info.min) if name == "cummax" else int(info.max))
    axis = norm_axis(name, dim, max(input.ndim, 1))
    x = reshape(input, (1,)) if input.ndim == 0 else input
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    pos = np.arange(x.shape[axis]).reshape(shape)
    index = tensor_of(np.broadcast_to(pos, tuple(x.shape)).copy(), "int64")
    best = apply("cast", (x,), dtype=x._ir_dtype).detach()
    step = 1
    while step < x.shape[axis]:
        early_v, early_i = _shifted(best, axis, step, worst), _shifted(index, axis, step, 0)
        take = better(best, early_v)
        if is_float:
            take = apply("logical_or", (apply("logical_and", (take, logical_not(
                isnan(early_v)))), isnan(best)))
        best, index = where(take, best, early_v), where(take, index, early_i)
        step *= 2
    values = gather(x, axis, index)
    if input.ndim == 0:
        values, index = reshape(values, ()), reshape(index, ())
    return CumResult[name](named(values, name.capitalize() + "Backward0", input), index)


def cummax(input: Tensor, dim: int) -> Any:
    return _cum_extreme(input, dim, "cummax")


def cummin(input: Tensor, dim: int) -> Any:
    return _cum_extreme(input, dim, "cummin")


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Any = None,
         append: Any = None) -> Tensor:
    """``n``-th forward difference along ``dim``, after adding ``prepend``/``append``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = norm_axis("diff", dim, input.ndim)
    if prepend is None and append is None and n >= 1 and fast.plain_float(input):
        with np.errstate(all="ignore"):
            return fast.result(np.diff(input._data, n, axis), fresh=True)
    parts = [as_tensor_arg(p) for p in (prepend, input, append) if p is not None]
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[axis]
        if length == 0:
            break
        hi, lo = _slice_along(x, axis, 1, length), _slice_along(x, axis, 0, length - 1)
        x = apply("ne", (hi, lo)) if x._ir_dtype == "bool" else sub(hi, lo)
    return x


# ---------------------------------------------------------------- broadcasting and shapes


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    return expand(input, tuple(size))


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    try:
        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,)
                                          for s in shapes]))
    except ValueError as err:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape "
                           f"({err})") from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = tuple(broadcast_shapes(*[tuple(t.shape) for t in tensors]))
    return tuple(expand(t, shape) for t in tensors)


def _atleast(n: int, tensors: tuple[Any, ...]) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        shape = tuple(t.shape)
        if t.ndim >= n:
            out.append(t)
            continue
        if t.ndim == 0:
            new = (1,) * n
        elif t.ndim == 1:
            new = (1, shape[0]) if n == 2 else (1, shape[0], 1)
        else:
            new = (*shape, 1)
        out.append(reshape(t, new))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    return _atleast(2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    return _atleast(3, tensors)


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the (at most 2-D) inputs."""
    mats, _ = promote(*[as_tensor_arg(t) for t in tensors]) if tensors else ([], None)
    mats = [reshape(m, (1, -1) if m.ndim == 1 else (1, 1)) if m.ndim < 2 else m for m in mats]
    for k, m in enumerate(mats):
        if m.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {k} has {m.ndim} dimensions")
    width = sum_int(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        right = width - left - m.shape[1]
        rows.append(apply("pad", (m,), pads=((0, 0), (left, right)), value=0))
        left += m.shape[1]
    return cat(rows, 0) if rows else Tensor._make(np.zeros((0, 0), np.float32))


def sum_int(values: Any) -> int:
    total = 0
    for v in values:
        total += int(v)
    return total


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D tensors (``indexing='ij'`` or ``'xy'``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    ts = [reshape(t, (-1,)) if t.ndim == 0 else t for t in tensors]
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0, *range(2, len(ts))] if swap else list(range(len(ts)))
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for k, t in enumerate(ts):
        pos = order.index(k)
        view = [1] * len(ts)
        view[pos] = t.shape[0]
        out.append(expand(reshape(t, view), shape))
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of the 1-D inputs' elements, one per row."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


# ---------------------------------------------------------------- rolls and flips


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts`` (flattened when ``dims`` is None)."""
    if dims is None:
        flat = roll(reshape(input, (-1,)), shifts, 0)
        return named(reshape(flat, tuple(input.shape)), "RollBackward0", input)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if fast.plain(input):
        axes = tuple(norm_axis("roll", d, input.ndim) for d in dims)
        return fast.result(np.roll(input._data, shifts, axes), fresh=True)
    if _eager_fused.available(input):  # one step: the gradient rolled back
        axes = tuple(norm_axis("roll", d, input.ndim) for d in dims)
        back = tuple(-s for s in shifts)
        return _eager_fused.unary("RollBackward0", input, np.roll(input._data, shifts, axes),
                                  lambda g: np.roll(g, back, axes),
                                  lambda t: roll(t, shifts, dims))
    out = input
    for s, d in zip(shifts, dims, strict=True):
        axis = norm_axis("roll", d, input.ndim)
        n = input.shape[axis]
        if n:
            index = tensor_of((np.arange(n) - s) % n, "int64")
            out = apply("take", (out, index), axis=axis)
    if out is input:
        out = apply("cast", (input,), dtype=input._ir_dtype)
    return named(out, "RollBackward0", input)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = dims
    k %= 4
    nd = input.ndim
    if k and -nd <= d0 < nd and -nd <= d1 < nd and d0 % nd != d1 % nd and (
            fast.plain(input) or _eager_fused.available(input)):
        # the flip's copy, transposed (a view of it, as the composite's permute gives)
        data = np.flip(input._data, [d1] if k == 1 else [d0] if k == 3 else [d0, d1]).copy()
        data = data if k == 2 else np.swapaxes(data, d0, d1)
        if fast.plain(input):
            return Tensor._make(data)
        return _eager_fused.unary("Rot90Backward0", input, data,  # the gradient turned back
                                  lambda g: np.rot90(g, -k, (d0, d1)).copy(),
                                  lambda t: rot90(t, k, dims))
    if k == 1:
        out = transpose(flip(input, [d1]), d0, d1)
    elif k == 2:
        out = flip(input, [d0, d1])
    elif k == 3:
        out = transpose(flip(input, [d0]), d0, d1)
    else:
        out = apply("cast", (input,), dtype=input._ir_dtype)
    return named(out, "Rot90Backward0", input)


def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


# tenkai.<name>; tenkai.broadcast_shapes is functional.broadcast_shapes (PyTorch's message)
FUNCTIONS = """cumprod logcumsumexp cummax cummin diff broadcast_to
broadcast_tensors atleast_1d atleast_2d atleast_3d block_diag meshgrid cartesian_prod roll rot90
fliplr flipud""".split()
METHODS = """cumprod logcumsumexp cummax cummin diff broadcast_to roll rot90 fliplr
flipud""".split()
INPLACE = ["cumprod"]
