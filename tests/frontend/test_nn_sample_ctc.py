"""MaxUnpool, EmbeddingBag, CTCLoss, grid_sample / affine_grid, ConvTranspose3d and
CrossMapLRN2d against PyTorch in float32 and float64, forward and backward; module reprs;
the errors; and a compiled step through the new composites against eager."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}


def _compare(torch_fn, tenkai_fn, arrays, grad_of, dtype, cotangent_seed=0):
    """Run both on copies of ``arrays``; compare the output and the gradients of the
    arrays at positions ``grad_of`` for a random cotangent."""
    tt = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    kt = [tenkai.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    out_t, out_k = torch_fn(*tt), tenkai_fn(*kt)
    np.testing.assert_allclose(out_k.detach().numpy(), out_t.detach().numpy(), **TOL[dtype])
    if not grad_of:
        return out_t, out_k
    g = np.random.default_rng(cotangent_seed).standard_normal(out_t.shape).astype(dtype)
    out_t.backward(torch.tensor(g))
    (out_k * tenkai.tensor(g)).sum().backward()
    for i in grad_of:
        expect = tt[i].grad.numpy() if tt[i].grad is not None else np.zeros_like(arrays[i])
        got = kt[i].grad.numpy() if kt[i].grad is not None else np.zeros_like(arrays[i])
        np.testing.assert_allclose(got, expect, **TOL[dtype], err_msg=f"gradient {i}")
    return out_t, out_k


# ---------------------------------------------------------------- max_unpool


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_matches_torch(n, dtype):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, 3) + (6,) * n).astype(dtype)
    pool = getattr(torch.nn.functional, f"max_pool{n}d")
    pooled, idx = pool(torch.tensor(x), 2, stride=2, return_indices=True)
    tf, kf = (getattr(m, f"max_unpool{n}d") for m in (torch.nn.functional, F))
    ti, ki = idx, tenkai.tensor(idx.numpy())
    out_t, out_k = _compare(lambda p: tf(p, ti, 2), lambda p: kf(p, ki, 2),
                            [pooled.numpy()], [0], dtype)
    assert out_k.grad_fn.name() == out_t.grad_fn.name()
    # explicit output_size (one larger than the default) and the unbatched form
    size = [7] * n
    _compare(lambda p: tf(p, ti, 2, output_size=size), lambda p: kf(p, ki, 2, output_size=size),
             [pooled.numpy()], [0], dtype)
    _compare(lambda p: tf(p, ti[0], 2), lambda p: kf(p, ki[0], 2), [pooled.numpy()[0]], [0],
             dtype)


def test_max_unpool_module_repr_and_errors():
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))
    assert repr(nn.MaxUnpool3d((2, 2, 2))) == repr(torch.nn.MaxUnpool3d((2, 2, 2)))
    x, idx = F.max_pool2d(tenkai.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(x, idx, 2, output_size=[9, 9])
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(x, idx * 0 + 99, 2)
    with pytest.raises(RuntimeError, match="same as that of the input"):
        F.max_unpool2d(x, idx[..., :1], 2)
    out = nn.MaxUnpool2d(2)(x, idx)
    assert tuple(out.shape) == (1, 1, 4, 4)


# ---------------------------------------------------------------- embedding_bag


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag_matches_torch(dtype, mode, padding_idx, last):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((10, 4)).astype(dtype)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0])
    offsets = np.array([0, 2, 2, 5, 9] if last else [0, 2, 2, 5])
    psw = rng.standard_normal(9).astype(dtype) if mode == "sum" else None

    def run(M, weight):
        kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=last)
        if psw is not None:
            kw["per_sample_weights"] = M.tensor(psw)
        return M.nn.functional.embedding_bag(M.tensor(idx), weight, M.tensor(offsets), **kw)

    out_t, out_k = _compare(lambda w_: run(torch, w_), lambda w_: run(tenkai, w_), [w], [0],
                            dtype)
    assert out_k.grad_fn.name() == "EmbeddingBagBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_2d_input_and_module(dtype):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((7, 3)).astype(dtype)
    idx = np.array([[1, 2, 3], [6, 6, 0]])
    _compare(lambda w_: torch.nn.functional.embedding_bag(torch.tensor(idx), w_, mode="max"),
             lambda w_: F.embedding_bag(tenkai.tensor(idx), w_, mode="max"), [w], [0], dtype)
    bag_t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum", padding_idx=0)
    bag_k = nn.EmbeddingBag.from_pretrained(tenkai.tensor(w), mode="sum", padding_idx=0)
    assert repr(bag_k) == repr(bag_t)
    np.testing.assert_allclose(bag_k(tenkai.tensor(idx)).numpy(),
                               bag_t(torch.tensor(idx)).numpy(), **TOL[dtype])
    assert repr(nn.EmbeddingBag(10, 3)) == repr(torch.nn.EmbeddingBag(10, 3))


def test_embedding_bag_max_norm_renormalizes_the_used_rows_like_torch():
    w = np.random.default_rng(12).standard_normal((10, 3)) * 3
    idx, offsets = np.array([1, 2, 4, 5, 4]), np.array([0, 2])
    wt, wk = torch.tensor(w), tenkai.tensor(w)
    out_t = torch.nn.functional.embedding_bag(torch.tensor(idx), wt, torch.tensor(offsets),
                                              max_norm=1.0, mode="sum")
    out_k = F.embedding_bag(tenkai.tensor(idx), wk, tenkai.tensor(offsets), max_norm=1.0,
                            mode="sum")
    np.testing.assert_allclose(out_k.numpy(), out_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wk.numpy(), wt.numpy(), rtol=1e-12)  # renormed in place


def test_embedding_bag_errors():
    w = tenkai.randn(5, 2)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(tenkai.tensor([[1, 2]]), w, tenkai.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(tenkai.tensor([1, 2]), w)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(tenkai.tensor([1, 2]), w, tenkai.tensor([0]), mode="mean",
                        per_sample_weights=tenkai.ones(2))
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(tenkai.tensor([1, 2]), w, tenkai.tensor([0]), mode="min")
    with pytest.raises(NotImplementedError, match="embedding_bag: scale_grad_by_freq and sparse"):
        F.embedding_bag(tenkai.tensor([1, 2]), w, tenkai.tensor([0]), sparse=True)


# ---------------------------------------------------------------- ctc_loss


def _ctc_case(dtype):
    rng = np.random.default_rng(3)
    t, n, c, s = 12, 4, 6, 5
    logits = rng.standard_normal((t, n, c))
    lp = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(dtype)
    targets = rng.integers(1, c, (n, s))
    targets[1, 1] = targets[1, 0]  # a repeated label needs a blank between
    in_len = np.array([12, 10, 3, 12])  # sample 2 cannot emit 4 labels in 3 steps
    tg_len = np.array([5, 3, 4, 0])
    return lp, targets, in_len, tg_len


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("concat", [False, True])
def test_ctc_loss_matches_torch(dtype, reduction, concat):
    lp, targets, in_len, tg_len = _ctc_case(dtype)
    if concat:
        targets = np.concatenate([targets[i, :tg_len[i]] for i in range(len(tg_len))])

    def run(M, x, zero_infinity):
        return M.nn.functional.ctc_loss(x, M.tensor(targets), M.tensor(in_len),
                                        M.tensor(tg_len), reduction=reduction,
                                        zero_infinity=zero_infinity)

    out_t, out_k = _compare(lambda x: run(torch, x, True), lambda x: run(tenkai, x, True),
                            [lp], [0], dtype)
    # without zero_infinity the impossible sample is inf, like PyTorch
    inf_t = run(torch, torch.tensor(lp), False).numpy()
    inf_k = run(tenkai, tenkai.tensor(lp), False).numpy()
    np.testing.assert_allclose(inf_k, inf_t, **TOL[dtype])
    if reduction == "none":
        assert np.isinf(inf_k[2]) and out_k.grad_fn.name() == "CtcLossBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_loss_raw_scores_blank_and_module(dtype):
    """Gradients match PyTorch's also for log_probs that are not normalized, and for a
    non-zero blank; the module and the unbatched form."""
    rng = np.random.default_rng(4)
    lp = rng.standard_normal((8, 2, 5)).astype(dtype)
    targets = np.array([[0, 1, 1], [3, 0, 2]])
    for M in (torch, tenkai):
        assert repr(M.nn.CTCLoss(blank=4)) == "CTCLoss()"
    _compare(lambda x: torch.nn.CTCLoss(blank=4)(x, torch.tensor(targets), (8, 7), (3, 2)),
             lambda x: nn.CTCLoss(blank=4)(x, tenkai.tensor(targets), (8, 7), (3, 2)),
             [lp], [0], dtype)
    _compare(lambda x: torch.nn.functional.ctc_loss(x, torch.tensor(targets[0]), (8,), (3,),
                                                    blank=4, reduction="sum"),
             lambda x: F.ctc_loss(x, tenkai.tensor(targets[0]), (8,), (3,), blank=4,
                                  reduction="sum"),
             [lp[:, 0]], [0], dtype)


def test_ctc_loss_errors():
    lp = tenkai.randn(5, 2, 4).log_softmax(2)
    targets = tenkai.tensor([[1, 2], [1, 1]])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, targets, (5, 5), (2, 2), blank=4)
    with pytest.raises(RuntimeError, match="at most 5"):
        F.ctc_loss(lp, targets, (6, 5), (2, 2))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.ctc_loss(lp, targets, (5, 5), (2, 2), reduction="avg")
    with pytest.raises(RuntimeError, match="size at least 3 at dimension 1"):
        F.ctc_loss(lp, targets, (5, 5), (3, 2))
    with pytest.raises(RuntimeError, match="size 4 at dimension 0, but got size 3"):
        F.ctc_loss(lp, tenkai.tensor([1, 2, 1]), (5, 5), (2, 2))
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, targets, (5,), (2, 2))


# ---------------------------------------------------------------- grid_sample / affine_grid


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd, mode", [(2, "bilinear"), (2, "nearest"), (2, "bicubic"),
                                      (3, "bilinear"), (3, "nearest")])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(dtype, nd, mode, padding_mode, align_corners):
    rng = np.random.default_rng(5)
    img = rng.standard_normal((2, 3, 5, 7) if nd == 2 else (2, 2, 4, 5, 6)).astype(dtype)
    grid_shape = (2, 4, 6, 2) if nd == 2 else (2, 3, 4, 2, 3)
    grid = (rng.random(grid_shape) * 3 - 1.5).astype(dtype)  # inside and outside
    out_t, out_k = _compare(
        lambda a, g: torch.nn.functional.grid_sample(a, g, mode, padding_mode, align_corners),
        lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
        [img, grid], [0, 1], dtype)
    assert out_k.grad_fn.name() == out_t.grad_fn.name() == f"GridSampler{nd}DBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(dtype, align_corners):
    rng = np.random.default_rng(6)
    theta = rng.standard_normal((2, 2, 3)).astype(dtype)
    _compare(lambda t: torch.nn.functional.affine_grid(t, (2, 3, 4, 5), align_corners),
             lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners), [theta], [0], dtype)
    theta3 = rng.standard_normal((2, 3, 4)).astype(dtype)
    _compare(lambda t: torch.nn.functional.affine_grid(t, (2, 1, 3, 4, 5), align_corners),
             lambda t: F.affine_grid(t, (2, 1, 3, 4, 5), align_corners), [theta3], [0], dtype)


def test_grid_sample_errors_and_warning():
    img, grid = tenkai.randn(1, 1, 3, 3), tenkai.zeros(1, 2, 2, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(img, grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
            F.grid_sample(tenkai.randn(1, 1, 2, 2, 2), tenkai.zeros(1, 1, 1, 1, 3),
                          mode="bicubic")
        with pytest.raises(RuntimeError, match="expected grid to have size 2"):
            F.grid_sample(img, tenkai.zeros(1, 2, 2, 3))
        with pytest.raises(ValueError, match="expected padding_mode"):
            F.grid_sample(img, grid, padding_mode="wrap")
        with pytest.raises(ValueError, match="Nx2x3"):
            F.affine_grid(tenkai.zeros(1, 3, 4), (1, 1, 2, 2))


# ---------------------------------------------------------------- conv_transpose3d


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=(2, 1, 2), padding=1,
                                                             output_padding=(1, 0, 1)),
                                dict(groups=2, dilation=2, padding=(2, 0, 1))])
def test_conv_transpose3d_matches_torch(dtype, kw):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 3, 4, 5)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 2, 3)).astype(dtype)
    b = rng.standard_normal(3 * kw.get("groups", 1)).astype(dtype)
    _compare(lambda *a: torch.nn.functional.conv_transpose3d(*a, **kw),
             lambda *a: F.conv_transpose3d(*a, **kw), [x, w, b], [0, 1, 2], dtype)


def test_conv_transpose3d_module():
    tm = torch.nn.ConvTranspose3d(4, 2, 3, stride=2)
    km = nn.ConvTranspose3d(4, 2, 3, stride=2)
    assert repr(km) == repr(tm)
    km.weight.data = tenkai.tensor(tm.weight.detach().numpy())
    km.bias.data = tenkai.tensor(tm.bias.detach().numpy())
    x = np.random.default_rng(8).standard_normal((1, 4, 3, 3, 3)).astype(np.float32)
    got = km(tenkai.tensor(x), output_size=(8, 8, 8))
    want = tm(torch.tensor(x), output_size=(8, 8, 8))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)
    lazy = nn.LazyConvTranspose3d(2, 3)
    assert repr(lazy) == repr(torch.nn.LazyConvTranspose3d(2, 3))
    assert tuple(lazy(tenkai.randn(1, 5, 2, 2, 2)).shape) == (1, 2, 4, 4, 4)


# ---------------------------------------------------------------- CrossMapLRN2d, Container


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [2, 3, 5])
def test_cross_map_lrn2d_matches_torch(dtype, size):
    """Forward (PyTorch's running-sum window) and gradient (PyTorch's legacy backward,
    whose window differs from its forward's) both match."""
    x = np.random.default_rng(size).standard_normal((2, 7, 3, 4)).astype(dtype)
    tm, km = torch.nn.CrossMapLRN2d(size, 0.1, 0.75, 2), nn.CrossMapLRN2d(size, 0.1, 0.75, 2)
    assert repr(km) == repr(tm)
    _compare(tm, km, [x], [0], dtype)
    np.testing.assert_allclose(km(tenkai.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                               **TOL[dtype])
    with pytest.raises(ValueError, match="Expected input to be 4D"):
        km(tenkai.randn(2, 3, 4))


def test_container_is_deprecated_module():
    with pytest.warns(UserWarning, match="nn.Container is deprecated"):
        c = nn.Container(lin=nn.Linear(2, 3))
    assert [name for name, _ in c.named_children()] == ["lin"]


# ---------------------------------------------------------------- compiled


# the LLVM backend compiles this step in ~20 s on a busy machine: the full suite runs it
@pytest.mark.parametrize("backend", ["interp", pytest.param("tenkai", marks=pytest.mark.slow)])
def test_compiled_step_through_new_composites_follows_eager(backend):
    rng = np.random.default_rng(9)
    img = tenkai.tensor(rng.standard_normal((2, 2, 4, 4)).astype(np.float32))
    targets = tenkai.tensor([[1, 2], [2, 2]])
    idx = tenkai.tensor([1, 3, 3, 0, 2])
    offsets = tenkai.tensor([0, 2])

    def step(theta, table):
        grid = F.affine_grid(theta, (2, 2, 4, 4), align_corners=False)
        sampled = F.grid_sample(img, grid, align_corners=False)           # (2, 2, 4, 4)
        pooled, where = F.max_pool2d(sampled, 2, return_indices=True)
        restored = F.max_unpool2d(pooled, where, 2)
        bags = F.embedding_bag(idx, table, offsets, mode="mean")          # (2, 3)
        scores = restored.reshape(2, 2, 16).permute(2, 0, 1)[:, :, :1] + bags[None]
        lp = scores.log_softmax(2)
        loss = F.ctc_loss(lp, targets, (16, 16), (2, 2))
        loss.backward()
        return loss

    def run(fn):
        theta = tenkai.tensor(np.tile(np.eye(2, 3), (2, 1, 1)).astype(np.float32)
                              + 0.1, requires_grad=True)
        table = tenkai.tensor(rng_table, requires_grad=True)
        loss = fn(theta, table)
        return loss.item(), theta.grad.numpy().copy(), table.grad.numpy().copy()

    rng_table = np.random.default_rng(10).standard_normal((4, 3)).astype(np.float32)
    eager = run(step)
    compiled_fn = tenkai.compile(step, backend=backend)
    for _ in range(2):
        compiled = run(compiled_fn)
        np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
        for a, b in zip(eager[1:], compiled[1:], strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    assert compiled_fn.stats["replays"] >= 1
