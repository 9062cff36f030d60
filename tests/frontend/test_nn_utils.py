"""tenkai.nn.utils against PyTorch: gradient clipping and parameter <-> vector conversion.

Both libraries get the same parameters and gradients; the returned norm and the clipped
gradients must agree (float32, rtol 1e-6). A compiled training step that clips its gradients
must replay exactly like the eager step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.compile import UntraceableError

SHAPES = [(4, 3), (3,), (2, 2, 5)]
TOL = dict(rtol=1e-6, atol=0)


def _torch() -> Any:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _params(lib: Any, scale: float = 1.0, none_at: int | None = None) -> list[Any]:
    """Parameters with fixed random values and gradients (``none_at``'s grad stays None)."""
    rng = np.random.default_rng(0)
    params = []
    for k, shape in enumerate(SHAPES):
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype("float32")))
        grad = (rng.standard_normal(shape) * scale).astype("float32")
        if k != none_at:
            p.grad = lib.tensor(grad)
        params.append(p)
    return params


def _grads(params: list[Any]) -> list[np.ndarray | None]:
    return [None if p.grad is None else p.grad.numpy().copy() for p in params]


def _assert_grads_equal(ours: list[Any], theirs: list[Any]) -> None:
    for k, (a, b) in enumerate(zip(_grads(ours), _grads(theirs), strict=True)):
        if b is None:
            assert a is None, f"grad {k} should stay None"
        else:
            np.testing.assert_allclose(a, b, **TOL, err_msg=f"grad {k}")


# ---------------------------------------------------------------- clip_grad_norm_


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2, 1, 3.5, math.inf, 2.0, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # below the norm (clips) and above (no-op)
def test_clip_grad_norm_matches_torch(norm_type: Any, max_norm: float) -> None:
    torch = _torch()
    ours, theirs = _params(tenkai), _params(torch)
    got = tenkai.nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(got, tenkai.Tensor) and got.shape == () and str(got.dtype) == str(
        want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL)
    _assert_grads_equal(ours, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2, math.inf])
def test_clip_grad_norm_single_tensor_and_generator(norm_type: float) -> None:
    torch = _torch()
    ours, theirs = _params(tenkai), _params(torch)
    got = tenkai.nn.utils.clip_grad_norm_(ours[0], 0.1, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs[0], 0.1, norm_type)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL)
    got = tenkai.nn.utils.clip_grad_norm_((p for p in ours), 0.05, norm_type)
    want = torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.05, norm_type)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL)
    _assert_grads_equal(ours, theirs)


@pytest.mark.torch
def test_clip_grad_norm_skips_none_grads() -> None:
    torch = _torch()
    ours, theirs = _params(tenkai, none_at=1), _params(torch, none_at=1)
    got = tenkai.nn.utils.clip_grad_norm_(ours, 0.3)
    want = torch.nn.utils.clip_grad_norm_(theirs, 0.3)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL)
    _assert_grads_equal(ours, theirs)


def test_clip_grad_norm_without_grads_returns_zero() -> None:
    params = _params(tenkai, none_at=0)[:1]
    total = tenkai.nn.utils.clip_grad_norm_(params, 1.0)
    assert total.shape == () and total.dtype == tenkai.float32 and total.item() == 0.0
    assert params[0].grad is None
    assert tenkai.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        tenkai.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_result_needs_no_grad_and_clips_to_max_norm() -> None:
    params = _params(tenkai, scale=10.0)
    total = tenkai.nn.utils.clip_grad_norm_(params, 2.0)
    assert not total.requires_grad and total.item() > 2.0
    after = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in params))
    assert after == pytest.approx(2.0, rel=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_error_if_nonfinite(bad: float) -> None:
    torch = _torch()
    ours, theirs = _params(tenkai), _params(torch)
    ours[0].grad[0, 0] = bad
    theirs[0].grad[0, 0] = bad
    with pytest.raises(RuntimeError) as want:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as got:
        tenkai.nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert str(got.value) == str(want.value)
    # without the flag both scale by the non-finite norm
    got_norm = tenkai.nn.utils.clip_grad_norm_(ours, 1.0)
    want_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_array_equal(got_norm.numpy(), want_norm.numpy())
    for a, b in zip(_grads(ours), _grads(theirs), strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))


def test_deprecated_clip_grad_norm_warns() -> None:
    params = _params(tenkai)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = tenkai.nn.utils.clip_grad_norm(params, 1.0)
    assert total.item() > 0


@pytest.mark.torch
def test_get_total_norm_and_clip_grads_with_norm_match_torch() -> None:
    torch = _torch()
    ours, theirs = _params(tenkai), _params(torch)
    got = tenkai.nn.utils.get_total_norm([p.grad for p in ours], 3.0)
    want = torch.nn.utils.get_total_norm([p.grad for p in theirs], 3.0)
    np.testing.assert_allclose(got.numpy(), want.numpy(), **TOL)
    tenkai.nn.utils.clip_grads_with_norm_(ours, 0.7, got)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.7, want)
    _assert_grads_equal(ours, theirs)


# ---------------------------------------------------------------- clip_grad_value_


@pytest.mark.torch
@pytest.mark.parametrize("clip_value", [0.5, 2, 100.0])
def test_clip_grad_value_matches_torch(clip_value: float) -> None:
    torch = _torch()
    ours, theirs = _params(tenkai, none_at=2), _params(torch, none_at=2)
    assert tenkai.nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_grads_equal(ours, theirs)
    tenkai.nn.utils.clip_grad_value_(ours[0], 0.1)  # a single tensor
    torch.nn.utils.clip_grad_value_(theirs[0], 0.1)
    _assert_grads_equal(ours, theirs)


# ---------------------------------------------------------------- parameters <-> vector


@pytest.mark.torch
def test_parameters_to_vector_round_trip() -> None:
    torch = _torch()
    ours, theirs = _params(tenkai), _params(torch)
    vec = tenkai.nn.utils.parameters_to_vector(ours)
    want = torch.nn.utils.parameters_to_vector(theirs)
    assert vec.shape == want.shape == (sum(math.prod(s) for s in SHAPES),)
    np.testing.assert_array_equal(vec.detach().numpy(), want.detach().numpy())
    tenkai.nn.utils.vector_to_parameters(vec * 2, ours)
    torch.nn.utils.vector_to_parameters(want * 2, theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    again = tenkai.nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(again.detach().numpy(), (vec * 2).detach().numpy())


def test_parameters_to_vector_of_a_module_keeps_autograd() -> None:
    model = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,) and vec.requires_grad
    vec.sum().backward()
    assert model.weight.grad is not None and float(model.weight.grad.sum()) == 6.0


@pytest.mark.torch
@pytest.mark.parametrize("vec", [[1.0] * 35, np.ones(35, "float32"), 3.0])
def test_vector_to_parameters_rejects_non_tensors(vec: Any) -> None:
    torch = _torch()
    with pytest.raises(TypeError) as want:
        torch.nn.utils.vector_to_parameters(vec, _params(torch))
    with pytest.raises(TypeError) as got:
        tenkai.nn.utils.vector_to_parameters(vec, _params(tenkai))
    assert str(got.value) == str(want.value)


@pytest.mark.torch
def test_vector_to_parameters_size_mismatch() -> None:
    torch = _torch()
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        torch.nn.utils.vector_to_parameters(torch.zeros(20), _params(torch))
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        tenkai.nn.utils.vector_to_parameters(tenkai.zeros(20), _params(tenkai))
    # as in PyTorch, a longer vector fills the parameters and ignores the rest
    ours, theirs = _params(tenkai), _params(torch)
    tenkai.nn.utils.vector_to_parameters(tenkai.arange(40.0), ours)
    torch.nn.utils.vector_to_parameters(torch.arange(40.0), theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


# ---------------------------------------------------------------- inside tenkai.compile


def _training_step() -> tuple[nn.Module, Any]:
    tenkai.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        tenkai.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        return loss
    return model, step


@pytest.mark.parametrize("backend", ["tenkai", "interp"])
def test_compiled_step_with_clip_grad_norm_follows_eager(backend: str) -> None:
    tenkai.manual_seed(1)
    x, y = tenkai.randn(8, 4) * 3, tenkai.randn(8, 3) * 3
    eager_model, eager_step = _training_step()
    model, step = _training_step()
    compiled = tenkai.compile(step, backend=backend)
    eager = [eager_step(x, y).item() for _ in range(5)]
    losses = [compiled(x, y).item() for _ in range(5)]  # the first call traces
    np.testing.assert_allclose(losses, eager, rtol=1e-5, atol=1e-5)
    for a, b in zip(eager_model.parameters(), model.parameters(), strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert compiled.stats["replays"] >= 3 and compiled.stats["retraces"] == 0
    # the replays clipped: the last step's gradients have total norm max_norm
    norm = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in model.parameters()))
    assert norm == pytest.approx(0.5, rel=1e-5)


def test_compiled_error_if_nonfinite_is_reported_untraceable() -> None:
    model = nn.Linear(4, 3)

    def step(x):
        model.zero_grad()
        model(x).sum().backward()
        return nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)

    compiled = tenkai.compile(step)
    with pytest.raises(UntraceableError, match="float"):
        compiled(tenkai.randn(2, 4))
