"""Eager scans (``tenkai._scan_fused``): the native scan kernel and the fused steps of
``cumsum``/``cumprod``/``cummax``/``cummin`` equal PyTorch (values, indices, gradients,
grad_fn names and next_functions), the composites they stand for, and numpy's float64
accumulate (compiled training through them: test_scan_accumulation)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
from tenkai import _scan_fused
from tests.frontend.fused_harness import (
    assert_double_backward_matches,
    assert_fused_equals_composite,
)

torch = pytest.importorskip("torch")

SHAPES = [((64,), 0), ((3, 700), 1), ((40, 30, 2), 1), ((50, 41), 0), ((2, 3, 300), -1),
          ((5, 7), 1)]


@pytest.fixture(params=["1", "0"], ids=["native", "numpy"])
def native(request, monkeypatch):
    monkeypatch.setenv("TENKAI_EAGER_NATIVE", request.param)
    return request.param == "1"


def _data(name: str, shape: tuple, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if name == "cumprod":
        x = rng.uniform(0.8, 1.2, shape)
        x.flat[3::17] = 0.0  # zeros: the first zero of a line and those after it
    elif name in ("cummax", "cummin"):
        x = rng.integers(0, 4, shape).astype(np.float64)  # ties
        x.flat[5::23] = np.nan
    else:
        x = rng.standard_normal(shape)
    return x.astype(dtype)


def _call(lib, name, t, dim):
    out = getattr(lib, name)(t, dim)
    return out[0] if name in ("cummax", "cummin") else out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
@pytest.mark.parametrize(("shape", "dim"), SHAPES)
def test_scan_matches_pytorch(native, name, dtype, shape, dim):
    x = _data(name, shape, dtype)
    g = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    want = _call(torch, name, tx, dim)
    want.backward(torch.tensor(g))
    plain = _call(tenkai, name, tenkai.tensor(x), dim)
    leaf = tenkai.tensor(x, requires_grad=True)
    got = _call(tenkai, name, leaf, dim)
    assert type(got.grad_fn).__name__ == "FusedBackward"
    assert got.grad_fn.name() == want.grad_fn.name()
    assert got.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    got.backward(tenkai.tensor(g))
    exact = dtype == "float64" or name in ("cummax", "cummin")
    for value in (plain, got):
        assert value.dtype == getattr(tenkai, dtype)
        if exact or name == "cumsum":
            np.testing.assert_array_equal(value.detach().numpy(), want.detach().numpy())
        else:
            np.testing.assert_allclose(value.detach().numpy(), want.detach().numpy(),
                                       rtol=1e-6)
    scale = max(1.0, float(np.abs(tx.grad.numpy()).max()))
    np.testing.assert_allclose(leaf.grad.numpy(), tx.grad.numpy(), rtol=1e-5,
                               atol=1e-5 * scale)
    assert leaf.grad.dtype == getattr(tenkai, dtype)
    if name in ("cummax", "cummin"):
        for t in (tenkai.tensor(x), tenkai.tensor(x, requires_grad=True)):
            index = getattr(tenkai, name)(t, dim).indices
            np.testing.assert_array_equal(
                index.numpy(), getattr(torch, name)(torch.tensor(x), dim).indices.numpy())


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
def test_fused_step_equals_composite(name):
    x = _data(name, (6, 9), "float64", seed=2)
    assert_fused_equals_composite(lambda t: _call(tenkai, name, t, 1), x, rtol=1e-9)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax"])
def test_double_backward_through_fused_scan(name):
    x = np.nan_to_num(_data(name, (3, 5), "float64", seed=4), nan=2.5)
    assert_double_backward_matches(lambda lib, t: _call(lib, name, t, 1), x, torch)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_native_scan_kernel_equals_numpy_float64_accumulate(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 300, 3)).astype(dtype)
    for axis in range(3):
        for op, ufunc in (("sum", np.add), ("prod", np.multiply)):
            for reverse in (False, True):
                found = _scan_fused.native_scan(op, x, axis, reverse)
                if found is None:
                    pytest.skip("native eager kernels are off")
                src = np.flip(x, axis) if reverse else x
                want = ufunc.accumulate(src, axis, dtype=np.float64).astype(dtype)
                want = np.flip(want, axis) if reverse else want
                np.testing.assert_array_equal(found[0], want)
                assert found[1] is None
