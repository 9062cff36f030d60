"""Special functions in double (float and half round the double result): ``erf``, ``erfc``,
``erfinv``, ``lgamma``, ``digamma``, ``trigamma``. Each is ``f(m, b, x)`` with ``m`` the math
library that resolves what it builds on (``exp``, ``log``, ``tan``, ...).

* ``erf``: ``x * A(x^2)`` on ``|x| <= 1`` and ``1 - exp(-x^2) * B(|x|)`` on ``1 < |x| < 6``
  (``B ~ erfcx``), both Chebyshev series fitted with mpmath for this project (max error 2 ulp
  against mpmath; the registry reference, a Taylor/continued-fraction evaluation, is itself off
  by up to ~50 ulp near |x| = 2.5).
* ``erfc``: ``1 - erf(x)`` for ``x <= 1``; above, ``exp(-x^2) * B(x)`` on ``(1, 6)`` and
  ``exp(-x^2) * C(6/x) / x`` beyond (``C`` another mpmath Chebyshev fit, error < 1e-20), with
  ``x^2`` split exactly by an FMA so ``exp(-x^2)`` keeps full accuracy; ``2 - erfc(-x)`` for
  ``x < -1``. Results in the subnormal range (``x > 26.5``) lose bits as the subnormals do;
  0 above 27.5.
* ``erfinv``: Giles' approximation plus two Newton steps on ``erf``.
* ``digamma``/``trigamma``: reflection, the recurrence up to ``x + SHIFT``, the asymptotic
  series: the same steps as the registry references (ir/ops_math.py).
* ``polygamma`` (order n >= 1, an attribute): the steps of ir/ops_polygamma.py.
* ``lgamma``: Stirling's series (through ``B_16``) at ``x + 10`` for ``x < 10``, minus
  ``log(x (x+1) ... (x+9))``; ``log(pi) - log|sin(pi x)| - lgamma(1 - x)`` for ``x < 0``;
  ``-log|x|`` for ``|x| < 2^-60``; ``+inf`` at the poles (0, -1, ...) and at +-inf. Near
  its zeros (x = 1, 2) the error is absolute, ~1e-14, not relative.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.scalar.types import F64, MathCalls, const, narrow
from tenkai.ir.ops_math import (
    DIGAMMA_SERIES,
    GILES_CENTRAL,
    GILES_TAIL,
    SHIFT,
    TRIGAMMA_SERIES,
)
from tenkai.ir.ops_polygamma import cot_derivative, pole_value, polygamma_shift, tail_coefficients

_c = const
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


# C: x*exp(x^2)*erfc(x) for x >= 6, in t = 12/x - 1 (fitted with mpmath, error < 1e-20)
ERFC_C = (0.5613356484451969, -0.0037832162871752097, -0.000913073493539771,
          1.822918719154695e-05, 1.9252267878363807e-06, -1.0190734887596502e-07,
          -5.008219828945102e-09, 6.392118575711722e-10, 5.126847014903661e-12,
          -4.167255991335198e-12, 1.4359883402606726e-13, 2.4947854017488887e-14,
          -2.449666789425007e-15, -9.023478968025841e-17, 2.871758147530495e-17,
          -8.371546475720681e-19, -2.578517369988967e-19, 2.717808278891652e-20)
# Stirling: B_2k / (2k (2k-1)), k = 1..8
STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
            -3617 / 122400)
HALF_LOG_2PI = 0.9189385332046728
LGAMMA_SHIFT = 10


def in_double(build: Callable[[MathCalls, ir.IRBuilder, ir.Value], ir.Value]
              ) -> Callable[[MathCalls, ir.IRBuilder, ir.Value], ir.Value]:
    """Run ``build`` on the value extended to double, round the result back."""
    def run(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
        xd = x if x.type == F64 else b.fpext(x, F64)
        out = build(m, b, xd)
        return out if x.type == F64 else narrow(b, out, x.type)
    run.__name__ = build.__name__
    return run


def erf(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    xd = x if x.type == F64 else b.fpext(x, F64)
    a = m.call(b, "fabs", [xd])
    a2 = b.fmul(a, a)
    small = b.fmul(xd, clenshaw(b, ERF_A, b.fsub(b.fmul(a2, _c(xd, 2.0)), _c(xd, 1.0))))
    tb = b.fdiv(b.fsub(b.fmul(a, _c(xd, 2.0)), _c(xd, 7.0)), _c(xd, 5.0))
    erfc_ = b.fmul(m.call(b, "exp", [b.fneg(a2)]), clenshaw(b, ERF_B, tb))
    large = m.call(b, "copysign", [b.fsub(_c(xd, 1.0), erfc_), xd])
    out = b.select(b.fcmp_ordered("<", a, _c(xd, 6.0)), large,
                   m.call(b, "copysign", [_c(xd, 1.0), xd]))
    out = b.select(b.fcmp_ordered("<=", a, _c(xd, 1.0)), small, out)
    out = b.select(b.fcmp_unordered("uno", xd, xd), xd, out)
    return out if x.type == F64 else narrow(b, out, x.type)


def erfc(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """(double) see the module docstring."""
    one = _c(x, 1.0)
    a = m.call(b, "fabs", [x])
    a2 = b.fmul(a, a)
    a2_lo = m.call(b, "fma", [a, a, b.fneg(a2)])  # a^2 = a2 + a2_lo exactly
    gauss = b.fmul(m.call(b, "exp", [b.fneg(a2)]), b.fsub(one, a2_lo))
    tb = b.fdiv(b.fsub(b.fmul(a, _c(x, 2.0)), _c(x, 7.0)), _c(x, 5.0))
    mid = clenshaw(b, ERF_B, tb)
    far = b.fdiv(clenshaw(b, ERFC_C, b.fsub(b.fdiv(_c(x, 12.0), a), one)), a)
    tail = b.fmul(gauss, b.select(b.fcmp_ordered("<", a, _c(x, 6.0)), mid, far))
    tail = b.select(b.fcmp_ordered(">", a, _c(x, 27.5)), _c(x, 0.0), tail)  # underflows
    outer = b.select(b.fcmp_ordered(">", x, _c(x, 0.0)), tail, b.fsub(_c(x, 2.0), tail))
    inner = b.fsub(one, erf(m, b, x))
    out = b.select(b.fcmp_ordered("<=", a, one), inner, outer)
    return b.select(b.fcmp_unordered("uno", x, x), x, out)


def _poly(b: ir.IRBuilder, coeffs: tuple[float, ...], t: ir.Value) -> ir.Value:
    out = _c(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = b.fadd(b.fmul(out, t), _c(t, c))
    return out


def erfinv(m: MathCalls, b: ir.IRBuilder, y: ir.Value) -> ir.Value:
    """(double) Giles' approximation plus two Newton steps."""
    one = _c(y, 1.0)
    w = b.fneg(m.call(b, "log", [b.fmul(b.fsub(one, y), b.fadd(one, y))]))
    central = _poly(b, GILES_CENTRAL, b.fsub(w, _c(y, 2.5)))
    wt = m.call(b, "maxnum", [w, _c(y, 5.0)])
    tail = _poly(b, GILES_TAIL, b.fsub(m.call(b, "sqrt", [wt]), _c(y, 3.0)))
    x = b.fmul(b.select(b.fcmp_ordered("<", w, _c(y, 5.0)), central, tail), y)
    for _ in range(2):
        err = b.fsub(erf(m, b, x), y)
        slope = b.fmul(_c(y, 2 / math.sqrt(math.pi)), m.call(b, "exp", [b.fneg(b.fmul(x, x))]))
        x = b.fsub(x, b.fdiv(err, slope))
    ay = m.call(b, "fabs", [y])
    x = b.select(b.fcmp_ordered("==", ay, one), m.call(b, "copysign",
                                                      [_c(y, math.inf), y]), x)
    return b.select(b.fcmp_unordered(">", ay, one), _c(y, math.nan), x)  # NaN stays NaN


def _gamma_family(kind: str) -> Callable[[MathCalls, ir.IRBuilder, ir.Value], ir.Value]:
    """digamma or trigamma in double: reflection, recurrence, asymptotic series."""
    def build(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
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
            out = b.fsub(b.fsub(b.fadd(acc, m.call(b, "log", [z])), b.fmul(_c(x, 0.5), inv)),
                         series)
            reflected = b.fsub(out, b.fdiv(_c(x, math.pi), m.call(b, "tan", [pix],
                                                                  prefer="libm")))
            pole = _c(x, math.nan)
        else:
            out = b.fadd(b.fadd(b.fadd(acc, inv), b.fmul(_c(x, 0.5), inv2)), b.fmul(series, inv))
            s = b.fdiv(_c(x, math.pi), m.call(b, "sin", [pix], prefer="libm"))
            reflected = b.fsub(b.fmul(s, s), out)
            pole = _c(x, math.inf)
        out = b.select(neg, reflected, out)
        at_pole = b.and_(b.fcmp_ordered("<=", x, _c(x, 0.0)),
                         b.fcmp_ordered("==", x, m.call(b, "floor", [x])))
        out = b.select(at_pole, pole, out)
        if kind == "digamma":  # PyTorch: -inf at +0, +inf at -0 (that is -1/x)
            out = b.select(b.fcmp_ordered("==", x, _c(x, 0.0)),
                           b.fsub(_c(x, 0.0), b.fdiv(one, x)), out)
        return out
    build.__name__ = kind
    return build


digamma = in_double(_gamma_family("digamma"))
trigamma = in_double(_gamma_family("trigamma"))


def _int_power(b: ir.IRBuilder, x: ir.Value, k: int) -> ir.Value:
    """``x ** k`` for a positive int ``k`` by repeated squaring."""
    out = None
    while k:
        if k & 1:
            out = x if out is None else b.fmul(out, x)
        k >>= 1
        if k:
            x = b.fmul(x, x)
    return out


def _polygamma_positive(b: ir.IRBuilder, x: ir.Value, n: int) -> ir.Value:
    """``psi_n(x)`` for ``x > 0``: the direct sum, then the Euler-Maclaurin tail."""
    one, s, shift = _c(x, 1.0), n + 1, polygamma_shift(n)
    acc = _c(x, 0.0)
    for k in range(shift):
        acc = b.fadd(acc, b.fdiv(one, _int_power(b, b.fadd(x, _c(x, float(k))), s)))
    z = b.fadd(x, _c(x, float(shift)))
    w = b.fdiv(one, z)
    w2 = b.fmul(w, w)
    coeffs = tail_coefficients(n)
    series = _c(x, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        series = b.fadd(b.fmul(series, w2), _c(x, c))
    inner = b.fadd(b.fadd(b.fdiv(z, _c(x, float(n))), _c(x, 0.5)), b.fmul(w, series))
    total = b.fadd(acc, b.fmul(_int_power(b, w, s), inner))
    return b.fmul(total, _c(x, (1.0 if n % 2 else -1.0) * math.factorial(n)))


def polygamma(n: int) -> Callable[[MathCalls, ir.IRBuilder, ir.Value], ir.Value]:
    """``psi_n`` (n >= 1) in double: the steps of the registry reference
    (ir/ops_polygamma.py): the positive branch, reflection below 0, PyTorch's poles."""
    def build(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
        neg = b.fcmp_ordered("<", x, _c(x, 0.0))
        positive = _polygamma_positive(b, b.select(neg, b.fsub(_c(x, 1.0), x), x), n)
        near = b.fsub(x, m.call(b, "roundeven", [x]))  # exact: cot(pi x) has period 1
        pix = b.fmul(near, _c(x, math.pi))
        cot = b.fdiv(_c(x, 1.0), m.call(b, "tan", [pix], prefer="libm"))
        q = _c(x, 0.0)
        for c in reversed(cot_derivative(n)):
            q = b.fadd(b.fmul(q, cot), _c(x, float(c)))
        reflected = b.fsub(b.fmul(positive, _c(x, float((-1) ** n))),
                           b.fmul(q, _c(x, math.pi ** (n + 1))))
        out = b.select(neg, reflected, positive)
        at_pole = b.and_(b.fcmp_ordered("<=", x, _c(x, 0.0)),
                         b.fcmp_ordered("==", x, m.call(b, "floor", [x])))
        out = b.select(at_pole, _c(x, pole_value(n)), out)
        return b.select(b.fcmp_ordered("==", x, _c(x, math.inf)), _c(x, math.nan), out)
    build.__name__ = f"polygamma{n}"
    return in_double(build)


def _lgamma_positive(m: MathCalls, b: ir.IRBuilder, z: ir.Value) -> ir.Value:
    one = _c(z, 1.0)
    shift = b.fcmp_ordered("<", z, _c(z, float(LGAMMA_SHIFT)))
    prod = z
    for k in range(1, LGAMMA_SHIFT):
        prod = b.fmul(prod, b.fadd(z, _c(z, float(k))))
    w = b.select(shift, b.fadd(z, _c(z, float(LGAMMA_SHIFT))), z)
    inv = b.fdiv(one, w)
    series = b.fmul(_poly(b, STIRLING, b.fmul(inv, inv)), inv)
    log_w = m.call(b, "log", [w])
    stirling = b.fadd(b.fsub(b.fmul(b.fsub(w, _c(z, 0.5)), log_w), w),
                      b.fadd(_c(z, HALF_LOG_2PI), series))
    return b.select(shift, b.fsub(stirling, m.call(b, "log", [prod])), stirling)


def lgamma(m: MathCalls, b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """(double) see the module docstring."""
    neg = b.fcmp_ordered("<", x, _c(x, 0.0))
    z = b.select(neg, b.fsub(_c(x, 1.0), x), x)
    positive = _lgamma_positive(m, b, z)
    sin_pi = m.call(b, "fabs", [m.call(b, "sinpi", [x])])
    log_ratio = b.fsub(_c(x, math.log(math.pi)), m.call(b, "log", [sin_pi]))  # no overflow
    reflected = b.fsub(log_ratio, positive)
    out = b.select(neg, reflected, positive)
    tiny = b.fcmp_ordered("<", m.call(b, "fabs", [x]), _c(x, 2.0 ** -60))  # -log|x| exactly
    out = b.select(tiny, b.fneg(m.call(b, "log", [m.call(b, "fabs", [x])])), out)
    pole = b.and_(b.fcmp_ordered("<=", x, _c(x, 0.0)),
                  b.fcmp_ordered("==", x, m.call(b, "floor", [x])))
    inf = b.fcmp_ordered("==", m.call(b, "fabs", [x]), _c(x, math.inf))
    return b.select(b.or_(pole, inf), _c(x, math.inf), out)
