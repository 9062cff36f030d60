"""Window maxima with their flat indices: ``max_pool3d`` / ``adaptive_max_pool3d`` with
``return_indices``, and fractional max pooling (2-D and 3-D).

The windows are host tables: for every output position P and window tap T the flat input
index (``d * H * W + h * W + w``) and whether the tap is inside the input. One ``gather``
reads the (N, C, P, T) candidates, invalid taps become ``-inf`` and ``max`` over T gives the
values (its VJP routes the gradient to the chosen tap, as PyTorch) and, through a second
gather of the index table, PyTorch's int64 indices. Ties keep the first tap in
(d, h, w) order, as PyTorch's scan does. Fractional pooling draws PyTorch's per-(N, C)
``_random_samples`` (or takes them) and builds its pseudo-random windows from them with
PyTorch's interval formula, so given the same samples the results match exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _creation
from .. import _ops as ops
from .._shape import gather, reshape
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_pool3d import _adaptive_table, _batched_5d, _window_table
from ._functional_pool3d import adaptive_max_pool3d as _adaptive_max_pool3d_values
from ._functional_pool3d import max_pool3d as _max_pool3d_values


def _joint_table(axes: list[tuple[np.ndarray, np.ndarray]],
                 sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (index (..., out_i, taps_i), valid) -> flat (..., P, T) index and validity.

    Leading (per-plane) dims broadcast; P and T run over the outputs and taps in C order."""
    n = len(axes)
    flat: Any = 0
    ok: Any = True
    for i, (idx, valid) in enumerate(axes):
        stride = int(np.prod(sizes[i + 1:]))
        flat = flat + _spread(idx, i, n) * stride
        ok = ok & _spread(valid, i, n)
    lead = flat.shape[:-2 * n]
    p = int(np.prod(flat.shape[len(lead):len(lead) + n]))
    ok = np.broadcast_to(ok, flat.shape)
    return flat.reshape(*lead, p, -1).astype(np.int64), ok.reshape(*lead, p, -1)


def _spread(a: np.ndarray, i: int, n: int) -> np.ndarray:
    """(..., out_i, taps_i) -> (..., 1.., out_i, ..1, 1.., taps_i, ..1) for axis i of n."""
    ones_before, ones_after = [1] * i, [1] * (n - i - 1)
    return a.reshape(*a.shape[:-2], *ones_before, a.shape[-2], *ones_after,
                     *ones_before, a.shape[-1], *ones_after)


def _gather_max(x: Tensor, flat: np.ndarray, ok: np.ndarray, out_spatial: tuple[int, ...],
                name: str) -> tuple[Tensor, Tensor]:
    """Max and its flat index over the (…, P, T) windows of (N, C, *spatial) ``x``."""
    n, c = x.shape[0], x.shape[1]
    p, t = flat.shape[-2], flat.shape[-1]
    flat = np.broadcast_to(flat, (n, c, p, t))
    ok = np.broadcast_to(ok, (n, c, p, t))
    src = reshape(x, (n, c, -1))
    cand = reshape(gather(src, 2, Tensor._make(np.ascontiguousarray(flat).reshape(n, c, p * t))),
                   (n, c, p, t))
    if not ok.all():
        cand = ops.where(Tensor._make(np.ascontiguousarray(ok)), cand, -np.inf)
    values, arg = cand.max(3)
    indices = gather(Tensor._make(np.ascontiguousarray(flat)), 3, arg.unsqueeze(3))
    shape = (n, c, *out_spatial)
    return named(reshape(values, shape), name), reshape(indices, shape)


def _unbatch(pair: tuple[Tensor, Tensor], unbatched: bool) -> tuple[Tensor, Tensor]:
    if not unbatched:
        return pair
    return tuple(reshape(t, tuple(t.shape[1:])) for t in pair)  # type: ignore[return-value]


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over kd x kh x kw windows of (N, C, D, H, W) or (C, D, H, W); with
    ``return_indices`` also the flat ``d * H * W + h * W + w`` index of every max."""
    if not return_indices:
        return _max_pool3d_values(input, kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """max_pool3d returning (values, indices)."""
    x, unbatched = _batched_5d(input, "max_pool3d")
    k = tuple_arg(kernel_size, 3, "kernel_size", "max_pool3d")
    s = tuple_arg(stride if stride is not None and stride != [] else k, 3, "stride", "max_pool3d")
    p = tuple_arg(padding, 3, "padding", "max_pool3d")
    d = tuple_arg(dilation, 3, "dilation", "max_pool3d")
    if any(2 * p[i] > k[i] for i in range(3)):
        raise RuntimeError("pad should be at most half of effective kernel size, but got pad="
                           f"{p[0]}, kernel_size={k[0]} and dilation={d[0]}")
    axes = [_window_table(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode, "max_pool3d")[:2]
            for i in range(3)]
    flat, ok = _joint_table(axes, tuple(x.shape[2:]))
    out = tuple(a[0].shape[0] for a in axes)
    return _unbatch(_gather_max(x, flat, ok, out, "MaxPool3DWithIndicesBackward0"), unbatched)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max-pool (N, C, D, H, W) to a fixed size: ``F.adaptive_max_pool3d(x, 2)``."""
    if not return_indices:
        return _adaptive_max_pool3d_values(input, output_size)
    return adaptive_max_pool3d_with_indices(input, output_size)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool3d returning (values, indices)."""
    x, unbatched = _batched_5d(input, "adaptive_max_pool3d")
    sizes = output_size if isinstance(output_size, tuple | list) else (output_size,) * 3
    if len(sizes) != 3:
        raise RuntimeError("adaptive_max_pool3d: output_size must be 3")
    outs = [x.shape[2 + i] if sizes[i] is None else int(sizes[i]) for i in range(3)]
    axes = [_adaptive_table(x.shape[2 + i], outs[i])[:2] for i in range(3)]
    flat, ok = _joint_table(axes, tuple(x.shape[2:]))
    return _unbatch(_gather_max(x, flat, ok, tuple(outs), "AdaptiveMaxPool3DBackward0"),
                    unbatched)


# ---------------------------------------------------------------- fractional max pooling


def _intervals(sample: np.ndarray, size: int, out: int, k: int, dtype: np.dtype) -> np.ndarray:
    """PyTorch's generate_intervals for every plane: starts (..., out), in ``dtype``."""
    starts = np.empty((*sample.shape, out), np.int64)
    if out > 1:
        alpha = dtype.type(size - k) / dtype.type(out - 1)
        i = np.arange(out - 1).astype(dtype)
        s = sample.astype(dtype)[..., None]
        starts[..., :-1] = (((i + s) * alpha).astype(np.int64)
                            - (s * alpha).astype(np.int64))
    starts[..., -1] = size - k
    return starts


def _fractional(input: Tensor, kernel_size: Any, output_size: Any, output_ratio: Any,
                samples: Tensor | None, n: int) -> tuple[Tensor, Tensor]:
    op = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    k = tuple_arg(kernel_size, n, "kernel_size", op)
    spatial = tuple(input.shape[-n:])
    if output_size is None:
        ratio = tuple(output_ratio) if isinstance(output_ratio, tuple | list) else \
            (output_ratio,) * n
        if len(ratio) != n:
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple "
                             f"of Ints.")
        output_size = [int(spatial[i] * ratio[i]) for i in range(n)]
    out = tuple_arg(output_size, n, "output_size", op)
    for i in range(n):
        if out[i] + k[i] - 1 > spatial[i]:
            raise RuntimeError(f"{op}(): pool size {k[i]} too large relative to input size "
                               f"{spatial[i]} for output size {out[i]} (dim {i})")
    x = reshape(input, (1, *input.shape)) if input.ndim == n + 1 else input
    nb, c = x.shape[0], x.shape[1]
    if samples is None:
        samples = _creation.rand(nb, c, n, dtype=input.dtype)
    if tuple(samples.shape) != (nb, c, n):
        raise RuntimeError(f"{op}(): expected _random_samples of shape ({nb}, {c}, {n}), but "
                           f"got {list(samples.shape)}")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    smp = samples._data
    order = [1, 0] if n == 2 else [0, 1, 2]  # PyTorch: sample 0 drives W in 2-D, T in 3-D
    dt = np.dtype(x._data.dtype)
    axes = []
    for i in range(n):
        starts = _intervals(smp[..., order[i]], spatial[i], out[i], k[i], dt)
        idx = starts[..., None] + np.arange(k[i])
        axes.append((idx, np.ones(idx.shape, bool)))
    flat, ok = _joint_table(axes, spatial)
    pair = _gather_max(x, flat, ok, out, f"FractionalMaxPool{n}DBackward0")
    return _unbatch(pair, input.ndim == n + 1)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """Fractional max pooling (Graham, 2014) of (N, C, H, W): values and flat indices."""
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """Fractional max pooling of (N, C, T, H, W): values and flat indices."""
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """``F.fractional_max_pool2d(x, 3, output_ratio=0.5)``: max over pseudo-random windows."""
    pair = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return pair if return_indices else pair[0]


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """``F.fractional_max_pool3d(x, 2, output_size=(4, 4, 4))``."""
    pair = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return pair if return_indices else pair[0]

