"""The CUDA runtime: PTX loaded through the CUDA driver API, device memory, launches on a stream
(replayed as CUDA graphs). It generates no code: the cuda target's codegen (``codegen/nvptx``)
made the PTX and the launch table it runs.

This module is the cuda target's *runtime module* (``tenkai.runtime.cuda`` in
``tenkai.codegen.target.BUILTIN``; the interface is ``TargetRuntime`` there):

* :func:`load` ``(code, entry, buffer_table) -> CUDAExecutable`` (:mod:`.executable`);
* :func:`imports`: nothing (the PTX is self-contained); no support library, no host threads;
* the driver (:mod:`.driver`: the :class:`Driver` interface and its errors; :mod:`.libcuda`:
  ``libcuda.so.1`` through ctypes) and the device (:mod:`.memory`: contexts, device arrays).
  :func:`set_driver` substitutes another driver (tests run the runtime on a fake one).

Importing this module needs no GPU: the driver is opened on first use, and a machine without
one gets :class:`DriverUnavailable` ("Found no NVIDIA driver on your system").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tenkai.runtime.cuda.driver import CudaError, Driver, DriverUnavailable, no_driver
from tenkai.runtime.cuda.executable import CUDAExecutable, ptx_image
from tenkai.runtime.cuda.memory import (
    CUDAAllocator,
    Context,
    DeviceArray,
    context,
    device_count,
    existing,
    get_driver,
    set_driver,
)
from tenkai.runtime.device import Device


def load(code: Any, entry: str, buffer_table: Mapping[str, Any]) -> CUDAExecutable:
    """The executable running the launch table of ``entry`` from ``code`` (PTX bytes, or
    anything with an ``object_code()`` method) on device 0."""
    return CUDAExecutable(code, entry, buffer_table)


def imports(code: Any) -> list[str]:
    """Nothing: generated PTX calls no external function."""
    return []


def library_loaded(key: str) -> bool:
    return True  # the cuda target has no support library


def load_library(code: Any, key: str, symbols: Sequence[str]) -> None:
    """Nothing to load (the cuda target has no support library)."""


def set_threads(n: int) -> int:
    """No host thread pool: returns 0 (no library was set)."""
    return 0


def get_threads() -> int:
    return 1


class CUDADevice(Device):
    """One GPU as a :class:`~tenkai.runtime.device.Device`."""

    def __init__(self, ordinal: int = 0) -> None:
        self.ctx = context(ordinal)
        self.name = f"cuda:{ordinal}"
        self.allocator = CUDAAllocator(self.ctx)

    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> CUDAExecutable:
        return CUDAExecutable(code, entry, buffer_table, self.ctx)


__all__ = ["CUDAAllocator", "CUDADevice", "CUDAExecutable", "Context", "CudaError",
           "DeviceArray", "Driver", "DriverUnavailable", "context", "device_count", "existing",
           "get_driver", "get_threads", "imports", "library_loaded", "load", "load_library",
           "no_driver", "ptx_image", "set_driver", "set_threads"]
