"""Window functions of the ``tenkai`` namespace (``torch.hann_window`` & co), as PyTorch
defines them: a ``periodic`` window of length N is the symmetric window of length N + 1
without its last sample. Computed in float64 and rounded once to ``dtype``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dtype import as_dtype, get_default_dtype
from ._tensor import Tensor


def _window(name: str, length: int, periodic: bool, dtype: Any, requires_grad: bool,
            shape: Any) -> Tensor:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(length).__name__}")
    if length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={length}")
    dt = as_dtype(dtype) if dtype is not None else get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if length == 0:
        values = np.zeros(0)
    elif length == 1:
        values = np.ones(1)
    else:
        m = length + 1 if periodic else length
        n = np.arange(m, dtype=np.float64)
        values = shape(n, m)[:length]
    t = Tensor._make(np.ascontiguousarray(values.astype(dt.to_numpy())))
    return t.requires_grad_(True) if requires_grad else t


def _cosine_sum(*coefficients: float) -> Any:
    def shape(n: np.ndarray, m: int) -> np.ndarray:
        phase = 2.0 * np.pi * n / (m - 1)
        return sum(((-1) ** k) * c * np.cos(k * phase) for k, c in enumerate(coefficients))
    return shape


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, pin_memory: bool = False,
                requires_grad: bool = False) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / (N - 1))``."""
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum(0.5, 0.5))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """``alpha - beta cos(2 pi n / (N - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum(alpha, beta))


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   _cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The triangular window ``1 - |2n / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda n, m: 1.0 - np.abs(2.0 * n / (m - 1) - 1.0))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)``."""
    def shape(n: np.ndarray, m: int) -> np.ndarray:
        ratio = 2.0 * n / (m - 1) - 1.0
        return np.i0(beta * np.sqrt(np.clip(1.0 - ratio * ratio, 0.0, None))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, shape)


NAMES = "hann_window hamming_window blackman_window bartlett_window kaiser_window".split()
