"""Tests for ir/nn_reference.py: numpy conv/pool references vs PyTorch and vs themselves.

The module is loaded by path because the surrounding package is written concurrently.
Checks needing torch skip without it; adjoint / finite-difference / naive-loop checks
always run, so the references are verified even when torch is absent.
"""

from __future__ import annotations

import importlib.util
import itertools
import zlib
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "ir" / "nn_reference.py"
_spec = importlib.util.spec_from_file_location("tenkai_ir_nn_reference", _PATH)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

RTOL, ATOL = 1e-10, 1e-12


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _torch():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------- sweeps

# (N, C, H, W, O, KH, KW, stride, padding, dilation, groups)
CONV_SHAPES = [
    (2, 3, 7, 9, 4, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (2, 4, 8, 8, 6, 3, 3, (2, 2), (1, 1), (1, 1), 2),
    (1, 4, 9, 7, 4, 3, 3, (1, 2), (2, 1), (2, 1), 4),     # depthwise, mixed params
    (2, 4, 6, 6, 8, 1, 1, (2, 2), (0, 0), (1, 1), 4),     # depthwise x2 multiplier, 1x1
    (1, 2, 11, 10, 3, 5, 5, (2, 1), (2, 2), (1, 2), 1),
    (2, 3, 1, 17, 5, 1, 3, (1, 2), (0, 1), (1, 2), 1),    # conv1d as H == 1
    (2, 4, 1, 12, 4, 1, 5, (1, 1), (0, 2), (1, 1), 4),    # depthwise conv1d
    (1, 6, 5, 5, 6, 5, 3, (1, 1), (2, 1), (1, 1), 2),
    (1, 2, 8, 8, 2, 3, 3, (3, 3), (0, 0), (1, 1), 1),     # uncovered input tail
    (2, 2, 10, 10, 4, 3, 3, (2, 2), (2, 2), (2, 2), 2),
]

# Full product over the scalar knobs on one odd-sized input (2, 4, 11, 9).
CONV_PRODUCT = [
    (2, 4, 11, 9, 8, k, k, (s, s), (p, p), (d, d), g)
    for k, s, p, d, g in itertools.product((1, 3, 5), (1, 2), (0, 1, 2), (1, 2), (1, 2, 4))
]

# (shape, kernel, stride, padding, dilation, ceil_mode); torch requires padding <= kernel // 2.
POOL_PRODUCT = [
    ((2, 3, 11, 10), (k, k), (s, s), (p, p), (d, d), c)
    for k, s, p, d, c in itertools.product((1, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2), (False, True))
    if p <= k // 2
]
POOL_SHAPES = [
    ((1, 2, 5, 5), (2, 2), (2, 2), (1, 1), (1, 1), True),  # ceil window dropped (starts in pad)
    ((2, 3, 7, 6), (3, 2), (2, 1), (1, 0), (1, 2), True),
    ((1, 1, 1, 13), (1, 3), (1, 2), (0, 1), (1, 1), False),  # pool1d as H == 1
    ((3, 6, 6), (2, 3), (3, 2), (1, 1), (2, 1), True),       # no batch dim
    ((1, 2, 8, 9), (4, 4), (3, 3), (2, 2), (1, 1), True),
]
POOL_CASES = POOL_SHAPES + POOL_PRODUCT
AVG_CASES = [
    (*case[:4], case[5], cip, div)
    for case in POOL_CASES if case[4] == (1, 1)
    for cip, div in ((True, None), (False, None), (True, 3))
]


def _conv_kwargs(case: tuple) -> dict:
    return dict(stride=case[7], padding=case[8], dilation=case[9], groups=case[10])


def _conv_data(case: tuple, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    n, c, h, w, o, kh, kw, *_, groups = case
    rng = _rng("conv", case)
    return (rng.standard_normal((n, c, h, w)).astype(dtype),
            rng.standard_normal((o, c // groups, kh, kw)).astype(dtype))


def _valid_conv(case: tuple) -> bool:
    n, c, h, w, o, kh, kw, s, p, d, g = case
    return all(ref.conv_output_size(*a) >= 1 for a in ((h, kh, s[0], p[0], d[0]),
                                                      (w, kw, s[1], p[1], d[1])))


# ------------------------------------------------------------------ vs PyTorch


@pytest.mark.torch
@pytest.mark.parametrize("case", CONV_SHAPES + [c for c in CONV_PRODUCT if _valid_conv(c)])
def test_conv2d_and_grads_match_torch(case: tuple) -> None:
    torch = _torch()
    kw = _conv_kwargs(case)
    x, w = _conv_data(case)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, **kw)
    y = ref.conv2d(x, w, **kw)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = _rng("g", case).standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    gx = ref.conv2d_grad_input(g, w, input_shape=x.shape, **kw)
    gw = ref.conv2d_grad_weight(x, g, weight_shape=w.shape, **kw)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.torch
@pytest.mark.parametrize("case", CONV_SHAPES[:4])
def test_conv2d_float32_keeps_dtype(case: tuple) -> None:
    torch = _torch()
    kw = _conv_kwargs(case)
    x, w = _conv_data(case, np.float32)
    y = ref.conv2d(x, w, **kw)
    g = np.ones_like(y)
    assert y.dtype == np.float32
    assert ref.conv2d_grad_input(g, w, input_shape=x.shape, **kw).dtype == np.float32
    assert ref.conv2d_grad_weight(x, g, weight_shape=w.shape, **kw).dtype == np.float32
    expect = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-5)


def _pool_kwargs(case: tuple) -> dict:
    return dict(kernel_size=case[1], stride=case[2], padding=case[3], dilation=case[4],
                ceil_mode=case[5])


@pytest.mark.torch
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d_matches_torch(case: tuple, ties: bool) -> None:
    torch = _torch()
    kw = _pool_kwargs(case)
    rng = _rng("maxpool", case, ties)
    # Small integers force ties, which exercise the first-max rule.
    x = rng.integers(0, 3, case[0]).astype(np.float64) if ties else rng.standard_normal(case[0])
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(tx, return_indices=True, **kw)
    y = ref.max_pool2d(x, **kw)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    idx = ref.max_pool2d_indices(x, **kw)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx, tidx.numpy())
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ref.max_pool2d_grad(g, x, **kw), tx.grad.numpy(),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.torch
def test_max_pool2d_nan_and_neg_inf_match_torch() -> None:
    torch = _torch()
    x = np.full((1, 1, 4, 5), -np.inf)
    x[0, 0, 0, 0] = x[0, 0, 0, 1] = np.nan   # two NaNs in one window
    x[0, 0, 3, 4] = 1.0
    kw = dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(ref.max_pool2d(x, **kw), ty.numpy())
    np.testing.assert_array_equal(ref.max_pool2d_indices(x, **kw), tidx.numpy())


@pytest.mark.torch
def test_max_pool2d_grad_keeps_a_nan_gradient_at_the_argmax() -> None:
    """A nan (or inf) upstream gradient reaches its window's argmax only, not the window."""
    torch = _torch()
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    g = np.array([[[[np.nan, 1.0, np.inf], [2.0, -np.inf, 3.0], [4.0, 5.0, 6.0]]]])
    kw = dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
              ceil_mode=False)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, **kw).backward(torch.tensor(g))
    np.testing.assert_array_equal(ref.max_pool2d_grad(g, x, **kw), tx.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool2d_matches_torch(case: tuple) -> None:
    torch = _torch()
    shape, kernel, stride, padding, ceil_mode, cip, div = case
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
              count_include_pad=cip, divisor_override=div)
    rng = _rng("avgpool", case)
    x = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.avg_pool2d(tx, **kw)
    y = ref.avg_pool2d(x, **kw)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ref.avg_pool2d_grad(g, x.shape, **kw), tx.grad.numpy(),
                               rtol=RTOL, atol=ATOL)


ADAPTIVE_CASES = [
    ((2, 3, 9, 9), (3, 3)),      # divides
    ((2, 3, 9, 9), (1, 1)),      # global
    ((1, 2, 10, 7), (4, 3)),     # doesn't divide: overlapping, uneven windows
    ((1, 2, 5, 7), (5, 7)),      # identity
    ((1, 2, 5, 3), (7, 5)),      # output larger than input
    ((2, 1, 8, 6), (None, 4)),   # None keeps the input size
    ((3, 11, 13), (6, 5)),       # no batch dim
    ((1, 4, 1, 17), (1, 5)),     # 1-D case
    ((1, 2, 6, 6), 4),           # int output size
]


@pytest.mark.torch
@pytest.mark.parametrize("shape, out", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_matches_torch(shape: tuple, out) -> None:
    torch = _torch()
    rng = _rng("adaptive", shape, out)
    x = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.adaptive_avg_pool2d(tx, out)
    y = ref.adaptive_avg_pool2d(x, out)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ref.adaptive_avg_pool2d_grad(g, x.shape), tx.grad.numpy(),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.torch
def test_pool_output_size_matches_torch() -> None:
    torch = _torch()
    for size, k, s, p, d, c in itertools.product(range(1, 10), (1, 2, 3), (1, 2, 3), (0, 1),
                                                 (1, 2), (False, True)):
        if p > k // 2 or size + 2 * p < d * (k - 1) + 1:
            continue
        y = torch.nn.functional.max_pool1d(torch.zeros(1, 1, size), k, s, p, d, ceil_mode=c)
        assert ref.pool_output_size(size, k, s, p, d, c) == y.shape[-1], (size, k, s, p, d, c)


# ------------------------------------------------------- torch-free self checks


def _naive_conv2d(x, w, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = ref.conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = ref.conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    y = np.zeros((n, o, oh, ow))
    for oc, i, j in itertools.product(range(o), range(oh), range(ow)):
        gi = oc // (o // groups)
        r0, c0 = i * stride[0], j * stride[1]
        patch = xp[:, gi * cg:(gi + 1) * cg,
                   r0:r0 + (kh - 1) * dilation[0] + 1:dilation[0],
                   c0:c0 + (kw - 1) * dilation[1] + 1:dilation[1]]
        y[:, oc, i, j] = np.einsum("nchw,chw->n", patch, w[oc])
    return y


@pytest.mark.parametrize("case", CONV_SHAPES)
def test_conv2d_matches_naive_loop(case: tuple) -> None:
    x, w = _conv_data(case)
    np.testing.assert_allclose(ref.conv2d(x, w, **_conv_kwargs(case)),
                               _naive_conv2d(x, w, *case[7:]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CONV_SHAPES)
def test_conv2d_adjoint_identities(case: tuple) -> None:
    kw = _conv_kwargs(case)
    x, w = _conv_data(case)
    y = ref.conv2d(x, w, **kw)
    g = _rng("adj", case).standard_normal(y.shape)
    lhs = np.vdot(y, g)
    gx = ref.conv2d_grad_input(g, w, input_shape=x.shape, **kw)
    gw = ref.conv2d_grad_weight(x, g, weight_shape=w.shape, **kw)
    # conv2d is bilinear, so <conv2d(x, w), g> equals both <x, gx> and <w, gw>.
    np.testing.assert_allclose(np.vdot(x, gx), lhs, rtol=1e-10)
    np.testing.assert_allclose(np.vdot(w, gw), lhs, rtol=1e-10)


def _finite_difference(f, arr: np.ndarray, points: int, rng, eps: float = 1e-6) -> tuple:
    """Central differences of scalar ``f`` at a few random coordinates of ``arr``."""
    idxs = [tuple(rng.integers(0, s) for s in arr.shape) for _ in range(points)]
    fd = []
    for idx in idxs:
        hi, lo = arr.copy(), arr.copy()
        hi[idx] += eps
        lo[idx] -= eps
        fd.append((f(hi) - f(lo)) / (2 * eps))
    return idxs, np.array(fd)


@pytest.mark.parametrize("case", CONV_SHAPES)
def test_conv2d_grads_finite_difference(case: tuple) -> None:
    kw = _conv_kwargs(case)
    x, w = _conv_data(case)
    rng = _rng("fd", case)
    g = rng.standard_normal(ref.conv2d(x, w, **kw).shape)
    gx = ref.conv2d_grad_input(g, w, input_shape=x.shape, **kw)
    gw = ref.conv2d_grad_weight(x, g, weight_shape=w.shape, **kw)
    idxs, fd = _finite_difference(lambda a: np.vdot(ref.conv2d(a, w, **kw), g), x, 6, rng)
    np.testing.assert_allclose([gx[i] for i in idxs], fd, rtol=1e-6, atol=1e-7)
    idxs, fd = _finite_difference(lambda a: np.vdot(ref.conv2d(x, a, **kw), g), w, 6, rng)
    np.testing.assert_allclose([gw[i] for i in idxs], fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", AVG_CASES[::5])
def test_avg_pool2d_grad_adjoint_and_finite_difference(case: tuple) -> None:
    shape, kernel, stride, padding, ceil_mode, cip, div = case
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
              count_include_pad=cip, divisor_override=div)
    rng = _rng("avg-self", case)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(ref.avg_pool2d(x, **kw).shape)
    gx = ref.avg_pool2d_grad(g, x.shape, **kw)
    np.testing.assert_allclose(np.vdot(x, gx), np.vdot(ref.avg_pool2d(x, **kw), g), rtol=1e-10)
    idxs, fd = _finite_difference(lambda a: np.vdot(ref.avg_pool2d(a, **kw), g), x, 6, rng)
    np.testing.assert_allclose([gx[i] for i in idxs], fd, rtol=1e-6, atol=1e-7)


def _naive_pool(x, kernel, stride, padding, dilation, ceil_mode, reduce):
    """Loop over output positions; ``reduce`` gets the in-bounds cells and the window."""
    h, w = x.shape[-2:]
    oh, ow = (ref.pool_output_size(n, k, s, p, d, ceil_mode)
              for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation, strict=True))
    y = np.zeros(x.shape[:-2] + (oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        rows = [i * stride[0] - padding[0] + a * dilation[0] for a in range(kernel[0])]
        cols = [j * stride[1] - padding[1] + b * dilation[1] for b in range(kernel[1])]
        inside = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
        y[..., i, j] = reduce(np.stack([x[..., r, c] for r, c in inside], -1), (i, j))
    return y


@pytest.mark.parametrize("case", POOL_SHAPES + POOL_PRODUCT[::7])
def test_pools_match_naive_loop(case: tuple) -> None:
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x = _rng("naive-pool", case).standard_normal(shape)
    expect = _naive_pool(x, *case[1:], lambda v, _: v.max(-1))
    np.testing.assert_array_equal(ref.max_pool2d(x, **_pool_kwargs(case)), expect)
    if dilation != (1, 1):
        return
    h, w = shape[-2:]

    def include_pad_mean(v, ij):
        # Window clipped to the padded extent (not the ceil_mode overhang).
        r0, c0 = (ij[0] * stride[0] - padding[0], ij[1] * stride[1] - padding[1])
        rh = min(r0 + kernel[0], h + padding[0]) - r0
        cw = min(c0 + kernel[1], w + padding[1]) - c0
        return v.sum(-1) / (rh * cw)

    for cip, fn in ((False, lambda v, _: v.mean(-1)), (True, include_pad_mean)):
        got = ref.avg_pool2d(x, kernel_size=kernel, stride=stride, padding=padding,
                             ceil_mode=ceil_mode, count_include_pad=cip)
        np.testing.assert_allclose(got, _naive_pool(x, *case[1:], fn), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", POOL_SHAPES)
def test_max_pool2d_grad_finite_difference(case: tuple) -> None:
    kw = _pool_kwargs(case)
    rng = _rng("max-fd", case)
    x = rng.permutation(np.prod(case[0])).reshape(case[0]).astype(np.float64)  # no ties
    g = rng.standard_normal(ref.max_pool2d(x, **kw).shape)
    gx = ref.max_pool2d_grad(g, x, **kw)
    idxs, fd = _finite_difference(lambda a: np.vdot(ref.max_pool2d(a, **kw), g), x, 8, rng)
    np.testing.assert_allclose([gx[i] for i in idxs], fd, rtol=1e-6, atol=1e-7)
    idx = ref.max_pool2d_indices(x, **kw)
    flat = x.reshape(*x.shape[:-2], -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.reshape(*idx.shape[:-2], -1), -1),
                                  ref.max_pool2d(x, **kw).reshape(*idx.shape[:-2], -1))


@pytest.mark.parametrize("shape, out", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_adjoint_and_naive(shape: tuple, out) -> None:
    rng = _rng("adaptive-self", shape, out)
    x = rng.standard_normal(shape)
    y = ref.adaptive_avg_pool2d(x, out)
    g = rng.standard_normal(y.shape)
    gx = ref.adaptive_avg_pool2d_grad(g, x.shape)
    np.testing.assert_allclose(np.vdot(x, gx), np.vdot(y, g), rtol=1e-10)
    h, w = shape[-2:]
    i, j = y.shape[-2] - 1, y.shape[-1] // 2   # one window, checked by its definition
    r0, r1 = i * h // y.shape[-2], -(-(i + 1) * h // y.shape[-2])
    c0, c1 = j * w // y.shape[-1], -(-(j + 1) * w // y.shape[-1])
    np.testing.assert_allclose(y[..., i, j], x[..., r0:r1, c0:c1].mean((-2, -1)), rtol=RTOL)


def test_output_sizes_by_hand() -> None:
    assert ref.conv_output_size(7, 3, 1, 0, 1) == 5
    assert ref.conv_output_size(11, 5, 2, 2, 2) == 4    # (11 + 4 - 8 - 1) // 2 + 1
    assert ref.pool_output_size(5, 2, 2, 1, 1, False) == 3
    assert ref.pool_output_size(5, 2, 2, 1, 1, True) == 3    # 4th window would start in pad
    assert ref.pool_output_size(6, 3, 2, 0, 1, True) == 3
    assert ref.pool_output_size(6, 3, 2, 0, 1, False) == 2


def test_dtype_preserved_float32() -> None:
    x = _rng("f32").standard_normal((2, 3, 7, 6)).astype(np.float32)
    pk = dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True)
    y = ref.max_pool2d(x, dilation=(1, 1), **pk)
    assert y.dtype == np.float32
    assert ref.max_pool2d_grad(np.ones_like(y), x, dilation=(1, 1), **pk).dtype == np.float32
    a = ref.avg_pool2d(x, count_include_pad=False, **pk)
    assert a.dtype == np.float32
    assert ref.avg_pool2d_grad(a, x.shape, count_include_pad=False, **pk).dtype == np.float32
    ad = ref.adaptive_avg_pool2d(x, (4, 4))
    assert ad.dtype == np.float32
    assert ref.adaptive_avg_pool2d_grad(ad, x.shape).dtype == np.float32


def test_bad_shapes_raise() -> None:
    x, w = np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3))
    with pytest.raises(ValueError):
        ref.conv2d(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=2)
    with pytest.raises(ValueError):
        ref.conv2d(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 3, 3)), stride=1, padding=0,
                   dilation=1, groups=1)
