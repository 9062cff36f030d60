"""``tenkai.testing``: ``assert_close`` with PyTorch's default tolerances per dtype and its
messages::

    >>> import tenkai as torch
    >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._dtype import BY_NAME
from ._tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# dtype -> (rtol, atol), PyTorch's defaults
DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
                      "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(*dtype_names: str) -> tuple[float, float]:
    pairs = [DEFAULT_TOLERANCES.get(d, (0.0, 0.0)) for d in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _fail(message: str, msg: Any) -> None:
    if callable(msg):
        message = msg(message)
    elif msg is not None:
        message = str(msg)
    raise AssertionError(message)


def _dtype_name(x: Any) -> str:
    return x._ir_dtype if isinstance(x, Tensor) else str(x.dtype)


def _torch_dtype(name: str) -> str:
    return str(BY_NAME[name]) if name in BY_NAME else name


def _attribute_mismatch(name: str, a: Any, e: Any, msg: Any) -> None:
    _fail(f"The values for attribute '{name}' do not match: {a} != {e}.", msg)


def _compare_tensors(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                     equal_nan: bool, check_dtype: bool, msg: Any) -> None:
    a_np = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e_np = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a_np.shape != e_np.shape:
        _attribute_mismatch("shape", f"torch.Size({list(a_np.shape)})",
                            f"torch.Size({list(e_np.shape)})", msg)
    da, de = _dtype_name(actual), _dtype_name(expected)
    if check_dtype and da != de:
        _attribute_mismatch("dtype", _torch_dtype(da), _torch_dtype(de), msg)
    if rtol is None:
        rtol, atol = _tolerances(da, de)
    # PyTorch compares in the (promoted) float dtype itself, integers and bools in float32
    floats = [d for d in (da, de) if d.startswith("float")]
    work = np.dtype(max(floats, key=lambda d: int(d[5:]))) if floats else np.float32
    a, e = a_np.astype(work), e_np.astype(work)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a - e)
        close = diff <= atol + rtol * np.abs(e)
        close |= a == e  # equal infinities
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
        if np.all(close):
            return
        rel = diff / np.abs(e)
    bad = int(np.count_nonzero(~close))
    equal = rtol == 0 and atol == 0
    lines = [f"Tensor-likes are not {'equal' if equal else 'close'}!", "",
             f"Mismatched elements: {bad} / {a.size} ({100.0 * bad / a.size:.1f}%)"]
    integer = not (da.startswith("float") or de.startswith("float"))
    for label, values, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        masked = np.where(close, -np.inf, np.nan_to_num(values, nan=np.inf))
        flat = int(np.argmax(masked))
        at = tuple(int(i) for i in np.unravel_index(flat, a.shape)) if a.ndim else ()
        value = values.reshape(-1)[flat] if a.size else float("nan")
        shown = int(value) if integer and label == "absolute" else float(value)
        allowed = "" if equal else f" (up to {tol} allowed)"
        lines.append(f"Greatest {label} difference: {shown} at index {at}{allowed}")
    _fail("\n".join(lines), msg)


def _compare_scalars(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                     equal_nan: bool, msg: Any) -> None:
    if type(actual) is not type(expected):
        _attribute_mismatch("type", type(actual), type(expected), msg)
    if rtol is None:
        rtol, atol = (1e-7, 1e-7) if isinstance(actual, float) else (0.0, 0.0)
    a, e = complex(actual).real, complex(expected).real
    if a == e or abs(a - e) <= atol + rtol * abs(e) or (equal_nan and math.isnan(a)
                                                         and math.isnan(e)):
        return
    diff = abs(a - e)
    rel = diff / abs(e) if e else math.inf
    equal = rtol == 0 and atol == 0
    diff_s = int(diff) if isinstance(actual, int) else diff
    tail_a = "" if equal else f" (up to {atol} allowed)"
    tail_r = "" if equal else f" (up to {rtol} allowed)"
    _fail(f"Scalars are not {'equal' if equal else 'close'}!\n\nExpected {expected} but got "
          f"{actual}.\nAbsolute difference: {diff_s}{tail_a}\nRelative difference: {rel}{tail_r}",
          msg)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | Callable[[str], str] | None = None
                 ) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (elementwise
    ``|a - e| <= atol + rtol * |e|``); sequences and mappings are compared item by item."""
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    tensorish = (Tensor, np.ndarray)
    if isinstance(actual, tensorish) and isinstance(expected, tensorish):
        return _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, msg)
    if isinstance(actual, int | float | bool) and isinstance(expected, int | float | bool):
        return _compare_scalars(actual, expected, rtol, atol, equal_nan, msg)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match: {sorted(actual)} != "
                                 f"{sorted(expected)}")
        for key in actual:
            _item(actual[key], expected[key], repr(key), rtol=rtol, atol=atol,
                  equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return None
    seq = (Sequence,)
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for k, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _item(a, e, str(k), rtol=rtol, atol=atol, equal_nan=equal_nan,
                  check_dtype=check_dtype, msg=msg)
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def _item(actual: Any, expected: Any, key: str, **kwargs: Any) -> None:
    """Compare one item of a container; a failure names the item path (``item [1]``)."""
    try:
        assert_close(actual, expected, **kwargs)
    except AssertionError as err:
        text = str(err)
        marker = "\n\nThe failure occurred for item "
        if marker in text:
            head, path = text.split(marker)
            raise AssertionError(f"{head}{marker}[{key}]{path}") from None
        raise AssertionError(f"{text}{marker}[{key}]") from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """The deprecated spelling: no dtype check, NaNs equal by default."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)


def _make_range(low: Any, high: Any, default_low: float, default_high: float,
                lowest: float, highest: float, floating: bool) -> tuple[float, float]:
    """``make_tensor``'s ``[low, high)``: defaults, NaN and order checks, clamped to the
    dtype's range (PyTorch's messages)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and floating:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    return max(low, lowest), min(high, highest)


def make_tensor(*shape: Any, dtype: Any, device: Any, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with random values from tenkai's global generator:
    floats uniform in ``[low, high)`` (default ``[-9, 9)``), integers in ``[low, high)``
    (default ``[-9, 10)``, ``[0, 10)`` unsigned), bools uniform; ``exclude_zero`` replaces
    zeros with 1 (integers) or the dtype's smallest normal (floats)."""
    from . import _creation  # late: tenkai.testing loads before the creation ops matter
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    if memory_format is not None and noncontiguous:
        raise ValueError("make_tensor: memory_format and noncontiguous are mutually exclusive")
    name = str(dtype).removeprefix("torch.")
    if requires_grad and (name == "bool" or not dtype.is_floating_point):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    if name == "bool":
        result = _creation.randint(0, 2, shape, dtype=dtype)
    elif dtype.is_floating_point:
        info = np.finfo(np.float32 if name == "bfloat16" else np.dtype(name))
        lo, hi = _make_range(low, high, -9, 9, float(info.min), float(info.max), True)
        result = (_creation.rand(shape, dtype=dtype) * (hi - lo) + lo).to(dtype)
        if exclude_zero:
            tiny = float(info.tiny)
            result = result.masked_fill(result == 0, tiny)
    else:
        iinfo = np.iinfo(np.dtype(name))
        lo, hi = _make_range(low, high, 0 if iinfo.min == 0 else -9, 10, iinfo.min,
                             iinfo.max, False)
        result = _creation.randint(math.ceil(lo), math.ceil(hi), shape, dtype=dtype)
        if exclude_zero:
            result = result.masked_fill(result == 0, 1)
    if noncontiguous and result.numel() > 1:
        result = result.repeat_interleave(2, dim=-1)[..., ::2]
    result = result.to(device)
    return result.requires_grad_(requires_grad) if requires_grad else result
