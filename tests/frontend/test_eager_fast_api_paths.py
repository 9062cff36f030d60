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
