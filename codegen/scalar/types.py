"""The bottom of codegen/scalar: LLVM register and storage types of IR dtypes, constants,
intrinsic calls and numpy's ``astype`` between register values. Everything else in the folder
imports this module; it imports nothing of the folder.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from llvmlite import ir

from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.types import I32
from tenkai.ir import dtypes

F16, F32, F64 = ir.HalfType(), ir.FloatType(), ir.DoubleType()
FLOAT_TYPES = {"float16": F16, "float32": F32, "float64": F64}
FLOAT_BITS = {"float16": 16, "float32": 32, "float64": 64}
INT_BITS = {"bool": 1, "uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64}
UNSIGNED = ("bool", "uint8")


def llvm_type(dtype: str) -> ir.Type:
    """Register type of an IR dtype (bool is i1)."""
    if dtype in FLOAT_TYPES:
        return FLOAT_TYPES[dtype]
    return ir.IntType(INT_BITS[dtype])


def storage_type(dtype: str) -> ir.Type:
    """In-memory type of an IR dtype (bool is stored as one byte)."""
    return ir.IntType(8) if dtype == "bool" else llvm_type(dtype)


def constant(value: Any, dtype: str) -> ir.Constant:
    """An LLVM constant of ``dtype`` (float values rounded to the dtype first)."""
    if dtypes.is_float(dtype):
        return ir.Constant(llvm_type(dtype), float(np.asarray(value, dtype=dtype)))
    if dtype == "bool":
        return ir.Constant(ir.IntType(1), int(bool(value)))
    return ir.Constant(llvm_type(dtype), int(value))


def const(x: ir.Value, value: float) -> ir.Constant:
    """A float constant of ``x``'s type."""
    return ir.Constant(x.type, value)


def intrinsic(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    """Call ``name.<type>`` (e.g. ``llvm.exp.f32``) declaring it on first use.

    Only for intrinsics every target lowers, or through a math library that checked the
    target's ``native_math`` (:mod:`tenkai.codegen.scalar.library`)."""
    ty = args[0].type
    full = f"{name}.{ty.intrinsic_name}"
    fn = declare_function(b.module, full, ir.FunctionType(ty, [a.type for a in args]))
    return b.call(fn, args)


def truthy(b: ir.IRBuilder, x: ir.Value, dtype: str) -> ir.Value:
    """``bool(x)`` as numpy sees it (NaN is true)."""
    if dtype == "bool":
        return x
    if dtypes.is_float(dtype):
        return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
    return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))


def to_float_round_odd(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """double -> float rounded to odd, so a following float -> half rounding is correct.

    (A direct double -> half ``fptrunc`` becomes a call to compiler-rt's ``__truncdfhf2``,
    which a JIT'd process does not have; float -> half is one F16C instruction.)
    """
    t = b.fptrunc(x, F32)
    back = b.fpext(t, x.type)
    inexact = b.fcmp_ordered("!=", back, x)
    away = b.fcmp_ordered(">", intrinsic(b, "llvm.fabs", [back]), intrinsic(b, "llvm.fabs", [x]))
    bits = b.bitcast(t, I32)
    bits = b.select(b.and_(inexact, away), b.sub(bits, ir.Constant(I32, 1)), bits)
    bits = b.select(inexact, b.or_(bits, ir.Constant(I32, 1)), bits)
    return b.bitcast(bits, F32)


def narrow(b: ir.IRBuilder, x: ir.Value, ty: ir.Type) -> ir.Value:
    """``x`` rounded to the narrower float type ``ty``: double -> half goes through
    :func:`to_float_round_odd` (one correct rounding, and no ``__truncdfhf2`` call that
    neither the CPU runtime nor NVPTX provides)."""
    if x.type == F64 and isinstance(ty, ir.HalfType):
        return b.fptrunc(to_float_round_odd(b, x), ty)
    return b.fptrunc(x, ty)


def convert(b: ir.IRBuilder, x: ir.Value, src: str, dst: str) -> ir.Value:
    """numpy's ``astype`` between register values."""
    if src == dst:
        return x
    to = llvm_type(dst)
    if dst == "bool":
        return truthy(b, x, src)
    fsrc, fdst = dtypes.is_float(src), dtypes.is_float(dst)
    if fsrc and fdst:
        if FLOAT_BITS[dst] > FLOAT_BITS[src]:
            return b.fpext(x, to)
        return narrow(b, x, to)
    if fsrc:  # truncate toward zero; narrow ints wrap like C's (int) conversion
        if INT_BITS[dst] >= 32:
            return b.fptosi(x, to)
        return b.trunc(b.fptosi(x, I32), to)
    if fdst:
        return b.uitofp(x, to) if src in UNSIGNED else b.sitofp(x, to)
    sb, db = INT_BITS[src], INT_BITS[dst]
    if db < sb:
        return b.trunc(x, to)
    if db == sb:
        return x
    return b.zext(x, to) if src in UNSIGNED else b.sext(x, to)


class MathCalls(Protocol):
    """What the math functions of this folder need from a math library: ``call`` resolves a
    named function (``"exp"``, ``"fma"``, ...) for the target (see ``library.MathLibrary``)."""

    target: str

    def call(self, b: ir.IRBuilder, fn: str, args: list[ir.Value],
             prefer: str = "") -> ir.Value: ...
