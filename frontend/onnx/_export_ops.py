"""tenkai registry ops -> ONNX nodes: one function per op, ``fn(w, g, nid, ins) -> name``.

``w`` is the writer (``_export._Writer``: ``w.node(op_type, inputs, **attrs)`` appends a node
and returns its output name, ``w.const(array)`` adds a Constant node), ``g`` the traced
graph, ``nid`` the node and ``ins`` its operands' ONNX names. Ops with no ONNX form (random
sources, the backward-only ``*_grad`` ops, in-place index writes) are absent from
``EXPORTERS``; the exporter names them in a NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._common import IR_TO_ONNX

Exporter = Callable[[Any, Any, int, list[str]], str]

_UNARY = {"abs": "Abs", "neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt",
          "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "erf": "Erf", "sin": "Sin",
          "cos": "Cos", "floor": "Floor", "ceil": "Ceil", "sign": "Sign", "round": "Round",
          "reciprocal": "Reciprocal", "logical_not": "Not"}
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
           "maximum": "Max", "minimum": "Min", "eq": "Equal", "lt": "Less",
           "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual",
           "logical_and": "And", "logical_or": "Or", "where": "Where", "matmul": "MatMul"}


def _simple(op_type: str) -> Exporter:
    def export(w: Any, g: Any, nid: int, ins: list[str]) -> str:
        return w.node(op_type, ins)

    return export


def _scalar(w: Any, g: Any, nid: int, value: float) -> str:
    return w.const(np.array(value, dtype=g.dtype(nid)))


def _rsqrt(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Reciprocal", [w.node("Sqrt", ins)])


def _expm1(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Sub", [w.node("Exp", ins), _scalar(w, g, nid, 1)])


def _log1p(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Log", [w.node("Add", [ins[0], _scalar(w, g, nid, 1)])])


def _trunc(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    magnitude = w.node("Floor", [w.node("Abs", ins)])
    return w.node("Mul", [w.node("Sign", ins), magnitude])


def _ne(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Not", [w.node("Equal", ins)])


def _cast(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Cast", ins, to=IR_TO_ONNX[g.dtype(nid)])


def _clamp(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    bounds = ["" if attrs[k] is None else _scalar(w, g, nid, attrs[k]) for k in ("min", "max")]
    while bounds and not bounds[-1]:
        bounds.pop()
    return w.node("Clip", ins + bounds)


def _reduce(op_type: str) -> Exporter:
    def export(w: Any, g: Any, nid: int, ins: list[str]) -> str:
        attrs = g.attrs(nid)
        axes = [int(a) for a in attrs["axes"]]
        if not axes:
            return w.node("Identity", ins)
        return w.reduce(op_type, ins[0], axes, bool(attrs["keepdim"]))

    return export


def _var(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    axes = [int(a) for a in attrs["axes"]]
    shape = g.shape(g.operands(nid)[0])
    count = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    centered = w.node("Sub", [ins[0], w.reduce("ReduceMean", ins[0], axes, True)])
    squares = w.reduce("ReduceSum", w.node("Mul", [centered, centered]), axes,
                       bool(attrs["keepdim"]))
    return w.node("Div", [squares, _scalar(w, g, nid, max(count - attrs["correction"], 0))])


def _arg(op_type: str) -> Exporter:
    def export(w: Any, g: Any, nid: int, ins: list[str]) -> str:
        attrs = g.attrs(nid)
        return w.node(op_type, ins, axis=int(attrs["axis"]), keepdims=int(attrs["keepdim"]))

    return export


def _reshape(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Reshape", [ins[0], w.const(np.array(g.shape(nid), np.int64))])


def _expand(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Expand", [ins[0], w.const(np.array(g.shape(nid), np.int64))])


def _permute(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Transpose", ins, perm=[int(d) for d in g.attrs(nid)["dims"]])


def _cat(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Concat", ins, axis=int(g.attrs(nid)["axis"]))


def _slice(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    arrays = [np.array(attrs[k], np.int64) for k in ("starts", "stops", "steps")]
    axes = np.arange(len(arrays[0]), dtype=np.int64)
    starts, stops, steps = (w.const(a) for a in arrays)
    return w.node("Slice", [ins[0], starts, stops, w.const(axes), steps])


def _pad(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    pads = [int(lo) for lo, _ in attrs["pads"]] + [int(hi) for _, hi in attrs["pads"]]
    return w.node("Pad", [ins[0], w.const(np.array(pads, np.int64)),
                          _scalar(w, g, nid, attrs["value"])], mode="constant")


def _take(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("Gather", ins, axis=int(g.attrs(nid)["axis"]))


def _gather(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    return w.node("GatherElements", ins, axis=int(g.attrs(nid)["axis"]))


def _window_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    pads = [int(p) for p in attrs["padding"]]
    return {"strides": [int(s) for s in attrs["stride"]], "pads": pads + pads}


def _conv(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    kernel = list(g.shape(g.operands(nid)[1])[2:])
    return w.node("Conv", ins, kernel_shape=kernel, group=int(attrs["groups"]),
                  dilations=[int(d) for d in attrs["dilation"]], **_window_attrs(attrs))


def _conv_transpose(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    x_shape, w_shape = (g.shape(n) for n in g.operands(nid))
    out_shape = g.shape(nid)
    natural = [(x_shape[2 + i] - 1) * attrs["stride"][i] - 2 * attrs["padding"][i]
               + attrs["dilation"][i] * (w_shape[2 + i] - 1) + 1 for i in range(2)]
    output_padding = [int(out_shape[2 + i] - natural[i]) for i in range(2)]
    return w.node("ConvTranspose", ins, kernel_shape=list(w_shape[2:]),
                  group=int(attrs["groups"]), dilations=[int(d) for d in attrs["dilation"]],
                  output_padding=output_padding, **_window_attrs(attrs))


def _max_pool(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    return w.node("MaxPool", ins, kernel_shape=[int(k) for k in attrs["kernel_size"]],
                  dilations=[int(d) for d in attrs["dilation"]],
                  ceil_mode=int(attrs["ceil_mode"]), **_window_attrs(attrs))


def _avg_pool(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    attrs = g.attrs(nid)
    if attrs["divisor_override"] is not None:
        raise NotImplementedError("tenkai.onnx.export: avg_pool2d with divisor_override has no "
                                  "ONNX AveragePool form")
    return w.node("AveragePool", ins, kernel_shape=[int(k) for k in attrs["kernel_size"]],
                  ceil_mode=int(attrs["ceil_mode"]),
                  count_include_pad=int(attrs["count_include_pad"]), **_window_attrs(attrs))


def _adaptive_avg_pool(w: Any, g: Any, nid: int, ins: list[str]) -> str:
    in_size = g.shape(g.operands(nid)[0])[-2:]
    out_size = g.shape(nid)[-2:]
    if tuple(out_size) == (1, 1):
        return w.node("GlobalAveragePool", ins)
    if any(i % o for i, o in zip(in_size, out_size, strict=True)):
        raise NotImplementedError(f"tenkai.onnx.export: adaptive_avg_pool2d from {list(in_size)} "
                                  f"to {list(out_size)} (not a divisor) has no ONNX form")
    kernel = [i // o for i, o in zip(in_size, out_size, strict=True)]
    return w.node("AveragePool", ins, kernel_shape=kernel, strides=kernel)


EXPORTERS: dict[str, Exporter] = {
    **{op: _simple(onnx_op) for op, onnx_op in {**_UNARY, **_BINARY}.items()},
    "rsqrt": _rsqrt, "expm1": _expm1, "log1p": _log1p, "trunc": _trunc, "ne": _ne,
    "cast": _cast, "clamp": _clamp,
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"), "prod": _reduce("ReduceProd"), "var": _var,
    "argmax": _arg("ArgMax"), "argmin": _arg("ArgMin"),
    "reshape": _reshape, "expand": _expand, "permute": _permute, "cat": _cat,
    "slice": _slice, "pad": _pad, "take": _take, "gather": _gather,
    "conv2d": _conv, "conv2d_grad_input": _conv_transpose, "max_pool2d": _max_pool,
    "avg_pool2d": _avg_pool, "adaptive_avg_pool2d": _adaptive_avg_pool,
}
