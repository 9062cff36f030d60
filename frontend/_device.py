"""``tenkai.device`` and the CUDA availability probe (through the driver library, no toolkit)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


class device:
    """``tenkai.device('cpu')`` / ``tenkai.device('cuda:0')``; prints like ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0
            type, index = "cuda", type
        kind, _, num = str(type).partition(":")
        if kind not in ("cpu", "cuda", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, meta device type at start of device "
                               f"string: {type}")
        self.type = kind
        self.index = int(num) if num else index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


@functools.lru_cache(maxsize=1)
def cuda_device_count() -> int:
    """GPUs visible through the CUDA driver API (0 when there is no driver)."""
    name = ctypes.util.find_library("cuda") or "libcuda.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return 0
    if lib.cuInit(0) != 0:
        return 0
    count = ctypes.c_int(0)
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def check_device(dev: Any) -> device:
    """Resolve a device argument; CUDA asks fail clearly (no GPU, or not implemented yet)."""
    d = device(dev) if not isinstance(dev, device) else dev
    if d.type == "cuda":
        if cuda_device_count() == 0:
            raise RuntimeError("Found no NVIDIA driver on your system: CUDA is not available "
                               "(tenkai.cuda.is_available() is False). Keep tensors on 'cpu', or "
                               "pick the device with torch.device('cuda' if "
                               "torch.cuda.is_available() else 'cpu').")
        raise NotImplementedError("CUDA tensors are not implemented yet in tenkai: a GPU was "
                                  "found, but eager tensors live on the CPU")
    if d.type == "meta":
        raise NotImplementedError("meta tensors are not supported")
    return d
