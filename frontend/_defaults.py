"""Process-wide switches PyTorch scripts set: the default device, deterministic algorithms,
and the small type predicates (``is_floating_point``, ``is_complex``, ``is_nonzero``).

The default dtype lives in ``_dtype`` (``get_default_dtype``), the one place compiled steps
read it from."""

from __future__ import annotations

from typing import Any

from tenkai.ir import dtypes as irdt

from ._device import get_default_device as get_default_device  # (the default device's
from ._device import set_default_device as set_default_device  # home is _device)
from ._dtype import BY_NAME, as_dtype, dtype, scalar_dtype
from ._dtype import result_type as _result_type
from ._tensor import Tensor

_DETERMINISTIC = {"enabled": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded for ``are_deterministic_algorithms_enabled``: tenkai's kernels are always
    deterministic (fixed reduction order, counter-based RNG)."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _DETERMINISTIC.update(enabled=mode, warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC["enabled"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _DETERMINISTIC["warn_only"]


def set_deterministic_debug_mode(debug_mode: Any) -> None:
    modes = {"default": 0, "warn": 1, "error": 2}
    value = modes.get(debug_mode, debug_mode)
    if value not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                           f"`error`, but got {debug_mode}")
    use_deterministic_algorithms(value > 0, warn_only=value == 1)


def get_deterministic_debug_mode() -> int:
    if not _DETERMINISTIC["enabled"]:
        return 0
    return 1 if _DETERMINISTIC["warn_only"] else 2


def _tensor_arg(op: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input


def is_floating_point(input: Tensor) -> bool:
    return _tensor_arg("is_floating_point", input).is_floating_point()


def is_complex(input: Tensor) -> bool:
    _tensor_arg("is_complex", input)
    return False  # tenkai has no complex dtypes


def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor (``RuntimeError`` for more or fewer elements)."""
    t = _tensor_arg("is_nonzero", input)
    if t.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if t.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(t._data.reshape(-1)[0])


# ---------------------------------------------------------------- dtype queries


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The dtype two tensors of these dtypes promote to (``promote_types(int32, float32)``)."""
    return BY_NAME[irdt.promote(as_dtype(type1).name, as_dtype(type2).name)]


def result_type(tensor1: Any, tensor2: Any) -> dtype:
    """The dtype an elementwise op on these two operands (tensors or numbers) returns."""
    items = []
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            items.append((x._ir_dtype, 2 if x.ndim else 1))
        elif isinstance(x, bool | int | float):
            items.append((scalar_dtype(x), 0))
        else:
            raise TypeError(f"result_type(): argument must be Tensor or Number, not "
                            f"{type(x).__name__}")
    return BY_NAME[_result_type(items)]


def can_cast(from_: dtype, to: dtype) -> bool:
    """False where the cast would lose the kind: float to integer, anything but bool to bool."""
    return irdt.category(as_dtype(from_).name) <= irdt.category(as_dtype(to).name)


def typename(obj: Any) -> str:
    """``'torch.FloatTensor'`` for a float32 tensor; the qualified type name otherwise."""
    if isinstance(obj, Tensor):
        return f"torch.{obj.dtype._legacy}"
    cls = type(obj)
    module = "" if cls.__module__ in ("builtins", "__builtin__") else cls.__module__ + "."
    return module + cls.__qualname__


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input: Tensor) -> bool:
    return _tensor_arg("is_signed", input)._ir_dtype not in ("uint8", "bool")


_FLAGS = {"warn_always": False, "float32_matmul_precision": "highest"}


def set_warn_always(b: bool) -> None:
    _FLAGS["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _FLAGS["warn_always"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's setting: "high" or "medium" let the cuda target run float32 matmuls as TF32
    tensor-core products (float32 accumulation; it becomes the target option
    ``float32_matmul_precision``); "highest" (the default) keeps them exact float32. The CPU
    target always computes float32 matmuls in float32."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}; expected one of 'highest', 'high', "
                           "'medium'")
    _FLAGS["float32_matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _FLAGS["float32_matmul_precision"]


# Tensor methods (attached by _methods.py)
METHODS = {"is_same_size": is_same_size, "is_signed": is_signed, "is_nonzero": is_nonzero}
