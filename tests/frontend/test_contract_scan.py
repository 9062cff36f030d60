"""Contractions, matrix structure, scans and shape helpers against PyTorch: values, dtypes,
grad_fn names and gradients from one table, plus a compiled training step that uses them."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")


def _rand(shape, rng, dtype="float32"):
    if dtype == "int64":
        return rng.integers(-4, 5, shape).astype(dtype)
    return rng.uniform(-1.5, 1.5, shape).astype(dtype)


# (name, operand shapes, kwargs, compare grad_fn names)
TABLE = [
    ("addmm", [(2, 4), (2, 3), (3, 4)], {}, True),
    ("addmm", [(4,), (2, 3), (3, 4)], {"beta": 0.5, "alpha": 2.0}, True),
    ("addmv", [(2,), (2, 3), (3,)], {"alpha": 0.5}, True),
    ("addbmm", [(2, 4), (3, 2, 3), (3, 3, 4)], {}, True),
    ("baddbmm", [(3, 2, 4), (3, 2, 3), (3, 3, 4)], {"beta": 2.0}, True),
    ("addcmul", [(2, 3), (2, 3), (3,)], {"value": 0.5}, True),
    ("addcdiv", [(2, 3), (2, 3), (2, 3)], {"value": 2.0}, True),
    ("kron", [(2, 3), (2, 2)], {}, True),
    ("kron", [(3,), (2, 2)], {}, True),
    ("tensordot", [(2, 3, 4), (3, 4, 5)], {"dims": 2}, False),
    ("tensordot", [(2, 3, 4), (4, 2)], {"dims": ([0], [1])}, False),
    ("cross", [(4, 3), (4, 3)], {"dim": 1}, True),
    ("cross", [(2, 3, 2), (1, 3, 2)], {"dim": -2}, True),
    ("diag", [(3,)], {"diagonal": 1}, False),
    ("diag", [(3, 4)], {"diagonal": -1}, False),
    ("diagonal", [(2, 3, 4)], {"offset": 1, "dim1": 2, "dim2": 0}, True),
    ("diag_embed", [(2, 3)], {"offset": -1}, True),
    ("diag_embed", [(2, 3)], {"offset": 1, "dim1": 0, "dim2": 2}, True),
    ("tril", [(3, 4)], {"diagonal": 1}, True),
    ("triu", [(2, 3, 3)], {"diagonal": -1}, True),
    ("trace", [(3, 4)], {}, True),
    ("diagonal", [(3, 4)], {}, True),
    ("cumsum", [(3, 4)], {"dim": 1}, True),
    ("cumsum", [(3, 4)], {"dim": 0}, True),
    ("cumsum", [(5,)], {"dim": 0}, True),
    ("cumprod", [(3, 4)], {"dim": 1}, True),
    ("cumprod", [(4,)], {"dim": 0, "dtype": tenkai.float64}, False),
    ("logcumsumexp", [(3, 4)], {"dim": 0}, True),
    ("cummax", [(3, 4)], {"dim": 1}, True),
    ("cummin", [(5,)], {"dim": 0}, True),
    ("diff", [(3, 5)], {}, False),
    ("diff", [(3, 5)], {"n": 2, "dim": 0}, False),
    ("diff", [(3, 5)], {"dim": 1, "prepend": "t", "append": "t"}, False),
    ("broadcast_to", [(3, 1)], {"size": (2, 3, 4)}, True),
    ("roll", [(3, 4)], {"shifts": 1}, True),
    ("roll", [(3, 4)], {"shifts": (2, -1), "dims": (0, 1)}, True),
    ("rot90", [(2, 3)], {}, False),
    ("rot90", [(2, 3, 4)], {"k": 3, "dims": [1, 2]}, False),
    ("rot90", [(2, 3)], {"k": 2}, False),
    ("fliplr", [(2, 3)], {}, True),
    ("flipud", [(2, 3)], {}, True),
    ("einsum", [(2, 3), (3, 4)], {"equation": "ij,jk->ik"}, False),
    ("einsum", [(2, 3, 4), (2, 4, 5)], {"equation": "bij,bjk->bik"}, False),
    ("einsum", [(3,), (4,)], {"equation": "i,j"}, False),
    ("einsum", [(2, 3)], {"equation": "ij->"}, False),
    ("einsum", [(5, 2, 3), (3,)], {"equation": "...j,j->..."}, False),
]


def _call(lib, name, xs, kw):
    kw = dict(kw)
    for key in ("prepend", "append"):
        if kw.get(key) == "t":
            kw[key] = xs[0][:, :2] if lib is torch else xs[0][:, :2]
    if name == "cumprod" and "dtype" in kw:
        kw["dtype"] = torch.float64 if lib is torch else tenkai.float64
    if name == "einsum":
        return lib.einsum(kw["equation"], *xs)
    out = getattr(lib, name)(*xs, **kw)
    return out.values if name in ("cummax", "cummin") else out


@pytest.mark.parametrize("name,shapes,kw,check_name",
                         [pytest.param(*row, id=f"{row[0]}-{i}") for i, row in enumerate(TABLE)])
def test_matches_torch(name, shapes, kw, check_name):
    rng = np.random.default_rng(zlib.crc32(f"{name}{shapes}".encode()))
    arrays = [_rand(s, rng) for s in shapes]
    tk = [tenkai.tensor(a, requires_grad=True) for a in arrays]
    th = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_tk, out_th = _call(tenkai, name, tk, kw), _call(torch, name, th, kw)
    want = out_th.detach().numpy()
    assert tuple(out_tk.shape) == want.shape and str(out_tk.dtype) == str(out_th.dtype)
    np.testing.assert_allclose(out_tk.detach().numpy(), want, rtol=1e-5, atol=1e-6)
    if check_name:
        assert out_tk.grad_fn.name() == out_th.grad_fn.name()
    ct = rng.uniform(0.5, 1.5, want.shape).astype(want.dtype)
    (out_tk * tenkai.tensor(ct)).sum().backward()
    (out_th * torch.tensor(ct)).sum().backward()
    for a, b in zip(tk, th, strict=True):
        want_g = np.zeros(b.shape, np.float32) if b.grad is None else b.grad.numpy()
        got_g = np.zeros(a.shape, np.float32) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(got_g, want_g, rtol=1e-4, atol=1e-5, err_msg=name)


def test_index_results_and_helpers():
    x = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 1.0, 4.0, 4.0]], np.float32)
    for name in ("cummax", "cummin"):
        got, want = getattr(tenkai, name)(tenkai.tensor(x), 1), getattr(torch, name)(
            torch.tensor(x), 1)
        assert got.indices.tolist() == want.indices.tolist()
        assert repr(got).startswith(f"torch.return_types.{name}(")
    for fn in ("tril_indices", "triu_indices"):
        assert getattr(tenkai, fn)(3, 4, 1).tolist() == getattr(torch, fn)(3, 4, 1).tolist()
    a, b = [1, 2], [3, 4, 5]
    assert tenkai.cartesian_prod(tenkai.tensor(a), tenkai.tensor(b)).tolist() == \
        torch.cartesian_prod(torch.tensor(a), torch.tensor(b)).tolist()
    for indexing in ("ij", "xy"):
        got = tenkai.meshgrid(tenkai.tensor(a), tenkai.tensor(b), indexing=indexing)
        want = torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing=indexing)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]
    blocks = [np.ones((2, 2)), np.arange(3.0), np.array(5.0)]
    assert tenkai.block_diag(*[tenkai.tensor(m) for m in blocks]).tolist() == \
        torch.block_diag(*[torch.tensor(m) for m in blocks]).tolist()
    for n in (1, 2, 3):
        for shape in ((), (3,), (2, 3)):
            got = getattr(tenkai, f"atleast_{n}d")(tenkai.zeros(shape))
            assert tuple(got.shape) == tuple(getattr(torch, f"atleast_{n}d")(
                torch.zeros(shape)).shape)
    got = tenkai.broadcast_tensors(tenkai.zeros(3, 1), tenkai.zeros(4))
    assert [tuple(g.shape) for g in got] == [(3, 4), (3, 4)]
    m = tenkai.ones(2, 2)
    m.tril_()
    assert m.tolist() == [[1.0, 0.0], [1.0, 1.0]]
    assert tenkai.trace(tenkai.tensor([[1.0, 2.0], [3.0, 4.0]])).item() == 5.0


def test_errors():
    with pytest.raises(RuntimeError, match="must have length 3"):
        tenkai.cross(tenkai.ones(2, 4), tenkai.ones(2, 4), dim=1)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tenkai.cross(tenkai.ones(3), tenkai.ones(2, 3), dim=-1)
    with pytest.raises(RuntimeError, match="trace: expected a matrix"):
        tenkai.trace(tenkai.ones(3))
    with pytest.raises(RuntimeError, match="subscript j is repeated for operand 1 but the "
                       "sizes don't match, 3 != 4"):
        tenkai.einsum("ij,jj->i", tenkai.ones(2, 3), tenkai.ones(3, 4))
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        tenkai.addcdiv(tenkai.ones(2), tenkai.tensor([1, 2]), tenkai.tensor([1, 2]))
    with pytest.warns(UserWarning, match="indexing argument"):
        tenkai.meshgrid(tenkai.ones(2), tenkai.ones(3))


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
def test_training_with_composites_compiled_follows_eager(backend):
    def run(compiled):
        tenkai.manual_seed(0)
        w = tenkai.randn(4, 4, requires_grad=True)
        b = tenkai.randn(4, requires_grad=True)
        opt = tenkai.optim.Adam([w, b], lr=0.01)
        x = tenkai.randn(6, 4)

        def step(x):
            opt.zero_grad()
            h = tenkai.addmm(b, x, tenkai.tril(w), beta=0.5)
            h = tenkai.einsum("ij,jk->ik", h, tenkai.diag_embed(b)) + tenkai.roll(h, 1, 0)
            h = tenkai.cumprod(tenkai.tanh(h), 1) + tenkai.logcumsumexp(h, 0)
            h = h + tenkai.cumsum(h, 1) * 0.1 + tenkai.diagonal(w) - tenkai.rot90(w)[0]
            loss = (tenkai.addcmul(h, h, h, value=0.1) ** 2).mean() + tenkai.trace(w) ** 2
            loss.backward()
            opt.step()
            return loss
        fn = tenkai.compile(step, backend=compiled) if compiled else step
        return [fn(x).item() for _ in range(3)], w, b, opt

    eager, w1, b1, o1 = run(None)
    got, w2, b2, o2 = run(backend)
    np.testing.assert_allclose(got, eager, rtol=2e-5)
    for p1, p2 in ((w1, w2), (b1, b2)):
        np.testing.assert_allclose(p2.detach().numpy(), p1.detach().numpy(), rtol=2e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(p2.grad.numpy(), p1.grad.numpy(), rtol=2e-5, atol=1e-6)
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(o2.state[p2][key].numpy(), o1.state[p1][key].numpy(),
                                       rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("eq,shapes", [("ii->i", [(3, 3)]), ("ii", [(4, 4)]),
                                       ("iiji->ij", [(3, 3, 2, 3)]),
                                       ("iij,ij->j", [(3, 3, 4), (3, 4)]),
                                       ("bii->b", [(2, 3, 3)]), ("ij,jj", [(2, 3), (3, 3)])])
def test_einsum_repeated_subscripts_take_diagonals_like_pytorch(eq, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ts = [tenkai.tensor(a, requires_grad=True) for a in arrays]
    ps = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, want = tenkai.einsum(eq, *ts), torch.einsum(eq, *ps)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    got.sum().backward()
    want.sum().backward()
    for t, p in zip(ts, ps, strict=True):
        np.testing.assert_allclose(t.grad.numpy(), p.grad.numpy(), rtol=1e-12)
