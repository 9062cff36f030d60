"""``tenkai.functional``: the functions PyTorch keeps in ``torch.functional`` (``norm``,
``split``, ``chain_matmul``, ``broadcast_shapes``, ...), the same objects as ``tenkai.norm``
etc. Example::

    >>> import tenkai as torch
    >>> torch.functional.broadcast_shapes((2, 1), (3,))
    torch.Size([2, 3])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._composite import norm
from ._shape import split
from ._tensor import Size, Tensor
from .linalg import multi_dot

__all__ = ["broadcast_shapes", "chain_matmul", "norm", "split"]


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
