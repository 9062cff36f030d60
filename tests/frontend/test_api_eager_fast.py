"""Eager fast paths (``tenkai._eager_fast``): when nothing records, composite ops compute their
value in numpy. Each case runs three ways and must agree: the fast path (plain inputs), the
composite (the same inputs requiring grad, so the op is recorded) and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tenkai
from tenkai import _eager_fast

torch = pytest.importorskip("torch")
F = "nn.functional"


def _f(*shape: int, seed: int = 0, lo: float | None = None, hi: float | None = None):
    rng = np.random.default_rng(seed + len(shape))
    if lo is None:
        return rng.standard_normal(shape).astype(np.float32)
    return rng.uniform(lo, hi, shape).astype(np.float32)


def _fn(lib, name: str):
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, 3.5, -2.0],
                   np.float32)

CASES = [
    ("cumsum", lambda L, x: L.cumsum(x, 1), [_f(3, 5)]),
    ("cumprod", lambda L, x: L.cumprod(x, 0), [_f(4, 3)]),
    ("logcumsumexp", lambda L, x: L.logcumsumexp(x, 1), [_f(3, 6)]),
    ("cummax", lambda L, x: L.cummax(x, 1).values, [_f(3, 6)]),
    ("cummin", lambda L, x: L.cummin(x, 0).values, [_f(5, 2)]),
    ("diff", lambda L, x: L.diff(x, 2, 0), [_f(5, 3)]),
    ("roll", lambda L, x: L.roll(x, (1, -2), (0, 1)), [_f(3, 4)]),
    ("flip", lambda L, x: L.flip(x, (0, 1)), [_f(3, 4)]),
    ("addmm", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2), [_f(3, 4), _f(3, 5),
                                                                        _f(5, 4)]),
    ("addmv", lambda L, c, a, b: L.addmv(c, a, b), [_f(3), _f(3, 5), _f(5)]),
    ("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b), [_f(2, 3, 4), _f(2, 3, 5),
                                                         _f(2, 5, 4)]),
    ("addbmm", lambda L, c, a, b: L.addbmm(c, a, b), [_f(3, 4), _f(2, 3, 5), _f(2, 5, 4)]),
    ("addcmul", lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), [_f(3, 4), _f(1, 4),
                                                                    _f(3, 1)]),
    ("addcdiv", lambda L, a, b, c: L.addcdiv(a, b, c, value=2), [_f(3, 4), _f(3, 4),
                                                                  _f(3, 4, lo=0.5, hi=2)]),
    ("kron", lambda L, a, b: L.kron(a, b), [_f(2, 3), _f(2, 2)]),
    ("cross", lambda L, a, b: L.linalg.cross(a, b), [_f(4, 3), _f(1, 3)]),
    ("cross dim 0 broadcast", lambda L, a, b: L.linalg.cross(a, b, dim=0),
     [_f(3, 40, 30), _f(3, 1, 30)]),
    ("outer", lambda L, a, b: L.outer(a, b), [_f(5), _f(3)]),
    ("sinc 0-d", lambda L, x: L.sinc(x), [np.float32(0.0)]),
    ("tensordot", lambda L, a, b: L.tensordot(a, b, dims=([1], [0])), [_f(3, 4), _f(4, 2)]),
    ("einsum", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [_f(2, 3, 4), _f(2, 4, 5)]),
    ("diagonal", lambda L, x: L.diagonal(x, 1, 0, 2), [_f(3, 2, 4)]),
    ("diag_embed", lambda L, x: L.diag_embed(x, -1), [_f(2, 3)]),
    ("diag", lambda L, x: L.diag(x, 2), [_f(3)]),
    ("diag below", lambda L, x: L.diag(x, -1), [_f(4)]),
    ("diag_embed offset 2", lambda L, x: L.diag_embed(x, 2), [_f(2, 3, 2)]),
    ("cumsum dim 0", lambda L, x: L.cumsum(x, 0), [_f(4, 3)]),
    ("cumprod 3-d dim 1", lambda L, x: L.cumprod(x, 1), [_f(2, 5, 3)]),
    ("logcumsumexp dim 0", lambda L, x: L.logcumsumexp(x * 30, 0), [_f(5, 2)]),
    ("tril", lambda L, x: L.tril(x, -1), [_f(4, 3)]),
    ("triu", lambda L, x: L.triu(x, 1), [_f(2, 3, 4)]),
    ("tril wide", lambda L, x: L.tril(x, 2), [_f(2, 3, 6)]),
    ("triu tall", lambda L, x: L.triu(x, -2), [_f(6, 3)]),
    ("trace", lambda L, x: L.trace(x), [_f(3, 4)]),
    ("logaddexp", lambda L, x, y: L.logaddexp(x, y), [SPECIAL[:, None], SPECIAL[None, :]]),
    ("logaddexp2", lambda L, x, y: L.logaddexp2(x, y), [_f(3, 4), _f(3, 4)]),
    ("xlogy", lambda L, x, y: L.xlogy(x, y), [SPECIAL[:, None], np.abs(SPECIAL)[None, :]]),
    ("sinc", lambda L, x: L.sinc(x), [SPECIAL]),
    ("nan_to_num", lambda L, x: L.nan_to_num(x, 1.0, 2.0), [SPECIAL]),
    ("nan_to_num finite", lambda L, x: L.nan_to_num(x), [_f(3, 4)]),
    ("cdist mm", lambda L, a, b: L.cdist(a, b), [_f(30, 4), _f(27, 4)]),
    ("cdist p=1", lambda L, a, b: L.cdist(a, b, 1.0), [_f(5, 4), _f(6, 4)]),
    ("cov", lambda L, x: L.cov(x), [_f(3, 7)]),
    ("corrcoef", lambda L, x: L.corrcoef(x), [_f(3, 7)]),
    ("norm 3", lambda L, x: L.norm(x, 3, 1), [_f(3, 4)]),
    ("vector_norm inf", lambda L, x: L.linalg.vector_norm(x, math.inf), [_f(3, 4)]),
    ("linalg.norm", lambda L, x: L.linalg.norm(x), [_f(3, 4)]),
    ("matrix_power", lambda L, x: L.linalg.matrix_power(x, 5), [_f(2, 4, 4)]),
    ("matrix_power inv", lambda L, x: L.linalg.matrix_power(x, -2),
     [_f(3, 3) + 3 * np.eye(3, dtype=np.float32)]),
    ("linalg.norm blocks", lambda L, x: L.linalg.norm(x, keepdim=True), [_f(70, 300)]),
    ("norm all dims", lambda L, x: L.norm(x, dim=(0, 1)), [_f(3, 4)]),
    ("remainder", lambda L, x, y: L.remainder(x, y),
     [np.concatenate([_f(20), SPECIAL]), np.concatenate([_f(20, seed=1), SPECIAL[::-1]])]),
    ("remainder scalar", lambda L, x: L.remainder(x, -1.5), [_f(3, 4)]),
    ("rsub remainder", lambda L, x: L.remainder(2.5, x), [_f(3, 4)]),
    ("solve", lambda L, a, b: L.linalg.solve(a, b),
     [_f(2, 3, 3) + 3 * np.eye(3, dtype=np.float32), _f(2, 3, 2)]),
    ("grid_sample", lambda L, x, g: _fn(L, F).grid_sample(x, g, align_corners=False),
     [_f(1, 2, 4, 5), _f(1, 3, 3, 2, lo=-1.2, hi=1.2)]),
    ("grid_sample nearest reflection",
     lambda L, x, g: _fn(L, F).grid_sample(x, g, "nearest", "reflection", True),
     [_f(1, 2, 4, 5), _f(1, 3, 3, 2, lo=-1.2, hi=1.2)]),
    ("layer_norm", lambda L, x: _fn(L, F).layer_norm(x, (4,)), [_f(3, 4)]),
    ("group_norm", lambda L, x: _fn(L, F).group_norm(x, 2), [_f(2, 4, 3)]),
    ("instance_norm", lambda L, x: _fn(L, F).instance_norm(x), [_f(2, 3, 5)]),
    ("pad reflect", lambda L, x: _fn(L, F).pad(x, (1, 2, 2, 1), mode="reflect"),
     [_f(1, 2, 4, 4)]),
    ("pad circular", lambda L, x: _fn(L, F).pad(x, (1, 2), mode="circular"), [_f(1, 2, 4)]),
    ("pad constant", lambda L, x: _fn(L, F).pad(x, (1, 2), value=1.5), [_f(2, 3)]),
    ("interpolate bilinear",
     lambda L, x: _fn(L, F).interpolate(x, scale_factor=2, mode="bilinear"), [_f(1, 2, 3, 4)]),
    ("interpolate bicubic",
     lambda L, x: _fn(L, F).interpolate(x, size=(5, 3), mode="bicubic", align_corners=True),
     [_f(1, 2, 3, 4)]),
    ("pixel_shuffle", lambda L, x: _fn(L, F).pixel_shuffle(x, 2), [_f(1, 8, 2, 3)]),
    ("unfold", lambda L, x: _fn(L, F).unfold(x, 2, padding=1, stride=2), [_f(1, 2, 4, 5)]),
    ("sdpa causal", lambda L, q, k, v: _fn(L, F).scaled_dot_product_attention(
        q, k, v, is_causal=True), [_f(2, 4, 3), _f(2, 5, 3), _f(2, 5, 2)]),
    ("take", lambda L, x: L.take(x, L.tensor([0, -1, 5])), [_f(2, 3)]),
    ("take_along_dim", lambda L, x: L.take_along_dim(x, L.tensor([[2], [0]]), 1), [_f(2, 3)]),
    ("index_copy", lambda L, x, s: x.index_copy(0, L.tensor([2, 0]), s), [_f(3, 2), _f(2, 2)]),
    ("index_fill", lambda L, x: x.index_fill(1, L.tensor([1]), -2.0), [_f(3, 2)]),
    ("index_fill negative", lambda L, x: x.index_fill(0, L.tensor([-1, 0]), 2), [_f(3, 2)]),
    ("index_copy dim 1", lambda L, x, s: x.index_copy(1, L.tensor([1, 0]), s),
     [_f(3, 2), _f(3, 2)]),
    ("masked_scatter", lambda L, x, s: x.masked_scatter(x > 0, s), [_f(3, 4), _f(12)]),
    ("scatter_reduce sum", lambda L, x, s: x.scatter_reduce(0, L.tensor([[1, 0], [1, 1]]), s,
                                                           "sum"), [_f(2, 2), _f(2, 2)]),
    ("scatter_reduce amax 3-d dim 1 no self",
     lambda L, x, s: x.transpose(0, 2).scatter_reduce(1, L.tensor([[[2, 0], [2, 1]]]), s,
                                                      "amax", include_self=False),
     [_f(4, 3, 2), _f(1, 3, 3)]),
    ("scatter_reduce sum smaller index", lambda L, x, s: x.scatter_reduce(
        1, L.tensor([[3, 3, 0], [1, 3, 3]]), s, "sum"), [_f(3, 4), _f(2, 5)]),
    ("pad replicate", lambda L, x: _fn(L, F).pad(x, (2, 0, 1, 3), mode="replicate"),
     [_f(1, 2, 3, 4)]),
    ("fold", lambda L, x: _fn(L, F).fold(x, (5, 7), 2, dilation=(2, 1), padding=1,
                                          stride=(1, 2)), [_f(2, 8, 20)]),
    ("embedding_bag mean", lambda L, w: _fn(L, F).embedding_bag(
        L.tensor([1, 2, 4, 5, 4, 3, 2]), w, L.tensor([0, 2, 2, 5]), mode="mean"), [_f(6, 3)]),
    ("sort", lambda L, x: L.sort(x, 1).values, [_f(3, 5)]),
    ("topk", lambda L, x: L.topk(x, 2, 0).values, [_f(4, 3)]),
    ("mode", lambda L, x: L.mode(x, 0).values, [np.round(_f(6, 4))]),
    ("kthvalue", lambda L, x: L.kthvalue(x, 2, 1, True).values, [_f(3, 5)]),
    ("cummax 0-d", lambda L, x: L.cummax(x, 0).values, [np.float32(1.5)]),
    ("einsum permuted", lambda L, a, b: L.einsum("bij,bkj->kbi", a, b),
     [_f(2, 3, 4), _f(2, 5, 4)]),
    ("einsum lone sum", lambda L, a, b: L.einsum("ij,jk->k", a, b), [_f(3, 4), _f(4, 2)]),
    ("normalize", lambda L, x: _fn(L, F).normalize(x, 3.0, 0), [_f(3, 4)]),
    ("cosine_similarity", lambda L, a, b: _fn(L, F).cosine_similarity(a, b, -1),
     [_f(3, 4), _f(1, 4)]),
    ("pairwise_distance", lambda L, a, b: _fn(L, F).pairwise_distance(a, b, 1.0, keepdim=True),
     [_f(3, 4), _f(3, 4, seed=1)]),
    ("eigvalsh", lambda L, x: L.linalg.eigh(x, "U").eigenvalues, [_f(2, 3, 3)]),
    ("pinv", lambda L, x: L.linalg.pinv(x, rtol=0.1), [_f(4, 3)]),
    ("group_norm affine", lambda L, x, w, b: _fn(L, F).group_norm(x, 2, w, b),
     [_f(2, 4, 3), _f(4), _f(4, seed=1)]),
    ("conv_transpose2d", lambda L, x, w, b: _fn(L, F).conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1), [_f(2, 3, 4, 5), _f(3, 2, 3, 3), _f(2)]),
    ("conv_transpose2d 3-D dilated", lambda L, x, w: _fn(L, F).conv_transpose2d(
        x, w, stride=(1, 2), dilation=2), [_f(3, 4, 5), _f(3, 2, 2, 3)]),
]


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_fast_path_matches_composite_and_torch(name, fn, arrays):
    plain = fn(tenkai, *[tenkai.tensor(a) for a in arrays])
    assert plain.grad_fn is None
    recorded = fn(tenkai, *[tenkai.tensor(a, requires_grad=True) for a in arrays])
    assert recorded.requires_grad  # the composite ran
    want = fn(torch, *[torch.tensor(a) for a in arrays]).numpy()
    for got in (plain.numpy(), recorded.detach().numpy()):
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_fast_path_results_own_their_memory(name, fn, arrays):
    """A fast path's result (taken without a copy when it is fresh) shares no memory with its
    inputs and is writable and C-contiguous, like any eager result."""
    inputs = [tenkai.tensor(a) for a in arrays]
    out = fn(tenkai, *inputs)
    assert out._data.flags.writeable and out._data.flags.c_contiguous, name
    for t in inputs:
        assert not np.shares_memory(out._data, t._data), name


@pytest.mark.parametrize("x", [np.array([[0.0, 1, 0], [2, 0, 3]], np.float32), np.zeros((2, 0)),
                               np.array(3.0), np.array(0.0), np.array([[True, False]])])
def test_nonzero_and_count_nonzero_match_torch(x):
    want, got = torch.nonzero(torch.tensor(x)), tenkai.nonzero(tenkai.tensor(x))
    assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    for dim in (None, 0) if x.ndim else (None,):
        want, got = torch.count_nonzero(torch.tensor(x), dim), tenkai.count_nonzero(
            tenkai.tensor(x), dim)
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_plain_means_nothing_records():
    x = tenkai.ones(2, requires_grad=True)
    assert not _eager_fast.plain(x)
    with tenkai.no_grad():
        assert _eager_fast.plain(x)
    assert _eager_fast.plain(tenkai.ones(2))
    assert not _eager_fast.plain_float(tenkai.ones(2, dtype=tenkai.int64))


def test_traced_steps_take_the_composites():
    def step(x):
        return tenkai.cumsum(x, 0) + tenkai.flip(x, (0,)) + tenkai.tril(x.reshape(2, 2)).sum()
    x = tenkai.tensor(np.arange(4, dtype=np.float32))
    compiled = tenkai.compile(step, backend="interp")
    np.testing.assert_allclose(compiled(x).numpy(), step(x).numpy())
    y = tenkai.tensor(np.arange(4, 8, dtype=np.float32))  # the same graph on other values
    np.testing.assert_allclose(compiled(y).numpy(), step(y).numpy())


@pytest.mark.slow  # every op of the suite once (~3 s)
def test_bench_api_suite_runs_and_formats():
    from tenkai import _bench_eager, _bench_eager_api

    for case, size, backward in _bench_eager_api.rows_to_time():
        if size == "small":  # every op of the suite runs in tenkai (medium: the benchmark)
            _bench_eager_api.make_call(case, tenkai, size, backward)()
    rows = _bench_eager.run_api(repeats=1, budget=1e-4, threads=1, only=["sin", "fold"])
    assert [r["op"] for r in rows] == ["sin", "sin bwd", "sin", "sin bwd", "fold", "fold bwd",
                                       "fold", "fold bwd"]
    assert all("ratio" in r for r in rows), [r for r in rows if "ratio" not in r]
    text = _bench_eager.format_api_rows(rows)
    assert "small:" in text and "medium:" in text and "geometric mean" in text


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_equal_bags_add_in_order_like_torch(mode):
    """Bags of one size (a 2-D input, or offsets every ``L``) are one reduction over the bag
    axis, adding each bag's rows in order: PyTorch's order, so the same bits."""
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((50, 6)) * rng.uniform(1e-3, 1e3, (50, 1))).astype(np.float32)
    idx = rng.integers(0, 50, (9, 13))
    got = _fn(tenkai, F).embedding_bag(tenkai.tensor(idx), tenkai.tensor(w), mode=mode)
    want = _fn(torch, F).embedding_bag(torch.tensor(idx), torch.tensor(w), mode=mode)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    flat = idx.reshape(-1)
    offsets = np.arange(0, flat.size, 13)
    got = _fn(tenkai, F).embedding_bag(tenkai.tensor(flat), tenkai.tensor(w),
                                       tenkai.tensor(offsets), mode=mode)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    last = tenkai.tensor(np.r_[offsets, flat.size].astype(np.int32))
    got = _fn(tenkai, F).embedding_bag(tenkai.tensor(flat), tenkai.tensor(w), last, mode=mode,
                                       include_last_offset=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    wt = tenkai.tensor(w, requires_grad=True)  # the fused step's forward: the same bits
    got = _fn(tenkai, F).embedding_bag(tenkai.tensor(flat), wt, tenkai.tensor(offsets), mode=mode)
    np.testing.assert_array_equal(got.detach().numpy(), want.numpy())
    uneven = np.r_[0, 5, offsets[2:]]  # bags of different sizes: the general path
    got = _fn(tenkai, F).embedding_bag(tenkai.tensor(flat), tenkai.tensor(w),
                                       tenkai.tensor(uneven), mode=mode)
    want = _fn(torch, F).embedding_bag(torch.tensor(flat), torch.tensor(w),
                                       torch.tensor(uneven), mode=mode)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-3)  # rows ~1e3
    with pytest.raises(IndexError):  # an index out of range: the general path's error
        _fn(tenkai, F).embedding_bag(tenkai.tensor(flat + 1), tenkai.tensor(w),
                                     tenkai.tensor(offsets), mode=mode)


@pytest.mark.parametrize(("size", "k", "d", "p", "s"), [
    ((4, 4), 3, 1, 0, 1), ((5, 6), (2, 3), (2, 1), 1, (1, 2)), ((6, 6), 2, 1, 0, 3),
    ((5, 5), 1, 1, 1, 1)])
def test_fold_gather_adds_like_the_strided_adds(size, k, d, p, s):
    """Small folds gather each cell's contributions and sum them in kernel-position order:
    the same bits as one strided add per kernel position, and PyTorch's values."""
    from tenkai.nn import _im2col as R

    g = R._geometry(size, k, d, p, s, "fold")
    (kh, kw), blocks = g[0], g[6]
    x = np.random.default_rng(7).standard_normal((2, 3 * kh * kw, blocks[0] * blocks[1]))
    x = x.astype(np.float32)
    got = R._fold_array(x, size, g)
    strided = R._fold_data(x.reshape(2, 3, kh, kw, *blocks), g[5], g[1], g[3])
    np.testing.assert_array_equal(got, strided[:, :, g[2][0]:g[2][0] + size[0],
                                               g[2][1]:g[2][1] + size[1]])
    want = torch.nn.functional.fold(torch.tensor(x), size, k, d, p, s).numpy()
    np.testing.assert_allclose(_fn(tenkai, F).fold(tenkai.tensor(x), size, k, d, p, s).numpy(),
                               want, rtol=1e-6, atol=1e-6)
    cols = _fn(tenkai, F).unfold(tenkai.tensor(want), k, d, p, s).numpy()
    np.testing.assert_array_equal(cols, torch.nn.functional.unfold(torch.tensor(want), k, d, p,
                                                                   s).numpy())


@pytest.mark.parametrize("shape", [(4, 2), (2, 3, 5), (3, 3)])
def test_svd_fast_path_is_the_ops_values(shape):
    """Eager svd without recording takes U, S, Vh from one factorization: the registry ops'
    values bit for bit (the recorded call), S as PyTorch's, and U diag(S) Vh = A."""
    a = _f(*shape)
    plain = tenkai.linalg.svd(tenkai.tensor(a), full_matrices=False)
    recorded = tenkai.linalg.svd(tenkai.tensor(a, requires_grad=True), full_matrices=False)
    assert plain.U.grad_fn is None and recorded.U.grad_fn is not None
    for p, r in zip(plain, recorded, strict=True):
        np.testing.assert_array_equal(p.numpy(), r.detach().numpy())
        assert p._data.flags.c_contiguous and p.dtype == tenkai.float32
    want = torch.linalg.svdvals(torch.tensor(a)).numpy()
    np.testing.assert_allclose(plain.S.numpy(), want, rtol=1e-5, atol=1e-6)
    u, s, vh = (t.numpy() for t in plain)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, rtol=1e-4, atol=1e-5)
    pinv = tenkai.linalg.pinv(tenkai.tensor(a)).numpy()
    np.testing.assert_allclose(pinv, torch.linalg.pinv(torch.tensor(a)).numpy(), rtol=1e-4,
                               atol=1e-5)
