"""3-D max pooling with indices, fractional max pooling, conv_tbc, linear_cross_entropy
and F's override / dispatch helpers against PyTorch (float32 and float64, forward and
backward)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}


def _grads(out_t, out_k, leaves, dtype, seed=0):
    g = np.random.default_rng(seed).standard_normal(tuple(out_t.shape)).astype(dtype)
    out_t.backward(torch.tensor(g))
    (out_k * tenkai.tensor(g)).sum().backward()
    for lt, lk in leaves:
        np.testing.assert_allclose(lk.grad.numpy(), lt.grad.numpy(), **TOL[dtype])


def _leaf(a):
    return torch.tensor(a, requires_grad=True), tenkai.tensor(a, requires_grad=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3, 2), dilation=(2, 1, 1), stride=2,
                                     ceil_mode=True)])
def test_max_pool3d_with_indices_matches_torch(dtype, kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7, 5)).astype(dtype)
    xt, xk = _leaf(x)
    vt, it = torch.nn.functional.max_pool3d(xt, return_indices=True, **kw)
    vk, ik = F.max_pool3d(xk, return_indices=True, **kw)
    np.testing.assert_allclose(vk.detach().numpy(), vt.detach().numpy())
    np.testing.assert_array_equal(ik.numpy(), it.numpy())
    assert vk.grad_fn.name() == vt.grad_fn.name()
    _grads(vt, vk, [(xt, xk)], dtype)
    # the module, the *_with_indices name and a round trip through MaxUnpool3d
    vk2, ik2 = nn.MaxPool3d(2, return_indices=True)(tenkai.tensor(x[0]))
    np.testing.assert_array_equal(
        ik2.numpy(), torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x[0]))[1].numpy())
    assert F.max_pool3d_with_indices(tenkai.tensor(x), 2)[1].dtype == tenkai.int64
    back = nn.MaxUnpool3d(2)(vk2, ik2, output_size=(6, 7, 5))
    want = torch.nn.MaxUnpool3d(2)(*torch.nn.MaxPool3d(2, return_indices=True)(
        torch.tensor(x[0])), output_size=(6, 7, 5))
    np.testing.assert_allclose(back.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [2, (3, None, 2), (4, 5, 3)])
def test_adaptive_max_pool3d_with_indices_matches_torch(dtype, size):
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 7, 5)).astype(dtype)
    xt, xk = _leaf(x)
    vt, it = torch.nn.functional.adaptive_max_pool3d(xt, size, return_indices=True)
    vk, ik = F.adaptive_max_pool3d_with_indices(xk, size)
    np.testing.assert_allclose(vk.detach().numpy(), vt.detach().numpy())
    np.testing.assert_array_equal(ik.numpy(), it.numpy())
    _grads(vt, vk, [(xt, xk)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, kw", [
    (2, dict(kernel_size=3, output_ratio=(0.5, 0.6))),
    (2, dict(kernel_size=(2, 3), output_size=(5, 4))),
    (3, dict(kernel_size=2, output_ratio=(0.5, 0.5, 0.6))),
    (3, dict(kernel_size=(2, 3, 2), output_size=(3, 4, 2)))])
def test_fractional_max_pool_matches_torch_given_the_samples(dtype, n, kw):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, 3, 11, 9) if n == 2 else (2, 3, 6, 7, 5)).astype(dtype)
    samples = rng.random((2, 3, n)).astype(dtype)
    xt, xk = _leaf(x)
    tf = getattr(torch.nn.functional, f"fractional_max_pool{n}d")
    kf = getattr(F, f"fractional_max_pool{n}d")
    vt, it = tf(xt, return_indices=True, _random_samples=torch.tensor(samples), **kw)
    vk, ik = kf(xk, return_indices=True, _random_samples=tenkai.tensor(samples), **kw)
    np.testing.assert_allclose(vk.detach().numpy(), vt.detach().numpy())
    np.testing.assert_array_equal(ik.numpy(), it.numpy())
    assert vk.grad_fn.name() == vt.grad_fn.name()
    _grads(vt, vk, [(xt, xk)], dtype)


def test_fractional_max_pool_modules():
    tenkai.manual_seed(0)
    for M in (torch, tenkai):
        assert repr(M.nn.FractionalMaxPool2d(3, output_ratio=0.5)) == "FractionalMaxPool2d()"
    pool = nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True)
    v, i = pool(tenkai.randn(2, 3, 10, 10))
    assert tuple(v.shape) == tuple(i.shape) == (2, 3, 5, 5)
    assert tuple(nn.FractionalMaxPool3d(2, output_size=3)(tenkai.randn(3, 6, 6, 6)).shape) \
        == (3, 3, 3, 3)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(3, output_ratio=1.5)
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        nn.FractionalMaxPool3d(2)
    with pytest.raises(RuntimeError, match="too large"):
        F.fractional_max_pool2d(tenkai.randn(1, 1, 4, 4), 3, output_size=3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pad", [0, 2])
def test_conv_tbc_matches_torch(dtype, pad):
    rng = np.random.default_rng(pad)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((7, 2, 4), (3, 4, 5), (5,))]
    leaves = [_leaf(a) for a in arrays]
    out_t = torch.conv_tbc(*[t for t, _ in leaves], pad)
    out_k = F.conv_tbc(*[k for _, k in leaves], pad)
    np.testing.assert_allclose(out_k.detach().numpy(), out_t.detach().numpy(), **TOL[dtype])
    assert out_k.grad_fn.name() == out_t.grad_fn.name()
    _grads(out_t, out_k, leaves, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["plain", "bias_weight_smooth", "kdim", "probs", "unbatched"])
def test_linear_cross_entropy_matches_torch(dtype, case):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5) if case != "unbatched" else (5,)).astype(dtype)
    w = rng.standard_normal((3, 2, 5) if case == "kdim" else (3, 5)).astype(dtype)
    kw = {}
    if case == "bias_weight_smooth":
        kw = dict(weight=rng.random(3).astype(dtype), ignore_index=1, label_smoothing=0.1)
    if case == "kdim":
        target = rng.integers(0, 3, (4, 2))
    elif case == "probs":
        target = rng.random((4, 3)).astype(dtype)
    else:
        target = rng.integers(0, 3, (4,) if case != "unbatched" else ())
    bias = rng.standard_normal(w.shape[:-1]).astype(dtype) if case != "plain" else None
    (xt, xk), (wt, wk) = _leaf(x), _leaf(w)

    def run(M, xx, ww):
        extra = {k: (M.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        b = None if bias is None else M.tensor(bias)
        return M.nn.functional.linear_cross_entropy(xx, ww, M.tensor(target), linear_bias=b,
                                                    reduction="sum", **extra)

    out_t, out_k = run(torch, xt, wt), run(tenkai, xk, wk)
    np.testing.assert_allclose(out_k.detach().numpy(), out_t.detach().numpy(), **TOL[dtype])
    _grads(out_t, out_k, [(xt, xk), (wt, wk)], dtype)


def test_linear_cross_entropy_module_and_errors():
    tm = torch.nn.LinearCrossEntropyLoss(4, 3, bias=True, out_features=(2,))
    km = nn.LinearCrossEntropyLoss(4, 3, bias=True, out_features=(2,))
    assert repr(km) == repr(tm)
    km.linear.weight.data = tenkai.tensor(tm.linear.weight.detach().numpy())
    km.linear.bias.data = tenkai.tensor(tm.linear.bias.detach().numpy())
    x = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    y = np.random.default_rng(6).integers(0, 3, (6, 2))
    np.testing.assert_allclose(km(tenkai.tensor(x), tenkai.tensor(y)).item(),
                               tm(torch.tensor(x), torch.tensor(y)).item(), rtol=1e-5)
    opts = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    assert opts.acc_policy == torch.nn.LinearCrossEntropyOptions().acc_policy
    with pytest.raises(RuntimeError, match="expected equal input and linear_weight"):
        F.linear_cross_entropy(tenkai.randn(2, 4), tenkai.randn(3, 5), tenkai.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected weight shape"):
        nn.LinearCrossEntropyLoss(4, 3, weight=tenkai.ones(2))


def test_override_and_dispatch_helpers():
    class Wrapped:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return ("handled", func.__name__, len(args))

    t = tenkai.ones(2)
    assert not F.has_torch_function((t, 1.0)) and not F.has_torch_function_unary(t)
    assert F.has_torch_function_variadic(t, Wrapped())
    assert F.handle_torch_function(F.relu, (Wrapped(),), Wrapped()) == ("handled", "relu", 1)
    pick = F.boolean_dispatch("flag", 1, False, lambda x, flag=False: "yes",
                              lambda x, flag=False: "no", "m", "pick")
    assert (pick(1), pick(1, True), pick(1, flag=True), pick.__name__) == ("no", "yes", "yes",
                                                                           "pick")
    F.assert_int_or_pair((2, 3), "kernel_size", "{} must be int or pair")
    with pytest.raises(AssertionError, match="kernel_size must be"):
        F.assert_int_or_pair((1, 2, 3), "kernel_size", "{} must be int or pair")
    assert F.DType is torch.nn.functional.DType and F.Optional is torch.nn.functional.Optional


def test_buffer_registers_on_assignment_like_torch():
    def build(M):
        class Holder(M.nn.Module):
            def __init__(self):
                super().__init__()
                self.kept = M.nn.Buffer(M.ones(2))
                self.scratch = M.nn.Buffer(M.zeros(1), persistent=False)

        return Holder()

    for M in (torch, tenkai):
        m = build(M)
        assert list(m.state_dict()) == ["kept"]
        assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
        assert not isinstance(M.ones(1), M.nn.Buffer) and isinstance(m.kept, M.Tensor)
    m = build(tenkai)
    m.kept = tenkai.full((2,), 3.0)  # a plain tensor replaces the registered buffer
    np.testing.assert_array_equal(dict(m.named_buffers())["kept"].numpy(), [3.0, 3.0])


@pytest.mark.parametrize("case", ["2d3d", "3d3d", "2d2d", "3d2d"])
def test_grouped_mm_matches_torch(case):
    rng = np.random.default_rng(7)
    a, b, offs, valid = {
        "2d3d": (rng.standard_normal((6, 4)), rng.standard_normal((3, 4, 8)), [2, 2, 5], 5),
        "3d3d": (rng.standard_normal((3, 4, 8)), rng.standard_normal((3, 8, 4)), None, None),
        "2d2d": (rng.standard_normal((4, 8)), rng.standard_normal((8, 4)), [3, 8], None),
        "3d2d": (rng.standard_normal((3, 4, 8)), rng.standard_normal((12, 8)), [4, 4, 12],
                 None)}[case]
    a, b = a.astype(np.float32), b.astype(np.float32)
    # PyTorch's CPU kernel wants a column-major 2-D mat_b in the 3d x 2d case
    bt = torch.tensor(b).t() if case == "3d2d" else torch.tensor(b)
    want = torch.nn.functional.grouped_mm(
        torch.tensor(a), bt, offs=None if offs is None else torch.tensor(offs, dtype=torch.int32))
    ak, bk = tenkai.tensor(a, requires_grad=True), tenkai.tensor(b, requires_grad=True)
    k_offs = None if offs is None else tenkai.tensor(np.array(offs, np.int32))
    got = F.grouped_mm(ak, bk.t() if case == "3d2d" else bk, offs=k_offs)
    assert tuple(got.shape) == tuple(want.shape) and got.grad_fn.name() == "GroupedMmBackward0"
    np.testing.assert_allclose(got.detach().numpy()[:valid], want.numpy()[:valid], rtol=1e-5,
                               atol=1e-6)
    if case == "2d3d":  # PyTorch's CPU backward rejects this layout: per-group reference
        at, btt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ref = torch.cat([at[0:2] @ btt[0], at[2:2] @ btt[1], at[2:5] @ btt[2],
                         torch.zeros(1, 8)])
        g = rng.standard_normal((6, 8)).astype(np.float32)
        ref.backward(torch.tensor(g))
        (got * tenkai.tensor(g)).sum().backward()
        np.testing.assert_allclose(ak.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bk.grad.numpy(), btt.grad.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="Bias not supported yet"):
        F.grouped_mm(ak, bk, offs=k_offs, bias=tenkai.ones(1))
    with pytest.raises(RuntimeError, match="Float32, BFloat16 or Float16"):
        F.grouped_mm(ak.double(), bk.double(), offs=k_offs)
