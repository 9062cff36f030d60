"""Fused eager steps of movement and index ops (``flip``, ``roll``, ``rot90``, ``tril``/
``triu``, ``diagonal``, ``diag``, ``diag_embed``, ``trace``, ``take``, ``take_along_dim``)
and of ``linalg.cross``, ``addmm``, ``addmv``:
one numpy forward and the closed-form numpy gradient, equal to PyTorch and to the recorded
composites (values, gradients, grad_fn names and next_functions, double backward); compiled
training through them equals eager training."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
from tests.frontend.compile_harness import assert_same, snapshot
from tests.frontend.fused_harness import (
    assert_double_backward_matches,
    assert_fused_equals_composite,
)

torch = pytest.importorskip("torch")

_TAKE = np.array([[0, -1, 7], [3, 3, -20]])
_ALONG = np.array([[0, 4, 4], [1, 2, 0], [3, 3, 3], [4, 0, 1]])

CASES = {
    "flip": lambda L, t: L.flip(t, (0, -1)),
    "roll": lambda L, t: L.roll(t, (1, -2), (0, 1)),
    "rot90_1": lambda L, t: L.rot90(t, 1, (0, 1)),
    "rot90_2": lambda L, t: L.rot90(t, 2, (1, 0)),
    "rot90_3": lambda L, t: L.rot90(t, -1, (0, 1)),
    "tril": lambda L, t: L.tril(t, -1),
    "triu": lambda L, t: L.triu(t, 1),
    "diagonal": lambda L, t: L.diagonal(t, 1, 0, 1),
    "diagonal_neg": lambda L, t: L.diagonal(t, -2, 1, 0),
    "diag_2d": lambda L, t: L.diag(t, -1),
    "diag_1d": lambda L, t: L.diag(t[0], 2),
    "diag_embed": lambda L, t: L.diag_embed(t, -1),
    "trace": lambda L, t: L.trace(t),
    "take": lambda L, t: L.take(t, L.tensor(_TAKE)),
    "take_along_dim": lambda L, t: L.take_along_dim(t, L.tensor(_ALONG), 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_movement_matches_pytorch(name, dtype):
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    want = CASES[name](torch, tx)
    g = np.random.default_rng(1).standard_normal(tuple(want.shape)).astype(dtype)
    want.backward(torch.tensor(g))
    leaf = tenkai.tensor(x, requires_grad=True)
    got = CASES[name](tenkai, leaf)
    if name != "diag_1d":  # its input is a view's output, a recorded select
        assert type(got.grad_fn).__name__ == "FusedBackward"
        assert [f.name() for f, _ in got.grad_fn.next_functions] == \
            ["torch::autograd::AccumulateGrad"]
    assert got.grad_fn.name() == want.grad_fn.name().removesuffix("_copy")
    got.backward(tenkai.tensor(g))
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == getattr(tenkai, dtype)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)
    assert leaf.grad.dtype == getattr(tenkai, dtype)
    np.testing.assert_allclose(leaf.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_movement_equals_composite(name):
    x = np.random.default_rng(2).standard_normal((4, 5))
    assert_fused_equals_composite(lambda t: CASES[name](tenkai, t), x)


@pytest.mark.parametrize("name", ["roll", "rot90_1", "tril", "diagonal", "trace", "take"])
def test_double_backward_through_fused_movement(name):
    x = np.random.default_rng(4).standard_normal((4, 5))
    assert_double_backward_matches(CASES[name], x, torch)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "dim"), [((16, 3), -1), ((5, 3, 4), 1), ((2000, 3), 1)])
def test_fused_cross_matches_pytorch(shape, dim, dtype):
    rng = np.random.default_rng(6)
    x, y, g = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    found = []
    for lib in (tenkai, torch):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.linalg.cross(a, b, dim=dim)
        out.backward(lib.tensor(g))
        found.append((out, a.grad.numpy(), b.grad.numpy()))
    (got, ga, gb), (want, ta, tb) = found
    assert type(got.grad_fn).__name__ == "FusedBackward"
    assert got.grad_fn.name() == want.grad_fn.name()
    assert len(got.grad_fn.next_functions) == 2
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ga, ta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, tb, rtol=1e-5, atol=1e-6)
    assert_fused_equals_composite(lambda t: tenkai.linalg.cross(t, tenkai.tensor(y), dim=dim),
                                  x, rtol=1e-6)


@pytest.mark.parametrize(("sa", "sb"), [
    ((64, 64), (4, 4)), ((4, 4), (64, 64)), ((4, 4), (2, 2)), ((3, 5, 7), (2, 3, 4)),
    ((100,), (50,)), ((70, 70), (9, 9))])
def test_kron_values_equal_numpy(sa, sb):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
    got = tenkai.kron(tenkai.tensor(a), tenkai.tensor(b))
    np.testing.assert_array_equal(got.numpy(), np.kron(a, b))
    np.testing.assert_array_equal(got.numpy(), torch.kron(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("op", "cshape", "bshape"), [
    ("addmm", (3, 4), (5, 4)), ("addmm", (4,), (5, 4)), ("addmm", (3, 1), (5, 4)),
    ("addmv", (3,), (5,)), ("addmv", (), (5,))])
def test_fused_addmm_addmv_match_pytorch(op, cshape, bshape, dtype):
    rng = np.random.default_rng(8)
    c, a, b = (rng.standard_normal(s).astype(dtype) for s in (cshape, (3, 5), bshape))
    found = []
    for lib in (tenkai, torch):
        ts = [lib.tensor(v, requires_grad=True) for v in (c, a, b)]
        out = getattr(lib, op)(*ts, beta=0.5, alpha=2.0)
        out.backward(lib.ones_like(out))
        found.append((out, [t.grad.numpy() for t in ts]))
    (got, grads), (want, wanted) = found
    assert type(got.grad_fn).__name__ == "FusedBackward"
    assert got.grad_fn.name() == want.grad_fn.name()
    assert len(got.grad_fn.next_functions) == 3
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5)
    for g, w in zip(grads, wanted, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert_fused_equals_composite(
        lambda t: getattr(tenkai, op)(tenkai.tensor(c), t, tenkai.tensor(b), beta=0.5,
                                      alpha=2.0), a, rtol=1e-6)


def _train(compiled: bool) -> list[dict]:
    tenkai.manual_seed(0)
    model = nn.Linear(5, 5)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step(x):
        opt.zero_grad()
        h = model(x)
        loss = sum(CASES[name](tenkai, h).pow(2).mean() for name in sorted(CASES))
        loss = loss + tenkai.linalg.cross(h[:, :3], h[:, 2:], dim=1).pow(2).mean()
        loss = loss + tenkai.addmm(h[:, 1], h, h.T, alpha=0.5).mean() + tenkai.addmv(
            h[:, 0], h, h[1], beta=2.0).mean()
        loss.backward()
        opt.step()
        return loss

    fn = tenkai.compile(step) if compiled else step
    rng = np.random.default_rng(5)
    records = []
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = fn(tenkai.tensor(rng.standard_normal((4, 5)).astype(np.float32)))
        records.append(snapshot(loss, model, opt))
    return records


def test_compiled_training_through_movement_equals_fused_eager():
    assert_same(_train(True), _train(False))
