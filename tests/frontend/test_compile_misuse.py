"""Compiled modules used for training, BatchNorm(momentum=None) and 0-size batches in compiled
steps: a clear error, or compiled training equal to eager step by step (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.compile import RecompileWarning

BACKENDS = ["tenkai", "interp"]


def _compare_step_by_step(make, steps: int, backend: str, batches) -> None:
    """Train ``make(compiled)``'s (model, opt) eagerly and compiled on ``batches``; after every step
    losses, parameters, buffers, gradients and optimizer state must agree."""
    runs = []
    for compiled in (False, True):
        tenkai.manual_seed(0)
        model, opt = make(compiled)

        def train_step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        fn = tenkai.compile(train_step, backend=backend) if compiled else train_step
        runs.append((model, opt, fn))
    (m1, o1, f1), (m2, o2, f2) = runs
    for k in range(steps):
        x, y = batches(k)
        l1, l2 = f1(x, y), f2(x, y)
        np.testing.assert_allclose(l2.item(), l1.item(), rtol=1e-5, atol=1e-6, equal_nan=True)
        for (name, a), b in zip(m1.state_dict().items(), m2.state_dict().values(), strict=True):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"step {k}: {name}")
        for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
            np.testing.assert_allclose(p2.grad.numpy(), p1.grad.numpy(), rtol=1e-5, atol=1e-6)
        s1, s2 = o1.state_dict()["state"], o2.state_dict()["state"]
        for key in s1:
            for field, value in s1[key].items():
                np.testing.assert_allclose(np.asarray(s2[key][field]), np.asarray(value),
                                           rtol=1e-5, atol=1e-6)
    assert f2.stats["replays"] >= steps - 2


# ---------------------------------------------------------------- compiled modules


def test_backward_through_compiled_module_says_inference_only() -> None:
    model = nn.Linear(3, 2)
    compiled = tenkai.compile(model, backend="interp")
    x = tenkai.randn(4, 3)
    for _ in range(3):  # the tracing call and the replays alike
        out = compiled(x)
        assert out.requires_grad and "CompiledFunctionBackward" in repr(out.grad_fn)
        with pytest.raises(RuntimeError, match="inference-only") as info:
            (out.sum() + model.weight.sum()).backward()
        assert "@tenkai.compile\n    def train_step" in str(info.value)
        assert model.weight.grad is None  # nothing was half-done
    with pytest.raises(RuntimeError, match="inference-only"):
        tenkai.autograd.grad(compiled(x).sum(), [model.weight])
    with tenkai.no_grad(), pytest.warns(RecompileWarning, match="grad mode"):
        np.testing.assert_allclose(compiled(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_frozen_compiled_module_output_has_no_history() -> None:
    model = nn.Linear(3, 2).requires_grad_(False)
    compiled = tenkai.compile(model, backend="interp")
    out = compiled(tenkai.randn(4, 3))
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_module_inside_compiled_step_trains_like_eager(backend: str) -> None:
    def make(compiled):
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return (tenkai.compile(model, backend=backend) if compiled else model), opt

    gen = np.random.default_rng(0)
    data = [(tenkai.tensor(gen.standard_normal((6, 5), dtype=np.float32)),
             tenkai.tensor(gen.integers(0, 3, 6))) for _ in range(5)]
    _compare_step_by_step(make, 5, backend, lambda k: data[k])


# ---------------------------------------------------------------- BatchNorm(momentum=None)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dims", [1, 2])
def test_batchnorm_cumulative_average_compiled_follows_eager(backend: str, dims: int) -> None:
    def make(compiled):
        if dims == 1:
            model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, momentum=None),
                                  nn.Linear(6, 3))
        else:
            model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1),
                                  nn.BatchNorm2d(3, momentum=None), nn.Flatten(),
                                  nn.Linear(3 * 4 * 4, 3))
        return model, tenkai.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    gen = np.random.default_rng(1)
    shape = (5, 4) if dims == 1 else (5, 2, 4, 4)
    data = [(tenkai.tensor(gen.standard_normal(shape, dtype=np.float32) * (k + 1) + k),
             tenkai.tensor(gen.integers(0, 3, 5))) for k in range(6)]
    _compare_step_by_step(make, 6, backend, lambda k: data[k])


def test_batchnorm_cumulative_average_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    gen = np.random.default_rng(2)
    ours, theirs = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    for k in range(4):
        x = gen.standard_normal((4, 3, 2, 2), dtype=np.float32) * (k + 1) + k
        np.testing.assert_allclose(ours(tenkai.tensor(x)).detach().numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            np.testing.assert_allclose(getattr(ours, name).numpy(),
                                       getattr(theirs, name).numpy(), rtol=1e-6, atol=1e-7)
