"""The op registry: the single source of truth for what every op means.

Each op is declared once (see ``ops_*.py``) as an :class:`OpDef`:

* ``shape_rule(shapes, attrs) -> shape`` and ``dtype_rule(dtypes, attrs) -> dtype`` run at
  graph-construction time and raise errors that name the op, the shapes and the fix;
* ``reference(*arrays, **attrs) -> ndarray`` is the numpy meaning of the op (the oracle);
* ``vjp(b, g, out, *inputs, **attrs) -> grads`` builds the vector-Jacobian product with
  other registry ops through the builder ``b`` (so backward is again registry IR); an entry
  is ``None`` for an input that gets no gradient (indices, masks, seeds);
* ``kind`` is the kernel class used by fusion and codegen.

Importing this package registers every op; ``REGISTRY[name]`` looks one up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import IndexOutOfRange, ShapeError

Shape = tuple[int, ...]

# Kernel classes, used by passes to decide what fuses with what.
ELEMENTWISE = "elementwise"
REDUCTION = "reduction"
CONTRACTION = "contraction"
MOVEMENT = "movement"
INDEXING = "indexing"
RANDOM = "random"
SOURCE = "source"
WINDOW = "window"  # convolution / pooling: sliding-window contractions and reductions

REQUIRED = object()  # attr default meaning "the caller must give it"


@dataclass(frozen=True)
class OpDef:
    """One registry entry; see the module docstring for the meaning of each rule."""

    name: str
    arity: int  # number of operands; -1 for variadic (cat)
    kind: str
    shape_rule: Callable[[list[Shape], dict[str, Any]], Shape]
    dtype_rule: Callable[[list[str], dict[str, Any]], str]
    reference: Callable[..., Any]
    vjp: Callable[..., Sequence[Any]] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    ufunc: Any = None  # elementwise ops that are one numpy ufunc: lets callers write in place

    def normalize_attrs(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Fill defaults and reject unknown or missing attributes."""
        unknown = set(attrs) - set(self.attrs)
        if unknown:
            raise TypeError(f"{self.name}: unknown attribute(s) {sorted(unknown)}; "
                            f"known: {sorted(self.attrs)}")
        out = {}
        for key, default in self.attrs.items():
            if key in attrs:
                out[key] = attrs[key]
            elif default is REQUIRED:
                raise TypeError(f"{self.name}: missing required attribute '{key}'")
            else:
                out[key] = default
        return out


REGISTRY: dict[str, OpDef] = {}


def register(op: OpDef) -> OpDef:
    """Add ``op`` to the registry; names are unique."""
    if op.name in REGISTRY:
        raise ValueError(f"op '{op.name}' registered twice")
    REGISTRY[op.name] = op
    return op


def ops_of_kind(kind: str) -> list[str]:
    """Names of all registered ops of one kernel class, sorted."""
    return sorted(name for name, op in REGISTRY.items() if op.kind == kind)


# ---------------------------------------------------------------- shape helpers


def fmt_shape(shape: Sequence[int]) -> str:
    """PyTorch's way of naming a shape in messages: [2, 3]."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


def broadcast_shapes(op: str, *shapes: Shape) -> Shape:
    """NumPy/PyTorch broadcasting; the error names the op, the dimension and both shapes."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(-ndim, 0):
        size = 1
        for k, shape in enumerate(shapes):
            if -axis > len(shape):
                continue
            dim = shape[axis]
            if dim != 1 and size != 1 and dim != size:
                first = next(j for j, s in enumerate(shapes) if -axis <= len(s) and s[axis] == size)
                names = "abcdefgh"
                raise ShapeError(
                    f"{op}: The size of tensor {names[first]} ({size}) must match the size of "
                    f"tensor {names[k]} ({dim}) at non-singleton dimension {ndim + axis} "
                    f"(shapes {', '.join(fmt_shape(s) for s in shapes)})")
            if dim != 1:
                size = dim
        out.append(size)
    return tuple(out)


def norm_axis(op: str, axis: int, ndim: int) -> int:
    """Wrap a possibly negative axis, raising PyTorch's IndexError when out of range."""
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= axis <= hi:
        raise IndexOutOfRange(f"{op}: Dimension out of range (expected to be in range of "
                              f"[{lo}, {hi}], but got {axis})")
    return axis % max(ndim, 1)


def same_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return shapes[0]


def attr_shape(shapes: list[Shape], attrs: dict[str, Any]) -> Shape:
    return tuple(attrs["shape"])


def first_dtype(dtypes: list[str], attrs: dict[str, Any]) -> str:
    return dtypes[0]


def attr_dtype(dtypes: list[str], attrs: dict[str, Any]) -> str:
    return str(attrs["dtype"])


def bool_dtype(dtypes: list[str], attrs: dict[str, Any]) -> str:
    return "bool"


def int64_dtype(dtypes: list[str], attrs: dict[str, Any]) -> str:
    return "int64"


# ---------------------------------------------------------------- vjp helpers


def unbroadcast(b: Any, g: Any, shape: Shape) -> Any:
    """Sum the cotangent ``g`` over the axes that broadcasting added to reach ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and g.shape[lead + i] != 1)
    out = b.sum(g, axes=axes, keepdim=False) if axes else g
    if tuple(out.shape) != tuple(shape):
        out = b.reshape(out, shape=tuple(shape))
    return out
