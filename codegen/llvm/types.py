"""The LLVM types every emitter uses, defined once (opaque pointers: one ``ptr`` type)."""

from __future__ import annotations

from llvmlite import ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()
VOID = ir.VoidType()


def i64(value: int) -> ir.Constant:
    """An ``i64`` constant."""
    return ir.Constant(I64, value)
