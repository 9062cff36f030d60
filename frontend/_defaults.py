"""Process-wide switches PyTorch scripts set: the default device, deterministic algorithms,
and the small type predicates (``is_floating_point``, ``is_complex``, ``is_nonzero``).

The default dtype lives in ``_dtype`` (``get_default_dtype``), the one place compiled steps
read it from."""

from __future__ import annotations

from typing import Any

from ._device import CPU, check_device, device
from ._tensor import Tensor

_DEVICE = [CPU]
_DETERMINISTIC = {"enabled": False, "warn_only": False}


def get_default_device() -> device:
    """The device factory functions use (``device(type='cpu')``)."""
    return _DEVICE[0]


def set_default_device(dev: Any) -> None:
    """``set_default_device("cpu")``; ``None`` resets it. CUDA fails as ``.cuda()`` does."""
    _DEVICE[0] = CPU if dev is None else check_device(dev)


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
