"""Tensor methods of issue 13's API breadth: the tensor's descriptive properties (``is_cpu``,
``itemsize``, ``nbytes``, ``layout``, ``dim_order``...), ``new``/``new_empty_strided``,
``apply_``/``map_``, the history rule of non-differentiable in-place results
(:func:`keep_history`), and PyTorch's removed functions (``eig``, ``lstsq``, ``symeig``,
``solve``), which raise its RuntimeError.

``_methods.py`` attaches :data:`METHODS` and :data:`PROPERTIES`; ``FUNCTIONS`` go to the
``tenkai`` namespace. The shape methods are in ``_api_tensor_shape``, the indexed ones in
``_api_tensor_index``, the math in ``_api_tensor_math``.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from . import _ops, _trace
from ._creation import _finish, _size, tensor
from ._dtype import as_dtype
from ._indexing import check_inplace
from ._node import GRAD_MODE
from ._ops import cast
from ._shape import named
from ._tensor import Size, Tensor, _HookHandle

# ---------------------------------------------------------------- layout and properties


class layout:
    """``torch.layout``: tenkai tensors are dense, so ``x.layout`` is ``torch.strided``."""

    __module__ = "torch"

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self) -> Any:
        return (layout, (self._name,))


strided = layout("strided")


def _volatile(self: Tensor) -> bool:
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


def _grad_dtype(self: Tensor) -> Any:
    if not self.is_leaf:
        raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
    return self.__dict__.get("_grad_dtype", self.dtype)


def _set_grad_dtype(self: Tensor, value: Any) -> None:
    if value is not None and as_dtype(value) != self.dtype:
        raise NotImplementedError("grad_dtype: a gradient dtype other than the tensor's own is "
                                  "not supported by tenkai")
    self.__dict__["_grad_dtype"] = self.dtype


PROPERTIES = {
    "is_cpu": lambda self: True,
    "itemsize": lambda self: self._data.itemsize,
    "nbytes": lambda self: self._data.size * self._data.itemsize,
    "layout": lambda self: strided,
    "name": lambda self: None,  # named tensors are not part of tenkai
    "volatile": _volatile,
    # NOTE: every tenkai op records one node per result (multi-output ops are split into
    # single-output nodes), so each result is output 0 of its node, as for a leaf.
    "output_nr": lambda self: 0,
    "grad_dtype": (_grad_dtype, _set_grad_dtype),
}


def get_device(input: Tensor) -> int:
    """``-1`` for a CPU tensor (PyTorch's answer; CUDA tensors give their index)."""
    dev = input.device
    return -1 if dev.type == "cpu" else int(dev.index)


def is_inference(input: Tensor) -> bool:
    """Always False: ``tenkai.inference_mode`` is ``no_grad`` and makes no inference tensors."""
    return False


def _ndimension(self: Tensor) -> int:
    return self.ndim


def _is_shared(self: Tensor) -> bool:
    return False


def _is_set_to(self: Tensor, tensor: Tensor) -> bool:
    """Same memory, offset, sizes and strides."""
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype)


def _dim_order(self: Tensor, ambiguity_check: bool = False) -> tuple[int, ...]:
    """Dimensions from outermost to innermost in memory (largest stride first)."""
    strides = self.stride()
    if ambiguity_check:
        seen = [s for d, s in enumerate(strides) if self.shape[d] != 1]
        if len(set(seen)) != len(seen):
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to "
                               "exact one of the given memory formats.")
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


def _new(self: Tensor, *args: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """``x.new(2, 3)`` or ``x.new(torch.Size([2, 3]))`` (uninitialised in PyTorch, zeros
    here), ``x.new([1, 2])`` or ``x.new((1, 2))`` (data in ``x``'s dtype), ``x.new()``."""
    dt = as_dtype(dtype) if dtype is not None else self.dtype
    if len(args) == 1 and not isinstance(args[0], int | np.integer | Size):
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != dt:
                raise TypeError(f"expected {dt} (got {data.dtype})")
            return data.detach()
        return tensor(data, dtype=dt, requires_grad=requires_grad)
    sizes = _size(args) if args else (0,)
    return _finish(np.zeros(sizes, dtype=dt.to_numpy()), device, requires_grad)


def _new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: Any = None,
                       device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor of ``size`` (contiguous: tenkai buffers are dense; zero-filled)."""
    dt = as_dtype(dtype) if dtype is not None else self.dtype
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError("mismatch in length of strides and shape")
    return _finish(np.zeros(tuple(size), dtype=dt.to_numpy()), device, requires_grad)


def _as_subclass(self: Tensor, cls: type) -> Tensor:
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("as_subclass(): argument 'cls' must be a subclass of torch.Tensor")
    out = cls._make(self._data)
    out._vc, out._base, out._node = self._vc, self._base, self._node
    return out


def _bfloat16(self: Tensor, memory_format: Any = None) -> Tensor:
    raise NotImplementedError("bfloat16: tenkai has no bfloat16 dtype (float16, float32 and "
                              "float64 are its floating dtypes)")


def _eager_elementwise(op: str) -> None:
    if _trace.active() is not None:
        raise NotImplementedError(f"{op}: a Python callable cannot run inside tenkai.compile; "
                                  "call it outside the compiled function")


def _apply_(self: Tensor, callable: Any) -> Tensor:
    """``x.apply_(fn)``: ``fn`` on every element, in place (eager, CPU)."""
    _eager_elementwise("apply_")
    check_inplace(self, self._ir_dtype)
    values = [callable(v) for v in self._data.reshape(-1).tolist()]
    self._data[...] = np.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
    self._vc[0] += 1
    return self


def _map_(self: Tensor, tensor: Tensor, callable: Any) -> Tensor:
    """``x.map_(y, fn)``: ``x[i] = fn(x[i], y[i])`` with ``y`` broadcast to ``x``."""
    _eager_elementwise("map_")
    check_inplace(self, self._ir_dtype)
    other = np.broadcast_to(tensor._data, self._data.shape).reshape(-1).tolist()
    values = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other,
                                             strict=True)]
    self._data[...] = np.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
    self._vc[0] += 1
    return self


def _register_hook(self: Tensor, hook: Any) -> Any:
    """``hook(grad)`` runs when backward() has this tensor's gradient; on a leaf, before it is
    accumulated into ``.grad``, and a returned tensor replaces it. On a non-leaf tensor the
    hook observes the gradient (returning a new one is not supported). ``handle.remove()``
    unregisters."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.is_leaf:
        return _HookHandle(self.__dict__.setdefault("_grad_hooks", {}), hook)

    def observe(grad: Tensor) -> None:
        changed = hook(grad)
        if changed is not None and changed is not grad:
            raise NotImplementedError("register_hook: a hook on a non-leaf tensor that returns a "
                                      "new gradient is not supported by tenkai (only leaf "
                                      "tensors' hooks may change it)")
    if self._node.retain is None:  # the engine then hands this tensor its gradient
        self._node.retain = weakref.ref(self)
    return _HookHandle(self.__dict__.setdefault("_grad_hooks", {}), observe)


# ---------------------------------------------------------------- in-place results


def keep_history(self: Tensor, result: Tensor, name: str) -> Tensor:
    """A non-differentiable result (``x.eq_(y)``) written into a tensor that records history:
    PyTorch keeps it in the graph with a zero gradient (grad_fn ``EqBackward0``...), so the
    in-place write must not leave ``x``'s old history (and its gradient) in place."""
    if not (GRAD_MODE.enabled and self.requires_grad) or result._node is not None:
        return result
    sign = _ops.sign(self)
    zero = _ops.mul(_ops.where(_ops.ne(self, self), 0.0, sign), 0.0)  # 0, gradient 0
    return named(_ops.add(cast(result, self._ir_dtype), zero), name)


# ---------------------------------------------------------------- removed functions

_REMOVED = {
    "eig": "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather "
           "than real tensors mimicking complex tensors.",
    "lstsq": "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.",
    "symeig": "The default behavior has changed from using the upper triangular portion of "
              "the matrix by default to using the lower triangular portion.",
    "solve": "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg."
             "solve` has its arguments reversed and does not return the LU factorization.",
}


def _removed(name: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                           + _REMOVED[name])
    fn.__name__ = name
    return fn


eig, lstsq, symeig, solve = (_removed(n) for n in ("eig", "lstsq", "symeig", "solve"))

METHODS = {
    "get_device": get_device, "is_inference": is_inference, "ndimension": _ndimension,
    "is_shared": _is_shared, "is_set_to": _is_set_to, "dim_order": _dim_order, "new": _new,
    "new_empty_strided": _new_empty_strided, "as_subclass": _as_subclass,
    "bfloat16": _bfloat16, "apply_": _apply_, "map_": _map_, "register_hook": _register_hook,
    "eig": eig, "lstsq": lstsq, "symeig": symeig, "solve": solve,
}

FUNCTIONS = "get_device is_inference eig lstsq symeig solve layout strided".split()
