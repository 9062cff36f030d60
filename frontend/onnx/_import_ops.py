"""ONNX operators in tenkai ops: one handler per op type, ``handler(ctx, inputs) -> outputs``.

A value is a tenkai :class:`Tensor` (data that flows through the model and records into
the graph) or a numpy array (a static value: a constant, an integer initializer, or the
result of a shape computation, which the importer folds at trace time). Handlers run only
when some input is a Tensor; all-static nodes are folded by :mod:`._module` instead.
Attribute-vs-input forms that changed between opsets (Split/Squeeze/Unsqueeze/Reduce* axes,
Clip min/max) are read from whichever the node carries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _creation, _ops
from .._tensor import Tensor
from ..nn import functional as F
from ._common import tenkai_dtype
from ._ctx import Ctx, as_tensor


def _unary(fn: Callable[[Tensor], Tensor]) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        return [fn(as_tensor(inputs[0]))]

    return handler


def _binary(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        return [fn(as_tensor(inputs[0]), as_tensor(inputs[1]))]

    return handler


def _div(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    a, b = as_tensor(inputs[0]), as_tensor(inputs[1])
    if a.dtype.is_floating_point:
        return [a / b]
    return [_ops.div(a, b, rounding_mode="trunc")]  # ONNX integer Div truncates


def _pow(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    base, exponent = as_tensor(inputs[0]), inputs[1]
    if isinstance(exponent, np.ndarray) and exponent.ndim == 0:
        exponent = exponent.item()  # a scalar exponent keeps x ** 2 a plain pow
    out = _ops.pow(base, as_tensor(exponent) if isinstance(exponent, np.ndarray) else exponent)
    return [out if out.dtype == base.dtype else out.to(base.dtype)]  # ONNX: the base's type


def _variadic(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        out = as_tensor(inputs[0])
        for value in inputs[1:]:
            out = fn(out, as_tensor(value))
        return [out]

    return handler


def _leaky_relu(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [F.leaky_relu(as_tensor(inputs[0]), float(ctx.attr("alpha", 0.01)))]


def _gelu(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [F.gelu(as_tensor(inputs[0]), approximate=ctx.attr("approximate", "none"))]


def _softmax_like(fn: Callable[..., Tensor]) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        # opset 13+ (the importer's range): along one axis, as in PyTorch
        return [fn(as_tensor(inputs[0]), dim=int(ctx.attr("axis", -1)))]

    return handler


def _elu_like(x: Tensor, alpha: float) -> Tensor:
    return _ops.where(x > 0, x, (_ops.exp(x) - 1.0) * alpha)


def _elu(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [_elu_like(as_tensor(inputs[0]), float(ctx.attr("alpha", 1.0)))]


def _selu(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    alpha = float(ctx.attr("alpha", 1.67326319217681884765625))
    gamma = float(ctx.attr("gamma", 1.05070102214813232421875))
    return [_elu_like(as_tensor(inputs[0]), alpha) * gamma]


def _hard_sigmoid(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    alpha, beta = float(ctx.attr("alpha", 0.2)), float(ctx.attr("beta", 0.5))
    return [_ops.clamp(x * alpha + beta, min=0.0, max=1.0)]


def _hard_swish(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    return [x * _ops.clamp(x * (1.0 / 6.0) + 0.5, min=0.0, max=1.0)]


def _prelu(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x, slope = as_tensor(inputs[0]), as_tensor(inputs[1])
    return [_ops.where(x < 0, x * slope, x)]


def _clip(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    low = inputs[1] if len(inputs) > 1 else ctx.attr("min")
    high = inputs[2] if len(inputs) > 2 else ctx.attr("max")
    for bound, pick in ((low, _ops.maximum), (high, _ops.minimum)):
        if bound is None:
            continue
        if isinstance(bound, Tensor):
            x = pick(x, bound)
        else:
            value = np.asarray(bound).item()
            x = _ops.clamp(x, min=value) if pick is _ops.maximum else _ops.clamp(x, max=value)
    return [x]


def _where(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    cond, a, b = (as_tensor(v) for v in inputs)
    return [_ops.where(cond.to(tenkai_dtype(9, "Where")), a, b)]


def _cast(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [as_tensor(inputs[0]).to(tenkai_dtype(int(ctx.attr("to")), ctx.describe()))]


def _identity(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    return [inputs[0]]


def _dropout(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    x = as_tensor(inputs[0])
    training = len(inputs) > 2 and inputs[2] is not None and bool(
        np.asarray(ctx.static(inputs[2], "training_mode")).item())
    if not training:  # inference: the identity, and an all-true mask
        mask = _creation.ones(tuple(x.shape), dtype=tenkai_dtype(9, "Dropout"))
        return [x, mask][:ctx.n_outputs]
    ratio = 0.5 if len(inputs) < 2 or inputs[1] is None else float(
        np.asarray(ctx.static(inputs[1], "ratio")).item())
    if ctx.n_outputs == 1 or not ctx.node.output[1]:
        return [F.dropout(x, ratio, training=True)]
    # the mask is wanted too: draw it here (keep where uniform >= ratio), scale as F.dropout
    mask = _creation.rand(tuple(x.shape), dtype=x.dtype) >= ratio
    scale = 0.0 if ratio >= 1.0 else 1.0 / (1.0 - ratio)
    return [x * mask.to(x.dtype) * scale, mask]


def _shape(ctx: Ctx, inputs: list[Any]) -> list[Any]:
    shape = np.array(inputs[0].shape, dtype=np.int64)
    start, end = ctx.attr("start", 0), ctx.attr("end")
    return [shape[start:end]]


def _reduce(method: str) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        x = as_tensor(inputs[0])
        keepdim = bool(ctx.attr("keepdims", 1))
        axes = ctx.axes(inputs, 1)
        if not axes:
            if ctx.attr("noop_with_empty_axes", 0):
                return [x]
            axes = list(range(x.ndim))
        if not axes:  # a 0-d input: nothing to reduce
            return [x]
        dims = tuple(sorted({a % x.ndim for a in axes}))
        if method != "prod":
            return [getattr(x, method)(dim=dims, keepdim=keepdim)]
        for dim in reversed(dims):  # prod takes one dim at a time, as in PyTorch
            x = x.prod(dim=dim, keepdim=keepdim)
        return [x]

    return handler


def _arg(method: str) -> Callable[[Ctx, list[Any]], list[Any]]:
    def handler(ctx: Ctx, inputs: list[Any]) -> list[Any]:
        if ctx.attr("select_last_index", 0):
            raise ctx.unsupported("select_last_index=1")
        x = as_tensor(inputs[0])
        return [getattr(x, method)(dim=int(ctx.attr("axis", 0)),
                                   keepdim=bool(ctx.attr("keepdims", 1)))]

    return handler


HANDLERS: dict[str, Callable[[Ctx, list[Any]], list[Any]]] = {
    "Add": _binary(_ops.add), "Sub": _binary(_ops.sub), "Mul": _binary(_ops.mul),
    "Div": _div, "Pow": _pow, "Max": _variadic(_ops.maximum), "Min": _variadic(_ops.minimum),
    "Sum": _variadic(_ops.add),
    "Equal": _binary(_ops.eq), "Less": _binary(_ops.lt), "LessOrEqual": _binary(_ops.le),
    "Greater": _binary(_ops.gt), "GreaterOrEqual": _binary(_ops.ge),
    "And": _binary(_ops.logical_and), "Or": _binary(_ops.logical_or),
    "Not": _unary(_ops.logical_not),
    "Sqrt": _unary(_ops.sqrt), "Exp": _unary(_ops.exp), "Log": _unary(_ops.log),
    "Neg": _unary(_ops.neg), "Abs": _unary(_ops.abs), "Reciprocal": _unary(_ops.reciprocal),
    "Floor": _unary(_ops.floor), "Ceil": _unary(_ops.ceil), "Sign": _unary(_ops.sign),
    "Sin": _unary(_ops.sin), "Cos": _unary(_ops.cos), "Erf": _unary(_ops.erf),
    "Relu": _unary(_ops.relu), "Sigmoid": _unary(_ops.sigmoid), "Tanh": _unary(_ops.tanh),
    "Softplus": _unary(F.softplus), "LeakyRelu": _leaky_relu, "Gelu": _gelu,
    "Softsign": _unary(F.softsign), "Mish": _unary(F.mish), "Elu": _elu, "Selu": _selu,
    "HardSigmoid": _hard_sigmoid, "HardSwish": _hard_swish, "PRelu": _prelu,
    "Softmax": _softmax_like(F.softmax), "LogSoftmax": _softmax_like(F.log_softmax),
    "Clip": _clip, "Where": _where, "Cast": _cast, "Identity": _identity, "Dropout": _dropout,
    "Shape": _shape,
    "ReduceSum": _reduce("sum"), "ReduceMean": _reduce("mean"), "ReduceMax": _reduce("amax"),
    "ReduceMin": _reduce("amin"), "ReduceProd": _reduce("prod"),
    "ArgMax": _arg("argmax"), "ArgMin": _arg("argmin"),
}
