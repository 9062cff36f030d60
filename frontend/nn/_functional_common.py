"""Helpers shared by the ``tenkai.nn.functional`` files: grad_fn naming, loss reductions,
PyTorch's legacy reduction flags, int-tuple arguments and in-place results."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from .. import _ops as ops
from .. import _reduce
from .._dtype import get_default_dtype
from .._indexing import inplace_update
from .._shape import named, reshape
from .._tensor import Tensor


def finish(input: Tensor, out: Tensor, name: str, inplace: bool = False) -> Tensor:
    """Name ``out`` (one ``next_functions`` entry, ``input``'s); with ``inplace`` make ``input``
    hold it (``F.relu(x, inplace=True)``)."""
    named(out, name, input)
    return inplace_update(input, out) if inplace else out


def tuple_arg(value: Any, n: int, what: str, op: str) -> tuple[int, ...]:
    """Expand an int or a length-``n`` (or length-1) sequence into an ``n``-tuple of ints."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value),) * n
    items = tuple(int(v) for v in value)
    if len(items) == 1:
        return items * n
    if len(items) != n:
        raise RuntimeError(f"{op}: expected {what} to be a single integer value or a list of "
                           f"{n} values to match the dimensions, but got {what}={list(items)}")
    return items


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{result}' instead.", UserWarning, stacklevel=3)
    return result


def check_reduction(reduction: str) -> str:
    """Validate a ``reduction`` argument with PyTorch's ValueError."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` ('mean' | 'sum' | 'none') to an elementwise loss."""
    check_reduction(reduction)
    if reduction == "mean":
        return _reduce.mean(loss)
    if reduction == "sum":
        return _reduce.sum(loss)
    return loss


def float_input(x: Tensor, op: str | None = None) -> Tensor:
    """Integer inputs of float-only functions are computed in the default float dtype; a
    non-tensor raises PyTorch's TypeError naming ``op``."""
    x = ops.as_tensor_arg(x, op)
    return x if x.is_floating_point() else ops.cast(x, get_default_dtype().name)


def channel_view(t: Tensor, ndim: int, axis: int = 1) -> Tensor:
    """Reshape a per-channel vector (C,) to broadcast along ``axis`` of an ``ndim`` tensor."""
    shape = [1] * ndim
    shape[axis] = t.numel()
    return reshape(t, tuple(shape))


def size_str(shape: Sequence[int]) -> str:
    """PyTorch's ``torch.Size([2, 3])`` text for messages."""
    return f"torch.Size([{', '.join(str(d) for d in shape)}])"
