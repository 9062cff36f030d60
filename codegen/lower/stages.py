"""Stages: ops whose value is stored into a buffer by its own loop nest inside the kernel.

``stage(kb, node, buf)`` writes the node's full value into ``buf`` (contiguous, the node's
shape). Reductions are ``Reduce`` blocks (on a CPU target, a reduction that keeps the innermost
input dim accumulates straight into the output instead, so the inner loop stays contiguous:
lower/strategy.py); arg-reductions carry their running best in ``Acc``/``AccUpdate`` (order
matters for ties); matmul becomes a ``Contraction`` over strided views; the scatter ops copy
their base and then accumulate in the reference's order (row-major over the indexed region,
like ``np.add.at``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tenkai.codegen.kir.index import c64, contiguous_strides
from tenkai.codegen.kir.nodes import Acc, AccUpdate, Const, Expr, Load, Store, Var, scalar
from tenkai.codegen.lower.kernel import KernelBuilder
from tenkai.codegen.lower.strategy import (
    cache_ordered_reductions,
    check_contraction,
    contraction,
)
from tenkai.ir import dtypes
from tenkai.ir.errors import ShapeError

Stage = Callable[[KernelBuilder, int, str], None]


def identity(op: str, dtype: str) -> Const:
    """The neutral start value of a reduction."""
    if op in ("sum", "mean", "var"):
        return Const(False if dtype == "bool" else 0 if not dtypes.is_float(dtype) else 0.0,
                     dtype)
    if op == "prod":
        return Const(True if dtype == "bool" else 1 if not dtypes.is_float(dtype) else 1.0,
                     dtype)
    big = op in ("min", "argmin")
    if dtype == "bool":
        return Const(big, dtype)
    if dtypes.is_float(dtype):
        return Const(float("inf") if big else float("-inf"), dtype)
    info = np.iinfo(dtypes.to_numpy(dtype))
    return Const(int(info.max if big else info.min), dtype)


_COMBINE = {"sum": "add", "mean": "add", "prod": "mul", "max": "maximum", "min": "minimum"}
_REDUCTION_OF = {"add": "sum", "mul": "prod", "maximum": "max", "minimum": "min"}


def _cast(value: Expr, dtype: str) -> Expr:
    if value.dtype == dtype:
        return value
    return scalar("cast", (value,), dtype, {"dtype": dtype})


def _split_coords(kept: list[Expr], red: list[Expr], ndim: int,
                  axes: tuple[int, ...]) -> list[Expr]:
    kept_it, red_it = iter(kept), iter(red)
    return [next(red_it) if i in axes else next(kept_it) for i in range(ndim)]


def _out_index(kb: KernelBuilder, n: int, kept: list[Expr], axes: tuple[int, ...],
               ndim: int) -> Expr:
    if kb.g.attrs(n).get("keepdim"):
        kept = _split_coords(kept, [c64(0)] * len(axes), ndim, axes)
    return kb.idx.flat(kept, kb.g.shape(n))


# ---------------------------------------------------------------- reductions


def _reduce(kb: KernelBuilder, n: int, buf: str) -> None:
    g, op = kb.g, kb.g.op(n)
    x = g.operands(n)[0]
    shape, axes = g.shape(x), tuple(g.attrs(n)["axes"])
    if op in ("max", "min") and any(shape[a] == 0 for a in axes if a < len(shape)):
        raise ShapeError(f"{op}(): Expected reduction dim to have non-zero size (input shape "
                         f"{list(shape)}, axes {axes}); use sum for empty inputs")
    into_output = (cache_ordered_reductions(kb.target) and op != "var"
                   and kb.g.dtype(n) != "float16")
    if into_output and len(shape) >= 2 and axes and (len(shape) - 1) not in axes:
        _reduce_into_output(kb, n, buf, x, shape, axes)
        return
    kept_dims = [d for i, d in enumerate(shape) if i not in axes]
    with kb.loops(kept_dims, parallel=True) as kept:
        result = _reduce_value(kb, n, x, shape, axes, kept)
        kb.emit(Store(buf, _out_index(kb, n, kept, axes, len(shape)), result))


def co_store(kb: KernelBuilder, coords: list[Expr], shape: tuple[int, ...]) -> None:
    """Store the group outputs that share the reduction's input space (``kb.co_stores``) from
    inside its loop, so they are computed and written in the same pass over the data."""
    pending, kb.co_stores = kb.co_stores, []
    if not pending:
        return
    values = [kb.let(f"n{m}_out", kb.value_at(m, coords)) for m, _ in pending]
    index = kb.idx.flat(coords, shape)
    for (_, buf), v in zip(pending, values, strict=True):
        kb.emit(Store(buf, index, v))


def _accumulate(kb: KernelBuilder, x: int, shape: tuple[int, ...], axes: tuple[int, ...],
                kept: list[Expr], name: str, dtype: str, combine: str,
                shift: Expr | None = None) -> Var:
    """A ``Reduce`` named ``name``: combine over the reduced axes of x (minus ``shift``,
    squared, for var)."""
    with kb.reduce(name, dtype, combine, identity(_REDUCTION_OF[combine], dtype)) as acc, \
            kb.loops([shape[a] for a in axes]) as red:
        full = _split_coords(kept, red, len(shape), axes)
        v = _cast(kb.value_at(x, full), dtype)
        co_store(kb, full, shape)
        if shift is not None:
            d = kb.let("dev", scalar("sub", (v, shift), dtype))
            v = scalar("mul", (d, d), dtype)
        kb.emit(AccUpdate(acc.name, combine, v))
    return acc


def _reduce_value(kb: KernelBuilder, n: int, x: int, shape: tuple[int, ...],
                  axes: tuple[int, ...], kept: list[Expr]) -> Expr:
    g, op, out_dt = kb.g, kb.g.op(n), kb.g.dtype(n)
    # numpy sums float16 in float32 (its pairwise sum for half accumulates in float)
    dt = "float32" if out_dt == "float16" and op in ("sum", "mean", "var") else out_dt
    count = int(np.prod([shape[a] for a in axes])) if shape else 1
    if op == "var":
        total = _accumulate(kb, x, shape, axes, kept, "sum", dt, "add")
        mean = kb.let("mean", scalar("div", (total, Const(float(count), dt)), dt))
        sq = _accumulate(kb, x, shape, axes, kept, "sq", dt, "add", shift=mean)
        denom = float(max(count - g.attrs(n)["correction"], 0))
        return _cast(scalar("div", (sq, Const(denom, dt)), dt), out_dt)
    value: Expr = _accumulate(kb, x, shape, axes, kept, op, dt, _COMBINE[op])
    if op == "mean":
        value = scalar("div", (value, Const(float(count), dt)), dt)
    return _cast(value, out_dt)


def _reduce_into_output(kb: KernelBuilder, n: int, buf: str, x: int, shape: tuple[int, ...],
                        axes: tuple[int, ...]) -> None:
    """Accumulate in the output buffer, looping in the input's natural order (the CPU's
    cache-friendly order: lower/strategy.py ``cache_ordered_reductions``)."""
    op, dt = kb.g.op(n), kb.g.dtype(n)
    kept_dims = [d for i, d in enumerate(shape) if i not in axes]
    with kb.loops(kept_dims, parallel=True) as kept:
        kb.emit(Store(buf, _out_index(kb, n, kept, axes, len(shape)), identity(op, dt)))
    with kb.loops(shape) as coords:
        kept = [c for i, c in enumerate(coords) if i not in axes]
        index = _out_index(kb, n, kept, axes, len(shape))
        v = _cast(kb.value_at(x, coords), dt)
        co_store(kb, coords, shape)
        kb.emit(Store(buf, index, scalar(_COMBINE[op], (Load(buf, index, dt), v), dt)))
    if op == "mean":
        count = float(np.prod([shape[a] for a in axes]))
        with kb.loops(kept_dims, parallel=True) as kept:
            index = _out_index(kb, n, kept, axes, len(shape))
            kb.emit(Store(buf, index, scalar("div", (Load(buf, index, dt), Const(count, dt)),
                                             dt)))


def _argreduce(kb: KernelBuilder, n: int, buf: str) -> None:
    g, op = kb.g, kb.g.op(n)
    x = g.operands(n)[0]
    shape, axis, dt = g.shape(x), g.attrs(n)["axis"], g.dtype(x)
    if not shape:
        kb.emit(Store(buf, c64(0), c64(0)))
        return
    if shape[axis] == 0:
        raise ShapeError(f"{op}(): Expected reduction dim to have non-zero size (input shape "
                         f"{list(shape)}, axes ({axis},))")
    kept_dims = [d for i, d in enumerate(shape) if i != axis]
    with kb.loops(kept_dims, parallel=True) as kept:
        best, where = kb.fresh("best"), kb.fresh("arg")
        kb.emit(Acc(best, dt, identity(op, dt)))
        kb.emit(Acc(where, "int64", c64(0)))
        with kb.loops([shape[axis]]) as (i,):
            v = kb.let("v", kb.value_at(x, _split_coords(kept, [i], len(shape), (axis,))))
            take = kb.let("take", better(v, Var(best, dt), "gt" if op == "argmax" else "lt"))
            kb.emit(AccUpdate(best, "set", scalar("where", (take, v, Var(best, dt)), dt)))
            kb.emit(AccUpdate(where, "set", scalar("where", (take, i, Var(where)), "int64")))
        kb.emit(Store(buf, _out_index(kb, n, kept, (axis,), len(shape)), Var(where)))


def better(v: Expr, best: Expr, cmp: str) -> Expr:
    """numpy's arg-reduction step: strictly better, or the first NaN (which then sticks)."""
    strictly = scalar(cmp, (v, best), "bool")
    if not dtypes.is_float(v.dtype):
        return strictly
    v_nan = scalar("ne", (v, v), "bool")
    best_ok = scalar("eq", (best, best), "bool")
    return scalar("logical_or", (strictly, scalar("logical_and", (v_nan, best_ok), "bool")),
                  "bool")


# ---------------------------------------------------------------- matmul


def _matmul(kb: KernelBuilder, n: int, buf: str) -> None:
    g = kb.g
    a, b = g.operands(n)
    out = g.shape(n)
    m, k, nn = g.shape(a)[-2], g.shape(a)[-1], g.shape(b)[-1]
    dt = g.dtype(n)
    if 0 in out:
        return
    if k == 0:
        with kb.loops(out, parallel=True) as coords:
            kb.emit(Store(buf, kb.idx.flat(coords, out), identity("sum", dt)))
        return
    check_contraction(kb.target, "matmul")
    va, vb = kb.operand_view(a), kb.operand_view(b)
    c_strides = contiguous_strides(out)
    batch = [(extent, _batch_stride(g.shape(a), va.strides, j, len(out)),
              _batch_stride(g.shape(b), vb.strides, j, len(out)), c_strides[j])
             for j, extent in enumerate(out[:-2])]
    stmt = contraction((va.buf, va.offset, (va.strides[-2], va.strides[-1])),
                       (vb.buf, vb.offset, (vb.strides[-2], vb.strides[-1])),
                       (buf, 0, (nn, 1)), (m, nn, k), batch, False, dt)
    if stmt is not None:
        kb.emit(stmt)


def _batch_stride(shape: tuple[int, ...], strides: tuple[int, ...], j: int, out_ndim: int) -> int:
    pos = j - (out_ndim - len(shape))
    if pos < 0 or shape[pos] == 1:
        return 0
    return strides[pos]


# ---------------------------------------------------------------- scatters


def _copy_base(kb: KernelBuilder, n: int, buf: str) -> None:
    x = kb.g.operands(n)[0]
    shape = kb.g.shape(n)
    with kb.loops(shape, parallel=True) as coords:
        v = kb.let("base", kb.value_at(x, coords))
        kb.emit(Store(buf, kb.idx.flat(coords, shape), v))


def _index_write(kb: KernelBuilder, n: int, buf: str) -> None:
    g, op = kb.g, kb.g.op(n)
    x, idx, src = g.operands(n)
    axis, shape, dt = g.attrs(n)["axis"], g.shape(n), g.dtype(n)
    _copy_base(kb, n, buf)
    k = len(g.shape(idx))
    region = (*shape[:axis], *g.shape(idx), *shape[axis + 1:])
    with kb.loops(region) as rc:
        i = kb.check_index(kb.value_at(idx, rc[axis:axis + k]), shape[axis], n, axis,
                           all(region))
        index = kb.idx.flat((*rc[:axis], i, *rc[axis + k:]), shape)
        v = kb.value_at(src, kb.operand_coords(rc, region, g.shape(src)))
        if op == "index_add":
            v = scalar("add", (Load(buf, index, dt), v), dt)
        kb.emit(Store(buf, index, v))


def _scatter_add(kb: KernelBuilder, n: int, buf: str) -> None:
    g = kb.g
    x, idx, src = g.operands(n)
    axis, shape, dt = g.attrs(n)["axis"], g.shape(n), g.dtype(n)
    _copy_base(kb, n, buf)
    with kb.loops(g.shape(idx)) as c:
        i = kb.check_index(kb.value_at(idx, c), shape[axis], n, axis, True)
        target = list(c)
        target[axis] = i
        index = kb.idx.flat(target, shape)
        v = kb.value_at(src, c)
        kb.emit(Store(buf, index, scalar("add", (Load(buf, index, dt), v), dt)))


# reductions whose loops visit every element of their input once (see co_store)
CO_STORE_OPS = frozenset({"sum", "mean", "max", "min", "prod", "var"})

STAGES: dict[str, Stage] = {
    "sum": _reduce, "mean": _reduce, "max": _reduce, "min": _reduce, "prod": _reduce,
    "var": _reduce, "argmax": _argreduce, "argmin": _argreduce, "matmul": _matmul,
    "index_add": _index_write, "index_put": _index_write, "scatter_add": _scatter_add,
}
