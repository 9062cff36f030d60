"""Type limits, mode flags and small utilities of the ``tenkai`` namespace: ``finfo``/``iinfo``,
the autocast state (``torch.autocast``, ``is_autocast_enabled``, ``get_autocast_dtype``, ...),
the anomaly-mode flags (over ``tenkai.autograd``'s anomaly mode), ``OutOfMemoryError``,
``memory_format``, ``set_default_tensor_type``, ``cond``/``while_loop`` (evaluated eagerly)
and the like.

Automatic mixed precision itself (ops cast to float16/bfloat16 inside an enabled autocast
region) is not implemented: entering an enabled region raises NotImplementedError, a disabled
one (``enabled=False``) works, so ``with torch.autocast("cuda", enabled=use_amp):`` runs with
``use_amp=False``.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._dtype import BY_NAME, as_dtype, dtype, float16, get_default_dtype
from ._dtype import set_default_dtype as _set_default_dtype
from ._node import ANOMALY
from ._tensor import Tensor


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (``torch.OutOfMemoryError``)."""


class memory_format:
    """``torch.contiguous_format`` & co: tenkai tensors are row-major, so every format reads
    the same data; the objects exist for code that passes them around."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


# ---------------------------------------------------------------- finfo / iinfo


def _fmt(value: float) -> str:
    return f"{value:g}"


class finfo:
    """Limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``
    (= ``smallest_normal``), ``resolution`` (``torch.finfo()`` is the default dtype's)."""

    def __init__(self, type: Any = None) -> None:
        dt = get_default_dtype() if type is None else as_dtype(type)
        if not dt.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(dt.to_numpy())
        self.bits, self.dtype = int(info.bits), dt.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -int(info.precision)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={_fmt(self.resolution)}, min={_fmt(self.min)}, "
                f"max={_fmt(self.max)}, eps={_fmt(self.eps)}, "
                f"smallest_normal={_fmt(self.smallest_normal)}, tiny={_fmt(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min``."""

    def __init__(self, type: Any) -> None:
        dt = as_dtype(type)
        if dt.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        if dt.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = np.iinfo(dt.to_numpy())
        self.bits, self.min, self.max = int(info.bits), int(info.min), int(info.max)
        self.dtype = dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={_fmt(self.min)}, max={_fmt(self.max)}, dtype={self.dtype})"


# ---------------------------------------------------------------- autocast state

_AUTOCAST: dict[str, Any] = {"enabled": {}, "dtype": {"cuda": float16}, "cache": True,
                             "nesting": 0}
_DEVICE_TYPES = ("cpu", "cuda")


def _device_type(device_type: Any, op: str) -> str:
    if not isinstance(device_type, str):
        raise TypeError(f"{op}(): argument 'device_type' must be str, not "
                        f"{type(device_type).__name__}")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"unsupported autocast device_type '{device_type}'")
    return device_type


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    return bool(_AUTOCAST["enabled"].get(_device_type(device_type, "is_autocast_enabled"),
                                         False))


def set_autocast_enabled(*args: Any) -> None:
    """``set_autocast_enabled(device_type, enabled)`` (or the legacy ``(enabled)`` for cuda).
    Switching it on raises: tenkai has no mixed-precision casting."""
    device_type, enabled = ("cuda", args[0]) if len(args) == 1 else args
    _device_type(device_type, "set_autocast_enabled")
    if enabled:
        raise NotImplementedError(_NO_AMP)
    _AUTOCAST["enabled"][device_type] = False


def is_autocast_cpu_enabled() -> bool:
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    set_autocast_enabled("cpu", enabled)


def get_autocast_dtype(device_type: str) -> dtype:
    dt = _AUTOCAST["dtype"].get(_device_type(device_type, "get_autocast_dtype"))
    if dt is None:  # PyTorch's CPU default
        raise NotImplementedError("get_autocast_dtype('cpu'): PyTorch's CPU autocast dtype is "
                                  "torch.bfloat16, a dtype tenkai does not have; set one with "
                                  "set_autocast_dtype('cpu', tenkai.float16)")
    return dt


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    dt = as_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"Currently, AutoCast only support torch.float16 / torch.bfloat16 as "
                           f"the autocast dtype, got {dt}")
    _AUTOCAST["dtype"][_device_type(device_type, "set_autocast_dtype")] = dt


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def get_autocast_cpu_dtype() -> dtype:
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype() -> dtype:
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_dtype(dtype: Any) -> None:
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype: Any) -> None:
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled() -> bool:
    return bool(_AUTOCAST["cache"])


def set_autocast_cache_enabled(enabled: bool) -> None:
    _AUTOCAST["cache"] = bool(enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: tenkai keeps no cache of casted weights."""


def autocast_increment_nesting() -> int:
    _AUTOCAST["nesting"] += 1
    return _AUTOCAST["nesting"]


def autocast_decrement_nesting() -> int:
    _AUTOCAST["nesting"] -= 1
    return _AUTOCAST["nesting"]


_NO_AMP = ("autocast: automatic mixed precision (running ops in float16/bfloat16 inside the "
           "region) is not implemented by tenkai; use enabled=False or cast explicitly")


class autocast:
    """``with torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):``;
    also a decorator. Only disabled regions are supported (see the module docstring)."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = _device_type(device_type, "autocast")
        self.fast_dtype = None if dtype is None else as_dtype(dtype)
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled

    def __enter__(self) -> autocast:
        if self._enabled:
            raise NotImplementedError(_NO_AMP)
        self._prev = (is_autocast_enabled(self.device), is_autocast_cache_enabled())
        _AUTOCAST["enabled"][self.device] = False
        if self._cache_enabled is not None:
            set_autocast_cache_enabled(self._cache_enabled)
        autocast_increment_nesting()
        return self

    def __exit__(self, *exc: Any) -> None:
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        _AUTOCAST["enabled"][self.device], _AUTOCAST["cache"] = self._prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapped


# ---------------------------------------------------------------- anomaly mode

def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly detection on or off (``tenkai.autograd.set_detect_anomaly`` without the
    context manager): backward names the first function that returns NaN."""
    ANOMALY.enabled, ANOMALY.check_nan = bool(enabled), bool(check_nan)


# ---------------------------------------------------------------- defaults and environment


def set_default_tensor_type(t: Any) -> None:
    """Deprecated: the default dtype from a legacy type (``torch.DoubleTensor``) or its name
    (``"torch.DoubleTensor"``)."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"invalid type object: only floating-point types are supported as the "
                        f"default type; got {t!r}")
    legacy = name.removeprefix("torch.")
    for dt in BY_NAME.values():
        if dt._legacy == legacy:
            if not dt.is_floating_point:
                raise TypeError("only floating-point types are supported as the default type")
            _set_default_dtype(dt)
            return
    raise TypeError(f"invalid type: '{name}'")


def set_flush_denormal(mode: bool) -> bool:
    """False: tenkai's numpy kernels cannot switch the CPU to flush denormals (PyTorch returns
    False where the system does not support it)."""
    return False


def init_num_threads() -> None:
    """Nothing to initialize: tenkai's thread pool is set up on first use."""


def get_file_path(*path_components: str) -> str:
    """A path inside the installed tenkai package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), *path_components)


def thread_safe_generator() -> Any:
    """The generator of the current data-loading worker thread, or None: tenkai's DataLoader
    has no thread workers, so None."""
    return None


# ---------------------------------------------------------------- control flow


def _operands(operands: Any, op: str) -> tuple[Any, ...]:
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"{op}: expected operands to be a tuple or list of tensors, got "
                           f"{type(operands).__name__}")
    return tuple(operands)


def cond(pred: Any, true_fn: Callable, false_fn: Callable, operands: Sequence[Any] = ()) -> Any:
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)`` (evaluated eagerly;
    inside tenkai.compile a tensor ``pred`` is read, which guards the graph on it)."""
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                           f"{pred!r}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    args = _operands(operands, "cond")
    return true_fn(*args) if bool(pred) else false_fn(*args)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: Sequence[Any]) -> Any:
    """Run ``carried = body_fn(*carried)`` while ``cond_fn(*carried)`` holds (evaluated
    eagerly); the final carried values in the structure ``body_fn`` returns (a tensor, a
    tuple or a list; ``body_fn`` is called once to learn it when the loop never runs)."""
    carried = _operands(carried_inputs, "while_loop")
    shape_of = None
    while True:
        flag = cond_fn(*carried)
        if isinstance(flag, Tensor) and flag.numel() != 1:
            raise RuntimeError("while_loop: cond_fn must return a boolean scalar tensor or "
                               f"a bool, got a tensor of shape {list(flag.shape)}")
        if not bool(flag):
            break
        out = body_fn(*carried)
        shape_of = out
        out = (out,) if not isinstance(out, (tuple, list)) else tuple(out)
        if len(out) != len(carried):
            raise RuntimeError(f"while_loop: body_fn must return as many values as "
                               f"carried_inputs ({len(carried)}), got {len(out)}")
        carried = out
    if shape_of is None:
        shape_of = body_fn(*carried)
    if isinstance(shape_of, (tuple, list)):
        return type(shape_of)(carried)
    return carried[0]


NAMES = """OutOfMemoryError memory_format contiguous_format preserve_format channels_last
channels_last_3d finfo iinfo is_autocast_enabled set_autocast_enabled is_autocast_cpu_enabled
set_autocast_cpu_enabled get_autocast_dtype set_autocast_dtype get_autocast_cpu_dtype
get_autocast_gpu_dtype set_autocast_cpu_dtype set_autocast_gpu_dtype is_autocast_cache_enabled
set_autocast_cache_enabled clear_autocast_cache autocast_increment_nesting
autocast_decrement_nesting autocast is_anomaly_enabled is_anomaly_check_nan_enabled
set_anomaly_enabled set_default_tensor_type set_flush_denormal init_num_threads get_file_path
thread_safe_generator cond while_loop""".split()
