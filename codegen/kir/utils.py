"""Queries and rewrites over kernel-IR bodies: who loads/stores which buffer, renaming."""

from __future__ import annotations

import dataclasses

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Check,
    Expr,
    Gemm,
    If,
    Let,
    Load,
    Loop,
    Scalar,
    Stmt,
    Store,
    exprs_of,
    sub_exprs,
    walk,
)


def loads_of(body: list[Stmt]) -> dict[str, list[Expr]]:
    """Buffer -> index expressions of every ``Load`` in ``body`` (Gemm operands: offset)."""
    out: dict[str, list[Expr]] = {}
    for s in walk(body):
        if isinstance(s, Gemm):
            for name in (s.a, s.b):
                out.setdefault(name, []).append(Scalar("gemm", (), "int64"))
        for e in exprs_of(s):
            for sub in sub_exprs(e):
                if isinstance(sub, Load):
                    out.setdefault(sub.buf, []).append(sub.index)
    return out


def stores_of(body: list[Stmt]) -> dict[str, list[Expr]]:
    """Buffer -> index expressions of every ``Store`` in ``body`` (Gemm results too)."""
    out: dict[str, list[Expr]] = {}
    for s in walk(body):
        if isinstance(s, Store):
            out.setdefault(s.buf, []).append(s.index)
        elif isinstance(s, Gemm):
            out.setdefault(s.c, []).append(Scalar("gemm", (), "int64"))
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
        if isinstance(s, (Loop, If)):
            s = dataclasses.replace(s, body=rename_buffers(s.body, mapping))
        if isinstance(s, If):
            s = dataclasses.replace(s, cond=rename_expr(s.cond, mapping))
        elif isinstance(s, Store):
            s = Store(mapping.get(s.buf, s.buf), rename_expr(s.index, mapping),
                      rename_expr(s.value, mapping))
        elif isinstance(s, Gemm):
            s = dataclasses.replace(s, a=mapping.get(s.a, s.a), b=mapping.get(s.b, s.b),
                                    c=mapping.get(s.c, s.c))
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
