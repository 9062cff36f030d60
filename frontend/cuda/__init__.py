"""``tenkai.cuda``: the GPUs of the CUDA driver API (``tenkai.runtime.cuda``), with PyTorch's
names: availability and device queries, ``synchronize``, the seeding functions tutorials call,
and memory counters.

Without a driver or GPU, ``is_available()`` is False, the queries that need a device raise
PyTorch's RuntimeError ("Found no NVIDIA driver on your system", naming what is missing), and
the ones PyTorch answers lazily (``memory_allocated()``, ``manual_seed_all``,
``empty_cache``) answer without one. Tensors on ``device='cuda'`` run their eager ops as
device kernels (``tenkai._cuda_tensor``); ``tenkai.compile`` compiles a step on cuda tensors
for the GPU (or ``target="cuda"`` on CPU tensors, state mirrored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._device import CURRENT_CUDA, cuda_device_count, device, require_cuda

_CURRENT = CURRENT_CUDA


def is_available() -> bool:
    """True when a CUDA driver and at least one GPU are present."""
    return cuda_device_count() > 0


def device_count() -> int:
    return cuda_device_count()


def is_initialized() -> bool:
    """Whether this process has made a context on a GPU."""
    from tenkai.runtime.cuda import existing

    return is_available() and existing(_CURRENT[0]) is not None


def init() -> None:
    """Initialize the current GPU's context (RuntimeError without one)."""
    require_cuda(_CURRENT[0])


def _index(dev: Any = None) -> int:
    if dev is None:
        return _CURRENT[0]
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _CURRENT[0] if d.index is None else d.index


def current_device() -> int:
    require_cuda(_CURRENT[0])
    return _CURRENT[0]


def set_device(dev: Any) -> None:
    index = _index(dev)
    if index >= 0:
        require_cuda(index)
        _CURRENT[0] = index


def get_device_name(dev: Any = None) -> str:
    ctx = require_cuda(_index(dev))
    return str(ctx.driver.device_name(ctx.ordinal))


def get_device_capability(dev: Any = None) -> tuple[int, int]:
    ctx = require_cuda(_index(dev))
    return tuple(ctx.driver.compute_capability(ctx.ordinal))  # type: ignore[return-value]


@dataclass(frozen=True)
class _CudaDeviceProperties:
    name: str
    major: int
    minor: int
    total_memory: int

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // (1 << 20)}MB)")


def get_device_properties(dev: Any = None) -> _CudaDeviceProperties:
    ctx = require_cuda(_index(dev))
    major, minor = ctx.driver.compute_capability(ctx.ordinal)
    return _CudaDeviceProperties(ctx.driver.device_name(ctx.ordinal), major, minor,
                                 ctx.driver.total_memory(ctx.ordinal))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return is_available() and get_device_capability()[0] >= 8


def synchronize(dev: Any = None) -> None:
    """Wait for every launch on the GPU to finish."""
    require_cuda(_index(dev)).synchronize()


def _existing(dev: Any = None) -> Any:
    if not is_available():
        return None
    from tenkai.runtime.cuda import existing

    return existing(_index(dev))


def memory_allocated(dev: Any = None) -> int:
    """Bytes of device memory tenkai holds on the GPU now (0 before any use, or without one)."""
    ctx = _existing(dev)
    return 0 if ctx is None else int(ctx.allocated)


def max_memory_allocated(dev: Any = None) -> int:
    ctx = _existing(dev)
    return 0 if ctx is None else int(ctx.peak)


def memory_reserved(dev: Any = None) -> int:
    """Bytes held from the driver: allocated, plus freed blocks kept for reuse."""
    ctx = _existing(dev)
    return 0 if ctx is None else int(ctx.allocated + ctx.cached_bytes)


def max_memory_reserved(dev: Any = None) -> int:
    ctx = _existing(dev)
    return 0 if ctx is None else int(ctx.peak_reserved)


def reset_peak_memory_stats(dev: Any = None) -> None:
    ctx = _existing(dev)
    if ctx is not None:
        ctx.peak = ctx.allocated
        ctx.peak_reserved = ctx.allocated + ctx.cached_bytes


def mem_get_info(dev: Any = None) -> tuple[int, int]:
    """``(free, total)`` bytes of the GPU."""
    ctx = require_cuda(_index(dev))
    ctx.activate()
    return tuple(ctx.driver.mem_info())  # type: ignore[return-value]


def empty_cache() -> None:
    """Return the freed blocks every GPU keeps for reuse to the driver."""
    if not is_available():
        return
    from tenkai.runtime.cuda import existing

    for index in range(device_count()):
        ctx = existing(index)
        if ctx is not None:
            ctx.empty_cache()


def manual_seed(seed: int) -> None:
    """Accepted for compatibility: tenkai has one counter-based generator (``tenkai.manual_seed``
    seeds it); compiled steps on the GPU draw the same bits per element as on the CPU."""


def manual_seed_all(seed: int) -> None:
    """Accepted for compatibility (see manual_seed)."""


def seed() -> None:
    """Accepted for compatibility (see manual_seed)."""


def seed_all() -> None:
    """Accepted for compatibility (see manual_seed)."""


def get_arch_list() -> list[str]:
    """The GPU architectures tenkai generates PTX for (none without a GPU, as PyTorch)."""
    if not is_available():
        return []
    from tenkai.codegen.nvptx import ARCHES

    return list(ARCHES)
