"""``tenkai.cuda``: availability queries, answered through the CUDA driver API."""

from __future__ import annotations

from ._device import cuda_device_count


def is_available() -> bool:
    """True when a CUDA driver and at least one GPU are present."""
    return cuda_device_count() > 0


def device_count() -> int:
    return cuda_device_count()


def manual_seed(seed: int) -> None:
    """Accepted for compatibility: tenkai has one counter-based generator per device type."""


def manual_seed_all(seed: int) -> None:
    """Accepted for compatibility (see manual_seed)."""


def synchronize(device: object = None) -> None:
    """Nothing to wait for: eager tenkai tensors live on the CPU."""
