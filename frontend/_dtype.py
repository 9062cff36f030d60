"""PyTorch-style dtype objects (``tenkai.float32`` prints as ``torch.float32``) and the
result-type rule that decides the dtype of mixed tensor/scalar expressions."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tenkai.ir import dtypes as irdt


class dtype:
    """A tensor element type; ``str(tenkai.float32) == 'torch.float32'`` like PyTorch."""

    __slots__ = ("name", "_legacy", "_np")

    def __init__(self, name: str, legacy: str) -> None:
        self.name, self._legacy = name, legacy
        self._np = np.dtype(irdt.to_numpy(name))

    @property
    def is_floating_point(self) -> bool:
        return irdt.is_float(self.name)

    @property
    def is_signed(self) -> bool:
        return self.name not in ("bool", "uint8")

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def itemsize(self) -> int:
        return irdt.itemsize(self.name)

    def to_numpy(self) -> np.dtype:
        return self._np

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickle by module attribute: dtypes are singletons


float16 = dtype("float16", "HalfTensor")
float32 = dtype("float32", "FloatTensor")
float64 = dtype("float64", "DoubleTensor")
uint8 = dtype("uint8", "ByteTensor")
int8 = dtype("int8", "CharTensor")
int16 = dtype("int16", "ShortTensor")
int32 = dtype("int32", "IntTensor")
int64 = dtype("int64", "LongTensor")
bool_ = dtype("bool", "BoolTensor")

BY_NAME = {d.name: d for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)}
_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def as_dtype(d: Any) -> dtype:
    """Accept tenkai dtypes, numpy dtypes and Python's float/int/bool as dtype arguments."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return get_default_dtype()
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    try:
        return BY_NAME[irdt.from_numpy(np.dtype(d))]
    except TypeError:
        raise TypeError(f"expected a tenkai dtype (e.g. tenkai.float32), got {d!r}") from None


def scalar_dtype(value: Any) -> str:
    """IR dtype PyTorch gives a Python scalar: bool, int64, or the default float dtype."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int64"
    if isinstance(value, (float, np.floating)):
        return get_default_dtype().name
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def _combine(higher: str | None, lower: str | None) -> str | None:
    """c10's combine_categories: a lower-priority class wins only if it is of a higher kind."""
    if higher is None:
        return lower
    if lower is None or irdt.is_float(higher):
        return higher
    if higher == "bool" or irdt.is_float(lower):
        return irdt.promote(higher, lower)
    return higher


def result_type(operands: list[tuple[str, int]]) -> str:
    """PyTorch's result type. Each operand is ``(ir_dtype, priority)`` where priority is
    2 for a tensor with dims, 1 for a 0-d tensor, 0 for a Python scalar."""
    states: list[str | None] = [None, None, None]
    for dt, priority in operands:
        cur = states[priority]
        states[priority] = dt if cur is None else irdt.promote(cur, dt)
    out = _combine(states[2], _combine(states[1], states[0]))
    assert out is not None
    return out
