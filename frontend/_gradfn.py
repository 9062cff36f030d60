"""``tensor.grad_fn``: a read-only view of a recorded node with PyTorch's names
(``<TanhBackward0 object at 0x...>``) and ``next_functions`` for graph walkers."""

from __future__ import annotations

from typing import Any

from ._node import Node, is_function_output

# Registry ops whose PyTorch backward-node name is not simply <Op>Backward0.
_NAMES = {"reshape": "ViewBackward0", "cast": "ToCopyBackward0", "take": "IndexBackward0",
          "matmul": "MmBackward0", "slice": "SliceBackward0", "clamp": "ClampBackward1",
          "index_put": "IndexPutBackward0", "slice_assign": "CopySlices"}


def display_name(node: Node) -> str:
    if node.name:
        return node.name
    if node.op in _NAMES:
        return _NAMES[node.op]
    return "".join(part.title() for part in str(node.op).split("_")) + "Backward0"


class GradFn:
    """The backward function of a non-leaf tensor."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def name(self) -> str:
        name = display_name(self._node)
        # PyTorch's C++-only nodes report a qualified name but print a short one
        return f"torch::autograd::{name}" if name in ("CopySlices", "CopyBackwards") else name

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        shown = getattr(self._node, "shown", None)
        if shown is not None:
            # a composite op (``_shape.named``): its public inputs (``None``: an absent one),
            # not the interior nodes it was built from
            return tuple([edge(i) for i in shown])
        inputs = self._node.inputs
        if (self._node.name == "AddmmBackward0" and self._node.op == "add"
                and len(inputs) == 2 and inputs[0].op == "matmul"):
            # nn.Linear's bias + x @ W.T, shown as PyTorch's one addmm: (bias, x, W.T)
            inputs = (inputs[1], *inputs[0].inputs)
        # an integer or bool input (indices, masks) is not differentiable: PyTorch's backward
        # node has no edge for it
        return tuple([edge(i) for i in inputs if i.op is not None or i.requires_grad
                      or getattr(i.value, "dtype", None) is None or i.value.dtype.kind in "fc"])

    @property
    def metadata(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node that writes a leaf's gradient into ``.grad``; ``variable`` is the leaf."""

    def __init__(self, node: Node) -> None:
        self._node = node

    @property
    def variable(self) -> Any:
        return self._node.leaf() if self._node.leaf is not None else None

    @property
    def next_functions(self) -> tuple:
        return ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def edge(i: Node | None) -> tuple[Any, int]:
    """One ``next_functions`` entry: the input's grad_fn, AccumulateGrad or ``None``."""
    if i is None:
        return (None, 0)
    if i.op is not None:
        return (grad_fn_of(i), getattr(i, "output_nr", 0))
    if is_function_output(i):
        return (i.fn, i.attrs.get("output_nr", 0))
    return (AccumulateGrad(i), 0) if i.requires_grad else (None, 0)


def grad_fn_of(node: Node) -> GradFn:
    if node.fn is None:
        node.fn = GradFn(node)
    return node.fn
