"""The faster reference paths agree with the plain ones: ``index_add``'s add-by-occurrence with
``np.add.at`` (bit for bit), and the scipy-backed ``erfinv``/``digamma`` with the series and
Giles' approximation they replace (same special values, float64-close elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest

from tenkai.ir import ops_math
from tenkai.ir.ops_movement import _add_along


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_add_along_matches_np_add_at(dtype):
    rng = np.random.default_rng(0)
    for _ in range(200):
        ndim = int(rng.integers(1, 4))
        shape = [int(v) for v in rng.integers(1, 5, ndim)]
        axis = int(rng.integers(0, ndim))
        if ndim > 1:  # long rows: the add-by-occurrence path
            shape[(axis + 1) % ndim] = 70
        size = shape[axis]
        idx = rng.integers(-size, size, int(rng.integers(0, 12)))
        src_shape = list(shape)
        src_shape[axis] = len(idx)
        src = (rng.standard_normal(src_shape) * 3).astype(dtype)
        out = (rng.standard_normal(shape) * 3).astype(dtype)
        want = out.copy()
        np.add.at(want, (slice(None),) * axis + (idx,), src)
        _add_along(out, idx, src, axis)
        np.testing.assert_array_equal(out, want)


def test_erfinv_reference_values():
    special = ops_math.scipy_special()
    if special is None:
        pytest.skip("scipy is not installed: the reference is Giles' approximation itself")
    y = np.concatenate([np.linspace(-0.999, 0.999, 2001), [0.0, 1.0, -1.0, 1.5, -2.0, np.nan]])
    got = ops_math._erfinv_ref(y)
    np.testing.assert_allclose(got, ops_math._erfinv64(y), rtol=1e-12, atol=0, equal_nan=True)
    assert got[-5] == np.inf and got[-4] == -np.inf and np.isnan(got[-3:]).all()
    y32 = y.astype(np.float32)
    got32 = ops_math._erfinv_ref(y32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, ops_math._erfinv32(y32), rtol=2e-6, equal_nan=True)


def test_digamma_reference_values():
    if ops_math.scipy_special() is None:
        pytest.skip("scipy is not installed: the reference is the series itself")
    x = np.concatenate([np.linspace(-7.9, 12.0, 1001), [0.0, -0.0, -1.0, -3.0, np.inf,
                                                         -np.inf, np.nan, 1e-8]])
    got = ops_math._digamma_ref(x)
    want = ops_math._digamma64(x)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    # the poles as PyTorch: -inf at 0, +inf at -0, NaN at the negative integers
    assert got[-8] == -np.inf and got[-7] == np.inf and np.isnan(got[-6:-4]).all()
    assert ops_math._digamma_ref(np.float32([2.5, -0.5])).dtype == np.float32
