"""Random distributions built on the registry's uniform/normal draws, so they replay inside
``tenkai.compile`` like ``rand``: ``normal`` (all overloads), ``multinomial``, the in-place
``Tensor.exponential_``/``geometric_``/``cauchy_``/``log_normal_``, and ``poisson`` (eager).

Values come from tenkai's Philox stream, not PyTorch's: the same seed gives the same numbers
in tenkai eager and compiled runs, and different numbers from PyTorch (as any other RNG).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _eager_fast as fast
from . import _trace
from ._creation import _size
from ._dtype import as_dtype, get_default_dtype
from ._ops import (
    add,
    apply,
    cast,
    ceil,
    cos,
    div,
    eq,
    exp,
    log,
    maximum,
    mul,
    sin,
    sub,
    tensor_of,
    where,
)
from ._random import Generator, draw
from ._reduce import argmax, sum
from ._shape import named
from ._tensor import Tensor


def _uniform(shape: tuple[int, ...], dtype: str, generator: Generator | None) -> Tensor:
    return draw("uniform", tuple(shape), generator, dtype=dtype)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Normal samples: ``normal(mean_t, std_t)``, ``normal(mean_t, 1.0)``, ``normal(0.0, std_t)``
    or ``normal(0.0, 1.0, (2, 3))``. As PyTorch, the gradient to mean and std is zero."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected (float mean, float std, tuple of ints "
                            "size) or a Tensor mean or std")
        _check_std(std)
        dt = (as_dtype(dtype) if dtype is not None else get_default_dtype()).name
        t = draw("normal", _size((size,)), generator, dtype=dt, mean=float(mean), std=float(std))
        return _finish(t, out, requires_grad)
    if ts and np.any(std._data < 0):
        raise RuntimeError(f"normal expects all elements of std >= 0.0 (got min "
                           f"{std._data.min()})")
    if not ts:
        _check_std(std)
        if out is None and not requires_grad and fast.plain_float(mean):
            # eager, nothing records: the same float ops as mul and add below, in numpy
            z = draw("normal", tuple(mean.shape), generator, dtype=mean._ir_dtype)._data
            return Tensor._make(np.asarray(z * mean._data.dtype.type(std) + mean._data))
    ref = mean if tm else std
    shape = np.broadcast_shapes(tuple(mean.shape) if tm else (), tuple(std.shape) if ts else ())
    z = draw("normal", shape, generator, dtype=ref._ir_dtype)
    sample = add(mul(std.detach() if ts else std, z), mean.detach() if tm else mean)
    if not (tm and mean.requires_grad) and not (ts and std.requires_grad):
        return _finish(sample, out, False)
    # PyTorch's normal has zero gradient to mean and std: keep them in the graph at 0 weight
    zero = mul(add(mean if tm else 0.0, std if ts else 0.0), 0.0)
    kind = "NormalBackward3" if tm and ts else ("NormalBackward1" if tm else "NormalBackward2")
    return _finish(named(add(sample, zero), kind), out, False)


def _check_std(std: Any) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def _finish(t: Tensor, out: Tensor | None, requires_grad: bool) -> Tensor:
    if out is not None:
        return out.copy_(t)
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def _check_probs(input: Tensor, num_samples: int, replacement: bool) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._legacy.removesuffix('Tensor')}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if _trace.active() is None:  # value checks need values (a traced step checks at trace time)
        p = input._data
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(p.sum(axis=-1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out: Tensor | None = None) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    With replacement: inverse CDF (count of CDF entries below a uniform draw). Without:
    Efraimidis-Spirakis keys ``log(u) / p``, the largest first (repeated argmax); once the
    positive weights are drawn, the zero-weight categories follow in index order (each index
    once, as PyTorch: its keys are clamped above :data:`_ZERO_KEY`, the zero weights' key,
    and a drawn category's key is -inf)."""
    _check_probs(input, int(num_samples), replacement)
    p = input.detach()
    rows = p if p.ndim == 2 else p.unsqueeze(0)
    n, k = rows.shape[-1], int(num_samples)
    dt = rows._ir_dtype if rows._ir_dtype != "float16" else "float32"
    rows = cast(rows, dt)
    if replacement:
        cdf = _cumsum_last(div(rows, sum(rows, -1, keepdim=True)))
        u = _uniform((rows.shape[0], k, 1), dt, generator)
        below = cast(apply("ge", (u, cdf.unsqueeze(1))), "int64")
        picked = sum(below, -1)
        idx = where(apply("gt", (picked, tensor_of(n - 1, "int64"))), n - 1, picked)
    elif fast.plain(rows):
        idx = _without_replacement(rows, k, generator)
    else:
        u = _uniform(tuple(rows.shape), "float64", generator)
        safe_u = where(eq(u, 0.0), 1e-300, u)
        keys = where(eq(rows, 0.0), _ZERO_KEY,
                     maximum(div(log(safe_u), cast(rows, "float64")), _LOWEST_KEY))
        cols, positions = [], Tensor._make(np.arange(n))
        for _ in range(k):
            best = argmax(keys, -1, keepdim=True)
            cols.append(best)
            keys = where(eq(positions, best), -math.inf, keys)
        idx = apply("cat", cols, axis=1)
    idx = idx if input.ndim == 2 else idx.squeeze(0)
    return _finish(idx, out, False)


# keys of multinomial's draw without replacement: a positive weight's is at least
# _LOWEST_KEY (log(u) / p overflows to -inf for subnormal p), a zero weight's is _ZERO_KEY
# below it, a drawn category's -inf: so no category is drawn twice
_LOWEST_KEY, _ZERO_KEY = -1.6e308, -1.7e308


def _without_replacement(rows: Tensor, k: int, generator: Generator | None) -> Tensor:
    """:func:`multinomial`'s draw without replacement in numpy (eager, nothing records): the
    same keys (``log`` through the op, as the composite computes it) and the same repeated
    argmax (the first of equal keys), without an op per step."""
    u = _uniform(tuple(rows.shape), "float64", generator)._data
    logs = log(Tensor._make(np.where(u == 0.0, 1e-300, u)))._data
    p = rows._data
    with np.errstate(over="ignore"):
        keys = np.where(p == 0.0, _ZERO_KEY, np.maximum(logs / p.astype(np.float64),
                                                        _LOWEST_KEY))
    picked = np.empty((p.shape[0], k), np.int64)
    every = np.arange(p.shape[0])
    for j in range(k):
        best = np.argmax(keys, axis=-1)
        picked[:, j] = best
        keys[every, best] = -math.inf
    return Tensor._make(picked)


def _cumsum_last(x: Tensor) -> Tensor:
    n = x.shape[-1]
    upper = Tensor._make(np.triu(np.ones((n, n), dtype=x._data.dtype)))
    return apply("matmul", (x, upper))


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson counts with rates ``input`` (eager only: the inverse CDF loops on values)."""
    if _trace.active() is not None:
        raise NotImplementedError("poisson inside tenkai.compile: the sampler loops on values; "
                                  "draw the counts outside the compiled step")
    rates = input._data.astype(np.float64)
    if not ((rates >= 0) & (rates < np.inf)).all():  # negative, nan or infinite
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    u = _uniform(tuple(input.shape), "float64", generator)._data.reshape(-1)
    k = _poisson_counts(rates.reshape(-1), u)
    return Tensor._make(k.reshape(input.shape).astype(input._data.dtype))


def _poisson_counts(rates: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The inverse CDF of Poisson(rates) at ``u`` (flat float64 arrays): the count ``k`` is the
    first step ``s`` whose CDF reaches ``u`` (or whose term underflows to 0), with the terms
    ``p_0 = exp(-r)``, ``p_s = p_{s-1} * r / s`` and the CDF added in that order. The steps run
    in blocks: a block computes several steps for every value still counting (one array op
    per step and quantity, no per-step checks or compaction), then the values that stopped
    leave."""
    term = np.exp(-rates)
    if rates.size <= _SCALAR_COUNTS:
        return np.array(_counts_scalar(rates.tolist(), u.tolist(), term.tolist()), np.float64)
    k = np.zeros(rates.shape)
    cdf = term.copy()
    at = np.flatnonzero((u > cdf) & (rates > 0))
    r, left, term, cdf = rates[at], u[at], term[at], cdf[at]
    done = 0
    while at.size:
        # few values: wide enough for nearly all to stop here (max rate + 3 sd); many: about
        # the mean count, so that the block does little work past where values stop
        top = float(r.max()) if at.size <= 4096 else float(r.mean())
        width = int(top + (3.0 if at.size <= 4096 else 1.0) * math.sqrt(top)) + 3
        terms = np.empty((width, at.size))
        sums = np.empty((width, at.size))
        for j in range(width):
            term = np.divide(np.multiply(term, r, out=terms[j]), done + j + 1, out=terms[j])
            cdf = np.add(cdf, term, out=sums[j])
        # both conditions hold on a prefix of the block (the CDF grows, the terms stay > 0
        # until they underflow): the number of steps that keep going is where a value stops
        going = np.add.reduce(((left > sums) & (terms > 0)).view(np.uint8), axis=0,
                              dtype=np.intp)
        stop = going < width
        k[at[stop]] = done + going[stop] + 1
        keep = np.flatnonzero(~stop)
        at, r, left, term, cdf = at[keep], r[keep], left[keep], terms[-1, keep], sums[-1, keep]
        done += width
    return k


_SCALAR_COUNTS = 256  # up to this many values, the steps run on Python floats (IEEE doubles)


def _counts_scalar(rates: list[float], u: list[float], first: list[float]) -> list[int]:
    """:func:`_poisson_counts` on a few values: the same steps, one value at a time."""
    out = []
    for r, left, term in zip(rates, u, first, strict=True):
        k, cdf = 0, term
        if left > cdf and r > 0:
            while True:
                k += 1
                term = term * r / k
                cdf = cdf + term
                if not (left > cdf and term > 0):
                    break
        out.append(k)
    return out


def _fill_with(self: Tensor, sample: Tensor) -> Tensor:
    return self.copy_(sample)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None
                 ) -> Tensor:
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    u = _uniform(tuple(self.shape), self._ir_dtype, generator)
    return _fill_with(self, div(log(sub(1.0, u)), -float(lambd)))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    u = _uniform(tuple(self.shape), "float64", generator)
    trials = ceil(div(log(sub(1.0, u)), math.log1p(-p)))
    return _fill_with(self, where(eq(trials, 0.0), 1.0, trials))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    angle = mul(sub(_uniform(tuple(self.shape), self._ir_dtype, generator), 0.5), math.pi)
    return _fill_with(self, add(mul(div(sin(angle), cos(angle)), float(sigma)), float(median)))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    z = draw("normal", tuple(self.shape), generator, dtype=self._ir_dtype, mean=float(mean),
             std=float(std))
    return _fill_with(self, exp(z))


# Tensor methods (attached by _methods.py)
METHODS = {"exponential_": exponential_, "geometric_": geometric_, "cauchy_": cauchy_,
           "log_normal_": log_normal_, "multinomial": multinomial}
