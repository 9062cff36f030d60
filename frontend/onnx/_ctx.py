"""The per-node context the ONNX import handlers receive, and the static/dynamic value rule.

A value is a tenkai :class:`Tensor` (data that flows through the model and records into the
graph) or a numpy array (a static value: a constant, an integer initializer, or the result of
a shape computation, which the importer folds at trace time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _creation
from .._tensor import Tensor
from ._common import describe


class Ctx:
    """One node being converted: its attributes, opset and output count."""

    def __init__(self, node: Any, opset: int, attrs: dict[str, Any]) -> None:
        self.node, self.opset, self.attrs = node, opset, attrs
        self.n_outputs = len(node.output)

    def attr(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def describe(self) -> str:
        return describe(self.node, self.opset)

    def unsupported(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"tenkai.onnx: {self.describe()}: {what} is not supported")

    def static(self, value: Any, what: str) -> np.ndarray:
        """The value of an input that must be known at trace time (a shape, axes, indices)."""
        if isinstance(value, np.ndarray):
            return value
        raise NotImplementedError(f"tenkai.onnx: {self.describe()}: input {what!r} must be a "
                                  "constant or computed from shapes; a data-dependent value "
                                  "is not supported (tenkai graphs have static shapes)")

    def axes(self, inputs: list[Any], pos: int) -> list[int] | None:
        """Axes from the attribute (older opsets) or from input ``pos`` (newer ones)."""
        if "axes" in self.attrs:
            return [int(a) for a in self.attrs["axes"]]
        if len(inputs) > pos and inputs[pos] is not None:
            return [int(a) for a in self.static(inputs[pos], "axes").reshape(-1)]
        return None


def as_tensor(value: Any) -> Tensor:
    """A Tensor for a value (a static numpy array becomes a constant)."""
    if isinstance(value, Tensor):
        return value
    return _creation.as_tensor(np.array(value))
