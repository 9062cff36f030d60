"""The no-grad fast paths of the api-speed work against PyTorch: each case takes the branch
its fast path adds (batched 2-D bilinear ``grid_sample`` with every padding mode, ``mode`` on
few rows, ...), with the values and, where a tie or a position is chosen, the indices."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bilinear_2d_fast_path_matches_torch(dtype, padding_mode, align_corners):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 5, 6)).astype(dtype)
    x[0, 1, 2, 3] = np.inf  # an outside corner never reads a pixel: only points near it see it
    grid = rng.uniform(-1.4, 1.4, (3, 4, 7, 2)).astype(dtype)
    grid[1, 0, 0] = (-1.0, 1.0)  # on the corners and edges of the image
    grid[2, 1, 1] = (1.0, -1.0)
    args = (padding_mode, align_corners)
    want = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), "bilinear",
                                           *args).numpy()
    with tenkai.no_grad():
        got = F.grid_sample(tenkai.tensor(x), tenkai.tensor(grid), "bilinear", *args).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_grid_sample_fast_path_equals_the_recorded_composite():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, (2, 3, 3, 2)).astype(np.float32)
    with tenkai.no_grad():
        fast = F.grid_sample(tenkai.tensor(x), tenkai.tensor(grid), align_corners=False)
    xg = tenkai.tensor(x, requires_grad=True)
    recorded = F.grid_sample(xg, tenkai.tensor(grid), align_corners=False)
    np.testing.assert_array_equal(fast.numpy(), recorded.detach().numpy())


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
@pytest.mark.parametrize("shape,dim,keepdim", [((1, 64), 1, False), ((3, 9), -1, True),
                                               ((5, 4, 3), 0, False), ((7,), 0, False)])
def test_mode_counting_path_matches_torch(dtype, shape, dim, keepdim):
    rng = np.random.default_rng(5)
    lo = 0 if dtype == np.uint8 else -3
    x = rng.integers(lo, lo + 5, shape).astype(dtype)  # a narrow range: ties are common
    want = torch.mode(torch.tensor(x), dim, keepdim)
    got = tenkai.mode(tenkai.tensor(x), dim, keepdim)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    _check_mode_indices(x, dim, keepdim, got)


def _check_mode_indices(x, dim, keepdim, got):
    """PyTorch's index of a repeated mode depends on its unstable sort: the check is that the
    index holds the value, and that it is what the sorted-runs path picks (the last one)."""
    from tenkai._sorting import _mode_positions

    index = got.indices.numpy() if keepdim else np.expand_dims(got.indices.numpy(), dim)
    values = got.values.numpy() if keepdim else np.expand_dims(got.values.numpy(), dim)
    np.testing.assert_array_equal(np.take_along_axis(x, index, dim), values)
    rows = np.moveaxis(x, dim, -1).reshape(-1, x.shape[dim])
    np.testing.assert_array_equal(np.moveaxis(index, dim, -1).reshape(-1),
                                  _mode_positions(rows))


@pytest.mark.parametrize("values", [[-100, 100, 100, -100, 5], [0, 120, -128, 127, 127]])
def test_mode_wide_range_int8_matches_torch(values):
    x = np.array([values, values[::-1]], np.int8)  # range wider than int8 holds: no wrap
    want = torch.mode(torch.tensor(x), 1)
    got = tenkai.mode(tenkai.tensor(x), 1)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    _check_mode_indices(x, 1, False, got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduce", ["sum", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim,grads", [(0, (0, 1)), (1, (0, 1)), (0, (1,)), (1, (0,))])
def test_scatter_reduce_fused_gradient_matches_torch(dtype, reduce, include_self, dim, grads):
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, (3, 5)).astype(dtype)  # small integers: ties between elements
    index = rng.integers(0, x.shape[dim], (4, 5) if dim == 0 else (3, 4)).astype(np.int64)
    src = rng.integers(-2, 3, index.shape).astype(dtype)  # (PyTorch's backward wants it so)
    cot = rng.standard_normal(x.shape).astype(dtype)
    outs = []
    for lib in (torch, tenkai):
        a = lib.tensor(x, requires_grad=0 in grads)
        s = lib.tensor(src, requires_grad=1 in grads)
        y = a.scatter_reduce(dim, lib.tensor(index), s, reduce, include_self=include_self)
        (y * lib.tensor(cot)).sum().backward()
        outs.append([y.detach().numpy()] + [t.grad.numpy() for t in (a, s) if t.requires_grad])
    assert tenkai.tensor(x, requires_grad=True).scatter_reduce(
        dim, tenkai.tensor(index), tenkai.tensor(src), reduce).grad_fn.name() == \
        "ScatterReduceBackward0"
    for want, got in zip(*outs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_scatter_reduce_fused_double_backward_matches_torch():
    rng = np.random.default_rng(7)
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    index = rng.integers(0, 3, (5, 4))
    grads = []
    for lib in (torch, tenkai):
        a, s = lib.tensor(x, requires_grad=True), lib.tensor(src, requires_grad=True)
        y = a.scatter_reduce(0, lib.tensor(index), s, "sum")
        (g,) = lib.autograd.grad((y * y).sum(), s, create_graph=True)
        g.sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp_fused_gradient_matches_torch(dtype):
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((2, 4, 5)).astype(dtype)
    y[0, 0], x[1, 1], y[2, 2], x[3, 3] = x[0, 0], 60.0, -80.0, -np.inf  # tie, far apart, -inf
    got, want = [], []
    for lib, out in ((torch, want), (tenkai, got)):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        z = lib.logaddexp(a, b)
        (z * z).sum().backward()
        out += [z.detach().numpy(), a.grad.numpy(), b.grad.numpy()]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_logaddexp_fused_double_backward_matches_torch():
    x, y = np.random.default_rng(9).standard_normal((2, 3, 4))
    grads = []
    for lib in (torch, tenkai):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        (ga,) = lib.autograd.grad(lib.logaddexp(a, b).sum(), a, create_graph=True)
        (ga * ga).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-9)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_fused_2d_gradients_match_torch(dtype, align_corners):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 2, 4, 5)).astype(dtype)
    grid = rng.uniform(-1.5, 1.5, (3, 6, 3, 2)).astype(dtype)  # some corners outside
    cot = rng.standard_normal((3, 2, 6, 3)).astype(dtype)
    outs = []
    for lib in (torch, tenkai):
        a, g = lib.tensor(x, requires_grad=True), lib.tensor(grid, requires_grad=True)
        y = lib.nn.functional.grid_sample(a, g, align_corners=align_corners)
        (y * lib.tensor(cot)).sum().backward()
        outs.append((y.detach().numpy(), a.grad.numpy(), g.grad.numpy()))
    for got, want in zip(outs[1], outs[0], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [2, 1, 0, 3.5, float("inf"), -float("inf")])
@pytest.mark.parametrize("shapes", [((8, 4), (8, 4)), ((3, 1, 5), (4, 1)), ((), ())])
def test_dist_fast_path_matches_torch_and_the_composite(dtype, p, shapes):
    rng = np.random.default_rng(11)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    if a.ndim:
        a.reshape(-1)[0] = b.reshape(-1)[0] if b.ndim == a.ndim else a.reshape(-1)[0]
    want = torch.dist(torch.tensor(a), torch.tensor(b), p).numpy()
    got = tenkai.dist(tenkai.tensor(a), tenkai.tensor(b), p)
    recorded = tenkai.dist(tenkai.tensor(a, requires_grad=True), tenkai.tensor(b), p)
    assert got.dtype == recorded.dtype and got.shape == recorded.shape == ()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(got.numpy(), recorded.detach().numpy(), rtol=1e-6)


def test_dist_of_empty_tensors_keeps_the_composite():
    empty = tenkai.zeros(0, 3)
    assert tenkai.dist(empty, empty).item() == torch.dist(torch.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(RuntimeError, match="vector_norm cannot compute the inf norm"):
        tenkai.dist(empty, empty, float("inf"))


@pytest.mark.parametrize("mode,shape,kw", [
    ("bilinear", (1, 2, 3, 4), dict(scale_factor=2)),
    ("bilinear", (2, 1, 4, 4), dict(size=(3, 7), align_corners=True)),
    ("nearest", (1, 2, 3, 4), dict(scale_factor=2)),
    ("bicubic", (1, 1, 4, 5), dict(size=(6, 3))),
    ("trilinear", (1, 1, 2, 3, 4), dict(scale_factor=1.5)),
    ("linear", (2, 3, 5), dict(size=8))])
def test_interpolate_cached_tap_weights_match_torch_in_each_dtype(mode, shape, kw):
    rng = np.random.default_rng(12)
    for dtype in (np.float32, np.float64, np.float32):  # one cache entry per dtype
        x = rng.standard_normal(shape).astype(dtype)
        want = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kw).numpy()
        got = F.interpolate(tenkai.tensor(x), mode=mode, **kw).numpy()
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("a,b", [
    (np.float32(1.5), np.float32(-2.0)),  # 0-d: numpy's scalar result made an array
    (np.array([np.inf, -np.inf, np.nan, 1.0, np.inf, -np.inf], np.float32),
     np.array([np.inf, -np.inf, 1.0, np.nan, -np.inf, 3.0], np.float32)),
    (np.ones((3, 1)), np.arange(4.0))])
def test_logaddexp_in_place_fast_path_matches_torch(a, b):
    want = torch.logaddexp(torch.tensor(a), torch.tensor(b)).numpy()
    got = tenkai.logaddexp(tenkai.tensor(a), tenkai.tensor(b)).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,normalized", [((2, 3, 4), (4,)), ((2, 3, 4, 5), (4, 5)),
                                              ((6,), (6,))])
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_fast_path_matches_torch(dtype, shape, normalized, affine):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(normalized).astype(dtype) if affine != "none" else None
    b = rng.standard_normal(normalized).astype(dtype) if affine == "both" else None

    def run(lib):
        w_t, b_t = (None if a is None else lib.tensor(a) for a in (w, b))
        return lib.nn.functional.layer_norm(lib.tensor(x), normalized, w_t, b_t)
    got, want = run(tenkai).numpy(), run(torch).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), -float("inf")])
def test_poisson_rejects_bad_rates_like_torch(bad):
    rates = np.array([1.0, bad, 2.0], np.float32)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        torch.poisson(torch.tensor(rates))
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be "
                                           "non-negative"):
        tenkai.poisson(tenkai.tensor(rates))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 5, 63])
def test_topk_partition_path_matches_torch(dtype, largest, k):
    x = np.random.default_rng(14).standard_normal((128, 64)).astype(dtype)  # 8192 elements
    want = torch.topk(torch.tensor(x), k, 1, largest)
    got = tenkai.topk(tenkai.tensor(x), k, 1, largest)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_topk_partition_path_equals_the_stable_sort_with_ties(largest):
    from tenkai._sorting import _order, _top_rows

    rng = np.random.default_rng(15)
    x = rng.integers(-3, 4, (128, 64)).astype(np.float32)  # ties at the k-th value: the sort
    x[:64] = rng.standard_normal((64, 64))  # some rows without ties
    x[100, 7] = np.nan  # a nan: the sort
    got = tenkai.topk(tenkai.tensor(x), 6, 1, largest)
    want = _order(x, 1, largest)[:, :6]
    np.testing.assert_array_equal(got.indices.numpy(), want)
    np.testing.assert_array_equal(got.values.numpy(), np.take_along_axis(x, want, 1))
    y = x[:64]
    np.testing.assert_array_equal(_top_rows(y, 6, largest), _order(y, 1, largest)[:, :6])
    assert _top_rows(x, 6, largest) is None
