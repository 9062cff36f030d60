"""tenkai's own trigonometric functions in LLVM IR, for targets without them (NVPTX).

All in double (float callers extend, compute, round: the library does that), branch-free:

* ``sin``/``cos``/``tan``: ``k = roundeven(x * 2/pi)``, ``r = x - k*pi/2`` with pi/2 in three
  doubles and FMAs (Cody-Waite), then Taylor polynomials on ``|r| <= pi/4`` (through ``r^17``
  and ``r^18``: truncation below 1e-19) picked and signed by the quadrant ``k mod 4``. The
  reduction is accurate (a few ulp) for ``|x| < 2^30``; beyond that the result is a value in
  [-1, 1] of reduced accuracy (no Payne-Hanek reduction yet), and NaN for inf and NaN.
* ``sinpi(x) = sin(pi*x)`` with an exact reduction ``x - 2*roundeven(x/2)`` (for lgamma).
* ``atan``: ``|x| > 1`` uses ``pi/2 - atan(1/|x|)``; then ``t`` in [0, 1] is split at the
  nearest ``c = j/8``: ``atan(t) = atan(c) + atan((t-c)/(1+t*c))`` with ``atan(c)`` in two
  doubles and a Taylor series on ``|u| <= 1/16`` (through ``u^15``).
* ``asin(x) = atan(x / sqrt((1-x)(1+x)))``, ``acos(x) = 2 atan(sqrt((1-x)/(1+x)))``,
  ``atan2`` from ``atan(|y|/|x|)`` with C99's zero/inf cases and quadrant fix-up.
"""

from __future__ import annotations

import math

from llvmlite import ir

from tenkai.codegen.scalar.types import const, intrinsic

PIO2 = (1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33)
PI = (3.141592653589793, 1.2246467991473532e-16)
ATAN_J8 = ((0.0, 0.0), (0.12435499454676144, -3.1253241424539383e-18),
           (0.24497866312686414, 1.0698755618734451e-17),
           (0.35877067027057225, -2.4623815582638635e-17),
           (0.4636476090008061, 2.2698777452961687e-17),
           (0.5585993153435624, -5.4556305485916264e-18),
           (0.6435011087932844, 1.5834785051444286e-17),
           (0.7188299996216245, -2.1478388444456983e-17),
           (0.7853981633974483, 3.061616997868383e-17))  # atan(j/8) = hi + lo, j = 0..8
SIN_TAYLOR = tuple((-1) ** n / math.factorial(2 * n + 1) for n in range(1, 9))  # r^3 .. r^17
COS_TAYLOR = tuple((-1) ** n / math.factorial(2 * n) for n in range(2, 10))  # r^4 .. r^18
ATAN_TAYLOR = tuple((-1) ** n / (2 * n + 1) for n in range(1, 8))  # u^3 .. u^15


def _fma(b: ir.IRBuilder, x: ir.Value, y: ir.Value, z: ir.Value) -> ir.Value:
    return intrinsic(b, "llvm.fma", [x, y, z])


def poly(b: ir.IRBuilder, coeffs: tuple[float, ...], z: ir.Value) -> ir.Value:
    """``coeffs[0] + coeffs[1] z + ...`` by Horner's rule with FMAs."""
    out = const(z, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = _fma(b, out, z, const(z, c))
    return out


def _kernels(b: ir.IRBuilder, r: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(sin r, cos r)`` for ``|r| <= pi/4``."""
    z = b.fmul(r, r)
    s = _fma(b, b.fmul(r, z), poly(b, SIN_TAYLOR, z), r)
    hz = b.fmul(z, const(z, 0.5))
    w = b.fsub(const(z, 1.0), hz)  # cos r = w + ((1 - w) - hz + z^2 C(z)), 1 - w exact
    corr = _fma(b, b.fmul(z, z), poly(b, COS_TAYLOR, z), b.fsub(b.fsub(const(z, 1.0), w), hz))
    return s, b.fadd(w, corr)


def _quadrant(b: ir.IRBuilder, k: ir.Value) -> ir.Value:
    """``k mod 4`` as a double in {0, 1, 2, 3} (0 for |k| >= 2^53, where k is a multiple of 4)."""
    return b.fsub(k, b.fmul(intrinsic(b, "llvm.floor", [b.fmul(k, const(k, 0.25))]),
                            const(k, 4.0)))


def _reduce(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    k = intrinsic(b, "llvm.roundeven", [b.fmul(x, const(x, 2 / math.pi))])
    r = x
    for part in PIO2:
        r = _fma(b, b.fneg(k), const(x, part), r)
    return _quadrant(b, k), r


def _is(b: ir.IRBuilder, q: ir.Value, *values: float) -> ir.Value:
    hits = [b.fcmp_ordered("==", q, const(q, v)) for v in values]
    out = hits[0]
    for h in hits[1:]:
        out = b.or_(out, h)
    return out


def _pick(b: ir.IRBuilder, x: ir.Value, q: ir.Value, s: ir.Value, c: ir.Value,
          cosine: bool) -> ir.Value:
    swap = _is(b, q, 1.0, 3.0)
    base = b.select(swap, s, c) if cosine else b.select(swap, c, s)
    negate = _is(b, q, 1.0, 2.0) if cosine else _is(b, q, 2.0, 3.0)
    out = b.select(negate, b.fneg(base), base)
    return out if cosine else b.select(b.fcmp_ordered("==", x, const(x, 0.0)), x, out)  # -0


def sin(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    q, r = _reduce(b, x)
    s, c = _kernels(b, r)
    return _pick(b, x, q, s, c, cosine=False)


def cos(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    q, r = _reduce(b, x)
    s, c = _kernels(b, r)
    return _pick(b, x, q, s, c, cosine=True)


def tan(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    q, r = _reduce(b, x)
    s, c = _kernels(b, r)
    odd = _is(b, q, 1.0, 3.0)
    out = b.select(odd, b.fneg(b.fdiv(c, s)), b.fdiv(s, c))
    return b.select(b.fcmp_ordered("==", x, const(x, 0.0)), x, out)


def sinpi(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``sin(pi*x)``, exact argument reduction (0 at integers, NaN at inf)."""
    y = b.fsub(x, b.fmul(intrinsic(b, "llvm.roundeven", [b.fmul(x, const(x, 0.5))]),
                         const(x, 2.0)))  # exact, in [-1, 1]
    k = intrinsic(b, "llvm.roundeven", [b.fmul(y, const(y, 2.0))])  # -2 .. 2
    r = b.fsub(y, b.fmul(k, const(y, 0.5)))  # exact, |r| <= 1/4
    rp = _fma(b, r, const(r, PI[0]), b.fmul(r, const(r, PI[1])))
    s, c = _kernels(b, rp)
    q = b.fsub(k, b.fmul(intrinsic(b, "llvm.floor", [b.fmul(k, const(k, 0.25))]),
                         const(k, 4.0)))
    out = _pick(b, x, q, s, c, cosine=False)
    return b.select(b.fcmp_ordered("==", r, const(r, 0.0)), b.fmul(r, x), out)


def _table(b: ir.IRBuilder, j: ir.Value, column: int) -> ir.Value:
    out = const(j, ATAN_J8[0][column])
    for n in range(1, len(ATAN_J8)):
        hit = b.fcmp_ordered("==", j, const(j, float(n)))
        out = b.select(hit, const(j, ATAN_J8[n][column]), out)
    return out


def atan(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = intrinsic(b, "llvm.fabs", [x])
    inv = b.fcmp_ordered(">", a, const(x, 1.0))
    t = b.select(inv, b.fdiv(const(x, 1.0), a), a)
    j = intrinsic(b, "llvm.roundeven", [b.fmul(t, const(t, 8.0))])
    c = b.fmul(j, const(j, 0.125))
    u = b.fdiv(b.fsub(t, c), _fma(b, t, c, const(t, 1.0)))
    w = b.fmul(u, u)
    tail = _fma(b, b.fmul(u, w), poly(b, ATAN_TAYLOR, w), u)  # atan(u)
    hi, lo = _table(b, j, 0), _table(b, j, 1)
    direct = b.fadd(hi, b.fadd(lo, tail))
    flipped = b.fadd(b.fsub(const(x, PIO2[0]), hi),
                     b.fsub(b.fsub(const(x, PIO2[1]), lo), tail))
    out = b.select(inv, flipped, direct)
    return intrinsic(b, "llvm.copysign", [out, x])


def asin(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    one = const(x, 1.0)
    root = intrinsic(b, "llvm.sqrt", [b.fmul(b.fsub(one, x), b.fadd(one, x))])
    return atan(b, b.fdiv(x, root))


def acos(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    one = const(x, 1.0)
    ratio = b.fdiv(b.fsub(one, x), b.fadd(one, x))
    return b.fmul(atan(b, intrinsic(b, "llvm.sqrt", [ratio])), const(x, 2.0))


def atan2(b: ir.IRBuilder, y: ir.Value, x: ir.Value) -> ir.Value:
    ay, ax = intrinsic(b, "llvm.fabs", [y]), intrinsic(b, "llvm.fabs", [x])
    base = atan(b, b.fdiv(ay, ax))
    inf = const(x, math.inf)
    both_inf = b.and_(b.fcmp_ordered("==", ay, inf), b.fcmp_ordered("==", ax, inf))
    base = b.select(both_inf, const(x, math.pi / 4), base)
    both_zero = b.and_(b.fcmp_ordered("==", ay, const(x, 0.0)),
                       b.fcmp_ordered("==", ax, const(x, 0.0)))
    base = b.select(both_zero, const(x, 0.0), base)
    x_neg = b.icmp_signed("<", b.bitcast(x, ir.IntType(64)), ir.Constant(ir.IntType(64), 0))
    flipped = b.fadd(b.fsub(const(x, PI[0]), base), const(x, PI[1]))
    out = intrinsic(b, "llvm.copysign", [b.select(x_neg, flipped, base), y])
    nan = b.or_(b.fcmp_unordered("uno", x, x), b.fcmp_unordered("uno", y, y))
    return b.select(nan, const(x, math.nan), out)
