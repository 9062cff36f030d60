"""Numerically careful scalar math for the templates: intrinsics, erf, tanh, expm1, log1p,
sigmoid, integer pow, and the Philox4x32-10 random ops (bit-identical to ir/ops_source.py).

Formulas (all branch-free, so loops that use them still vectorize):

* ``expm1``: the exp reduction of templates_vecmath, ``2^k expm1(r) + (2^k - 1)``;
* ``log1p(x) = log(u) * x / (u-1)`` with ``u = 1+x`` (Kahan), ``x`` where ``u == 1``;
* ``tanh(x) = sign(x) * -e / (e + 2)`` with ``e = expm1(-2|x|)`` (never overflows);
* ``sigmoid`` exactly as the reference: ``e = exp(-|x|)``, ``1/(1+e)`` or ``e/(1+e)``;
* ``erf`` in float64 (float32 rounds the float64 result): ``x * A(x^2)`` on ``|x| <= 1`` and
  ``1 - exp(-x^2) * B(|x|)`` on ``1 < |x| < 6`` (``B ~ erfcx``), both Chebyshev series fitted
  with mpmath for this project (max error 2 ulp against mpmath; the registry reference, a
  Taylor/continued-fraction evaluation, is itself off by up to ~50 ulp near |x| = 2.5).

Random ops: float32 ``uniform``/``bernoulli``/``randint`` values are bit-identical to the
reference (the float64 arithmetic is the same IEEE sequence); float64 ``uniform`` too. ``normal``
uses the platform's ``log``/``cos`` (libm) where numpy uses its own SIMD routines, so float64
values can differ by an ulp or two (float32 values almost always round identically).
"""

from __future__ import annotations

import math
from typing import Any

from llvmlite import ir

from tenkai.ir import dtypes

I32, I64, F64 = ir.IntType(32), ir.IntType(64), ir.DoubleType()

# ---------------------------------------------------------------- intrinsics


def intrinsic(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    """Call ``name.<type>`` (e.g. ``llvm.exp.f32``) declaring it on first use."""
    ty = args[0].type
    full = f"{name}.{ty.intrinsic_name}"
    module = b.module
    fn = module.globals.get(full)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ty, [a.type for a in args]), name=full)
    return b.call(fn, args)


def _c(x: ir.Value, value: float) -> ir.Constant:
    return ir.Constant(x.type, value)


def recip(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fdiv(_c(x, 1.0), x)


def rsqrt(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fdiv(_c(x, 1.0), intrinsic(b, "llvm.sqrt", [x]))


def exp(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``exp`` that vectorizes for float/double (templates_vecmath), the intrinsic for half."""
    from tenkai.codegen.scalar.vecmath import vexp

    return vexp(b, x) if isinstance(x.type, (ir.FloatType, ir.DoubleType)) \
        else intrinsic(b, "llvm.exp", [x])


def log(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """``log`` that vectorizes for float/double (templates_vecmath), the intrinsic for half."""
    from tenkai.codegen.scalar.vecmath import vlog

    return vlog(b, x) if isinstance(x.type, (ir.FloatType, ir.DoubleType)) \
        else intrinsic(b, "llvm.log", [x])


def _is_inf(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fcmp_ordered("==", intrinsic(b, "llvm.fabs", [x]), _c(x, math.inf))


def to_float_round_odd(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """double -> float rounded to odd, so a following float -> half rounding is correct.

    (A direct double -> half ``fptrunc`` becomes a call to compiler-rt's ``__truncdfhf2``,
    which a JIT'd process does not have; float -> half is one F16C instruction.)
    """
    f32 = ir.FloatType()
    t = b.fptrunc(x, f32)
    back = b.fpext(t, x.type)
    inexact = b.fcmp_ordered("!=", back, x)
    away = b.fcmp_ordered(">", intrinsic(b, "llvm.fabs", [back]), intrinsic(b, "llvm.fabs", [x]))
    bits = b.bitcast(t, I32)
    bits = b.select(b.and_(inexact, away), b.sub(bits, ir.Constant(I32, 1)), bits)
    bits = b.select(inexact, b.or_(bits, ir.Constant(I32, 1)), bits)
    return b.bitcast(bits, f32)


# ---------------------------------------------------------------- exp/log family


def expm1(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    if isinstance(x.type, (ir.FloatType, ir.DoubleType)):
        from tenkai.codegen.scalar.vecmath import vexpm1

        return vexpm1(b, x)
    u = exp(b, x)  # half: Kahan's (u-1) * x / log(u)
    um1 = b.fsub(u, _c(x, 1.0))
    ratio = b.fmul(um1, b.fdiv(x, log(b, u)))
    out = b.select(_is_inf(b, u), u, ratio)
    out = b.select(b.fcmp_ordered("==", um1, _c(x, -1.0)), um1, out)
    return b.select(b.fcmp_ordered("==", u, _c(x, 1.0)), x, out)


def log1p(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    u = b.fadd(x, _c(x, 1.0))
    log_u = log(b, u)
    ratio = b.fmul(log_u, b.fdiv(x, b.fsub(u, _c(x, 1.0))))
    out = b.select(b.fcmp_ordered("==", u, _c(x, math.inf)), u, ratio)  # log1p(-inf) is NaN
    return b.select(b.fcmp_ordered("==", u, _c(x, 1.0)), x, out)


def tanh(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = intrinsic(b, "llvm.fabs", [x])
    e = expm1(b, b.fmul(a, _c(x, -2.0)))
    t = b.fdiv(b.fneg(e), b.fadd(e, _c(x, 2.0)))
    return intrinsic(b, "llvm.copysign", [t, x])


def sigmoid(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    e = exp(b, b.fneg(intrinsic(b, "llvm.fabs", [x])))
    one = _c(x, 1.0)
    denom = b.fadd(one, e)
    return b.select(b.fcmp_ordered(">=", x, _c(x, 0.0)), b.fdiv(one, denom), b.fdiv(e, denom))


# ---------------------------------------------------------------- erf

# Chebyshev coefficients (fitted with mpmath, see the module docstring):
# A: erf(sqrt(t))/sqrt(t) for t in [0, 1]; B: exp(x^2)*erfc(x) for x in [1, 6].
ERF_A = (0.9754769393826541, -0.14226120510371365, 0.010035582187599796,
         -0.0005768764699767485, 2.741993125219606e-05, -1.1043175507344507e-06,
         3.8488755420345036e-08, -1.1808582533875466e-09, 3.2334215826050907e-11,
         -7.991015947004549e-13, 1.799072511396137e-14, -3.7186354877527125e-16,
         7.103598527027531e-18, -1.2609201146052294e-19)
ERF_B = (0.20196598791223083, -0.147884835533987, 0.05188222158351389, -0.017525709964867527,
         0.005721802417478219, -0.0018109803028142997, 0.0005570714353927344,
         -0.00016689473052528832, 4.878565911493746e-05, -1.3935932859822488e-05,
         3.895514595190115e-06, -1.0668392337070025e-06, 2.865502572057316e-07,
         -7.555861081756622e-08, 1.957586342968354e-08, -4.987110132992565e-09,
         1.2501871239431183e-09, -3.0858852312872416e-10, 7.504484747602075e-11,
         -1.799019306443203e-11, 4.253478301220761e-12, -9.923156075370268e-13,
         2.2852946889956604e-13, -5.197545127186086e-14, 1.1678402563368202e-14,
         -2.5933001174246888e-15, 5.693123694895126e-16, -1.2358968293313467e-16,
         2.6494001992231862e-17, -5.394020788469484e-18)


def clenshaw(b: ir.IRBuilder, coeffs: tuple[float, ...], t: ir.Value) -> ir.Value:
    """``sum(c_k T_k(t))`` by Clenshaw's recurrence."""
    b1, b2 = _c(t, 0.0), _c(t, 0.0)
    two_t = b.fmul(t, _c(t, 2.0))
    for ck in reversed(coeffs[1:]):
        b1, b2 = b.fadd(b.fsub(b.fmul(two_t, b1), b2), _c(t, ck)), b1
    return b.fadd(b.fsub(b.fmul(t, b1), b2), _c(t, coeffs[0]))


def erf(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    xd = x if x.type == F64 else b.fpext(x, F64)
    a = intrinsic(b, "llvm.fabs", [xd])
    a2 = b.fmul(a, a)
    small = b.fmul(xd, clenshaw(b, ERF_A, b.fsub(b.fmul(a2, _c(xd, 2.0)), _c(xd, 1.0))))
    tb = b.fdiv(b.fsub(b.fmul(a, _c(xd, 2.0)), _c(xd, 7.0)), _c(xd, 5.0))
    erfc = b.fmul(exp(b, b.fneg(a2)), clenshaw(b, ERF_B, tb))
    large = intrinsic(b, "llvm.copysign", [b.fsub(_c(xd, 1.0), erfc), xd])
    out = b.select(b.fcmp_ordered("<", a, _c(xd, 6.0)), large,
                   intrinsic(b, "llvm.copysign", [_c(xd, 1.0), xd]))
    out = b.select(b.fcmp_ordered("<=", a, _c(xd, 1.0)), small, out)
    out = b.select(b.fcmp_unordered("uno", xd, xd), xd, out)
    return out if x.type == F64 else b.fptrunc(out, x.type)


# ---------------------------------------------------------------- integer pow


def int_pow(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x ** y`` (wrapping, like numpy) through a per-width helper ``tk_ipow_iN``."""
    ty = x.type
    name = f"tk_ipow_i{ty.width}"
    module = b.module
    fn = module.globals.get(name)
    if fn is None:
        fn = _define_int_pow(module, name, ty)
    return b.call(fn, [x, y])


def _define_int_pow(module: ir.Module, name: str, ty: ir.IntType) -> ir.Function:
    """Square-and-multiply while the exponent has bits left (y < 0: numpy raises; not here)."""
    fn = ir.Function(module, ir.FunctionType(ty, [ty, ty]), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    x, y = fn.args
    entry, loop, done = (fn.append_basic_block(n) for n in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    b.cbranch(b.icmp_signed(">", y, zero), loop, done)
    b.position_at_end(loop)
    result, base, exp = (b.phi(ty, name=n) for n in ("result", "base", "exp"))
    odd = b.icmp_unsigned("!=", b.and_(exp, one), zero)
    nresult = b.select(odd, b.mul(result, base), result)
    nbase, nexp = b.mul(base, base), b.lshr(exp, one)
    for phi, start, nxt in ((result, one, nresult), (base, x, nbase), (exp, y, nexp)):
        phi.add_incoming(start, entry)
        phi.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed(">", nexp, zero), loop, done)
    b.position_at_end(done)
    out = b.phi(ty, name="pow")
    out.add_incoming(one, entry)
    out.add_incoming(nresult, loop)
    b.ret(out)
    return fn


# ---------------------------------------------------------------- Philox4x32-10

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
    from tenkai.codegen.scalar.templates import convert

    return convert(b, v, "float64", dtype)


def uniform(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
            low: float = 0.0, high: float = 1.0, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, out_dtype == "float64")
    v = b.fadd(ir.Constant(F64, float(low)), b.fmul(ir.Constant(F64, float(high - low)), u))
    return _from_f64(b, v, out_dtype)


def normal(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
           mean: float = 0.0, std: float = 1.0, **_: Any) -> ir.Value:
    x0, x1 = philox(b, seed, counter)
    scale = ir.Constant(F64, 2.0 ** -32)
    u1 = b.fmul(b.fadd(b.uitofp(x0, F64), ir.Constant(F64, 1.0)), scale)
    u2 = b.fmul(b.uitofp(x1, F64), scale)
    r = intrinsic(b, "llvm.sqrt", [b.fmul(ir.Constant(F64, -2.0), intrinsic(b, "llvm.log", [u1]))])
    z = b.fmul(r, intrinsic(b, "llvm.cos", [b.fmul(ir.Constant(F64, 2.0 * math.pi), u2)]))
    v = b.fadd(ir.Constant(F64, float(mean)), b.fmul(ir.Constant(F64, float(std)), z))
    return _from_f64(b, v, out_dtype)


def randint(b: ir.IRBuilder, seed: ir.Value, counter: ir.Value, dtype: str, out_dtype: str,
            low: int = 0, high: int = 1, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, True)
    span = b.fmul(u, ir.Constant(F64, float(high - low)))
    v = b.fadd(ir.Constant(F64, float(low)), intrinsic(b, "llvm.floor", [span]))
    return _from_f64(b, v, out_dtype)


def bernoulli(b: ir.IRBuilder, p: ir.Value, seed: ir.Value, counter: ir.Value, dtype: str,
              out_dtype: str, **_: Any) -> ir.Value:
    u = uniform01(b, seed, counter, dtype == "float64")
    pd = p if p.type == F64 else b.fpext(p, F64)
    hit = b.fcmp_ordered("<", u, pd)
    return b.uitofp(hit, p.type) if dtypes.is_float(out_dtype) else b.zext(hit, p.type)
