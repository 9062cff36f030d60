"""Host memory as a device's memory: aligned numpy allocations (the :class:`Allocator` of the
CPU runtime, and of the GPU simulator, whose "device" memory is host memory too), and the
buffer lookup of executables whose buffers are host arrays (:class:`HostBuffers`), and
the fast reader of an array's data address (:func:`address_of`, no llvmlite import)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import numpy as np

from tenkai.runtime.device import Allocator


class HostAllocator(Allocator):
    """Aligned host memory: every allocation's first byte is ``align``-byte aligned, zeroed
    when ``zeroed`` (else uninitialized)."""

    align = 64
    zeroed = False

    def alloc(self, nbytes: int) -> np.ndarray:
        """``nbytes`` of uint8, the first one aligned (at least one byte is reserved)."""
        make = np.zeros if self.zeroed else np.empty
        raw = make(max(nbytes, 1) + self.align, dtype=np.uint8)
        start = (-raw.ctypes.data) % self.align
        return raw[start:start + nbytes]

    def free(self, buf: np.ndarray) -> None:
        """Memory is released when the last view of it is dropped."""

    def copy_in(self, dst: np.ndarray, src: np.ndarray) -> None:
        np.copyto(dst, src, casting="no")

    def copy_out(self, src: np.ndarray) -> np.ndarray:
        return np.array(src, copy=True)

    def array(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An aligned, C-contiguous array."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        return self.alloc(nbytes).view(dtype).reshape(shape)


class HostBuffers:
    """``buffer(name)`` of an executable whose bound buffers are host arrays (``_arrays``)."""

    entry: str
    specs: list[Any]
    _arrays: dict[str, np.ndarray]

    def buffer(self, name: str) -> np.ndarray:
        """The array bound to buffer ``name`` now (a view: the next step overwrites it)."""
        if name not in self._arrays:
            raise KeyError(f"runtime: {self.entry} has no bound buffer named {name!r}; "
                           f"buffers: {[s.name for s in self.specs]}")
        return self._arrays[name]


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
