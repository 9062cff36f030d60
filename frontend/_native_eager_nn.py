"""Native eager kernels for the convolution and max-pooling ops (families of the provider in
``tenkai._native_eager``): ``conv2d`` and its input/weight gradients as generated im2col /
col2im kernels around one GEMM (tenkai's for large products, numpy's BLAS for small ones),
``max_pool2d``, ``max_pool2d_indices`` and ``max_pool2d_grad`` as generated kernels."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tenkai.ir import nn_reference
from tenkai.ir.dtypes import from_numpy

from . import _native_kernels as nk


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    return int(v[0]), int(v[1])


def conv_out(x_shape: Any, w_shape: Any, stride: Any, padding: Any, dilation: Any
             ) -> tuple[int, int]:
    """(OH, OW) of a convolution (the op's shape rule has checked the operands)."""
    h, w = (nn_reference.conv_output_size(x_shape[2 + i], w_shape[2 + i], stride[i], padding[i],
                                          dilation[i]) for i in range(2))
    return h, w


def pool_args(attrs: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """kernel, stride (the kernel when empty or None, like PyTorch), padding, dilation."""
    kernel = _pair(attrs["kernel_size"])
    stride = attrs["stride"]
    empty = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    return (kernel, kernel if empty else _pair(stride), _pair(attrs["padding"]),
            _pair(attrs["dilation"]))


# ---------------------------------------------------------------- convolution


def _conv_args(attrs: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    if attrs.get("groups", 1) != 1 or isinstance(attrs.get("padding"), str):
        return None
    return _pair(attrs["stride"]), _pair(attrs["padding"]), _pair(attrs["dilation"])


def _window_args(x_shape: Any, kernel: Any, stride: Any, padding: Any, dilation: Any,
                 out: Any) -> list[int]:
    return [*x_shape, *out, *kernel, *stride, *padding, *dilation]


def _window_kernel(direction: str, dtype: np.dtype) -> Any:
    from tenkai.codegen.cpu import eager_nn as gen

    return nk.kernel_of(gen.window_matrix(direction, from_numpy(dtype)))


def _im2col(x: np.ndarray, kernel: tuple[int, int], stride: Any, padding: Any, dilation: Any,
            out: tuple[int, int], k: Any = None) -> np.ndarray:
    """``(C * KH * KW, N * OH * OW)`` contiguous windows of the zero-padded input (``k``: the
    im2col kernel, when the caller has it)."""
    x = np.ascontiguousarray(x)
    n, c = x.shape[:2]
    cols = np.empty((c * kernel[0] * kernel[1], n * out[0] * out[1]), x.dtype)
    k = k or _window_kernel("im2col", x.dtype)
    k.run([nk._addr(x), nk._addr(cols),
           *_window_args(x.shape, kernel, stride, padding, dilation, out)],
          cols.shape[0], max(1, nk.GRAIN // max(cols.shape[1], 1)))
    return cols


def _col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel: tuple[int, int], stride: Any,
            padding: Any, dilation: Any, out: tuple[int, int], k: Any = None) -> np.ndarray:
    """The adjoint of :func:`_im2col`: an (N, C, H, W) array."""
    x = np.empty(x_shape, cols.dtype)
    k = k or _window_kernel("col2im", cols.dtype)
    k.run([nk._addr(cols), nk._addr(x),
           *_window_args(x_shape, kernel, stride, padding, dilation, out)],
          x_shape[0] * x_shape[1], max(1, nk.GRAIN // max(x_shape[2] * x_shape[3], 1)))
    return x


def _by_channel(g: np.ndarray) -> np.ndarray:
    """(N, O, OH, OW) -> contiguous (O, N * OH * OW)."""
    n, o = g.shape[:2]
    out = np.empty((o, n, *g.shape[2:]), g.dtype)
    np.copyto(out, g.transpose(1, 0, 2, 3))
    return out.reshape(o, -1)


def geometry_of(x_shape: Any, w_shape: Any, args: Any) -> tuple[int, int]:
    return conv_out(x_shape, w_shape, *args)


def _conv(op: str, opdef: Any, attrs: dict[str, Any], datas: list[np.ndarray]
          ) -> Callable[..., np.ndarray] | None:
    args = _conv_args(attrs)
    dt = from_numpy(datas[0].dtype)
    if args is None or dt not in nk.FLOATS or datas[1].dtype != datas[0].dtype:
        return None
    stride, padding, dilation = args
    from tenkai.runtime.cpu.eager import gemm as tk_gemm
    suffix = "f32" if dt == "float32" else "f64"
    x0, w0 = datas
    if op == "conv2d":
        work = w0.size * x0.shape[0] * math.prod(geometry_of(x0.shape, w0.shape, args))
    elif op == "conv2d_grad_weight":
        work = math.prod(attrs["weight_shape"]) * w0.shape[0] * math.prod(w0.shape[2:])
    else:
        work = w0.size * x0.shape[0] * math.prod(x0.shape[2:])
    native_gemm = work >= nk.MIN_GEMM_FLOPS
    if native_gemm and not nk._ready((f"gemm_{suffix}",)):
        return None
    ref = opdef.reference
    window = _window_kernel("col2im" if op == "conv2d_grad_input" else "im2col", x0.dtype)

    def gemm(m: int, n: int, k: int, a: np.ndarray, rsa: int, csa: int, b: np.ndarray,
             rsb: int, csb: int, c: np.ndarray, ldc: int) -> None:
        """``c = a @ b`` (element strides): tenkai's GEMM for large products, else numpy's."""
        if native_gemm:
            tk_gemm(suffix, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc)
            return
        size = a.itemsize
        av = np.lib.stride_tricks.as_strided(a, (m, k), (rsa * size, csa * size))
        bv = np.lib.stride_tricks.as_strided(b, (k, n), (rsb * size, csb * size))
        np.matmul(av, bv, out=c.reshape(m, n))

    def geometry(x_shape: Any, w_shape: Any) -> tuple[int, int]:
        return conv_out(x_shape, w_shape, stride, padding, dilation)

    if op == "conv2d":
        def run(x: np.ndarray, w: np.ndarray, **kw: Any) -> np.ndarray:
            n, o = x.shape[0], w.shape[0]
            out = geometry(x.shape, w.shape)
            cols = _im2col(x, w.shape[2:], stride, padding, dilation, out, window)
            wm = np.ascontiguousarray(w).reshape(o, -1)
            y = np.empty((o, cols.shape[1]), x.dtype)
            gemm(o, cols.shape[1], cols.shape[0], wm, wm.shape[1], 1, cols,
                 cols.shape[1], 1, y, cols.shape[1])
            return np.ascontiguousarray(y.reshape(o, n, *out).transpose(1, 0, 2, 3))
    elif op == "conv2d_grad_weight":
        weight_shape = tuple(attrs["weight_shape"])

        def run(x: np.ndarray, g: np.ndarray, **kw: Any) -> np.ndarray:
            o = weight_shape[0]
            out = geometry(x.shape, weight_shape)
            cols = _im2col(x, weight_shape[2:], stride, padding, dilation, out, window)
            gm = _by_channel(g)
            rows, npix = cols.shape
            dw = np.empty((o, rows), x.dtype)
            gemm(o, rows, npix, gm, npix, 1, cols, 1, npix, dw, rows)
            return dw.reshape(weight_shape)
    elif op == "conv2d_grad_input":
        input_shape = tuple(attrs["input_shape"])

        def run(g: np.ndarray, w: np.ndarray, **kw: Any) -> np.ndarray:
            out = geometry(input_shape, w.shape)
            o, _, kh, kw_ = w.shape
            wm = np.ascontiguousarray(w).reshape(o, -1)
            gm = _by_channel(g)
            rows, npix = wm.shape[1], gm.shape[1]
            cols = np.empty((rows, npix), g.dtype)
            gemm(rows, npix, o, wm, 1, rows, gm, npix, 1, cols, npix)
            return _col2im(cols, input_shape, (kh, kw_), stride, padding, dilation, out,
                           window)
    else:
        return None

    def checked(*arrays: np.ndarray, **kw: Any) -> np.ndarray:
        if any(a.size == 0 for a in arrays):
            return ref(*arrays, **kw)
        return run(*arrays, **kw)

    return checked


# ---------------------------------------------------------------- max pooling


def _max_pool(op: str, opdef: Any, attrs: dict[str, Any], datas: list[np.ndarray]
              ) -> Callable[..., np.ndarray] | None:
    from tenkai.codegen.cpu import eager as gen

    x = datas[-1]
    dt = from_numpy(x.dtype)
    if dt not in nk.FLOATS or x.ndim < 3 or x.size == 0:
        return None
    mode = {"max_pool2d": "value", "max_pool2d_indices": "indices",
            "max_pool2d_grad": "grad"}[op]
    kernel_, stride, padding, dilation = pool_args(attrs)
    h, w = x.shape[-2:]
    oh, ow = (nn_reference.pool_output_size(size, kernel_[i], stride[i], padding[i],
                                            dilation[i], attrs["ceil_mode"])
              for i, size in enumerate((h, w)))
    out = (oh, ow)
    planes = math.prod(x.shape[:-2])
    inside = not any(padding) and all(
        (o - 1) * st + (kk - 1) * d + 1 <= size
        for o, st, kk, d, size in zip(out, stride, kernel_, dilation, (h, w), strict=True))
    window = (*kernel_, *stride, *dilation) if inside and kernel_[0] * kernel_[1] <= 16 else None
    # windows that tile the input: the gradient kernel writes each window's cells once (no
    # scatter into zeros); only rows/columns past the last window need zeroing first
    tiled = mode == "grad" and window is not None and kernel_ == stride and dilation == (1, 1)
    if tiled:
        from tenkai.codegen.cpu import eager_nn

        k = nk.kernel_of(eager_nn.max_pool_grad_tiled(dt, *kernel_))
        geometry = [h, w, *out]
    else:
        k = nk.kernel_of(gen.max_pool(mode, dt, inside, window))
        geometry = [h, w, *out, *kernel_, *stride, *padding, *dilation]
    fresh = np.empty if tiled and (oh * kernel_[0], ow * kernel_[1]) == (h, w) else np.zeros
    grain = max(1, (1 << 14) // max(h * w, 1))
    out_shape = (*x.shape[:-2], *out)

    def run(*arrays: np.ndarray, **kw: Any) -> np.ndarray:
        xa = np.ascontiguousarray(arrays[-1])
        if mode == "grad":
            g = np.ascontiguousarray(arrays[0])
            result = fresh(xa.shape, xa.dtype)
            slots = [nk._addr(xa), nk._addr(result), nk._addr(g)]
        else:
            result = np.empty(out_shape, np.int64 if mode == "indices" else xa.dtype)
            slots = [nk._addr(xa), nk._addr(result), 0]
        k.run(slots + geometry, planes, grain)
        return result

    return run


FAMILIES: dict[str, Callable[..., Any]] = {
    "conv2d": _conv, "conv2d_grad_input": _conv, "conv2d_grad_weight": _conv,
    "max_pool2d": _max_pool, "max_pool2d_indices": _max_pool, "max_pool2d_grad": _max_pool,
}
