"""``default_collate`` and ``default_convert``: how a list of samples becomes one batch.

The rules follow ``torch.utils.data.default_collate``: tensors are stacked along a new first
dimension; numpy arrays become tensors and are stacked; Python ints become an int64 tensor,
floats a float64 tensor, bools a bool tensor; numpy scalars keep their dtype; tuples and lists are
collated position by position (a tuple batch comes back as a list), dicts key by key; strings and
bytes are returned as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from ... import _creation, _dtype, _shape
from ..._tensor import Tensor

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_text_array(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "SaUO"


def _collate_tensors(batch: Sequence[Tensor]) -> Tensor:
    if any(t.requires_grad for t in batch):
        return _shape.stack(list(batch), 0)  # records the graph, like torch.stack would
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        _shape.stack(list(batch), 0)  # raises the stack error naming the mismatched shapes
    return _creation.from_numpy(np.stack([t._data for t in batch]))


def _collate_numpy(batch: Sequence[Any]) -> Tensor:
    elem = batch[0]
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise TypeError(_ERR.format(elem.dtype))
        return _collate_tensors([_creation.as_tensor(b) for b in batch])
    return _creation.from_numpy(np.array(batch))  # numpy scalars keep their dtype


def _is_numpy(elem: Any) -> bool:
    return type(elem).__module__ == "numpy" and not isinstance(elem, (np.str_, np.bytes_))


def _collate_leaf(batch: Sequence[Any]) -> Any:
    """Tensors, numpy values, numbers and text; ``NotImplemented`` for containers."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if _is_numpy(elem):
        return _collate_numpy(batch)
    if isinstance(elem, float):
        return _creation.tensor(list(batch), dtype=_dtype.float64)
    if isinstance(elem, int):
        return _creation.tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    return NotImplemented


def _collate_mapping(batch: Sequence[Mapping[Any, Any]]) -> Any:
    elem = batch[0]
    merged = {key: default_collate([d[key] for d in batch]) for key in elem}
    try:
        if isinstance(elem, MutableMapping):
            clone = copy.copy(elem)
            clone.update(merged)
            return clone
        return type(elem)(merged)
    except TypeError:
        return merged


def _collate_sequence(batch: Sequence[Sequence[Any]]) -> Any:
    elem = batch[0]
    if any(len(sample) != len(elem) for sample in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    columns = [default_collate(samples) for samples in zip(*batch, strict=True)]
    if isinstance(elem, tuple):
        return columns  # PyTorch returns a list for tuples (backwards compatibility)
    try:
        if isinstance(elem, MutableSequence):
            clone = copy.copy(elem)
            clone[:] = columns
            return clone
        return type(elem)(columns)
    except TypeError:
        return columns


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch.

    >>> default_collate([(tenkai.tensor([1, 2]), 0), (tenkai.tensor([3, 4]), 1)])
    [tensor([[1, 2],
            [3, 4]]), tensor([0, 1])]
    """
    leaf = _collate_leaf(batch)
    if leaf is not NotImplemented:
        return leaf
    elem = batch[0]
    if isinstance(elem, Mapping):
        return _collate_mapping(batch)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        return _collate_sequence(batch)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Turn numpy arrays inside ``data`` into tensors, leaving the structure (no batching).

    >>> default_convert({"x": np.zeros(2)})
    {'x': tensor([0., 0.], dtype=torch.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _is_text_array(data):
            return data
        return _creation.as_tensor(data)
    if isinstance(data, Mapping):
        return _collate_mapping_with(default_convert, data)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def _collate_mapping_with(fn: Callable[[Any], Any], data: Mapping[Any, Any]) -> Any:
    converted = {key: fn(value) for key, value in data.items()}
    try:
        return type(data)(converted)
    except TypeError:
        return converted
