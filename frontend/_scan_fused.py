"""Eager scans: the no-grad values of ``cumsum``/``cumprod``/``cummax``/``cummin`` and their
fused steps (:mod:`tenkai._eager_fused`) when the input requires grad: one forward and one
closed-form backward instead of the composites' triangular matmul, doubling scan or gather
(whose backward scatter-adds element by element).

The scans run the native scan kernel (:mod:`tenkai.codegen.cpu.eager_scan`) where native
eager kernels are on: numpy's ``ufunc.accumulate`` along a middle or last axis costs ~4 ns an
element (a (1024, 64) float32 cumsum ~230 us, PyTorch's ~70 us); otherwise numpy. The
composites stay the definitions (compiled steps trace them, ``create_graph`` re-runs them);
the ops' tests compare both with PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _eager_fused
from . import _native_kernels as nk
from ._tensor import Tensor

# PyTorch's CPU scans accumulate float32 in float64 (see _composite.SCAN_ACCUMULATOR)
WIDE = {np.dtype(np.float32): np.float64, np.dtype(np.float64): np.float64,
        np.dtype(np.float16): np.float32}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_SCANS: dict[tuple, Any] = {}
# below this many elements numpy's accumulate is as fast as the kernel's call (~4 us); the
# max/min scans take the kernel at every size (numpy's position scan: ~10 calls, ~10 us)
NATIVE_MIN = 1024


def native_scan(op: str, data: np.ndarray, axis: int,
                reverse: bool = False) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The scan kernel (:func:`tenkai.codegen.cpu.eager_scan.scan`) on a float32/float64
    array with elements: the scanned values (and for ``max``/``min`` the int64 positions),
    or None where native kernels are off (or sums and products of fewer than
    :data:`NATIVE_MIN` elements)."""
    least = NATIVE_MIN if op in ("sum", "prod") else 1
    if data.dtype not in _FLOATS or data.size < least or not nk.enabled() or not nk.ready():
        return None
    key = (op, data.dtype, reverse)
    kernel = _SCANS.get(key)
    if kernel is None:
        from tenkai.codegen.cpu import eager_scan

        kernel = _SCANS[key] = nk.kernel_of(eager_scan.scan(op, data.dtype.name, reverse))
    src = np.ascontiguousarray(data)
    shape = src.shape
    n = shape[axis]
    inner = math.prod(shape[axis + 1:])
    out = np.empty(shape, src.dtype)
    index = np.empty(shape, np.int64) if op in ("max", "min") else None
    slots = [nk.addr(src), nk.addr(out), 0 if index is None else nk.addr(index), n, inner]
    kernel.run(slots, src.size // n, max(1, nk.GRAIN // n))
    return out, index


def _accumulated(op: str, data: np.ndarray, axis: int, reverse: bool = False) -> np.ndarray:
    """The running sums (``op="sum"``) or products of float ``data`` along ``axis``,
    accumulated in :data:`WIDE` and rounded to ``data``'s dtype (``reverse``: from the end)."""
    found = native_scan(op, data, axis, reverse)
    if found is not None:
        return found[0]
    ufunc = np.add if op == "sum" else np.multiply
    src = np.flip(data, axis) if reverse else data
    with np.errstate(all="ignore"):
        out = ufunc.accumulate(src, axis, dtype=WIDE[data.dtype]).astype(data.dtype)
    return np.ascontiguousarray(np.flip(out, axis)) if reverse else out


def cumsum_value(data: np.ndarray, axis: int) -> np.ndarray:
    """``cumsum`` of a float array (float32 accumulated in float64, as PyTorch's CPU scan)."""
    return _accumulated("sum", data, axis)


def cumprod_value(data: np.ndarray, axis: int) -> np.ndarray:
    return _accumulated("prod", data, axis)


def cumsum_fused(x: Tensor, axis: int, composite: Callable[[Tensor], Tensor]) -> Tensor:
    """``cumsum`` of ``x`` (float, requires grad) as one fused step: the gradient sums the
    cotangents from each position to the end."""
    def backward(g: np.ndarray) -> np.ndarray:
        return _accumulated("sum", g, axis, reverse=True)

    return _eager_fused.unary("CumsumBackward0", x, cumsum_value(x._data, axis), backward,
                              composite)


def cumprod_fused(x: Tensor, axis: int, composite: Callable[[Tensor], Tensor]) -> Tensor:
    """``cumprod`` of ``x`` (float, requires grad) as one fused step. The gradient of
    ``y_i = x_0 ... x_i`` is ``sum_{i >= j} g_i y_i / x_j`` before a line's first zero; at
    the first zero ``z`` it is ``sum_{i >= z} g_i prod_{k <= i, k != z} x_k``, and 0 after
    it (every product it enters holds the zero ``x_z``). Computed in float64."""
    data = x._data

    def backward(g: np.ndarray) -> np.ndarray:
        xw = data.astype(np.float64)
        gy = g * _accumulated("prod", xw, axis)
        with np.errstate(all="ignore"):
            out = _accumulated("sum", gy, axis, reverse=True) / xw
        zero = xw == 0
        if zero.any():
            _first_zero_grads(np.moveaxis(out, axis, 0), np.moveaxis(xw, axis, 0),
                              np.moveaxis(zero, axis, 0), np.moveaxis(g, axis, 0))
        return out.astype(data.dtype)

    return _eager_fused.unary("CumprodBackward0", x, cumprod_value(data, axis), backward, composite)


def _first_zero_grads(out: np.ndarray, xw: np.ndarray, zero: np.ndarray,
                      g: np.ndarray) -> None:
    """Fix ``out`` (cumprod's gradients, the scanned axis first) where the input has zeros:
    the first zero of each line gets the products that skip it, the cells after it 0."""
    seen = np.logical_or.accumulate(zero, 0)
    first = zero & ~np.concatenate([np.zeros_like(seen[:1]), seen[:-1]], 0)
    skipped = np.multiply.accumulate(np.where(first, 1.0, xw), 0)  # skipping the first zero
    skipped *= g
    skipped[~seen] = 0.0  # only the positions from the first zero on reach it
    out[seen & ~first] = 0.0
    out[first] = np.broadcast_to(skipped.sum(0), out.shape)[first]


def cum_extreme_values(data: np.ndarray, axis: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The running max (``cummax``) or min of ``data`` along ``axis`` and the latest position
    whose value equals it there (nan wins, as in PyTorch; int64)."""
    found = native_scan("max" if name == "cummax" else "min", data, axis)
    if found is not None:
        return found[0], found[1]
    ufunc = np.maximum if name == "cummax" else np.minimum
    with np.errstate(all="ignore"):
        values = ufunc.accumulate(data, axis)
    n = data.shape[axis]
    shape = [1] * data.ndim
    shape[axis] = n
    # the positions in the narrowest integers that hold them (less memory for the scan)
    narrow = np.int16 if n < 2**15 else np.int32 if n < 2**31 else np.int64
    pos = np.arange(n, dtype=narrow).reshape(shape)
    hit = data == values
    if data.dtype.kind == "f":
        hit |= np.isnan(data)
    return values, np.maximum.accumulate(hit * pos, axis).astype(np.int64)


def cum_extreme_fused(x: Tensor, axis: int, name: str, values: np.ndarray, index: np.ndarray,
                      composite: Callable[[Tensor], Tensor]) -> Tensor:
    """``cummax``/``cummin``'s ``values`` (positions ``index``) as one fused step: each
    cotangent goes to the position its value came from."""
    def backward(g: np.ndarray) -> np.ndarray:
        return _eager_fused.add_along(x._data.shape, axis, index, g, x._data.dtype)

    return _eager_fused.unary(name.capitalize() + "Backward0", x, values, backward, composite)
