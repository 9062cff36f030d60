"""``tenkai.nn.utils.prune``: masks on parameters, as in PyTorch.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, adds the buffer
``<name>_mask`` and a forward pre-hook that sets ``module.<name> = <name>_orig * <name>_mask``
before every forward (so gradients flow to the kept entries only). Pruning again combines the
new mask with the old one (only entries still kept are considered). :func:`remove` makes the
pruning permanent.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..._creation import ones_like, rand, rand_like, tensor
from ..._tensor import Tensor
from ...autograd import no_grad
from ..module import Module
from ..parameter import Parameter

__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured",
           "LnStructured", "PruningContainer", "RandomStructured", "RandomUnstructured",
           "custom_from_mask", "global_unstructured", "identity", "is_pruned",
           "l1_unstructured", "ln_structured", "random_structured", "random_unstructured",
           "remove"]


def _count(amount: Any, total: int) -> int:
    """PyTorch's ``amount``: an int (entries) or a float in [0, 1] (fraction, rounded)."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise ValueError(f"amount={amount} should either be a float in the range [0, 1] "
                             "or a non-negative integer")
        if amount > total:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={total}")
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")
    return int(round(amount * total))


class BasePruningMethod:
    """A pruning technique: ``compute_mask(t, default_mask)`` gives the new mask."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self._tensor_name, self.apply_mask(module))

    def apply_mask(self, module: Module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask.to(orig.dtype)

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        scores = importance_scores if importance_scores is not None else t
        mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(scores, mask)

    def remove(self, module: Module) -> None:
        name = self._tensor_name
        with no_grad():
            value = self.apply_mask(module)
        module._drop(name + "_orig")
        module._drop(name + "_mask")
        module.__dict__.pop(name, None)
        module.register_parameter(name, Parameter(value.detach().clone()))

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any,
              importance_scores: Tensor | None = None, **kwargs: Any) -> BasePruningMethod:
        old = None
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                del module._forward_pre_hooks[key]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name + "_orig") if old is not None else getattr(module, name)
        scores = importance_scores if importance_scores is not None else orig
        if scores.shape != orig.shape:
            raise ValueError("importance_scores should have the same shape as parameter "
                             f"{name} of {module}")
        if old is None:
            del module._parameters[name]
            module.register_parameter(name + "_orig", orig)
            default = ones_like(orig)
        else:
            default = getattr(module, name + "_mask").detach().clone()
        with no_grad():
            mask = method.compute_mask(scores, default_mask=default)
        module.register_buffer(name + "_mask", mask)
        object.__setattr__(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method


class PruningContainer(BasePruningMethod):
    """Successive prunings of one tensor: each new one acts on the entries still kept."""

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        self._tensor_name = methods[0]._tensor_name if methods else None
        for m in methods:
            self.add_pruning_method(m)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        if self._tensor_name is not None and method._tensor_name != self._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer. Found "
                             f"'{method._tensor_name}'")
        self._tensor_name = method._tensor_name
        self._pruning_methods += (method,)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        method = self._pruning_methods[-1]
        kept = default_mask.detach().numpy() != 0
        if method.PRUNING_TYPE == "unstructured":
            partial = method.compute_mask(tensor(t.detach().numpy()[kept]), ones_like(tensor(
                t.detach().numpy()[kept])))
            new = default_mask.detach().numpy().copy()
            new[kept] = partial.numpy()
            return tensor(new)
        return default_mask * method.compute_mask(t, default_mask)


def _mask_smallest(scores: np.ndarray, k: int, default: Tensor) -> Tensor:
    mask = default.detach().numpy().copy()
    if k:
        order = np.argsort(scores.ravel(), kind="stable")[:k]
        mask.reshape(-1)[order] = 0
    return tensor(mask)


class Identity(BasePruningMethod):
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask


class RandomUnstructured(BasePruningMethod):
    def __init__(self, amount: Any) -> None:
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:

        k = _count(self.amount, t.numel())
        return _mask_smallest(rand_like(t.float()).numpy(), k, default_mask)


class L1Unstructured(BasePruningMethod):
    def __init__(self, amount: Any) -> None:
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        k = _count(self.amount, t.numel())
        return _mask_smallest(np.abs(t.detach().numpy()), k, default_mask)


class _Structured(BasePruningMethod):
    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, dim: int = -1) -> None:
        self.amount, self.dim = amount, dim

    def channel_scores(self, t: Tensor) -> np.ndarray:
        raise NotImplementedError

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        dim = self.dim % t.dim()
        n = t.shape[dim]
        k = _count(self.amount, n)
        drop = np.argsort(self.channel_scores(t), kind="stable")[:k]
        mask = default_mask.detach().numpy().copy()
        index = [slice(None)] * t.dim()
        index[dim] = drop
        mask[tuple(index)] = 0
        return tensor(mask)


class LnStructured(_Structured):
    def __init__(self, amount: Any, n: Any, dim: int = -1) -> None:
        super().__init__(amount, dim)
        self.n = n

    def channel_scores(self, t: Tensor) -> np.ndarray:
        dim = self.dim % t.dim()
        a = np.moveaxis(t.detach().numpy(), dim, 0).reshape(t.shape[dim], -1)
        return np.linalg.norm(a, ord=self.n, axis=1) if self.n not in ("fro", "nuc") \
            else np.linalg.norm(a, axis=1)


class RandomStructured(_Structured):
    def channel_scores(self, t: Tensor) -> np.ndarray:

        return rand(t.shape[self.dim % t.dim()]).numpy()


class CustomFromMask(BasePruningMethod):
    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if self.mask.shape != default_mask.shape:
            raise ValueError("custom_from_mask: the mask must have the parameter's shape "
                             f"{list(default_mask.shape)}, got {list(self.mask.shape)}")
        return default_mask * self.mask.to(default_mask.dtype)


def identity(module: Module, name: str) -> Module:
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: Any) -> Module:
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: Any,
                    importance_scores: Tensor | None = None) -> Module:
    L1Unstructured.apply(module, name, amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: Any, dim: int) -> Module:
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: Any, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune the entries with the smallest scores across all ``parameters`` together."""
    params = list(parameters)
    scores = importance_scores or {}
    if pruning_method not in (L1Unstructured, RandomUnstructured):
        raise NotImplementedError("global_unstructured: tenkai supports L1Unstructured and "
                                  "RandomUnstructured")
    flat, masks, sizes = [], [], []
    for module, name in params:
        t = scores.get((module, name), getattr(module, name))
        mask = getattr(module, name + "_mask", None)
        flat.append(t.detach().numpy().ravel())
        masks.append(np.ones(t.numel(), np.float32) if mask is None else
                     mask.numpy().ravel().astype(np.float32))
        sizes.append(t.numel())
    values = np.concatenate(flat)
    default = np.concatenate(masks)
    method = pruning_method(**kwargs)
    method._tensor_name = "global"
    kept = default != 0
    partial = method.compute_mask(tensor(values[kept]), tensor(np.ones(int(kept.sum()),
                                                                          np.float32)))
    final = default.copy()
    final[kept] = partial.numpy()
    start = 0
    for (module, name), n in zip(params, sizes, strict=True):
        shape = getattr(module, name).shape
        custom_from_mask(module, name, tensor(final[start:start + n].reshape(tuple(shape))))
        start += n


def remove(module: Module, name: str) -> Module:
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module: Module) -> bool:
    return any(isinstance(h, BasePruningMethod) for m in module.modules()
               for h in m._forward_pre_hooks.values())
