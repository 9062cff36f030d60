"""Fused epilogues of the GPU GEMM: the elementwise nest after a contraction, run in its stores.

A fused group such as ``relu(x @ w + b)`` lowers to a kernel whose ``Contraction`` writes the
product and whose next statement, a parallel nest over the product's elements, computes the
rest (kernel IR, as on the CPU). The GPU mapping makes them two launches: the GEMM, then a
``grid`` launch that reads the product back from global memory. :func:`fuse_epilogues` gives
that nest to the GEMM launch instead (:attr:`GemmLaunch.epilogue`): the thread that stores
element ``(row, col)`` of the product runs the nest's body for that element right after the
store (:meth:`GemmEmitter.epilogue`), its loads of the product replaced by the value just
computed, so the step has one launch fewer and the product makes no round trip through global
memory (it is not stored at all when nothing else reads it, or when the epilogue itself stores
the element's final value there, as an in-place activation does); each value is computed by
the same statements as before.

The nest is fused only where that cannot change a result:

* it is a ``grid`` launch (not atomic, no ``Check``) directly after the GEMM, over exactly the
  product's ``M x N`` elements (its loops, extent-1 loops aside, are ``(row, M), (col, N)``,
  or one loop over the ``M*N`` elements of a row-major product);
* the contraction has no batch dims spread over blocks;
* every access of the product in the body is at the element itself: an affine index equal to
  ``offset + row*row_stride + col*col_stride`` (its thread wrote it just before; it reads its
  own store), and the body writes neither operand of the GEMM (other blocks still read them);
* its body is small (:data:`MAX_STATEMENTS`; it is emitted once per accumulator of a thread).
"""

from __future__ import annotations

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Check,
    Const,
    Expr,
    Load,
    Reduce,
    Scalar,
    Store,
    Var,
    exprs_of,
    sub_exprs,
    walk,
)
from tenkai.codegen.nvptx.gemm import GemmLaunch, split_batch
from tenkai.codegen.nvptx.mapping import Launch

MAX_STATEMENTS = 16


def fuse_epilogues(launches: list[Launch], needed: set[str] = frozenset()) -> list[Launch]:
    """``launches`` (one kernel's, in order) with every fusable nest moved into the GEMM
    before it (module docstring); the launches keep their order, renamed ``<kernel>__<k>``
    (``<kernel>`` alone when one is left). ``needed``: buffers read after this kernel (or
    not the kernel's own scratch); a product in none of them that no other launch of the
    kernel reads is not stored at all (``store_product``)."""
    out: list[Launch] = []
    k = 0
    while k < len(launches):
        la = launches[k]
        nxt = launches[k + 1] if k + 1 < len(launches) else None
        if isinstance(la, GemmLaunch) and nxt is not None and not la.epilogue:
            coords = epilogue_coords(la, nxt)
            if coords is not None:
                la.epilogue, la.epilogue_vars = list(nxt.body), coords
                la.params = la.params + [p for p in nxt.params if p not in la.params]
                la.scratch = {**la.scratch, **nxt.scratch}
                k += 1
        out.append(la)
        k += 1
    for la in out:
        if isinstance(la, GemmLaunch) and la.epilogue and not la.stmt.accumulate:
            buf = la.stmt.out.buf
            rewritten = any(isinstance(x, Store) and x.buf == buf for x in la.epilogue)
            la.store_product = not rewritten and (
                buf in needed or any(buf in other.params for other in out if other is not la))
    if len(out) != len(launches):
        for j, la in enumerate(out):
            la.name = la.kernel if len(out) == 1 else f"{la.kernel}__{j}"
    return out


def epilogue_coords(gemm: GemmLaunch, nest: Launch) -> dict[str, str] | None:
    """``{loop var: "row" | "col" | "zero"}`` when ``nest`` can run in ``gemm``'s stores
    (module docstring), else None."""
    s = gemm.stmt
    if nest.mapping != "grid" or nest.atomic or split_batch(s)[0]:
        return None
    body = list(walk(nest.body))
    if len(body) > MAX_STATEMENTS or any(isinstance(x, (Check, Reduce, Acc, AccUpdate))
                                         for x in body):
        return None
    coords = {v: "zero" for v, e in nest.loops if e == 1}
    dims = [(v, e) for v, e in nest.loops if e != 1]
    want = [("row", s.m)] * (s.m != 1) + [("col", s.n)] * (s.n != 1)
    *_, rs, cs = s.out.strides
    if len(want) == 2 and len(dims) == 1 and dims[0][1] == s.m * s.n and rs == cs * s.n:
        want = [("flat", s.m * s.n)]  # one loop over the row-major elements
    if [e for _, e in dims] != [e for _, e in want]:
        return None
    coords.update({v: role for (v, _), (role, _) in zip(dims, want, strict=True)})
    element = {"row": rs, "col": cs, "flat": cs}
    reads = 0
    for x in body:
        if isinstance(x, Store) and x.buf in (s.a.buf, s.b.buf):
            return None
        accesses = [x] if isinstance(x, Store) and x.buf == s.out.buf else []
        for e in exprs_of(x):
            accesses += [y for y in sub_exprs(e) if isinstance(y, Load) and y.buf == s.out.buf]
        for acc in accesses:
            terms = affine(acc.index, set(coords))
            if terms is None or terms.get(None, 0) != s.out.offset or any(
                    terms.get(v, 0) != element[r] for v, r in coords.items() if r != "zero"):
                return None
            reads += isinstance(acc, Load)
    return coords if reads else None


def affine(e: Expr, names: set[str]) -> dict[str | None, int] | None:
    """``e`` as ``{var: coefficient, None: constant}`` when it is an integer affine function of
    the variables ``names`` (``add``/``sub``, ``mul`` by a constant), else None."""
    if isinstance(e, Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return {None: int(e.value)}
    if isinstance(e, Var):
        return {e.name: 1} if e.name in names else None
    if not isinstance(e, Scalar) or e.op not in ("add", "sub", "mul") or len(e.args) != 2:
        return None
    a, b = (affine(x, names) for x in e.args)
    if a is None or b is None:
        return None
    if e.op == "mul":
        if set(a) <= {None}:
            a, b = b, a
        if not set(b) <= {None}:
            return None  # a product of two variables
        k = b.get(None, 0)
        return {v: c * k for v, c in a.items()}
    sign = -1 if e.op == "sub" else 1
    out = dict(a)
    for v, c in b.items():
        out[v] = out.get(v, 0) + sign * c
    return out


__all__ = ["MAX_STATEMENTS", "affine", "epilogue_coords", "fuse_epilogues"]
