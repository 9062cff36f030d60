"""Numpy reference implementations of 2-D convolution and pooling, PyTorch semantics.

These are the correctness oracle for the op registry, so they favour clarity and
exact agreement with ``torch.nn.functional`` over speed, while staying vectorized:
windows are strided views (``sliding_window_view``); convolutions are im2col + one
batched matmul per call, pools reduce the window axes, and adjoints scatter back
with one strided add per kernel offset.

Conventions: activations are NCHW (the pooling functions accept any leading dims,
``(..., H, W)``), conv weights are OIHW with ``I == C_in // groups``, and
``kernel_size``/``stride``/``padding``/``dilation`` are ``(h, w)`` pairs (a bare int
is accepted and used for both). Every function returns the floating dtype of its
main input; max-pool indices are int64. Conv1d is conv2d with ``H == 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pair = tuple[int, int]
IntOrPair = int | Sequence[int]


def _pair(v: IntOrPair) -> Pair:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    h, w = v
    return int(h), int(w)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of a convolution along one axis: floor((L + 2p - d(k-1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """Output length of a pooling window along one axis, as PyTorch computes it.

    With ``ceil_mode`` the division rounds up, but a window is dropped if it would
    start in the right padding (it must start inside the input or left padding).
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _check_out(out: Pair, op: str) -> None:
    if out[0] < 1 or out[1] < 1:
        raise ValueError(f"{op}: computed output size {out} is too small")


def _pad(x: np.ndarray, lo: Pair, hi: Pair, value: float) -> np.ndarray:
    """Pad the last two axes by ``lo`` before and ``hi`` after with ``value``."""
    widths = [(0, 0)] * (x.ndim - 2) + [(lo[0], hi[0]), (lo[1], hi[1])]
    return np.pad(x, widths, mode="constant", constant_values=value)


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """Read-only view ``(..., OH, OW, KH, KW)`` of the windows of a padded input."""
    extent = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
    view = sliding_window_view(xp, extent, axis=(-2, -1))
    (sh, sw), (dh, dw) = stride, dilation
    return view[..., : out[0] * sh : sh, : out[1] * sw : sw, ::dh, ::dw]


def _col2im(cols: np.ndarray, padded_hw: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Adjoint of ``_windows``: sum window entries ``(..., OH, OW, KH, KW)`` into place."""
    oh, ow, kh, kw = cols.shape[-4:]
    (sh, sw), (dh, dw) = stride, dilation
    out = np.zeros(cols.shape[:-4] + tuple(padded_hw), dtype=cols.dtype)
    # Within one kernel offset the strided targets are distinct, so `+=` is exact;
    # overlaps between offsets are handled by the loop itself.
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            cols_ = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            out[..., rows, cols_] += cols[..., i, j]
    return out


# --------------------------------------------------------------------------- conv


def _conv_geometry(
    x_shape: Sequence[int], w_shape: Sequence[int], stride: Pair, padding: Pair,
    dilation: Pair, groups: int,
) -> Pair:
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if c != cg * groups or o % groups:
        raise ValueError(f"conv2d: input {tuple(x_shape)} / weight {tuple(w_shape)} "
                         f"incompatible with groups={groups}")
    out = (conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
           conv_output_size(w, kw, stride[1], padding[1], dilation[1]))
    _check_out(out, "conv2d")
    return out


def _im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
    groups: int, out: Pair,
) -> np.ndarray:
    """Zero-padded input windows as a matrix per group: ``(G, C/G * KH * KW, N * OH * OW)``."""
    n, c = x.shape[:2]
    cols = _windows(_pad(x, padding, padding, 0), kernel, stride, dilation, out)
    cols = cols.reshape(n, groups, c // groups, *out, *kernel)
    # explicit sizes, no -1: a 0-size batch has nothing to infer -1 from
    rows = c // groups * kernel[0] * kernel[1]
    return cols.transpose(1, 2, 5, 6, 0, 3, 4).reshape(groups, rows, n * out[0] * out[1])


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, OH, OW) -> (G, O/G, N * OH * OW), the layout matching ``_im2col``."""
    n, o, oh, ow = a.shape
    a = a.reshape(n, groups, o // groups, oh * ow).transpose(1, 2, 0, 3)
    return a.reshape(groups, o // groups, n * oh * ow)


def conv2d(
    x: np.ndarray, w: np.ndarray, *, stride: IntOrPair, padding: IntOrPair,
    dilation: IntOrPair, groups: int,
) -> np.ndarray:
    """Cross-correlation: ``y[n, o] = sum_{c in group(o), i, j} x_pad[n, c, win] * w[o, c, i, j]``.

    ``x`` is (N, C, H, W), ``w`` is (O, C/groups, KH, KW); zero padding; no bias.
    """
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    out = _conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    n, o = x.shape[0], w.shape[0]
    cols = _im2col(x, w.shape[2:], stride, padding, dilation, groups, out)
    y = w.reshape(groups, o // groups, cols.shape[1]) @ cols  # (G, O/G, N * OH * OW)
    y = y.reshape(o, n, *out).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(y, dtype=x.dtype)


def conv2d_grad_input(
    g: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int], stride: IntOrPair,
    padding: IntOrPair, dilation: IntOrPair, groups: int,
) -> np.ndarray:
    """Gradient of ``sum(g * conv2d(x, w))`` w.r.t. ``x`` (a transposed convolution).

    Input positions that no window reaches (an uncovered tail) get zero gradient.
    """
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, wd = input_shape
    out = _conv_geometry(input_shape, w.shape, stride, padding, dilation, groups)
    o, cg, kh, kw = w.shape
    if tuple(g.shape) != (n, o, *out):
        raise ValueError(f"conv2d_grad_input: grad shape {g.shape} != {(n, o, *out)}")
    wt = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
    cols = wt @ _grouped(g, groups)  # (G, C/G * KH * KW, N * OH * OW)
    cols = cols.reshape(c, kh, kw, n, *out).transpose(3, 0, 4, 5, 1, 2)
    ph, pw = padding
    xp = _col2im(cols, (h + 2 * ph, wd + 2 * pw), stride, dilation)
    return np.ascontiguousarray(xp[..., ph:ph + h, pw:pw + wd], dtype=g.dtype)


def conv2d_grad_weight(
    x: np.ndarray, g: np.ndarray, *, weight_shape: Sequence[int], stride: IntOrPair,
    padding: IntOrPair, dilation: IntOrPair, groups: int,
) -> np.ndarray:
    """Gradient of ``sum(g * conv2d(x, w))`` w.r.t. ``w``: correlates ``x`` with ``g``."""
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    out = _conv_geometry(x.shape, weight_shape, stride, padding, dilation, groups)
    o, cg, kh, kw = weight_shape
    if tuple(g.shape) != (x.shape[0], o, *out):
        raise ValueError(f"conv2d_grad_weight: grad shape {g.shape} != {(x.shape[0], o, *out)}")
    cols = _im2col(x, (kh, kw), stride, padding, dilation, groups, out)
    dw = _grouped(g, groups) @ cols.transpose(0, 2, 1)  # (G, O/G, C/G * KH * KW)
    return dw.reshape(o, cg, kh, kw).astype(x.dtype, copy=False)


# ------------------------------------------------------------------------ pooling


def _pool_geometry(
    hw: Sequence[int], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
    ceil_mode: bool,
) -> tuple[Pair, Pair]:
    """Output size and the right/bottom padding that makes every window in bounds.

    ``ceil_mode`` windows may run past the padded input; the extra cells are padded
    with a neutral value (-inf for max, 0 for sums, excluded from avg divisors).
    """
    out, hi = [], []
    for size, k, s, p, d in zip(hw, kernel, stride, padding, dilation, strict=True):
        n_out = pool_output_size(size, k, s, p, d, ceil_mode)
        out.append(n_out)
        hi.append(max(p, (n_out - 1) * s + (k - 1) * d + 1 - size - p))
    _check_out((out[0], out[1]), "pool2d")
    return (out[0], out[1]), (hi[0], hi[1])


def _pool_args(
    kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair, dilation: IntOrPair
) -> tuple[Pair, Pair, Pair, Pair]:
    kernel = _pair(kernel_size)
    # torch's pooling functions default an empty/None stride to the kernel size.
    empty = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    stride_ = kernel if empty else _pair(stride)
    return kernel, stride_, _pair(padding), _pair(dilation)


def _max_pool_argmax(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
) -> tuple[np.ndarray, Pair, Pair]:
    """Window-local index (row-major in KH x KW) of each max, plus output size and hi pad.

    Matches PyTorch CPU: the first maximum wins ties, a NaN always wins (so the last
    NaN of a window is chosen), and an all -inf window picks its first in-bounds cell.
    """
    out, hi = _pool_geometry(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    win = _windows(_pad(x, padding, hi, -np.inf), kernel, stride, dilation, out)
    flat = win.reshape(*win.shape[:-2], win.shape[-2] * win.shape[-1])
    valid = _window_validity(x.shape[-2:], kernel, stride, padding, dilation, out)
    first_max = np.argmax((flat == flat.max(-1, keepdims=True)) & valid, axis=-1)
    nan = np.isnan(flat)
    last_nan = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(-1), last_nan, first_max), out, hi


def _window_validity(
    hw: Sequence[int], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out: Pair
) -> np.ndarray:
    """Boolean ``(OH, OW, KH*KW)``: which window cells lie inside the unpadded input."""
    ok = []
    for size, k, s, p, d, n_out in zip(hw, kernel, stride, padding, dilation, out, strict=True):
        pos = np.arange(n_out)[:, None] * s - p + np.arange(k)[None, :] * d
        ok.append((pos >= 0) & (pos < size))
    valid = ok[0][:, None, :, None] & ok[1][None, :, None, :]
    return valid.reshape(out[0], out[1], kernel[0] * kernel[1])


def max_pool2d(
    x: np.ndarray, *, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
    dilation: IntOrPair, ceil_mode: bool,
) -> np.ndarray:
    """Max over each (dilated) window of ``x`` (..., H, W).

    Padding is -inf so it never wins; a NaN in a window propagates.
    """
    kernel, stride_, padding_, dilation_ = _pool_args(kernel_size, stride, padding, dilation)
    out, hi = _pool_geometry(x.shape[-2:], kernel, stride_, padding_, dilation_, ceil_mode)
    win = _windows(_pad(x, padding_, hi, -np.inf), kernel, stride_, dilation_, out)
    return win.max(axis=(-2, -1)).astype(x.dtype, copy=False)


def max_pool2d_indices(
    x: np.ndarray, *, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
    dilation: IntOrPair, ceil_mode: bool,
) -> np.ndarray:
    """int64 flat index ``h * W + w`` into each input plane of every window's max."""
    kernel, stride_, padding_, dilation_ = _pool_args(kernel_size, stride, padding, dilation)
    k, out, _ = _max_pool_argmax(x, kernel, stride_, padding_, dilation_, ceil_mode)
    rows = np.arange(out[0])[:, None] * stride_[0] - padding_[0] + (k // kernel[1]) * dilation_[0]
    cols = np.arange(out[1])[None, :] * stride_[1] - padding_[1] + (k % kernel[1]) * dilation_[1]
    return (rows * x.shape[-1] + cols).astype(np.int64)


def max_pool2d_grad(
    g: np.ndarray, x: np.ndarray, *, kernel_size: IntOrPair, stride: IntOrPair | None,
    padding: IntOrPair, dilation: IntOrPair, ceil_mode: bool,
) -> np.ndarray:
    """Gradient of ``sum(g * max_pool2d(x))`` w.r.t. ``x``: each ``g`` goes to its window's argmax.

    Overlapping windows that share an argmax accumulate.
    """
    kernel, stride_, padding_, dilation_ = _pool_args(kernel_size, stride, padding, dilation)
    k, out, hi = _max_pool_argmax(x, kernel, stride_, padding_, dilation_, ceil_mode)
    onehot = np.arange(kernel[0] * kernel[1]) == k[..., None]
    # where, not a product: a nan (or inf) gradient reaches the argmax only, as in PyTorch
    cols = np.where(onehot, g[..., None], np.zeros((), g.dtype)).reshape(*g.shape, *kernel)
    h, w = x.shape[-2:]
    (ph, pw), (hh, hw) = padding_, hi
    xp = _col2im(cols, (ph + h + hh, pw + w + hw), stride_, dilation_)
    return xp[..., ph:ph + h, pw:pw + w].astype(g.dtype, copy=False)


def _avg_divisor(
    hw: Sequence[int], kernel: Pair, stride: Pair, padding: Pair, out: Pair,
    count_include_pad: bool, divisor_override: int | None, dtype: np.dtype,
) -> np.ndarray:
    """Per-output divisor ``(OH, OW)``, following ATen's AvgPool kernels.

    ``count_include_pad`` counts the explicit padding but never the extra ceil_mode
    overhang; otherwise only in-bounds cells count.
    """
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must be non-zero")
        return np.full(out, divisor_override, dtype=dtype)
    counts = []
    for size, k, s, p, n_out in zip(hw, kernel, stride, padding, out, strict=True):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, size + p)
        inside = np.minimum(end, size) - np.maximum(start, 0)
        counts.append(end - start if count_include_pad else inside)
    return np.outer(counts[0], counts[1]).astype(dtype)


def avg_pool2d(
    x: np.ndarray, *, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
    ceil_mode: bool, count_include_pad: bool, divisor_override: int | None = None,
) -> np.ndarray:
    """Mean over each window of ``x`` (..., H, W): zero-padded window sum / divisor."""
    kernel, stride_, padding_, one = _pool_args(kernel_size, stride, padding, 1)
    out, hi = _pool_geometry(x.shape[-2:], kernel, stride_, padding_, one, ceil_mode)
    win = _windows(_pad(x, padding_, hi, 0), kernel, stride_, one, out)
    div = _avg_divisor(x.shape[-2:], kernel, stride_, padding_, out, count_include_pad,
                       divisor_override, x.dtype)
    return (win.sum(axis=(-2, -1)) / div).astype(x.dtype, copy=False)


def avg_pool2d_grad(
    g: np.ndarray, x_shape: Sequence[int], *, kernel_size: IntOrPair, stride: IntOrPair | None,
    padding: IntOrPair, ceil_mode: bool, count_include_pad: bool,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Gradient of ``sum(g * avg_pool2d(x))`` w.r.t. ``x`` of shape ``x_shape``."""
    kernel, stride_, padding_, one = _pool_args(kernel_size, stride, padding, 1)
    h, w = x_shape[-2:]
    out, hi = _pool_geometry((h, w), kernel, stride_, padding_, one, ceil_mode)
    div = _avg_divisor((h, w), kernel, stride_, padding_, out, count_include_pad,
                       divisor_override, g.dtype)
    share = (g / div)[..., None, None]
    cols = np.broadcast_to(share, (*g.shape, *kernel))
    (ph, pw), (hh, hw) = padding_, hi
    xp = _col2im(cols, (ph + h + hh, pw + w + hw), stride_, one)
    return xp[..., ph:ph + h, pw:pw + w].astype(g.dtype, copy=False)


def _adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """``(out, size)`` averaging matrix: row i averages [floor(i*L/n), ceil((i+1)*L/n))."""
    i = np.arange(out)
    start = (i * size) // out
    end = -(-((i + 1) * size) // out)
    pos = np.arange(size)
    mask = (pos >= start[:, None]) & (pos < end[:, None])
    return (mask / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(x: np.ndarray, output_size: int | Sequence[int | None]) -> np.ndarray:
    """Adaptive average pooling of ``x`` (..., H, W) to ``output_size`` (None keeps that axis).

    Windows may overlap or have unequal sizes; the mean over a rectangle is separable,
    so it is one averaging matrix per axis.
    """
    h, w = x.shape[-2:]
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    ah = _adaptive_matrix(h, h if oh is None else int(oh), x.dtype)
    aw = _adaptive_matrix(w, w if ow is None else int(ow), x.dtype)
    return np.einsum("ah,...hw,bw->...ab", ah, x, aw, optimize=True).astype(x.dtype, copy=False)


def adaptive_avg_pool2d_grad(g: np.ndarray, x_shape: Sequence[int]) -> np.ndarray:
    """Gradient of ``sum(g * adaptive_avg_pool2d(x, g.shape[-2:]))`` w.r.t. ``x`` of ``x_shape``."""
    ah = _adaptive_matrix(x_shape[-2], g.shape[-2], g.dtype)
    aw = _adaptive_matrix(x_shape[-1], g.shape[-1], g.dtype)
    return np.einsum("ah,...ab,bw->...hw", ah, g, aw, optimize=True).astype(g.dtype, copy=False)
