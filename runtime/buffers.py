"""The buffer table (target-neutral): one :class:`BufferSpec` per row, and the checks that bind
a caller's arrays (inputs, params) to it. A target's runtime allocates the buffers
(``runtime/cpu/memory.py``: aligned host memory and the scratch arena).

The buffer table is plain data made by codegen (``KernelProgram.buffer_table()``): one dict per
buffer with ``name, shape, dtype, role, offset, nbytes, init``; see :class:`BufferSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BufferSpec:
    """One row of the buffer table."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    role: str
    offset: int | None
    nbytes: int
    init: Any = None
    within: str | None = None  # scratch inside this param's buffer (at offset), not the arena

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BufferSpec:
        return cls(row["name"], tuple(row["shape"]), np.dtype(row["dtype"]), row["role"],
                   row.get("offset"), int(row["nbytes"]), row.get("init"), row.get("within"))

    def describe(self) -> str:
        return f"{self.dtype.name}{list(self.shape)}"


def check_array(spec: BufferSpec, arr: Any, what: str, written: bool = False
                ) -> tuple[np.ndarray, bool]:
    """``(array to bind by pointer, staged)`` for ``arr``; raises naming the buffer.

    Inputs may be converted (a Python scalar, a non-contiguous array: copied). Params must
    have the exact dtype and shape; a non-contiguous one is *staged*: bound through a
    contiguous copy that the caller refreshes before each step (and copies back after it when
    the step writes the param). A param the step writes must be writable.
    """
    if what == "input" and not isinstance(arr, np.ndarray):
        arr = np.asarray(arr, dtype=spec.dtype)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"runtime: {what} {spec.name!r} must be a numpy array of "
                        f"{spec.describe()}, got {type(arr).__name__}")
    if arr.dtype != spec.dtype:
        raise TypeError(f"runtime: {what} {spec.name!r}: expected dtype {spec.dtype.name}, got "
                        f"{arr.dtype.name} (shape {list(arr.shape)}); cast it with "
                        f".astype({spec.dtype.name!r})")
    if tuple(arr.shape) != spec.shape:
        raise ValueError(f"runtime: {what} {spec.name!r}: expected shape {list(spec.shape)}, "
                         f"got {list(arr.shape)}")
    if written and not arr.flags.writeable:
        raise ValueError(f"runtime: param {spec.name!r} is read-only, but the step updates it "
                         "in place; pass a writable array")
    if not arr.flags.c_contiguous:
        return np.array(arr, order="C"), what == "param"
    return arr, False
