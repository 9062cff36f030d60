"""More elementwise math: inverse trigonometric and hyperbolic functions, ``log2``/``log10``,
``erfc``/``erfinv``, ``lgamma``/``digamma``/``trigamma``, the binary ``atan2``/``hypot``/
``fmod``/``copysign`` and the integer bitwise and shift ops.

As in ``ops_elementwise``: operands arrive with one dtype (the frontend promotes), float-only
ops reject integer operands (the frontend casts them to the default float dtype first).
Functions numpy lacks (``lgamma``, ``erfc``, ``erfinv``, ``digamma``, ``trigamma``) are
evaluated in float64 here with the same algorithms the codegen templates use.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from . import dtypes
from .errors import DTypeError
from .ops import ELEMENTWISE, OpDef, register, same_shape, unbroadcast
from .ops_elementwise import _broadcast, _float_input, _same_dtypes, _typed

# ---------------------------------------------------------------- float64 special functions

_lgamma_py = np.frompyfunc(lambda v: math.inf if v <= 0 and v == math.floor(v)
                           else math.lgamma(v), 1, 1)
_erfc_py = np.frompyfunc(math.erfc, 1, 1)
_erf_py = np.frompyfunc(math.erf, 1, 1)


@functools.cache
def scipy_special() -> Any:
    """``scipy.special`` when it is installed, else None. Its vectorized float64 ``erf``,
    ``erfc`` and ``gammaln`` compute what ``math.erf``/``math.erfc``/``math.lgamma`` do
    element by element (the fallbacks, ~100x slower on large arrays)."""
    try:
        from scipy import special
    except ImportError:
        return None
    return special


def _lgamma_scalar(x: np.ndarray) -> np.ndarray:
    special = scipy_special()
    if special is None:
        return _lgamma_py(x)
    return np.where(x == -math.inf, math.inf, special.gammaln(x))  # lgamma(-inf) = inf


def _erfc_scalar(x: np.ndarray) -> np.ndarray:
    special = scipy_special()
    return _erfc_py(x) if special is None else special.erfc(x)


def _erf_scalar(x: np.ndarray) -> np.ndarray:
    special = scipy_special()
    return _erf_py(x) if special is None else special.erf(x)


def _f64(fn):
    """A float64 evaluation of ``fn`` returned in the input's dtype (0-d stays an array)."""
    def ref(x: np.ndarray) -> np.ndarray:
        out = fn(np.asarray(x, dtype=np.float64))
        return np.asarray(np.asarray(out, dtype=np.float64), dtype=x.dtype)
    return ref


# digamma / trigamma: shift the argument past SHIFT with the recurrence, then the asymptotic
# series (terms to x^-12 / x^-13 leave < 1e-15 relative error there); negative arguments
# use the reflection formulas. codegen/templates_libm.py evaluates the same steps.
SHIFT = 10
DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760)  # x^-2k
TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)  # x^-(2k+1)


def _digamma64(x: np.ndarray) -> np.ndarray:
    neg = x < 0
    xr = np.where(neg, 1 - x, x)
    acc = np.zeros_like(xr)
    for k in range(SHIFT):
        acc -= 1 / (xr + k)
    z = xr + SHIFT
    inv2 = 1 / (z * z)
    series = np.zeros_like(z)
    for c in reversed(DIGAMMA_SERIES):
        series = (series + c) * inv2
    out = acc + np.log(z) - 0.5 / z - series
    out = np.where(neg, out - np.pi / np.tan(np.pi * x), out)
    return _digamma_poles(x, out)


def _digamma_poles(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """digamma at its poles as PyTorch: -inf at +0, +inf at -0, NaN at the negative integers."""
    with np.errstate(divide="ignore"):
        at_zero = -1 / x
    return np.where(x == 0, at_zero, np.where((x < 0) & (x == np.floor(x)), np.nan, out))


def _trigamma64(x: np.ndarray) -> np.ndarray:
    """The steps of the module's series, in place (the same operations and roundings, ~3x
    faster on 65536 values than with a new array per step)."""
    neg = x < 0
    any_neg = neg.any()
    xr = np.where(neg, 1 - x, x) if any_neg else x
    acc = np.zeros_like(xr)
    term = np.empty_like(xr)
    for k in range(SHIFT):  # acc += 1 / ((xr + k) * (xr + k))
        np.add(xr, k, out=term)
        np.multiply(term, term, out=term)
        np.divide(1, term, out=term)
        acc += term
    z = np.add(xr, SHIFT, out=np.empty_like(xr))  # (out=: 0-d inputs stay arrays)
    inv2 = np.multiply(z, z, out=np.empty_like(xr))
    np.divide(1, inv2, out=inv2)
    series = np.zeros_like(z)
    for c in reversed(TRIGAMMA_SERIES):  # series = (series + c) * inv2
        series += c
        series *= inv2
    np.divide(1, z, out=term)  # out = acc + 1 / z + 0.5 * inv2 + series / z
    acc += term
    np.multiply(0.5, inv2, out=term)
    acc += term
    series /= z
    acc += series
    out = np.where(neg, (np.pi / np.sin(np.pi * x)) ** 2 - acc, acc) if any_neg else acc
    return np.where((x <= 0) & (x == np.floor(x)), np.inf, out)


# erfinv: Giles' single-precision approximation ("Approximating the erfinv function", 2010)
# refined by two Newton steps on erf(x) - y, which gives float64 accuracy.
GILES_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                 -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
GILES_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
              -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)


def _poly(coeffs: tuple[float, ...], t: np.ndarray) -> np.ndarray:
    out = np.full_like(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = out * t + c
    return out


def _erfinv64(y: np.ndarray, newton: int = 2) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    w = -np.log((1 - y) * (1 + y))
    central = _poly(GILES_CENTRAL, w - 2.5)
    tail = _poly(GILES_TAIL, np.sqrt(np.maximum(w, 5.0)) - 3.0)
    x = np.where(w < 5.0, central, tail) * y
    for _ in range(newton):
        err = np.asarray(_erf_scalar(x), dtype=np.float64) - y
        x = x - err / (2 / math.sqrt(math.pi) * np.exp(-x * x))
    x = np.where(np.abs(y) == 1, np.copysign(np.inf, y), x)
    return np.where(np.abs(y) > 1, np.nan, x)


def _poly_inplace(coeffs: tuple[Any, ...], t: np.ndarray) -> np.ndarray:
    """:func:`_poly` with in-place steps (the same roundings, fewer temporaries)."""
    out = np.full_like(t, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out *= t
        out += c
    return out


def _erfinv32(y: np.ndarray) -> np.ndarray:
    """Giles' single-precision approximation evaluated in float32, as it was designed: within
    3.6 float32 ulps of erfinv (PyTorch's float32 kernel: 1). The tail polynomial is evaluated
    only when some ``w`` reaches it (``|y| > 0.9966``)."""
    w = (1 - y) * (1 + y)
    np.log(w, out=w)
    np.negative(w, out=w)
    central = w < 5.0
    if central.all():
        out = _poly_inplace(GILES_CENTRAL_F32, w - np.float32(2.5))
        out *= y
        return out
    x = np.where(central, _poly_inplace(GILES_CENTRAL_F32, w - np.float32(2.5)),
                 _poly_inplace(GILES_TAIL_F32,
                               np.sqrt(np.maximum(w, np.float32(5.0))) - np.float32(3.0))) * y
    x = np.where(np.abs(y) == 1, np.copysign(np.float32(np.inf), y), x)
    return np.where(np.abs(y) > 1, np.float32(np.nan), x)


GILES_CENTRAL_F32 = tuple(np.float32(c) for c in GILES_CENTRAL)
GILES_TAIL_F32 = tuple(np.float32(c) for c in GILES_TAIL)


def _erfinv_scipy(special: Any, y: np.ndarray) -> np.ndarray:
    """scipy's ``erfinv`` in ``y``'s dtype: float64 in float64 (within 2 ulps), float32 and
    float16 in float32 (within 3 float32 ulps, as Giles' approximation, ~35x faster at small
    sizes; ~1.5x slower on 65536 elements). Out-of-domain entries are masked before the call
    (scipy's domain-error path is ~100x slower); zeros keep their sign, as in PyTorch."""
    work = np.asarray(y, dtype=np.float64 if y.dtype == np.float64 else np.float32)
    if work.size <= ERFINV_UNMASKED_MAX or np.abs(work).max() <= 1:  # (a nan fails it too)
        out = special.erfinv(work)
    else:
        inside = np.abs(work) <= 1
        out = np.where(inside, special.erfinv(np.where(inside, work, 0)), np.nan)
    out = np.asarray(out, dtype=work.dtype)
    np.copysign(out, work, out=out)  # erfinv is odd: -0 -> -0 (scipy gives +0)
    return np.asarray(out, dtype=y.dtype)


# Up to this many elements erfinv skips the domain mask: scipy gives the same nan outside
# [-1, 1], its slow domain-error path costs less than the two numpy calls of the check
ERFINV_UNMASKED_MAX = 256
# From this many elements float32/float16 erfinv runs Giles' approximation in numpy (at 65536
# elements ~8x faster than scipy's float32 erfinv, which is ~10x faster below ~100 elements);
# both are within 3.6 float32 ulps of erfinv.
ERFINV_GILES_MIN = 2048


def _erfinv_ref(y: np.ndarray) -> np.ndarray:
    """With scipy: its erfinv (see :func:`_erfinv_scipy`), except for float32/float16 arrays
    of :data:`ERFINV_GILES_MIN` elements or more (Giles in float32, :func:`_erfinv32`).
    Without: float64 by Giles + two Newton steps (float64 accuracy); float32/float16 by Giles
    in float32 (within 3.6 ulps)."""
    special = scipy_special()
    small = y.size < ERFINV_GILES_MIN
    if special is not None and (y.dtype == np.float64 or small):
        return _erfinv_scipy(special, y)
    if y.dtype == np.float64:
        return _erfinv64(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(_erfinv32(np.asarray(y, dtype=np.float32)), dtype=y.dtype)


def _digamma_ref(x: np.ndarray) -> np.ndarray:
    """digamma in float64, returned in ``x``'s dtype: scipy's ``psi`` when installed (about
    7x faster than the series), with PyTorch's values at the poles (-inf at +0, +inf at -0,
    NaN at the negative integers)."""
    special = scipy_special()
    if special is not None and x.dtype in (np.float32, np.float64) and x.size \
            and np.fmin.reduce(x, axis=None) > 0:
        # no poles, no nan (fmin skips nans, but then the psi of a nan is nan, as PyTorch):
        # scipy's float32 loop evaluates its float64 psi and rounds once, as below
        return np.asarray(special.psi(x), dtype=x.dtype)
    xd = np.asarray(x, dtype=np.float64)
    out = _digamma64(xd) if special is None else _digamma_poles(xd, special.psi(xd))
    return np.asarray(out, dtype=x.dtype)


def _lgamma_ref(x: np.ndarray) -> np.ndarray:
    special = scipy_special()
    if special is not None and x.dtype == np.float32:
        # scipy's float32 loop evaluates its float64 gammaln and rounds once: the same bits
        # as the float64 route below, ~1.4x faster on large arrays
        out = np.asarray(special.gammaln(x))
        if out.size and np.fmin.reduce(out, axis=None) == -math.inf:  # (fmin: past nans)
            out = np.where(out == -math.inf, np.float32(math.inf), out)  # lgamma(-inf) = inf
        return out
    xd = np.asarray(x, dtype=np.float64)
    out = _lgamma_scalar(xd)
    return np.asarray(np.asarray(out, dtype=np.float64), dtype=x.dtype)


# ---------------------------------------------------------------- unary float ops


def _unary(name: str, ref, vjp) -> None:
    register(OpDef(name, 1, ELEMENTWISE, same_shape, _float_input(name), ref, vjp))


def _c(b, value: float, like) -> Any:
    return b.scalar(value, like.dtype)


def _one_minus_sq(b, x):
    return b.sub(_c(b, 1, x), b.mul(x, x))


_unary("tan", _typed(np.tan), lambda b, g, out, x: (b.mul(g, b.add(_c(b, 1, x), b.mul(out, out))),))
_unary("asin", _typed(np.arcsin), lambda b, g, out, x: (b.mul(g, b.rsqrt(_one_minus_sq(b, x))),))
_unary("acos", _typed(np.arccos),
       lambda b, g, out, x: (b.neg(b.mul(g, b.rsqrt(_one_minus_sq(b, x)))),))
_unary("atan", _typed(np.arctan),
       lambda b, g, out, x: (b.div(g, b.add(_c(b, 1, x), b.mul(x, x))),))
_unary("sinh", _typed(np.sinh), lambda b, g, out, x: (b.mul(g, b.cosh(x)),))
_unary("cosh", _typed(np.cosh), lambda b, g, out, x: (b.mul(g, b.sinh(x)),))
_unary("asinh", _typed(np.arcsinh),
       lambda b, g, out, x: (b.mul(g, b.rsqrt(b.add(b.mul(x, x), _c(b, 1, x)))),))
_unary("acosh", _typed(np.arccosh),
       lambda b, g, out, x: (b.mul(g, b.rsqrt(b.sub(b.mul(x, x), _c(b, 1, x)))),))
_unary("atanh", _typed(np.arctanh), lambda b, g, out, x: (b.div(g, _one_minus_sq(b, x)),))
_unary("log2", _typed(np.log2),
       lambda b, g, out, x: (b.div(g, b.mul(x, _c(b, math.log(2), x))),))
_unary("log10", _typed(np.log10),
       lambda b, g, out, x: (b.div(g, b.mul(x, _c(b, math.log(10), x))),))
_unary("erfc", _f64(_erfc_scalar), lambda b, g, out, x: (b.mul(
    g, b.mul(_c(b, -2 / math.sqrt(math.pi), x), b.exp(b.neg(b.mul(x, x))))),))
_unary("erfinv", _erfinv_ref, lambda b, g, out, x: (b.mul(
    g, b.mul(_c(b, math.sqrt(math.pi) / 2, x), b.exp(b.mul(out, out)))),))
_unary("lgamma", _lgamma_ref, lambda b, g, out, x: (b.mul(g, b.digamma(x)),))
_unary("digamma", _digamma_ref, lambda b, g, out, x: (b.mul(g, b.trigamma(x)),))
# trigamma is polygamma of order 1: its derivative is the order-2 op (ir/ops_polygamma.py)
_unary("trigamma", _f64(_trigamma64), lambda b, g, out, x: (b.mul(g, b.polygamma(x, n=2)),))

# ---------------------------------------------------------------- binary float ops


def _binary(name: str, ref, vjp, float_only: bool = True) -> None:
    register(OpDef(name, 2, ELEMENTWISE, _broadcast(name),
                   _same_dtypes(name, float_only=float_only), ref, vjp))


def _atan2_vjp(b, g, out, y, x):
    r2 = b.add(b.mul(x, x), b.mul(y, y))
    return (unbroadcast(b, b.div(b.mul(g, x), r2), y.shape),
            unbroadcast(b, b.neg(b.div(b.mul(g, y), r2)), x.shape))


def _hypot_vjp(b, g, out, x, y):
    scale = b.div(g, out)
    return unbroadcast(b, b.mul(scale, x), x.shape), unbroadcast(b, b.mul(scale, y), y.shape)


def _fmod_vjp(b, g, out, x, y):
    # x - trunc(x / y) * y: d/dy is -trunc(x / y), as PyTorch's FmodBackward1
    return (unbroadcast(b, g, x.shape),
            unbroadcast(b, b.neg(b.mul(g, b.trunc(b.div(x, y)))), y.shape))


def _copysign_vjp(b, g, out, x, y):
    # PyTorch: grad * out / x, 0 where x == 0; the sign operand gets a zero gradient
    zero = _c(b, 0, x)
    ratio = b.where(b.eq(x, zero), zero, b.div(out, x))
    return (unbroadcast(b, b.mul(g, ratio), x.shape),
            b.full(shape=tuple(y.shape), value=0.0, dtype=y.dtype))


def _same(fn):
    def ref(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x, y), dtype=x.dtype)
    return ref


def _fmod_ref(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "iu" and not np.all(y):
        raise ZeroDivisionError("fmod: integer division by zero (ZeroDivisionError)")
    if x.dtype == np.float32 and x.size >= FMOD_F64_MIN:
        out = _fmod_f32_by_f64(x, y)
        if out is not None:
            return out
    return np.asarray(np.fmod(x, y), dtype=x.dtype)


# From this many elements float32 fmod runs :func:`_fmod_f32_by_f64` (65536 elements: ~3x
# faster than numpy's fmodf loop, which calls libm per element)
FMOD_F64_MIN = 4096


def _fmod_f32_by_f64(x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """float32 ``fmod`` bit for bit as ``np.fmod``, as ``x - trunc(x / y) * y`` in float64;
    None (use ``np.fmod``) unless every quotient is finite and below 2**28. Why it is exact
    there: ``x / y`` of float32 values is at least 2**-24 away from any integer it is not
    (relative to ``y``), more than the float64 rounding of a quotient below 2**28, so the
    truncated quotient ``q`` is exact; ``q * y`` (28 x 24 bits) is exact; the difference is
    the true remainder, a float32 value, so the subtraction is exact too. ``copysign`` gives
    a zero remainder the dividend's sign, as C's fmod."""
    q = np.divide(x, y, dtype=np.float64)
    np.trunc(q, out=q)
    with np.errstate(invalid="ignore"):
        if not np.abs(q).max() < 2.0 ** 28:  # (nan, inf: fall back)
            return None
    q *= y
    np.subtract(x, q, out=q)
    out = q.astype(np.float32)
    return np.copysign(out, x, out=out)


_binary("atan2", _same(np.arctan2), _atan2_vjp)
def _hypot_ref(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float32: ``sqrt(x*x + y*y)`` in float64, rounded once more to float32 (squares and sum
    cannot overflow or lose bits there: the float32 result is hypot correctly rounded but for
    rare double roundings, ~1.5x faster than numpy's hypotf loop); a non-finite result, other
    dtypes and small arrays: ``np.hypot``."""
    if x.dtype != np.float32 or x.size < 4096:
        return np.asarray(np.hypot(x, y), dtype=x.dtype)
    sq = np.square(x, dtype=np.float64)
    sq += np.square(y, dtype=np.float64)
    np.sqrt(sq, out=sq)
    out = sq.astype(np.float32)
    if not np.isfinite(out).all():  # inf beats nan in hypot; overflow: numpy's loop decides
        return np.asarray(np.hypot(x, y), dtype=x.dtype)
    return out


_binary("hypot", _hypot_ref, _hypot_vjp)
_binary("fmod", _fmod_ref, _fmod_vjp, float_only=False)
_binary("copysign", _same(np.copysign), _copysign_vjp)

# ---------------------------------------------------------------- bitwise and shifts


def _integral(op: str, allow_bool: bool = True):
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        dt = _same_dtypes(op)(dts, attrs)
        if dtypes.is_float(dt) or (dt == "bool" and not allow_bool):
            raise DTypeError(f"{op}: \"{op}_cpu\" not implemented for '{dt}'; bitwise ops take "
                             "integer" + (" or bool" if allow_bool else "") + " tensors")
        return dt
    return rule


for _name, _fn in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                   ("bitwise_xor", np.bitwise_xor)]:
    register(OpDef(_name, 2, ELEMENTWISE, _broadcast(_name), _integral(_name), _same(_fn), None))


def _bitwise_not_rule(dts: list[str], attrs: dict[str, Any]) -> str:
    return _integral("bitwise_not")(dts, attrs)


register(OpDef("bitwise_not", 1, ELEMENTWISE, same_shape, _bitwise_not_rule,
               lambda x: np.asarray(np.invert(x), dtype=x.dtype), None))


def _shift_ref(left: bool):
    """PyTorch's shifts: a shift by the bit width or more (or negative) gives 0 to the left,
    the sign fill to the right."""
    def ref(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        bits = x.dtype.itemsize * 8
        if y.size and y.min() >= 0 and y.max() < bits:  # the common case: all in range
            shift = np.left_shift if left else np.right_shift
            return np.asarray(shift(x, y.astype(x.dtype, copy=False)), dtype=x.dtype)
        ok = (y >= 0) & (y < bits)
        safe = np.where(ok, y, 0).astype(x.dtype)
        if left:
            out = np.where(ok, np.left_shift(x, safe), 0)
        else:
            out = np.where(ok, np.right_shift(x, safe), np.right_shift(x, bits - 1))
        return np.asarray(out, dtype=x.dtype)
    return ref


for _name, _left in [("bitwise_left_shift", True), ("bitwise_right_shift", False)]:
    register(OpDef(_name, 2, ELEMENTWISE, _broadcast(_name), _integral(_name, False),
                   _shift_ref(_left), None))
