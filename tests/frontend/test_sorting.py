"""Sorting, selection and counting against PyTorch (values, indices, return types, gradients),
and the clear error inside tenkai.compile."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

X = np.array([[3.0, 1.0, 2.0, 5.0, -1.0], [0.5, 4.0, -2.0, 1.5, 7.0]], np.float32)

# (name, args after the tensor, kwargs); inputs have distinct values so indices are unique
TABLE = [
    ("sort", (), {}), ("sort", (0,), {"descending": True}), ("sort", (), {"stable": True}),
    ("argsort", (), {"descending": True}), ("msort", (), {}),
    ("topk", (2,), {}), ("topk", (1, 0), {"largest": False}),
    ("kthvalue", (2,), {}), ("kthvalue", (1, 0), {"keepdim": True}),
    ("median", (), {}), ("median", (1,), {}), ("median", (0,), {"keepdim": True}),
]


NAN = np.array([[1.0, np.nan, 2.0, np.nan], [3.0, 1.0, 2.0, 0.0]], np.float32)


@pytest.mark.parametrize("args", [(), (1,), (0, True)], ids=["all", "dim1", "dim0"])
def test_median_propagates_nan(args):
    """A line holding nan has median nan at its first nan (``nanmedian`` skips them), with the
    gradient reaching that element, as in PyTorch."""
    a, b = tenkai.tensor(NAN, requires_grad=True), torch.tensor(NAN, requires_grad=True)
    got, want = tenkai.median(a, *args), torch.median(b, *args)
    for g, w in zip(_parts(got), _parts(want), strict=True):
        np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())
    _parts(got)[0].sum().backward()
    _parts(want)[0].sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def _parts(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name,args,kw", [pytest.param(*r, id=f"{r[0]}-{i}")
                                          for i, r in enumerate(TABLE)])
def test_matches_torch(name, args, kw):
    a, b = tenkai.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    got, want = getattr(tenkai, name)(a, *args, **kw), getattr(torch, name)(b, *args, **kw)
    assert type(got).__name__ == type(want).__name__
    for g, w in zip(_parts(got), _parts(want), strict=True):
        assert g.dtype == getattr(tenkai, str(w.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())
    values_tk, values_th = _parts(got)[0], _parts(want)[0]
    if values_th.requires_grad:
        assert values_tk.grad_fn.name() == values_th.grad_fn.name()
        ct = np.arange(1, values_th.numel() + 1, dtype=np.float32).reshape(values_th.shape)
        (values_tk * tenkai.tensor(ct)).sum().backward()
        (values_th * torch.tensor(ct)).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_counting_and_searching():
    v = [3, 1, 3, 2, 2, 2, 5]
    a, b = tenkai.tensor(v), torch.tensor(v)
    for kw in ({}, {"return_inverse": True, "return_counts": True}):
        for g, w in zip(_parts(tenkai.unique(a, **kw)), _parts(torch.unique(b, **kw)),
                        strict=True):
            assert g.tolist() == w.tolist()
    for g, w in zip(tenkai.unique_consecutive(a, return_inverse=True, return_counts=True),
                    torch.unique_consecutive(b, return_inverse=True, return_counts=True),
                    strict=True):
        assert g.tolist() == w.tolist()
    assert tenkai.mode(a).values.item() == torch.mode(b).values.item()
    assert tenkai.bincount(a, minlength=8).tolist() == torch.bincount(b, minlength=8).tolist()
    w = np.linspace(0.5, 2.0, 7).astype(np.float32)
    got, want = tenkai.bincount(a, tenkai.tensor(w)), torch.bincount(b, torch.tensor(w))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy())
    seq, vals = [1.0, 3.0, 5.0, 7.0], [[0.0, 3.0, 6.0], [7.0, 8.0, 1.0]]
    for right in (False, True):
        assert tenkai.searchsorted(tenkai.tensor(seq), tenkai.tensor(vals), right=right
                                   ).tolist() == torch.searchsorted(
            torch.tensor(seq), torch.tensor(vals), right=right).tolist()
        assert tenkai.bucketize(tenkai.tensor(vals), tenkai.tensor(seq), right=right
                                ).tolist() == torch.bucketize(
            torch.tensor(vals), torch.tensor(seq), right=right).tolist()
    got = tenkai.searchsorted(tenkai.tensor([seq, seq]), tenkai.tensor(vals), out_int32=True)
    assert got.dtype == tenkai.int32 and got.tolist() == torch.searchsorted(
        torch.tensor([seq, seq]), torch.tensor(vals), out_int32=True).tolist()


def test_errors_and_compile():
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        tenkai.topk(tenkai.ones(3), 4)
    with pytest.raises(RuntimeError, match="bincount only supports"):
        tenkai.bincount(tenkai.tensor([-1, 2]))

    def step(x):
        return tenkai.sort(x).values.sum()
    with pytest.raises(NotImplementedError, match="sort: not supported inside tenkai.compile"):
        tenkai.compile(step, backend="interp")(tenkai.ones(3))


TIES = np.array([[3.0, 1.0, 3.0, np.nan, np.nan], [2.0, 1.0, 1.0, 2.0, 0.5]], np.float32)


@pytest.mark.parametrize("name,fn", [
    ("max.dim", lambda M, x: x.max(1).values),
    ("min.dim.keepdim", lambda M, x: x[1:].min(1, keepdim=True).values),
    ("max.all", lambda M, x: x.max()),
    ("max.all.finite", lambda M, x: x[1:].max()),
    ("amax", lambda M, x: x[1:].amax(1)),
    ("median.all.ties", lambda M, x: x[1:].median()),
    ("median.all.nan", lambda M, x: x.median()),
], ids=lambda v: v if isinstance(v, str) else "")
def test_extreme_gradients_follow_pytorch(name, fn):
    """Which element a tied or nan extreme's gradient reaches: ``max(dim)`` the returned index,
    ``max()``/``amax``/``median()`` shared evenly between the equal elements (nans for a nan)."""
    a, b = tenkai.tensor(TIES, requires_grad=True), torch.tensor(TIES, requires_grad=True)
    got, want = fn(tenkai, a), fn(torch, b)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert got.grad_fn.name() == want.grad_fn.name()
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_tied_entries_report_pytorchs_positions(dtype):
    # equal values: which position kthvalue reports follows PyTorch's quickselect; median,
    # nanmedian too (nan included); random lines with few distinct values, all k, dims
    rng = np.random.default_rng(7)
    for trial in range(120):
        shape = tuple(int(s) for s in rng.integers(1, 40, int(rng.integers(1, 4))))
        x = rng.integers(0, int(rng.integers(1, 5)), shape).astype(dtype)
        if dtype != "int64" and trial % 4 == 0:
            x[rng.random(shape) < 0.2] = np.nan
        dim = int(rng.integers(-len(shape), len(shape)))
        k, keep = int(rng.integers(1, shape[dim] + 1)), bool(trial % 2)
        cases = [("kthvalue", (k, dim, keep)), ("median", (dim, keep)), ("nanmedian", (dim,))]
        for name, args in cases:
            want = getattr(torch, name)(torch.tensor(x), *args)
            got = getattr(tenkai, name)(tenkai.tensor(x), *args)
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy(),
                                          err_msg=f"{name}{args} of {x.tolist()}")
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    x = tenkai.tensor([3.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0], requires_grad=True)
    kth = tenkai.kthvalue(x, 1)
    assert kth.indices.item() == 3  # a stable order would say 1
    kth.values.backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
