"""``nn.utils.weight_norm`` / ``spectral_norm`` (and their ``remove_*``): PyTorch's older,
hook-based forms. The weight's parameter is replaced by others (``weight_g`` and
``weight_v``; ``weight_orig`` plus the ``weight_u``/``weight_v`` buffers), and a forward
pre-hook recomputes ``module.weight`` from them before every forward."""

from __future__ import annotations

import warnings
from typing import Any

from ..._creation import randn
from ..._tensor import Tensor
from ...autograd import no_grad
from ..functional import normalize
from ..module import Module
from ..parameter import Parameter
from ._norms import as_matrix, norm_except_dim, power_iteration, weight_from


class _WeightNormHook:
    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Module) -> Tensor:
        return weight_from(getattr(module, self.name + "_g"), getattr(module, self.name + "_v"),
                           self.dim)

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g`` (magnitude) and ``<name>_v`` (direction)."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                               f"{name}")
    if dim == -1:
        dim = None
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"weight_norm: module has no parameter named '{name}'")
    hook = _WeightNormHook(name, dim)
    del module._parameters[name]
    with no_grad():
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim)))
        module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
    object.__setattr__(module, name, hook.compute(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    return _remove(module, name, _WeightNormHook, "weight_norm", (name + "_g", name + "_v"))


class _SpectralNormHook:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = as_matrix(weight, self.dim)
        if do_power_iteration:
            power_iteration(w.detach(), u, v, self.n, self.eps)
        sigma = (u.clone() * (w @ v.clone())).sum()
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module, module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its largest singular value before every forward."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter "
                               f"{name}")
    if n_power_iterations <= 0:
        raise ValueError("Expected n_power_iterations to be positive, but got "
                         f"n_power_iterations={n_power_iterations}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    weight = getattr(module, name)
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    with no_grad():
        w = as_matrix(weight.detach(), dim)
        h, k = w.shape
        u = normalize(randn(h, dtype=w.dtype), dim=0, eps=eps)
        v = normalize(randn(k, dtype=w.dtype), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    object.__setattr__(module, name, weight.detach())
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    return _remove(module, name, _SpectralNormHook, "spectral_norm",
                   (name + "_orig", name + "_u", name + "_v"))


def _remove(module: Module, name: str, kind: type, what: str, drop: tuple[str, ...]) -> Module:
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            with no_grad():
                value = hook.compute(module, False) if kind is _SpectralNormHook \
                    else hook.compute(module)
            del module._forward_pre_hooks[key]
            for attr in drop:
                module._drop(attr)
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(value.detach().clone()))
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
