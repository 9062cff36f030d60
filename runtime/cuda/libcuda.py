""":class:`LibCuda`: the :class:`~tenkai.runtime.cuda.driver.Driver` on ``libcuda.so.1`` (the
CUDA driver API through ctypes; no toolkit needed: the driver JIT-compiles the PTX).

Every call is checked: a non-zero ``CUresult`` raises :class:`CudaError` with the call's name,
what it was for, and the error decoded by ``cuGetErrorName`` / ``cuGetErrorString``.
``cuModuleLoadDataEx`` is given error and info log buffers, so a module that fails to
JIT-compile reports ptxas' messages. The ``_v2`` entry points are used where the driver has
them (the unsuffixed names are the old 32-bit ABI).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np

from tenkai.runtime.cuda.driver import CudaError, Driver, no_driver

c_int, c_uint, c_size_t, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t, ctypes.c_void_p
c_u64, c_char_p = ctypes.c_uint64, ctypes.c_char_p

ATTR_CC_MAJOR, ATTR_CC_MINOR = 75, 76  # CUdevice_attribute
ATTR_MAX_DYNAMIC_SHARED = 8  # CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
JIT_INFO_LOG, JIT_INFO_SIZE, JIT_ERROR_LOG, JIT_ERROR_SIZE, JIT_VERBOSE = 3, 4, 5, 6, 12
LOG_BYTES = 16384
STREAM_NON_BLOCKING = 1
EVENT_DEFAULT = 0
CAPTURE_THREAD_LOCAL = 1  # CUstreamCaptureMode


def library_names() -> list[str]:
    found = ctypes.util.find_library("cuda")
    return [n for n in ("libcuda.so.1", found, "libcuda.so", "nvcuda.dll") if n]


def open_library() -> Any:
    """The driver library, or DriverUnavailable naming what was tried."""
    errors = []
    for name in library_names():
        try:
            return ctypes.CDLL(name)
        except OSError as err:
            errors.append(str(err))
    raise no_driver(f"libcuda.so.1 could not be loaded: {errors[0] if errors else 'not found'}")


class LibCuda(Driver):
    """The driver API of ``libcuda`` (``lib``: an opened CDLL; None opens the system's)."""

    name = "libcuda"

    def __init__(self, lib: Any = None) -> None:
        self.lib = lib if lib is not None else open_library()
        try:
            self._call("cuInit", "initializing the driver", 0)
        except CudaError as err:  # CUDA_ERROR_NO_DEVICE, a driver/kernel-module mismatch...
            raise no_driver(f"cuInit failed: {err.name}") from err

    # ---------------------------------------------------------------- checking
    def _decode(self, code: int) -> tuple[str, str]:
        name, text = c_char_p(), c_char_p()
        if self.lib.cuGetErrorName(code, ctypes.byref(name)) != 0 or not name.value:
            return f"CUDA_ERROR_{code}", "unknown error code"
        self.lib.cuGetErrorString(code, ctypes.byref(text))
        return name.value.decode(), (text.value or b"").decode()

    def _call(self, fn: str, what: str, *args: Any, log: Any = None) -> None:
        try:
            func = getattr(self.lib, fn)
        except AttributeError:
            raise CudaError(-1, "CUDA_ERROR_NOT_FOUND", f"the driver has no {fn} (too old)",
                            fn, what) from None
        code = func(*args)
        if code != 0:
            name, text = self._decode(code)
            raise CudaError(code, name, text, fn, what, log() if log else "")

    def _out(self, ctype: Any, fn: str, what: str, *args: Any) -> Any:
        value = ctype()
        self._call(fn, what, ctypes.byref(value), *args)
        return value.value

    # ---------------------------------------------------------------- devices, contexts
    def device_count(self) -> int:
        return int(self._out(c_int, "cuDeviceGetCount", "counting devices"))

    def _device(self, ordinal: int) -> int:
        return int(self._out(c_int, "cuDeviceGet", f"device {ordinal}", ordinal))

    def device_name(self, ordinal: int) -> str:
        buf = ctypes.create_string_buffer(256)
        self._call("cuDeviceGetName", f"device {ordinal}", buf, 256, self._device(ordinal))
        return buf.value.decode()

    def compute_capability(self, ordinal: int) -> tuple[int, int]:
        dev = self._device(ordinal)
        major = self._out(c_int, "cuDeviceGetAttribute", "compute capability", ATTR_CC_MAJOR, dev)
        minor = self._out(c_int, "cuDeviceGetAttribute", "compute capability", ATTR_CC_MINOR, dev)
        return int(major), int(minor)

    def total_memory(self, ordinal: int) -> int:
        return int(self._out(c_size_t, "cuDeviceTotalMem_v2", f"device {ordinal}",
                             self._device(ordinal)))

    def primary_context(self, ordinal: int) -> int:
        ctx = self._out(c_void_p, "cuDevicePrimaryCtxRetain", f"device {ordinal}",
                        self._device(ordinal))
        self.set_current(ctx)
        return int(ctx or 0)

    def set_current(self, context: int) -> None:
        self._call("cuCtxSetCurrent", "making the context current", c_void_p(context))

    def synchronize(self) -> None:
        self._call("cuCtxSynchronize", "synchronizing the device")

    def mem_info(self) -> tuple[int, int]:
        free, total = c_size_t(), c_size_t()
        self._call("cuMemGetInfo_v2", "memory info", ctypes.byref(free), ctypes.byref(total))
        return int(free.value), int(total.value)

    # ---------------------------------------------------------------- code
    def load_module(self, image: bytes) -> int:
        if not image.endswith(b"\0") and image[:4] != b"\x7fELF":
            image += b"\0"  # PTX is passed as a C string
        info = ctypes.create_string_buffer(LOG_BYTES)
        error = ctypes.create_string_buffer(LOG_BYTES)
        opts = (c_int * 5)(JIT_INFO_LOG, JIT_INFO_SIZE, JIT_ERROR_LOG, JIT_ERROR_SIZE,
                           JIT_VERBOSE)
        vals = (c_void_p * 5)(ctypes.cast(info, c_void_p), c_void_p(LOG_BYTES),
                              ctypes.cast(error, c_void_p), c_void_p(LOG_BYTES), c_void_p(1))
        module = c_void_p()
        src = ctypes.create_string_buffer(image, len(image))
        self._call("cuModuleLoadDataEx", "loading the step's PTX", ctypes.byref(module), src,
                   5, opts, vals,
                   log=lambda: (error.value or info.value).decode(errors="replace"))
        return int(module.value or 0)

    def unload_module(self, module: int) -> None:
        self._call("cuModuleUnload", "unloading a module", c_void_p(module))

    def get_function(self, module: int, name: str) -> int:
        return int(self._out(c_void_p, "cuModuleGetFunction", f"kernel {name}",
                             c_void_p(module), name.encode()) or 0)

    def allow_shared(self, function: int, nbytes: int, name: str = "") -> None:
        self._call("cuFuncSetAttribute", f"kernel {name}: {nbytes} bytes of dynamic shared "
                   "memory", c_void_p(function), ATTR_MAX_DYNAMIC_SHARED, c_int(nbytes))

    def launch(self, function: int, grid: tuple[int, int, int], block: tuple[int, int, int],
               shared: int, stream: int, args: list[int], name: str = "") -> None:
        values = [c_u64(a) for a in args]
        params = (c_void_p * max(len(values), 1))(*[ctypes.cast(ctypes.byref(v), c_void_p)
                                                     for v in values])
        self._call("cuLaunchKernel", f"kernel {name}", c_void_p(function),
                   *[c_uint(g) for g in grid], *[c_uint(b) for b in block], c_uint(shared),
                   c_void_p(stream), params, None)

    # ---------------------------------------------------------------- memory
    def alloc(self, nbytes: int) -> int:
        return int(self._out(c_u64, "cuMemAlloc_v2", f"{nbytes} bytes", c_size_t(nbytes)))

    def free(self, ptr: int) -> None:
        self._call("cuMemFree_v2", "freeing a buffer", c_u64(ptr))

    def copy_htod(self, dst: int, src: np.ndarray, stream: int = 0) -> None:
        self._call("cuMemcpyHtoDAsync_v2", f"{src.nbytes} bytes to the device", c_u64(dst),
                   c_void_p(src.ctypes.data), c_size_t(src.nbytes), c_void_p(stream))

    def copy_dtoh(self, dst: np.ndarray, src: int, stream: int = 0) -> None:
        self._call("cuMemcpyDtoHAsync_v2", f"{dst.nbytes} bytes to the host",
                   c_void_p(dst.ctypes.data), c_u64(src), c_size_t(dst.nbytes), c_void_p(stream))
        self.stream_synchronize(stream, "copying to the host")

    def copy_dtod(self, dst: int, src: int, nbytes: int, stream: int = 0) -> None:
        self._call("cuMemcpyDtoDAsync_v2", f"{nbytes} bytes on the device", c_u64(dst),
                   c_u64(src), c_size_t(nbytes), c_void_p(stream))

    def memset(self, ptr: int, byte: int, nbytes: int, stream: int = 0) -> None:
        self._call("cuMemsetD8Async", f"{nbytes} bytes", c_u64(ptr), ctypes.c_ubyte(byte),
                   c_size_t(nbytes), c_void_p(stream))

    # ---------------------------------------------------------------- streams, events
    def stream_create(self) -> int:
        return int(self._out(c_void_p, "cuStreamCreate", "a stream", STREAM_NON_BLOCKING) or 0)

    def stream_destroy(self, stream: int) -> None:
        self._call("cuStreamDestroy_v2", "a stream", c_void_p(stream))

    def stream_synchronize(self, stream: int, what: str = "") -> None:
        self._call("cuStreamSynchronize", what, c_void_p(stream))

    def event_create(self) -> int:
        return int(self._out(c_void_p, "cuEventCreate", "an event", EVENT_DEFAULT) or 0)

    def event_destroy(self, event: int) -> None:
        self._call("cuEventDestroy_v2", "an event", c_void_p(event))

    def event_record(self, event: int, stream: int) -> None:
        self._call("cuEventRecord", "timing", c_void_p(event), c_void_p(stream))

    def event_elapsed_ms(self, start: int, end: int) -> float:
        self._call("cuEventSynchronize", "timing", c_void_p(end))
        ms = ctypes.c_float()
        self._call("cuEventElapsedTime", "timing", ctypes.byref(ms), c_void_p(start),
                   c_void_p(end))
        return float(ms.value)

    # ---------------------------------------------------------------- CUDA graphs
    def begin_capture(self, stream: int) -> None:
        self._call("cuStreamBeginCapture_v2", "capturing a CUDA graph", c_void_p(stream),
                   CAPTURE_THREAD_LOCAL)

    def end_capture(self, stream: int) -> int:
        graph = c_void_p()  # (the graph is the second argument here)
        self._call("cuStreamEndCapture", "capturing a CUDA graph", c_void_p(stream),
                   ctypes.byref(graph))
        return int(graph.value or 0)

    def graph_instantiate(self, graph: int) -> int:
        return int(self._out(c_void_p, "cuGraphInstantiateWithFlags", "a CUDA graph",
                             c_void_p(graph), ctypes.c_ulonglong(0)) or 0)

    def graph_launch(self, graph_exec: int, stream: int) -> None:
        self._call("cuGraphLaunch", "replaying the step's CUDA graph", c_void_p(graph_exec),
                   c_void_p(stream))

    def graph_destroy(self, graph: int) -> None:
        self._call("cuGraphDestroy", "a CUDA graph", c_void_p(graph))

    def graph_exec_destroy(self, graph_exec: int) -> None:
        self._call("cuGraphExecDestroy", "a CUDA graph", c_void_p(graph_exec))


__all__ = ["LibCuda", "library_names", "open_library"]
