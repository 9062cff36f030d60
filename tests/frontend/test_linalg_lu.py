"""torch.linalg LU / LDL / Householder functions against PyTorch in float32 and float64
(forward and, where PyTorch has one, backward), eig / eigvals' NotImplementedError, and
lu_factor inside a compiled function."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.linalg as LA

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-3, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}


def _pair(a: np.ndarray, grad: bool = True) -> tuple:
    return torch.tensor(a, requires_grad=grad), tenkai.tensor(a, requires_grad=grad)


def _close(got, want, dtype, msg=""):
    np.testing.assert_allclose(np.asarray(got.detach().numpy(), np.float64),
                               np.asarray(want.detach().numpy(), np.float64), **TOL[dtype],
                               err_msg=msg)


def _backward(outs_t, outs_k, seed=0):
    rng = np.random.default_rng(seed)
    total_t, total_k = 0, 0
    for t, k in zip(outs_t, outs_k, strict=True):
        g = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
        total_t = total_t + (t * torch.tensor(g)).sum()
        total_k = total_k + (k * tenkai.tensor(g)).sum()
    total_t.backward()
    total_k.backward()


SHAPES = [(4, 4), (2, 3, 5, 5), (5, 3), (3, 5), (1, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_factor_matches_torch(dtype, shape):
    a = np.random.default_rng(len(shape) + shape[-1]).standard_normal(shape).astype(dtype)
    at, ak = _pair(a)
    LU_t, piv_t = torch.linalg.lu_factor(at)
    LU_k, piv_k = LA.lu_factor(ak)
    _close(LU_k, LU_t, dtype)
    np.testing.assert_array_equal(piv_k.numpy(), piv_t.numpy())
    assert piv_k.dtype == tenkai.int32 and LU_k.grad_fn.name() == LU_t.grad_fn.name()
    _backward([LU_t], [LU_k])
    _close(ak.grad, at.grad, dtype, "d LU / d A")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_matches_torch(dtype, shape):
    a = np.random.default_rng(shape[-2]).standard_normal(shape).astype(dtype)
    at, ak = _pair(a)
    P_t, L_t, U_t = torch.linalg.lu(at)
    out = LA.lu(ak)
    assert type(out).__name__ == "linalg_lu" and out.L is out[1]
    for got, want in zip(out, (P_t, L_t, U_t), strict=True):
        _close(got, want, dtype)
    assert out.L.grad_fn.name() == "LinalgLuBackward0"
    _backward([L_t, U_t], [out.L, out.U])
    _close(ak.grad, at.grad, dtype, "d (L, U) / d A")


def test_lu_factor_ex_singular_and_no_pivoting():
    a = np.array([[0.0, 1.0], [0.0, 2.0]])
    t = torch.linalg.lu_factor_ex(torch.tensor(a))
    k = LA.lu_factor_ex(tenkai.tensor(a))
    assert int(k.info) == int(t.info) == 1
    np.testing.assert_array_equal(k.pivots.numpy(), t.pivots.numpy())
    np.testing.assert_allclose(k.LU.numpy(), t.LU.numpy())
    with pytest.raises(RuntimeError, match="singular"):
        LA.lu_factor_ex(tenkai.tensor(a), check_errors=True)
    # pivot=False (PyTorch supports it on CUDA): A = L U with the identity permutation
    b = tenkai.tensor([[4.0, 3.0], [6.0, 3.0]])
    P, L, U = LA.lu(b, pivot=False)
    assert P.numel() == 0
    np.testing.assert_allclose((L @ U).numpy(), b.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_torch(dtype, left, adjoint):
    rng = np.random.default_rng(11)
    a = (rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)).astype(dtype)
    b = rng.standard_normal((2, 4, 3) if left else (2, 3, 4)).astype(dtype)
    (at, ak), (bt, bk) = _pair(a), _pair(b)
    LU_t, piv_t = torch.linalg.lu_factor(at)
    LU_k, piv_k = LA.lu_factor(ak)
    X_t = torch.linalg.lu_solve(LU_t, piv_t, bt, left=left, adjoint=adjoint)
    X_k = LA.lu_solve(LU_k, piv_k, bk, left=left, adjoint=adjoint)
    _close(X_k, X_t, dtype)
    assert X_k.grad_fn.name() == "LinalgLuSolveBackward0"
    _backward([X_t], [X_k])
    _close(ak.grad, at.grad, dtype, "d X / d A")
    _close(bk.grad, bt.grad, dtype, "d X / d B")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mnk", [(5, 3, 2), (4, 4, 4), (6, 2, 0)])
def test_householder_product_matches_torch(dtype, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(m * 10 + n)
    (at, ak), (tt, tk) = _pair(rng.standard_normal((2, m, n)).astype(dtype)), \
        _pair(rng.standard_normal((2, k)).astype(dtype))
    Q_t = torch.linalg.householder_product(at, tt)
    Q_k = LA.householder_product(ak, tk)
    _close(Q_k, Q_t, dtype)
    if not k:  # no reflectors: the constant identity columns (tenkai keeps no graph)
        return
    _backward([Q_t], [Q_k])
    _close(ak.grad, at.grad, dtype, "d Q / d A")
    _close(tk.grad, tt.grad, dtype, "d Q / d tau")


def test_householder_product_of_geqrf_is_q():
    a = np.random.default_rng(3).standard_normal((5, 3))
    qr_a, tau = torch.geqrf(torch.tensor(a))
    q = LA.householder_product(tenkai.tensor(qr_a.numpy()), tenkai.tensor(tau.numpy()))
    np.testing.assert_allclose(q.numpy(), np.linalg.qr(a)[0] * np.sign(
        np.diag(np.linalg.qr(a)[1]) * np.diag(qr_a.numpy()))[None], atol=1e-10)
    with pytest.raises(RuntimeError, match="greater than or equal to input.shape"):
        LA.householder_product(tenkai.randn(2, 3), tenkai.randn(2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 4, 7, 12])
def test_ldl_factor_and_solve_match_torch(dtype, n):
    rng = np.random.default_rng(n)
    for trial in range(4):
        a = rng.standard_normal((n, n))
        a = (a + a.T).astype(dtype)
        if trial == 1 and n > 1:
            a[0, 0] = 0  # forces a 2x2 pivot block
        LD_t, piv_t = torch.linalg.ldl_factor(torch.tensor(a))
        LD_k, piv_k = LA.ldl_factor(tenkai.tensor(a))
        np.testing.assert_array_equal(piv_k.numpy(), piv_t.numpy())
        _close(LD_k, LD_t, dtype)
        b = rng.standard_normal((n, 2)).astype(dtype)
        X_t = torch.linalg.ldl_solve(LD_t, piv_t, torch.tensor(b))
        X_k = LA.ldl_solve(LD_k, piv_k, tenkai.tensor(b))
        np.testing.assert_allclose(X_k.numpy(), X_t.numpy(), rtol=1e-3 if dtype == np.float32
                                   else 1e-8, atol=1e-4 if dtype == np.float32 else 1e-10)
    ex = LA.ldl_factor_ex(tenkai.tensor(a))
    assert type(ex).__name__ == "linalg_ldl_factor_ex" and int(ex.info) == 0


def test_ldl_has_no_derivative_like_torch():
    a = tenkai.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    LD, piv = LA.ldl_factor(a)
    assert LD.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not"):
        LD.sum().backward()
    b = tenkai.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not"):
        LA.ldl_solve(LD.detach(), piv, b).sum().backward()


def test_eig_and_eigvals_name_the_missing_complex_dtypes():
    a = tenkai.randn(3, 3)
    with pytest.raises(NotImplementedError, match="no complex dtypes.*eigh"):
        LA.eig(a)
    with pytest.raises(NotImplementedError, match="no complex dtypes.*eigvalsh"):
        LA.eigvals(a)


def test_lu_in_compiled_function_reports_value_dependent_pivots():
    """The L and U factors trace; the pivots are read from the values, which the compiled
    function reports (a replay would reuse the first call's row order)."""
    a = tenkai.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)

    def f(x):
        P, L, U = LA.lu(x)
        return (L.sum() + U.sum())

    with pytest.raises(Exception, match="linalg.lu"):
        tenkai.compile(f, backend="interp", on_untraceable="error")(a)
    fn = tenkai.compile(f, backend="interp", on_untraceable="eager")
    with pytest.warns(UserWarning, match="row pivots chosen from the values"):
        got = fn(a).item()
    np.testing.assert_allclose(got, f(a).item())
