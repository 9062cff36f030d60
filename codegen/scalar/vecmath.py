"""Vectorizable ``exp`` and ``log`` for float32/float64, written with plain IR (no libm call).

``llvm.exp``/``llvm.log`` become scalar calls to libm's ``expf``/``logf``, which stop the loop
vectorizer; these branch-free versions vectorize (AVX-512: 16 floats per instruction).

* ``exp(x)``: ``k = roundeven(x / ln2)``, ``r = x - k*ln2`` (two-constant Cody-Waite with
  FMAs), ``exp(r) = 1 + (r + r^2 P(r))`` with a Taylor ``P`` on ``|r| <= ln2/2`` (degree 7 / 13),
  then scaling by ``2^k`` in two halves so results near overflow and in the subnormal range are
  exact. Input is clamped first, so overflow gives inf and underflow 0; NaN passes through.
  ``expm1`` shares the reduction: ``2^k t + (2^k - 1)`` with ``t = expm1(r)``.
* ``log(x)``: ``x = m * 2^e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (subnormals rescaled),
  ``f = m - 1`` (exact), ``log(1+f) = f - (f^2/2 - s (f^2/2 + R(s^2)))`` with ``s = f/(2+f)``
  and ``R`` the atanh series (the classic fdlibm arrangement; series coefficients are plain
  ``2/(2k+1)``), ``e*ln2`` added in two parts. ``log(0) = -inf``, ``log(<0) = NaN``.

Accuracy is checked against numpy over wide ranges in the tests (a few ulp at most).
"""

from __future__ import annotations

import math
import struct

from llvmlite import ir

from tenkai.codegen.scalar.types import intrinsic

_F = {"float": (ir.IntType(32), 23, 127), "double": (ir.IntType(64), 52, 1023)}
LN2_HI = {"float": 0.693145751953125, "double": 0.6931471803691238}
LN2_LO = {"float": 1.428606765330187e-06, "double": 1.9082149292705877e-10}
EXP_CLAMP = {"float": (-104.0, 89.0), "double": (-746.0, 710.0)}
EXP_DEGREE = {"float": 7, "double": 13}
LOG_TERMS = {"float": 5, "double": 12}


def _key(x: ir.Value) -> str:
    return "double" if isinstance(x.type, ir.DoubleType) else "float"


def _c(x: ir.Value, v: float) -> ir.Constant:
    """A constant of x's type (rounded to float first: LLVM wants exact float literals)."""
    if isinstance(x.type, ir.FloatType):
        v = struct.unpack("f", struct.pack("f", v))[0] if math.isfinite(v) else v
    return ir.Constant(x.type, v)


def _fma(b: ir.IRBuilder, a: ir.Value, m: ir.Value, c: ir.Value) -> ir.Value:
    return intrinsic(b, "llvm.fma", [a, m, c])


def _pow2(b: ir.IRBuilder, k: ir.Value, like: ir.Value) -> ir.Value:
    """``2.0**k`` for an integer ``k`` in the normal exponent range, built from bits."""
    ity, mant, bias = _F[_key(like)]
    bits = b.shl(b.add(k, ir.Constant(ity, bias)), ir.Constant(ity, mant))
    return b.bitcast(bits, like.type)


def _reduce_exp(b: ir.IRBuilder, x: ir.Value,
                tail: ir.Value | None = None) -> tuple[ir.Value, ir.Value]:
    """``(k, t)`` with ``exp(x + tail) = 2^k * (1 + t)``: ``k`` an integer, ``t = expm1(r)``,
    ``|r| <= ln2/2`` (x clamped to where exp is finite and nonzero; ``tail`` tiny)."""
    key = _key(x)
    ity = _F[key][0]
    lo, hi = EXP_CLAMP[key]
    xc = b.select(b.fcmp_ordered("<", x, _c(x, lo)), _c(x, lo), x)
    xc = b.select(b.fcmp_ordered(">", xc, _c(x, hi)), _c(x, hi), xc)
    k = intrinsic(b, "llvm.roundeven", [b.fmul(xc, _c(x, 1 / math.log(2)))])
    r = _fma(b, b.fneg(k), _c(x, LN2_HI[key]), xc)
    r = _fma(b, b.fneg(k), _c(x, LN2_LO[key]), r)
    if tail is not None:
        r = b.fadd(r, tail)
    degree = EXP_DEGREE[key]
    p = _c(x, 1 / math.factorial(degree))  # P(r) = 1/2! + r/3! + ...: t = r + r^2 P(r)
    for n in range(degree - 1, 1, -1):
        p = _fma(b, p, r, _c(x, 1 / math.factorial(n)))
    t = _fma(b, b.fmul(r, r), p, r)
    return b.fptosi(k, ity), t


def _scale(b: ir.IRBuilder, v: ir.Value, k: ir.Value) -> ir.Value:
    """``v * 2^k`` in two steps, exact unless the result itself over/underflows."""
    ity = _F[_key(v)][0]
    k1 = b.ashr(k, ir.Constant(ity, 1))
    return b.fmul(b.fmul(v, _pow2(b, k1, v)), _pow2(b, b.sub(k, k1), v))


def _nan_through(b: ir.IRBuilder, x: ir.Value, out: ir.Value) -> ir.Value:
    return b.select(b.fcmp_unordered("uno", x, x), x, out)


def vexp(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``exp(x)`` for float/double, branch-free (see the module docstring)."""
    k, t = _reduce_exp(b, x)
    return _nan_through(b, x, _scale(b, b.fadd(t, _c(x, 1.0)), k))


def exp_with_tail(b: ir.IRBuilder, x: ir.Value, tail: ir.Value) -> ir.Value:
    """``exp(x + tail)`` for a double-double argument (``|tail| <= ulp(x)``; for pow)."""
    k, t = _reduce_exp(b, x, tail)
    return _nan_through(b, x, _scale(b, b.fadd(t, _c(x, 1.0)), k))


def vexpm1(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``expm1(x) = 2^k (1 + t) - 1 = 2^k t + (2^k - 1)``: exact cancellation near 0."""
    key = _key(x)
    ity, _, bias = _F[key]
    k, t = _reduce_exp(b, x)
    small = b.icmp_signed("<", k, ir.Constant(ity, bias))  # 2^k is a normal number
    ks = b.select(small, k, ir.Constant(ity, 0))
    pk = _pow2(b, ks, x)
    near = _fma(b, pk, t, b.fsub(pk, _c(x, 1.0)))
    far = b.fsub(_scale(b, b.fadd(t, _c(x, 1.0)), k), _c(x, 1.0))
    below = b.icmp_signed(">", k, ir.Constant(ity, -bias + 1))  # 2^k normal from below too
    out = b.select(b.and_(small, below), near, far)
    return _nan_through(b, x, out)


def log_reduce(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(e, f)`` with ``x = 2^e (1 + f)``, ``e`` an integer (as an LLVM integer), ``1 + f`` in
    ``[sqrt(1/2), sqrt(2))`` and ``f`` exact, for finite ``x > 0`` (subnormals rescaled)."""
    key = _key(x)
    ity, mant, bias = _F[key]
    tiny = b.fcmp_ordered("<", x, _c(x, 2.0 ** (1 - bias)))  # subnormal: scale up first
    xs = b.select(tiny, b.fmul(x, _c(x, 2.0 ** mant)), x)
    bits = b.bitcast(xs, ity)
    e = b.sub(b.lshr(bits, ir.Constant(ity, mant)), ir.Constant(ity, bias))
    e = b.sub(e, b.select(tiny, ir.Constant(ity, mant), ir.Constant(ity, 0)))
    m_bits = b.or_(b.and_(bits, ir.Constant(ity, (1 << mant) - 1)),
                   ir.Constant(ity, bias << mant))
    m = b.bitcast(m_bits, x.type)  # [1, 2)
    big = b.fcmp_ordered(">", m, _c(x, math.sqrt(2.0)))
    m = b.select(big, b.fmul(m, _c(x, 0.5)), m)
    e = b.add(e, b.zext(big, ity))
    return e, b.fsub(m, _c(x, 1.0))


def log_parts(b: ir.IRBuilder, x: ir.Value,
              lo_scale: float) -> tuple[ir.Value, ir.Value, ir.Value]:
    """``(e, f, tail)`` with ``log(x) = e*ln2 + f - tail`` for finite ``x > 0`` (``e`` as a
    float): ``tail = hfsq - s*(hfsq + R(s^2)) - e*lo_scale``; ``lo_scale = LN2_LO`` folds the
    low part of ``e*ln2`` in (see the module docstring), ``0`` leaves ``f - tail = log(1+f)``."""
    key = _key(x)
    e, f = log_reduce(b, x)
    # log(1+f) = f - (hfsq - s*(hfsq + R(z))), s = f/(2+f), z = s^2 (f = m - 1 is exact)
    hfsq = b.fmul(b.fmul(f, f), _c(x, 0.5))
    s = b.fdiv(f, b.fadd(f, _c(x, 2.0)))
    z = b.fmul(s, s)
    r = _c(x, 2.0 / (2 * LOG_TERMS[key] + 1))
    for k in range(LOG_TERMS[key] - 1, 0, -1):
        r = _fma(b, r, z, _c(x, 2.0 / (2 * k + 1)))
    r = b.fmul(r, z)
    ef = b.sitofp(e, x.type)
    inner = _fma(b, s, b.fadd(hfsq, r), b.fmul(ef, _c(x, lo_scale)))
    return ef, f, b.fsub(hfsq, inner)


def vlog_parts(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(e, log(1+f))`` with ``log(x) = e*ln2 + log(1+f)`` (for log2/log10)."""
    ef, f, tail = log_parts(b, x, 0.0)
    return ef, b.fsub(f, tail)


def log_special(b: ir.IRBuilder, x: ir.Value, out: ir.Value) -> ir.Value:
    """``out`` where ``x`` is finite and positive; log's value at +inf, 0, < 0 and NaN."""
    out = b.select(b.fcmp_ordered("==", x, _c(x, math.inf)), x, out)
    out = b.select(b.fcmp_ordered("==", x, _c(x, 0.0)), _c(x, -math.inf), out)
    return b.select(b.fcmp_unordered("<", x, _c(x, 0.0)), _c(x, math.nan), out)


def vlog(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``log(x)`` for float/double, branch-free (see the module docstring)."""
    key = _key(x)
    ef, f, tail = log_parts(b, x, LN2_LO[key])
    out = _fma(b, ef, _c(x, LN2_HI[key]), b.fsub(f, tail))
    return log_special(b, x, out)
