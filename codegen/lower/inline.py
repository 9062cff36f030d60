"""Inline lowering rules: the value of one node at given coordinates, as a kernel-IR expression.

Each rule is ``rule(kb, node, coords) -> Expr`` and reads its operands through
``kb.value_at``, so chains of elementwise, movement, gather, random and source ops fuse into
one expression per element. Index remaps follow the registry references exactly (negative
indices wrap, out-of-range indices raise through the status word; padding and concatenation
select between clamped loads so no load ever leaves its buffer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tenkai.codegen.kir.index import c64
from tenkai.codegen.kir.nodes import Const, Expr, Load, scalar
from tenkai.codegen.lower.kernel import InlineRule, KernelBuilder
from tenkai.ir import dtypes
from tenkai.ir.ops import ELEMENTWISE, REGISTRY

Coords = tuple[Expr, ...]


def const_of(value: Any, dtype: str) -> Const:
    """``value`` converted to ``dtype`` the way numpy converts it (np.asarray(value, dtype))."""
    v = np.asarray(value).astype(dtypes.to_numpy(dtype))
    return Const(v.reshape(()).item(), dtype)


def _all(conds: Sequence[Expr]) -> Expr:
    out: Expr = Const(True, "bool")
    for c in conds:
        out = c if isinstance(out, Const) else scalar("logical_and", (out, c), "bool")
    return out


def _cmp(op: str, a: Expr, b: Expr | int) -> Expr:
    return scalar(op, (a, c64(b) if isinstance(b, int) else b), "bool")


# ---------------------------------------------------------------- elementwise


def _elementwise(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    g = kb.g
    shape = g.shape(n)
    args = [kb.value_at(i, kb.operand_coords(coords, shape, g.shape(i))) for i in g.operands(n)]
    attrs = dict(g.attrs(n))
    op = g.op(n)
    if op == "clamp":
        dt = g.dtype(n)
        attrs = {k: None if v is None else const_of(v, dt).value for k, v in attrs.items()}
    return scalar(op, args, g.dtype(n), attrs)


# ---------------------------------------------------------------- movement


def _view_load(kb: KernelBuilder, n: int, coords: Coords) -> Expr | None:
    view = kb.view_of(n)
    if view is None:
        return None
    return Load(view.buf, kb.idx.dot(coords, view.strides, view.offset), kb.g.dtype(n))


def _reshape(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    loaded = _view_load(kb, n, coords)
    if loaded is not None:
        return loaded
    x = kb.g.operands(n)[0]
    flat = kb.idx.flat(coords, kb.g.shape(n))
    return kb.value_at(x, kb.idx.unflatten(flat, kb.g.shape(x)))


def _permute(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x = kb.g.operands(n)[0]
    dims = kb.g.attrs(n)["dims"]
    inner: list[Expr] = [c64(0)] * len(dims)
    for i, d in enumerate(dims):
        inner[d] = coords[i]
    return kb.value_at(x, inner)


def _expand(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x = kb.g.operands(n)[0]
    return kb.value_at(x, kb.operand_coords(coords, kb.g.shape(n), kb.g.shape(x)))


def _slice(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x = kb.g.operands(n)[0]
    a = kb.g.attrs(n)
    inner = [kb.idx.add(start, kb.idx.mul(c, step))
             for c, start, step in zip(coords, a["starts"], a["steps"], strict=True)]
    return kb.value_at(x, inner)


def _pad(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x = kb.g.operands(n)[0]
    shape = kb.g.shape(x)
    pads, value = kb.g.attrs(n)["pads"], kb.g.attrs(n)["value"]
    inner, conds = [], []
    for c, (lo, hi), d in zip(coords, pads, shape, strict=True):
        rel = kb.idx.sub(c, lo)
        if lo or hi:
            conds += [_cmp("ge", rel, 0), _cmp("lt", rel, d)]
            rel = kb.idx.clamp(rel, 0, max(d - 1, 0))
        inner.append(rel)
    fill = const_of(value, kb.g.dtype(n))
    if 0 in shape:
        return fill
    inside = kb.value_at(x, inner)
    if not conds:
        return inside
    return scalar("where", (_all(conds), inside, fill), kb.g.dtype(n))


def _cat(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    axis = kb.g.attrs(n)["axis"]
    parts = [(x, kb.g.shape(x)[axis]) for x in kb.g.operands(n) if kb.g.shape(x)[axis] > 0]
    start, pieces = 0, []
    for x, size in parts:
        inner = list(coords)
        inner[axis] = kb.idx.clamp(kb.idx.sub(coords[axis], start), 0, size - 1)
        pieces.append((start + size, kb.value_at(x, inner)))
        start += size
    out = pieces[-1][1]
    for end, value in reversed(pieces[:-1]):
        out = scalar("where", (_cmp("lt", coords[axis], end), value, out), kb.g.dtype(n))
    return out


def _slice_assign(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x, src = kb.g.operands(n)
    a = kb.g.attrs(n)
    region = tuple(max(0, -(-(stop - start) // step))
                   for start, stop, step in zip(a["starts"], a["stops"], a["steps"], strict=True))
    base = kb.value_at(x, coords)
    if 0 in region:
        return base
    conds, rel_coords = [], []
    for c, start, step, r in zip(coords, a["starts"], a["steps"], region, strict=True):
        rel = kb.idx.sub(c, start)
        conds += [_cmp("ge", rel, 0), _cmp("lt", rel, (r - 1) * step + 1)]
        if step != 1:
            conds.append(_cmp("eq", scalar("imod", (rel, c64(step)), "int64"), 0))
            rel = scalar("idiv", (rel, c64(step)), "int64")
        rel_coords.append(kb.idx.clamp(rel, 0, r - 1))
    value = kb.value_at(src, kb.operand_coords(rel_coords, region, kb.g.shape(src)))
    return scalar("where", (_all(conds), value, base), kb.g.dtype(n))


# ---------------------------------------------------------------- gathers


def _take(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x, idx = kb.g.operands(n)
    axis = kb.g.attrs(n)["axis"]
    k = len(kb.g.shape(idx))
    raw = kb.value_at(idx, coords[axis:axis + k])
    i = kb.check_index(raw, kb.g.shape(x)[axis], n, axis, _stored(kb, n))
    return kb.value_at(x, (*coords[:axis], i, *coords[axis + k:]))


def _stored(kb: KernelBuilder, n: int) -> bool:
    """Whether this kernel computes every element of ``n`` (it is stored for a later reader),
    so every element of its index operand is checked here."""
    return any(u not in kb.nodes for u in kb.g.users(n))


def _gather(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    x, idx = kb.g.operands(n)
    axis = kb.g.attrs(n)["axis"]
    i = kb.check_index(kb.value_at(idx, coords), kb.g.shape(x)[axis], n, axis, _stored(kb, n))
    inner = list(coords)
    inner[axis] = i
    return kb.value_at(x, inner)


# ---------------------------------------------------------------- random and sources


def _random(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    ops = kb.g.operands(n)
    seed, offset = kb.value_at(ops[-2], ()), kb.value_at(ops[-1], ())
    counter = kb.idx.add(offset, kb.idx.flat(coords, kb.g.shape(n)))
    args = [seed, counter]
    attrs = dict(kb.g.attrs(n))
    if kb.g.op(n) == "bernoulli":
        args.insert(0, kb.value_at(ops[0], coords))
    return scalar(kb.g.op(n), args, kb.g.dtype(n), attrs)


def _full(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    return const_of(kb.g.attrs(n)["value"], kb.g.dtype(n))


def _const(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    return const_of(np.asarray(kb.g.attrs(n)["value"]).reshape(()), kb.g.dtype(n))


def _arange(kb: KernelBuilder, n: int, coords: Coords) -> Expr:
    a, dt = kb.g.attrs(n), kb.g.dtype(n)
    start = const_of(a["start"], dt)
    if kb.g.shape(n)[0] <= 1:
        return start
    delta = const_of(np.asarray(a["start"] + a["step"]).astype(dtypes.to_numpy(dt))
                     - np.asarray(start.value, dtype=dtypes.to_numpy(dt)), dt)
    i = coords[0] if dt == "int64" else scalar("cast", (coords[0],), dt, {"dtype": dt})
    return scalar("add", (start, scalar("mul", (i, delta), dt)), dt)


INLINE: dict[str, InlineRule] = {
    "reshape": _reshape, "permute": _permute, "expand": _expand, "slice": _slice,
    "pad": _pad, "cat": _cat, "slice_assign": _slice_assign, "take": _take,
    "gather": _gather, "uniform": _random, "normal": _random, "randint": _random,
    "bernoulli": _random, "full": _full, "const": _const, "arange": _arange,
}
INLINE.update({name: _elementwise for name, op in REGISTRY.items() if op.kind == ELEMENTWISE})
