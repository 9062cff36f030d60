"""``F.conv3d`` and ``F.conv_transpose3d`` as composites of 2-D convolutions.

conv3d is a 3-D cross-correlation as ``kD`` 2-D ones: for each depth tap the matching input
depth slices (``index_select`` with a host-computed index) fold into the batch, one conv2d
runs with that tap's (C_out, C_in / groups, kH, kW) weight, and the taps add up.
conv_transpose3d runs one conv_transpose2d per depth tap and ``index_add``s its slices at
their output depths. Built from 2-D convolutions and movement ops, both differentiate and
compile like them."""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir.ops import fmt_shape

from .._shape import index_add, index_select, permute, reshape, squeeze_dims, unsqueeze
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_conv import _check_bias, _conv2d_core, _conv_padding, conv_transpose2d
from ._functional_conv import pad as _pad


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation over (N, C, D, H, W) or (C, D, H, W) input."""
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
                           f"input of size: {fmt_shape(input.shape)}")
    if weight.ndim != 5:
        raise RuntimeError(f"conv3d: expected a 5-D weight (out_channels, in_channels / groups, "
                           f"kD, kH, kW), but got weight of size {fmt_shape(weight.shape)}")
    _check_bias(weight, bias)
    x = given = unsqueeze(input, 0) if input.ndim == 4 else input
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {fmt_shape(weight.shape)}, "
                           f"expected input{fmt_shape(x.shape)} to have {weight.shape[1] * groups}"
                           f" channels, but got {x.shape[1]} channels instead")
    s = tuple_arg(stride, 3, "stride", "conv3d")
    d = tuple_arg(dilation, 3, "dilation", "conv3d")
    pads = _conv_padding(padding, tuple(weight.shape[2:]), d, s, 3, "conv3d")
    if any(pads[0]):
        x = _pad(x, (0, 0, 0, 0, pads[0][0], pads[0][1]))
    n, kd = x.shape[0], weight.shape[2]
    depth = (x.shape[2] - d[0] * (kd - 1) - 1) // s[0] + 1
    if depth <= 0:
        raise RuntimeError(f"conv3d: kernel size can't be greater than the padded input size "
                           f"(depth {x.shape[2]}, kernel {kd}, dilation {d[0]})")
    out = None
    for t in range(kd):
        idx = Tensor._make((np.arange(depth) * s[0] + t * d[0]).astype(np.int64))
        xs = permute(index_select(x, 2, idx), (0, 2, 1, 3, 4))
        xs = reshape(xs, (n * depth, *xs.shape[2:]))
        w_t = squeeze_dims(index_select(weight, 2, Tensor._make(np.array([t], np.int64))), [2])
        y = _conv2d_core(xs, w_t, None, s[1:], pads[1:], d[1:], groups)
        out = y if out is None else out + y
    out = permute(reshape(out, (n, depth, *out.shape[1:])), (0, 2, 1, 3, 4))
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1, 1))
    out = named(out, "ConvolutionBackward0", given, weight, bias)
    return squeeze_dims(out, [0]) if input.ndim == 4 else out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """3-D transposed convolution, weight (C_in, C_out / groups, kD, kH, kW).

    Each depth tap is one conv_transpose2d over the depth slices folded into the batch;
    ``index_add`` places its slices at output depth ``d_in * stride + tap * dilation -
    padding``. ``F.conv_transpose3d(torch.randn(1, 4, 3, 5, 5), torch.randn(4, 2, 3, 3, 3))``
    -> (1, 2, 5, 7, 7).
    """
    if input.ndim not in (4, 5) or weight.ndim != 5:
        raise RuntimeError(f"conv_transpose3d: expected a 4-D or 5-D input and a 5-D weight, "
                           f"got input {fmt_shape(input.shape)} and weight "
                           f"{fmt_shape(weight.shape)}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[1] * groups):
        raise RuntimeError(f"conv_transpose3d: expected bias to be 1-dimensional with "
                           f"{weight.shape[1] * groups} elements, but got bias of size "
                           f"{fmt_shape(bias.shape)} instead")
    s = tuple_arg(stride, 3, "stride", "conv_transpose3d")
    p = tuple_arg(padding, 3, "padding", "conv_transpose3d")
    d = tuple_arg(dilation, 3, "dilation", "conv_transpose3d")
    op = tuple_arg(output_padding, 3, "output_padding", "conv_transpose3d")
    if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but "
                           f"got output_padding={list(op)}, stride={list(s)}, "
                           f"dilation={list(d)}")
    x = given = unsqueeze(input, 0) if input.ndim == 4 else input
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {fmt_shape(weight.shape)}, "
                           f"expected input{fmt_shape(x.shape)} to have {weight.shape[0]} "
                           f"channels, but got {x.shape[1]} channels instead")
    n, depth, kd = x.shape[0], x.shape[2], weight.shape[2]
    d_out = (depth - 1) * s[0] - 2 * p[0] + d[0] * (kd - 1) + op[0] + 1
    if d_out <= 0:
        raise RuntimeError(f"conv_transpose3d: the output depth {d_out} is not positive")
    xs = permute(x, (0, 2, 1, 3, 4))
    xs = reshape(xs, (n * depth, *xs.shape[2:]))
    out = None
    for t in range(kd):
        w_t = squeeze_dims(index_select(weight, 2, Tensor._make(np.array([t], np.int64))), [2])
        y = conv_transpose2d(xs, w_t, None, s[1:], p[1:], op[1:], groups, d[1:])
        spatial = tuple(y.shape[1:])
        y = reshape(y, (n, depth, -1))
        pos = np.arange(depth) * s[0] + t * d[0] - p[0]
        keep = np.nonzero((pos >= 0) & (pos < d_out))[0]
        if out is None:
            out = Tensor._make(np.zeros((n, d_out, y.shape[2]), dtype=y._data.dtype))
        if keep.size:
            if keep.size < depth:
                y = index_select(y, 1, Tensor._make(keep.astype(np.int64)))
            out = index_add(out, 1, Tensor._make(pos[keep].astype(np.int64)), y)
    out = permute(reshape(out, (n, d_out, *spatial)), (0, 2, 1, 3, 4))
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1, 1))
    out = named(out, "ConvolutionBackward0", given, weight, bias)
    return squeeze_dims(out, [0]) if input.ndim == 4 else out
