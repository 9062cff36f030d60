"""``tenkai.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as
parametrizations (PyTorch's current API; the older hook-based functions are
``tenkai.nn.utils.weight_norm`` / ``spectral_norm``)."""

from __future__ import annotations

from typing import Any

from ..._creation import randn
from ..._tensor import Tensor
from ...autograd import no_grad
from ..functional import normalize
from ..module import Module
from . import parametrize
from ._norms import as_matrix, norm_except_dim, power_iteration, weight_from

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_from(weight_g, weight_v, None if self.dim == -1 else self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, None if self.dim == -1 else self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``module.<name>`` becomes ``g * v / ||v||``: ``parametrizations.<name>.original0`` is
    the magnitude ``g``, ``original1`` the direction ``v`` (norm over every dim but ``dim``)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            w = as_matrix(weight.detach(), self.dim)
            h, k = w.shape
            self.register_buffer("_u", normalize(randn(h, dtype=w.dtype), dim=0, eps=eps))
            self.register_buffer("_v", normalize(randn(k, dtype=w.dtype), dim=0, eps=eps))
            power_iteration(w, self._u, self._v, 15, eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.dim() == 1:
            return normalize(weight, dim=0, eps=self.eps)
        w = as_matrix(weight, self.dim)
        if self.training:
            power_iteration(w.detach(), self._u, self._v, self.n_power_iterations, self.eps)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (w @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """``module.<name>`` divided by its largest singular value, estimated by power iteration
    (``n_power_iterations`` per forward in training mode; ``dim`` None: 1 for ConvTranspose,
    else 0)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    with no_grad():
        sn = _SpectralNorm(weight, n_power_iterations, dim, eps)
    parametrize.register_parametrization(module, name, sn)
    return module


def orthogonal(module: Module, name: str = "weight", orthogonal_map: Any = None, *,
               use_trivialization: bool = True) -> Module:
    raise NotImplementedError("nn.utils.parametrizations.orthogonal is not implemented in "
                              "tenkai (it needs matrix_exp / Cayley / Householder maps); use "
                              "weight_norm or spectral_norm, or register your own "
                              "parametrization with parametrize.register_parametrization")
