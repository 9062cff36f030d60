"""Host memory for the CPU runtime: 64-byte aligned numpy allocations and the scratch arena."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import numpy as np

from tenkai.runtime.buffers import BufferSpec
from tenkai.runtime.host import HostAllocator

ALIGN = 64


class CPUAllocator(HostAllocator):
    """64-byte aligned host memory (the ``Allocator`` interface: alloc / free / copy_in /
    copy_out), uninitialized."""

    align = ALIGN


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


def _address_reader() -> Any:
    """The fastest reader of an array's data address that agrees with ``pointer`` here.

    ``__array_interface__`` builds a dict per call (microseconds); in CPython ``id()`` is the
    object's address and numpy's array struct is the object header then the data pointer, so
    one ctypes read gives it. That layout is checked on a few arrays first (views, 0-d,
    read-only, empty); anywhere it does not hold, ``pointer`` is the reader."""
    read, offset = ctypes.c_void_p.from_address, object.__basicsize__

    def address(arr: np.ndarray) -> int:
        return read(id(arr) + offset).value or 0

    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    samples = [base, base[1:, 2:], base[2, 3, ...], base.T, np.frombuffer(b"12345678", np.int64),
               np.zeros(0), np.zeros((), np.int64)]
    if sys.implementation.name == "cpython" and all(
            type(a) is np.ndarray and address(a) == pointer(a) for a in samples):
        return address
    return pointer


address_of = _address_reader()
