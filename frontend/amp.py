"""``tenkai.amp`` (``torch.amp``): ``autocast``, ``GradScaler``, ``custom_fwd``/``custom_bwd``.

tenkai runs ops in the dtypes they are given: an autocast region that is enabled raises
``NotImplementedError`` (see ``tenkai.autocast``); disabled regions, ``GradScaler`` (dynamic
loss scaling on the CPU) and the ``custom_fwd``/``custom_bwd`` decorators of
``autograd.Function`` work. Outside an enabled autocast region PyTorch's decorators run the
function unchanged, which is what they do here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._api_amp import GradScaler
from ._api_flags import autocast

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]

_DEVICE_TYPES = ("cpu", "cuda")


def is_autocast_available(device_type: str) -> bool:
    """Whether an enabled ``autocast`` region can run on ``device_type``: never in tenkai
    (it runs every op in its inputs' dtypes)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    return False


def _check_device(device_type: Any, fn: str) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type.split(":")[0] not in _DEVICE_TYPES:
        raise RuntimeError(f"{fn}: unsupported device_type '{device_type}'; tenkai has "
                           f"{' and '.join(_DEVICE_TYPES)}")


def custom_fwd(fwd: Callable | None = None, *, device_type: str,
               cast_inputs: Any = None) -> Callable:
    """Decorator for ``autograd.Function.forward`` (``@torch.amp.custom_fwd(device_type=
    "cuda")``). ``cast_inputs`` would cast floating inputs inside an enabled autocast region;
    tenkai has none, so the forward runs as written."""
    _check_device(device_type, "custom_fwd")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorator for ``autograd.Function.backward``: runs it in the forward's autocast state
    (always disabled in tenkai)."""
    _check_device(device_type, "custom_bwd")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        return bwd(*args, **kwargs)
    return decorate_bwd
