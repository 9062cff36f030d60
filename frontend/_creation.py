"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``,
``eye``, ``rand``/``randn``/``randint``/``randperm``, the ``*_like`` forms, ``from_numpy``, and
the legacy ``FloatTensor``-style constructors."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._device import CPU, DEFAULT, check_device
from ._dtype import BY_NAME, as_dtype, get_default_dtype, scalar_dtype
from ._infer import check_array, infer_array
from ._random import Generator, draw
from ._random import quick as quick_draw
from ._tensor import Tensor


def _finish(data: np.ndarray, device: Any = None, requires_grad: bool = False) -> Tensor:
    data = np.ascontiguousarray(data) if data.ndim else np.asarray(data)
    if device is None:
        device = DEFAULT[0]  # (set_default_device; None: the CPU)
    if device is not None and (dev := check_device(device)).type == "cuda":
        from ._cuda_tensor import move  # made on the host, copied to the GPU

        t = move(Tensor._make(data), dev)
    else:
        t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _np_dtype(dtype: Any, default: str) -> np.dtype:
    return (as_dtype(dtype) if dtype is not None else BY_NAME[default]).to_numpy()


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor copied from ``data`` (``tenkai.tensor([[1., 2.]])``)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    if isinstance(data, Tensor) and hasattr(data._data, "tk_device"):  # a copy of a cuda one
        out = data.detach().to(data.device if device is None else device, copy=True)
        out = out if dtype is None else out.to(as_dtype(dtype))
        return out.requires_grad_(True) if requires_grad else out
    arr = infer_array(data, None if dtype is None else as_dtype(dtype))
    return _finish(arr, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or as_dtype(dtype).to_numpy() == data.dtype):
        return from_numpy(data)
    return tensor(data.detach() if isinstance(data, Tensor) else data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes show through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    check_array(ndarray)  # PyTorch's errors for unsupported dtypes and byte orders
    return Tensor._make(ndarray)


def _size(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1:
        first = size[0]
        if type(first) is int and first >= 0:  # randn(n): the common case, checked
            return (first,)
        if isinstance(first, (tuple, list)):
            if len(first) == 1 and type(first[0]) is int and first[0] >= 0:  # randn((n,))
                return (first[0],)
            size = tuple(first)
    out = tuple([int(s) for s in size])
    if out and min(out) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(out)}")
    return out


def _factory(fill: Any):
    numpy_fill = np.zeros if fill == 0 else None  # the same array as np.full, in one C call

    def make(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
             out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
        shape = _size(size)
        dt = _np_dtype(dtype, get_default_dtype().name)
        if (numpy_fill is not None and device is None and DEFAULT[0] is None
                and not requires_grad):
            return Tensor._make(numpy_fill(shape, dtype=dt))  # fresh and C-ordered
        return _finish(np.full(shape, fill, dtype=dt), device, requires_grad)
    return make


zeros = _factory(0)
ones = _factory(1)
empty = _factory(0)  # zero-filled: uninitialized memory would make runs irreproducible


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = BY_NAME[_scalar_name(fill_value)]
    return _finish(np.full(_size((size,)), fill_value, dtype=_np_dtype(dtype, "float32")),
                   device, requires_grad)


def _scalar_name(value: Any) -> str:
    return scalar_dtype(value.item() if isinstance(value, Tensor) else value)


def _device_of(input: Tensor, device: Any) -> Any:
    """The device a ``*_like`` factory makes its tensor on: ``device``, else ``input``'s."""
    if device is None and DEFAULT[0] is not None:  # (not the default device: the input's)
        return input.device if type(input._data) is not np.ndarray else CPU
    return device if device is not None or type(input._data) is np.ndarray else input.device


def _like(fn_fill: Any):
    def make(input: Tensor, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, memory_format: Any = None) -> Tensor:
        dt = as_dtype(dtype) if dtype is not None else input.dtype
        return _finish(np.full(tuple(input.shape), fn_fill, dtype=dt.to_numpy()),
                       _device_of(input, device), requires_grad)
    return make


zeros_like, ones_like, empty_like = _like(0), _like(1), _like(0)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    dt = as_dtype(dtype) if dtype is not None else input.dtype
    return _finish(np.full(tuple(input.shape), fill_value, dtype=dt.to_numpy()),
                   _device_of(input, device), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    if type(start) is int and type(step) is int and step == 1 and dtype is None \
            and device is None and not requires_grad and DEFAULT[0] is None and (
            (end is None and start >= 0) or (type(end) is int and end >= start)):
        # arange(n), arange(a, b): an int64 range, as below (~1 us of ~2.5 less)
        return Tensor._make(np.arange(start, dtype=np.int64) if end is None else
                            np.arange(start, end, dtype=np.int64))
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = get_default_dtype() if any(isinstance(v, float) for v in vals) else BY_NAME["int64"]
    lo, hi, step = vals
    np_dt = as_dtype(dtype).to_numpy()
    if np_dt == np.int64:  # PyTorch truncates an int64 range's bounds and step first (other
        lo, hi, step = int(lo), int(hi), int(step)  # integer ranges size it in double)
        if step == 0:
            raise RuntimeError("step must be nonzero")
    if (hi - lo) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(0, math.ceil((hi - lo) / step))
    if np_dt.kind == "f":  # PyTorch accumulates float32 ranges in double: lo + step * i
        arr = np.arange(n, dtype=np.float64)
        if step != 1:
            arr *= np.float64(step)
        if lo != 0:
            arr += np.float64(lo)
        arr = arr.astype(np_dt, copy=False)
    else:  # integer ranges start from the truncated start and step (one pass, no temporaries)
        first, stride = int(lo), int(step)
        arr = np.arange(first, first + n * stride, stride, dtype=np.int64)[:n] if stride \
            else np.full(n, first, dtype=np.int64)  # a fractional step of a narrow int type
        arr = arr.astype(np_dt, copy=False)
    return _finish(arr, device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    if int(steps) < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = _linspace(start, end, int(steps), _np_dtype(dtype, get_default_dtype().name))
    return _finish(arr, device, requires_grad)


def _linspace(start: Any, end: Any, steps: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's CPU formula: ``start + step*i`` for the first half, ``end - step*(steps-1-i)``
    for the rest, with one rounding each (the kernel's FMA); bit-exact in float32."""
    if dt == np.float16:  # c10::Half rounds after every operation
        return _linspace_half(start, end, steps)
    if dt.kind == "f":
        s, e = dt.type(start), dt.type(end)
    else:  # integer endpoints are truncated first, the steps taken in double
        s, e = np.float64(int(start)), np.float64(int(end))
    if steps <= 1:
        return np.full(steps, s).astype(dt)
    step = (e - s) / type(s)(steps - 1)
    wide = np.float64 if isinstance(s, np.float32) else np.longdouble
    idx = np.arange(steps)
    low = wide(s) + wide(step) * idx.astype(wide)
    high = wide(e) - wide(step) * (steps - 1 - idx).astype(wide)
    return np.where(idx < steps // 2, low, high).astype(type(s)).astype(dt)


def _linspace_half(start: Any, end: Any, steps: int) -> np.ndarray:
    s, e = np.float16(start), np.float16(end)
    if steps <= 1:
        return np.full(steps, s)
    step = (e - s) / np.float16(steps - 1)
    idx = np.arange(steps)
    low = s + step * idx.astype(np.float16)
    high = e - step * (steps - 1 - idx).astype(np.float16)
    return np.where(idx < steps // 2, low, high).astype(np.float16)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    for name, size in (("n", n), ("m", m)):
        if size is not None and int(size) < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    arr = np.eye(n, n if m is None else m, dtype=_np_dtype(dtype, get_default_dtype().name))
    return _finish(arr, device, requires_grad)


def _random(op: str, shape: tuple[int, ...], dtype: Any, generator: Generator | None,
            device: Any, requires_grad: bool, **attrs: Any) -> Tensor:
    name = as_dtype(dtype).name if dtype is not None else get_default_dtype().name
    t = draw(op, shape, generator, dtype=name, **attrs)
    if device is None and not requires_grad and DEFAULT[0] is None and t._node is None \
            and t._data.flags.c_contiguous:  # _drawn, inline (a small draw: ~0.1 us of ~3)
        return t
    return _finish(t._data, device, requires_grad)


def _drawn(t: Tensor, device: Any, requires_grad: bool) -> Tensor:
    """:func:`_finish` of a draw: the drawn tensor itself where nothing is to change (its
    array is the draw's own, C-contiguous: no second tensor made)."""
    if device is None and DEFAULT[0] is None and not requires_grad and t._node is None \
            and t._data.flags.c_contiguous:
        return t
    return _finish(t._data, device, requires_grad)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples (``tenkai.rand(2, 3)``)."""
    return _random("uniform", _size(size), dtype, generator, device, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples (``tenkai.randn(2, 3)``)."""
    if len(size) == 1 and type(size[0]) is int and generator is None and dtype is None \
            and device is None and not requires_grad and DEFAULT[0] is None:
        name = get_default_dtype().name  # randn(n): a small draw's dispatch, short
        t = quick_draw("normal", size[0], ("normal", ("dtype", name)), {"dtype": name})
        if t is not None:
            return t
    return _random("normal", _size(size), dtype, generator, device, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) (``tenkai.randint(0, 10, (100,))``)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: high and size")
    if int(high) <= int(low):
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if dtype is None and generator is None and device is None and not requires_grad \
            and DEFAULT[0] is None and type(size) is tuple and len(size) == 1 \
            and type(size[0]) is int and type(low) is int and type(high) is int:
        attrs = {"dtype": "int64", "low": low, "high": high}  # randint(lo, hi, (n,)), short
        t = quick_draw("randint", size[0], ("randint", *attrs.items()), attrs)
        if t is not None:
            return t
    dt = as_dtype(dtype) if dtype is not None else BY_NAME["int64"]
    t = draw("randint", _size((size,)), generator, dtype=dt.name, low=int(low), high=int(high))
    return _drawn(t, device, requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of ``0..n-1`` (``tenkai.randperm(4)``)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    _size((n,))  # PyTorch's error for a negative n
    keys = draw("uniform", (int(n),), generator, dtype="float64")._data
    return _finish(_stable_order(keys).astype(_np_dtype(dtype, "int64"), copy=False), device)


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of 1-D ``keys``: numpy's default sort (3x faster)
    gives the same order when no two keys are equal, which a check of the sorted keys proves
    (53-bit uniform keys almost never tie)."""
    if keys.size <= 1024:  # short: the stable sort is as fast
        return np.argsort(keys, kind="stable")
    order = np.argsort(keys)
    ordered = keys[order]
    if ordered.size > 1 and not np.all(ordered[1:] != ordered[:-1]):
        order = np.argsort(keys, kind="stable")
    return order


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
              layout: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    return rand(tuple(input.shape), dtype=dtype or input.dtype, generator=generator,
                device=_device_of(input, device), requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
               layout: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    return randn(tuple(input.shape), dtype=dtype or input.dtype, generator=generator,
                 device=_device_of(input, device), requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: Any = None, *,
                 generator: Generator | None = None, dtype: Any = None, layout: Any = None,
                 device: Any = None, requires_grad: bool = False,
                 memory_format: Any = None) -> Tensor:
    low, high = (0, low) if high is None else (low, high)
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=_device_of(input, device),
                   requires_grad=requires_grad)


def legacy_construct(dtype: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``FloatTensor(2, 3)`` (zeros of a shape), ``FloatTensor([1, 2])`` or ``FloatTensor(t)``."""
    np_dt = BY_NAME[dtype].to_numpy()
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src._data.dtype != np_dt:
            raise TypeError(f"expected {BY_NAME[dtype]} (got {src.dtype}): legacy constructors "
                            "do not convert; use .to(dtype)")
        return src.detach()  # an alias of the same memory, like PyTorch
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return Tensor._make(np.array(args[0], dtype=np_dt))
    if all(isinstance(a, (int, np.integer)) for a in args):
        return Tensor._make(np.zeros(_size(args), dtype=np_dt))
    raise TypeError(f"new(): invalid arguments {args!r}")


def tensor_init(self: Tensor, *args: Any, **kwargs: Any) -> None:
    """``Tensor(2, 3)`` (zeros of a shape), ``Tensor([1., 2.])``: PyTorch's legacy float32
    constructor, attached as ``Tensor.__init__`` by ``_methods.py``."""
    t = legacy_construct("float32", args, kwargs)
    Tensor._init(self, t._data, None)


tensor_init.__name__, tensor_init.__qualname__ = "__init__", "Tensor.__init__"


class LegacyTensorType:
    """``tenkai.FloatTensor`` & co: callable constructors usable with ``isinstance``."""

    def __init__(self, dtype: str, name: str) -> None:
        self.dtype_name, self.__name__ = dtype, name

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return legacy_construct(self.dtype_name, args, kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj._ir_dtype == self.dtype_name

    def __repr__(self) -> str:
        return f"<class 'torch.{self.__name__}'>"


LEGACY_TYPES = {d._legacy: LegacyTensorType(d.name, d._legacy) for d in BY_NAME.values()}

# Tensor methods (attached by _methods.py)
METHODS = {"__init__": tensor_init}
