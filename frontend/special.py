"""``tenkai.special``: PyTorch's ``torch.special`` functions, as composites of tenkai ops (so
they differentiate and compile like the rest).

Example::

    >>> import tenkai as torch
    >>> torch.special.expit(torch.tensor([0.0]))
    tensor([0.5000])

Not here yet: the Bessel functions other than ``i0``, the Airy and zeta functions. ``i0``,
``gammainc`` and ``gammaincc`` are ``tenkai.i0`` / ``igamma`` / ``igammac`` (eager only).
"""

from __future__ import annotations

import math
from typing import Any

from . import _composite, _math, _ops, _reduce
from ._api_tensor_special import i0, igamma, igammac
from ._creation import full_like, ones_like, zeros_like
from ._dtype import float64
from ._out import with_out, write_out
from ._shape import named
from ._tensor import Tensor

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv",
           "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
           "hermite_polynomial_he", "i0", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "sinc", "softmax", "xlog1py", "xlogy"]

_SQRT2 = math.sqrt(2.0)


def _t(x: Any, op: str) -> Tensor:
    return _ops.as_tensor_arg(x, op)


def _float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.float()


erf = with_out(lambda input: _t(input, "special.erf").erf())
erfc = with_out(lambda input: _t(input, "special.erfc").erfc())
erfinv = with_out(lambda input: _t(input, "special.erfinv").erfinv())
expit = with_out(lambda input: _t(input, "special.expit").sigmoid())
exp2 = with_out(lambda input: _ops.pow(2.0, _float(_t(input, "special.exp2"))))
expm1 = with_out(lambda input: _t(input, "special.expm1").expm1())
log1p = with_out(lambda input: _t(input, "special.log1p").log1p())
gammaln = with_out(lambda input: _t(input, "special.gammaln").lgamma())
digamma = with_out(lambda input: _t(input, "special.digamma").digamma())
psi = digamma
sinc = with_out(lambda input: _math.sinc(_t(input, "special.sinc")))
round = with_out(lambda input, *, decimals=0: _round(_t(input, "special.round"), decimals))
for _name, _fn in (("erf", erf), ("erfc", erfc), ("erfinv", erfinv), ("expit", expit),
                   ("exp2", exp2), ("expm1", expm1), ("log1p", log1p), ("gammaln", gammaln),
                   ("digamma", digamma), ("sinc", sinc), ("round", round)):
    _fn.__name__ = _fn.__qualname__ = _name


def _round(x: Tensor, decimals: int) -> Tensor:
    """Round half to even at ``decimals`` places, as torch.round(decimals=)."""
    if decimals == 0:
        return x.round()
    scale = 10.0 ** decimals
    return (x * scale).round() / scale


gammainc = with_out(lambda input, other: igamma(input, other))
gammaincc = with_out(lambda input, other: igammac(input, other))
gammainc.__name__, gammaincc.__name__ = "gammainc", "gammaincc"


@with_out
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    return _math.logit(_t(input, "special.logit"), eps)


@with_out
def xlogy(input: Any, other: Any) -> Tensor:
    return _math.xlogy(input, other)


@with_out
def xlog1py(input: Any, other: Any) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (nan where ``other`` is nan)."""
    (x, y), _ = _ops.promote(input, other)
    x, y = _float(x), _float(y)
    out = _ops.where((x == 0) & ~y.isnan(), zeros_like(x * y), x * y.log1p())
    name = "SpecialXlog1PyBackward0" if isinstance(input, Tensor) and isinstance(other, Tensor) \
        else ("SpecialXlog1PyBackward2" if isinstance(input, Tensor) else "SpecialXlog1PyBackward1")
    return named(out, name, input, other)


@with_out
def polygamma(n: int, input: Tensor) -> Tensor:
    return _math.polygamma(n, input)


@with_out
def multigammaln(input: Tensor, p: int) -> Tensor:
    """``log`` of the multivariate gamma function of dimension ``p``."""
    x = _float(_t(input, "special.multigammaln"))
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    total = x.lgamma()
    for j in range(1, p):
        total = total + (x - j / 2).lgamma()
    return total + p * (p - 1) / 4 * math.log(math.pi)


@with_out
def entr(input: Tensor) -> Tensor:
    """``-x log x`` for x > 0, 0 at 0, -inf for x < 0."""
    x = _float(_t(input, "special.entr"))
    safe = _ops.where(x > 0, x, ones_like(x))
    out = _ops.where(x > 0, -x * safe.log(), zeros_like(x))
    return named(_ops.where(x < 0, full_like(x, -math.inf), out), "SpecialEntrBackward0", x)


@with_out
def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF."""
    x = _float(_t(input, "special.ndtr"))
    return 0.5 * (1 + (x / _SQRT2).erf())


@with_out
def ndtri(input: Tensor) -> Tensor:
    """The inverse of :func:`ndtr` (the standard normal quantile)."""
    p = _float(_t(input, "special.ndtri"))
    # 2p - 1 cancels near p = 0 in float32: computed in float64 and rounded once
    return (_SQRT2 * (2 * p.double() - 1).erfinv()).to(p.dtype)


@with_out
def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(x))``, accurate in the left tail (via ``erfc``, and the asymptotic series
    where ``erfc`` underflows)."""
    x = _float(_t(input, "special.log_ndtr"))
    mid = (0.5 * (-x / _SQRT2).erfc()).log()
    # far left tail: log(phi(x)/-x * (1 - 1/x^2 + 3/x^4)), phi the normal density
    z = _ops.where(x < -20, x, full_like(x, -20.0))
    tail = (-0.5 * z * z - math.log(math.sqrt(2 * math.pi)) - (-z).log()
            + (1 - 1 / (z * z) + 3 / (z * z * z * z)).log())
    return _ops.where(x < -20, tail, mid)


@with_out
def erfcx(input: Tensor) -> Tensor:
    """``exp(x^2) * erfc(x)``, with its asymptotic series for large x (no overflow)."""
    x = _float(_t(input, "special.erfcx"))
    cut = 25.0 if x.dtype == float64 else 9.0  # where erfc(x) would underflow
    small = _ops.where(x < cut, x, zeros_like(x))
    direct = (small * small).exp() * small.erfc()
    big = _ops.where(x >= cut, x, full_like(x, cut))
    inv = 1 / (2 * big * big)
    series, term = ones_like(big), ones_like(big)
    for k in range(1, 6):  # 1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + ...
        term = term * (-(2 * k - 1)) * inv
        series = series + term
    return _ops.where(x >= cut, series / (big * math.sqrt(math.pi)), direct)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _composite.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _composite.log_softmax(input, dim, dtype)


@with_out
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return _reduce.logsumexp(input, dim, keepdim)


# ---------------------------------------------------------------- orthogonal polynomials


def _degree(n: Any, op: str) -> int:
    if isinstance(n, Tensor):
        if n.numel() != 1:
            raise NotImplementedError(f"special.{op}: a tensor of degrees n (one per element) "
                                      "is not supported by tenkai; pass an int or a "
                                      "one-element tensor")
        n = n.item()
    if n != int(n):
        raise ValueError(f"special.{op}: the degree n must be an integer, got {n}")
    return int(n)


def _recurrence(op: str, x: Any, n: Any, p0: Any, p1: Any, step: Any) -> Tensor:
    """``p_n`` from ``p_0``, ``p_1`` and ``p_{k+1} = step(k, x, p_k, p_{k-1})``; negative n
    gives 0 as in PyTorch."""
    x = _float(_t(x, f"special.{op}"))
    k = _degree(n, op)
    if k < 0:
        return zeros_like(x)
    prev = p0(x)
    if k == 0:
        return prev
    cur = p1(x)
    for j in range(1, k):
        prev, cur = cur, step(j, x, cur, prev)
    return cur


def _ones(x: Tensor) -> Tensor:
    return ones_like(x)


def _chebyshev(name: str, first: Any, shifted: bool = False) -> Any:
    def fn(input: Tensor, n: Any, *, out: Tensor | None = None) -> Tensor:
        x = _float(_t(input, f"special.{name}"))
        result = _recurrence(name, 2 * x - 1 if shifted else x, n, _ones, first,
                             lambda j, x, p, q: 2 * x * p - q)
        return result if out is None else write_out(name, result, out)
    fn.__name__ = fn.__qualname__ = name
    return fn


chebyshev_polynomial_t = _chebyshev("chebyshev_polynomial_t", lambda x: x)
chebyshev_polynomial_u = _chebyshev("chebyshev_polynomial_u", lambda x: 2 * x)
chebyshev_polynomial_v = _chebyshev("chebyshev_polynomial_v", lambda x: 2 * x - 1)
chebyshev_polynomial_w = _chebyshev("chebyshev_polynomial_w", lambda x: 2 * x + 1)
shifted_chebyshev_polynomial_t = _chebyshev("shifted_chebyshev_polynomial_t", lambda x: x, True)
shifted_chebyshev_polynomial_u = _chebyshev("shifted_chebyshev_polynomial_u", lambda x: 2 * x,
                                            True)
shifted_chebyshev_polynomial_v = _chebyshev("shifted_chebyshev_polynomial_v",
                                            lambda x: 2 * x - 1, True)
shifted_chebyshev_polynomial_w = _chebyshev("shifted_chebyshev_polynomial_w",
                                            lambda x: 2 * x + 1, True)


@with_out
def hermite_polynomial_h(input: Tensor, n: Any) -> Tensor:
    """The physicists' Hermite polynomial ``H_n``."""
    return _recurrence("hermite_polynomial_h", input, n, _ones, lambda x: 2 * x,
                       lambda j, x, p, q: 2 * x * p - 2 * j * q)


@with_out
def hermite_polynomial_he(input: Tensor, n: Any) -> Tensor:
    """The probabilists' Hermite polynomial ``He_n``."""
    return _recurrence("hermite_polynomial_he", input, n, _ones, lambda x: x,
                       lambda j, x, p, q: x * p - j * q)


@with_out
def laguerre_polynomial_l(input: Tensor, n: Any) -> Tensor:
    return _recurrence("laguerre_polynomial_l", input, n, _ones, lambda x: 1 - x,
                       lambda j, x, p, q: ((2 * j + 1 - x) * p - j * q) / (j + 1))


@with_out
def legendre_polynomial_p(input: Tensor, n: Any) -> Tensor:
    return _recurrence("legendre_polynomial_p", input, n, _ones, lambda x: x,
                       lambda j, x, p, q: ((2 * j + 1) * x * p - j * q) / (j + 1))
