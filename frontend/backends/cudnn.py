"""``torch.backends.cudnn``: flags with PyTorch's defaults; tenkai never calls cuDNN."""

from __future__ import annotations

enabled = True
deterministic = False
benchmark = False
benchmark_limit: int | None = None
allow_tf32 = True


def is_available() -> bool:
    """False: tenkai has no cuDNN kernels."""
    return False


def version() -> int | None:
    return None
