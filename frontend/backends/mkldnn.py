"""``torch.backends.mkldnn``: a flag with PyTorch's default; tenkai does not use oneDNN."""

from __future__ import annotations

enabled = True


def is_available() -> bool:
    return False
