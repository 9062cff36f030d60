"""The full SVD (``linalg.svd`` default ``full_matrices=True``, ``torch.svd(some=False)``) and
the complete QR (``mode="complete"``) of non-square matrices, against PyTorch 2.13: shapes,
orthonormality, reconstruction, values where LAPACK fixes them, gradients (PyTorch ignores
the cotangents of the SVD's extra vectors and refuses the complete QR's backward for m > n),
grad_fn structure, empty shapes, and compiled training (interp backend)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

SHAPES = [(5, 3), (3, 5), (2, 4, 2), (2, 2, 4), (3, 3), (1, 4)]


def _a(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _np(t):
    return t.detach().numpy()


def _orthonormal(q, n):
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(n), q.shape[:-2]
                                                                            + (n, n)), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_full_svd_shapes_bases_and_reconstruction(shape):
    a = _a(shape)
    U, S, Vh = tenkai.linalg.svd(tenkai.tensor(a))
    u, s, vh = torch.linalg.svd(torch.tensor(a))
    assert U.shape == u.shape and S.shape == s.shape and Vh.shape == vh.shape
    m, n = shape[-2:]
    k = min(m, n)
    _orthonormal(_np(U), m)
    _orthonormal(np.swapaxes(_np(Vh), -1, -2), n)
    np.testing.assert_allclose(_np(S), s.numpy(), rtol=1e-12)
    sigma = np.zeros(shape)
    sigma[..., range(k), range(k)] = _np(S)
    np.testing.assert_allclose(_np(U) @ sigma @ _np(Vh), a, atol=1e-12)
    # the extra vectors span the same complement as PyTorch's (bases may differ)
    for mine, theirs in ((_np(U)[..., k:], u.numpy()[..., k:]),
                         (np.swapaxes(_np(Vh), -1, -2)[..., k:],
                          np.swapaxes(vh.numpy(), -1, -2)[..., k:])):
        np.testing.assert_allclose(mine @ np.swapaxes(mine, -1, -2),
                                   theirs @ np.swapaxes(theirs, -1, -2), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_full_svd_gradients_ignore_the_extra_vectors_as_pytorch(shape):
    a = _a(shape, 1)
    m, n = shape[-2:]
    k = min(m, n)
    grads = []
    for lib in (tenkai, torch):
        x = lib.tensor(a, requires_grad=True)
        U, S, Vh = lib.linalg.svd(x)
        # sign-invariant in the first k vectors; the extra ones enter linearly (ignored)
        loss = (U[..., :k] ** 4).sum() + (Vh[..., :k, :] ** 2 * 3).sum() + S.sum() \
            + U[..., k:].sum() + Vh[..., k:, :].sum()
        loss.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-10)


def _walk(fn, depth=2):
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (fn.name(), tuple((_walk(f, depth - 1), k) for f, k in fn.next_functions))


def test_full_svd_and_complete_qr_grad_fns_follow_pytorch():
    a = _a((4, 2))
    walks = []
    for lib in (torch, tenkai):
        x = lib.tensor(a, requires_grad=True)
        U, S, Vh = lib.linalg.svd(x)
        W = lib.linalg.svd(x.T).Vh
        Q, R = lib.linalg.qr(x, mode="complete")
        U2, S2, V2 = lib.svd(x, some=False)
        walks.append([_walk(t.exp().grad_fn) for t in (U, S, Vh, W, Q, R, U2, V2)])
    assert walks[1] == walks[0]


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 2), (3, 5), (3, 3)], ids=str)
def test_complete_qr_values_match_pytorch(shape):
    a = _a(shape, 2)
    Q, R = tenkai.linalg.qr(tenkai.tensor(a), mode="complete")
    q, r = torch.linalg.qr(torch.tensor(a), mode="complete")
    np.testing.assert_allclose(_np(Q), q.numpy(), atol=1e-12)  # LAPACK's Householder, both
    np.testing.assert_allclose(_np(R), r.numpy(), atol=1e-12)
    _orthonormal(_np(Q), shape[-2])
    np.testing.assert_allclose(_np(Q) @ _np(R), a, atol=1e-12)


def test_complete_qr_backward_raises_as_pytorch_for_tall_and_works_otherwise():
    msg = "not differentiable when mode='complete' and nrows > ncols"
    for lib in (torch, tenkai):
        x = lib.tensor(_a((4, 2)), requires_grad=True)
        with pytest.raises(RuntimeError, match=msg):
            lib.linalg.qr(x, mode="complete").Q.sum().backward()
    grads = []
    for lib in (torch, tenkai):  # square and wide: complete is reduced, differentiable
        x = lib.tensor(_a((2, 3, 5), 3), requires_grad=True)
        Q, R = lib.linalg.qr(x, mode="complete")
        ((Q * 2).sum() + (R ** 2).sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (2, 0, 3), (0, 2, 2)], ids=str)
def test_empty_matrices_match_pytorch(shape):
    a = np.zeros(shape)
    mine = tenkai.linalg.svd(tenkai.tensor(a))
    theirs = torch.linalg.svd(torch.tensor(a))
    for got, want in zip(mine, theirs, strict=True):
        assert got.shape == want.shape
        np.testing.assert_array_equal(_np(got), want.numpy())
    if shape[-2] >= shape[-1]:
        Q, R = tenkai.linalg.qr(tenkai.tensor(a), mode="complete")
        q, r = torch.linalg.qr(torch.tensor(a), mode="complete")
        np.testing.assert_array_equal(_np(Q), q.numpy())
        assert R.shape == r.shape


def test_torch_svd_some_false():
    a = _a((5, 3), 4)
    U, S, V = tenkai.svd(tenkai.tensor(a), some=False)
    u, s, v = torch.svd(torch.tensor(a), some=False)
    assert (U.shape, S.shape, V.shape) == (u.shape, s.shape, v.shape)
    np.testing.assert_allclose(_np(U)[:, :3] * _np(S) @ _np(V).T, a, atol=1e-12)
    _orthonormal(_np(U), 5)


def _train(backend):
    tenkai.manual_seed(0)
    model = tenkai.nn.Linear(3, 2, dtype=tenkai.float64)
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)

    def step(x):
        opt.zero_grad()
        U, S, Vh = tenkai.linalg.svd(model(x))  # (5, 2): U is completed to (5, 5)
        Q, R = tenkai.linalg.qr(model(x).T)  # (2, 5): the wide QR's backward
        loss = (U[:, :2] ** 4).sum() + S.sum() + U[:, 2:].sum() + (R ** 2).sum() \
            + (Q ** 4).sum()
        loss.backward()
        opt.step()
        return loss

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    x = tenkai.tensor(_a((5, 3), 5))
    out = []
    for _ in range(3):
        loss = float(fn(x))
        out.append((loss, [p.detach().numpy().copy() for p in model.parameters()],
                    [p.grad.numpy().copy() for p in model.parameters()],
                    [{k: np.array(v.numpy() if hasattr(v, "numpy") else v)
                      for k, v in opt.state[p].items()} for p in model.parameters()]))
    return out


def test_compiled_training_through_full_svd_and_wide_qr_equals_eager():
    for (le, pe, ge, se), (lc, pc, gc, sc) in zip(_train(None), _train("interp"), strict=True):
        np.testing.assert_allclose(lc, le, rtol=1e-10)
        for a, b in zip(pc + gc, pe + ge, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        for a, b in zip(sc, se, strict=True):
            for key in a:
                np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-12)
