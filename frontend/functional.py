"""``tenkai.functional``: the functions PyTorch keeps in ``torch.functional`` (``norm``,
``split``, ``chain_matmul``, ``broadcast_shapes``, ...), the same objects as ``tenkai.norm``
etc. Example::

    >>> import tenkai as torch
    >>> torch.functional.broadcast_shapes((2, 1), (3,))
    torch.Size([2, 3])
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ._composite import norm
from ._shape import split
from ._tensor import Size, Tensor
from .linalg import multi_dot

__all__ = ["broadcast_shapes", "chain_matmul", "norm", "split"]
# the rest of torch.functional is defined elsewhere in tenkai: torch.functional.X is torch.X
# (module __getattr__: this module is imported while the namespace is still being built)
_FORWARDED = frozenset({"atleast_1d", "atleast_2d", "atleast_3d", "block_diag",
                        "broadcast_tensors", "cartesian_prod", "cdist", "einsum", "istft", "lu",
                        "meshgrid", "pca_lowrank", "stft", "svd_lowrank", "tensordot", "unique",
                        "unique_consecutive", "unravel_index"})


def __getattr__(name: str) -> Any:
    package = sys.modules[__name__.rpartition(".")[0]]
    if name in _FORWARDED and hasattr(package, name):
        return getattr(package, name)
    raise AttributeError(f"module 'tenkai.functional' has no attribute '{name}'")


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape ``shapes`` broadcast to, without building tensors."""
    sizes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*sizes))
    except ValueError:
        raise RuntimeError(f"shape mismatch: objects cannot be broadcast to a single shape "
                           f"(shapes {[list(s) for s in sizes]})") from None


def chain_matmul(*matrices: Tensor, out: Tensor | None = None) -> Tensor:
    """Deprecated in PyTorch for ``torch.linalg.multi_dot``: the product of 2-D matrices."""
    if len(matrices) == 1:
        return matrices[0].clone()
    result = multi_dot(list(matrices))
    return result if out is None else out.copy_(result)
