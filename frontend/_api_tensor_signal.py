"""``stft``/``istft`` of issue 13's API breadth (Tensor methods and ``torch.X`` functions).

tenkai has no complex dtypes, so ``stft`` gives PyTorch's real form (``return_complex=False``:
a last dim of size 2 holding the real and imaginary parts). It is a composite of registry ops:
the (padded) signal is cut into frames with ``take``, windowed, and multiplied by the DFT's
cosine and sine matrices, so it differentiates and traces like the rest. ``istft`` needs a
complex input in PyTorch, which tenkai cannot hold: it raises PyTorch's error for real input.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._ops import apply, cast, mul, tensor_of
from ._shape import matmul, named, reshape, stack, transpose
from ._tensor import Tensor


def _padded(x: Tensor, pad: int, mode: str) -> Tensor:
    """``x`` padded by ``pad`` on both sides of its last dim (``reflect``, ``replicate``,
    ``circular`` or ``constant`` zeros), by a ``take`` of the positions."""
    n = x.shape[-1]
    pos = np.arange(-pad, n + pad)
    if mode == "reflect":
        if pad >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({pad}, {pad}) at dimension "
                               f"2 of input {[1] * (3 - x.ndim) + list(x.shape)}")
        period = 2 * (n - 1) if n > 1 else 1
        pos = np.abs(pos) % period
        pos = np.where(pos >= n, period - pos, pos)
    elif mode == "replicate":
        pos = np.clip(pos, 0, n - 1)
    elif mode == "circular":
        pos = pos % n
    elif mode == "constant":
        return apply("pad", (x,), pads=((0, 0),) * (x.ndim - 1) + ((pad, pad),), value=0)
    else:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return apply("take", (x, Tensor._make(pos.astype(np.int64))), axis=x.ndim - 1)


def _window(window: Tensor | None, win_length: int, n_fft: int, dtype: str) -> Tensor:
    if window is None:
        w = np.ones(win_length)
        left = (n_fft - win_length) // 2
        return tensor_of(np.pad(w, (left, n_fft - win_length - left)), dtype)
    left = (n_fft - win_length) // 2
    if win_length == n_fft:
        return cast(window, dtype)
    return apply("pad", (cast(window, dtype),), pads=((left, n_fft - win_length - left),),
                 value=0)


def _opt(flag: bool | None) -> str:
    return "None" if flag is None else str(int(flag))


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None) -> Tensor:
    """The short-time Fourier transform of a 1-D signal or a batch of them (2-D), in PyTorch's
    real form: ``(*batch, n_fft // 2 + 1, n_frames, 2)``."""
    if return_complex is None:
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    if return_complex:
        raise NotImplementedError("stft: return_complex=True needs complex dtypes, which tenkai "
                                  "does not have; use return_complex=False (real, imaginary "
                                  "parts in a last dim of size 2)")
    warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, "
                  "stft will return complex tensors for all inputs, and return_complex=False "
                  "will raise an error.", UserWarning, stacklevel=2)
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is "
                      "known to cause spectral leakage. Other windows such as torch.hann_window "
                      "or torch.hamming_window are recommended to reduce spectral leakage.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    x = input if input.is_floating_point() else cast(input, "float32")
    if center:
        x = _padded(x, n_fft // 2, pad_mode)
    length = x.shape[-1]
    wdesc = "None" if window is None else f"{window.type()}{{{list(window.shape)}}}"
    where = (f"stft({x.type()}{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length="
             f"{win}, window={wdesc}, normalized={int(normalized)}, onesided="
             f"{_opt(onesided)}, return_complex=0, align_to_window={_opt(align_to_window)}) : ")
    if x.ndim not in (1, 2):
        raise RuntimeError(where + "expected a 1D or 2D tensor")
    if not 0 < n_fft <= length:
        raise RuntimeError(where + f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(where + f"expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(where + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(where + f"expected a 1D window tensor of size equal to win_length="
                                   f"{win}, but got window with size {list(window.shape)}")
    frames = 1 + (length - n_fft) // hop
    index = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]
    cut = apply("take", (x, Tensor._make(index.astype(np.int64))), axis=x.ndim - 1)
    cut = mul(cut, _window(window, win, n_fft, x._ir_dtype))      # (*batch, frames, n_fft)
    bins = n_fft // 2 + 1 if onesided in (None, True) else n_fft
    angle = 2 * np.pi * np.outer(np.arange(n_fft), np.arange(bins)) / n_fft
    scale = n_fft ** -0.5 if normalized else 1.0
    real = matmul(cut, tensor_of(np.cos(angle) * scale, x._ir_dtype))
    imag = matmul(cut, tensor_of(-np.sin(angle) * scale, x._ir_dtype))
    out = stack([transpose(real, -2, -1), transpose(imag, -2, -1)], -1)
    return named(reshape(out, tuple(out.shape)), "StftBackward0")


def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
          window: Tensor | None = None, center: bool = True, normalized: bool = False,
          onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """PyTorch's istft takes only complex input, which tenkai cannot hold."""
    raise RuntimeError("istft requires a complex-valued input tensor matching the output from "
                       "stft with return_complex=True.")


METHODS = ["stft", "istft"]
INPLACE: list[str] = []
FUNCTIONS = ["stft", "istft"]
