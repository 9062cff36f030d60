"""tenkai's own trigonometric functions in LLVM IR, for targets without them (NVPTX).

All in double (float callers extend, compute, round: the library does that), branch-free:

* ``sin``/``cos``/``tan``: ``k = roundeven(x * 2/pi)``, ``r = x - k*pi/2`` with pi/2 in three
  doubles and FMAs (Cody-Waite) for ``|x| < 2^30``; above, an exact Payne-Hanek reduction:
  ``x = m 2^e``, the 192 bits of 2/pi that matter mod 4 (from a 1344-bit table) times ``m``
  in 256-bit integer arithmetic, the 128-bit fraction times pi/2. Then Taylor polynomials on
  ``|r| <= pi/4`` (through ``r^17`` and ``r^18``: truncation below 1e-19) picked and signed
  by the quadrant ``k mod 4``; NaN for inf and NaN.
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
BIG = 2.0 ** 30  # Cody-Waite below, the exact (Payne-Hanek) reduction from here on
# 2/pi in 64-bit words (bits 1..1344 after the point), after one zero word (mpmath, 1600 bits)
TWO_OVER_PI_WORDS = (
    0x0, 0xa2f9836e4e441529, 0xfc2757d1f534ddc0, 0xdb6295993c439041, 0xfe5163abdebbc561,
    0xb7246e3a424dd2e0, 0x6492eea09d1921c, 0xfe1deb1cb129a73e, 0xe88235f52ebb4484,
    0xe99c7026b45f7e41, 0x3991d639835339f4, 0x9c845f8bbdf9283b, 0x1ff897ffde05980f,
    0xef2f118b5a0a6d1f, 0x6d367ecf27cb09b7, 0x4f463f669e5fea2d, 0x7527bac7ebe5f17b,
    0x3d0739f78a5292ea, 0x6bfb5fb11f8d5d08, 0x56033046fc7b6bab, 0xf0cfbc209af4361d,
    0xa9e391615ee61b08)
I64, I128, I256 = ir.IntType(64), ir.IntType(128), ir.IntType(256)


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


def _two_over_pi(module: ir.Module) -> ir.GlobalVariable:
    table = module.globals.get("tk_two_over_pi")
    if table is None:
        ty = ir.ArrayType(I64, len(TWO_OVER_PI_WORDS))
        table = ir.GlobalVariable(module, ty, name="tk_two_over_pi")
        table.initializer = ir.Constant(ty, [ir.Constant(I64, w) for w in TWO_OVER_PI_WORDS])
        table.global_constant = True
        table.linkage = "internal"
    return table


def _reduce_large(b: ir.IRBuilder, a: ir.Value, big: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(q, r)`` with ``a = (q + 4n) pi/2 + r`` for a finite double ``a >= 2^30`` (``big``):
    ``a = m 2^e``; the 192 bits of 2/pi that matter mod 4 times ``m`` (integer arithmetic),
    then the fraction (128 bits) times pi/2. Other lanes read word 0 and are discarded."""
    bits = b.bitcast(a, I64)
    e = b.sub(b.lshr(bits, ir.Constant(I64, 52)), ir.Constant(I64, 1075))
    m = b.or_(b.and_(bits, ir.Constant(I64, (1 << 52) - 1)), ir.Constant(I64, 1 << 52))
    offset = b.select(big, b.add(e, ir.Constant(I64, 62)), ir.Constant(I64, 0))  # bit e-1
    word, shift = b.lshr(offset, ir.Constant(I64, 6)), b.and_(offset, ir.Constant(I64, 63))
    table, window = _two_over_pi(b.module), ir.Constant(I256, 0)
    for k in range(4):
        at = b.gep(table, [ir.Constant(I64, 0), b.add(word, ir.Constant(I64, k))],
                   inbounds=True)
        w = b.zext(b.load(at, typ=I64), I256)
        window = b.or_(window, b.shl(w, ir.Constant(I256, 64 * (3 - k))))
    window = b.lshr(b.shl(window, b.zext(shift, I256)), ir.Constant(I256, 64))
    product = b.mul(b.zext(m, I256), window)  # < 2^245; bits 190, 191: the quadrant
    frac = b.trunc(b.lshr(product, ir.Constant(I256, 62)), I128)  # signed: round to nearest
    q = b.trunc(b.lshr(product, ir.Constant(I256, 190)), I64)
    q = b.and_(b.add(q, b.zext(b.icmp_signed("<", frac, ir.Constant(I128, 0)), I64)),
               ir.Constant(I64, 3))
    high = b.sitofp(b.trunc(b.ashr(frac, ir.Constant(I128, 64)), I64), a.type)
    low = b.uitofp(b.trunc(frac, I64), a.type)
    d = _fma(b, high, const(a, 2.0 ** -64), b.fmul(low, const(a, 2.0 ** -128)))
    r = _fma(b, d, const(a, PIO2[0]), b.fmul(d, const(a, PIO2[1])))
    return b.uitofp(q, a.type), r


def _reduce_small(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(k, r)``: ``x = k pi/2 + r`` for ``|x| < BIG`` (``k`` an integer-valued double)."""
    k = intrinsic(b, "llvm.roundeven", [b.fmul(x, const(x, 2 / math.pi))])
    r = x
    for part in PIO2:
        r = _fma(b, b.fneg(k), const(x, part), r)
    return k, r


def _reduce(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    k, r = _reduce_small(b, x)
    a = intrinsic(b, "llvm.fabs", [x])
    big = b.and_(b.fcmp_ordered(">=", a, const(x, BIG)), b.fcmp_ordered("<", a, const(x, math.inf)))
    q_big, r_big = _reduce_large(b, a, big)
    neg = b.fcmp_ordered("<", x, const(x, 0.0))  # x = -a: quadrant -q mod 4, remainder -r
    q_big = b.select(neg, _quadrant(b, b.fneg(q_big)), q_big)
    r_big = b.select(neg, b.fneg(r_big), r_big)
    return b.select(big, q_big, _quadrant(b, k)), b.select(big, r_big, r)


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


def cos_bounded(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """:func:`cos` for finite ``|x| < BIG`` only (the same values there): without the
    large-argument reduction, whose 256-bit integer products keep a loop from vectorizing
    (Box-Muller's ``cos(2 pi u)``, ``u`` in [0, 1))."""
    k, r = _reduce_small(b, x)
    s, c = _kernels(b, r)
    return _pick(b, x, _quadrant(b, k), s, c, cosine=True)


def tan(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    q, r = _reduce(b, x)
    s, c = _kernels(b, r)
    odd = _is(b, q, 1.0, 3.0)
    out = b.select(odd, b.fneg(b.fdiv(c, s)), b.fdiv(s, c))
    return b.select(b.fcmp_ordered("==", x, const(x, 0.0)), x, out)


def sinpi(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``sin(pi*x)``, exact argument reduction (+-0 at integers, NaN at inf)."""
    y = b.fsub(x, b.fmul(intrinsic(b, "llvm.roundeven", [b.fmul(x, const(x, 0.5))]),
                         const(x, 2.0)))  # exact, in [-1, 1]
    k = intrinsic(b, "llvm.roundeven", [b.fmul(y, const(y, 2.0))])  # -2 .. 2
    r = b.fsub(y, b.fmul(k, const(y, 0.5)))  # exact, |r| <= 1/4
    rp = _fma(b, r, const(r, PI[0]), b.fmul(r, const(r, PI[1])))
    s, c = _kernels(b, rp)
    q = b.fsub(k, b.fmul(intrinsic(b, "llvm.floor", [b.fmul(k, const(k, 0.25))]),
                         const(k, 4.0)))
    return _pick(b, x, q, s, c, cosine=False)


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
