"""Eager ops on generated kernels (tenkai._native_eager): each op family against the numpy
reference (the oracle), odd sizes, broadcasting, non-contiguous operands, dtypes; and eager
training with the provider on vs off, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _native_eager as ne
from tenkai import _native_kernels as nk
from tenkai import _ops
from tenkai.ir import REGISTRY

BIG = 40_000  # above MIN_ELEMENTS


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    directory = tmp_path_factory.getbasetemp() / "eager-cache"
    monkeypatch.setenv("TENKAI_CACHE_DIR", str(directory))
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "1")
    # every family from BIG elements up (the defaults keep the cheap ops on numpy longer)
    monkeypatch.setattr(nk, "MIN_CHEAP", nk.MIN_ELEMENTS)
    monkeypatch.setattr(nk, "MIN_MAX_REDUCE", nk.MIN_ELEMENTS)
    monkeypatch.setattr(nk, "MIN_GEMM_FLOPS", 1 << 12)  # small products on tenkai's GEMM too


def native(op: str, *datas: np.ndarray, **attrs):
    """The provider's run for this signature (asserting it takes it) and the reference."""
    opdef = REGISTRY[op]
    full = opdef.normalize_attrs(attrs)
    run = ne.provider(op, opdef, full, list(datas))
    assert run is not None, f"the native provider declined {op}"
    return run(*datas, **full), opdef.reference(*datas, **full)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_provider_is_registered():
    assert ne.provider in _ops.EAGER_PROVIDERS


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum", "gt", "le",
                                "eq"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_same_shape_bitwise(op, dtype):
    r = rng(1)
    a = r.standard_normal((201, 203)).astype(dtype)
    b = r.standard_normal((201, 203)).astype(dtype)
    a[0, :5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    b[0, :5] = [1.0, np.nan, -np.inf, -0.0, 0.0]
    got, want = native(op, a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("shapes", [((97, 513), (513,)), ((97, 513), (97, 1)),
                                    ((97, 513), ()), ((), (97, 513)), ((1, 513), (97, 1)),
                                    ((5, 7, 31, 41), (1, 7, 1, 1)), ((5, 7, 31, 41), (41,)),
                                    ((40, 1, 300), (1, 5, 300)), ((7, 1, 1), (7, 61, 97))])
def test_broadcasting(shapes):
    r = rng(2)
    a = r.standard_normal(shapes[0]).astype(np.float32)
    b = r.standard_normal(shapes[1]).astype(np.float32)
    for op in ("add", "mul", "sub"):
        got, want = native(op, a, b)
        np.testing.assert_array_equal(got, want)


def test_unsupported_broadcast_declines():
    a = np.ones((40, 1, 100, 1), np.float32)
    b = np.ones((1, 5, 1, 100), np.float32)
    opdef = REGISTRY["add"]
    assert ne.provider("add", opdef, {}, [a, b]) is None
    assert ne._fold([(4, 1, 3, 1), (1, 5, 1, 2)], (4, 5, 3, 2)) is None
    assert ne._fold([(4, 1, 3), (1, 5, 3)], (4, 5, 3)) == (5, 3, ("101", "011"))


@pytest.mark.parametrize("op", ["relu", "neg", "abs", "sqrt", "floor", "ceil", "trunc",
                                "round", "sign"])
def test_unary_bitwise(op):
    a = (rng(3).standard_normal(BIG + 17) * 3).astype(np.float32)
    a[:4] = [np.nan, -0.0, 2.5, -1.5]
    if op == "sqrt":
        a = np.abs(a)
    got, want = native(op, a)
    np.testing.assert_array_equal(got, want)


def test_where_and_cast_and_clamp():
    r = rng(4)
    c = r.standard_normal((300, 200)) > 0
    x = r.standard_normal((300, 200)).astype(np.float32)
    got, want = native("where", c, x, np.zeros((), np.float32))
    np.testing.assert_array_equal(got, want)
    got, want = native("cast", x, dtype="float64")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    got, want = native("cast", c, dtype="float32")
    np.testing.assert_array_equal(got, want)
    got, want = native("clamp", x, min=-0.5, max=0.25)
    np.testing.assert_array_equal(got, want)
    ints = r.integers(-1000, 1000, (300, 200))
    got, want = native("cast", ints, dtype="float32")
    np.testing.assert_array_equal(got, want)


def test_non_contiguous_falls_back_exactly():
    r = rng(5)
    a = r.standard_normal((400, 300)).astype(np.float32)
    b = r.standard_normal((400, 300)).astype(np.float32)
    opdef = REGISTRY["add"]
    run = ne.provider("add", opdef, {}, [a, b])
    t = b.T.copy().T  # same shape, Fortran order
    np.testing.assert_array_equal(run(a, t), a + t)


def test_small_sizes_decline():
    a = np.ones(10, np.float32)
    assert ne.provider("add", REGISTRY["add"], {}, [a, a]) is None


def test_integer_and_bool_ops():
    r = rng(6)
    a = r.integers(-50, 50, (250, 200))
    b = r.integers(-50, 50, (250, 200))
    for op in ("add", "mul", "sub", "maximum", "lt"):
        got, want = native(op, a, b)
        np.testing.assert_array_equal(got, want)
    p, q = a > 0, b > 0
    for op in ("logical_and", "logical_or"):
        got, want = native(op, p, q)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float64", 1e-12)])
def test_matmul_strides(dtype, tol):
    r = rng(7)
    a = r.standard_normal((67, 131)).astype(dtype)
    b = r.standard_normal((131, 45)).astype(dtype)
    got, want = native("matmul", a, b)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    got, want = native("matmul", a, np.asfortranarray(b))  # transposed operands: no copies
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    at = np.ascontiguousarray(a.T).T
    got, want = native("matmul", at, b[::1, :])
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    a3 = r.standard_normal((3, 17, 131)).astype(dtype)
    got, want = native("matmul", a3, b)
    assert got.shape == (3, 17, 45)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


CONV_CASES = [
    ((4, 3, 17, 19), (8, 3, 3, 3), dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1))),
    ((2, 5, 16, 13), (6, 5, 3, 2), dict(stride=(2, 1), padding=(0, 1), dilation=(1, 1))),
    ((3, 2, 15, 15), (4, 2, 3, 3), dict(stride=(2, 2), padding=(2, 1), dilation=(2, 1))),
    ((2, 1, 28, 28), (16, 1, 5, 5), dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1))),
]


@pytest.mark.parametrize("xs,ws,attrs", CONV_CASES)
@pytest.mark.parametrize("dtype,tol", [("float32", 2e-4), ("float64", 1e-11)])
def test_conv2d_and_gradients(xs, ws, attrs, dtype, tol):
    r = rng(8)
    x = r.standard_normal(xs).astype(dtype)
    w = r.standard_normal(ws).astype(dtype)
    got, want = native("conv2d", x, w, groups=1, **attrs)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    g = r.standard_normal(want.shape).astype(dtype)
    got, want = native("conv2d_grad_input", g, w, input_shape=xs, groups=1, **attrs)
    assert got.shape == xs and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    got, want = native("conv2d_grad_weight", x, g, weight_shape=ws, groups=1, **attrs)
    assert got.shape == ws
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)


def test_small_conv_products_on_numpy_blas(monkeypatch):
    """Below MIN_GEMM_FLOPS the im2col kernels feed numpy's matmul (no GEMM library needed)."""
    monkeypatch.setattr(nk, "MIN_GEMM_FLOPS", 1 << 40)
    xs, ws, attrs = CONV_CASES[1]
    r = rng(17)
    x = r.standard_normal(xs).astype(np.float32)
    w = r.standard_normal(ws).astype(np.float32)
    got, want = native("conv2d", x, w, groups=1, **attrs)
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)
    g = r.standard_normal(want.shape).astype(np.float32)
    got, want = native("conv2d_grad_input", g, w, input_shape=xs, groups=1, **attrs)
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)
    got, want = native("conv2d_grad_weight", x, g, weight_shape=ws, groups=1, **attrs)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)


def test_grouped_conv_declines():
    x = np.ones((2, 4, 8, 8), np.float32)
    w = np.ones((4, 2, 3, 3), np.float32)
    opdef = REGISTRY["conv2d"]
    assert ne.provider("conv2d", opdef, opdef.normalize_attrs({"groups": 2}), [x, w]) is None


POOL_CASES = [
    dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False),
    dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1), ceil_mode=False),
]


@pytest.mark.parametrize("attrs", POOL_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_family(attrs, dtype):
    r = rng(9)
    x = r.standard_normal((3, 5, 13, 11)).astype(dtype)
    x[0, 0, :3, :3] = np.nan  # NaN wins (the last one of a window)
    x[0, 1] = -np.inf  # all -inf windows pick their first in-bounds cell
    x[1, 0, :4, :4] = 1.0  # ties: the first maximum wins
    got, want = native("max_pool2d", x, **attrs)
    np.testing.assert_array_equal(got, want)
    got, want = native("max_pool2d_indices", x, **attrs)
    np.testing.assert_array_equal(got, want)
    g = r.standard_normal(want.shape).astype(dtype)
    got, want = native("max_pool2d_grad", g, x, **attrs)
    overlapping = attrs["stride"] != attrs["kernel_size"]
    if overlapping:  # sums of several cotangents: the order of additions may differ
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape,k", [((2, 3, 12, 10), 2), ((2, 3, 9, 12), 3), ((2, 2, 8, 9), 4)])
def test_max_pool_grad_tiled_windows(shape, k):
    """Windows that tile the input: each window's cells written once (exactly covered planes,
    and planes with rows/columns past the last window, which stay zero)."""
    r = rng(12)
    x = r.standard_normal(shape).astype(np.float32)
    x[0, 0, :k, :k] = np.nan
    x[0, 1, :k, :k] = 1.0
    x[1, 0] = -np.inf
    attrs = dict(kernel_size=(k, k), stride=(k, k), padding=(0, 0), dilation=(1, 1),
                 ceil_mode=False)
    _, idx = native("max_pool2d_indices", x, **attrs)
    g = r.standard_normal(idx.shape).astype(np.float32)
    g[0, 0, 0, 0] = -0.0  # 0.0 + -0.0 is +0.0, as the reference's scatter-add gives
    got, want = native("max_pool2d_grad", g, x, **attrs)
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got).tolist() == np.signbit(want).tolist()


def test_non_contiguous_pool_input():
    x = rng(10).standard_normal((4, 6, 20, 22)).astype(np.float32).transpose(1, 0, 2, 3)
    got, want = native("max_pool2d", x, kernel_size=(2, 2), stride=(2, 2))
    np.testing.assert_array_equal(got, want)


def test_one_kernel_serves_every_size():
    a = rng(11).standard_normal(BIG).astype(np.float32)
    native("mul", a, a)
    before = nk.STATS["kernels"]
    for n in (BIG + 1, 3 * BIG + 7, 100_003):
        b = rng(n).standard_normal(n).astype(np.float32)
        got, want = native("mul", b, b)
        np.testing.assert_array_equal(got, want)
    assert nk.STATS["kernels"] == before


def test_linear_weight_gradient_in_parameter_layout(monkeypatch):
    """The backward's ``(x.T @ g).T`` of a Linear weight runs as one GEMM into the weight's
    layout (no transposing copy): same values as the reference, C-contiguous ``.grad``."""
    r = rng(16)
    x = r.standard_normal((64, 96)).astype(np.float32)
    grads = []
    for switch in ("1", "0"):
        monkeypatch.setenv("TENKAI_EAGER_NATIVE", switch)
        tenkai.manual_seed(0)
        layer = tenkai.nn.Linear(96, 48)
        layer(tenkai.tensor(x)).tanh().sum().backward()
        assert layer.weight.grad.is_contiguous()
        grads.append(layer.weight.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-4)


def test_switched_off(monkeypatch):
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "0")
    a = np.ones(BIG, np.float32)
    assert ne.provider("add", REGISTRY["add"], {}, [a, a]) is None


def _train(model_fn, x, y, steps, adam):
    tenkai.manual_seed(0)
    model = model_fn()
    opt = (tenkai.optim.Adam(model.parameters(), lr=1e-3) if adam
           else tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    losses, params = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = tenkai.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        params.append([p.detach().numpy().copy() for p in model.parameters()])
    return losses, params


def _cnn():
    nn = tenkai.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def _mlp():
    nn = tenkai.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


@pytest.mark.parametrize("model_fn,shape,adam", [(_cnn, (16, 1, 28, 28), True),
                                                 (_mlp, (64, 784), True),
                                                 (_cnn, (8, 1, 28, 28), False)])
def test_training_native_vs_reference(model_fn, shape, adam, monkeypatch):
    r = rng(12)
    x = tenkai.tensor(r.standard_normal(shape).astype(np.float32))
    y = tenkai.tensor(r.integers(0, 10, shape[0]))
    calls = {"n": 0}
    real = nk.kernel_of

    def counting(spec):
        calls["n"] += 1
        return real(spec)

    monkeypatch.setattr(nk, "kernel_of", counting)
    _ops._CHECKED.clear()
    on = _train(model_fn, x, y, 3, adam)
    assert calls["n"] > 0  # native kernels ran
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "0")
    _ops._CHECKED.clear()
    off = _train(model_fn, x, y, 3, adam)
    _ops._CHECKED.clear()
    np.testing.assert_allclose(on[0], off[0], rtol=1e-4, atol=1e-5)
    for step_on, step_off in zip(on[1], off[1], strict=True):
        for p_on, p_off in zip(step_on, step_off, strict=True):
            np.testing.assert_allclose(p_on, p_off, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("op,dtype,attrs", [
    ("uniform", "float32", dict(low=-0.25, high=0.75)),
    ("uniform", "float64", dict(low=0.0, high=1.0)),
    ("randint", "int64", dict(low=-3, high=1000)),
    ("normal", "float32", dict(mean=0.0, std=1.0)),
    ("normal", "float32", dict(mean=1.5, std=0.1)),
])
def test_random_streams_bitwise(op, dtype, attrs):
    seed = np.asarray(0x9E3779B97F4A7C15 - (1 << 64), np.int64)  # a "negative" 64-bit seed
    offset = np.asarray(123_456_789, np.int64)
    got, want = native(op, seed, offset, shape=(301, 333), dtype=dtype, **attrs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_random_normal_float64_close():
    seed, offset = np.asarray(7, np.int64), np.asarray(0, np.int64)
    got, want = native("normal", seed, offset, shape=(50_000,), dtype="float64", mean=0.0,
                       std=1.0)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_eager_randn_uses_the_stream():
    tenkai.manual_seed(3)
    a = tenkai.randn(300, 300)
    tenkai.manual_seed(3)
    _ops._CHECKED.clear()
    import os
    os.environ["TENKAI_EAGER_NATIVE"] = "0"
    try:
        b = tenkai.randn(300, 300)
    finally:
        os.environ["TENKAI_EAGER_NATIVE"] = "1"
        _ops._CHECKED.clear()
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("shape,axes,keepdim", [
    ((1_000_003,), (0,), False), ((1_000_003,), (0,), True), ((257, 1031), (1,), False),
    ((257, 1031), (0,), True), ((3, 127, 311), (1,), False), ((2, 3, 127, 311), (2, 3), True),
    ((1, 40_000, 1), (1,), False), ((64, 3, 17, 19), (0, 2, 3), False),
    ((64, 3, 17, 19), (0, 2, 3), True), ((64, 3, 17, 19), (0, 2), False)])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reductions(shape, axes, keepdim, op, dtype):
    x = rng(13).standard_normal(shape).astype(dtype)
    opdef = REGISTRY[op]
    full = opdef.normalize_attrs(dict(axes=axes, keepdim=keepdim))
    run = ne.provider(op, opdef, full, [x])
    want = opdef.reference(x, **full)
    # reduced axes that are not one block: a leading and a trailing block (a bias gradient)
    # run natively for sum/mean; max and other patterns run the reference
    if shape == (64, 3, 17, 19) and (op == "max" or axes == (0, 2)):
        assert run is None
        return
    got = run(x, **full)
    assert got.shape == want.shape and got.dtype == want.dtype
    if op == "max":
        np.testing.assert_array_equal(got, want)
    else:
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.sqrt(x.size))


def test_max_reduction_propagates_nan():
    x = rng(14).standard_normal((300, 200)).astype(np.float32)
    x[17, 3] = np.nan
    for axes in ((0, 1), (0,), (1,)):
        got, want = native("max", x, axes=axes, keepdim=False)
        np.testing.assert_array_equal(got, want)


def test_transposed_operands_keep_their_layout():
    r = rng(15)
    a = np.asfortranarray(r.standard_normal((301, 257)).astype(np.float32))
    b = np.asfortranarray(r.standard_normal((301, 257)).astype(np.float32))
    for op, args in (("mul", (a, np.float32(0.9))), ("add", (a, b)), ("sqrt", (np.abs(a),))):
        datas = [np.asarray(x) for x in args]
        run = ne.provider(op, REGISTRY[op], {}, [np.ascontiguousarray(d) for d in datas])
        got = run(*datas)
        want = REGISTRY[op].reference(*datas)
        assert got.strides == want.strides
        np.testing.assert_array_equal(got, want)
    c = r.standard_normal((40, 30, 50)).astype(np.float32).transpose(2, 0, 1)
    run = ne.provider("neg", REGISTRY["neg"], {}, [np.ascontiguousarray(c)])
    np.testing.assert_array_equal(run(c), -c)
    assert run(c).strides == (-c).strides


@pytest.mark.parametrize("op", sorted(ne.APPROX_OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_math_within_a_few_ulp(op, dtype):
    x = (rng(16).standard_normal(BIG + 3) * 4).astype(dtype)
    if op in ("log", "log1p"):
        x = np.abs(x) + (1e-3 if op == "log" else 0.0)
    x[:3] = [np.nan, np.inf, -np.inf] if op not in ("log", "log1p") else [np.nan, np.inf, 0.0]
    got, want = native(op, x)
    assert got.dtype == want.dtype
    exact = REGISTRY[op].reference(x.astype(np.float64)) if dtype == "float32" else want
    finite = np.isfinite(exact)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(exact)], want[~finite & ~np.isnan(exact)])
    spacing = np.spacing(np.abs(exact[finite]).astype(dtype)).astype(np.float64)
    err = np.abs(got[finite].astype(np.float64) - exact[finite]) / spacing
    assert err.max() <= 4.0


def test_exact_mode_leaves_float_math_on_numpy(monkeypatch):
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", "exact")
    x = np.ones(BIG, np.float32)
    assert ne.provider("exp", REGISTRY["exp"], {}, [x]) is None
    assert ne.provider("add", REGISTRY["add"], {}, [x, x]) is not None


def test_keep_freed_memory_switch(monkeypatch):
    """glibc keeps freed memory for the next eager arrays once the provider is ready;
    TENKAI_EAGER_KEEP_MEMORY=0 leaves malloc alone."""
    import platform

    nk._ready()
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert nk._STATE["malloc"] is glibc
    monkeypatch.setitem(nk._STATE, "malloc", None)
    monkeypatch.setenv(nk.KEEP_ENV, "0")
    nk._keep_freed_memory()
    assert nk._STATE["malloc"] is False
    monkeypatch.setitem(nk._STATE, "malloc", None)
    monkeypatch.delenv(nk.KEEP_ENV)
    nk._keep_freed_memory()
    assert nk._STATE["malloc"] is glibc


def test_random_normal_float32_large_draw_bitwise():
    """float32 normal's vectorized log/cos round as the reference's float64 ones (2^20 values)."""
    seed, offset = np.asarray(-5, np.int64), np.asarray(1 << 40, np.int64)
    got, want = native("normal", seed, offset, shape=(1 << 20,), dtype="float32", mean=-0.5,
                       std=3.0)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_randn_draws_the_eager_native_stream(dtype):
    """A compiled step's normal kernel and the eager native one share the Box-Muller template:
    the same values bit for bit, small draws (the direct kernel call) and large (the op)."""
    def sample(x):
        return x + tenkai.randn(40_000, dtype=getattr(tenkai, dtype)), tenkai.randn(
            7, dtype=getattr(tenkai, dtype))

    zero = tenkai.zeros(40_000, dtype=getattr(tenkai, dtype))
    tenkai.manual_seed(12)
    eager = [sample(zero) for _ in range(2)]
    tenkai.manual_seed(12)
    comp = tenkai.compile(sample)
    for want in eager:
        for g, w in zip(comp(zero), want, strict=True):
            np.testing.assert_array_equal(g.numpy(), w.numpy())
