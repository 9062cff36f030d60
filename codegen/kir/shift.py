"""Loops that differ only in where they start in their buffers: one body, shifted pointers.

A convolution's chunks (:mod:`tenkai.codegen.lower.conv`) are the same loop nest several
times, each reading (or writing) its buffers a constant number of elements further on:
``x[... + 25088]``, ``x[... + 50176]``. ``buf[rest + c]`` is element ``rest + (c - s)`` of the
pointer ``buf + s``, so every such nest is one body with per-buffer shifts: a target that
compiles each distinct body once (the CPU's outlined parallel loops,
:mod:`tenkai.codegen.cpu.outline`) compiles the CNN step's chunked nests once per kernel
instead of once per chunk.

:func:`shifted_form` gives a loop's body with, for every buffer, the smallest constant offset
of its accesses taken out (when positive), the shifts taken out, and a key: equal keys mean
equal bodies up to the names the bodies define (loop variables, lets, accumulators), so a body
emitted for one loop computes any other loop of the same key when given that loop's shifted
pointers.
"""

from __future__ import annotations

import dataclasses

from tenkai.codegen.kir.nodes import (
    Acc,
    Const,
    Contraction,
    Expr,
    Let,
    Load,
    Loop,
    Reduce,
    Scalar,
    Stmt,
    Store,
    Var,
    exprs_of,
    sub_exprs,
    walk,
)
from tenkai.ir.dtypes import itemsize

NAME_FIELDS = ("var", "name", "acc")  # the statement fields that define or name a variable


def split_offset(index: Expr) -> tuple[Expr | None, int]:
    """``(rest, c)`` with ``index == rest + c`` (``rest`` None: ``index`` is the constant)."""
    if isinstance(index, Const) and index.dtype == "int64":
        return None, int(index.value)
    if isinstance(index, Scalar) and index.op == "add" and len(index.args) == 2 \
            and index.dtype == "int64" and not index.attrs:
        rest, last = index.args
        if isinstance(last, Const) and last.dtype == "int64":
            return rest, int(last.value)
    return index, 0


def _with_offset(rest: Expr | None, c: int) -> Expr:
    if rest is None:
        return Const(c, "int64")
    return rest if c == 0 else Scalar("add", (rest, Const(c, "int64")), "int64")


def index_lets(loop: Loop) -> dict[str, str]:
    """The int64 ``Let`` names of ``loop`` used only as the whole index of accesses to one
    buffer (``let at = ... + c; x[at] = x[at] + ...``) -> that buffer: their offset is that
    buffer's, moved with it."""
    lets = {s.name for s in walk([loop]) if isinstance(s, Let) and s.value.dtype == "int64"}
    whole: dict[str, set[str]] = {}
    count: dict[str, int] = {}
    for s in walk([loop]):
        accesses = [(s.buf, s.index)] if isinstance(s, Store) else []
        for e in exprs_of(s):
            for sub in sub_exprs(e):
                if isinstance(sub, Load):
                    accesses.append((sub.buf, sub.index))
                elif isinstance(sub, Var) and sub.name in lets:
                    count[sub.name] = count.get(sub.name, 0) - 1
        for buf, index in accesses:
            if isinstance(index, Var) and index.name in lets:
                whole.setdefault(index.name, set()).add(buf)
                count[index.name] = count.get(index.name, 0) + 1
    return {n: next(iter(bufs)) for n, bufs in whole.items()
            if len(bufs) == 1 and count.get(n) == 0}


def buffer_shifts(loop: Loop, elem_size: dict[str, int], lets: dict[str, str]
                  ) -> dict[str, int]:
    """Buffer -> elements to move its pointer by: the smallest constant offset of its accesses
    in ``loop`` (``lets``: :func:`index_lets`), when positive. None in a loop with a
    contraction (whole views, not indexed accesses), nor for a buffer loaded with another
    element size than its own (``elem_size``: buffer -> bytes per element)."""
    offsets: dict[str, list[int]] = {}
    sizes: dict[str, set[int]] = {}
    for s in walk([loop]):
        if isinstance(s, Contraction):
            return {}
        if isinstance(s, Let) and s.name in lets:
            offsets.setdefault(lets[s.name], []).append(split_offset(s.value)[1])
        if isinstance(s, Store) and not _let_index(s.index, lets):
            offsets.setdefault(s.buf, []).append(split_offset(s.index)[1])
        for e in exprs_of(s):
            for sub in sub_exprs(e):
                if isinstance(sub, Load):
                    sizes.setdefault(sub.buf, set()).add(itemsize(sub.dtype))
                    if not _let_index(sub.index, lets):
                        offsets.setdefault(sub.buf, []).append(split_offset(sub.index)[1])
    return {b: min(cs) for b, cs in offsets.items()
            if min(cs) > 0 and b in elem_size and sizes.get(b, set()) <= {elem_size[b]}}


def _let_index(index: Expr, lets: dict[str, str]) -> bool:
    return isinstance(index, Var) and index.name in lets


def _map_expr(e: Expr, shifts: dict[str, int], names: dict[str, str]) -> Expr:
    if isinstance(e, Var):
        return Var(names.get(e.name, e.name), e.dtype)
    if isinstance(e, Load):
        index = _map_expr(e.index, shifts, names)
        # a variable index is a loop variable (offset 0: its buffer is not shifted) or an
        # index let (shifted where it is defined)
        return Load(e.buf, index if isinstance(index, Var) else _shift(e.buf, index, shifts),
                    e.dtype)
    if isinstance(e, Scalar):
        return Scalar(e.op, tuple(_map_expr(a, shifts, names) for a in e.args), e.dtype,
                      e.attrs)
    return e


def _shift(buf: str, index: Expr, shifts: dict[str, int]) -> Expr:
    s = shifts.get(buf, 0)
    if s == 0:
        return index
    rest, c = split_offset(index)
    return _with_offset(rest, c - s)


def _map_body(body: list[Stmt], shifts: dict[str, int], names: dict[str, str],
              lets: dict[str, str] | None = None) -> list[Stmt]:
    """``body`` with ``shifts`` taken out of its indices (and of the index ``lets``' values)
    and its names renamed by ``names``."""
    out: list[Stmt] = []
    for s in body:
        changes: dict[str, object] = {}
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if f.name == "body":
                changes["body"] = _map_body(value, shifts, names, lets)
            elif f.name in NAME_FIELDS and isinstance(value, str):
                changes[f.name] = names.get(value, value)
            elif isinstance(value, (Const, Var, Load, Scalar)):
                changes[f.name] = _map_expr(value, shifts, names)
        if isinstance(s, Store) and not isinstance(s.index, Var):
            changes["index"] = _shift(s.buf, changes["index"], shifts)  # type: ignore[arg-type]
        elif isinstance(s, Let) and lets and s.name in lets:
            changes["value"] = _shift(lets[s.name], changes["value"], shifts)  # type: ignore
        out.append(dataclasses.replace(s, **changes))
    return out


def _defined_names(loop: Loop) -> dict[str, str]:
    """Every name ``loop`` defines -> its position (``%0``, ``%1``...) in definition order."""
    names: dict[str, str] = {}
    for s in walk([loop]):
        defined = {Loop: "var", Let: "name", Acc: "name", Reduce: "acc"}.get(type(s))
        if defined is not None:
            names.setdefault(getattr(s, defined), f"%{len(names)}")
    return names


def _linear(e: Expr, names: dict[str, str]) -> tuple[dict[str, int], int]:
    """An int64 ``e`` as (atom key -> coefficient, constant): sums and constant multiples
    in any order and nesting give one form (an index's terms are ordered by the names of its
    loop variables, which differ from loop to loop)."""
    if isinstance(e, Const) and e.dtype == "int64":
        return {}, int(e.value)
    if isinstance(e, Scalar) and e.dtype == "int64" and not e.attrs and len(e.args) == 2:
        if e.op in ("add", "sub"):
            (ta, ca), (tb, cb) = _linear(e.args[0], names), _linear(e.args[1], names)
            sign = 1 if e.op == "add" else -1
            terms = dict(ta)
            for atom, c in tb.items():
                terms[atom] = terms.get(atom, 0) + sign * c
            return {a: c for a, c in terms.items() if c}, ca + sign * cb
        if e.op == "mul":
            for k in (0, 1):
                factor = e.args[k]
                if isinstance(factor, Const):
                    terms, const = _linear(e.args[1 - k], names)
                    f = int(factor.value)
                    return {a: c * f for a, c in terms.items() if c * f}, const * f
    return {_expr_key(e, names, atom=True): 1}, 0


def _expr_key(e: Expr, names: dict[str, str], atom: bool = False) -> str:
    """``e`` as text that equal computations share (see :func:`_linear`)."""
    if not atom and e.dtype == "int64" and isinstance(e, Scalar):
        terms, const = _linear(e, names)
        return "lin(" + " + ".join([f"{c}*{a}" for a, c in sorted(terms.items())]
                                   + [str(const)]) + ")"
    if isinstance(e, Var):
        return f"{names.get(e.name, e.name)}:{e.dtype}"
    if isinstance(e, Load):
        return f"{e.buf}[{_expr_key(e.index, names)}]:{e.dtype}"
    if isinstance(e, Scalar):
        args = ", ".join(_expr_key(a, names) for a in e.args)
        return f"{e.op}({args}; {e.attrs!r}):{e.dtype}"
    return repr(e)


def _body_key(body: list[Stmt], names: dict[str, str]) -> str:
    parts = []
    for s in body:
        fields = []
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if f.name == "body":
                fields.append("{" + _body_key(value, names) + "}")
            elif f.name in NAME_FIELDS and isinstance(value, str):
                fields.append(names.get(value, value))
            elif isinstance(value, (Const, Var, Load, Scalar)):
                fields.append(_expr_key(value, names))
            else:
                fields.append(repr(value))
        parts.append(f"{type(s).__name__}({', '.join(fields)})")
    return "; ".join(parts)


def shifted_form(loop: Loop, elem_size: dict[str, int]) -> tuple[str, Loop, dict[str, int]]:
    """``(key, body, shifts)``: ``loop`` with its buffers' :func:`buffer_shifts` taken out of
    its indices (``body``, its own names kept), and the key of that body: its index
    arithmetic in one canonical form and the names it defines replaced by their positions
    (see the module docstring)."""
    lets = index_lets(loop)
    shifts = buffer_shifts(loop, elem_size, lets)
    (body,) = _map_body([loop], shifts, {}, lets)
    assert isinstance(body, Loop)
    return _body_key([body], _defined_names(body)), body, shifts
