"""Host memory for the CPU runtime: 64-byte aligned numpy allocations and the scratch arena."""

from __future__ import annotations

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


