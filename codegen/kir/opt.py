"""Kernel-IR cleanups run after lowering: loop collapsing.

``collapse_loops`` merges a perfectly nested pair ``for a in 0..A { for b in 0..B { ... } }``
into one loop ``for a in 0..A*B`` when every use of ``a`` and ``b`` is inside int64 linear
index arithmetic with ``coeff(a) == B * coeff(b)`` (so ``coeff(a)*a + coeff(b)*b`` is
``coeff(b) * (a*B + b)``). Contiguous elementwise nests become one long loop, which LLVM
vectorizes without remainder loops per row (and the module gets smaller).
"""

from __future__ import annotations

import dataclasses

from tenkai.codegen.kir.index import IndexAlgebra
from tenkai.codegen.kir.nodes import (
    Expr,
    If,
    Load,
    Loop,
    Reduce,
    Scalar,
    Stmt,
    Var,
    exprs_of,
    walk,
)

_ALGEBRA = IndexAlgebra()


def _linear_form(e: Expr) -> tuple[dict[Expr, int], int] | None:
    """``e`` as a linear form when it is int64 add/sub/mul arithmetic (else None)."""
    if not (isinstance(e, Scalar) and e.dtype == "int64" and e.op in ("add", "sub", "mul")):
        return None
    terms, const = _ALGEBRA.linear(e)
    return None if e in terms else (terms, const)  # a product of two variables is an atom


def _uses_ok(e: Expr, a: str, b: str, extent_b: int) -> bool:
    """Are all uses of vars ``a``/``b`` in ``e`` inside collapsible linear forms?"""
    if isinstance(e, Var):
        return e.name not in (a, b)
    form = _linear_form(e)
    if form is not None:
        terms = form[0]
        ca = sum(c for t, c in terms.items() if isinstance(t, Var) and t.name == a)
        cb = sum(c for t, c in terms.items() if isinstance(t, Var) and t.name == b)
        if ca != extent_b * cb:
            return False
        return all(isinstance(t, Var) or _uses_ok(t, a, b, extent_b) for t in terms)
    if isinstance(e, Load):
        return _uses_ok(e.index, a, b, extent_b)
    if isinstance(e, Scalar):
        return all(_uses_ok(x, a, b, extent_b) for x in e.args)
    return True


def _rewrite(e: Expr, a: str, b: str) -> Expr:
    """Replace ``ca*a + cb*b`` (with ca == B*cb) by ``cb*b``, b now the collapsed variable."""
    form = _linear_form(e)
    if form is not None:
        terms, const = form
        new: dict[Expr, int] = {}
        for t, c in terms.items():
            if isinstance(t, Var) and t.name == a:
                continue
            t2 = t if isinstance(t, Var) else _rewrite(t, a, b)
            new[t2] = new.get(t2, 0) + c
        return _ALGEBRA.build(new, const)
    if isinstance(e, Load):
        return Load(e.buf, _rewrite(e.index, a, b), e.dtype)
    if isinstance(e, Scalar):
        return Scalar(e.op, tuple(_rewrite(x, a, b) for x in e.args), e.dtype, e.attrs)
    if isinstance(e, Var) and e.name == a:
        raise AssertionError("collapse: bare use of the outer variable")
    return e


def _rewrite_stmt(s: Stmt, a: str, b: str) -> Stmt:
    if isinstance(s, Loop):
        return dataclasses.replace(s, body=[_rewrite_stmt(x, a, b) for x in s.body])
    if isinstance(s, If):
        return If(_rewrite(s.cond, a, b), [_rewrite_stmt(x, a, b) for x in s.body])
    if isinstance(s, Reduce):
        return dataclasses.replace(s, identity=_rewrite(s.identity, a, b),
                                   body=[_rewrite_stmt(x, a, b) for x in s.body])
    changes: dict[str, Expr] = {}
    for field in ("index", "value", "init", "cond"):
        if hasattr(s, field):
            changes[field] = _rewrite(getattr(s, field), a, b)
    return dataclasses.replace(s, **changes) if changes else s  # type: ignore[arg-type]


def _try_collapse(outer: Loop) -> Loop | None:
    if len(outer.body) != 1 or not isinstance(outer.body[0], Loop):
        return None
    inner = outer.body[0]
    a, b, extent_b = outer.var, inner.var, inner.extent
    for s in walk(inner.body):
        if isinstance(s, Loop) and s.var in (a, b):
            return None
        if not all(_uses_ok(e, a, b, extent_b) for e in exprs_of(s)):
            return None
    body = [_rewrite_stmt(s, a, b) for s in inner.body]
    # the merged loop is parallel only if both were: (a, b) and (a, b') may depend otherwise
    return Loop(b, outer.extent * extent_b, body, parallel=outer.parallel and inner.parallel)


def collapse_loops(body: list[Stmt]) -> list[Stmt]:
    """``body`` with collapsible loop pairs merged (innermost first), recursively."""
    out: list[Stmt] = []
    for s in body:
        if isinstance(s, Loop):
            s = dataclasses.replace(s, body=collapse_loops(s.body))
            merged = _try_collapse(s)
            while merged is not None:
                s = merged
                merged = _try_collapse(s)
        elif isinstance(s, If):
            s = If(s.cond, collapse_loops(s.body))
        elif isinstance(s, Reduce):
            s = dataclasses.replace(s, body=collapse_loops(s.body))
        out.append(s)
    return out
