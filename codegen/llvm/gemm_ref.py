"""A plain loop GEMM with the ``tk_gemm_*`` ABI (docs/compiler.md §4).

``void tk_gemm_<t>(i64 M, i64 N, i64 K, ptr A, i64 rsA, i64 csA, ptr B, i64 rsB, i64 csB,
ptr C, i64 ldc, i32 accumulate)``: ``C[i, j] (+)= sum_p A[i, p] * B[p, j]``, strides in elements.

It is the fallback for dtypes the tuned GEMM (codegen/gemm.py) does not cover (integers) and
for when that module is absent. Loop order i-p-j keeps the inner loop a contiguous row update
when ``csB == 1`` (LLVM versions the loop on the stride and vectorizes it).
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.scalar.types import constant, llvm_type
from tenkai.ir import dtypes

I64, I32, PTR = ir.IntType(64), ir.IntType(32), ir.PointerType()
GEMM_SUFFIX = {"float32": "f32", "float64": "f64", "int64": "i64", "int32": "i32",
               "int16": "i16", "int8": "i8", "uint8": "u8", "float16": "f16"}


def gemm_name(dtype: str) -> str:
    return f"tk_gemm_{GEMM_SUFFIX[dtype]}"


def _for(b: ir.IRBuilder, fn: ir.Function, n: ir.Value, name: str,
         body: Callable[[ir.Value], None]) -> None:
    """``for name in range(n): body(name)`` with a run-time bound (zero trips allowed)."""
    pre = b.block
    loop = fn.append_basic_block(f"{name}.loop")
    done = fn.append_basic_block(f"{name}.exit")
    b.cbranch(b.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    b.position_at_end(loop)
    var = b.phi(I64, name=name)
    var.add_incoming(ir.Constant(I64, 0), pre)
    body(var)
    nxt = b.add(var, ir.Constant(I64, 1), flags=("nuw", "nsw"))
    var.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)


def add_reference_gemm(module: ir.Module, dtype: str) -> ir.Function:
    """Define (once) ``tk_gemm_<dtype>`` in ``module`` as a plain loop nest."""
    name = gemm_name(dtype)
    if name in module.globals:
        return module.globals[name]
    ty = llvm_type(dtype)
    fnty = ir.FunctionType(ir.VoidType(), [I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR,
                                           I64, I32])
    fn = ir.Function(module, fnty, name=name)
    fn.attributes.add("nounwind")
    m, n, k, a, rsa, csa, bm, rsb, csb, c, ldc, acc = fn.args
    for arg, label in zip(fn.args, ("M", "N", "K", "A", "rsA", "csA", "B", "rsB", "csB", "C",
                                    "ldc", "accumulate"), strict=True):
        arg.name = label
    for p in (a, bm, c):
        p.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    is_f = dtypes.is_float(dtype)
    zero = constant(0, dtype)

    def at(base: ir.Value, index: ir.Value) -> ir.Value:
        return b.gep(base, [index], inbounds=True, source_etype=ty)

    def row(i: ir.Value) -> None:
        crow = b.mul(i, ldc)
        keep = b.icmp_signed("!=", acc, ir.Constant(I32, 0))

        def clear(j: ir.Value) -> None:
            slot = at(c, b.add(crow, j))
            old = b.load(slot, typ=ty)
            b.store(b.select(keep, old, zero), slot)
        _for(b, fn, n, "j0", clear)

        def inner(p: ir.Value) -> None:
            av = b.load(at(a, b.add(b.mul(i, rsa), b.mul(p, csa))), typ=ty)
            brow = b.mul(p, rsb)

            def update(j: ir.Value) -> None:
                bv = b.load(at(bm, b.add(brow, b.mul(j, csb))), typ=ty)
                slot = at(c, b.add(crow, j))
                prod = b.fmul(av, bv) if is_f else b.mul(av, bv)
                old = b.load(slot, typ=ty)
                b.store(b.fadd(old, prod) if is_f else b.add(old, prod), slot)
            _for(b, fn, n, "j", update)
        _for(b, fn, k, "p", inner)

    _for(b, fn, m, "i", row)
    b.ret_void()
    return fn
