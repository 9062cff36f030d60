"""``tenkai.nn.utils.parametrize``: a tensor of a module computed from other tensors.

As in PyTorch, :func:`register_parametrization` moves ``module.<name>`` to
``module.parametrizations.<name>.original`` and swaps the module's class for a subclass
(``ParametrizedLinear``) whose ``<name>`` property runs the parametrizations on each access,
so the state-dict keys, the printing and the gradients (to ``original``) are PyTorch's. The
parametrizations are modules of tenkai ops, so a parametrized model traces and compiles like
any other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..._tensor import Tensor
from ...autograd import no_grad
from ..containers import ModuleDict, ModuleList
from ..module import Module
from ..parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

_CACHE: dict[tuple[int, str], Tensor] | None = None


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside the block each parametrized tensor is computed once and reused."""
    global _CACHE
    outer = _CACHE is not None
    if not outer:
        _CACHE = {}
    try:
        yield
    finally:
        if not outer:
            _CACHE = None


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, with the unparametrized tensor
    as ``original`` (or ``original0``, ``original1``... when ``right_inverse`` returns
    several)."""

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for m in reversed(list(self)):
                inverse = getattr(m, "right_inverse", None)
                if inverse is not None:
                    new = inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.shape != original.shape or new.dtype != original.dtype):
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype or "
                    f"shape.\noriginal.dtype: {original.dtype}\nright_inverse(original).dtype:"
                    f" {new.dtype}\noriginal.shape: {original.shape}\n"
                    f"right_inverse(original).shape: {new.shape}")
            self.original = _as_parameter(new, original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors (list, tuple...). Got element {i} of type "
                                     f"{type(t).__name__}")
                setattr(self, f"original{i}", _as_parameter(t, original))

    def right_inverse(self, value: Tensor) -> None:
        """``module.<name> = value``: the originals become what gives ``value``."""
        with no_grad():
            for m in reversed(list(self)):
                inverse = getattr(m, "right_inverse", None)
                if inverse is None:
                    raise RuntimeError(f"parametrization {type(m).__name__} does not "
                                       "implement right_inverse.")
                value = inverse(value)
            values = [value] if self.is_tensor else list(value)
            for i, v in enumerate(values):
                orig = self.original if self.is_tensor else getattr(self, f"original{i}")
                if v.shape != orig.shape or v.dtype != orig.dtype:
                    raise ValueError(f"right_inverse: expected a tensor of shape "
                                     f"{list(orig.shape)} and dtype {orig.dtype}, got "
                                     f"{list(v.shape)} {v.dtype}")
                orig.copy_(v)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _as_parameter(value: Tensor, like: Tensor) -> Tensor:
    if isinstance(like, Parameter):
        return Parameter(value.detach().clone(), requires_grad=like.requires_grad)
    return value.detach().clone()


def _make_property(name: str) -> property:
    def get(self: Module) -> Tensor:
        if _CACHE is not None:
            key = (id(self), name)
            if key not in _CACHE:
                _CACHE[key] = self.parametrizations[name]()
            return _CACHE[key]
        return self.parametrizations[name]()

    def set_(self: Module, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)
    return property(get, set_)


def _setattr(self: Module, name: str, value: Any) -> None:
    if is_parametrized(self, name):
        type(self).__dict__[name].fset(self, value)
    else:
        Module.__setattr__(self, name, value)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Parametrize ``module.<tensor_name>`` by ``parametrization`` (appended when the tensor
    is parametrized already); returns ``module``."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be an "
                        f"nn.Module, got {type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            with no_grad():
                y = plist()
                z = parametrization(y)
            if not isinstance(z, Tensor) or z.shape != y.shape or z.dtype != y.dtype:
                raise ValueError("Registering a parametrization may not change the shape or "
                                 "dtype of the tensor, unless `unsafe` flag is enabled.")
        plist.append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    if not unsafe:
        with no_grad():
            z = plist()
        if not isinstance(z, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got "
                             f"{type(z).__name__}.")
        if z.shape != original.shape or z.dtype != original.dtype:
            raise ValueError(
                "Registering a parametrization may not change the shape or dtype of the "
                f"tensor, unless `unsafe` flag is enabled.\nunparametrized dtype: "
                f"{original.dtype}\nparametrized dtype: {z.dtype}\nunparametrized shape: "
                f"{original.shape}\nparametrized shape: {z.shape}")
    module._drop(tensor_name)
    if not is_parametrized(module):
        cls = type(module)
        new_cls = type(f"Parametrized{cls.__name__}", (cls,),
                       {"__setattr__": _setattr, "_tenkai_unparametrized": cls})
        module.__class__ = new_cls
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, _make_property(tensor_name))
    module.parametrizations[tensor_name] = plist
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    plist = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plist, ModuleDict):
        return False
    return len(plist) > 0 if tensor_name is None else tensor_name in plist


def type_before_parametrizations(module: Module) -> type:
    return getattr(type(module), "_tenkai_unparametrized", type(module))


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo :func:`register_parametrization` for ``tensor_name``: the tensor becomes a plain
    parameter again, holding the parametrized value (``leave_parametrized``) or the
    original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        with no_grad():
            value = plist() if leave_parametrized else original
        if leave_parametrized:
            if value.shape != original.shape or value.dtype != original.dtype:
                raise ValueError("remove_parametrizations: the parametrized tensor has another "
                                 "shape or dtype than the original; it cannot be left in place")
            with no_grad():
                original.copy_(value)
        new = original
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            value = plist()
        new = Parameter(value.detach().clone(),
                        requires_grad=plist.original0.requires_grad) \
            if isinstance(plist.original0, Parameter) else value.detach().clone()
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(new, Parameter):
        module.register_parameter(tensor_name, new)
    else:
        module.register_buffer(tensor_name, new)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = type_before_parametrizations(module)
    return module
