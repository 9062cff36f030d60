"""3-D pooling of ``tenkai.nn.functional``: avg_pool3d, max_pool3d, adaptive_avg_pool3d,
adaptive_max_pool3d and lp_pool3d.

A box window is separable: the mean (or max) over kd x kh x kw is the mean (max) along each
axis in turn. Along one axis the windows are a host-computed (out, taps) table of input
indices with a validity mask, so each pass is a few ``index_select`` + add / maximum ops: a
composite of registry ops that differentiates and compiles. ``return_indices`` needs a joint
argmax: ``_functional_pool_indices`` wraps these with it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _ops as ops
from .._shape import index_select, reshape
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_resample import _lp_finish


def _window_table(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool,
                  op: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices (out, k), valid (out, k), pool sizes counting padding (out,))."""
    span = length + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise RuntimeError(f"{op}: kernel size can't be greater than the padded input size "
                           f"(got kernel {k} with dilation {d} for length {length} + 2*{p})")
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    starts = np.arange(out) * s - p
    idx = starts[:, None] + np.arange(k)[None, :] * d
    valid = (idx >= 0) & (idx < length)
    sizes = np.minimum(starts + (k - 1) * d + 1, length + p) - starts
    return np.clip(idx, 0, length - 1), valid, sizes


def _adaptive_table(length: int, out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o = np.arange(out)
    starts = (o * length) // out
    ends = -((-(o + 1) * length) // out)
    taps = int((ends - starts).max())
    idx = starts[:, None] + np.arange(taps)[None, :]
    valid = idx < ends[:, None]
    return np.minimum(idx, length - 1), valid, ends - starts


def _reduce_axis(x: Tensor, axis: int, idx: np.ndarray, valid: np.ndarray, mode: str,
                 divisor: np.ndarray | None) -> Tensor:
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    dt = np.dtype(x._ir_dtype)
    out = None
    for j in range(idx.shape[1]):
        picked = index_select(x, axis, Tensor._make(idx[:, j].astype(np.int64)))
        keep = valid[:, j]
        if not keep.all():
            mask = Tensor._make(keep.reshape(shape))
            picked = ops.where(mask, picked, -np.inf if mode == "max" else 0.0)
        out = picked if out is None else (ops.maximum(out, picked) if mode == "max"
                                          else out + picked)
    if divisor is not None:
        out = out * Tensor._make((1.0 / divisor).astype(dt).reshape(shape))
    return out


def _batched_5d(input: Tensor, op: str) -> tuple[Tensor, bool]:
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}: expected 4D or 5D input (got {input.ndim}D input)")
    return (reshape(input, (1, *input.shape)), True) if input.ndim == 4 else (input, False)


def _finish(out: Tensor, unbatched: bool, name: str, input: Tensor) -> Tensor:
    out = reshape(out, tuple(out.shape[1:])) if unbatched else out
    return named(out, name, input)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over kd x kh x kw windows of (N, C, D, H, W) or (C, D, H, W)."""
    x, unbatched = _batched_5d(input, "avg_pool3d")
    k = tuple_arg(kernel_size, 3, "kernel_size", "avg_pool3d")
    s = tuple_arg(stride if stride is not None and stride != [] else k, 3, "stride", "avg_pool3d")
    p = tuple_arg(padding, 3, "padding", "avg_pool3d")
    if any(2 * p[i] > k[i] for i in range(3)):
        raise RuntimeError("pad should be at most half of effective kernel size, but got pad="
                           f"{p[0]}, kernel_size={k[0]} and dilation=1")
    for i in range(3):
        idx, valid, sizes = _window_table(x.shape[2 + i], k[i], s[i], p[i], 1, ceil_mode,
                                          "avg_pool3d")
        div = None if divisor_override else (sizes if count_include_pad else valid.sum(1))
        x = _reduce_axis(x, 2 + i, idx, valid, "sum", None if div is None else div.astype(
            np.float64))
    if divisor_override:
        x = x / float(divisor_override)
    return _finish(x, unbatched, "AvgPool3DBackward0", input)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """Max over kd x kh x kw windows of (N, C, D, H, W) or (C, D, H, W), values only (the
    separable passes have no joint argmax: ``F.max_pool3d`` with ``return_indices`` runs the
    windowed gather of ``_functional_pool_indices``)."""
    x, unbatched = _batched_5d(input, "max_pool3d")
    k = tuple_arg(kernel_size, 3, "kernel_size", "max_pool3d")
    s = tuple_arg(stride if stride is not None and stride != [] else k, 3, "stride", "max_pool3d")
    p = tuple_arg(padding, 3, "padding", "max_pool3d")
    d = tuple_arg(dilation, 3, "dilation", "max_pool3d")
    if any(2 * p[i] > k[i] for i in range(3)):
        raise RuntimeError("pad should be at most half of effective kernel size, but got pad="
                           f"{p[0]}, kernel_size={k[0]} and dilation={d[0]}")
    for i in range(3):
        idx, valid, _ = _window_table(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode,
                                      "max_pool3d")
        x = _reduce_axis(x, 2 + i, idx, valid, "max", None)
    return _finish(x, unbatched, "MaxPool3DWithIndicesBackward0", input)


def _adaptive(input: Tensor, output_size: Any, mode: str, op: str) -> Tensor:
    x, unbatched = _batched_5d(input, op)
    sizes = output_size if isinstance(output_size, tuple | list) else (output_size,) * 3
    if len(sizes) != 3:
        raise RuntimeError(f"{op}: output_size must be 3")
    for i in range(3):
        out = x.shape[2 + i] if sizes[i] is None else int(sizes[i])
        idx, valid, counts = _adaptive_table(x.shape[2 + i], out)
        x = _reduce_axis(x, 2 + i, idx, valid, mode,
                         counts.astype(np.float64) if mode == "sum" else None)
    if mode == "max":
        return _finish(x, unbatched, "AdaptiveMaxPool3DBackward0", input)
    # PyTorch lowers a (1, 1, 1) average to a mean over the spatial dims
    whole = tuple(x.shape[2:]) == (1, 1, 1)
    return _finish(x, unbatched, "MeanBackward1" if whole else "AdaptiveAvgPool3DBackward0",
                   input)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average-pool (N, C, D, H, W) to a fixed size: ``F.adaptive_avg_pool3d(x, (1, 2, 2))``."""
    return _adaptive(input, output_size, "sum", "adaptive_avg_pool3d")


def adaptive_max_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Max-pool (N, C, D, H, W) to a fixed size, values only (``F.adaptive_max_pool3d`` adds
    ``return_indices``)."""
    return _adaptive(input, output_size, "max", "adaptive_max_pool3d")


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over kd x kh x kw windows of x^p)^(1/p): ``F.lp_pool3d(x, 2, 2)``."""
    k = tuple_arg(kernel_size, 3, "kernel_size", "lp_pool3d")
    out = avg_pool3d(ops.pow(input, norm_type), k, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, k[0] * k[1] * k[2])
