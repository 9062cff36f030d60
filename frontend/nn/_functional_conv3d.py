"""``F.conv3d``: a 3-D cross-correlation as ``kD`` 2-D ones. For each depth tap the matching
input depth slices (``index_select`` with a host-computed index) fold into the batch, one
conv2d runs with that tap's (C_out, C_in / groups, kH, kW) weight, and the taps add up. Built
from conv2d and movement ops, it differentiates and compiles like them."""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir.ops import fmt_shape

from .._shape import index_select, permute, reshape, squeeze_dims, unsqueeze
from .._tensor import Tensor
from ._functional_common import named, tuple_arg
from ._functional_conv import _check_bias, _conv2d_core, _conv_padding
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
    x = unsqueeze(input, 0) if input.ndim == 4 else input
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
    out = named(out, "ConvolutionBackward0")
    return squeeze_dims(out, [0]) if input.ndim == 4 else out
