"""The random ops' scalar templates: Philox4x32-10 counters turned into uniform, normal,
randint and bernoulli values, bit-identical to ir/ops_source.py where the docstring says so.

float32 ``uniform``/``bernoulli``/``randint`` values are bit-identical to the reference (the
float64 arithmetic is the same IEEE sequence); float64 ``uniform`` too. float64 ``normal``
uses the target's ``log``/``cos`` (on the CPU, LLVM's intrinsics, i.e. the platform's libm)
where numpy uses its own SIMD routines, so its values can differ by an ulp (rarely); float32
``normal`` uses tenkai's vectorizable ones (see :func:`box_muller`) and rounds as the
reference does (0 of 4M values differ).
"""

from __future__ import annotations

import math
from typing import Any

from llvmlite import ir

from tenkai.codegen.llvm.types import I32, I64
from tenkai.codegen.scalar import trig
from tenkai.codegen.scalar.types import F64, MathCalls, convert
from tenkai.ir import dtypes

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85


def philox(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value) -> tuple[ir.Value, ir.Value]:
    """The first two uint32 words (as i32) of Philox4x32-10 for (counter, 0, 0) and key seed."""

    def lo(v: ir.Value) -> ir.Value:
        return b.trunc(v, I32)

    def hi(v: ir.Value) -> ir.Value:
        return b.trunc(b.lshr(v, ir.Constant(I64, 32)), I32)

    c0, c1, c2, c3 = lo(counter), hi(counter), ir.Constant(I32, 0), ir.Constant(I32, 0)
    k0, k1 = lo(seed), hi(seed)
    for _ in range(10):
        p0 = b.mul(b.zext(c0, I64), ir.Constant(I64, _M0))
        p1 = b.mul(b.zext(c2, I64), ir.Constant(I64, _M1))
        c0, c1, c2, c3 = (b.xor(b.xor(hi(p1), c1), k0), lo(p1),
                          b.xor(b.xor(hi(p0), c3), k1), lo(p0))
        k0 = b.add(k0, ir.Constant(I32, _W0))
        k1 = b.add(k1, ir.Constant(I32, _W1))
    return c0, c1


def uniform01(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, wide: bool) -> ir.Value:
    """The reference's uniform [0, 1) double: 53 random bits when ``wide``, else 24."""
    x0, x1 = philox(b, seed, counter)
    if wide:
        top = b.mul(b.zext(b.lshr(x0, ir.Constant(I32, 5)), I64), ir.Constant(I64, 1 << 26))
        bits = b.add(top, b.zext(b.lshr(x1, ir.Constant(I32, 6)), I64))
        return b.fmul(b.uitofp(bits, F64), ir.Constant(F64, 2.0 ** -53))
    bits = b.lshr(x0, ir.Constant(I32, 8))
    return b.fmul(b.uitofp(bits, F64), ir.Constant(F64, 2.0 ** -24))


def _from_f64(b: ir.IRBuilder, v: ir.Value, dtype: str) -> ir.Value:
    return convert(b, v, "float64", dtype)


def uniform(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
            low: float = 0.0, high: float = 1.0, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, out_dtype == "float64")
    v = b.fadd(ir.Constant(F64, float(low)), b.fmul(ir.Constant(F64, float(high - low)), u))
    return _from_f64(b, v, out_dtype)


def box_muller(b: ir.IRBuilder, lib: MathCalls, seed: ir.Value, counter: ir.Value,
               out_dtype: str) -> ir.Value:
    """The reference's standard normal double ``sqrt(-2 log u1) cos(2 pi u2)`` of a counter.
    For float64 values, the target's ``log``/``cos`` (on the CPU the platform's scalar libm,
    which rounds as numpy's routines nearly always do: 0.16% of values differ by an ulp);
    for narrower ones, whose rounding hides a few float64 ulps, the library's ``log``
    (tenkai's branch-free one on the CPU) and tenkai's ``cos`` for arguments below 2^30
    (``2 pi u2 < 2 pi``) or libdevice's: a loop over these vectorizes (3-4x faster)."""
    x0, x1 = philox(b, seed, counter)
    scale = ir.Constant(F64, 2.0 ** -32)
    u1 = b.fmul(b.fadd(b.uitofp(x0, F64), ir.Constant(F64, 1.0)), scale)
    u2 = b.fmul(b.uitofp(x1, F64), scale)
    prefer = "native" if out_dtype == "float64" else ""
    r = lib.call(b, "sqrt", [b.fmul(ir.Constant(F64, -2.0),
                                    lib.call(b, "log", [u1], prefer=prefer))])
    angle = b.fmul(ir.Constant(F64, 2.0 * math.pi), u2)
    if prefer or getattr(lib, "libdevice", False):
        return b.fmul(r, lib.call(b, "cos", [angle], prefer=prefer))
    return b.fmul(r, trig.cos_bounded(b, angle))


def normal(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
           lib: MathCalls, mean: float = 0.0, std: float = 1.0, **_: Any) -> ir.Value:
    z = box_muller(b, lib, seed, counter, out_dtype)
    v = b.fadd(ir.Constant(F64, float(mean)), b.fmul(ir.Constant(F64, float(std)), z))
    return _from_f64(b, v, out_dtype)


def randint(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
            lib: MathCalls, low: int = 0, high: int = 1, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, True)
    span = b.fmul(u, ir.Constant(F64, float(high - low)))
    v = b.fadd(ir.Constant(F64, float(low)), lib.call(b, "floor", [span]))
    return _from_f64(b, v, out_dtype)


def bernoulli(b: ir.IRBuilder, p: ir.Value, seed: ir.Value, counter: ir.Value, dtype: str,
              out_dtype: str, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, dtype == "float64")
    pd = p if p.type == F64 else b.fpext(p, F64)
    hit = b.fcmp_ordered("<", u, pd)
    return b.uitofp(hit, p.type) if dtypes.is_float(out_dtype) else b.zext(hit, p.type)
