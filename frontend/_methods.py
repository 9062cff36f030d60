"""The one place :class:`Tensor` gets its methods: the functional ops as methods, operators
and in-place forms, and the method tables that other modules declare (``METHODS``,
``INPLACE``: ``_contract``, ``_creation`` with the ``Tensor(...)`` constructor,
``autograd._core`` with ``backward()``, ...).

The Tensor class (``_tensor.py``) sits below the op modules, so it cannot import them; this
module sits above all of them, and only the package ``__init__`` imports it. Importing it
builds one table and attaches it. A name given twice, or one that the class body already
defines, is an error here, so no table silently overrides another and the order in which the
op modules are imported does not matter. One table also keeps ``x.exp()``, ``tenkai.exp(x)``
and ``x.exp_()`` from drifting apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.ir import REGISTRY
from tenkai.ir.errors import ShapeError

from . import (
    _api_copy,
    _api_tensor,
    _api_tensor_index,
    _api_tensor_math,
    _api_tensor_shape,
    _api_tensor_signal,
    _api_tensor_special,
    _composite,
    _contract,
    _creation,
    _defaults,
    _linalg_top,
    _math,
    _ops,
    _random,
    _random_dists,
    _reduce,
    _scan,
    _shape,
    _sorting,
    _trace,
)
from ._creation import _finish, _size, tensor
from ._device import CPU, check_device
from ._dtype import as_dtype
from ._indexing import _slice_assign, check_inplace, getitem, inplace_update, iterate, setitem
from ._node import GRAD_MODE, NODE_SEQ
from ._tensor import Tensor
from .autograd import _core as _autograd_core

Table = list[tuple[str, Any]]

# What the class body defines, before anything is attached (see method_table)
_CLASS_BODY = frozenset(vars(Tensor))

# Methods that are the same function as the tenkai.<name> function.
_SAME = """add sub mul div pow neg abs sign exp log log1p expm1 sqrt rsqrt sin cos tanh sigmoid
relu erf reciprocal floor ceil round trunc maximum minimum eq ne lt le gt ge logical_and
logical_or logical_not clamp clip masked_fill nonzero isclose allclose equal clone square
remainder floor_divide true_divide multiply subtract divide negative absolute greater less
greater_equal less_equal not_equal""".split()
_SAME_REDUCE = """sum mean prod var std amax amin argmax argmin max min all any
logsumexp""".split()
_SAME_SHAPE = """reshape view view_as reshape_as permute transpose swapaxes swapdims t squeeze
unsqueeze flatten unflatten expand expand_as repeat contiguous split chunk unbind index_select
gather scatter_add index_add matmul mm mv bmm dot outer""".split()


def _functions() -> Table:
    table: Table = [(name, getattr(_ops, name)) for name in _SAME]
    table += [(name, getattr(_reduce, name)) for name in _SAME_REDUCE]
    table += [(name, getattr(_shape, name)) for name in _SAME_SHAPE]
    table += [(name, getattr(_composite, name))
              for name in ("softmax", "log_softmax", "norm", "exp2", "cumsum", "flip")]
    table += [("T", property(_shape.T)),
              ("mT", property(lambda self: _shape.transpose(self, -2, -1))),
              ("where", lambda self, condition, other: _ops.where(condition, self, other))]
    return table


def _inplace_method(fn: Any) -> Any:
    ufunc = REGISTRY[fn.__name__].ufunc if fn.__name__ in ("add", "sub", "mul") else None

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if ufunc is not None and _write_through(self, ufunc, *args, **kwargs):
            return self
        since = NODE_SEQ[0]
        return inplace_update(self, fn(self, *args, **kwargs), since)
    method.__name__ = fn.__name__ + "_"
    return method


def _write_through(self: Tensor, ufunc: Any, other: Any = None, *, alpha: Any = 1) -> bool:
    """``x.add_(y, alpha=a)`` computed straight into x's buffer with the op's registry ufunc,
    when nothing is recorded and no promotion or broadcasting of x is involved; returns
    False to take the general path (which also produces every error message)."""
    if _trace.active() is not None or self._data.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        if other._data.dtype != self._data.dtype or (GRAD_MODE.enabled and (
                self.requires_grad or other.requires_grad)):
            return False
        value = other._data
        if value.shape != self._data.shape and not _broadcasts_to(value.shape,
                                                                  self._data.shape):
            return False
    elif type(other) in (float, int):
        if GRAD_MODE.enabled and self.requires_grad:
            return False
        value = other
    else:
        return False
    if not self._data.flags.writeable or not _plain_scalar(alpha):
        return False
    check_inplace(self, self._ir_dtype)
    if alpha != 1:
        value = np.multiply(value, self._data.dtype.type(alpha))
    ufunc(self._data, value, out=self._data)
    self._vc[0] += 1
    return True


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _plain_scalar(x: Any) -> bool:
    return type(x) in (float, int)


_INPLACE = """add sub mul div pow neg abs sign exp log sqrt sin cos tanh sigmoid relu clamp clip
masked_fill floor ceil round trunc reciprocal square remainder""".split()


def _inplace() -> Table:
    table: Table = [(name + "_", _inplace_method(getattr(_ops, name))) for name in _INPLACE]
    return table + [
        ("scatter_add_", _inplace_method(_shape.scatter_add)),
        ("index_add_", _inplace_method(_shape.index_add)),
        ("zero_", _zero), ("fill_", _fill), ("copy_", _copy),
        ("uniform_", lambda self, a=0.0, b=1.0, *, generator=None: _draw_into(
            self, "uniform", generator, low=float(a), high=float(b))),
        ("normal_", lambda self, mean=0.0, std=1.0, *, generator=None: _draw_into(
            self, "normal", generator, mean=float(mean), std=float(std))),
        ("bernoulli_", lambda self, p=0.5, *, generator=None: _overwrite(
            self, _random.bernoulli(self, p, generator=generator), "BernoulliBackward0")),
        ("random_", lambda self, low=0, high=None, *, generator=None: _draw_into(
            self, "randint", generator, low=int(low if high is not None else 0),
            high=int(high if high is not None else low))),
        ("bernoulli", lambda self, p=None, *, generator=None: _random.bernoulli(
            self, p, generator=generator))]


def _fill(self: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    src = value if isinstance(value, Tensor) else _ops.tensor_of(value, self._ir_dtype)
    return _overwrite(self, src, "FillBackward3" if isinstance(value, Tensor) else
                      "FillBackward2")


def _zero(self: Tensor) -> Tensor:
    return _overwrite(self, _ops.tensor_of(0, self._ir_dtype), "ZeroBackward0")


def _overwrite(self: Tensor, src: Tensor, name: str) -> Tensor:
    """Replace every element of ``self`` by (broadcast) ``src``: in the buffer, or, when
    autograd records, as a full ``slice_assign`` (``self``'s old value gets zero gradient)."""
    check_inplace(self, self._ir_dtype)
    if GRAD_MODE.enabled and (self.requires_grad or src.requires_grad):
        since = NODE_SEQ[0]
        res = _slice_assign(self, [slice(None)] * self.ndim, _ops.cast(src, self._ir_dtype),
                            name)
        return inplace_update(self, res, since)
    if _trace.active() is not None:  # traced: the overwrite must be a recorded op
        return inplace_update(self, _shape.expand(_ops.cast(src, self._ir_dtype),
                                                  tuple(self.shape)))
    try:
        np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
    except ValueError:
        raise ShapeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                         f"shape {list(src.shape)}") from None
    self._vc[0] += 1
    return self


def _copy(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    src = src if isinstance(src, Tensor) else tensor(src)
    return _overwrite(self, src, "CopyBackwards")


def _draw_into(self: Tensor, op: str, generator: Any, **attrs: Any) -> Tensor:
    drawn = _random.draw(op, tuple(self.shape), generator, dtype=self._ir_dtype, **attrs)
    return _overwrite(self, drawn, "FillBackward2")


# ---------------------------------------------------------------- conversion


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x.to(dtype)``, ``x.to('cpu')``, ``x.to(other)``, ``x.to(device, dtype)``."""
    dtype, copy = kwargs.pop("dtype", None), kwargs.pop("copy", False)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    for a in args:
        if isinstance(a, Tensor):  # x.to(other): other's dtype and device
            dtype, dev = a.dtype, a.device
        elif isinstance(a, str) or type(a).__name__ == "device":
            dev = a
        elif a is not None:
            dtype = a
    out = self
    if dev is not None:
        out = _to_device(self, check_device(dev))
    out = out if dtype is None else _ops.cast(out, as_dtype(dtype).name)
    if copy and out is self:
        out = _ops.clone(self)
    return out


def _to_device(self: Tensor, dev: Any) -> Tensor:
    """``self`` on ``dev`` (itself when it is there already; see _cuda_tensor.to_device)."""
    if dev.type == "cpu" and type(self._data) is np.ndarray:
        return self
    from ._cuda_tensor import to_device

    return to_device(self, dev)


def _convert(name: str) -> Any:
    return lambda self, memory_format=None: _ops.cast(self, name)


def _conversions() -> Table:
    table: Table = [("to", _to)]
    table += [(method, _convert(name))
              for method, name in [("float", "float32"), ("double", "float64"),
                                   ("half", "float16"), ("long", "int64"), ("int", "int32"),
                                   ("short", "int16"), ("char", "int8"), ("byte", "uint8"),
                                   ("bool", "bool")]]
    table += [
        ("cpu", lambda self, memory_format=None: _to_device(self, CPU)),
        ("cuda", lambda self, device=None, non_blocking=False, memory_format=None: _to_device(
            self, check_device("cuda" if device is None else (
                device if not isinstance(device, int) else f"cuda:{device}")))),
        ("type_as", lambda self, other: _ops.cast(self, other._ir_dtype)),
        ("new_tensor", lambda self, data, dtype=None, device=None, requires_grad=False: tensor(
            data, dtype=dtype or self.dtype, device=self.device if device is None else device,
            requires_grad=requires_grad))]
    table += [(name, _new_factory(fill))
              for name, fill in [("new_ones", 1), ("new_zeros", 0), ("new_empty", 0)]]
    table.append(("new_full", lambda self, size, fill_value, dtype=None, requires_grad=False:
                  _finish(np.full(tuple(size), fill_value,
                                  dtype=as_dtype(dtype or self.dtype).to_numpy()),
                          self.device, requires_grad)))
    return table


def _new_factory(fill: Any) -> Any:
    def make(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
        dt = as_dtype(dtype) if dtype is not None else self.dtype
        return _finish(np.full(_size(size), fill, dtype=dt.to_numpy()),
                       self.device if device is None else device, requires_grad)
    return make


# ---------------------------------------------------------------- operators


_OPERAND_TYPES = (Tensor, bool, int, float, np.number, np.bool_, np.ndarray)


def _operator(fn: Any) -> Any:
    """``x + other``: operands of other types give NotImplemented (Python then raises
    PyTorch's "unsupported operand type(s)" TypeError, or falls back to identity for ==)."""
    def op(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return fn(self, other)
    op.__name__ = getattr(fn, "__name__", "op")
    return op


def _reflected(fn: Any, commutes: bool = False) -> Any:
    """``number + x``: PyTorch runs ``x.__radd__(number)``, whose backward node lists only the
    tensor (``x.add(number)``: (x, None); RsubBackward1, PowBackward2: (x,))."""
    def reflected(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (int, float, complex)):
            return fn(other, self)
        if commutes:
            return fn(self, other)
        out = fn(other, self)
        node = out._node
        if node is not None and node.op is not None and node is not self._node:
            node.shown = [self._node]
        return out
    return _operator(reflected)


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    """PyTorch computes ``other / x`` as ``x.reciprocal() * other`` (same rounding, and the
    grad_fn is MulBackward0)."""
    return _ops.mul(_ops.reciprocal(self), other)


def _operator_forms(name: str, fn: Any) -> Table:
    """``x + y``, ``y + x`` and ``x += y`` for one binary function."""
    reflected = _operator(_api_copy.rsub) if name == "sub" else \
        _reflected(fn, commutes=name in ("add", "mul"))
    return [(f"__{name}__", _operator(fn)),
            (f"__r{name}__", reflected),
            (f"__i{name}__", _operator(_inplace_method(fn)))]


def _operators() -> Table:
    pairs = {"add": _ops.add, "sub": _ops.sub, "mul": _ops.mul, "floordiv": _ops.floor_divide,
             "mod": _ops.remainder, "pow": _ops.pow, "matmul": _shape.matmul}
    table: Table = [item for name, fn in pairs.items() for item in _operator_forms(name, fn)]
    table += [("__truediv__", _operator(_ops.div)), ("__rtruediv__", _operator(_rtruediv)),
              ("__itruediv__", _operator(_inplace_method(_ops.div)))]
    table += [(f"__{name}__", _operator(getattr(_ops, name)))
              for name in ("eq", "ne", "lt", "le", "gt", "ge")]
    return table + [("__neg__", _ops.neg), ("__pos__", lambda self: self),
                    ("__abs__", _ops.abs), ("__getitem__", getitem),
                    ("__setitem__", setitem), ("__iter__", iterate)]


def _math_methods() -> Table:
    # Tensor.polygamma(n) takes its order after self: added by _api_methods
    table: Table = [(name, getattr(_math, name)) for name in _math.FUNCTIONS
                    if name != "polygamma"]
    table += [(name + "_", _inplace_method(getattr(_math, name))) for name in _math.INPLACE]
    table += [("exp2_", _inplace_method(_composite.exp2)),
              ("cumsum_", _inplace_method(_composite.cumsum))]
    for module in (_contract, _scan, _sorting):
        table += [(name, getattr(module, name)) for name in module.METHODS]
        table += [(name + "_", _inplace_method(getattr(module, name)))
                  for name in module.INPLACE]
    for name, fn in [("and", _math.bitwise_and), ("or", _math.bitwise_or),
                     ("xor", _math.bitwise_xor), ("lshift", _math.bitwise_left_shift),
                     ("rshift", _math.bitwise_right_shift)]:
        table += _operator_forms(name, fn)
    return table + [("__invert__", _math.bitwise_not)]


# In-place forms of the _ops functions that issue 13's API breadth adds (``x.eq_(y)``...).
_OPS_INPLACE = """absolute divide eq erf expm1 floor_divide ge greater greater_equal gt le less
less_equal log1p logical_and logical_not logical_or lt multiply ne negative not_equal rsqrt
subtract true_divide""".split()


def _recorded(fn: Any) -> Any:
    """``fn`` whose non-differentiable result stays in ``self``'s graph (``x.eq_(y)``)."""
    grad_fn = "".join(p.capitalize() for p in fn.__name__.split("_")) + "Backward0"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _api_tensor.keep_history(self, fn(self, *args, **kwargs), grad_fn)
    method.__name__ = fn.__name__
    return method


def _api_methods() -> Table:
    """The methods of ``_api_tensor*`` (issue 13): plain, in-place and properties."""
    table: Table = [(name + "_", _inplace_method(_recorded(getattr(_ops, name))))
                    for name in _OPS_INPLACE]
    table += list(_api_tensor.METHODS.items()) + list(_api_tensor_shape.METHODS.items())
    for name, value in _api_tensor.PROPERTIES.items():
        table.append((name, property(*value) if isinstance(value, tuple) else property(value)))
    for module in (_api_tensor_index, _api_tensor_math, _api_tensor_signal,
                   _api_tensor_special):
        table += [(name, getattr(module, name)) for name in module.METHODS]
        table += [(name + "_", _inplace_method(getattr(module, name)))
                  for name in module.INPLACE]
    polygamma = lambda self, n: _math.polygamma(n, self)  # noqa: E731
    polygamma.__name__ = "polygamma"
    return table + [("polygamma", polygamma), ("polygamma_", _inplace_method(polygamma)),
                    ("ger", _shape.ger)]


def _declared() -> Table:
    """The ``METHODS`` tables of the modules above the ops (constructor, backward, ...)."""
    return [item for module in (_creation, _autograd_core, _defaults, _linalg_top,
                                _random_dists)
            for item in module.METHODS.items()]


def module_inplace(name: str) -> Any:
    """``tenkai.sin_(x)``: the module-level form of ``x.sin_()``."""
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(input, name + "_")(*args, **kwargs)
    fn.__name__ = name + "_"
    return fn


def method_table() -> dict[str, Any]:
    """Every method, operator and property that Tensor gets from the op modules, by name."""
    table: dict[str, Any] = {}
    for name, value in (_functions() + _inplace() + _conversions() + _operators()
                        + _math_methods() + _declared() + _api_methods()):
        if name in table:
            raise RuntimeError(f"Tensor.{name} is given twice in the method tables; keep one "
                               "(see tenkai/_methods.py)")
        if name in _CLASS_BODY:
            raise RuntimeError(f"Tensor.{name} is defined in the class body and in a method "
                               "table; keep one (see tenkai/_methods.py)")
        table[name] = value
    return table


def _attach() -> None:
    for name, value in method_table().items():
        setattr(Tensor, name, value)


_attach()

