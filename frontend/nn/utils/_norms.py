"""The math shared by weight and spectral normalization (both API generations): the norm of
a weight over every dim but one, and the power iteration for its largest singular value."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd import no_grad


def norm_except_dim(v: Tensor, pow: float = 2, dim: int | None = 0) -> Tensor:
    """``||v||`` over every dim except ``dim`` (kept, size 1 elsewhere); ``dim`` None: the
    norm of the whole tensor."""
    if dim is None:
        return (v.abs() ** pow).sum() ** (1.0 / pow)
    dim = dim % v.dim() if v.dim() else 0
    axes = tuple(d for d in range(v.dim()) if d != dim)
    if not axes:
        return v.abs()
    return (v.abs() ** pow).sum(dim=axes, keepdim=True) ** (1.0 / pow)


def weight_from(g: Tensor, v: Tensor, dim: int | None) -> Tensor:
    """PyTorch's ``_weight_norm``: ``g * v / ||v||`` (norm over every dim but ``dim``)."""
    return v * (g / norm_except_dim(v, 2, dim))


def as_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a 2-D matrix with ``dim`` first (spectral norm's view of it)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.dim()) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def power_iteration(w: Tensor, u: Tensor, v: Tensor, n: int, eps: float) -> None:
    """``n`` steps of the power method on matrix ``w``, updating ``u`` and ``v`` in place."""
    from ..functional import normalize

    with no_grad():
        for _ in range(n):
            v.copy_(normalize(w.t() @ u, dim=0, eps=eps))
            u.copy_(normalize(w @ v, dim=0, eps=eps))
