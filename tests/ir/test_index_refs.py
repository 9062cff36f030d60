"""The scatter/index references against their plain numpy definitions, bit for bit: the
flat-position ``np.add.at`` of ``scatter_add`` adds what the index tuple adds, in the same
order; ``index_rules.check`` wraps and rejects as before."""

from __future__ import annotations

import numpy as np
import pytest

from tenkai.ir import REGISTRY, index_rules


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_scatter_add_adds_in_index_order(axis, dtype):
    rng = np.random.default_rng(axis)
    x = (rng.standard_normal((4, 5, 6)) * 100).astype(dtype)
    idx_shape = [3, 4, 5]
    idx = rng.integers(0, x.shape[axis], idx_shape)  # repeats: the order of additions shows
    src = (rng.standard_normal((4, 5, 6)) * 1e4).astype(dtype)
    want = x.copy()
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    np.add.at(want, tuple(grids), src[:3, :4, :5])
    got = REGISTRY["scatter_add"].reference(x, idx, src, axis=axis, bounds="scatter_add")
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    with pytest.raises(RuntimeError):  # PyTorch's RuntimeError for scatter_add
        REGISTRY["scatter_add"].reference(x, idx + x.shape[axis], src, axis=axis,
                                          bounds="scatter_add")


def test_index_check_wraps_and_rejects():
    idx = np.array([[0, -1], [2, -3]])
    np.testing.assert_array_equal(index_rules.check(idx, 3, 0, "index"), [[0, 2], [2, 0]])
    plain = np.array([0, 2, 1])
    assert index_rules.check(plain, 3, 0, "index") is plain
    assert index_rules.check(np.zeros(0, np.int64), 0, 0, "gather").size == 0
    for bad, bounds, kind in (([0, 3], "index", IndexError), ([-4], "index", IndexError),
                              ([-1], "gather", RuntimeError)):
        with pytest.raises(kind, match=str(bad[-1])):
            index_rules.check(np.array(bad), 3, 0, bounds)
