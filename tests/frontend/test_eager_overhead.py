"""The eager fast paths that remove per-op overhead mean what the plain paths mean (issue #14):
the backward plan's folded constants, the array address reader, the GEMM and `where` size
thresholds of the native provider."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _autograd, _ops
from tenkai import _native_kernels as nk
from tenkai.ir import REGISTRY
from tenkai.runtime.host import address_of, pointer


def _last_plan():
    return next(reversed(_autograd._CACHE.values()))


def test_constant_gradient_is_folded_and_returned_as_a_fresh_array():
    """floor's gradient is a `full` of zeros: computed once per plan, yet each call returns
    an array of its own, so writing into one gradient leaves the next one zero."""
    x = tenkai.randn(5, requires_grad=True)
    (g,) = tenkai.autograd.grad(x.floor().sum(), x)
    plan = _last_plan()
    assert plan.consts and not plan.fast.steps  # the only step was folded
    assert len(plan.plan.steps) == 1  # the replay (create_graph, traces) still runs it
    g.add_(1.0)
    (g2,) = tenkai.autograd.grad(x.floor().sum(), x)
    np.testing.assert_array_equal(g2.numpy(), np.zeros(5, np.float32))
    (g3,) = tenkai.autograd.grad(x.floor().sum(), x, create_graph=True)
    np.testing.assert_array_equal(g3.detach().numpy(), np.zeros(5, np.float32))


def test_folded_plan_trains_like_torch():
    """cross_entropy's backward folds its `full` steps; gradients match PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((16, 5)).astype(np.float32)
    target = rng.integers(0, 5, 16)
    grads = []
    for lib in (tenkai, torch):
        x = lib.tensor(logits, requires_grad=True)
        for _ in range(3):  # the cached plan replays with its constants
            x.grad = None
            lib.nn.functional.cross_entropy(x * 2.0, lib.tensor(target)).backward()
        grads.append(x.grad.numpy())
    assert _last_plan().consts
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)


def test_address_reader_agrees_with_array_interface():
    base = np.arange(60, dtype=np.float64).reshape(5, 12)
    for a in (base, base[2:, 3:], base.T, base[::2, ::-3], np.zeros(0), np.float32(1) * base):
        assert address_of(a) == pointer(a)
    assert nk.addr(base[1:]) == pointer(base) + 12 * 8


@pytest.mark.parametrize("shape", [(64, 64, 10), (64, 128, 64), (300, 200, 100)])
def test_matmul_on_either_side_of_the_gemm_threshold(shape):
    """Products below MIN_GEMM_FLOPS run numpy's matmul, above tenkai's GEMM: both agree with
    the float64 product."""
    m, k, n = shape
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = (tenkai.tensor(a) @ tenkai.tensor(b)).numpy()
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    assert (m * n * k >= nk.MIN_GEMM_FLOPS) == (m * n * k >= 1 << 18)


def test_where_runs_native_from_its_own_threshold():
    """ReLU's backward `where(x > 0, g, 0)` at 8192 elements: the kernel, bit for bit."""
    if not (nk.enabled() and nk.ready()):
        pytest.skip("native eager kernels are off here")
    rng = np.random.default_rng(2)
    x = rng.standard_normal(8192).astype(np.float32)
    c = x > 0
    out = tenkai.where(tenkai.tensor(c), tenkai.tensor(x), tenkai.zeros(()))
    np.testing.assert_array_equal(out.numpy(), np.where(c, x, np.float32(0)))
    runs = [v[2] for k, v in _ops._CHECKED.items() if k[0] == "where" and (8192,) in
            [part[0] for part in k[1:] if isinstance(part, tuple)]]
    assert runs and all(run is not REGISTRY["where"].reference for run in runs)


def test_grad_takes_the_plan_array_only_when_nothing_else_holds_it():
    """A Linear's weight gradient (a fresh GEMM result) becomes .grad without a copy; a
    gradient that is the seed itself (y = x.sum() backward into a view) or shared by two
    leaves is copied, so writing into one .grad changes nothing else."""
    lin = tenkai.nn.Linear(8, 4)
    x = tenkai.randn(16, 8)
    lin(x).sum().backward()
    w_grad = lin.weight.grad.numpy()
    np.testing.assert_allclose(w_grad, np.ones((16, 4), np.float32).T @ x.numpy(), rtol=1e-5)
    assert lin.weight.grad._data.flags.c_contiguous
    # the seed: the gradient of a leaf fed straight into the loss is the seed array
    a = tenkai.randn(3, requires_grad=True)
    seed = tenkai.ones(3)
    a.backward(seed)
    a.grad.add_(1.0)
    np.testing.assert_array_equal(seed.numpy(), np.ones(3, np.float32))
    # one forward value used by two leaves' gradients: y = p * q, dp = q, dq = p
    p = tenkai.randn(4, requires_grad=True)
    q = tenkai.randn(4, requires_grad=True)
    q_before = q.detach().numpy().copy()
    (p * q).sum().backward()
    p.grad.mul_(0.0)
    np.testing.assert_array_equal(q.detach().numpy(), q_before)
    # two gradients that are the same array: z = r + r (both operands' vjp is the seed)
    r = tenkai.randn(4, requires_grad=True)
    s = tenkai.randn(4, requires_grad=True)
    (r + s).sum().backward()
    r.grad.add_(5.0)
    np.testing.assert_array_equal(s.grad.numpy(), np.ones(4, np.float32))


@pytest.mark.parametrize("case", ["2d", "4d", "1d", "uint8", "ignored", "ignore_unused"])
def test_cross_entropy_plain_path_matches_torch(case):
    """The eager shortcut (every target in bounds, none ignored: a gather and a mean) gives
    PyTorch's loss, gradient and grad_fn; targets that hit ignore_index take the general form."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    shape, tshape, ignore = {"2d": ((8, 5), (8,), -100), "4d": ((2, 3, 4, 4), (2, 4, 4), -100),
                             "1d": ((5,), (), -100), "uint8": ((8, 5), (8,), -100),
                             "ignored": ((8, 5), (8,), 2), "ignore_unused": ((8, 5), (8,), 7)
                             }[case]
    logits = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, shape[0 if len(shape) == 1 else 1], tshape)
    dtype = np.uint8 if case == "uint8" else np.int64
    results = []
    for lib in (tenkai, torch):
        x = lib.tensor(logits, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor(target.astype(dtype)),
                                               ignore_index=ignore)
        loss.backward()
        results.append((float(loss.detach()), x.grad.numpy(), loss.grad_fn.name()))
    assert results[0][2] == results[1][2]
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-7)


def test_cross_entropy_out_of_bounds_target_error_is_torchs():
    x = tenkai.randn(4, 3)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        tenkai.nn.functional.cross_entropy(x, tenkai.tensor([0, 1, 3, 2]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        tenkai.nn.functional.cross_entropy(x, tenkai.tensor([0, -1, 1, 2]))
