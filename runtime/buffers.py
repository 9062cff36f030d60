"""Host buffers: 64-byte aligned numpy allocations, the scratch arena, and the checks that
bind caller arrays (inputs, params) to a program's buffer table by pointer.

The buffer table is plain data made by codegen (``KernelProgram.buffer_table()``): one dict per
buffer with ``name, shape, dtype, role, offset, nbytes, init``; see :class:`BufferSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ALIGN = 64


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BufferSpec:
        return cls(row["name"], tuple(row["shape"]), np.dtype(row["dtype"]), row["role"],
                   row.get("offset"), int(row["nbytes"]), row.get("init"))

    def describe(self) -> str:
        return f"{self.dtype.name}{list(self.shape)}"


class CPUAllocator:
    """Aligned host memory (the ``Allocator`` interface: alloc / free / copy_in / copy_out)."""

    def alloc(self, nbytes: int) -> np.ndarray:
        """``nbytes`` of uint8, the first one 64-byte aligned (at least one byte is reserved)."""
        raw = np.empty(max(nbytes, 1) + ALIGN, dtype=np.uint8)
        start = (-raw.ctypes.data) % ALIGN
        return raw[start:start + nbytes]

    def free(self, buf: np.ndarray) -> None:
        """Memory is released when the last view of it is dropped."""

    def copy_in(self, dst: np.ndarray, src: np.ndarray) -> None:
        np.copyto(dst, src, casting="no")

    def copy_out(self, src: np.ndarray) -> np.ndarray:
        return np.array(src, copy=True)

    def array(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An aligned, C-contiguous, uninitialized array."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        return self.alloc(nbytes).view(dtype).reshape(shape)


class Arena:
    """One aligned block holding every scratch buffer at its planned offset."""

    def __init__(self, size: int, allocator: CPUAllocator) -> None:
        self.size = size
        self.block = allocator.alloc(size)

    def view(self, spec: BufferSpec) -> np.ndarray:
        offset = spec.offset or 0
        if offset + spec.nbytes > self.size:
            raise ValueError(f"runtime: scratch buffer {spec.name!r} ({spec.nbytes} bytes at "
                             f"offset {offset}) overruns the arena of {self.size} bytes")
        return self.block[offset:offset + spec.nbytes].view(spec.dtype).reshape(spec.shape)


def pointer(arr: np.ndarray) -> int:
    """The address of an array's first element."""
    return int(arr.__array_interface__["data"][0])


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
