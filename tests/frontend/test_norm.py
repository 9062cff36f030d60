"""``tenkai.norm`` / ``Tensor.norm`` against PyTorch: values (float32 and float64, with and
without ``dim``/``keepdim``) and float64 gradients for p in 2, 1, 3.5, inf, -inf, 0 and "fro",
including ties for +-inf, all-zero inputs (no nan where PyTorch has none) and compiled replays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

PS = [2, 1, 3.5, math.inf, -math.inf, 0, "fro", 0.5, -1.5]
DIMS = [dict(), dict(dim=0), dict(dim=1), dict(dim=-1, keepdim=True), dict(dim=(0, 1)),
        dict(dim=0, keepdim=True)]
TOL = {"float32": dict(rtol=2e-6, atol=1e-7), "float64": dict(rtol=1e-12, atol=1e-14)}


def _data() -> np.ndarray:
    """A 3x4 matrix with a zero and a -0. entry, a row with tied largest |x| and tied
    smallest |x|, and an all-zero column (dim=0 reduces it to a zero norm)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[0, 1], x[2, 2] = 0.0, -0.0
    x[1] = [2.5, -2.5, 0.5, -0.5]
    x[:, 3] = 0.0
    return x


def _norm(lib: Any, data: np.ndarray, p: Any, dtype: str, kw: dict) -> tuple[Any, Any]:
    x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
    return x, lib.norm(x, p, **kw)


def _backward(lib: Any, data: np.ndarray, p: Any, kw: dict) -> tuple[Any, Any]:
    """float64 gradient of ``sum(norm * w)`` for fixed weights ``w`` (so every output counts)."""
    x, y = _norm(lib, data, p, "float64", kw)
    w = np.arange(1.0, y.numel() + 1).reshape(tuple(y.shape))
    (y * lib.tensor(w, dtype=lib.float64)).sum().backward()
    return y, x.grad


def _assert_grad(ours: Any, theirs: Any, what: str) -> None:
    """PyTorch leaves ``.grad`` None where the norm has no gradient (p=0): tenkai gives 0s."""
    got = ours.numpy()
    assert not np.isnan(got).any(), f"{what}: nan in tenkai's gradient {got}"
    want = np.zeros_like(got) if theirs is None else theirs.numpy()
    np.testing.assert_allclose(got, want, **TOL["float64"], err_msg=what)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", DIMS, ids=str)
@pytest.mark.parametrize("p", PS, ids=str)
def test_value_matches_torch(p: Any, kw: dict, dtype: str) -> None:
    _, ours = _norm(tenkai, _data(), p, dtype, kw)
    _, theirs = _norm(torch, _data(), p, dtype, kw)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "LinalgVectorNormBackward0"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize("kw", DIMS, ids=str)
@pytest.mark.parametrize("p", PS, ids=str)
def test_grad_matches_torch(p: Any, kw: dict) -> None:
    ours_y, ours = _backward(tenkai, _data(), p, kw)
    theirs_y, theirs = _backward(torch, _data(), p, kw)
    np.testing.assert_allclose(ours_y.detach().numpy(), theirs_y.detach().numpy(),
                               **TOL["float64"])
    _assert_grad(ours, theirs, f"p={p} {kw}")


@pytest.mark.parametrize(("p", "data", "want"), [
    (math.inf, [3.0, -3.0, 1.0, 2.0], [0.5, -0.5, 0.0, 0.0]),
    (math.inf, [-4.0, 4.0, -4.0, 1.0], [-1 / 3, 1 / 3, -1 / 3, 0.0]),
    (-math.inf, [-1.0, 1.0, 2.0, 3.0], [-0.5, 0.5, 0.0, 0.0]),
    (-math.inf, [5.0, 5.0, 5.0, 5.0], [0.25, 0.25, 0.25, 0.25]),
])
def test_inf_gradient_is_shared_between_ties(p: float, data: list, want: list) -> None:
    ours_y, ours = _backward(tenkai, np.array(data), p, {})
    theirs_y, theirs = _backward(torch, np.array(data), p, {})
    assert ours_y.item() == theirs_y.item()
    _assert_grad(ours, theirs, f"p={p} {data}")
    np.testing.assert_allclose(ours.numpy(), want, rtol=1e-15)


@pytest.mark.parametrize("kw", [dict(), dict(dim=1), dict(dim=0, keepdim=True)], ids=str)
@pytest.mark.parametrize("p", PS, ids=str)
def test_zero_input_has_no_nan_gradient(p: Any, kw: dict) -> None:
    data = np.zeros((2, 3))
    ours_y, ours = _backward(tenkai, data, p, kw)
    theirs_y, theirs = _backward(torch, data, p, kw)
    np.testing.assert_array_equal(ours_y.detach().numpy(), theirs_y.detach().numpy())
    _assert_grad(ours, theirs, f"p={p} {kw}")


def test_p2_gradient_of_a_zero_row_is_zero_and_others_are_unchanged() -> None:
    data = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]])
    _, ours = _backward(tenkai, data, 2, dict(dim=1))
    np.testing.assert_allclose(ours.numpy(), [[0, 0, 0], [2 * 0.6, 0, 2 * -0.8]], rtol=1e-15)


@pytest.mark.parametrize("data", [[0.0, 2.0, -0.0, math.nan, math.inf], [-0.0, -0.0], []])
def test_p0_counts_nonzero_entries_and_still_requires_grad(data: list) -> None:
    ours = tenkai.norm(tenkai.tensor(data, requires_grad=True), 0)
    theirs = torch.norm(torch.tensor(data, requires_grad=True), 0)
    assert repr(ours) == repr(theirs)  # value (not -0.), dtype and grad_fn
    ours.backward()  # PyTorch's p=0 norm is differentiable with no gradient


@pytest.mark.parametrize("p", [math.inf, -math.inf, 0, 2])
def test_p_norm_of_float16_keeps_the_dtype(p: float) -> None:
    data = np.array([[1.5, -0.0, 3.0], [0.25, -2.0, 0.0]])
    for kw in (dict(), dict(dim=1, keepdim=True)):
        ours = tenkai.norm(tenkai.tensor(data, dtype=tenkai.float16), p, **kw)
        theirs = torch.norm(torch.tensor(data, dtype=torch.float16), p, **kw)
        assert str(ours.dtype) == str(theirs.dtype) == "torch.float16"
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("p", [-math.inf, 0, 2, "fro"])
def test_method_and_dtype_argument_match_torch(p: Any) -> None:
    ours = tenkai.tensor(_data(), dtype=tenkai.float32).norm(p, 1, True, tenkai.float64)
    theirs = torch.tensor(_data(), dtype=torch.float32).norm(p, 1, True, torch.float64)
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float64"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize(("shape", "p", "kw"), [
    ((0, 3), math.inf, dict()), ((0, 3), -math.inf, dict()), ((0, 3), -math.inf, dict(dim=0)),
    ((3, 0), math.inf, dict(dim=(0, 1))), ((3, 0), math.inf, dict(dim=1)),
    ((3, 0), -math.inf, dict(dim=0)), ((0, 3), 0, dict()), ((0, 3), 2, dict(dim=1)),
])
def test_empty_input_matches_torch(shape: tuple, p: float, kw: dict) -> None:
    def run(lib: Any) -> Any:
        try:
            return lib.norm(lib.zeros(shape), p, **kw).tolist()
        except RuntimeError as err:
            return ("RuntimeError", str(err))
    assert run(tenkai) == run(torch)


def test_integer_input_is_refused_even_with_dtype() -> None:
    for kw in (dict(), dict(dtype=torch.float64)):
        with pytest.raises(RuntimeError, match="Expected a floating point") as theirs:
            torch.norm(torch.tensor([1, 2]), 0, **kw)
        ours_kw = {k: tenkai.float64 for k in kw}
        with pytest.raises(RuntimeError) as ours:
            tenkai.norm(tenkai.tensor([1, 2]), 0, **ours_kw)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
@pytest.mark.parametrize("p", [2, math.inf, -math.inf, 0, 3.5])
def test_compiled_norm_and_gradient_follow_eager(backend: str, p: float) -> None:
    """The norms are built from registry ops only, so a step using them traces and replays."""
    def step(x: Any) -> Any:
        x.grad = None
        y = tenkai.norm(x, p, dim=1)
        (y * tenkai.arange(1.0, 4.0, dtype=tenkai.float64)).sum().backward()
        return y

    data = _data()
    x_eager = tenkai.tensor(data, dtype=tenkai.float64, requires_grad=True)
    eager = step(x_eager).detach().numpy()
    x = tenkai.tensor(data, dtype=tenkai.float64, requires_grad=True)
    compiled = tenkai.compile(step, backend=backend)
    for _ in range(3):  # the first call traces, the others replay
        np.testing.assert_allclose(compiled(x).detach().numpy(), eager, rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), x_eager.grad.numpy(), rtol=1e-12,
                                   atol=1e-15)
    assert compiled.stats["replays"] >= 1 and compiled.stats["retraces"] == 0


def test_fro_over_more_than_two_dims_fails_like_pytorch() -> None:
    x = tenkai.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        tenkai.norm(x, "fro", dim=(0, 1, 2))
    assert tenkai.norm(x, "fro").shape == ()  # without dim: the 2-norm of all elements
