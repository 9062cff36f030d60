"""Special functions of issue 13's API breadth, as Tensor methods, ``torch.X`` functions and
in-place forms: ``gcd``/``lcm``, ``i0``, ``igamma``/``igammac``, ``mvlgamma``, ``nextafter``.

``mvlgamma`` is a composite of ``lgamma``. The others have no registry op: their values come
from NumPy (the incomplete gamma functions from their power series and continued fraction),
and their derivatives, where PyTorch has them, from ``autograd.Function`` backward passes
(``i0' = i1``, ``d igamma(a, x)/dx = x^(a-1) e^-x / Gamma(a)``, ``nextafter`` passes the
gradient to ``input``). They run eagerly: inside tenkai.compile they raise NotImplementedError.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _trace
from ._math import lgamma
from ._ops import _floating, add, as_tensor_arg, exp, log, mul, neg, promote, sub, tensor_of
from ._shape import named
from ._tensor import Tensor
from .autograd.function import Function


def _legacy(t: Tensor) -> str:
    return t.dtype._legacy.removesuffix("Tensor")


def _no_grad_eager(op: str) -> None:
    if _trace.active() is not None:
        raise NotImplementedError(f"{op}: not supported inside tenkai.compile (no registry op); "
                                  "compute it outside the compiled function")


def _integer_binary(op: str, input: Tensor, other: Tensor, fn: Any) -> Tensor:
    (a, b), dt = promote(input, other)
    if a._data.dtype.kind not in "iu":
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'{_legacy(a)}\'')
    _no_grad_eager(op)
    return Tensor._make(np.asarray(fn(a._data, b._data), dtype=a._data.dtype))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor, elementwise (integer tensors)."""
    return _integer_binary("gcd", input, other, np.gcd)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple, elementwise (integer tensors)."""
    return _integer_binary("lcm", input, other, np.lcm)


def _i1(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind, order 1, by its power series
    ``sum_k (x/2)^(2k+1) / (k! (k+1)!)`` summed in log space (no overflow of the terms)."""
    ax = np.abs(x.astype(np.float64)).reshape(-1, 1)
    terms = int(ax.max(initial=0.0) / 2) + 60
    k = np.arange(terms, dtype=np.float64)
    log_fact = np.array([math.lgamma(v + 1) + math.lgamma(v + 2) for v in k])
    with np.errstate(divide="ignore"):
        logs = (2 * k + 1) * np.log(ax / 2) - log_fact
    top = logs.max(axis=1, keepdims=True)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(over="ignore"):
        total = np.exp(safe[:, 0]) * np.exp(logs - safe).sum(axis=1)
    total = np.where(ax[:, 0] == 0, 0.0, total)
    return (np.sign(x.reshape(-1)) * total).reshape(x.shape)


class I0(Function):
    """i0 with its derivative i1."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return Tensor._make(np.i0(x._data).astype(x._data.dtype))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return mul(grad, tensor_of(_i1(x._data), x._ir_dtype))


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    x = _floating(as_tensor_arg(input))
    _no_grad_eager("i0")
    return I0.apply(x)


def _gamma_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The lower regularized incomplete gamma P(a, x) by its power series (x < a + 1)."""
    term = 1.0 / a
    total = term.copy()
    for n in range(1, 500):
        term = term * x / (a + n)
        total = total + term
    return total * np.exp(-x + a * np.log(x) - _lgamma(a))


def _gamma_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The upper regularized incomplete gamma Q(a, x) by its continued fraction (x >= a + 1),
    evaluated with the modified Lentz method."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / tiny)
    d = 1.0 / np.where(np.abs(b) < tiny, tiny, b)
    h = d.copy()
    for i in range(1, 500):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        h = h * d * c
    return h * np.exp(-x + a * np.log(x) - _lgamma(a))


def _lgamma(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.lgamma, otypes=[np.float64])(a)


def _igamma(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    series = ok & (x < a + 1)
    fraction = ok & ~series
    with np.errstate(all="ignore"):
        p = _gamma_series(np.where(series, a, 1.0), np.where(series, x, 0.5))
        q = _gamma_fraction(np.where(fraction, a, 1.0), np.where(fraction, x, 2.0))
    out[series] = (1.0 - p[series]) if upper else p[series]
    out[fraction] = q[fraction] if upper else 1.0 - q[fraction]
    out[(x == 0) & (a > 0)] = 1.0 if upper else 0.0
    out[(a == 0) & (x > 0)] = 0.0 if upper else 1.0
    out[np.isposinf(x) & (a > 0)] = 0.0 if upper else 1.0
    return out


class Igamma(Function):
    """The regularized incomplete gamma functions; differentiable in ``other`` only (as in
    PyTorch: the derivative in ``input`` is not implemented there either)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, x: Tensor, upper: bool) -> Tensor:
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return Tensor._make(_igamma(a._data, x._data, upper).astype(a._data.dtype))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, x = ctx.saved_tensors
        op = "igammac" if ctx.upper else "igamma"
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{op}: input' is not implemented.")
        density = exp(sub(sub(mul(sub(a, 1.0), log(x)), x), lgamma(a)))
        dx = mul(grad, neg(density) if ctx.upper else density)
        return None, dx, None


def _igamma_op(op: str, input: Tensor, other: Tensor, upper: bool) -> Tensor:
    (a, x), dt = promote(input, other)
    a, x = _floating(a), _floating(x)
    _no_grad_eager(op)
    return Igamma.apply(a, x, upper)


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """The lower regularized incomplete gamma function P(input, other)."""
    return _igamma_op("igamma", input, other, upper=False)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """The upper regularized incomplete gamma function Q(input, other)."""
    return _igamma_op("igammac", input, other, upper=True)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _floating(as_tensor_arg(input))
    if x.numel() and not bool(np.all(x._data > (p - 1) / 2)):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    out = tensor_of(p * (p - 1) / 4 * math.log(math.pi), x._ir_dtype)
    for j in range(p):
        out = add(out, lgamma(sub(x, j / 2)))
    return named(out, "MvlgammaBackward0", x)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next float after ``input`` towards ``other``."""
    (a, b), dt = promote(input, other)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{_legacy(a)}\'')
    _no_grad_eager("nextafter")
    return Nextafter.apply(a, b)


class Nextafter(Function):
    """nextafter: PyTorch passes the gradient to ``input`` unchanged, none to ``other``."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> Tensor:
        return Tensor._make(np.nextafter(a._data, b._data))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad, None


METHODS = "gcd lcm i0 igamma igammac mvlgamma nextafter".split()
INPLACE = METHODS
FUNCTIONS = METHODS
MODULE_INPLACE = ["gcd", "lcm", "i0"]
