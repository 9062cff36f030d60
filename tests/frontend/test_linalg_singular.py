"""Singular input to ``linalg.inv`` / ``solve`` and their ``_ex`` forms, against PyTorch:
the errors (the first zero pivot, the batch element), ``info`` (LAPACK getrf's) and the
results of ``inv_ex`` / ``solve_ex`` without ``check_errors`` (getrs on the singular factors:
the same infs and NaNs), both ``left`` forms; nonsingular input keeps its gradient."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

# exactly singular in floating point (so LAPACK's and tenkai's factorizations agree on info)
CASES = {
    "rank 2, zero last pivot": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
    "zeros": [[0.0, 0.0], [0.0, 0.0]],
    "zero column": [[0.0, 1.0], [0.0, 2.0]],
    "equal rows": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0]],
    "batch, second singular": [[[2.0, 0.0], [0.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]],
    "nonsingular": [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]],
}


def _same(ours: object, theirs: object) -> None:
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6,
                               equal_nan=True)
    assert str(ours.dtype) == str(theirs.dtype)


@pytest.mark.parametrize("case", sorted(CASES))
def test_inv_ex_matches_torch(case: str) -> None:
    for dtype in (np.float32, np.float64):
        a = np.array(CASES[case], dtype)
        ours, theirs = tenkai.linalg.inv_ex(tenkai.tensor(a)), torch.linalg.inv_ex(torch.tensor(a))
        _same(ours.inverse, theirs.inverse)
        assert ours.info.tolist() == theirs.info.tolist() and str(ours.info.dtype) == "torch.int32"


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_solve_ex_matches_torch(case: str, left: bool) -> None:
    a = np.array(CASES[case])
    n = a.shape[-1]
    rng = np.random.default_rng(0)
    for rhs in ((*a.shape[:-2], n, 2) if left else (*a.shape[:-2], 3, n), (n,) if left else None):
        if rhs is None:
            continue
        b = rng.standard_normal(rhs)
        ours = tenkai.linalg.solve_ex(tenkai.tensor(a), tenkai.tensor(b), left=left)
        theirs = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b), left=left)
        _same(ours.result, theirs.result)
        assert ours.info.tolist() == theirs.info.tolist()


@pytest.mark.parametrize("call", [
    lambda L, a, b: L.linalg.inv(a), lambda L, a, b: L.inverse(a),
    lambda L, a, b: L.linalg.inv_ex(a, check_errors=True),
    lambda L, a, b: L.linalg.solve(a, b),
    lambda L, a, b: L.linalg.solve_ex(a, b, check_errors=True),
])
@pytest.mark.parametrize("case", ["rank 2, zero last pivot", "batch, second singular", "zeros"])
def test_errors_match_torch(case: str, call) -> None:
    a = np.array(CASES[case])
    b = np.ones(a.shape[:-1])
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        call(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(tenkai.linalg.LinAlgError) as ours:
        call(tenkai, tenkai.tensor(a), tenkai.tensor(b))
    assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, RuntimeError)


def test_nonsingular_input_keeps_its_gradient() -> None:
    a = np.array(CASES["nonsingular"])
    ours = tenkai.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    tenkai.linalg.inv_ex(ours).inverse.sum().backward()
    torch.linalg.inv_ex(theirs).inverse.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    solved = tenkai.linalg.solve_ex(ours, tenkai.ones(3, dtype=tenkai.float64))
    assert solved.result.grad_fn is not None and solved.info.item() == 0
