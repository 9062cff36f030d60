"""ONNX network operators in tenkai ops: Gemm, MatMul, Conv, ConvTranspose, MaxPool,
AveragePool, GlobalAveragePool/GlobalMaxPool, BatchNormalization, LayerNormalization.

1-D and 2-D convolutions and pools map onto tenkai's ``F.conv1d/conv2d`` etc.; asymmetric
padding (``pads`` begin != end, or ``auto_pad=SAME_*``) becomes an explicit ``F.pad``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _shape
from ..nn import functional as F
from ._ctx import Ctx, as_tensor


def _window(ctx: Ctx, spatial: tuple[int, ...], kernel: tuple[int, ...]
            ) -> tuple[tuple[int, ...], tuple[int, ...], list[tuple[int, int]]]:
    """strides, dilations and per-axis (begin, end) pads, auto_pad resolved."""
    n = len(spatial)
    strides = tuple(int(s) for s in ctx.attr("strides", [1] * n))
    dilations = tuple(int(d) for d in ctx.attr("dilations", [1] * n))
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
            out = -(-size // s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small = total // 2
            pads.append((small, total - small) if auto_pad == "SAME_UPPER"
                        else (total - small, small))
        return strides, dilations, pads
    if auto_pad == "VALID":
        return strides, dilations, [(0, 0)] * n
    flat = [int(p) for p in ctx.attr("pads", [0] * (2 * n))]
    return strides, dilations, list(zip(flat[:n], flat[n:], strict=True))


def _pad_explicit(x: Any, pads: list[tuple[int, int]], value: float
                  ) -> tuple[Any, tuple[int, ...]]:
    """Symmetric pads go to the op; otherwise pad first (F.pad lists the last axis first)."""
    if all(b == e for b, e in pads):
        return x, tuple(b for b, _ in pads)
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(x, flat, value=value), (0,) * len(pads)


def _spatial_fn(ctx: Ctx, x: Any, table: dict[int, Callable[..., Any]]) -> Callable[..., Any]:
    fn = table.get(x.ndim - 2)
    if fn is None:
        raise ctx.unsupported(f"a {x.ndim - 2}-D input (shape {list(x.shape)}); tenkai has "
                              f"{sorted(table)}-D versions")
    return fn


def _gemm(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    a, b = as_tensor(inputs[0]), as_tensor(inputs[1])
    a = a.t() if ctx.attr("transA", 0) else a
    b = b.t() if ctx.attr("transB", 0) else b
    out = _shape.matmul(a, b)
    alpha, beta = float(ctx.attr("alpha", 1.0)), float(ctx.attr("beta", 1.0))
    if alpha != 1.0:
        out = out * alpha
    if len(inputs) > 2 and inputs[2] is not None and beta != 0.0:
        c = as_tensor(inputs[2])
        out = out + (c * beta if beta != 1.0 else c)
    return [out]


def _matmul(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [_shape.matmul(as_tensor(inputs[0]), as_tensor(inputs[1]))]


def _conv(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, w = as_tensor(inputs[0]), as_tensor(inputs[1])
    bias = as_tensor(inputs[2]) if len(inputs) > 2 and inputs[2] is not None else None
    fn = _spatial_fn(ctx, x, {1: F.conv1d, 2: F.conv2d})
    strides, dilations, pads = _window(ctx, tuple(x.shape[2:]), tuple(w.shape[2:]))
    x, padding = _pad_explicit(x, pads, 0.0)
    return [fn(x, w, bias, strides, padding, dilations, int(ctx.attr("group", 1)))]


def _conv_transpose(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, w = as_tensor(inputs[0]), as_tensor(inputs[1])
    bias = as_tensor(inputs[2]) if len(inputs) > 2 and inputs[2] is not None else None
    fn = _spatial_fn(ctx, x, {1: F.conv_transpose1d, 2: F.conv_transpose2d})
    n = x.ndim - 2
    kernel = tuple(w.shape[2:])
    strides = tuple(int(s) for s in ctx.attr("strides", [1] * n))
    dilations = tuple(int(d) for d in ctx.attr("dilations", [1] * n))
    out_pad = [int(p) for p in ctx.attr("output_padding", [0] * n)]
    full = [(size - 1) * s + (k - 1) * d + 1 + op for size, k, s, d, op
            in zip(x.shape[2:], kernel, strides, dilations, out_pad, strict=True)]
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if ctx.attr("output_shape") is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = ctx.attr("output_shape") or [size * s for size, s in zip(x.shape[2:], strides,
                                                                           strict=True)]
        target = [int(t) for t in target][-n:]
        totals = [f - t for f, t in zip(full, target, strict=True)]
        if any(t < 0 for t in totals):
            raise ctx.unsupported(f"output_shape {target} larger than the full output {full}")
        upper = auto_pad == "SAME_UPPER"  # the ONNX formula: otherwise more pad at the start
        pads = [((t // 2, t - t // 2) if upper else (t - t // 2, t // 2)) for t in totals]
    elif auto_pad == "VALID":
        pads = [(0, 0)] * n
    else:
        flat = [int(p) for p in ctx.attr("pads", [0] * (2 * n))]
        pads = list(zip(flat[:n], flat[n:], strict=True))
    groups = int(ctx.attr("group", 1))
    if all(b == e for b, e in pads):
        return [fn(x, w, bias, strides, tuple(b for b, _ in pads), tuple(out_pad), groups,
                   dilations)]
    out = fn(x, w, bias, strides, 0, tuple(out_pad), groups, dilations)
    index = (slice(None), slice(None)) + tuple(slice(b, f - e) for (b, e), f in zip(pads, full,
                                                                                    strict=True))
    return [out[index]]


def _kernel(ctx: Ctx) -> tuple[int, ...]:
    return tuple(int(k) for k in ctx.attr("kernel_shape"))


def _max_pool(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    if ctx.n_outputs > 1:
        raise ctx.unsupported("the Indices output of MaxPool")
    x = as_tensor(inputs[0])
    fn = _spatial_fn(ctx, x, {1: F.max_pool1d, 2: F.max_pool2d})
    kernel = _kernel(ctx)
    strides, dilations, pads = _window(ctx, tuple(x.shape[2:]), kernel)
    x, padding = _pad_explicit(x, pads, float("-inf"))
    return [fn(x, kernel, strides, padding, dilations, ceil_mode=bool(ctx.attr("ceil_mode", 0)))]


def _average_pool(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    fn = _spatial_fn(ctx, x, {1: F.avg_pool1d, 2: F.avg_pool2d})
    kernel = _kernel(ctx)
    strides, dilations, pads = _window(ctx, tuple(x.shape[2:]), kernel)
    if any(d != 1 for d in dilations):
        raise ctx.unsupported(f"dilations {list(dilations)} (tenkai's avg_pool has none)")
    include = bool(ctx.attr("count_include_pad", 0))
    if not include and any(b != e for b, e in pads):
        raise ctx.unsupported(f"asymmetric pads {pads} with count_include_pad=0")
    x, padding = _pad_explicit(x, pads, 0.0)
    return [fn(x, kernel, strides, padding, ceil_mode=bool(ctx.attr("ceil_mode", 0)),
               count_include_pad=include)]


def _global_pool(method: str) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        x = as_tensor(inputs[0])
        return [getattr(x, method)(dim=tuple(range(2, x.ndim)), keepdim=True)]

    return handler


def _channel_view(t: Any, ndim: int) -> Any:
    return as_tensor(t).reshape((1, -1) + (1,) * (ndim - 2))


def _batch_norm(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, scale, bias, mean, var = (as_tensor(v) for v in inputs[:5])
    eps = float(ctx.attr("epsilon", 1e-5))
    if not ctx.attr("training_mode", 0):
        return [F.batch_norm(x, mean, var, scale, bias, training=False, eps=eps)]
    # training mode (opset 14+): batch statistics; the running-stat outputs follow the ONNX
    # formula (momentum weighs the old value; population variance), computed functionally
    axes = (0, *range(2, x.ndim))
    batch_mean = x.mean(dim=axes)
    batch_var = x.var(dim=axes, correction=0)
    y = (x - _channel_view(batch_mean, x.ndim)) * _channel_view(
        (batch_var + eps).rsqrt(), x.ndim)
    y = y * _channel_view(scale, x.ndim) + _channel_view(bias, x.ndim)
    momentum = float(ctx.attr("momentum", 0.9))
    running_mean = mean * momentum + batch_mean * (1 - momentum)
    running_var = var * momentum + batch_var * (1 - momentum)
    return [y, running_mean, running_var][:ctx.n_outputs]


def _layer_norm(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, scale = as_tensor(inputs[0]), as_tensor(inputs[1])
    bias = as_tensor(inputs[2]) if len(inputs) > 2 and inputs[2] is not None else None
    axis = int(ctx.attr("axis", -1)) % x.ndim
    eps = float(ctx.attr("epsilon", 1e-5))
    normalized = tuple(x.shape[axis:])
    if ctx.n_outputs == 1 and tuple(scale.shape) == normalized and (
            bias is None or tuple(bias.shape) == normalized):
        return [F.layer_norm(x, normalized, scale, bias, eps)]
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(dim=axes, keepdim=True)
    centered = x - mean
    inv_std = ((centered * centered).mean(dim=axes, keepdim=True) + eps).rsqrt()
    y = centered * inv_std * scale
    if bias is not None:
        y = y + bias
    return [y, mean, inv_std][:ctx.n_outputs]


NN_HANDLERS: dict[str, Callable[[Ctx, list[Any]], list[Any]]] = {
    "Gemm": _gemm, "MatMul": _matmul, "Conv": _conv, "ConvTranspose": _conv_transpose,
    "MaxPool": _max_pool, "AveragePool": _average_pool,
    "GlobalAveragePool": _global_pool("mean"), "GlobalMaxPool": _global_pool("amax"),
    "BatchNormalization": _batch_norm, "LayerNormalization": _layer_norm,
}
