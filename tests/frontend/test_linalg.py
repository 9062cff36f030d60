"""tenkai.linalg against torch.linalg: values, gradients (float64, torch.autograd), errors,
printing, and compiled training through a factorization (interp backend; LLVM refuses)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _wellcond(*shape):
    n = shape[-1]
    return RNG.uniform(-0.5, 0.5, shape) / n + 1.5 * np.eye(n)


def _spd(*shape):
    a = RNG.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _gen(*shape):
    return RNG.normal(size=shape)


# name -> (fn(lib, *tensors) -> tensor, inputs). Vectors known up to sign enter squared.
CASES = {
    "inv": (lambda L, a: L.linalg.inv(a), [_wellcond(2, 3, 3)]),
    "det": (lambda L, a: L.linalg.det(a), [_wellcond(2, 3, 3)]),
    "slogdet_logabs": (lambda L, a: L.linalg.slogdet(a)[1], [_wellcond(4, 4)]),
    "slogdet_sign": (lambda L, a: L.linalg.slogdet(-a)[0] * a.sum(), [_wellcond(3, 3)]),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), [_wellcond(2, 3, 3), _gen(2, 3, 2)]),
    "solve_vec": (lambda L, a, b: L.linalg.solve(a, b), [_wellcond(3, 3), _gen(3)]),
    "solve_right": (lambda L, a, b: L.linalg.solve(a, b, left=False),
                    [_wellcond(3, 3), _gen(2, 3)]),
    "cholesky": (lambda L, a: L.linalg.cholesky(a), [_spd(2, 3, 3)]),
    "cholesky_upper": (lambda L, a: L.linalg.cholesky(a, upper=True), [_spd(3, 3)]),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a), [_spd(2, 4, 4)]),
    "eigh_vectors": (lambda L, a: L.linalg.eigh(a).eigenvectors ** 2, [_spd(3, 3)]),
    "eigh_upper": (lambda L, a: L.linalg.eigh(a, UPLO="U")[0], [_spd(3, 3)]),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [_gen(2, 4, 3)]),
    "svd_u": (lambda L, a: L.linalg.svd(a, full_matrices=False).U ** 2, [_gen(4, 3)]),
    "svd_vh": (lambda L, a: L.linalg.svd(a, full_matrices=False).Vh ** 2, [_gen(3, 4)]),
    "svd_top": (lambda L, a: L.svd(a).V ** 2 + L.svd(a).S.sum(), [_gen(3, 3)]),
    "qr_q": (lambda L, a: L.linalg.qr(a).Q, [_gen(4, 3)]),
    "qr_r": (lambda L, a: L.linalg.qr(a).R, [_gen(2, 3, 3)]),
    "qr_wide_q": (lambda L, a: L.linalg.qr(a).Q, [_gen(2, 3, 5)]),
    "qr_wide_r": (lambda L, a: L.linalg.qr(a).R, [_gen(3, 4)]),
    "pinv": (lambda L, a: L.linalg.pinv(a), [_gen(4, 3)]),
    "lstsq": (lambda L, a, b: L.linalg.lstsq(a, b).solution, [_gen(5, 3), _gen(5, 2)]),
    "matrix_power3": (lambda L, a: L.linalg.matrix_power(a, 3), [_gen(2, 3, 3)]),
    "matrix_power_neg": (lambda L, a: L.linalg.matrix_power(a, -2), [_wellcond(3, 3)]),
    "cross": (lambda L, a, b: L.linalg.cross(a, b), [_gen(4, 3), _gen(1, 3)]),
    "cross_top": (lambda L, a, b: L.cross(a, b, dim=0), [_gen(3, 2), _gen(3, 2)]),
    "multi_dot": (lambda L, a, b, c: L.linalg.multi_dot([a, b, c]),
                  [_gen(3), _gen(3, 4), _gen(4, 2)]),
    "vecdot": (lambda L, a, b: L.linalg.vecdot(a, b), [_gen(2, 3), _gen(3)]),
    "diagonal": (lambda L, a: L.linalg.diagonal(a, offset=1), [_gen(2, 3, 4)]),
    "diagonal_neg": (lambda L, a: L.linalg.diagonal(a, offset=-1, dim1=0, dim2=2),
                     [_gen(3, 2, 4)]),
    "matrix_norm_fro": (lambda L, a: L.linalg.matrix_norm(a), [_gen(2, 3, 4)]),
    "matrix_norm_nuc": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), [_gen(2, 3, 4)]),
    "matrix_norm_2": (lambda L, a: L.linalg.matrix_norm(a, 2, dim=(0, 2)), [_gen(3, 2, 4)]),
    "matrix_norm_m2": (lambda L, a: L.linalg.matrix_norm(a, -2, keepdim=True), [_gen(3, 4)]),
    "matrix_norm_1": (lambda L, a: L.linalg.matrix_norm(a, 1), [_gen(2, 3, 4)]),
    "matrix_norm_inf": (lambda L, a: L.linalg.matrix_norm(a, -math.inf), [_gen(2, 3, 4)]),
    "norm_default": (lambda L, a: L.linalg.norm(a), [_gen(2, 3, 4)]),
    "norm_vec_dim": (lambda L, a: L.linalg.norm(a, 3, dim=1), [_gen(2, 3, 4)]),
    "norm_matrix_ord": (lambda L, a: L.linalg.norm(a, "nuc"), [_gen(3, 4)]),
    "vector_norm": (lambda L, a: L.linalg.vector_norm(a, 1.5, dim=(0, 2)), [_gen(2, 3, 4)]),
    "torch_norm_nuc": (lambda L, a: L.norm(a, p="nuc"), [_gen(3, 4)]),
    "logdet": (lambda L, a: L.logdet(a), [_spd(3, 3)]),
    "inverse_method": (lambda L, a: a.inverse() + a.det(), [_wellcond(3, 3)]),
    "inv_ex": (lambda L, a: L.linalg.inv_ex(a).inverse, [_wellcond(3, 3)]),
    "solve_triangular": (lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True),
                         [_wellcond(2, 3, 3), _gen(2, 3, 2)]),
    "solve_triangular_right_unit": (
        lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, left=False,
                                                  unitriangular=True),
        [_gen(3, 3), _gen(2, 3)]),
    "cond": (lambda L, a: L.linalg.cond(a), [_gen(2, 3, 3)]),
    "matrix_exp": (lambda L, a: L.linalg.matrix_exp(a), [_gen(2, 3, 3)]),
    "tensorinv": (lambda L, a: L.linalg.tensorinv(a, 1), [_wellcond(6, 6).reshape(6, 2, 3)]),
    "vander": (lambda L, a: L.linalg.vander(a, N=4), [_gen(2, 3)]),
    "cholesky_solve": (lambda L, b, a: L.cholesky_solve(b, L.linalg.cholesky(a)),
                       [_gen(3, 2), _spd(3, 3)]),
    "cholesky_inverse": (lambda L, a: L.cholesky_inverse(L.linalg.cholesky(a), upper=False),
                         [_spd(3, 3)]),
}


def _run(lib, name, arrays, dtype, grad):
    fn, _ = CASES[name]
    xs = [lib.tensor(a, dtype=dtype, requires_grad=grad) for a in arrays]
    out = fn(lib, *xs)
    if not grad:
        return out.detach().numpy(), []
    w = lib.tensor(_weight_array(tuple(out.shape)), dtype=dtype)
    (out * w).sum().backward()
    return out.detach().numpy(), [x.grad.numpy() for x in xs]


def _weight_array(shape):
    n = math.prod(shape) if shape else 1
    return ((np.arange(1, n + 1) % 5) * 0.3 + 0.1).reshape(shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    arrays = CASES[name][1]
    for dtype_t, dtype_k, tol in ((torch.float32, tenkai.float32, 2e-4),):
        want, _ = _run(torch, name, arrays, dtype_t, False)
        got, _ = _run(tenkai, name, arrays, dtype_k, False)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)
    want, want_g = _run(torch, name, arrays, torch.float64, True)
    got, got_g = _run(tenkai, name, arrays, tenkai.float64, True)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)
    for k, (g, w) in enumerate(zip(got_g, want_g, strict=True)):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-8, err_msg=f"{name}: grad {k}")


def test_reconstructions_and_return_types():
    a = tenkai.tensor(_gen(2, 4, 3))
    U, S, Vh = tenkai.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ Vh).numpy(), a.numpy(), atol=1e-5)
    res = tenkai.linalg.eigh(tenkai.tensor(_spd(3, 3)))
    assert type(res).__name__ == "linalg_eigh" and res.eigenvalues is res[0]
    assert repr(tenkai.svd(tenkai.eye(2))) == repr(torch.svd(torch.eye(2)))
    assert repr(tenkai.linalg.slogdet(tenkai.eye(2))) == repr(torch.linalg.slogdet(torch.eye(2)))
    x = tenkai.tensor(_wellcond(3, 3), requires_grad=True)
    assert tenkai.linalg.inv(x).grad_fn.name() == "LinalgInvExBackward0"
    lt = torch.linalg.lstsq(torch.tensor(_gen(5, 3)), torch.tensor(_gen(5, 2)))
    lk = tenkai.linalg.lstsq(tenkai.tensor(_gen(5, 3)), tenkai.tensor(_gen(5, 2)))
    assert [tuple(t.shape) for t in lk] == [tuple(t.shape) for t in lt]
    assert tenkai.linalg.matrix_rank(tenkai.tensor([[1.0, 2.0], [2.0, 4.0]])).item() == 1
    v = _gen(3)  # (torch's own backward of torch.vander fails: values only)
    for kw in ({}, {"N": 2, "increasing": True}, {"N": 0}):
        np.testing.assert_allclose(tenkai.vander(tenkai.tensor(v), **kw).numpy(),
                                   torch.vander(torch.tensor(v), **kw).numpy())
    a = _wellcond(3, 3)  # (torch's own backward of cond(p="fro") fails: values only)
    for p in ("fro", "nuc", 1, -math.inf):
        np.testing.assert_allclose(tenkai.linalg.cond(tenkai.tensor(a), p).item(),
                                   torch.linalg.cond(torch.tensor(a), p).item(), rtol=1e-10)


ERRORS = [
    ("inv_nonsquare", lambda L: L.linalg.inv(L.ones(2, 3))),
    ("det_1d", lambda L: L.linalg.det(L.ones(3))),
    ("inv_int", lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.int64))),
    ("inv_singular", lambda L: L.linalg.inv(L.zeros(2, 2))),
    ("cholesky_not_pd", lambda L: L.linalg.cholesky(-L.eye(2))),
    ("solve_shapes", lambda L: L.linalg.solve(L.eye(3), L.ones(2, 2))),
    ("cross_size", lambda L: L.linalg.cross(L.ones(2, 4), L.ones(2, 4))),
    ("matrix_norm_ord", lambda L: L.linalg.matrix_norm(L.ones(2, 2), 3)),
    ("multi_dot_one", lambda L: L.linalg.multi_dot([L.ones(2, 2)])),
    ("eigh_uplo", lambda L: L.linalg.eigh(L.eye(2), UPLO="X")),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch_types(name, fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(tenkai)
    assert isinstance(got.value, type(want.value).__mro__[1] if type(want.value).__name__ ==
                      "_LinAlgError" else type(want.value)), (name, got.value, want.value)


TRAIN_BASE, TRAIN_X = _spd(3, 3), _gen(4, 3)


def _train(backend):
    tenkai.manual_seed(0)
    model = tenkai.nn.Linear(3, 3, dtype=tenkai.float64)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.05)
    base = tenkai.tensor(TRAIN_BASE)

    def step(x):
        opt.zero_grad()
        w = model.weight
        loss = tenkai.linalg.matrix_norm(tenkai.linalg.inv(base + w @ w.T), "fro") \
            + tenkai.linalg.svdvals(model(x)).sum()
        loss.backward()
        opt.step()
        return loss

    fn = step if backend is None else tenkai.compile(step, backend=backend)
    x = tenkai.tensor(TRAIN_X)
    losses = [float(fn(x)) for _ in range(3)]
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_compiled_training_interp_matches_eager_and_llvm_refuses():
    eager_l, eager_p = _train(None)
    comp_l, comp_p = _train("interp")
    np.testing.assert_allclose(comp_l, eager_l, rtol=1e-10)
    for a, b in zip(comp_p, eager_p, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="linalg_.*backend='interp'"):
        _train("tenkai")


def test_a_float32_determinant_past_its_range_is_inf_without_a_warning():
    x = tenkai.full((64, 64), 0.0) + tenkai.eye(64) * 1e3  # det = 1e192: past float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        det = tenkai.linalg.det(x)
    assert det.dtype == tenkai.float32 and det.item() == float("inf")


def test_svd_v_structure_and_values_follow_pytorch() -> None:
    def walk(fn):
        return None if fn is None else (fn.name(), [(walk(f), k) for f, k in fn.next_functions])

    a = np.random.default_rng(5).standard_normal((2, 5, 3))
    outs = []
    for lib in (torch, tenkai):
        x = lib.tensor(a, requires_grad=True)
        U, S, V = lib.svd(x * 2)
        Uh, Sh, Vh = lib.linalg.svd(x, full_matrices=False)
        outs.append((U, S, V))
        assert walk(V.grad_fn)[0] == "TransposeBackward0"
        # V is output 2 of PyTorch's one LinalgSvdBackward0 node, S output 1
        got = [walk(t.exp().grad_fn) for t in (U, S, V, Uh, Sh, Vh, lib.linalg.svdvals(x))]
        outs[-1] += (got,)
        u0, s0, v0 = lib.svd(x, some=False, compute_uv=False)
        assert tuple(u0.shape) == (2, 5, 5) and tuple(v0.shape) == (2, 3, 3)
        assert not u0.detach().numpy().any() and not v0.detach().numpy().any()
    (tu, ts, tv, twalks), (ku, ks, kv, kwalks) = outs
    assert kwalks == twalks
    # the values: S, and U/V up to one sign per singular pair (LAPACK's choice in PyTorch)
    np.testing.assert_allclose(ks.detach().numpy(), ts.detach().numpy(), rtol=1e-12)
    tu, tv, ku, kv = (t.detach().numpy() for t in (tu, tv, ku, kv))
    flip = np.sign(np.sum(tu * ku, axis=-2, keepdims=True))
    assert np.all(np.abs(flip) == 1)
    np.testing.assert_allclose(ku * flip, tu, atol=1e-12)
    np.testing.assert_allclose(kv * flip, tv, atol=1e-12)
