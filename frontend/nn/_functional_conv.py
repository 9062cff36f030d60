"""linear, convolutions, pooling and padding of ``tenkai.nn.functional``.

Convolution and pooling lower to the registry's window ops (``conv2d``, ``max_pool2d``,
``avg_pool2d``, ``adaptive_avg_pool2d``); the 1-D forms insert a unit height and reuse them.
Bias is added outside the conv (``reshape`` + ``add``) so fusion can treat it as an epilogue.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tenkai.ir.ops import fmt_shape

from .. import _eager_fast as fast
from .. import _ops as ops
from .. import _reduce
from .._shape import cat, matmul, reshape, squeeze_dims, t, unsqueeze
from .._tensor import Tensor
from . import _fused_nn
from ._functional_common import named, tuple_arg
from ._im2col import GATHER_MAX, _fold_array, _geometry

# ---------------------------------------------------------------- linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias: ``F.linear(torch.randn(2, 3), torch.randn(4, 3))`` -> (2, 4)."""
    ops.check_tensor(input, "linear")
    ops.check_tensor(weight, "linear", "weight", 2)
    if input.ndim == 2:
        out = matmul(input, t(weight))
        if bias is None:
            return out
        return named(out + bias, "AddmmBackward0")
    if input.ndim > 2:
        lead = tuple(input.shape[:-1])
        flat = reshape(input, (-1, input.shape[-1]))
        out = matmul(flat, t(weight))
        if bias is not None:
            out = named(out + bias, "AddmmBackward0")
        out = reshape(out, (*lead, out.shape[-1]))
        return named(out, "ViewBackward0" if bias is not None else "UnsafeViewBackward0")
    if bias is None or weight.ndim != 2:
        out = matmul(input, t(weight) if weight.ndim == 2 else weight)
        return named(out, "SqueezeBackward4") if bias is None else \
            named(out + bias, "ViewBackward0")
    # a vector input: PyTorch's addmm on it as a row, viewed back
    row = named(matmul(reshape(input, (1, -1)), t(weight)) + bias, "AddmmBackward0")
    return named(reshape(row, (-1,)), "ViewBackward0")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1 @ W_k @ x2 + b_k: ``F.bilinear(x1, x2, torch.randn(5, 3, 4))``."""
    # (..., 1, 1, I) @ (O, I, J) -> (..., O, 1, J); then contract J with x2
    left = matmul(unsqueeze(unsqueeze(input1, -2), -2), weight)
    out = matmul(left, unsqueeze(unsqueeze(input2, -2), -1))
    out = reshape(out, tuple(out.shape[:-2]))
    return out if bias is None else out + bias


# ---------------------------------------------------------------- convolution


def _same_padding(kernel: tuple[int, ...], dilation: tuple[int, ...],
                  stride: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _conv_padding(padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...],
                  stride: tuple[int, ...], n: int, op: str) -> tuple[tuple[int, int], ...]:
    """(before, after) padding per spatial dim, resolving 'same' / 'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            return _same_padding(kernel, dilation, stride)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    pads = tuple_arg(padding, n, "padding", op)
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


def _check_bias(weight: Tensor, bias: Tensor | None) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {fmt_shape(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{fmt_shape(bias.shape)} instead")


def _conv2d_core(x: Tensor, w: Tensor, bias: Tensor | None, stride: tuple[int, int],
                 pads: tuple[tuple[int, int], ...], dilation: tuple[int, int],
                 groups: int) -> Tensor:
    """conv2d on 4-D operands with (before, after) pads; asymmetric pads go to a pad op."""
    symmetric, given = tuple(lo for lo, _ in pads), x
    if any(lo != hi for lo, hi in pads):
        x = ops.apply("pad", (x,), name="ConstantPadNdBackward0",
                      pads=((0, 0), (0, 0), *pads), value=0)
        symmetric = (0, 0)
    out = ops.apply("conv2d", (x, w), name="ConvolutionBackward0", stride=stride,
                    padding=symmetric, dilation=dilation, groups=int(groups))
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1))
    return named(out, "ConvolutionBackward0", given, w, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation over (N, C, H, W) or (C, H, W) input.

    ``F.conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3), padding='same')`` -> (1, 4, 8, 8)
    """
    ops.check_tensor(input, "conv2d")
    ops.check_tensor(weight, "conv2d", "weight", 2)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {fmt_shape(input.shape)}")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out_channels, in_channels / groups, "
                           f"kH, kW), but got weight of size {fmt_shape(weight.shape)}")
    _check_bias(weight, bias)
    stride_ = tuple_arg(stride, 2, "stride", "conv2d")
    dilation_ = tuple_arg(dilation, 2, "dilation", "conv2d")
    pads = _conv_padding(padding, tuple(weight.shape[2:]), dilation_, stride_, 2, "conv2d")
    x = unsqueeze(input, 0) if input.ndim == 3 else input
    out = _conv2d_core(x, weight, bias, stride_, pads, dilation_, groups)
    return squeeze_dims(out, [0]) if input.ndim == 3 else out


def _check_conv1d_channels(x: Tensor, w: Tensor, groups: int) -> None:
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {fmt_shape(w.shape)}, "
                           f"expected input{fmt_shape(x.shape)} to have {w.shape[1] * groups} "
                           f"channels, but got {x.shape[1]} channels instead")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over (N, C, L) or (C, L), as conv2d with a unit height.

    ``F.conv1d(torch.randn(2, 3, 10), torch.randn(4, 3, 3))`` -> (2, 4, 8)
    """
    ops.check_tensor(input, "conv1d")
    ops.check_tensor(weight, "conv1d", "weight", 2)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
                           f"input of size: {fmt_shape(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels / groups, "
                           f"kW), but got weight of size {fmt_shape(weight.shape)}")
    x = unsqueeze(input, 0) if input.ndim == 2 else input
    _check_conv1d_channels(x, weight, groups)
    _check_bias(weight, bias)
    (s,) = tuple_arg(stride, 1, "stride", "conv1d")
    (d,) = tuple_arg(dilation, 1, "dilation", "conv1d")
    ((lo, hi),) = _conv_padding(padding, (weight.shape[2],), (d,), (s,), 1, "conv1d")
    out = _conv2d_core(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1, s), ((0, 0), (lo, hi)),
                       (1, d), groups)
    out = named(squeeze_dims(out, [2]), "ConvolutionBackward0", x, weight, bias)
    return squeeze_dims(out, [0]) if input.ndim == 2 else out



def _transposed_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                     output_padding: int) -> int:
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed convolution (the adjoint of conv2d) with weight (C_in, C_out / groups, kH, kW).

    ``F.conv_transpose2d(torch.randn(1, 4, 5, 5), torch.randn(4, 2, 3, 3), stride=2)`` ->
    (1, 2, 11, 11). Lowers to the registry's ``conv2d_grad_input``.
    """
    if input.ndim not in (3, 4) or weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 3-D or 4-D input and a 4-D weight, got "
                           f"input {fmt_shape(input.shape)} and weight {fmt_shape(weight.shape)}")
    stride_ = tuple_arg(stride, 2, "stride", "conv_transpose2d")
    pad_ = tuple_arg(padding, 2, "padding", "conv_transpose2d")
    dil_ = tuple_arg(dilation, 2, "dilation", "conv_transpose2d")
    out_pad = tuple_arg(output_padding, 2, "output_padding", "conv_transpose2d")
    if any(o >= max(s, d) for o, s, d in zip(out_pad, stride_, dil_, strict=True)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but "
                           f"got output_padding={list(out_pad)}, stride={list(stride_)}, "
                           f"dilation={list(dil_)}")
    x = unsqueeze(input, 0) if input.ndim == 3 else input
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {fmt_shape(weight.shape)}, "
                           f"expected input{fmt_shape(x.shape)} to have {weight.shape[0]} "
                           f"channels, but got {x.shape[1]} channels instead")
    spatial = tuple(_transposed_size(x.shape[2 + i], weight.shape[2 + i], stride_[i], pad_[i],
                                     dil_[i], out_pad[i]) for i in range(2))
    xs, ws = x._data.shape, weight._data.shape
    if groups == 1 and min(spatial) > 0 and (bias is None or bias._data.shape == ws[1:2]) \
            and xs[0] * ws[1] * ws[2] * ws[3] * xs[2] * xs[3] <= GATHER_MAX \
            and fast.plain_float(x, weight, *(() if bias is None else (bias,))) \
            and x._data.dtype == weight._data.dtype \
            and (bias is None or bias._data.dtype == x._data.dtype):
        out = _transposed_small(x._data, weight._data, spatial, stride_, pad_, dil_)
        if out is not None:
            if bias is not None:
                out = out + bias._data.reshape(1, -1, 1, 1)
            return fast.result(out[0] if input.ndim == 3 else out)
    out_shape = (x.shape[0], weight.shape[1] * groups, *spatial)
    out = ops.apply("conv2d_grad_input", (x, weight), name="ConvolutionBackward0",
                    input_shape=out_shape, stride=stride_, padding=pad_, dilation=dil_,
                    groups=int(groups))
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1))
    out = named(out, "ConvolutionBackward0", x, weight, bias)
    return squeeze_dims(out, [0]) if input.ndim == 3 else out


def _transposed_small(x: np.ndarray, w: np.ndarray, spatial: tuple[int, ...], stride: tuple,
                      padding: tuple, dilation: tuple) -> np.ndarray | None:
    """conv_transpose2d (groups 1) of small arrays, eagerly: the columns ``W^T x`` (one
    product) summed into the output plane by fold's gather (``conv2d_grad_input``'s col2im)."""
    n, c_in, h, wd = x.shape
    cols = np.matmul(w.reshape(c_in, -1).T, x.reshape(n, c_in, h * wd))  # (n, C_out*kh*kw, L)
    geometry = _geometry(spatial, tuple(w.shape[2:]), dilation, padding, stride, "fold")
    if tuple(geometry[6]) != (h, wd):  # not the blocks of this output size: the op's path
        return None
    return _fold_array(cols, spatial, geometry)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution over (N, C, L) or (C, L), as conv_transpose2d with H == 1.

    ``F.conv_transpose1d(torch.randn(2, 4, 6), torch.randn(4, 3, 3), stride=2)`` -> (2, 3, 13)
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: expected a 2-D or 3-D input and a 3-D weight, got "
                           f"input {fmt_shape(input.shape)} and weight {fmt_shape(weight.shape)}")
    args = [tuple_arg(v, 1, n, "conv_transpose1d")[0] for v, n in
            ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
             (dilation, "dilation"))]
    out = conv_transpose2d(unsqueeze(input, -2), unsqueeze(weight, 2), bias, (1, args[0]),
                           (0, args[1]), (0, args[2]), groups, (1, args[3]))
    return named(squeeze_dims(out, [out.ndim - 2]), "ConvolutionBackward0", input, weight, bias)

# ---------------------------------------------------------------- pooling


def _pool_args(kernel_size: Any, stride: Any, padding: Any, dilation: Any, n: int,
               op: str) -> dict[str, tuple[int, ...]]:
    kernel = tuple_arg(kernel_size, n, "kernel_size", op)
    empty = stride is None or (not isinstance(stride, (int, float)) and len(stride) == 0)
    return {"kernel_size": kernel,
            "stride": kernel if empty else tuple_arg(stride, n, "stride", op),
            "padding": tuple_arg(padding, n, "padding", op),
            "dilation": tuple_arg(dilation, n, "dilation", op)}


def _lift_1d(args: dict[str, tuple[int, ...]], unit: dict[str, int]) -> dict[str, tuple]:
    """1-D pool args -> 2-D ones with a unit leading window."""
    return {k: (unit[k], v[0]) for k, v in args.items()}


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (dilated) windows of (N, C, H, W) or (C, H, W).

    ``F.max_pool2d(torch.randn(1, 1, 4, 4), 2)`` -> (1, 1, 2, 2); with ``return_indices`` also
    the int64 flat index ``h * W + w`` of every max.
    """
    ops.check_tensor(input, "max_pool2d")
    args = _pool_args(kernel_size, stride, padding, dilation, 2, "max_pool2d")
    return _max_pool(input, args, ceil_mode, return_indices, "MaxPool2DWithIndicesBackward0")


def _max_pool(x: Tensor, args: dict[str, tuple], ceil_mode: bool, return_indices: bool,
              name: str) -> Any:
    attrs = {**args, "ceil_mode": bool(ceil_mode)}
    out = ops.apply("max_pool2d", (x,), name=name, **attrs)
    if not return_indices:
        return out
    return out, ops.apply("max_pool2d_indices", (x.detach(),), **attrs)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, L) or (C, L): ``F.max_pool1d(torch.randn(2, 3, 8), 2)``."""
    _check_1d_input(input, "max_pool1d")
    args = _lift_1d(_pool_args(kernel_size, stride, padding, dilation, 1, "max_pool1d"),
                    {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1})
    res = _max_pool(unsqueeze(input, -2), args, ceil_mode, return_indices,
                    "MaxPool2DWithIndicesBackward0")
    if not return_indices:
        return named(squeeze_dims(res, [res.ndim - 2]), "SqueezeBackward1")
    out, idx = res
    return (named(squeeze_dims(out, [out.ndim - 2]), "SqueezeBackward1"),
            squeeze_dims(idx, [idx.ndim - 2]))


def _check_1d_input(x: Tensor, op: str) -> None:
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{op}() Expected 2D or 3D input tensor, but got {fmt_shape(x.shape)}")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows of (N, C, H, W) or (C, H, W): ``F.avg_pool2d(x, 2)``."""
    args = _pool_args(kernel_size, stride, padding, 1, 2, "avg_pool2d")
    del args["dilation"]
    return ops.apply("avg_pool2d", (input,), name="AvgPool2DBackward0", **args,
                     ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                     divisor_override=divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L): ``F.avg_pool1d(torch.randn(2, 3, 8), 2)``."""
    _check_1d_input(input, "avg_pool1d")
    args = _lift_1d(_pool_args(kernel_size, stride, padding, 1, 1, "avg_pool1d"),
                    {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1})
    del args["dilation"]
    out = ops.apply("avg_pool2d", (unsqueeze(input, -2),), name="AvgPool2DBackward0", **args,
                    ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                    divisor_override=None)
    return named(squeeze_dims(out, [out.ndim - 2]), "SqueezeBackward1")


def _adaptive_size(output_size: Any, input: Tensor, n: int) -> tuple[int, ...]:
    if isinstance(output_size, (int, np.integer)):
        sizes: tuple[Any, ...] = (int(output_size),) * n
    else:
        sizes = tuple(output_size)
        if len(sizes) == 1:
            sizes = sizes * n
    if len(sizes) != n:
        raise RuntimeError(f"adaptive pooling: output_size must have {n} elements, got "
                           f"{list(sizes)}")
    spatial = tuple(input.shape[-n:])
    return tuple(spatial[i] if s is None else int(s) for i, s in enumerate(sizes))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows: ``F.adaptive_avg_pool2d(x, (1, 1))``."""
    size = _adaptive_size(output_size, input, 2)
    out = ops.apply("adaptive_avg_pool2d", (input,), name="AdaptiveAvgPool2DBackward0",
                    output_size=size)
    return named(out, "MeanBackward1") if size == (1, 1) else out


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average over the last dim of (N, C, L) or (C, L): ``F.adaptive_avg_pool1d(x, 2)``.
    """
    _check_1d_input(input, "adaptive_avg_pool1d")
    (size,) = _adaptive_size(output_size, input, 1)
    out = ops.apply("adaptive_avg_pool2d", (unsqueeze(input, -2),),
                    output_size=(1, size))
    return named(squeeze_dims(out, [out.ndim - 2]), "SqueezeBackward1")


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _window_max(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    """max over x[..., start:stop, ...] along ``axis``, keeping the dim."""
    starts = tuple(start if i == axis else 0 for i in range(x.ndim))
    stops = tuple(stop if i == axis else d for i, d in enumerate(x.shape))
    part = ops.apply("slice", (x,), starts=starts, stops=stops, steps=(1,) * x.ndim)
    return _reduce.amax(part, axis, keepdim=True)


def _adaptive_max_composite(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Max is separable: reduce row windows, then column windows (slices + amax + cat)."""
    h_axis, w_axis = x.ndim - 2, x.ndim - 1
    y = cat([_window_max(x, h_axis, a, b) for a, b in _adaptive_bounds(x.shape[-2], size[0])],
            h_axis)
    return cat([_window_max(y, w_axis, a, b) for a, b in _adaptive_bounds(x.shape[-1], size[1])],
               w_axis)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows: ``F.adaptive_max_pool2d(x, 2)``.

    Divisible sizes lower to ``max_pool2d``; others to a separable slice/amax composite (ties
    inside one window then share the gradient; ``return_indices`` needs divisible sizes).
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{fmt_shape(input.shape)}")
    size = _adaptive_size(output_size, input, 2)
    h, w = input.shape[-2:]
    if h % size[0] == 0 and w % size[1] == 0:
        k = (h // size[0], w // size[1])
        args = {"kernel_size": k, "stride": k, "padding": (0, 0), "dilation": (1, 1)}
        return _max_pool(input, args, False, return_indices, "AdaptiveMaxPool2DBackward0")
    if return_indices:
        raise NotImplementedError(
            f"adaptive_max_pool2d: return_indices=True needs the input size {(h, w)} to be "
            f"divisible by output_size {size}; pool to a divisible size first")
    return named(_adaptive_max_composite(input, size), "AdaptiveMaxPool2DBackward0")


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max over the last dim of (N, C, L) or (C, L): ``F.adaptive_max_pool1d(x, 4)``."""
    _check_1d_input(input, "adaptive_max_pool1d")
    (size,) = _adaptive_size(output_size, input, 1)
    res = adaptive_max_pool2d(unsqueeze(input, -2), (1, size), return_indices)
    if not return_indices:
        return named(squeeze_dims(res, [res.ndim - 2]), "SqueezeBackward1")
    out, idx = res
    return (named(squeeze_dims(out, [out.ndim - 2]), "SqueezeBackward1"),
            squeeze_dims(idx, [idx.ndim - 2]))


# ---------------------------------------------------------------- padding


def _pad_pairs(input: Tensor, pad: Any) -> list[tuple[int, int]]:
    """PyTorch's flat (last_lo, last_hi, prev_lo, prev_hi, ...) -> (lo, hi) per dimension."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pairs = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        pairs[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return pairs


def _crop_negative(x: Tensor, pairs: list[tuple[int, int]]) -> Tensor:
    """Negative constant padding crops."""
    starts = tuple(max(0, -lo) for lo, _ in pairs)
    stops = tuple(d - max(0, -hi) for d, (_, hi) in zip(x.shape, pairs, strict=True))
    if any(b < a for a, b in zip(starts, stops, strict=True)):
        raise RuntimeError(f"The input size {fmt_shape(x.shape)}, plus negative padding "
                           f"{pairs} resulted in a negative output size")
    if starts == (0,) * x.ndim and stops == tuple(x.shape):
        return x
    return ops.apply("slice", (x,), starts=starts, stops=stops, steps=(1,) * x.ndim)


def _index_pad(x: Tensor, pairs: list[tuple[int, int]], mode: str, name: str) -> Tensor:
    """reflect / replicate / circular padding as one ``take`` per padded dim (``name``:
    the grad_fn's)."""
    shape = x._data.shape
    for axis, (lo, hi) in enumerate(pairs):
        n = shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {axis} of input {fmt_shape(x.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if lo < 0 or hi < 0:
            raise NotImplementedError(f"pad: negative padding in mode '{mode}' is not supported")
    if fast.plain(x):  # the interior, then the border planes (_fused_nn.pad_data)
        return fast.result(_fused_nn.pad_data(x._data, pairs, mode, _pad_positions), fresh=True)
    fused = _fused_nn.index_pad(x, pairs, mode, name, _pad_positions,
                                lambda t: _index_pad(t, pairs, mode, name))
    if fused is not None:
        return fused
    for axis, (lo, hi) in enumerate(pairs):
        if lo or hi:
            pos = _pad_positions(mode, shape[axis], lo, hi)
            x = ops.apply("take", (x, Tensor._make(pos.copy())), axis=axis)
    return x


@functools.lru_cache(maxsize=256)
def _pad_positions(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """The source position of each padded index along a dim of size ``n`` (int64, read-only:
    shared by every call with these sizes)."""
    pos = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        pos = np.abs(pos) % period
        pos = np.where(pos >= n, period - pos, pos)
    else:
        pos = np.clip(pos, 0, n - 1) if mode == "replicate" else pos % n
    pos.flags.writeable = False
    return pos


_PAD_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
              "circular": "CopySlices"}


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims by (last_lo, last_hi, prev_lo, prev_hi, ...).

    ``F.pad(torch.ones(1, 2, 2), (1, 1))`` -> (1, 2, 4); modes: constant (negative pads crop),
    reflect, replicate, circular.
    """
    pairs = _pad_pairs(input, pad)
    if mode == "constant" and fast.plain_float(input) and all(
            lo >= 0 and hi >= 0 for lo, hi in pairs):
        data = input._data  # np.pad's result, without its Python-level cost
        out = np.full([d + lo + hi for d, (lo, hi) in zip(data.shape, pairs, strict=True)],
                      data.dtype.type(0 if value is None else value), data.dtype)
        out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(data.shape, pairs, strict=True))] = data
        return Tensor._make(out)
    if mode == "constant":
        x = _crop_negative(input, pairs)
        pos = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
        if any(p != (0, 0) for p in pos):
            fill = 0 if value is None else value
            x = ops.apply("pad", (x,), pads=tuple(pos), value=fill)
        return named(x, "ConstantPadNdBackward0") if x is not input else ops.clone(input)
    if mode not in _PAD_NAMES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value not in (None, 0):
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    dims = len(list(pad)) // 2
    if input.ndim not in (dims + 1, dims + 2) or dims > 3:
        raise NotImplementedError(f"Padding size {len(list(pad))} is not supported for "
                                  f"{input.ndim}D input tensor.")
    name = _PAD_NAMES[mode].format(dims)
    out = _index_pad(input, pairs, mode, name)
    if mode == "circular":  # PyTorch's is a chain of CopySlices nodes
        return named(out, name)
    return named(out, name, input)
