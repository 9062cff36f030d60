"""Element types of the IR and PyTorch's type-promotion lattice.

IR dtypes are plain strings (``"float32"``, ``"int64"``, ``"bool"``, ...) so graphs stay
easy to print, hash and compare. The frontend maps them to ``tenkai.float32`` etc.
"""

from __future__ import annotations

import numpy as np

FLOATS = ("float16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
ALL_DTYPES = ("bool", *INTS, *FLOATS)

_NUMPY = {
    "bool": np.bool_,
    "uint8": np.uint8,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
}
_FROM_NUMPY = {np.dtype(v): k for k, v in _NUMPY.items() }

# Short names used by the IR printer: f32[64,128].
SHORT = {
    "bool": "i1",
    "uint8": "u8",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
}
FROM_SHORT = {v: k for k, v in SHORT.items()}

_ITEMSIZE = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
             "float16": 2, "float32": 4, "float64": 8}


def to_numpy(dtype: str) -> type:
    """The numpy scalar type that holds values of IR dtype ``dtype``."""
    return _NUMPY[dtype]


def from_numpy(dtype: np.dtype) -> str:
    """The IR dtype of a numpy dtype; raises TypeError for ones tenkai cannot hold."""
    name = _FROM_NUMPY.get(dtype)  # np.dtype instances hash like their canonical dtype
    if name is not None:
        return name
    try:
        return _FROM_NUMPY[np.dtype(dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(dtype).name}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def is_float(dtype: str) -> bool:
    return dtype in FLOATS


def is_int(dtype: str) -> bool:
    return dtype in INTS


def itemsize(dtype: str) -> int:
    return _ITEMSIZE[dtype]


def category(dtype: str) -> int:
    """0 for bool, 1 for integers, 2 for floating point: PyTorch's promotion categories."""
    if dtype == "bool":
        return 0
    return 1 if dtype in INTS else 2


def promote(a: str, b: str) -> str:
    """PyTorch's promote_types for two tensor dtypes of equal priority."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    if {a, b} & {"uint8"} and {a, b} & {"int8"}:
        return "int16"
    return a if _ITEMSIZE[a] >= _ITEMSIZE[b] else b
