"""``polygamma``: the n-th derivative of digamma (n >= 1; ``trigamma`` is n = 1), registered with
its attribute ``n``; its gradient is ``polygamma`` of order ``n + 1``.

For ``x > 0``, ``psi_n(x) = (-1)^(n+1) n! zeta(n+1, x)`` with the Hurwitz zeta function summed
directly up to ``x + polygamma_shift(n)`` and then by the Euler-Maclaurin tail
``z^(-n)/n + z^(-n-1)/2 + sum_j B_2j/(2j)! (n+1)(n+2)...(n+2j-1) z^(-n-2j)``. For ``x < 0``
the reflection formula ``psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) Q_n(cot(pi x))``, where
``d^n/dx^n cot(pi x) = pi^n Q_n(cot(pi x))`` (cot taken at ``x - rint(x)``, an exact
difference, so a large ``|x|`` loses no bits in ``pi x``). As PyTorch: ``(-1)^(n+1) inf`` at
the poles (0, -1, -2, ... and -inf), NaN at +inf. codegen/scalar/special.py builds the same
steps.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .ops import ELEMENTWISE, REQUIRED, OpDef, register, same_shape
from .ops_elementwise import _float_input

SHIFT = 10
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B_2j


def polygamma_shift(n: int) -> int:
    """Terms summed directly before the tail: the tail's terms then shrink fast for order n."""
    return SHIFT + 2 * n


@functools.cache
def tail_coefficients(n: int) -> tuple[float, ...]:
    """``B_2j/(2j)! (n+1)(n+2)...(n+2j-1)`` for j = 1, 2, ...: the tail's ``z^(-n-2j)`` terms
    (divided by n!, which the caller multiplies back)."""
    out = []
    for j, bernoulli in enumerate(BERNOULLI, start=1):
        rising = math.prod(range(n + 1, n + 2 * j))
        out.append(bernoulli / math.factorial(2 * j) * rising)
    return tuple(out)


@functools.cache
def cot_derivative(n: int) -> tuple[int, ...]:
    """Coefficients (lowest power first) of ``Q_n`` with ``d^n/dx^n cot(pi x) = pi^n
    Q_n(cot(pi x))``: ``Q_0(c) = c``, ``Q_(k+1)(c) = -(1 + c^2) Q_k'(c)``."""
    q = [0, 1]
    for _ in range(n):
        deriv = [i * q[i] for i in range(1, len(q))] or [0]
        nxt = [0] * (len(deriv) + 2)
        for i, c in enumerate(deriv):
            nxt[i] -= c
            nxt[i + 2] -= c
        q = nxt
    return tuple(q)


def pole_value(n: int) -> float:
    """``(-1)^(n+1) inf``: PyTorch's value at the poles."""
    return math.inf if n % 2 else -math.inf


def _positive(x: np.ndarray, n: int) -> np.ndarray:
    """``psi_n(x)`` for ``x > 0`` (float64)."""
    s, shift = n + 1, polygamma_shift(n)
    acc = np.zeros_like(x)
    for k in range(shift):
        acc += 1 / (x + k) ** s
    z = x + shift
    w = 1 / z
    w2 = w * w
    coeffs = tail_coefficients(n)
    series = np.full_like(x, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        series = series * w2 + c
    tail = w ** s * (z / n + 0.5 + w * series)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.factorial(n) * (acc + tail)


def polygamma64(x: np.ndarray, n: int) -> np.ndarray:
    """``psi_n(x)`` in float64 for ``n >= 1`` (see the module docstring)."""
    with np.errstate(all="ignore"):
        neg = x < 0
        out = _positive(np.where(neg, 1 - x, x), n)
        if neg.any():
            cot = 1 / np.tan(np.pi * (x - np.rint(x)))  # exact reduction: cot has period 1
            q = np.zeros_like(x)
            for c in reversed(cot_derivative(n)):
                q = q * cot + c
            out = np.where(neg, (-1) ** n * out - np.pi ** (n + 1) * q, out)
    out = np.where((x <= 0) & (x == np.floor(x)), pole_value(n), out)
    return np.where(x == np.inf, np.nan, out)


def _polygamma_ref(x: np.ndarray, n: int) -> np.ndarray:
    out = polygamma64(np.asarray(x, dtype=np.float64), n)
    return np.asarray(out, dtype=x.dtype)


def _polygamma_dtype(dtypes: list[str], attrs: dict[str, Any]) -> str:
    n = attrs["n"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"polygamma: the order n must be an int >= 1 (0 is digamma), got {n!r}")
    return _float_input("polygamma")(dtypes, attrs)


def _polygamma_vjp(b, g, out, x, n):
    return (b.mul(g, b.polygamma(x, n=n + 1)),)


register(OpDef("polygamma", 1, ELEMENTWISE, same_shape, _polygamma_dtype, _polygamma_ref,
               _polygamma_vjp, attrs={"n": REQUIRED}))
