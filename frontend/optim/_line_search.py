"""The strong-Wolfe line search LBFGS uses (``line_search_fn='strong_wolfe'``), after
PyTorch's port of minFunc: a bracketing phase, then a cubic-interpolation zoom.

Scalars (losses, step lengths, directional derivatives) are Python floats; vectors are flat
tenkai tensors. ``evaluate(t)`` returns the loss and flat gradient at ``x + t * d``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .._tensor import Tensor

Evaluate = Callable[[float], tuple[float, Tensor]]


def cubic_minimum(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                  bounds: tuple[float, float] | None = None) -> float:
    """The minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), kept in ``bounds``
    (the interval's midpoint when the cubic has no minimum)."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        best = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        best = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(best, low), high)


class _Point:
    """One evaluated step length: ``t``, the loss, the gradient and ``gradient . d``."""

    def __init__(self, t: float, f: float, g: Tensor, gtd: float) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(evaluate: Evaluate, d: Tensor, t: float, f: float, g: Tensor, gtd: float,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, Tensor, float, int]:
    """Search along ``d`` from step ``t``; returns (loss, flat grad, t, evaluations)."""
    d_norm = float(d.abs().max())
    start = _Point(0.0, f, g.clone(), gtd)

    def probe(step: float) -> _Point:
        loss, grad = evaluate(step)
        return _Point(step, loss, grad, float(grad.dot(d)))

    new, prev, evals, done = probe(t), start, 1, False
    bracket: list[_Point] = []
    for ls_iter in range(max_ls + 1):
        if ls_iter == max_ls:  # ran out: bracket the start and the last probe
            bracket = [_Point(0.0, f, g, gtd), new]
            break
        if new.f > f + c1 * new.t * gtd or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, _copy(new)]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, _copy(new)]
            break
        # extrapolate: between a little past t and ten times t
        bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        step = cubic_minimum(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds)
        prev, new = _copy(new), probe(step)
        evals += 1
    ls_iter = min(ls_iter, max_ls)
    if not done and len(bracket) == 2:
        bracket, evals = _zoom(probe, bracket, f, gtd, c1, c2, tolerance_change, d_norm,
                               max_ls, ls_iter, evals)
    best = bracket[0]
    return best.f, best.g, best.t, evals


def _copy(point: _Point) -> _Point:
    return _Point(point.t, point.f, point.g.clone(), point.gtd)


def _zoom(probe: Callable[[float], _Point], bracket: list[_Point], f: float, gtd: float,
          c1: float, c2: float, tolerance_change: float, d_norm: float, max_ls: int,
          ls_iter: int, evals: int) -> tuple[list[_Point], int]:
    """Shrink ``bracket`` until a point meets the strong Wolfe conditions; returns the best
    point first (as a one-element list) and the evaluation count."""
    insufficient = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    done = False
    while not done and ls_iter < max_ls:
        lo_t, hi_t = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        t = cubic_minimum(bracket[0].t, bracket[0].f, bracket[0].gtd,
                          bracket[1].t, bracket[1].f, bracket[1].gtd)
        t, insufficient = _keep_inside(t, lo_t, hi_t, insufficient)
        new = probe(t)
        evals += 1
        ls_iter += 1
        if new.f > f + c1 * t * gtd or new.f >= bracket[low].f:
            bracket[high] = _copy(new)
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if abs(new.gtd) <= -c2 * gtd:
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = _copy(new)
    return [bracket[low]], evals


def _keep_inside(t: float, lo: float, hi: float, insufficient: bool) -> tuple[float, bool]:
    """Move a trial step that sits too close to the bracket's ends away from them (after
    one such step without progress, or when it is outside)."""
    eps = 0.1 * (hi - lo)
    if min(hi - t, t - lo) >= eps:
        return t, False
    if insufficient or t >= hi or t <= lo:
        return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False
    return t, True

