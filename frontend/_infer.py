"""What ``tenkai.tensor(data)`` makes of Python data: PyTorch's dtype inference and its errors.

A nested sequence is walked once before numpy sees it, so that bad data gets PyTorch's
message instead of numpy's: ragged nesting ("expected sequence of length 2 at dim 1 (got 1)"),
strings ("new(): invalid data type 'str'"), ``None`` and other objects ("Could not infer dtype
of NoneType"), Python ints beyond int64 in an integer tensor ("Overflow when unpacking long
long"), and numpy arrays in non-native byte order.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tenkai.ir import dtypes as irdt
from tenkai.ir.dtypes import from_numpy as ir_from_numpy

from ._dtype import BY_NAME, get_default_dtype
from ._tensor import Tensor

_INT64 = (-(2**63), 2**63)
BYTE_ORDER = ("given numpy array has byte order different from the native byte order. "
              "Conversion between byte orders is currently not supported.")


def check_array(arr: np.ndarray) -> str:
    """The IR dtype of ``arr``; PyTorch's errors for unsupported dtypes and byte orders."""
    if not arr.dtype.isnative:
        raise ValueError(BYTE_ORDER)
    return ir_from_numpy(arr.dtype)  # rejects unsupported dtypes with PyTorch's message


class _Scan:
    """One walk over nested data: its shape, element dtypes and Python ints."""

    def __init__(self) -> None:
        self.shape: list[int] = []
        self.leaf_depth: int | None = None
        self.found: set[str] = set()
        self.ints: list[int] = []
        self.tensors = False  # tensors nested in the data (numpy is given their arrays)

    def visit(self, data: Any, depth: int) -> None:
        if isinstance(data, (list, tuple)):
            self._dims(depth, (len(data),), type(data).__name__)
            for item in data:
                self.visit(item, depth + 1)
        elif isinstance(data, (np.ndarray, Tensor)):
            array = data._data if isinstance(data, Tensor) else data
            self.tensors |= isinstance(data, Tensor)
            # an array inside a list is converted element by element, whatever its byte order
            self.found.add(ir_from_numpy(array.dtype.newbyteorder("=")))
            self._dims(depth, array.shape, type(data).__name__)
            self._leaf(depth + array.ndim)
        else:
            self._leaf(depth)
            self._scalar(data)

    def _dims(self, depth: int, dims: tuple[int, ...], what: str) -> None:
        if dims and self.leaf_depth is not None and depth >= self.leaf_depth:
            raise TypeError(f"'{what}' object cannot be interpreted as an integer")
        for k, n in enumerate(dims):
            if depth + k == len(self.shape):
                self.shape.append(n)
            elif self.shape[depth + k] != n:
                raise ValueError(f"expected sequence of length {self.shape[depth + k]} at dim "
                                 f"{depth + k} (got {n})")

    def _leaf(self, depth: int) -> None:
        if self.leaf_depth is None:
            self.leaf_depth = depth
        elif depth != self.leaf_depth:
            raise TypeError("not a sequence")

    def _scalar(self, value: Any) -> None:
        if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
            self.found.add(ir_from_numpy(value.dtype))  # first: np.float64 is a float too
        elif isinstance(value, bool):
            self.found.add("bool")
        elif isinstance(value, int):
            self.found.add("int64")
            self.ints.append(value)
        elif isinstance(value, float):
            self.found.add(get_default_dtype().name)
        elif isinstance(value, (str, bytes, np.str_, np.bytes_, complex)):
            raise TypeError(f"new(): invalid data type '{type(value).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(value).__name__}")


def infer_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A new numpy array of ``data`` with PyTorch's inferred dtype (floats -> default float,
    ints -> int64, bools -> bool, numpy/tensor elements their own dtype, promoted), or
    ``dtype`` (a tenkai dtype) when given."""
    if isinstance(data, Tensor):
        arr = np.array(data._data, copy=True)
        return arr if dtype is None else arr.astype(dtype.to_numpy())
    if isinstance(data, np.ndarray):
        check_array(data)
        return np.array(data, copy=True, dtype=None if dtype is None else dtype.to_numpy())
    if isinstance(data, range):
        data = list(data)
    elif hasattr(data, "__array__") and not isinstance(data, (list, tuple, np.generic)):
        return infer_array(np.asarray(data), dtype)  # array-likes (a torch tensor, ...)
    scan = _Scan()
    scan.visit(data, 0)
    if dtype is None:
        found = sorted(scan.found)
        target = (BY_NAME[functools.reduce(irdt.promote, found)] if found
                  else get_default_dtype())  # an empty sequence
    else:
        target = dtype
    np_dtype = target.to_numpy()
    if np_dtype.kind in "iub" and any(not _INT64[0] <= v < _INT64[1] for v in scan.ints):
        raise ValueError("Overflow when unpacking long long")
    if 0 in scan.shape:
        return np.zeros(tuple(scan.shape), dtype=np_dtype)
    return np.array(_arrays(data) if scan.tensors else data, dtype=np_dtype)


def _arrays(data: Any) -> Any:
    """``data`` with every nested Tensor replaced by its numpy array."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_arrays(item) for item in data]
    return data
