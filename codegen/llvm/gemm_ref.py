"""The ``tk_gemm_*`` ABI (names, dtypes, signature) and a plain loop GEMM that implements it
(docs/compiler.md §4).

``void tk_gemm_<t>(i64 M, i64 N, i64 K, ptr A, i64 rsA, i64 csA, ptr B, i64 rsB, i64 csB,
ptr C, i64 ldc, i32 accumulate)``: ``C[i, j] (+)= sum_p A[i, p] * B[p, j]``, strides in elements.

:data:`GEMM_SUFFIX` is the one table of GEMM dtypes (tenkai dtype -> ``<t>``). The loop nest
here is the fallback for dtypes a target has no tuned GEMM for (the CPU target's packed GEMM,
:mod:`tenkai.codegen.cpu.gemm`, covers f32/f64) and for when that module is absent. Loop order
i-p-j keeps the inner loop a contiguous row update when ``csB == 1`` (LLVM versions the loop
on the stride and vectorizes it).
"""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I32, I64, PTR, VOID
from tenkai.codegen.scalar.types import constant, llvm_type
from tenkai.ir import dtypes

GEMM_SUFFIX = {"float32": "f32", "float64": "f64", "int64": "i64", "int32": "i32",
               "int16": "i16", "int8": "i8", "uint8": "u8", "float16": "f16"}
GEMM_DTYPE = {suffix: dtype for dtype, suffix in GEMM_SUFFIX.items()}  # "f32" -> "float32"
GEMM_PARAMS: tuple[tuple[str, ir.Type], ...] = (
    ("M", I64), ("N", I64), ("K", I64), ("A", PTR), ("rsA", I64), ("csA", I64), ("B", PTR),
    ("rsB", I64), ("csB", I64), ("C", PTR), ("ldc", I64), ("accumulate", I32))
GEMM_TYPE = ir.FunctionType(VOID, [ty for _, ty in GEMM_PARAMS])


def gemm_name(dtype: str) -> str:
    """``tk_gemm_<t>`` for a tenkai dtype (``float32`` -> ``tk_gemm_f32``)."""
    return f"tk_gemm_{GEMM_SUFFIX[dtype]}"


def add_reference_gemm(module: ir.Module, dtype: str, inline: bool = False) -> ir.Function:
    """Define (once) ``tk_gemm_<dtype>`` in ``module`` as a plain loop nest; ``inline``: as
    ``tk_gemm_<dtype>_inline``, internal and always inlined (each call site's constant sizes
    and strides then unroll it: a small GEMM without the tuned one's call and packing)."""
    name = gemm_name(dtype) + ("_inline" if inline else "")
    if name in module.globals:
        return module.globals[name]
    ty = llvm_type(dtype)
    fn = ir.Function(module, GEMM_TYPE, name=name)
    fn.attributes.add("nounwind")
    if inline:
        fn.linkage = "internal"
        fn.attributes.add("alwaysinline")
    m, n, k, a, rsa, csa, bm, rsb, csb, c, ldc, acc = fn.args
    for arg, (label, _) in zip(fn.args, GEMM_PARAMS, strict=True):
        arg.name = label
    for p in (a, bm, c):
        p.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    is_f = dtypes.is_float(dtype)
    zero = constant(0, dtype)

    def at(base: ir.Value, index: ir.Value) -> ir.Value:
        return b.gep(base, [index], inbounds=True, source_etype=ty)

    with counted_loop(b, I64(0), m, "i", rotated=True) as i:
        crow = b.mul(i, ldc)
        keep = b.icmp_signed("!=", acc, ir.Constant(I32, 0))
        with counted_loop(b, I64(0), n, "j0", rotated=True) as j:
            slot = at(c, b.add(crow, j))
            old = b.load(slot, typ=ty)
            b.store(b.select(keep, old, zero), slot)
        with counted_loop(b, I64(0), k, "p", rotated=True) as p:
            av = b.load(at(a, b.add(b.mul(i, rsa), b.mul(p, csa))), typ=ty)
            brow = b.mul(p, rsb)
            with counted_loop(b, I64(0), n, "j", rotated=True) as j:
                bv = b.load(at(bm, b.add(brow, b.mul(j, csb))), typ=ty)
                slot = at(c, b.add(crow, j))
                prod = b.fmul(av, bv) if is_f else b.mul(av, bv)
                old = b.load(slot, typ=ty)
                b.store(b.fadd(old, prod) if is_f else b.add(old, prod), slot)
    b.ret_void()
    return fn
