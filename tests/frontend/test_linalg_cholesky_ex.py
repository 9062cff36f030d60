"""``linalg.cholesky_ex`` against PyTorch where a matrix is not positive-definite: ``info``,
LAPACK's partial ``L``, ``check_errors``; and ``constraints.positive_definite`` built on it."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

CASES = {
    "indefinite": [[1.0, 2.0], [2.0, 1.0]],
    "batch, one fails": [[[1.0, 2.0], [2.0, 1.0]], [[2.0, 0.0], [0.0, 3.0]]],
    "semidefinite minor": [[4.0, 2.0, 1.0], [2.0, 1.0, 0.0], [1.0, 0.0, 3.0]],
    "definite": [[4.0, 2.0, 1.0], [2.0, 5.0, 0.0], [1.0, 0.0, 3.0]],
    "nan": [[1.0, 0.0], [0.0, float("nan")]],
    "first minor negative": [[-1.0, 0.0], [0.0, 1.0]],
}


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_info_and_partial_factor_match_torch(case: str, upper: bool) -> None:
    a = np.array(CASES[case])
    for dtype in (np.float32, np.float64):
        ours = tenkai.linalg.cholesky_ex(tenkai.tensor(a.astype(dtype)), upper=upper)
        theirs = torch.linalg.cholesky_ex(torch.tensor(a.astype(dtype)), upper=upper)
        assert ours.info.tolist() == theirs.info.tolist()
        assert str(ours.info.dtype) == str(theirs.info.dtype)
        np.testing.assert_allclose(ours.L.numpy(), theirs.L.numpy(), rtol=1e-6, atol=1e-6)


def test_check_errors_raises_as_torch() -> None:
    for a in (CASES["indefinite"], CASES["batch, one fails"]):
        with pytest.raises(torch.linalg.LinAlgError) as theirs:
            torch.linalg.cholesky_ex(torch.tensor(a), check_errors=True)
        with pytest.raises(tenkai.linalg.LinAlgError) as ours:
            tenkai.linalg.cholesky_ex(tenkai.tensor(a), check_errors=True)
        assert str(ours.value) == str(theirs.value)
    L, info = tenkai.linalg.cholesky_ex(tenkai.tensor(CASES["definite"]), check_errors=True)
    assert int(info) == 0


def test_definite_input_keeps_its_gradient() -> None:
    a = np.array(CASES["definite"])
    x, y = tenkai.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    tenkai.linalg.cholesky_ex(x).L.sum().backward()
    torch.linalg.cholesky_ex(y).L.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-10)


def test_positive_definite_constraint_matches_torch() -> None:
    near = np.array([[1.0, 1.0 - 1e-9], [1.0 - 1e-9, 1.0]])
    batch = np.stack([near, np.eye(2), np.array(CASES["indefinite"])])
    ours = tenkai.distributions.constraints.positive_definite.check(tenkai.tensor(batch))
    theirs = torch.distributions.constraints.positive_definite.check(torch.tensor(batch))
    assert ours.tolist() == theirs.tolist()
