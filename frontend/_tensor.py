"""The eager Tensor: a numpy buffer plus, when it needs a gradient, the recorded history.

This file holds the state, the autograd surface, conversion and printing. Everything built on
the ops (``x.exp()``, ``x + y``, ``x[0]``, the ``Tensor(...)`` constructor, ``backward()``)
lives in the modules above this one, which list their methods in tables; ``_methods.py`` is
the one place that attaches them, when the ``tenkai`` package is imported.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from tenkai.ir.errors import AutogradError
from tenkai.ir.ops import norm_axis

from . import _dtype, _trace
from ._device import CPU, NUMPY_MESSAGE
from ._gradfn import display_name, grad_fn_of
from ._node import GRAD_MODE, Node, bind, constant_node, is_function_output
from ._printing import format_tensor


class Size(tuple):
    """``torch.Size``: a tuple of ints that prints as ``torch.Size([3, 224, 224])``."""

    __module__ = "torch"  # ``type(x.shape)`` prints <class 'torch.Size'>, as in PyTorch

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(d) for d in self)}])"

    def numel(self) -> int:
        return int(np.prod(self))

    def __reduce__(self) -> Any:
        return (_size, (tuple(self),))  # by function: pickle must not look in a module "torch"

    def __getitem__(self, key: Any) -> Any:
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other: Any) -> Any:
        return Size(tuple(self) + tuple(other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other: Any) -> Any:
        return Size(tuple(other) + tuple(self)) if isinstance(other, tuple) else NotImplemented


class _HookHandle:
    """Returned by ``register_post_accumulate_grad_hook``; ``remove()`` unregisters."""

    _next = [0]

    def __init__(self, hooks: dict[int, Any], hook: Any) -> None:
        self.hooks, self.id = hooks, self._next[0]
        self._next[0] += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


def _size(dims: tuple[int, ...]) -> Size:
    return Size(dims)


class Tensor:
    """A multi-dimensional array that records differentiable ops (``tenkai.tensor([1., 2.])``)."""

    __module__ = "torch"  # ``type(x)`` prints <class 'torch.Tensor'>; pickling goes by _rebuild

    __slots__ = ("_data", "_node", "_vc", "_base", "_grad", "_retains_grad", "__weakref__",
                 "__dict__")
    __array_priority__ = 1000  # numpy scalars defer to our reflected operators

    def _init(self, data: np.ndarray, node: Node | None) -> None:
        self._data, self._node, self._vc, self._base = data, node, [0], None
        self._grad: Tensor | None = None
        self._retains_grad = False

    @classmethod
    def _make(cls, data: np.ndarray, node: Node | None = None) -> Tensor:
        t = object.__new__(cls)
        t._data, t._node, t._vc, t._base = data, node, [0], None
        t._grad, t._retains_grad = None, False
        if node is not None:
            bind(node, t)
        return t

    # ------------------------------------------------------------ basic properties
    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.BY_NAME[_dtype.irdt.from_numpy(self._data.dtype)]

    @property
    def _ir_dtype(self) -> str:
        return _dtype.irdt.from_numpy(self._data.dtype)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[norm_axis("size", dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def device(self) -> Any:
        return getattr(self._data, "tk_device", CPU)  # a cuda tensor's storage knows its GPU

    @property
    def is_cuda(self) -> bool:
        return getattr(self._data, "tk_device", CPU).type == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self) -> int:
        if type(self._data) is not np.ndarray and hasattr(self._data, "tk_device"):
            return int(self._data.ptr)  # a device address
        return int(self._data.__array_interface__["data"][0])

    # ------------------------------------------------------------ autograd surface
    @property
    def requires_grad(self) -> bool:
        return self._node is not None and self._node.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            if requires_grad:
                return self
            raise AutogradError("you can only change requires_grad flags of leaf variables. If "
                                "you want to use a computed variable in a subgraph that doesn't "
                                "require differentiation use var_no_grad = var.detach().")
        if requires_grad:
            if self._data.dtype.kind != "f":
                raise AutogradError("only Tensors of floating point and complex dtype can "
                                    "require gradients")
            self._node = _leaf_node(self)
        else:
            self._node = None
        return self

    @property
    def is_leaf(self) -> bool:
        # an autograd.Function output is an op-less node with a grad_fn (``node.fn``)
        return self._node is None or (self._node.op is None
                                      and not is_function_output(self._node))

    @property
    def grad_fn(self) -> Any:
        if self._node is None or self._node.op is None:
            node = self._node
            return node.fn if node is not None and is_function_output(node) else None
        return grad_fn_of(self._node)

    @property
    def grad(self) -> Tensor | None:
        if not self.is_leaf and not self._retains_grad and self._grad is None:
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during "
                          "autograd.backward(). If you indeed want the .grad field to be "
                          "populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
                          "Tensor.", UserWarning, stacklevel=2)
        tracer = _trace.active()
        if tracer is not None:  # a compiled step guards on whether .grad existed
            tracer.touch_grad(self, write=False)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None and tuple(value.shape) != tuple(self.shape):
            raise RuntimeError(f"assigned grad has data of a different size: "
                               f"{list(value.shape)} vs {list(self.shape)}")
        tracer = _trace.active()
        if tracer is not None:
            tracer.touch_grad(self, write=True)
        self._grad = value

    def retain_grad(self) -> None:
        if self._node is None:
            raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
        if not self.is_leaf:
            self._retains_grad = True
            self._node.retain = weakref.ref(self)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """``hook(tensor)`` runs each time backward() has accumulated into this leaf's .grad."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not self.is_leaf:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        hooks = self.__dict__.setdefault("_post_acc_hooks", {})
        return _HookHandle(hooks, hook)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> Tensor:
        t = Tensor._make(self._data)
        t._vc = self._vc  # PyTorch: a detached tensor shares the version counter
        return t

    def detach_(self) -> Tensor:
        self._node = None
        return self

    @property
    def data(self) -> Tensor:
        # Unlike detach(), ``.data`` does not share the version counter: PyTorch's
        # ``w.data -= lr * g`` updates never trip the in-place checks of autograd.
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data
        if self._node is not None and self._node.op is None:
            self._node.value = self._data

    def _grad_node(self) -> Node:
        """The node an op records for this operand."""
        node = self._node
        if node is None:
            node = constant_node(self._data, self._vc)
            node.owner = weakref.ref(self)
        return node

    # ------------------------------------------------------------ conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray and hasattr(self._data, "tk_device"):
            raise TypeError(NUMPY_MESSAGE.format(device=self._data.tk_device))
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self._data if type(self._data) is np.ndarray else np.asarray(self._data)
        return data if dtype is None else data.astype(dtype)

    def item(self) -> Any:
        if _trace._LOCAL.tracer is not None:
            _trace.active().escape(self, ".item()")
        data = self._data
        if data.size != 1:
            raise RuntimeError(f"a Tensor with {data.size} elements cannot be converted "
                               "to Scalar")
        return data.item()  # the one element, of any shape, as a Python number

    def tolist(self) -> Any:
        if _trace.active() is not None:
            _trace.active().escape(self, ".tolist()")
        return self._data.tolist()

    def __float__(self) -> float:
        if _trace.active() is not None:
            _trace.active().escape(self, "float()")
        return float(self.item())

    def __int__(self) -> int:
        if _trace.active() is not None:
            _trace.active().escape(self, "int()")
        return int(self.item())

    def __index__(self) -> int:
        if _trace.active() is not None:
            _trace.active().escape(self, "use as an index")
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self) -> bool:
        if _trace.active() is not None:
            _trace.active().escape(self, "bool()")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------ printing
    def __repr__(self, *, tensor_contents: Any = None) -> str:
        node = self._node
        grad_fn = None
        if node is not None and node.op is not None:
            grad_fn = display_name(node)
        elif node is not None and is_function_output(node):
            grad_fn = node.fn.name()
        data, dev = self._data, None
        if type(data) is not np.ndarray and hasattr(data, "tk_device"):
            data, dev = data.host(), str(data.tk_device)  # printing: a copy to the host
        return format_tensor(data, self._ir_dtype, requires_grad=self.requires_grad,
                             grad_fn_name=grad_fn, device=dev)

    def __format__(self, spec: str) -> str:
        # PyTorch: a 0-d tensor formats as its number (f"{loss}" shows 0.25, not tensor(0.25))
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """``x.type()`` -> ``'torch.LongTensor'``; ``x.type(tenkai.float64)`` converts."""
        if dtype is None:
            return f"torch.{'cuda.' if self.is_cuda else ''}{self.dtype._legacy}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            matches = [d for d in _dtype.BY_NAME.values() if d._legacy == name]
            if not matches:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = matches[0]
        return self.to(dtype)

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild, (self._data, self.requires_grad))


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _leaf_node(t: Tensor) -> Node:
    node = Node(None, {}, (), t._data, t._vc, requires_grad=True)
    node.leaf = weakref.ref(t)
    return node


def record(op: str, attrs: dict[str, Any], inputs: tuple[Tensor, ...], out: np.ndarray,
           differentiable: bool) -> Tensor:
    """Wrap an op's result; record a node when grad mode is on and an input requires grad."""
    if differentiable and GRAD_MODE.enabled and out.dtype.kind == "f":
        for t in inputs:
            node = t._node
            if node is not None and node.requires_grad:
                return Tensor._make(out, Node(op, attrs, tuple(i._grad_node() for i in inputs),
                                              out, [0]))
    return Tensor._make(out)
