"""Host memory for the CPU runtime: 64-byte aligned numpy allocations and the scratch arena."""

from __future__ import annotations

import numpy as np

from tenkai.runtime.buffers import BufferSpec
from tenkai.runtime.device import Allocator

ALIGN = 64


class CPUAllocator(Allocator):
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
