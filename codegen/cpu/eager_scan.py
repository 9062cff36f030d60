"""Eager kernels, continued: inclusive scans (``cumsum``, ``cumprod``, ``cummax``,
``cummin``) along the middle axis of a contiguous ``outer x n x inner`` array, generated like
the other eager kernels of :mod:`.eager` and registered in its ``GENERATORS``.

numpy's ``ufunc.accumulate`` along a middle or last axis costs ~4 ns an element (a (1024, 64)
float32 cumsum: ~230 us, PyTorch's ~70 us); this kernel runs each line's scan as one loop.
"""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.cpu.eager import GENERATORS, EagerKernel, _body, _slot, _spec
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I64
from tenkai.codegen.scalar.types import F64, llvm_type

SCAN_OPS = ("sum", "prod", "max", "min")


def scan(op: str, dtype: str, reverse: bool = False) -> EagerKernel:
    """The inclusive scan ``op`` of float ``dtype`` along the middle axis of a contiguous
    ``outer x n x inner`` array (``reverse``: from the end of each line to its start). Task
    ``t`` scans line ``t`` (``o = t // inner``, ``j = t % inner``). ``sum``/``prod``
    accumulate in float64, each running value rounded to ``dtype`` when stored (PyTorch's CPU
    scans; what numpy's float64 ``accumulate`` then a cast gives, bit for bit); the first
    value of a line is stored as it is. ``max``/``min`` also store the position of the
    running extreme (int64): the latest value ``>=`` (``<=``) it, or the latest NaN (once a
    NaN is seen only a later NaN replaces it), as PyTorch's ``cummax``/``cummin``.
    Context slots: ``[x, out, index (max/min), n, inner]``; ``n >= 1``."""
    if op not in SCAN_OPS or dtype not in ("float32", "float64") or (
            reverse and op in ("max", "min")):
        raise NotImplementedError(f"eager kernels: no {op} scan on {dtype}")
    return EagerKernel("scan", _spec(op=op, dtype=dtype, reverse=bool(reverse)))


def _gen_scan(module: ir.Module, name: str, op: str, dtype: str, reverse: bool) -> None:
    b, ctx, begin, end = _body(module, name)
    ty = llvm_type(dtype)
    wide = ty if op in ("max", "min") else F64
    x, out, index = (_slot(b, ctx, k, pointer=True) for k in range(3))
    n, inner = _slot(b, ctx, 3), _slot(b, ctx, 4)
    acc, pos = b.alloca(wide), b.alloca(I64)  # in the entry: mem2reg

    def cell(base: ir.Value, k: ir.Value) -> ir.Value:
        if reverse:
            k = b.sub(b.sub(n, I64(1)), k)
        return b.add(base, b.mul(k, inner))

    def at(ptr: ir.Value, i: ir.Value, t: ir.Type) -> ir.Value:
        return b.gep(ptr, [i], inbounds=True, source_etype=t)

    def put(e: ir.Value, value: ir.Value) -> None:
        b.store(b.fptrunc(value, ty) if wide is not ty else value, at(out, e, ty))

    with counted_loop(b, begin, end, "t") as t:
        o = b.sdiv(t, inner)
        base = b.add(b.mul(o, b.mul(n, inner)), b.sub(t, b.mul(o, inner)))
        e0 = cell(base, I64(0))
        v0 = b.load(at(x, e0, ty), typ=ty)
        b.store(b.fpext(v0, wide) if wide is not ty else v0, acc)
        b.store(I64(0), pos)
        put(e0, b.load(acc, typ=wide))
        if op in ("max", "min"):
            b.store(I64(0), at(index, e0, I64))
        with counted_loop(b, I64(1), n, "k") as k:
            e = cell(base, k)
            v = b.load(at(x, e, ty), typ=ty)
            best = b.load(acc, typ=wide)
            if op == "sum":
                best = b.fadd(best, b.fpext(v, wide))
            elif op == "prod":
                best = b.fmul(best, b.fpext(v, wide))
            else:
                cmp = ">=" if op == "max" else "<="
                take = b.or_(b.fcmp_unordered("uno", v, v), b.fcmp_ordered(cmp, v, best))
                best = b.select(take, v, best)
                b.store(b.select(take, k, b.load(pos, typ=I64)), pos)
                b.store(b.load(pos, typ=I64), at(index, e, I64))
            b.store(best, acc)
            put(e, best)
    b.ret_void()


GENERATORS["scan"] = _gen_scan
