"""Window ops: 2-D convolution and pooling, with their gradient ops (all kind ``WINDOW``).

Layouts are NCHW (pools also accept CHW); conv weights are OIHW with ``I == C // groups``.
Every geometric attribute is an ``(h, w)`` tuple; the frontend resolves PyTorch's defaults
(``stride=None`` means the kernel size, ``'same'`` padding, 1-D forms) before emitting them.
Bias is *not* part of ``conv2d``: the caller adds it with ``reshape`` + ``add`` so it fuses as
an epilogue. The numpy meaning of every op is in :mod:`tenkai.ir.nn_reference`.

The gradient ops are differentiable again (double backward): ``conv2d_grad_input`` and
``conv2d_grad_weight`` are bilinear, the pooling gradients are linear in the cotangent.
For example the VJP of ``conv2d(x, w)`` is::

    gx = conv2d_grad_input(g, w) {input_shape=x.shape, ...}
    gw = conv2d_grad_weight(x, g) {weight_shape=w.shape, ...}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes, nn_reference
from .errors import DTypeError, ShapeError
from .graph import Builder, Value
from .ops import REQUIRED, WINDOW, OpDef, fmt_shape, register

Shape = tuple[int, ...]
Pair = tuple[int, int]
Grads = tuple["Value | None", ...]

_CONV_ATTRS = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1}
_MAX_POOL_ATTRS = {"kernel_size": REQUIRED, "stride": REQUIRED, "padding": (0, 0),
                   "dilation": (1, 1), "ceil_mode": False}
_AVG_POOL_ATTRS = {"kernel_size": REQUIRED, "stride": REQUIRED, "padding": (0, 0),
                   "ceil_mode": False, "count_include_pad": True, "divisor_override": None}


def _pair_str(pair: Pair) -> str:
    return f"({pair[0]} x {pair[1]})"


# ---------------------------------------------------------------- dtype rules


def _float_dtypes(op: str, names: tuple[str, ...]) -> Callable[[list[str], dict[str, Any]], str]:
    """All operands floating point and of one dtype (PyTorch's conv/pool requirement)."""
    def rule(dts: list[str], attrs: dict[str, Any]) -> str:
        for name, dt in zip(names, dts, strict=True):
            if not dtypes.is_float(dt):
                raise DTypeError(f"{op}: expected a floating point {name}, got {dt}; "
                                 "cast it with .float() first")
        if len(set(dts)) != 1:
            pairs = " and ".join(f"{n} type ({d})" for n, d in zip(names, dts, strict=True))
            raise DTypeError(f"{op}: {pairs[0].upper()}{pairs[1:]} should be the same; "
                             "cast one with .to(dtype)")
        return dts[0]
    return rule


# ---------------------------------------------------------------- conv geometry


def _check_positive(op: str, attrs: dict[str, Any]) -> None:
    if any(s <= 0 for s in attrs["stride"]):
        raise ShapeError(f"{op}: non-positive stride is not supported (stride={attrs['stride']})")
    if any(p < 0 for p in attrs["padding"]):
        raise ShapeError(f"{op}: negative padding is not supported (padding={attrs['padding']})")
    if any(d <= 0 for d in attrs["dilation"]):
        raise ShapeError(f"{op}: dilation should be greater than zero "
                         f"(dilation={attrs['dilation']})")
    if attrs["groups"] <= 0:
        raise ShapeError(f"{op}: non-positive groups is not supported (groups={attrs['groups']})")


def conv_shape(op: str, x: Shape, w: Shape, attrs: dict[str, Any]) -> Shape:
    """Output shape of ``conv2d(x, w)``; raises PyTorch's messages prefixed with ``op``."""
    if len(x) != 4:
        raise ShapeError(f"{op}: Expected 4D (batched) input to conv2d, but got input of size: "
                         f"{fmt_shape(x)}")
    if len(w) != 4:
        raise ShapeError(f"{op}: weight should be 4-D (out_channels, in_channels / groups, kH, "
                         f"kW), but got weight of size {fmt_shape(w)}")
    _check_positive(op, attrs)
    groups = attrs["groups"]
    if w[0] % groups:
        raise ShapeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                         f"{groups} at dimension 0, but got weight of size {fmt_shape(w)} instead")
    if x[1] != w[1] * groups:
        raise ShapeError(f"{op}: Given groups={groups}, weight of size {fmt_shape(w)}, expected "
                         f"input{fmt_shape(x)} to have {w[1] * groups} channels, but got {x[1]} "
                         "channels instead")
    padded = tuple(x[2 + i] + 2 * attrs["padding"][i] for i in range(2))
    kernel = tuple(attrs["dilation"][i] * (w[2 + i] - 1) + 1 for i in range(2))
    if any(k > p for k, p in zip(kernel, padded, strict=True)):
        raise ShapeError(f"{op}: Calculated padded input size per channel: {_pair_str(padded)}. "
                         f"Kernel size: {_pair_str(kernel)}. Kernel size can't be greater than "
                         "actual input size")
    out = tuple(nn_reference.conv_output_size(x[2 + i], w[2 + i], attrs["stride"][i],
                                              attrs["padding"][i], attrs["dilation"][i])
                for i in range(2))
    return (x[0], w[0], *out)


def _conv2d_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return conv_shape("conv2d", shapes[0], shapes[1], attrs)


def _check_grad(op: str, g: Shape, expected: Shape, what: str) -> None:
    if tuple(g) != tuple(expected):
        raise ShapeError(f"{op}: expected grad_output of size {fmt_shape(expected)} for {what}, "
                         f"but got {fmt_shape(g)}")


def _conv2d_grad_input_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    g, w = shapes
    x = tuple(attrs["input_shape"])
    out = conv_shape("conv2d_grad_input", x, w, attrs)
    _check_grad("conv2d_grad_input", g, out, f"input {fmt_shape(x)} and weight {fmt_shape(w)}")
    return x


def _conv2d_grad_weight_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    x, g = shapes
    w = tuple(attrs["weight_shape"])
    out = conv_shape("conv2d_grad_weight", x, w, attrs)
    _check_grad("conv2d_grad_weight", g, out, f"input {fmt_shape(x)} and weight {fmt_shape(w)}")
    return w


# ---------------------------------------------------------------- conv vjps


def _conv2d_vjp(b: Builder, g: Value, out: Value, x: Value, w: Value,
                **attrs: Any) -> Grads:
    gx = b.conv2d_grad_input(g, w, input_shape=tuple(x.shape), **attrs)
    gw = b.conv2d_grad_weight(x, g, weight_shape=tuple(w.shape), **attrs)
    return gx, gw


def _conv2d_grad_input_vjp(b: Builder, h: Value, out: Value, g: Value, w: Value,
                            input_shape: Shape, **attrs: Any) -> Grads:
    # <h, grad_input(g, w)> = <g, conv2d(h, w)>: bilinear in (g, w)
    gg = b.conv2d(h, w, **attrs)
    gw = b.conv2d_grad_weight(h, g, weight_shape=tuple(w.shape), **attrs)
    return gg, gw


def _conv2d_grad_weight_vjp(b: Builder, h: Value, out: Value, x: Value, g: Value,
                             weight_shape: Shape, **attrs: Any) -> Grads:
    # <h, grad_weight(x, g)> = <g, conv2d(x, h)>: bilinear in (x, g)
    gx = b.conv2d_grad_input(g, h, input_shape=tuple(x.shape), **attrs)
    gg = b.conv2d(x, h, **attrs)
    return gx, gg


register(OpDef("conv2d", 2, WINDOW, _conv2d_shape, _float_dtypes("conv2d", ("input", "weight")),
               nn_reference.conv2d, _conv2d_vjp, attrs=dict(_CONV_ATTRS),
               doc="cross-correlation of x (N,C,H,W) with w (O,C/groups,KH,KW); no bias"))
register(OpDef("conv2d_grad_input", 2, WINDOW, _conv2d_grad_input_shape,
               _float_dtypes("conv2d_grad_input", ("grad_output", "weight")),
               nn_reference.conv2d_grad_input, _conv2d_grad_input_vjp,
               attrs={"input_shape": REQUIRED, **_CONV_ATTRS},
               doc="transposed convolution: the gradient of conv2d w.r.t. its input"))
register(OpDef("conv2d_grad_weight", 2, WINDOW, _conv2d_grad_weight_shape,
               _float_dtypes("conv2d_grad_weight", ("input", "grad_output")),
               nn_reference.conv2d_grad_weight, _conv2d_grad_weight_vjp,
               attrs={"weight_shape": REQUIRED, **_CONV_ATTRS},
               doc="the gradient of conv2d w.r.t. its weight"))

# ---------------------------------------------------------------- pooling geometry


def _pool_input(op: str, x: Shape) -> None:
    if len(x) not in (3, 4) or any(d == 0 for d in x[-3:]):
        raise ShapeError(f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, "
                         f"but got input of size {fmt_shape(x)}")


def pool_shape(op: str, x: Shape, attrs: dict[str, Any]) -> Shape:
    """Output shape of a max/avg pool of ``x``; raises PyTorch's messages prefixed with ``op``."""
    _pool_input(op, x)
    kernel, stride, padding = attrs["kernel_size"], attrs["stride"], attrs["padding"]
    dilation = attrs.get("dilation", (1, 1))
    if any(k <= 0 for k in kernel):
        raise ShapeError(f"{op}: kernel_size must be greater than zero, but got {kernel}")
    if any(s <= 0 for s in stride):
        raise ShapeError(f"{op}: stride should not be zero (stride={stride})")
    if any(d <= 0 for d in dilation):
        raise ShapeError(f"{op}: dilation should be greater than zero, but got {dilation}")
    for k, p, d in zip(kernel, padding, dilation, strict=True):
        if p < 0 or p > ((k - 1) * d + 1) // 2:
            raise ShapeError(f"{op}: pad should be at most half of effective kernel size, but "
                             f"got pad={p}, kernel_size={k} and dilation={d}")
    out = tuple(nn_reference.pool_output_size(x[-2 + i], kernel[i], stride[i], padding[i],
                                              dilation[i], attrs["ceil_mode"]) for i in range(2))
    if out[0] < 1 or out[1] < 1:
        raise ShapeError(f"{op}: Given input size: ({x[-3]}x{x[-2]}x{x[-1]}). Calculated output "
                         f"size: ({x[-3]}x{out[0]}x{out[1]}). Output size is too small")
    return (*x[:-2], *out)


def _max_pool2d_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return pool_shape("max_pool2d", shapes[0], attrs)


def _max_pool2d_grad_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    g, x = shapes
    _check_grad("max_pool2d_grad", g, pool_shape("max_pool2d_grad", x, attrs),
                f"input {fmt_shape(x)}")
    return x


def _avg_pool2d_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    if attrs["divisor_override"] is not None and attrs["divisor_override"] == 0:
        raise ShapeError("avg_pool2d: divisor must be not zero")
    return pool_shape("avg_pool2d", shapes[0], attrs)


def _avg_pool2d_grad_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    x = tuple(attrs["input_shape"])
    _check_grad("avg_pool2d_grad", shapes[0], pool_shape("avg_pool2d_grad", x, attrs),
                f"input {fmt_shape(x)}")
    return x


# ---------------------------------------------------------------- pooling ops


def _max_pool2d_vjp(b: Builder, g: Value, out: Value, x: Value, **attrs: Any) -> Grads:
    return (b.max_pool2d_grad(g, x, **attrs),)


def _max_pool2d_grad_vjp(b: Builder, h: Value, out: Value, g: Value, x: Value,
                         **attrs: Any) -> Grads:
    # linear in g: each g[o] lands on its window's argmax, so the adjoint reads h there
    idx = b.max_pool2d_indices(x, **attrs)
    lead = tuple(x.shape[:-2])
    flat_h = b.reshape(h, shape=(*lead, x.shape[-2] * x.shape[-1]))
    flat_idx = b.reshape(idx, shape=(*lead, g.shape[-2] * g.shape[-1]))
    gg = b.reshape(b.gather(flat_h, flat_idx, axis=len(lead)), shape=tuple(g.shape))
    # the argmax is piecewise constant in x: zero gradient almost everywhere
    gx = b.full(shape=tuple(x.shape), value=0.0, dtype=x.dtype)
    return gg, gx


def _int64(dts: list[str], attrs: dict[str, Any]) -> str:
    _float_dtypes("max_pool2d_indices", ("input",))(dts, attrs)
    return "int64"


register(OpDef("max_pool2d", 1, WINDOW, _max_pool2d_shape,
               _float_dtypes("max_pool2d", ("input",)), nn_reference.max_pool2d,
               _max_pool2d_vjp, attrs=dict(_MAX_POOL_ATTRS),
               doc="max over (dilated) windows; -inf padding; NaN propagates"))
register(OpDef("max_pool2d_indices", 1, WINDOW, _max_pool2d_shape, _int64,
               nn_reference.max_pool2d_indices, None, attrs=dict(_MAX_POOL_ATTRS),
               doc="int64 flat index h*W+w of each window's max (PyTorch's return_indices)"))
register(OpDef("max_pool2d_grad", 2, WINDOW, _max_pool2d_grad_shape,
               _float_dtypes("max_pool2d_grad", ("grad_output", "input")),
               nn_reference.max_pool2d_grad, _max_pool2d_grad_vjp, attrs=dict(_MAX_POOL_ATTRS),
               doc="routes each grad_output element to its window's argmax in input"))


def _avg_pool2d_vjp(b: Builder, g: Value, out: Value, x: Value, **attrs: Any) -> Grads:
    return (b.avg_pool2d_grad(g, input_shape=tuple(x.shape), **attrs),)


def _avg_pool2d_grad_ref(g: np.ndarray, *, input_shape: Shape, **attrs: Any) -> np.ndarray:
    return nn_reference.avg_pool2d_grad(g, tuple(input_shape), **attrs)


def _avg_pool2d_grad_vjp(b: Builder, h: Value, out: Value, g: Value, input_shape: Shape,
                         **attrs: Any) -> Grads:
    return (b.avg_pool2d(h, **attrs),)  # avg_pool2d_grad is the adjoint of avg_pool2d


register(OpDef("avg_pool2d", 1, WINDOW, _avg_pool2d_shape,
               _float_dtypes("avg_pool2d", ("input",)), nn_reference.avg_pool2d,
               _avg_pool2d_vjp, attrs=dict(_AVG_POOL_ATTRS),
               doc="mean over windows (zero padding; divisor per PyTorch's flags)"))
register(OpDef("avg_pool2d_grad", 1, WINDOW, _avg_pool2d_grad_shape,
               _float_dtypes("avg_pool2d_grad", ("grad_output",)), _avg_pool2d_grad_ref,
               _avg_pool2d_grad_vjp, attrs={"input_shape": REQUIRED, **_AVG_POOL_ATTRS},
               doc="adjoint of avg_pool2d: spreads each grad_output over its window"))

# ---------------------------------------------------------------- adaptive average pooling


def _adaptive_input(op: str, x: Shape) -> None:
    if len(x) not in (3, 4):
        raise ShapeError(f"{op}: Expected 3D or 4D tensor, but got {fmt_shape(x)}")
    for i in range(1, len(x)):
        if x[i] == 0:
            raise ShapeError(f"{op}: Expected input to have non-zero size for non-batch "
                             f"dimensions, but input has sizes {fmt_shape(x)} with dimension "
                             f"{i} being empty")


def _adaptive_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    x, out = shapes[0], tuple(attrs["output_size"])
    _adaptive_input("adaptive_avg_pool2d", x)
    if len(out) != 2 or any(d < 0 for d in out):
        raise ShapeError(f"adaptive_avg_pool2d: output_size must be 2 non-negative ints, got "
                         f"{out}")
    return (*x[:-2], *out)


def _adaptive_grad_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    g, x = shapes[0], tuple(attrs["input_shape"])
    _adaptive_input("adaptive_avg_pool2d_grad", x)
    if len(g) != len(x) or tuple(g[:-2]) != x[:-2]:
        raise ShapeError(f"adaptive_avg_pool2d_grad: grad_output of size {fmt_shape(g)} does not "
                         f"match input {fmt_shape(x)} outside the last two dimensions")
    return x


def _adaptive_ref(x: np.ndarray, *, output_size: Pair) -> np.ndarray:
    return nn_reference.adaptive_avg_pool2d(x, tuple(output_size))


def _adaptive_grad_ref(g: np.ndarray, *, input_shape: Shape) -> np.ndarray:
    return nn_reference.adaptive_avg_pool2d_grad(g, tuple(input_shape))


def _adaptive_vjp(b: Builder, g: Value, out: Value, x: Value, output_size: Pair) -> Grads:
    return (b.adaptive_avg_pool2d_grad(g, input_shape=tuple(x.shape)),)


def _adaptive_grad_vjp(b: Builder, h: Value, out: Value, g: Value,
                       input_shape: Shape) -> Grads:
    return (b.adaptive_avg_pool2d(h, output_size=tuple(g.shape[-2:])),)


register(OpDef("adaptive_avg_pool2d", 1, WINDOW, _adaptive_shape,
               _float_dtypes("adaptive_avg_pool2d", ("input",)), _adaptive_ref, _adaptive_vjp,
               attrs={"output_size": REQUIRED},
               doc="mean over PyTorch's adaptive windows [floor(iL/n), ceil((i+1)L/n))"))
register(OpDef("adaptive_avg_pool2d_grad", 1, WINDOW, _adaptive_grad_shape,
               _float_dtypes("adaptive_avg_pool2d_grad", ("grad_output",)), _adaptive_grad_ref,
               _adaptive_grad_vjp, attrs={"input_shape": REQUIRED},
               doc="adjoint of adaptive_avg_pool2d (output size = grad_output's last two dims)"))
