"""Resampling and window functions of ``tenkai.nn.functional``: interpolate (nearest,
nearest-exact, linear, bilinear, trilinear, bicubic, area), upsample*, lp_pool1d/2d and
unfold/fold (im2col / col2im).

Every resize is separable: along each spatial dim the output is a fixed weighted sum of a few
``index_select``-ed input slices, with indices and weights computed from the shapes on the
host. So the result is a composite of registry ops that traces, differentiates and compiles.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from .. import _eager_fast as fast
from .. import _eager_fused
from .. import _ops as ops
from .._shape import index_select, reshape
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ._functional_conv import pad as _pad
from ._im2col import _fold_array, _geometry, _unfold_array

_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1, "bilinear": 2,
          "bicubic": 2, "trilinear": 3}


def _output_sizes(input: Tensor, size: Any, scale_factor: Any, n: int,
                  recompute: bool | None) -> tuple[list[int], list[float | None]]:
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = list(input.shape[2:])
    if size is not None:
        sizes = [int(size)] * n if isinstance(size, int) else [int(s) for s in size]
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {spatial} and output "
                             f"size of {list(sizes)}. Please provide input tensor in (N, C, d1, "
                             f"d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        return sizes, [None] * n
    scales = ([float(scale_factor)] * n if isinstance(scale_factor, int | float)
              else [float(s) for s in scale_factor])
    if len(scales) != n:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of {spatial} and "
                         f"scale_factor of shape {scales}. Please provide input tensor in (N, C, "
                         f"d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
    sizes = [int(math.floor(d * s)) for d, s in zip(spatial, scales, strict=True)]
    return sizes, [None] * n if recompute else scales


def _scale(in_size: int, out_size: int, scale: float | None, align_corners: bool) -> float:
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def _taps(mode: str, in_size: int, out_size: int, scale: float | None,
          align_corners: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """(indices, weights) pairs along one dim: output[j] = sum_t w_t[j] * input[i_t[j]];
    computed once per argument set (read-only arrays: callers must not write to them)."""
    return _taps_cached(mode, in_size, out_size, scale, align_corners)


@functools.lru_cache(maxsize=256)
def _taps_cached(mode: str, in_size: int, out_size: int, scale: float | None,
                 align_corners: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    taps = _compute_taps(mode, in_size, out_size, scale, align_corners)
    for idx, w in taps:
        idx.setflags(write=False)
        w.setflags(write=False)
    return taps


def _compute_taps(mode: str, in_size: int, out_size: int, scale: float | None,
                  align_corners: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    dst = np.arange(out_size, dtype=np.float64)
    s = _scale(in_size, out_size, scale, align_corners and mode not in ("nearest",
                                                                        "nearest-exact"))
    if mode in ("nearest", "nearest-exact"):
        s = _scale(in_size, out_size, scale, False)
        src = np.floor((dst + 0.5) * s if mode == "nearest-exact" else dst * s)
        return [(np.minimum(src, in_size - 1).astype(np.int64), np.ones(out_size))]
    src = dst * s if align_corners else (dst + 0.5) * s - 0.5
    if mode != "bicubic":
        src = np.maximum(src, 0.0)
        i0 = np.minimum(np.floor(src), in_size - 1).astype(np.int64)
        i1 = np.minimum(i0 + 1, in_size - 1)
        lam = src - i0
        return [(i0, 1.0 - lam), (i1, lam)]
    base = np.floor(src)
    t = src - base
    a = -0.75
    coeffs = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
              ((a + 2) * t - (a + 3)) * t * t + 1,
              ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
              ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
    return [(np.clip(base + k - 1, 0, in_size - 1).astype(np.int64), coeffs[k])
            for k in range(4)]


def _resize_dim(x: Tensor, axis: int, taps: list[tuple[np.ndarray, np.ndarray]]) -> Tensor:
    out = None
    shape = [1] * x.ndim
    for idx, w in taps:
        picked = index_select(x, axis, Tensor._make(idx.copy()))
        if not np.all(w == 1.0):
            shape[axis] = len(w)
            picked = picked * Tensor._make(w.astype(np.dtype(x._ir_dtype)).reshape(shape))
        out = picked if out is None else out + picked
    return out


def _resize_dim_data(x: np.ndarray, axis: int,
                     taps: list[tuple[np.ndarray, np.ndarray | None]]) -> np.ndarray:
    """:func:`_resize_dim` on an array, step for step (``taps``: :func:`_taps_data`'s)."""
    out = None
    shape = [1] * x.ndim
    for idx, w in taps:
        picked = x.take(idx, axis)
        if w is not None:
            shape[axis] = len(w)
            picked = picked * w.reshape(shape)
        out = picked if out is None else out + picked
    return out


@functools.lru_cache(maxsize=256)
def _taps_data(mode: str, in_size: int, out_size: int, scale: float | None,
               align_corners: bool, dtype: str) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """:func:`_taps` with the weights cast to ``dtype`` once (read-only), None for weights
    that are all 1 (the product is skipped, as in :func:`_resize_dim`)."""
    out = []
    for idx, w in _taps(mode, in_size, out_size, scale, align_corners):
        cast = None if np.all(w == 1.0) else w.astype(dtype)
        if cast is not None:
            cast.setflags(write=False)
        out.append((idx, cast))
    return out


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial): ``F.interpolate(x, scale_factor=2)``."""
    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported; use "
                                  "antialias=False")
    n = input.ndim - 2
    want = _MODES[mode]
    if n not in (1, 2, 3) or (want is not None and want != n):
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{(want or n) + 2}D input")
    sizes, scales = _output_sizes(input, size, scale_factor, n, recompute_scale_factor)
    if mode == "area":
        return _area(input, sizes)
    names = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact",
             "linear": "UpsampleLinear", "bilinear": "UpsampleBilinear",
             "bicubic": "UpsampleBicubic", "trilinear": "UpsampleTrilinear"}
    name = f"{names[mode]}{n}DBackward0"
    plain = fast.plain_float(input)
    if plain or _eager_fused.available(input):
        data = input._data
        for k in range(n):
            data = _resize_dim_data(data, 2 + k, _taps_data(
                mode, input.shape[2 + k], sizes[k], scales[k], bool(align_corners),
                data.dtype.str))
        if plain:
            return fast.result(data, fresh=True)

        def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
            g = seeds[0]
            for k in range(n - 1, -1, -1):  # g times the (out, in) matrix of the taps
                m = _tap_matrix(mode, input.shape[2 + k], sizes[k], scales[k],
                                bool(align_corners), g.dtype.str)
                g = np.moveaxis(np.moveaxis(g, 2 + k, -1) @ m, -1, 2 + k)
            return [np.ascontiguousarray(g)]
        return _eager_fused.record(name, [input], [data], backward, lambda t: [interpolate(
            t, size, scale_factor, mode, align_corners, recompute_scale_factor)])[0]
    out = input
    for k in range(n):
        out = _resize_dim(out, 2 + k, _taps(mode, input.shape[2 + k], sizes[k], scales[k],
                                            bool(align_corners)))
    return named(out, name, input)


@functools.lru_cache(maxsize=256)
def _tap_matrix(mode: str, in_size: int, out_size: int, scale: float | None,
                align_corners: bool, dtype: str) -> np.ndarray:
    """The (out, in) matrix of :func:`_taps`' weights (read-only): :func:`_resize_dim_data`
    along a dim is this product, its transpose the backward's (an eager fused step)."""
    rows = np.arange(out_size)
    m = np.zeros((out_size, in_size), dtype)
    for idx, w in _taps(mode, in_size, out_size, scale, align_corners):
        np.add.at(m, (rows, idx), w.astype(dtype))
    m.setflags(write=False)
    return m


def _area(input: Tensor, sizes: list[int]) -> Tensor:
    if len(sizes) == 1:
        return adaptive_avg_pool1d(input, sizes[0])
    if len(sizes) == 2:
        return adaptive_avg_pool2d(input, sizes)
    raise NotImplementedError("interpolate(mode='area') supports 3D and 4D inputs; 5D (adaptive "
                              "average pooling in 3D) is missing")


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- *_with_indices aliases


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """max_pool1d returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                      return_indices=True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """max_pool2d returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                      return_indices=True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool1d returning (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool2d returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


# ---------------------------------------------------------------- power-average pooling


def _lp_finish(out: Tensor, norm_type: float, window: int) -> Tensor:
    # PyTorch: (sign(out) * relu(|out|)) * window, then ** (1 / p)
    out = ops.sign(out).detach() * ops.relu(ops.abs(out)) * float(window)
    return ops.pow(out, 1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over windows of x^p)^(1/p): ``F.lp_pool1d(x, 2, 3)``."""
    out = avg_pool1d(ops.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, int(kernel_size))


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over k x k windows of x^p)^(1/p): ``F.lp_pool2d(x, 2, 2)``."""
    kh, kw = tuple_arg(kernel_size, 2, "kernel_size", "lp_pool2d")
    out = avg_pool2d(ops.pow(input, norm_type), (kh, kw), stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kh * kw)


# ---------------------------------------------------------------- im2col / col2im


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding blocks of (N, C, H, W) as columns (N, C*kh*kw, L): ``F.unfold(x, 2)``."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.ndim}D)")
    unbatched = input.ndim == 3
    geometry = _geometry(input.shape[-2:], kernel_size, dilation, padding, stride, "unfold")
    k, d, p, s, flat, padded, blocks = geometry
    plain = fast.plain(input)
    if plain or _eager_fused.available(input):
        data = input._data.reshape((1, *input.shape) if unbatched else input.shape)
        out = _unfold_array(data, geometry)
        if plain:
            return fast.result(out[0] if unbatched else out, fresh=True)

        def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
            g = _fold_array(seeds[0].reshape(out.shape), data.shape[2:], geometry)
            return [np.ascontiguousarray(g).reshape(input.shape)]
        return _eager_fused.record(
            "Im2ColBackward0", [input], [out.reshape(out.shape[1:]) if unbatched else out],
            backward, lambda t: [unfold(t, kernel_size, dilation, padding, stride)])[0]
    x = reshape(input, (1, *input.shape)) if unbatched else input
    n, c = x.shape[0], x.shape[1]
    x = _pad(x, (p[1], p[1], p[0], p[0])) if any(p) else x
    cols = index_select(reshape(x, (n, c, padded[0] * padded[1])), 2,
                        Tensor._make(flat.reshape(-1).copy()))
    out = reshape(cols, (n, c * k[0] * k[1], blocks[0] * blocks[1]))
    out = reshape(out, tuple(out.shape[1:])) if unbatched else out
    return named(out, "Im2ColBackward0", input)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum columns (N, C*kh*kw, L) back into (N, C, H, W), adding overlaps: ``F.fold``."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    unbatched = input.ndim == 2
    x = reshape(input, (1, *input.shape)) if unbatched else input
    size = tuple_arg(output_size, 2, "output_size", "fold")
    geometry = _geometry(size, kernel_size, dilation, padding, stride, "fold")
    k, d, p, s, flat, padded, blocks = geometry
    n, ckk, length = x.shape
    if ckk % (k[0] * k[1]) or length != blocks[0] * blocks[1]:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ckk} and kernel_size="
                           f"{tuple(k)}" if ckk % (k[0] * k[1]) else
                           f"Given output_size={tuple(size)}, kernel_size={tuple(k)}, dilation="
                           f"{tuple(d)}, padding={tuple(p)}, stride={tuple(s)}, expected size "
                           f"of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={length}.")
    c = ckk // (k[0] * k[1])
    plain = fast.plain(input)
    if plain or _eager_fused.available(input):
        data = input._data.reshape(n, ckk, length)
        out = _fold_array(data, size, geometry)
        if plain:
            return fast.result(out[0] if unbatched else out)
        out = np.ascontiguousarray(out)

        def backward(seeds: list[np.ndarray]) -> list[np.ndarray]:
            return [_unfold_array(seeds[0].reshape(out.shape), geometry).reshape(input.shape)]
        return _eager_fused.record(
            "Col2ImBackward0", [input], [out[0] if unbatched else out], backward,
            lambda t: [fold(t, output_size, kernel_size, dilation, padding, stride)])[0]
    # summing overlaps is the transpose of unfold's gather: an index_add into the padded plane
    plane = padded[0] * padded[1]
    cols = reshape(x, (n, c, flat.size))
    zeros = ops.tensor_of(np.zeros((n, c, plane)), x._ir_dtype)
    index = ops.tensor_of(flat.reshape(-1).copy(), "int64")
    summed = ops.apply("index_add", (zeros, index, cols), axis=2, bounds="index_add")
    out = reshape(summed, (n, c, padded[0], padded[1]))
    if any(p):
        out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    out = reshape(out, tuple(out.shape[1:])) if unbatched else out
    return named(out, "Col2ImBackward0", input)
