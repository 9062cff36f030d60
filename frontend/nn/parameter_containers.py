"""ParameterList and ParameterDict: parameters held in a list or a dict, registered under their
index or key so that ``parameters()``, ``state_dict()`` and optimizers see them. Plain tensors
are wrapped in Parameter, as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._tensor import Tensor
from .module import Module
from .parameter import Parameter


def _as_param(value: Any) -> Any:
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(
        value, Parameter) else value


def _describe(key: Any, p: Any, legacy_type: bool) -> str:
    if isinstance(p, Tensor):
        size = "x".join(str(d) for d in p.shape)
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        dtype = p.type() if legacy_type else str(p.dtype)
        return f"  ({key}): {kind} containing: [{dtype} of size {size}]"
    return f"  ({key}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of parameters (``nn.ParameterList([nn.Parameter(torch.randn(3))])``)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _key(self, idx: int) -> str:
        if not -self._size <= idx < self._size:
            raise IndexError(f"index {idx} is out of range")
        return str(idx % self._size)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        key = self._key(idx)
        return self._parameters[key] if key in self._parameters else getattr(self, key)

    def __setitem__(self, idx: int, param: Any) -> None:
        key = self._key(idx)
        param = _as_param(param)
        if isinstance(param, Parameter) or param is None and key in self._parameters:
            setattr(self, key, param)
        else:
            object.__setattr__(self, key, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._size))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def append(self, value: Any) -> ParameterList:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_describe(k, p, False) for k, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters (``nn.ParameterDict({'w': nn.Parameter(torch.randn(3))})``)."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        value = _as_param(value)
        if isinstance(value, Parameter):
            setattr(self, key, value)
        else:
            object.__setattr__(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        return (self[k] for k in self._keys)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (this is get)

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def update(self, parameters: Any) -> None:
        if isinstance(parameters, OrderedDict | ParameterDict):
            items = parameters.items()
        elif isinstance(parameters, Mapping):
            items = sorted(parameters.items())  # PyTorch sorts the keys of a plain dict
        elif isinstance(parameters, Iterable):
            items = parameters
        else:
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        for key, value in items:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_describe(k, p, True) for k, p in self.items())

    def __call__(self, input: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")
