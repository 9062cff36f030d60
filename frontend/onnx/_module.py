"""``tenkai.onnx.load``: an ONNX model as a tenkai ``nn.Module``.

The module's forward walks the ONNX graph in order and runs each node as tenkai ops (the
handlers in ``_import_*``), so calling it records into tenkai's graph like any model: it
traces, compiles and trains. Float initializers become ``nn.Parameter``s; integer ones and
BatchNormalization's running statistics become buffers. All are named by their ONNX names
split at dots (``fc1.weight`` -> submodule ``fc1``, parameter ``weight``), so
``state_dict()`` keys match the exporting PyTorch model's.

Nodes whose inputs are all static (constants, integer initializers, shapes) are folded with
the onnx reference evaluator at trace time: the Shape -> Gather -> Concat -> Reshape chains
PyTorch's exporter emits become constants, as tenkai graphs have static shapes.
"""

from __future__ import annotations

import keyword
import os
import re
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..nn.module import Module
from ..nn.parameter import Parameter
from ._common import MIN_OPSET, describe, node_attrs, numpy_dtype, require_onnx, tenkai_dtype
from ._ctx import Ctx, as_tensor
from ._import_nn import NN_HANDLERS
from ._import_ops import HANDLERS as MATH_HANDLERS
from ._import_shape import SHAPE_HANDLERS

HANDLERS = {**MATH_HANDLERS, **NN_HANDLERS, **SHAPE_HANDLERS}
_NEVER_FOLD = {"Constant", "Dropout", "RandomNormal", "RandomUniform", "RandomNormalLike",
               "RandomUniformLike", "Multinomial", "Bernoulli"}


class Initializers(Module):
    """A holder for the initializers under one dotted prefix (``fc1.weight``: ``fc1``)."""

    def extra_repr(self) -> str:
        tensors = {**self._parameters, **self._buffers}
        return ", ".join(f"{name}: {list(t.shape)}" for name, t in tensors.items()
                         if t is not None)


def _part(name: str) -> str:
    part = re.sub(r"\W", "_", name) or "_"
    return part + "_" if keyword.iskeyword(part) else part


class OnnxModule(Module):
    """An imported ONNX graph; ``forward(*inputs)`` takes the graph inputs in order."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        graph = model.graph
        self._onnx_graph = graph
        self.opset = _opset_of(model)
        self._fold_cache: dict[Any, list[np.ndarray]] = {}
        init_names = {t.name for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in init_names]
        self.output_names = [o.name for o in graph.output]
        self._input_specs = {i.name: i.type.tensor_type for i in graph.input}
        self._slots: dict[str, tuple[Module, str]] = {}
        self._node_attrs = [node_attrs(node) for node in graph.node]  # decoded once
        self._register_initializers(graph)

    def _register_initializers(self, graph: Any) -> None:
        onnx = require_onnx()
        # BatchNormalization's running statistics are state, not trainable: buffers
        stats = {name for node in graph.node if node.op_type == "BatchNormalization"
                 for name in node.input[3:5]}
        for init in graph.initializer:
            array = np.array(onnx.numpy_helper.to_array(init))  # a writable copy
            numpy_dtype(init.data_type, f"initializer {init.name!r}")
            tensor = as_tensor(array)
            owner, attr = self._slot_for(init.name)
            if tensor.dtype.is_floating_point and init.name not in stats:
                owner.register_parameter(attr, Parameter(tensor))
            else:
                owner.register_buffer(attr, tensor)
            self._slots[init.name] = (owner, attr)

    def _slot_for(self, name: str) -> tuple[Module, str]:
        """The module and attribute for an initializer: dotted names nest in holder modules;
        a name that clashes (with a holder, or a Module attribute) goes flat on the root."""
        parts = [_part(p) for p in name.split(".")]
        owner: Module = self
        for part in parts[:-1]:
            child = owner._modules.get(part)
            if child is None:
                if hasattr(owner, part):
                    return self, self._free_name(_part(name))
                child = Initializers()
                owner.add_module(part, child)
            owner = child
        if hasattr(owner, parts[-1]) or parts[-1] in owner._modules:
            return self, self._free_name(_part(name))
        return owner, parts[-1]

    def _free_name(self, base: str) -> str:
        name, k = base, 1
        while hasattr(self, name) or name in self._modules:
            name, k = f"{base}_{k}", k + 1
        return name

    def input_info(self) -> list[tuple[str, list[int | None] | None, Any]]:
        """Each graph input's name, declared shape (``None`` for a dynamic dim, or for no
        declared shape at all) and tenkai dtype (float32 when undeclared).

        ``[(name, shape, dtype)] = model.input_info()``"""
        out: list[tuple[str, list[int | None] | None, Any]] = []
        for name in self.input_names:
            spec = self._input_specs[name]
            dims = ([d.dim_value if d.HasField("dim_value") else None for d in spec.shape.dim]
                    if spec.HasField("shape") else None)
            dtype = (tenkai_dtype(spec.elem_type, f"input {name!r}") if spec.elem_type
                     else tenkai_dtype(1, name))
            out.append((name, dims, dtype))
        return out

    def extra_repr(self) -> str:
        return (f"opset={self.opset}, nodes={len(self._onnx_graph.node)}, "
                f"inputs={self.input_names}, outputs={self.output_names}")

    # ------------------------------------------------------------ forward
    def forward(self, *inputs: Any) -> Any:
        env = self._bind_inputs(inputs)
        for owner_name, (owner, attr) in self._slots.items():
            value = getattr(owner, attr)
            # integer initializers (shapes, axes, indices) are static values
            static = not value.dtype.is_floating_point
            env[owner_name] = np.array(value._data) if static else value
        for index, node in enumerate(self._onnx_graph.node):
            values = [env[name] if name else None for name in node.input]
            outputs = self._run_node(index, node, values)
            for name, value in zip(node.output, outputs, strict=False):
                if name:
                    env[name] = value
        results = tuple(as_tensor(env[name]) for name in self.output_names)
        return results[0] if len(results) == 1 else results

    def _bind_inputs(self, inputs: tuple[Any, ...]) -> dict[str, Any]:
        if len(inputs) != len(self.input_names):
            raise TypeError(f"OnnxModule.forward: the ONNX graph takes {len(self.input_names)} "
                            f"input(s) {self.input_names}, got {len(inputs)}")
        env: dict[str, Any] = {}
        for name, value in zip(self.input_names, inputs, strict=True):
            if not isinstance(value, Tensor):
                raise TypeError(f"OnnxModule.forward: input {name!r} must be a Tensor, got "
                                f"{type(value).__name__}")
            _check_input(name, self._input_specs[name], value)
            env[name] = value
        return env

    def _run_node(self, index: int, node: Any, values: list[Any]) -> list[Any]:
        if node.domain not in ("", "ai.onnx"):
            raise NotImplementedError(f"tenkai.onnx: {describe(node, self.opset)}: operators "
                                      f"of domain {node.domain!r} are not supported")
        present = [v for v in values if v is not None]
        if node.op_type not in _NEVER_FOLD and all(isinstance(v, np.ndarray) for v in present):
            return self._fold(index, node, values)
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            raise NotImplementedError(
                f"tenkai.onnx: operator {describe(node, self.opset)} is not supported; "
                f"supported: {', '.join(sorted(HANDLERS))}")
        return handler(Ctx(node, self.opset, self._node_attrs[index]), values)

    def _fold(self, index: int, node: Any, values: list[Any]) -> list[Any]:
        """Evaluate an all-static node with the onnx reference evaluator (cached)."""
        key = (index, tuple(None if v is None else (v.dtype.str, v.shape, v.tobytes())
                            for v in values))
        cached = self._fold_cache.get(key)
        if cached is None:
            onnx = require_onnx()
            from onnx.reference import ReferenceEvaluator

            names = [name for name in node.input if name]
            info = onnx.helper.make_empty_tensor_value_info
            graph = onnx.helper.make_graph(
                [node], "fold", [info(n) for n in dict.fromkeys(names)],
                [info(n) for n in node.output if n])
            feeds = {n: v for n, v in zip(node.input, values, strict=True) if n}
            try:
                result = ReferenceEvaluator(graph, opsets={"": self.opset}).run(None, feeds)
            except Exception as err:  # the evaluator raises many types; name the node
                shapes = [None if v is None else list(v.shape) for v in values]
                raise RuntimeError(f"tenkai.onnx: folding the constant node "
                                   f"{describe(node, self.opset)} (input shapes {shapes}) with "
                                   f"onnx's reference evaluator failed: {err}") from err
            cached = [np.asarray(r) for r in result]
            self._fold_cache[key] = cached
        return [np.array(v) for v in cached]


def _check_input(name: str, spec: Any, value: Tensor) -> None:
    dims = [d.dim_value if d.HasField("dim_value") else None for d in spec.shape.dim]
    if spec.HasField("shape") and (len(dims) != value.ndim or any(
            d is not None and d != s for d, s in zip(dims, value.shape, strict=False))):
        want = ", ".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                         for d in spec.shape.dim)
        raise RuntimeError(f"OnnxModule.forward: input {name!r} expects shape [{want}], got "
                           f"{list(value.shape)}")
    if not spec.elem_type:  # no declared type
        return
    expected = tenkai_dtype(spec.elem_type, f"input {name!r}")
    if value.dtype != expected:
        raise RuntimeError(f"OnnxModule.forward: input {name!r} expects dtype {expected}, got "
                           f"{value.dtype}")


def _opset_of(model: Any) -> int:
    onnx = require_onnx()
    versions = {o.domain: o.version for o in model.opset_import}
    opset = versions.get("", versions.get("ai.onnx"))
    newest = onnx.defs.onnx_opset_version()
    if opset is None or not MIN_OPSET <= opset <= newest:
        raise NotImplementedError(
            f"tenkai.onnx.load: opset {opset} is not supported; tenkai imports opsets "
            f"{MIN_OPSET} to {newest} (convert older models with "
            f"onnx.version_converter.convert_version(model, {MIN_OPSET}))")
    return int(opset)


def load(f: Any) -> OnnxModule:
    """Import an ONNX model (a path, a file object or an ``onnx.ModelProto``) as a module.

    ``model = tenkai.onnx.load("mlp.onnx"); y = model(x)``
    """
    onnx = require_onnx()
    if isinstance(f, onnx.ModelProto):
        model = f
    elif isinstance(f, str | os.PathLike) or hasattr(f, "read"):
        model = onnx.load(f)
    elif isinstance(f, bytes):
        model = onnx.load_from_string(f)
    else:
        raise TypeError(f"tenkai.onnx.load: expected a path, a file object, bytes or an "
                        f"onnx.ModelProto, got {type(f).__name__}")
    return OnnxModule(model)
