"""cumsum/cumprod accumulate as PyTorch's CPU kernels do (float32 in float64, float16 in
float32, each running value rounded to the tensor's dtype), eagerly and compiled."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
from tests.frontend.compile_harness import assert_same, snapshot

torch = pytest.importorskip("torch")


def test_long_float32_cumsum_matches_pytorch() -> None:
    # numpy's float32 running sum is off by ~11 at the end of these 10**6 terms; PyTorch's
    # (float64 accumulator) stays within one float32 ulp of the exact sums
    x = np.random.default_rng(0).random(1_000_000).astype(np.float32)
    want = torch.cumsum(torch.tensor(x), 0).numpy()
    exact = np.cumsum(x.astype(np.float64))
    assert np.abs(np.cumsum(x) - exact).max() > 1.0  # the drift this guards against
    np.testing.assert_array_equal(tenkai.cumsum(tenkai.tensor(x), 0).numpy(), want)
    assert np.abs(want - exact).max() < 0.05


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans_match_pytorch_with_and_without_history(name: str, dtype: str) -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((3, 1500)) * 0.002 + 0.999).astype(dtype)
    want = getattr(torch, name)(torch.tensor(x), 1).numpy()
    plain = getattr(tenkai, name)(tenkai.tensor(x), 1)
    leaf = tenkai.tensor(x, requires_grad=True)
    tracked = getattr(tenkai, name)(leaf, 1)
    assert plain.dtype == tracked.dtype == getattr(tenkai, dtype)
    np.testing.assert_array_equal(plain.numpy(), want)
    # with history the running values come from a matmul / doubling scan in the wider
    # dtype: the same sums to within the last bit
    np.testing.assert_allclose(tracked.detach().numpy(), want, rtol=2e-7 if dtype != "float16"
                               else 1e-3)
    tracked.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    getattr(torch, name)(tx, 1).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), tx.grad.numpy(),
                               rtol=1e-5 if dtype != "float16" else 2e-2)


def _train(compiled: bool) -> list[dict]:
    tenkai.manual_seed(0)
    model = nn.Linear(4, 300)
    opt = tenkai.optim.Adam(model.parameters(), lr=0.01)

    def step(x):
        opt.zero_grad()
        h = model(x)
        loss = tenkai.cumsum(h, 1).pow(2).mean() + tenkai.cumprod(1.0 + 0.01 * h, 1).mean()
        # eagerly the fused scan steps (_scan_fused); compiled, the composites
        loss = loss + tenkai.cummax(h, 1)[0].pow(2).mean() - tenkai.cummin(h, 0).values.mean()
        loss.backward()
        opt.step()
        return loss

    fn = tenkai.compile(step) if compiled else step
    rng = np.random.default_rng(2)
    records = []
    for _ in range(4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = fn(tenkai.tensor(rng.standard_normal((5, 4)).astype(np.float32)))
        records.append(snapshot(loss, model, opt))
    return records


def test_compiled_training_with_scans_equals_eager() -> None:
    assert_same(_train(True), _train(False))


def test_compiled_scans_match_pytorch() -> None:
    x = np.random.default_rng(3).random((2, 3000)).astype(np.float32)
    fn = tenkai.compile(lambda a: (tenkai.cumsum(a, 1), tenkai.cumprod(a * 0.001 + 0.9995, 1)))
    sums, prods = fn(tenkai.tensor(x))
    tx = torch.tensor(x)
    np.testing.assert_allclose(sums.numpy(), torch.cumsum(tx, 1).numpy(), rtol=2e-7)
    np.testing.assert_allclose(prods.numpy(), torch.cumprod(tx * 0.001 + 0.9995, 1).numpy(),
                               rtol=2e-7)
