"""Shared pieces of the ONNX importer and exporter: dtype tables, attribute decoding, errors.

Only this subpackage imports the ``onnx`` package, and only when ``tenkai.onnx.load`` or
``tenkai.onnx.export`` runs (``pip install 'tenkai[onnx]'``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import BY_NAME

# ONNX TensorProto element types (onnx.TensorProto.FLOAT == 1 ...) <-> tenkai IR dtype names.
ONNX_TO_IR = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
              9: "bool", 10: "float16", 11: "float64"}
IR_TO_ONNX = {name: code for code, name in ONNX_TO_IR.items()}
ONNX_TYPE_NAMES = {1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
                   7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE",
                   12: "UINT32", 13: "UINT64", 16: "BFLOAT16"}
MIN_OPSET = 13


def require_onnx() -> Any:
    """The ``onnx`` package, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError("tenkai.onnx needs the 'onnx' package: pip install 'tenkai[onnx]' "
                          "(or pip install onnx)") from err
    return onnx


def tenkai_dtype(code: int, where: str) -> Any:
    """The tenkai dtype for an ONNX element type code."""
    name = ONNX_TO_IR.get(int(code))
    if name is None:
        kind = ONNX_TYPE_NAMES.get(int(code), str(code))
        raise NotImplementedError(f"tenkai.onnx: {where}: element type {kind} is not supported; "
                                  f"tenkai has {sorted(IR_TO_ONNX)}")
    return BY_NAME[name]


def numpy_dtype(code: int, where: str) -> np.dtype:
    return tenkai_dtype(code, where).to_numpy()


def node_attrs(node: Any) -> dict[str, Any]:
    """A node's attributes as Python values: ints, floats, str, lists, numpy arrays."""
    onnx = require_onnx()
    out: dict[str, Any] = {}
    for attr in node.attribute:
        value = onnx.helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        elif isinstance(value, onnx.TensorProto):
            value = onnx.numpy_helper.to_array(value)
        elif isinstance(value, list):
            value = [v.decode("utf-8") if isinstance(v, bytes) else v for v in value]
        out[attr.name] = value
    return out


def describe(node: Any, opset: int) -> str:
    """``'Conv' (node 'conv1', opset 17)`` for error messages."""
    name = node.name or (node.output[0] if node.output else "")
    return f"{node.op_type!r} (node {name!r}, opset {opset})"
