"""Scalar templates for the ops of ``ir/ops_math.py``: libm calls, special functions computed
in float64, bitwise and shift ops.

* inverse trigonometric / hyperbolic functions, ``erfc``, ``lgamma``, ``atan2``, ``hypot``
  call the C math library (``asinf``/``asin``; half is computed in float); the runtime
  registers those symbols (``runtime.cpu.jit.LIBM_SYMBOLS``, which must list every
  function called here);
* ``erfinv``: Giles' approximation plus two Newton steps on ``erf`` (templates_math), in double;
* ``digamma``/``trigamma``: reflection, the recurrence up to ``x + SHIFT``, the asymptotic
  series, in double: the same steps as the registry references;
* ``fmod``: ``frem`` on floats, ``srem``/``urem`` on integers (a zero divisor, which the
  reference rejects, is replaced by 1 so the kernel never traps);
* shifts follow PyTorch: by the bit width or more (or a negative amount) gives 0 to the left
  and the sign fill to the right.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from llvmlite import ir

from tenkai.codegen.scalar import mathlib as tm
from tenkai.ir import dtypes
from tenkai.ir.ops_math import (
    DIGAMMA_SERIES,
    GILES_CENTRAL,
    GILES_TAIL,
    SHIFT,
    TRIGAMMA_SERIES,
)

F32, F64 = ir.FloatType(), ir.DoubleType()
UNSIGNED = ("bool", "uint8")

LIBM_UNARY = ("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erfc",
              "lgamma")
LIBM_BINARY = ("atan2", "hypot")


def libm(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    """Call C's ``name`` (double) or ``name + 'f'`` (float); half goes through float."""
    ty = args[0].type
    if isinstance(ty, ir.HalfType):
        out = libm(b, name, [b.fpext(a, F32) for a in args])
        return b.fptrunc(out, ty)
    symbol = name if isinstance(ty, ir.DoubleType) else name + "f"
    fn = b.module.globals.get(symbol)
    if fn is None:
        fn = ir.Function(b.module, ir.FunctionType(ty, [ty] * len(args)), name=symbol)
    return b.call(fn, args)


def _float_only(name: str, build: Callable[..., ir.Value]) -> Callable[..., ir.Value]:
    def template(b: ir.IRBuilder, *xs: ir.Value, dtype: str, **_: Any) -> ir.Value:
        if not dtypes.is_float(dtype):
            raise NotImplementedError(f"llvm_cpu: no template for {name} on {dtype}")
        return build(b, *xs)
    return template


def _in_double(build: Callable[[ir.IRBuilder, ir.Value], ir.Value]):
    def run(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
        xd = x if x.type == F64 else b.fpext(x, F64)
        out = build(b, xd)
        return out if x.type == F64 else b.fptrunc(out, x.type)
    return run


def _c(x: ir.Value, value: float) -> ir.Constant:
    return ir.Constant(x.type, value)


def _poly(b: ir.IRBuilder, coeffs: tuple[float, ...], t: ir.Value) -> ir.Value:
    out = _c(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = b.fadd(b.fmul(out, t), _c(t, c))
    return out


def _erfinv(b: ir.IRBuilder, y: ir.Value) -> ir.Value:
    one = _c(y, 1.0)
    w = b.fneg(tm.log(b, b.fmul(b.fsub(one, y), b.fadd(one, y))))
    central = _poly(b, GILES_CENTRAL, b.fsub(w, _c(y, 2.5)))
    wt = tm.intrinsic(b, "llvm.maxnum", [w, _c(y, 5.0)])
    tail = _poly(b, GILES_TAIL, b.fsub(tm.intrinsic(b, "llvm.sqrt", [wt]), _c(y, 3.0)))
    x = b.fmul(b.select(b.fcmp_ordered("<", w, _c(y, 5.0)), central, tail), y)
    for _ in range(2):
        err = b.fsub(tm.erf(b, x), y)
        slope = b.fmul(_c(y, 2 / math.sqrt(math.pi)), tm.exp(b, b.fneg(b.fmul(x, x))))
        x = b.fsub(x, b.fdiv(err, slope))
    ay = tm.intrinsic(b, "llvm.fabs", [y])
    x = b.select(b.fcmp_ordered("==", ay, one), tm.intrinsic(b, "llvm.copysign",
                                                             [_c(y, math.inf), y]), x)
    return b.select(b.fcmp_unordered(">", ay, one), _c(y, math.nan), x)  # NaN stays NaN


def _gamma_family(kind: str):
    """digamma or trigamma in double: reflection, recurrence, asymptotic series."""
    def build(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
        one = _c(x, 1.0)
        neg = b.fcmp_ordered("<", x, _c(x, 0.0))
        xr = b.select(neg, b.fsub(one, x), x)
        acc = _c(x, 0.0)
        for k in range(SHIFT):
            xk = b.fadd(xr, _c(x, float(k)))
            acc = b.fsub(acc, b.fdiv(one, xk)) if kind == "digamma" else \
                b.fadd(acc, b.fdiv(one, b.fmul(xk, xk)))
        z = b.fadd(xr, _c(x, float(SHIFT)))
        inv = b.fdiv(one, z)
        inv2 = b.fmul(inv, inv)
        series = _c(x, 0.0)
        for c in reversed(DIGAMMA_SERIES if kind == "digamma" else TRIGAMMA_SERIES):
            series = b.fmul(b.fadd(series, _c(x, c)), inv2)
        pix = b.fmul(x, _c(x, math.pi))
        if kind == "digamma":
            out = b.fsub(b.fsub(b.fadd(acc, tm.log(b, z)), b.fmul(_c(x, 0.5), inv)), series)
            reflected = b.fsub(out, b.fdiv(_c(x, math.pi), libm(b, "tan", [pix])))
            pole = _c(x, math.nan)
        else:
            out = b.fadd(b.fadd(b.fadd(acc, inv), b.fmul(_c(x, 0.5), inv2)), b.fmul(series, inv))
            s = b.fdiv(_c(x, math.pi), libm(b, "sin", [pix]))
            reflected = b.fsub(b.fmul(s, s), out)
            pole = _c(x, math.inf)
        out = b.select(neg, reflected, out)
        at_pole = b.and_(b.fcmp_ordered("<=", x, _c(x, 0.0)),
                         b.fcmp_ordered("==", x, tm.intrinsic(b, "llvm.floor", [x])))
        return b.select(at_pole, pole, out)
    return build


def _fmod(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
    if dtypes.is_float(dtype):
        return b.frem(x, y)
    safe = b.select(b.icmp_unsigned("==", y, ir.Constant(y.type, 0)), ir.Constant(y.type, 1), y)
    return b.urem(x, safe) if dtype in UNSIGNED else b.srem(x, safe)


def _bitwise(kind: str):
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
        if dtypes.is_float(dtype):
            raise NotImplementedError(f"llvm_cpu: no template for bitwise_{kind} on {dtype}")
        return {"and": b.and_, "or": b.or_, "xor": b.xor}[kind](x, y)
    return template


def _bitwise_not(b: ir.IRBuilder, x: ir.Value, dtype: str, **_: Any) -> ir.Value:
    return b.not_(x)


def _shift(left: bool):
    def template(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: str, **_: Any) -> ir.Value:
        bits = x.type.width
        ok = b.icmp_unsigned("<", y, ir.Constant(y.type, bits))  # negative is huge unsigned
        safe = b.select(ok, y, ir.Constant(y.type, 0))
        if left:
            return b.select(ok, b.shl(x, safe), ir.Constant(x.type, 0))
        if dtype in UNSIGNED:
            return b.select(ok, b.lshr(x, safe), ir.Constant(x.type, 0))
        return b.select(ok, b.ashr(x, safe), b.ashr(x, ir.Constant(x.type, bits - 1)))
    return template


def _libm_unary(name: str):
    return _float_only(name, lambda b, x: libm(b, name, [x]))


TEMPLATES: dict[str, Callable[..., ir.Value]] = {
    **{name: _libm_unary(name) for name in LIBM_UNARY},
    **{name: _float_only(name, (lambda n: lambda b, x, y: libm(b, n, [x, y]))(name))
       for name in LIBM_BINARY},
    "log2": _float_only("log2", lambda b, x: tm.intrinsic(b, "llvm.log2", [x])),
    "log10": _float_only("log10", lambda b, x: tm.intrinsic(b, "llvm.log10", [x])),
    "copysign": _float_only("copysign",
                            lambda b, x, y: tm.intrinsic(b, "llvm.copysign", [x, y])),
    "erfinv": _float_only("erfinv", _in_double(_erfinv)),
    "digamma": _float_only("digamma", _in_double(_gamma_family("digamma"))),
    "trigamma": _float_only("trigamma", _in_double(_gamma_family("trigamma"))),
    "fmod": _fmod,
    "bitwise_and": _bitwise("and"), "bitwise_or": _bitwise("or"), "bitwise_xor": _bitwise("xor"),
    "bitwise_not": _bitwise_not,
    "bitwise_left_shift": _shift(True), "bitwise_right_shift": _shift(False),
}

