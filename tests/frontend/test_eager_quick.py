"""The small-op dispatch shortcuts of issue #14 compute what the general path computes:
full reductions through ``_eager_quick.run1``, ``cat`` of plain tensors, ufunc calls in
``_ops.apply``, kernels run on the calling thread (``Kernel.run_held``) and the matmul left to
numpy's one-thread OpenBLAS."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tenkai
from tenkai import _native_kernels as nk
from tenkai import _ops, _random

torch = pytest.importorskip("torch")


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("n", [1, 7, 100, 5000, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
def test_full_reductions_match_the_recorded_path_and_pytorch(n, dtype):
    data = (_rng(n).standard_normal(n) * 10).astype(dtype)
    x, tx = tenkai.tensor(data), torch.tensor(data)
    for name in ("sum", "max", "min"):
        got = getattr(x, name)()
        with tenkai.no_grad():  # the general path: _reduce / _extreme through apply
            general = tenkai.amax(x) if name == "max" else tenkai.amin(x) if name == "min" \
                else tenkai.sum(x, dim=0)
        want = getattr(tx, name)()
        assert got.shape == () and str(got.dtype) == str(want.dtype)
        assert got.dtype == general.dtype
        np.testing.assert_allclose(got.numpy(), general.numpy(), rtol=1e-6)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)


def test_full_reductions_still_record_and_raise():
    w = tenkai.tensor([1.0, 3.0, 2.0], requires_grad=True)
    out = w.max()
    assert out.grad_fn.name() == "MaxBackward1"
    out.backward()
    assert w.grad.tolist() == [0.0, 1.0, 0.0]
    s = w.sum()
    assert s.grad_fn.name() == "SumBackward0"
    with tenkai.no_grad():
        assert w.sum().grad_fn is None
    with pytest.raises(Exception, match="non-zero size|empty"):
        tenkai.zeros(0).max()
    with pytest.raises(Exception) as theirs:
        torch.zeros(0).max()
    assert theirs.type is RuntimeError


def test_cat_plain_tensors_and_its_errors():
    a = tenkai.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tenkai.tensor(np.arange(9, dtype=np.float32).reshape(3, 3))
    ta, tb = torch.tensor(a.numpy()), torch.tensor(b.numpy())
    np.testing.assert_array_equal(tenkai.cat([a, b]).numpy(), torch.cat([ta, tb]).numpy())
    np.testing.assert_array_equal(tenkai.cat([a, a], dim=-1).numpy(),
                                  torch.cat([ta, ta], dim=-1).numpy())
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        tenkai.cat([a, b], dim=1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tenkai.cat([a, a], dim=2)
    mixed = tenkai.cat([a, b.double()])
    assert str(mixed.dtype) == str(torch.cat([ta, tb.double()]).dtype)
    out = tenkai.cat([a, a])
    assert not np.shares_memory(out.numpy(), a.numpy())


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.int8])
@pytest.mark.parametrize("shapes", [((5,), (5,)), ((2, 3), (3,)), ((), (4,)), ((), ())])
def test_binary_ufunc_calls_keep_dtype_and_shape(op, dtype, shapes):
    r = _rng(3)
    xs = [(r.standard_normal(s) * 5).astype(dtype) for s in shapes]
    got = getattr(tenkai, op)(tenkai.tensor(xs[0]), tenkai.tensor(xs[1]))
    want = getattr(torch, op)(torch.tensor(xs[0]), torch.tensor(xs[1]))
    assert type(got.numpy()) is np.ndarray and tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def _native_ready() -> bool:
    return nk.enabled() and nk.ready()


@pytest.mark.parametrize("n", [2048, 5000, 16384])
def test_small_kernels_on_the_calling_thread_from_many_threads(n):
    """sigmoid (native from 1024) and sum (from 4096) kernels run with reused contexts:
    threads calling them at once each get their own values."""
    if not _native_ready():
        pytest.skip("native eager kernels are off here")
    datas = [_rng(k).standard_normal(n).astype(np.float32) for k in range(4)]
    wants = [tenkai.sigmoid(tenkai.tensor(d)).numpy() for d in datas]  # one thread at a time
    errors: list[str] = []

    def work(k: int) -> None:
        x = tenkai.tensor(datas[k])
        for _ in range(200):
            r = tenkai.sigmoid(x).numpy()
            if not np.array_equal(r, wants[k]):
                errors.append(f"sigmoid {k}")
                return
            s = float(x.sum())
            if abs(s - float(datas[k].astype(np.float64).sum())) > 1e-3 * n:
                errors.append(f"sum {k}")
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    np.testing.assert_allclose(wants[0], 1 / (1 + np.exp(-datas[0].astype(np.float64))),
                               rtol=1e-6, atol=1e-7)
    runs = [v[2] for k, v in _ops._CHECKED.items() if k[0] == "sigmoid" and (n,) in k]
    assert runs and all(run is not tenkai.ir.REGISTRY["sigmoid"].reference for run in runs)


def test_relu_reference_matches_maximum_with_zero():
    """relu's float reference (the maximum with an array of zeros, numpy's SIMD loop) gives
    np.maximum(x, 0)'s values, signs of zeros and NaNs included, in every layout."""
    ref = tenkai.ir.REGISTRY["relu"].reference
    for dt in (np.float32, np.float64):
        x = np.array([-0.0, 0.0, np.nan, -np.nan, -1.5, 2.5, np.inf, -np.inf], dt)
        for a in (x, x.reshape(2, 4), x.reshape(2, 4).T, x[::2], x[:0], x[0, ...]):
            got, want = ref(a), np.asarray(np.maximum(a, 0))
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
            np.testing.assert_array_equal(got, want)
            assert got.strides == want.strides and got.flags.writeable
            assert got.flags.c_contiguous == want.flags.c_contiguous


@pytest.mark.parametrize("shape", [(100, 100, 100), (64, 130, 70)])
def test_matmul_with_one_blas_thread(shape):
    m, k, n = shape
    r = _rng(5)
    a = r.standard_normal((m, k)).astype(np.float32)
    b = r.standard_normal((k, n)).astype(np.float32)
    before = tenkai.get_num_threads()
    try:
        for threads in (1, 2):
            tenkai.set_num_threads(threads)
            got = (tenkai.tensor(a) @ tenkai.tensor(b)).numpy()
            np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-4)
            got_t = (tenkai.tensor(a.T.copy()).T @ tenkai.tensor(b)).numpy()  # strided operand
            np.testing.assert_allclose(got_t, a @ b, rtol=1e-4, atol=1e-4)
    finally:
        tenkai.set_num_threads(before)


def test_wide_math_kernels_are_the_same_bits():
    """The float math kernels asking for 512-bit vectors compute lane by lane what the
    256-bit build computes (the same IR otherwise)."""
    if not _native_ready():
        pytest.skip("native eager kernels are off here")
    from tenkai.codegen.cpu import eager as gen
    from tenkai.codegen.cpu.machine import emit_object, optimize_ir
    from tenkai.runtime.cpu.eager import Kernel

    spec = gen.elementwise("exp", ("float32",), "float32", ("001",), {})
    narrow = Kernel(emit_object(str(optimize_ir(str(spec.module()), 3))), spec.symbol)
    wide = nk.kernel_of(spec)
    x = (_rng(9).standard_normal(40_003) * 30).astype(np.float32)
    x[:4] = [np.nan, np.inf, -np.inf, 0.0]
    outs = [np.empty_like(x) for _ in range(2)]
    for kernel, out in zip((narrow, wide), outs, strict=True):
        kernel.run([nk.addr(out), nk.addr(x), 1, x.size], x.size, nk.GRAIN)
    np.testing.assert_array_equal(outs[0].view(np.int32), outs[1].view(np.int32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8, np.bool_,
                                   np.float16])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (0,), (3, 0)])
def test_stack_from_the_arrays_bytes(dtype, shape):
    arrs = [np.asarray(_rng(k).standard_normal(shape) * 10).astype(dtype) for k in range(5)]
    got = tenkai.stack([tenkai.tensor(a) for a in arrs])
    want = torch.stack([torch.tensor(a) for a in arrs])
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    out = got.numpy()
    assert out.flags.c_contiguous and out.flags.writeable
    assert not any(np.shares_memory(out, a) for a in arrs)


def test_stack_of_strided_tensors_and_other_dims():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    views = [tenkai.tensor(x).T, tenkai.tensor(x + 1).T]  # not C-contiguous: no byte buffer
    want = np.stack([x.T, (x + 1).T])
    np.testing.assert_array_equal(tenkai.stack(views).numpy(), want)
    for dim in (1, 2, -1):
        np.testing.assert_array_equal(tenkai.stack(views, dim=dim).numpy(),
                                      np.stack([x.T, (x + 1).T], axis=dim))


def _draws(quick: bool, sizes: list[int]) -> list[np.ndarray]:
    """randn/randint draws of ``sizes`` (reseeding halfway), by the short dispatch (default
    dtype, which reads ahead) or the general one (an explicit dtype)."""
    out = []
    tenkai.manual_seed(11)
    for k, n in enumerate(sizes):
        if k == len(sizes) // 2:
            tenkai.manual_seed(12)
        kw = {} if quick else {"dtype": tenkai.int64 if k % 5 == 0 else tenkai.float32}
        t = tenkai.randint(0, 10, (n,), **kw) if k % 5 == 0 else tenkai.randn(n, **kw)
        out.append(t.numpy())
    return out


def test_small_draws_read_ahead_give_the_general_paths_values():
    """randn(n) and randint(lo, hi, (n,)) on the default generator, whose values may come from
    an earlier kernel call's read-ahead, are the general draw's values bit for bit (runs of
    small draws, jumps, an empty draw, a large one, a reseed), and each a fresh array."""
    sizes = [1, 1, 3, 100, 1, 0, 7, 5000, 2, 1, 1, 1, 20_000, 1, 64, 1] * 12
    quick = _draws(True, sizes)
    if _native_ready():  # the read-ahead ran (the runs of small draws)
        assert any(entry[4] for entry in _random._AHEAD.values())
    general = _draws(False, sizes)
    for k, (a, b) in enumerate(zip(quick, general, strict=True)):
        assert a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8)), k
    assert all(a.flags.owndata and a.flags.writeable for a in quick if a.size)
    x = tenkai.randn(4)
    x.add_(1.0)  # a draw's array is its own: the next draws are unchanged
    tenkai.manual_seed(3)
    first = tenkai.randn(8).numpy()
    tenkai.manual_seed(3)
    assert np.array_equal(tenkai.randn(8, dtype=tenkai.float32).numpy(), first)
