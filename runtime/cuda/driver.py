"""The CUDA driver API as a small Python interface (:class:`Driver`), and its errors.

Everything above this file (contexts, device arrays, the executable) talks to a
:class:`Driver`: handles and device pointers are plain ints, host memory is a numpy array,
kernel arguments are device pointers. :mod:`tenkai.runtime.cuda.libcuda` implements it on
``libcuda.so.1`` through ctypes; tests substitute a driver of their own
(:func:`tenkai.runtime.cuda.set_driver`) that keeps "device" memory on the host.

Errors: every failing call raises :class:`CudaError` naming the call, what it was for (a
kernel, a buffer) and the driver's decoded error (``cuGetErrorName`` / ``cuGetErrorString``),
e.g. ``CUDA error: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered) in
cuStreamSynchronize (after kernel k3_add__0)``. A missing driver or GPU raises
:class:`DriverUnavailable` with PyTorch's words ("Found no NVIDIA driver on your system").
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class CudaError(RuntimeError):
    """A CUDA driver call failed: ``code`` (CUresult), ``name`` (``CUDA_ERROR_...``), ``call``,
    ``log`` (the JIT's error log for a module that did not load)."""

    def __init__(self, code: int, name: str, text: str, call: str, what: str = "",
                 log: str = "") -> None:
        self.code, self.name, self.call, self.what, self.log = code, name, call, what, log
        where = f" in {call}" + (f" ({what})" if what else "")
        message = f"CUDA error: {name} ({text}){where}"
        if log:
            message += "\nJIT log:\n" + log.strip()
        super().__init__(message)


class DriverUnavailable(RuntimeError):
    """No CUDA driver library, or a driver without a usable GPU."""


NO_DRIVER = ("Found no NVIDIA driver on your system: CUDA is not available "
             "(tenkai.cuda.is_available() is False; {why}). Keep tensors on 'cpu', or pick the "
             "device with torch.device('cuda' if torch.cuda.is_available() else 'cpu').")


def no_driver(why: str) -> DriverUnavailable:
    """The error for a machine without a CUDA driver (or GPU); ``why`` says what was missing."""
    return DriverUnavailable(NO_DRIVER.format(why=why))


class Driver(ABC):
    """The CUDA driver calls tenkai's runtime makes (see the module docstring). Streams,
    events, graphs, modules, functions and contexts are ints (0: the default stream)."""

    name: str = "driver"

    # ---------------------------------------------------------------- devices, contexts
    @abstractmethod
    def device_count(self) -> int:
        """GPUs visible to the driver (cuInit first; 0 when there are none)."""

    @abstractmethod
    def device_name(self, ordinal: int) -> str: ...

    @abstractmethod
    def compute_capability(self, ordinal: int) -> tuple[int, int]: ...

    @abstractmethod
    def total_memory(self, ordinal: int) -> int: ...

    @abstractmethod
    def primary_context(self, ordinal: int) -> int:
        """Retain the device's primary context and make it current on this thread."""

    @abstractmethod
    def set_current(self, context: int) -> None: ...

    @abstractmethod
    def synchronize(self) -> None:
        """Wait for all work of the current context (cuCtxSynchronize)."""

    @abstractmethod
    def mem_info(self) -> tuple[int, int]:
        """``(free, total)`` bytes of the current device."""

    # ---------------------------------------------------------------- code
    @abstractmethod
    def load_module(self, image: bytes) -> int:
        """Load PTX (NUL-terminated) or a cubin; a JIT failure raises CudaError with its log."""

    @abstractmethod
    def unload_module(self, module: int) -> None: ...

    @abstractmethod
    def get_function(self, module: int, name: str) -> int: ...

    def allow_shared(self, function: int, nbytes: int, name: str = "") -> None:
        """Let ``function`` take ``nbytes`` of dynamic shared memory (above 48 KiB a kernel
        must opt in); a driver without the limit does nothing."""
        del function, nbytes, name

    @abstractmethod
    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               shared: int, stream: int, args: list[int], name: str = "") -> None:
        """Launch ``function`` with pointer arguments ``args`` (``name``: for errors)."""

    # ---------------------------------------------------------------- memory
    @abstractmethod
    def alloc(self, nbytes: int) -> int: ...

    @abstractmethod
    def free(self, ptr: int) -> None: ...

    @abstractmethod
    def copy_htod(self, dst: int, src: np.ndarray, stream: int = 0) -> None:
        """Copy C-contiguous host array ``src`` to ``dst`` (``src`` may be reused on return)."""

    @abstractmethod
    def copy_dtoh(self, dst: np.ndarray, src: int, stream: int = 0) -> None:
        """Copy ``dst.nbytes`` from ``src`` into C-contiguous ``dst`` (complete on return)."""

    @abstractmethod
    def copy_dtod(self, dst: int, src: int, nbytes: int, stream: int = 0) -> None: ...

    @abstractmethod
    def memset(self, ptr: int, byte: int, nbytes: int, stream: int = 0) -> None: ...

    # ---------------------------------------------------------------- streams, events
    @abstractmethod
    def stream_create(self) -> int: ...

    @abstractmethod
    def stream_destroy(self, stream: int) -> None: ...

    @abstractmethod
    def stream_synchronize(self, stream: int, what: str = "") -> None: ...

    @abstractmethod
    def event_create(self) -> int: ...

    @abstractmethod
    def event_destroy(self, event: int) -> None: ...

    @abstractmethod
    def event_record(self, event: int, stream: int) -> None: ...

    @abstractmethod
    def event_elapsed_ms(self, start: int, end: int) -> float:
        """Milliseconds between two recorded events (waits for ``end``)."""

    # ---------------------------------------------------------------- CUDA graphs
    @abstractmethod
    def begin_capture(self, stream: int) -> None: ...

    @abstractmethod
    def end_capture(self, stream: int) -> int:
        """The captured graph."""

    @abstractmethod
    def graph_instantiate(self, graph: int) -> int:
        """An executable graph (``CUgraphExec``)."""

    @abstractmethod
    def graph_launch(self, graph_exec: int, stream: int) -> None: ...

    @abstractmethod
    def graph_destroy(self, graph: int) -> None: ...

    @abstractmethod
    def graph_exec_destroy(self, graph_exec: int) -> None: ...


__all__ = ["CudaError", "Driver", "DriverUnavailable", "NO_DRIVER", "no_driver"]
