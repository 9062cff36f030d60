"""Queries and rewrites over kernel-IR bodies: who loads/stores which buffer, renaming."""

from __future__ import annotations

import dataclasses

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Check,
    Contraction,
    Expr,
    If,
    Let,
    Load,
    Loop,
    Reduce,
    Scalar,
    Stmt,
    Store,
    TensorView,
    exprs_of,
    sub_exprs,
    walk,
)

_WHOLE_VIEW = Scalar("contract", (), "int64")  # a contraction touches its views as a whole


def loads_of(body: list[Stmt]) -> dict[str, list[Expr]]:
    """Buffer -> index expressions of every ``Load`` in ``body`` (a contraction's operands: an
    opaque ``contract()`` index, since it reads whole views)."""
    out: dict[str, list[Expr]] = {}
    for s in walk(body):
        if isinstance(s, Contraction):
            for view in (s.a, s.b):
                out.setdefault(view.buf, []).append(_WHOLE_VIEW)
        for e in exprs_of(s):
            for sub in sub_exprs(e):
                if isinstance(sub, Load):
                    out.setdefault(sub.buf, []).append(sub.index)
    return out


def stores_of(body: list[Stmt]) -> dict[str, list[Expr]]:
    """Buffer -> index expressions of every ``Store`` in ``body`` (contraction results too)."""
    out: dict[str, list[Expr]] = {}
    for s in walk(body):
        if isinstance(s, Store):
            out.setdefault(s.buf, []).append(s.index)
        elif isinstance(s, Contraction):
            out.setdefault(s.out.buf, []).append(_WHOLE_VIEW)
    return out


def rename_expr(e: Expr, mapping: dict[str, str]) -> Expr:
    """``e`` with buffer names replaced."""
    if isinstance(e, Load):
        return Load(mapping.get(e.buf, e.buf), rename_expr(e.index, mapping), e.dtype)
    if isinstance(e, Scalar):
        return Scalar(e.op, tuple(rename_expr(a, mapping) for a in e.args), e.dtype, e.attrs)
    return e


def rename_buffers(body: list[Stmt], mapping: dict[str, str]) -> list[Stmt]:
    """A copy of ``body`` with buffer names replaced."""
    out: list[Stmt] = []
    for s in body:
        if isinstance(s, (Loop, If, Reduce)):
            s = dataclasses.replace(s, body=rename_buffers(s.body, mapping))
        if isinstance(s, If):
            s = dataclasses.replace(s, cond=rename_expr(s.cond, mapping))
        elif isinstance(s, Reduce):
            s = dataclasses.replace(s, identity=rename_expr(s.identity, mapping))
        elif isinstance(s, Store):
            s = Store(mapping.get(s.buf, s.buf), rename_expr(s.index, mapping),
                      rename_expr(s.value, mapping))
        elif isinstance(s, Contraction):
            s = dataclasses.replace(s, a=_rename_view(s.a, mapping), b=_rename_view(s.b, mapping),
                                    out=_rename_view(s.out, mapping))
        elif isinstance(s, Let):
            s = Let(s.name, rename_expr(s.value, mapping))
        elif isinstance(s, AccUpdate):
            s = AccUpdate(s.name, s.op, rename_expr(s.value, mapping))
        elif isinstance(s, Check):
            s = Check(rename_expr(s.cond, mapping), s.code, rename_expr(s.value, mapping))
        elif isinstance(s, Acc):
            s = Acc(s.name, s.dtype, rename_expr(s.init, mapping))
        out.append(s)
    return out


def _rename_view(view: TensorView, mapping: dict[str, str]) -> TensorView:
    return dataclasses.replace(view, buf=mapping.get(view.buf, view.buf))
