"""``tenkai.onnx.export``: a model's traced forward graph as an ONNX file.

The forward runs once under ``tenkai.trace`` (in eval mode and without gradients, as
``torch.onnx.export`` does by default); each registry op of the traced graph becomes ONNX
nodes (``_export_ops.EXPORTERS``), parameters and buffers become initializers named by
their ``state_dict`` keys, other constants Constant nodes, and the model is checked with
``onnx.checker`` before writing.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import no_grad
from ..staged import trace
from ._common import IR_TO_ONNX, MIN_OPSET, require_onnx
from ._export_ops import EXPORTERS

DEFAULT_OPSET = 18
_SOURCES = ("input", "param", "const", "full", "arange", "output")


class _Writer:
    """Collects the nodes and initializers of the ONNX graph being written."""

    def __init__(self, opset: int) -> None:
        self.onnx = require_onnx()
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array: np.ndarray) -> str:
        """A Constant node: shapes, axes, scalars (a re-import keeps them constants)."""
        name = self.fresh("const")
        value = self.onnx.numpy_helper.from_array(np.asarray(array), name)
        self.nodes.append(self.onnx.helper.make_node("Constant", [], [name], name=name,
                                                     value=value))
        return name

    def initializer(self, array: np.ndarray, name: str) -> str:
        """A parameter or buffer: an initializer named by its state_dict key."""
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        out = self.fresh(op_type)
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def reduce(self, op_type: str, x: str, axes: list[int], keepdim: bool) -> str:
        """A Reduce* node; axes are an input from opset 18 (ReduceSum: 13), before an attr."""
        axes_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if axes_input:
            return self.node(op_type, [x, self.const(np.array(axes, np.int64))],
                             keepdims=int(keepdim))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdim))


def _value_info(w: _Writer, name: str, g: Any, nid: int) -> Any:
    return w.onnx.helper.make_tensor_value_info(name, IR_TO_ONNX[g.dtype(nid)],
                                                list(g.shape(nid)))


def _source(w: _Writer, g: Any, nid: int, names: dict[str, str], values: dict[str, Any]) -> str:
    op, attrs = g.op(nid), g.attrs(nid)
    if op == "param":
        node_name = g.node_name(nid)
        return w.initializer(np.array(values[node_name]), names.get(node_name, node_name))
    if op == "const":
        return w.const(np.asarray(attrs["value"], dtype=g.dtype(nid)))
    if op == "full":
        return w.const(np.full(g.shape(nid), attrs["value"], dtype=g.dtype(nid)))
    return w.const(np.arange(attrs["start"], attrs["end"], attrs["step"], dtype=g.dtype(nid)))


def _build_graph(w: _Writer, traced: Any, names: dict[str, str], input_names: list[str],
                 output_names: list[str]) -> Any:
    g = traced.graph
    values = {name: tensor._data for name, tensor in traced.step.captured}
    onnx_name: dict[int, str] = {}
    inputs, outputs = [], []
    for nid in g.topo_order():
        op = g.op(nid)
        ins = [onnx_name[src] for src in g.operands(nid)]
        if op == "input":
            onnx_name[nid] = input_names[len(inputs)]
            inputs.append(_value_info(w, onnx_name[nid], g, nid))
        elif op == "output":
            out = output_names[g.attrs(nid)["index"]]
            w.nodes.append(w.onnx.helper.make_node("Identity", ins, [out], name=out))
            outputs.append(_value_info(w, out, g, nid))
        elif op in _SOURCES:
            onnx_name[nid] = _source(w, g, nid, names, values)
        elif op in EXPORTERS:
            onnx_name[nid] = EXPORTERS[op](w, g, nid, ins)
        else:
            raise NotImplementedError(
                f"tenkai.onnx.export: op {op!r} (node %{nid}) has no ONNX mapping; exportable "
                f"ops: {', '.join(sorted(EXPORTERS))}")
    return w.onnx.helper.make_graph(w.nodes, "tenkai", inputs, outputs, w.initializers)


def _names(given: Any, count: int, base: str, what: str) -> list[str]:
    if given is None:
        return [base] if count == 1 else [f"{base}_{k}" for k in range(count)]
    names = [str(n) for n in given]
    if len(names) != count:
        raise ValueError(f"tenkai.onnx.export: {what} has {len(names)} name(s) for {count} "
                         f"graph {what.split('_')[0]}(s)")
    return names


def _state_names(model: Any, captured: list[tuple[str, Tensor]]) -> dict[str, str]:
    """Graph node name -> state_dict key, matching the tensors (or detached views of them:
    BatchNorm reads its running stats through one) by identity of their data."""
    if not hasattr(model, "state_dict"):
        return {}
    by_data = {id(t._data): k for k, t in model.state_dict(keep_vars=True).items()}
    return {node: by_data[id(t._data)] for node, t in captured if id(t._data) in by_data}


def _trace_forward(model: Any, args: tuple[Tensor, ...]) -> Any:
    def forward(*inputs: Tensor) -> Any:
        return model(*inputs)

    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            return trace(forward, *args)
    finally:
        if was_training:
            model.train()


def export(model: Any, args: Any, f: Any, *, input_names: Any = None, output_names: Any = None,
           opset_version: int | None = None) -> Any:
    """Write ``model``'s forward on ``args`` (a Tensor or a tuple of them) as ONNX to ``f``
    (a path or a binary file object); returns the ``onnx.ModelProto``.

    ``tenkai.onnx.export(nn.Linear(3, 2), tenkai.randn(1, 3), "linear.onnx")``
    """
    onnx = require_onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"tenkai.onnx.export: opset_version {opset} is not supported; use "
                         f"{MIN_OPSET} to {newest}")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    if not all(isinstance(a, Tensor) for a in args):
        raise TypeError("tenkai.onnx.export: args must be a Tensor or a tuple of Tensors, got "
                        f"{[type(a).__name__ for a in args]}")
    traced = _trace_forward(model, args)
    names = _state_names(model, traced.step.captured)
    g = traced.graph
    w = _Writer(opset)
    graph = _build_graph(w, traced, names, _names(input_names, len(g.inputs), "input",
                                                  "input_names"),
                         _names(output_names, len(g.outputs), "output", "output_names"))
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="tenkai")
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    if isinstance(f, str | os.PathLike):
        _write_atomic(os.fspath(f), data)
    else:
        f.write(data)
    return proto


def _write_atomic(path: str, data: bytes) -> None:
    """Write through a temporary file in the same folder: an interrupted export never leaves
    a truncated model where a good one was."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tenkai-onnx-", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the model from other users
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
