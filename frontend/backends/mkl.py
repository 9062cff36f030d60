"""``torch.backends.mkl``: tenkai does not link MKL."""

from __future__ import annotations


def is_available() -> bool:
    return False
