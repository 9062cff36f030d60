"""One GPU as the runtime sees it: :class:`Context` (the device's primary context, its stream,
loaded modules, freed blocks kept for reuse), :class:`DeviceArray` (a device buffer with a
shape and dtype) and :class:`CUDAAllocator` (``runtime/device.py``'s Allocator on it).

The process has one :class:`Context` per device ordinal, made on first use through the
current :class:`~tenkai.runtime.cuda.driver.Driver` (:func:`get_driver`: ``libcuda`` unless a
test set another with :func:`set_driver`). Memory counters (``allocated``, ``peak``) are what
``tenkai.cuda.memory_allocated()`` / ``max_memory_allocated()`` report; ``cached_bytes`` (freed
blocks of live sizes, reused by the next allocation of that size, as PyTorch's caching
allocator does) is the rest of ``memory_reserved()``, and ``empty_cache()`` frees them.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
from typing import Any

import numpy as np

from tenkai.runtime.cuda.driver import CudaError, Driver, DriverUnavailable, no_driver
from tenkai.runtime.device import Allocator

ALIGN = 256  # cuMemAlloc returns 256-byte aligned memory; the arena keeps slots aligned too

_LOCK = threading.Lock()
_DRIVER: list[Driver | None] = [None]
_CONTEXTS: dict[int, Context] = {}
_MISSING: list[DriverUnavailable | None] = [None]  # why libcuda could not be opened


def set_driver(driver: Driver | None) -> Driver | None:
    """Use ``driver`` from now on (None: the system's libcuda again, opened on next use);
    forgets every context made with the previous one. Returns the previous driver."""
    with _LOCK:
        old = _DRIVER[0]
        _DRIVER[0] = driver
        _MISSING[0] = None
        _CONTEXTS.clear()
    return old


def get_driver() -> Driver:
    """The driver in use (opening ``libcuda.so.1`` on first use; DriverUnavailable without)."""
    with _LOCK:
        if _DRIVER[0] is None:
            if _MISSING[0] is not None:  # tried before: no driver (until set_driver(None))
                raise DriverUnavailable(str(_MISSING[0]))
            from tenkai.runtime.cuda.libcuda import LibCuda

            try:
                _DRIVER[0] = LibCuda()
            except DriverUnavailable as err:
                _MISSING[0] = err
                raise
        return _DRIVER[0]


def device_count() -> int:
    """GPUs the driver sees; 0 without a driver library (never raises for that)."""
    try:
        return get_driver().device_count()
    except (RuntimeError, OSError):  # no driver library, or cuInit failed
        return 0


def existing(ordinal: int) -> Context | None:
    """Device ``ordinal``'s context if this process made one already (else None)."""
    return _CONTEXTS.get(ordinal)


def context(ordinal: int = 0) -> Context:
    """The process's context on device ``ordinal`` (made on first use)."""
    ctx = _CONTEXTS.get(ordinal)
    if ctx is None:
        driver = get_driver()
        count = driver.device_count()
        if count == 0:
            raise no_driver("the driver found no CUDA GPU")
        if not 0 <= ordinal < count:
            raise RuntimeError(f"CUDA error: invalid device ordinal (device {ordinal}; "
                               f"{count} device(s) available)")
        with _LOCK:
            ctx = _CONTEXTS.setdefault(ordinal, Context(driver, ordinal))
    return ctx


class Context:
    """Device ``ordinal``'s primary context, the stream every step runs on, and the modules
    loaded into it (by content hash: steps compiled twice share one module)."""

    def __init__(self, driver: Driver, ordinal: int) -> None:
        self.driver, self.ordinal = driver, ordinal
        self.handle = driver.primary_context(ordinal)
        self.stream = driver.stream_create()
        self.modules: dict[str, int] = {}
        self.allocated = 0  # bytes of live device arrays
        self.peak = 0
        # freed blocks kept for reuse, by size (every launch and copy runs in order on the
        # one stream, so a block freed here is free for whatever the stream runs next)
        self.cached: dict[int, list[int]] = {}
        self.cached_bytes = 0
        self.peak_reserved = 0  # the most allocated + cached bytes

    def activate(self) -> None:
        self.driver.set_current(self.handle)

    def load_module(self, image: bytes) -> int:
        key = hashlib.sha256(image).hexdigest()
        if key not in self.modules:
            self.activate()
            self.modules[key] = self.driver.load_module(image)
        return self.modules[key]

    def alloc(self, nbytes: int) -> int:
        """``nbytes`` of device memory: a cached block of that size, else the driver's (out
        of memory: the cache is released and the allocation tried again)."""
        n = max(nbytes, 1)
        blocks = self.cached.get(n)
        if blocks:
            ptr = blocks.pop()
            self.cached_bytes -= n
        else:
            self.activate()
            try:
                ptr = self.driver.alloc(n)
            except CudaError:
                if not self.cached_bytes:
                    raise
                self.empty_cache()
                ptr = self.driver.alloc(n)
        self.allocated += n
        self.peak = max(self.peak, self.allocated)
        self.peak_reserved = max(self.peak_reserved, self.allocated + self.cached_bytes)
        return ptr

    def free(self, ptr: int, nbytes: int) -> None:
        """Give a block back: kept for reuse (``empty_cache`` returns them to the driver)."""
        if _CONTEXTS.get(self.ordinal) is not self:
            return  # the driver was replaced (tests): its memory went with it
        n = max(nbytes, 1)
        self.allocated -= n
        self.cached.setdefault(n, []).append(ptr)
        self.cached_bytes += n

    def empty_cache(self) -> None:
        """Return every cached block to the driver."""
        self.activate()
        for blocks in self.cached.values():
            for ptr in blocks:
                self.driver.free(ptr)
        self.cached.clear()
        self.cached_bytes = 0

    def synchronize(self) -> None:
        self.activate()
        self.driver.synchronize()


def _release(ctx: Context, ptr: int, nbytes: int) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit the driver may be gone
        ctx.free(ptr, nbytes)


class DeviceArray:
    """``nbytes`` of device memory holding an array of ``shape`` and ``dtype`` (C order).
    Freed when garbage collected; ``ptr`` never changes (a fixed address)."""

    def __init__(self, ctx: Context, shape: tuple[int, ...], dtype: Any) -> None:
        self.ctx, self.shape, self.dtype = ctx, tuple(int(d) for d in shape), np.dtype(dtype)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self.ptr = ctx.alloc(self.nbytes)
        self.base: DeviceArray | None = None  # the array whose memory a view shares
        self._finalizer = weakref.finalize(self, _release, ctx, self.ptr, self.nbytes)

    @classmethod
    def view(cls, base: DeviceArray, shape: tuple[int, ...], dtype: Any = None
             ) -> DeviceArray:
        """An array of ``shape`` (and ``dtype``: same itemsize) on ``base``'s memory (no copy;
        it keeps ``base`` alive)."""
        out = cls.__new__(cls)
        out.ctx, out.shape = base.ctx, tuple(int(d) for d in shape)
        out.dtype = base.dtype if dtype is None else np.dtype(dtype)
        out.nbytes = int(np.prod(out.shape, dtype=np.int64)) * out.dtype.itemsize
        if out.nbytes != base.nbytes:
            raise ValueError(f"cuda: a view of {list(out.shape)} {out.dtype.name} does not fit "
                             f"{base.nbytes} bytes")
        out.ptr, out.base = base.ptr, base if base.base is None else base.base
        out._finalizer = None
        return out

    @classmethod
    def from_host(cls, ctx: Context, arr: Any) -> DeviceArray:
        host = np.asarray(arr)
        out = cls(ctx, host.shape, host.dtype)
        out.copy_from_host(host)
        return out

    def copy_from_host(self, arr: np.ndarray) -> None:
        host = np.asarray(arr, dtype=self.dtype)  # (ascontiguousarray makes 0-d arrays 1-d)
        if not host.flags.c_contiguous:
            host = host.copy(order="C")
        if host.shape != self.shape:
            raise ValueError(f"cuda: cannot copy an array of shape {list(host.shape)} into a "
                             f"device buffer of shape {list(self.shape)}")
        if self.nbytes:
            self.ctx.driver.copy_htod(self.ptr, host, self.ctx.stream)

    def copy_to_host(self, out: np.ndarray | None = None) -> np.ndarray:
        """The contents as a new host array (or into C-contiguous ``out``; waits for it)."""
        host = np.empty(self.shape, self.dtype) if out is None else out
        if self.nbytes:
            self.ctx.driver.copy_dtoh(host, self.ptr, self.ctx.stream)
        return host

    def copy_from(self, other: DeviceArray) -> None:
        self.ctx.driver.copy_dtod(self.ptr, other.ptr, self.nbytes, self.ctx.stream)

    def zero(self) -> None:
        if self.nbytes:
            self.ctx.driver.memset(self.ptr, 0, self.nbytes, self.ctx.stream)

    def __repr__(self) -> str:
        return (f"DeviceArray(cuda:{self.ctx.ordinal}, {self.dtype.name}{list(self.shape)}, "
                f"ptr=0x{self.ptr:x})")


class CUDAAllocator(Allocator):
    """Device memory of one GPU (``runtime/device.py``'s Allocator)."""

    def __init__(self, ctx: Context | None = None) -> None:
        self.ctx = ctx or context(0)

    def alloc(self, nbytes: int) -> DeviceArray:
        return DeviceArray(self.ctx, (nbytes,), np.uint8)

    def array(self, shape: tuple[int, ...], dtype: Any) -> DeviceArray:
        return DeviceArray(self.ctx, shape, dtype)

    def free(self, buf: Any) -> None:
        if buf._finalizer is not None:  # (a view frees nothing)
            buf._finalizer()

    def copy_in(self, dst: Any, src: np.ndarray) -> None:
        dst.copy_from_host(np.ascontiguousarray(src).view(np.uint8).reshape(-1)
                           if dst.dtype == np.uint8 and src.dtype != np.uint8 else src)

    def copy_out(self, src: Any) -> np.ndarray:
        return src.copy_to_host()


__all__ = ["ALIGN", "CUDAAllocator", "Context", "DeviceArray", "context", "device_count",
           "existing",
           "get_driver", "set_driver"]
