"""128-bit vector loads and stores for ``grid`` launches (the decision; emit.py emits them).

A ``grid`` launch whose body is straight-line (``Let`` and ``Store`` only) may give each
thread ``vector`` consecutive iterations of its innermost loop: every access whose index is
``inner + (multiple of vector)`` (contiguous, and aligned: buffers start 256-byte aligned) is
one ``load``/``store <vector x T>`` (``ld.global.v4.f32``, ``ld.global.v2.f64``); the other
accesses stay scalar per iteration. ``vector`` is ``16 // itemsize`` of the widest contiguous
access (128 bits for 32- and 64-bit types), at most :data:`MAX_LANES` iterations. Where the
innermost extent is not a multiple of it, the last group of a row runs its iterations one
by one (a loop in the thread).
"""

from __future__ import annotations

from tenkai.codegen.kir.index import IndexAlgebra
from tenkai.codegen.kir.nodes import Expr, Let, Load, Stmt, Store, Var, exprs_of, sub_exprs
from tenkai.ir.dtypes import itemsize

VECTOR_BYTES = 16
MAX_LANES = 4  # iterations per thread: the body is emitted once per lane


def contiguous(index: Expr, loops: list[tuple[str, int]], lanes: int) -> bool:
    """Is ``index`` the innermost loop variable plus a multiple of ``lanes`` (loop variables
    of the outer loops times multiples of it, and a constant multiple of it)?"""
    terms, const = IndexAlgebra().linear(index)
    inner = loops[-1][0]
    outer = {v for v, _ in loops[:-1]}
    if terms.get(Var(inner)) != 1 or const % lanes:
        return False
    for atom, coeff in terms.items():
        if atom == Var(inner) or coeff == 0:
            continue
        if not (isinstance(atom, Var) and atom.name in outer and coeff % lanes == 0):
            return False
    return True


def _accesses(body: list[Stmt]) -> list[tuple[str, Expr, str]]:
    """``(buffer, index, dtype)`` of every load and store of ``body``."""
    out: list[tuple[str, Expr, str]] = []
    for s in body:
        for e in exprs_of(s):
            out += [(x.buf, x.index, x.dtype) for x in sub_exprs(e) if isinstance(x, Load)]
        if isinstance(s, Store):
            out.append((s.buf, s.index, s.value.dtype))
    return out


def vector_width(loops: list[tuple[str, int]], body: list[Stmt]) -> int:
    """Iterations of the innermost loop per thread for a ``grid`` launch (1: no vectors)."""
    if not loops or not all(isinstance(s, (Let, Store)) for s in body):
        return 1
    stored = {s.buf for s in body if isinstance(s, Store)}
    loaded = {buf for buf, _, _ in _accesses([s for s in body if not isinstance(s, Store)])}
    loaded |= {x.buf for s in body if isinstance(s, Store) for e in (s.index, s.value)
               for x in sub_exprs(e) if isinstance(x, Load)}
    if stored & loaded:
        return 1  # an iteration reads what it writes: keep the order of its accesses
    best = 1
    for lanes in (MAX_LANES, 2):  # the widest that vectorizes every store, else any access
        sizes = [itemsize(dt) for _, index, dt in _accesses(body)
                 if contiguous(index, loops, lanes)]
        if not sizes or loops[-1][1] < lanes:
            continue
        width = min(lanes, VECTOR_BYTES // max(sizes))
        if all(contiguous(s.index, loops, lanes) for s in body if isinstance(s, Store)):
            return width if width > 1 else best
        best = max(best, width) if best == 1 else best
    return best
