"""``tenkai.accelerator`` (``torch.accelerator``): device-generic code's view of the one
accelerator type tenkai drives, CUDA. Without a GPU there is none: ``is_available()`` is
False, ``current_accelerator()`` None, and the calls that need a device raise PyTorch's
RuntimeError. PyTorch's quickstart picks its device this way::

    device = torch.accelerator.current_accelerator().type \\
        if torch.accelerator.is_available() else "cpu"
"""

from __future__ import annotations

from typing import Any

from . import cuda
from ._device import device

__all__ = ["current_accelerator", "current_device_index", "device_count", "device_index",
           "empty_cache", "is_available", "max_memory_allocated", "max_memory_reserved",
           "memory_allocated", "memory_reserved", "reset_peak_memory_stats",
           "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device("cuda")`` where a GPU is present; None otherwise (also with
    ``check_available=True``, which asks for a usable one)."""
    return device("cuda") if is_available() else None


def _require() -> None:
    if not is_available():
        raise RuntimeError(_NONE)


def current_device_index() -> int:
    _require()
    return cuda.current_device()


def set_device_index(dev: Any, /) -> None:
    _require()
    cuda.set_device(dev)


class device_index:
    """``with torch.accelerator.device_index(i):`` the current device inside the block."""

    def __init__(self, dev: int | None, /) -> None:
        self.idx, self.prev = dev, None

    def __enter__(self) -> device_index:
        if self.idx is not None:
            self.prev = current_device_index()
            set_device_index(self.idx)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.prev is not None:
            set_device_index(self.prev)


def synchronize(dev: Any = None, /) -> None:
    _require()
    cuda.synchronize(dev)


def empty_cache() -> None:
    cuda.empty_cache()


def _stat(name: str) -> Any:
    def stat(dev: Any = None, /) -> int:
        _require()
        return getattr(cuda, name)(dev)
    stat.__name__ = name
    return stat


memory_allocated, max_memory_allocated = _stat("memory_allocated"), _stat("max_memory_allocated")
memory_reserved, max_memory_reserved = _stat("memory_reserved"), _stat("max_memory_reserved")
reset_peak_memory_stats = _stat("reset_peak_memory_stats")
