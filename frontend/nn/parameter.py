"""``nn.Parameter``: a leaf tensor that modules register as a parameter; ``nn.Buffer``: a
tensor that modules register as a buffer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and is registered when set on a Module
    (``nn.Parameter(torch.tensor([[0.6, -0.2]]))``)."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        array = np.zeros((0,), dtype=np.float32) if data is None else data._data
        param = cls._make(array)
        if data is not None:
            param._vc = data._vc  # shares storage with ``data`` like PyTorch's Parameter
        if requires_grad:
            param.requires_grad_(True)
        return param

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__

    def __repr__(self, **kwargs: Any) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: int) -> Any:
        return (Parameter, (Tensor._make(self._data), self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        out = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """A tensor that modules register as a buffer when it is set as an attribute
    (``self.running = nn.Buffer(torch.zeros(3), persistent=False)``)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        array = np.zeros((0,), dtype=np.float32) if data is None else data._data
        buf = cls._make(array)
        if data is not None:
            buf._vc = data._vc  # a detached view of ``data``'s storage, as PyTorch's detach()
            if data.requires_grad:
                buf.requires_grad_(True)
        buf.persistent = persistent
        return buf

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass  # everything happens in __new__

    def __reduce_ex__(self, protocol: int) -> Any:
        return (Tensor._make, (self._data,))
