"""tenkai's own elementary math built on the target's exp/log: ``expm1``, ``log1p``, ``tanh``,
``sigmoid``, ``log2``, ``log10``, ``pow``, the hyperbolic functions, ``hypot``.

Each function is ``f(m, b, *xs)``: ``m`` is the math library (:class:`~.types.MathCalls`) that
resolves the functions it builds on (``m.call(b, "exp", [x])``), so the same formula serves the
CPU (where ``exp`` of half is an LLVM intrinsic) and NVPTX (where it is tenkai's own).
Formulas (branch-free, so loops that use them still vectorize):

* ``expm1``: the exp reduction of vecmath, ``2^k expm1(r) + (2^k - 1)`` (half: Kahan's
  ``(u-1) * x / log(u)``);
* ``log1p(x) = log(u) * x / (u-1)`` with ``u = 1+x`` (Kahan), ``x`` where ``u == 1``;
* ``tanh(x) = sign(x) * -e / (e + 2)`` with ``e = expm1(-2|x|)`` (never overflows);
* ``sigmoid`` exactly as the reference: ``e = exp(-|x|)``, ``1/(1+e)`` or ``e/(1+e)``;
* ``log2``/``log10``: vecmath's reduction ``x = 2^e (1+f)``, ``e + log1p(f)/ln2`` (exact at
  powers of two);
* ``pow`` (double): ``log|x|`` as a double-double (``2 atanh(s)`` with ``s = f/(2+f)`` split),
  times ``y`` with an FMA error term, ``exp`` of the sum with the tail added after the
  reduction, then C99's special cases (zeros, infinities, negative bases, NaN);
* ``sinh``/``cosh`` from ``expm1``/``exp`` (``exp(|x|/2)^2 / 2`` near overflow); ``asinh``,
  ``acosh``, ``atanh`` from ``log1p`` (``log(x) + ln2`` for huge ``x``);
* ``hypot`` (double): ``max * sqrt(1 + (min/max)^2)``; inf wins over NaN (C99).
* ``fmod`` (double, exact): a loop subtracting ``|y| 2^d`` (helper function ``tk_fmod_f64``);
  LLVM's NVPTX lowering of ``frem``, ``x - trunc(x/y) y``, is wrong for large ``x/y``.
"""

from __future__ import annotations

import math

from llvmlite import ir

from tenkai.codegen.llvm.types import I64
from tenkai.codegen.scalar.types import F64, MathCalls, const
from tenkai.codegen.scalar.vecmath import exp_with_tail, log_reduce, log_special, vlog_parts

INV_LN2 = (1.4426950408889634, 2.0355273740931033e-17)
LOG10_2 = (0.3010299956639812, -2.8037281277851704e-18)
INV_LN10 = (0.4342944819032518, 1.098319650216765e-17)
LN2 = (0.6931471805599453, 2.3190468138462996e-17)
LN2_HI_32 = 0.6931471803691238  # 32 significant bits: e * LN2_HI_32 is exact
POW_ATANH = tuple(2.0 / (2 * k + 1) for k in range(1, 13))  # 2 s^3/3 + 2 s^5/5 + ...


def _fabs(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return m.call(b, "fabs", [x])


def recip(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fdiv(const(x, 1.0), x)


def rsqrt(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fdiv(const(x, 1.0), m.call(b, "sqrt", [x]))


def _is_inf(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.fcmp_ordered("==", _fabs(m, b, x), const(x, math.inf))


def expm1_half(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """Kahan's ``(u-1) * x / log(u)`` with ``u = exp(x)`` (for types without vexpm1)."""
    u = m.call(b, "exp", [x])
    um1 = b.fsub(u, const(x, 1.0))
    ratio = b.fmul(um1, b.fdiv(x, m.call(b, "log", [u])))
    out = b.select(_is_inf(m, b, u), u, ratio)
    out = b.select(b.fcmp_ordered("==", um1, const(x, -1.0)), um1, out)
    return b.select(b.fcmp_ordered("==", u, const(x, 1.0)), x, out)


def log1p(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    u = b.fadd(x, const(x, 1.0))
    log_u = m.call(b, "log", [u])
    ratio = b.fmul(log_u, b.fdiv(x, b.fsub(u, const(x, 1.0))))
    out = b.select(b.fcmp_ordered("==", u, const(x, math.inf)), u, ratio)  # log1p(-inf): NaN
    return b.select(b.fcmp_ordered("==", u, const(x, 1.0)), x, out)


def tanh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = _fabs(m, b, x)
    e = m.call(b, "expm1", [b.fmul(a, const(x, -2.0))])
    t = b.fdiv(b.fneg(e), b.fadd(e, const(x, 2.0)))
    return m.call(b, "copysign", [t, x])


def sigmoid(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    e = m.call(b, "exp", [b.fneg(_fabs(m, b, x))])
    one = const(x, 1.0)
    denom = b.fadd(one, e)
    return b.select(b.fcmp_ordered(">=", x, const(x, 0.0)), b.fdiv(one, denom), b.fdiv(e, denom))


def log2(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    ef, log_m = vlog_parts(b, x)
    scaled = b.fadd(b.fmul(log_m, const(x, INV_LN2[0])), b.fmul(log_m, const(x, INV_LN2[1])))
    return log_special(b, x, b.fadd(ef, scaled))


def log10(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    ef, log_m = vlog_parts(b, x)
    low = b.fadd(b.fmul(ef, const(x, LOG10_2[1])), b.fmul(log_m, const(x, INV_LN10[0])))
    return log_special(b, x, b.fadd(b.fmul(ef, const(x, LOG10_2[0])), low))


def _two_sum(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> tuple[ir.Value, ir.Value]:
    s = b.fadd(x, y)
    bb = b.fsub(s, x)
    err = b.fadd(b.fsub(x, b.fsub(s, bb)), b.fsub(y, bb))
    return s, err


def _log_dd(m: MathCalls, b: ir.IRBuilder, a: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``log(a) = hi + lo`` to ~2^-100 relative, ``a`` a finite positive double."""
    e, f = log_reduce(b, a)
    ef = b.sitofp(e, a.type)
    u = b.fadd(f, const(a, 2.0))
    u_lo = b.fsub(f, b.fsub(u, const(a, 2.0)))  # 2 + f = u + u_lo exactly (|f| < 2)
    s = b.fdiv(f, u)
    rem = b.fsub(m.call(b, "fma", [b.fneg(s), u, f]), b.fmul(s, u_lo))
    s_lo = b.fdiv(rem, u)  # s + s_lo = f / (2+f)
    z = b.fmul(s, s)
    series = b.fmul(b.fmul(s, z), _poly(m, b, POW_ATANH, z))  # 2 atanh(s) - 2s
    hi, err = _two_sum(b, b.fmul(ef, const(a, LN2_HI_32)), b.fmul(s, const(a, 2.0)))
    lo = b.fadd(err, b.fadd(b.fmul(ef, const(a, LN2[0] - LN2_HI_32 + LN2[1])),
                            b.fadd(b.fmul(s_lo, const(a, 2.0)), series)))
    return _two_sum(b, hi, lo)


def _poly(m: MathCalls, b: ir.IRBuilder, coeffs: tuple[float, ...], z: ir.Value) -> ir.Value:
    out = const(z, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = m.call(b, "fma", [out, z, const(z, c)])
    return out


def _is_int(m: MathCalls, b: ir.IRBuilder, y: ir.Value) -> ir.Value:
    return b.fcmp_ordered("==", m.call(b, "floor", [y]), y)


def pow_(m: MathCalls, b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x ** y`` for doubles (see the module docstring)."""
    a = _fabs(m, b, x)
    hi, lo = _log_dd(m, b, a)
    hi = log_special(b, a, hi)
    p_hi = b.fmul(y, hi)
    p_lo = b.fadd(m.call(b, "fma", [y, hi, b.fneg(p_hi)]), b.fmul(y, lo))
    in_range = b.fcmp_ordered("<", _fabs(m, b, p_hi), const(x, 1000.0))  # else: 0 or inf
    p_lo = b.select(b.and_(in_range, b.fcmp_ordered("==", p_lo, p_lo)), p_lo, const(x, 0.0))
    core = exp_with_tail(b, p_hi, p_lo)
    one, zero = const(x, 1.0), const(x, 0.0)
    y_int = _is_int(m, b, y)
    y_odd = b.and_(y_int, b.not_(_is_int(m, b, b.fmul(y, const(y, 0.5)))))
    x_neg = b.icmp_signed("<", b.bitcast(x, ir.IntType(64)), ir.Constant(ir.IntType(64), 0))
    out = b.select(b.and_(x_neg, y_odd), b.fneg(core), core)
    finite_neg = b.and_(b.fcmp_ordered("<", x, zero), b.fcmp_ordered(">", x, const(x, -math.inf)))
    bad = b.and_(finite_neg, b.and_(b.not_(y_int), b.fcmp_ordered("==", y, y)))
    out = b.select(bad, const(x, math.nan), out)
    unit = b.and_(b.fcmp_ordered("==", a, one), _is_inf(m, b, y))
    out = b.select(unit, one, out)
    return b.select(b.or_(b.fcmp_ordered("==", x, one), b.fcmp_ordered("==", y, zero)), one, out)


def _near_overflow(x: ir.Value) -> float:
    return 700.0 if x.type == F64 else 80.0


def sinh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = _fabs(m, b, x)
    e = m.call(b, "expm1", [a])
    mid = b.fmul(b.fadd(e, b.fdiv(e, b.fadd(e, const(x, 1.0)))), const(x, 0.5))
    h = m.call(b, "exp", [b.fmul(a, const(x, 0.5))])
    big = b.fmul(b.fmul(h, const(x, 0.5)), h)
    out = b.select(b.fcmp_ordered(">", a, const(x, _near_overflow(x))), big, mid)
    return m.call(b, "copysign", [out, x])


def cosh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = _fabs(m, b, x)
    e = m.call(b, "exp", [a])
    mid = b.fadd(b.fmul(e, const(x, 0.5)), b.fdiv(const(x, 0.5), e))
    h = m.call(b, "exp", [b.fmul(a, const(x, 0.5))])
    big = b.fmul(b.fmul(h, const(x, 0.5)), h)
    return b.select(b.fcmp_ordered(">", a, const(x, _near_overflow(x))), big, mid)


def _huge(x: ir.Value) -> float:
    return 2.0 ** 28 if x.type == F64 else 2.0 ** 12


def _log_huge(m: MathCalls, b: ir.IRBuilder, a: ir.Value) -> ir.Value:
    return b.fadd(m.call(b, "log", [a]), const(a, LN2[0]))


def asinh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = _fabs(m, b, x)
    t = b.fmul(a, a)
    root = m.call(b, "sqrt", [b.fadd(t, const(x, 1.0))])
    mid = log1p(m, b, b.fadd(a, b.fdiv(t, b.fadd(root, const(x, 1.0)))))
    out = b.select(b.fcmp_ordered(">", a, const(x, _huge(x))), _log_huge(m, b, a), mid)
    return m.call(b, "copysign", [out, x])


def acosh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    t = b.fsub(x, const(x, 1.0))
    root = m.call(b, "sqrt", [b.fadd(b.fmul(t, const(x, 2.0)), b.fmul(t, t))])
    mid = log1p(m, b, b.fadd(t, root))
    out = b.select(b.fcmp_ordered(">", x, const(x, _huge(x))), _log_huge(m, b, x), mid)
    return b.select(b.fcmp_ordered("<", x, const(x, 1.0)), const(x, math.nan), out)


def atanh(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    a = _fabs(m, b, x)
    ratio = b.fdiv(b.fmul(a, const(x, 2.0)), b.fsub(const(x, 1.0), a))
    out = b.fmul(log1p(m, b, ratio), const(x, 0.5))
    return m.call(b, "copysign", [out, x])


def hypot(m: MathCalls, b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    ax, ay = _fabs(m, b, x), _fabs(m, b, y)
    big, small = m.call(b, "maxnum", [ax, ay]), m.call(b, "minnum", [ax, ay])
    r = b.fdiv(small, big)
    out = b.fmul(big, m.call(b, "sqrt", [m.call(b, "fma", [r, r, const(x, 1.0)])]))
    out = b.select(b.fcmp_ordered("==", big, const(x, 0.0)), const(x, 0.0), out)
    nan = b.or_(b.fcmp_unordered("uno", x, x), b.fcmp_unordered("uno", y, y))
    out = b.select(nan, const(x, math.nan), out)
    inf = b.or_(_is_inf(m, b, x), _is_inf(m, b, y))
    return b.select(inf, const(x, math.inf), out)


# ---------------------------------------------------------------- fmod


def fmod(m: MathCalls, b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """C's ``fmod`` for doubles, exact, through the helper ``tk_fmod_f64`` (a loop)."""
    fn = b.module.globals.get("tk_fmod_f64")
    if fn is None:
        fn = _define_fmod(m, b.module)
    return b.call(fn, [x, y])


def _exponent(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """``floor(log2(v))`` of a finite positive double, subnormals included (as i64)."""
    tiny = b.fcmp_ordered("<", v, const(v, 2.0 ** -1022))
    scaled = b.bitcast(b.select(tiny, b.fmul(v, const(v, 2.0 ** 64)), v), I64)
    e = b.sub(b.lshr(scaled, ir.Constant(I64, 52)), ir.Constant(I64, 1023))
    return b.sub(e, b.select(tiny, ir.Constant(I64, 64), ir.Constant(I64, 0)))


def _pow2(b: ir.IRBuilder, k: ir.Value) -> ir.Value:
    """``2.0**k`` for ``-1022 <= k <= 1023``, from bits."""
    return b.bitcast(b.shl(b.add(k, ir.Constant(I64, 1023)), ir.Constant(I64, 52)), F64)


def _define_fmod(m: MathCalls, module: ir.Module) -> ir.Function:
    """``r = |x|``; while ``r >= |y|``: subtract ``|y| 2^d``, the largest such multiple not
    above ``r`` (exact by Sterbenz's lemma); each step lowers r's exponent, so at most ~2100."""
    fn = ir.Function(module, ir.FunctionType(F64, [F64, F64]), name="tk_fmod_f64")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    x, y = fn.args
    entry, loop, done = (fn.append_basic_block(n) for n in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    ax, ay = m.call(b, "fabs", [x]), m.call(b, "fabs", [y])
    e_y = _exponent(b, ay)
    finite_work = b.and_(b.fcmp_ordered(">", ay, const(y, 0.0)),
                         b.fcmp_ordered("<", ax, const(x, math.inf)))
    b.cbranch(b.and_(b.fcmp_ordered(">=", ax, ay), finite_work), loop, done)
    b.position_at_end(loop)
    r = b.phi(F64, name="r")
    d = b.sub(_exponent(b, r), e_y)  # 0 .. 2097
    d1 = b.sub(d, ir.Constant(I64, 1))
    third = b.sdiv(d1, ir.Constant(I64, 3))  # ay * 2^(d-1) <= r in three exact steps
    t1 = b.fmul(b.fmul(b.fmul(ay, _pow2(b, third)), _pow2(b, third)),
                _pow2(b, b.sub(d1, b.add(third, third))))
    t2 = b.fmul(t1, const(t1, 2.0))  # ay * 2^d: may exceed r (or overflow to inf)
    t = b.select(b.fcmp_ordered("<=", t2, r), t2, t1)
    t = b.select(b.icmp_signed("==", d, ir.Constant(I64, 0)), ay, t)
    nr = b.fsub(r, t)
    r.add_incoming(ax, entry)
    r.add_incoming(nr, loop)
    b.cbranch(b.fcmp_ordered(">=", nr, ay), loop, done)
    b.position_at_end(done)
    out = b.phi(F64, name="rem")
    out.add_incoming(ax, entry)
    out.add_incoming(nr, loop)
    result = m.call(b, "copysign", [out, x])
    bad = b.or_(b.fcmp_unordered("uno", x, y), b.or_(b.fcmp_ordered("==", y, const(y, 0.0)),
                                                     _is_inf(m, b, x)))
    result = b.select(bad, const(x, math.nan), result)
    b.ret(b.select(_is_inf(m, b, y), b.select(bad, result, x), result))
    return fn


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

