"""Compiled modules used for training, BatchNorm(momentum=None) and 0-size batches: a clear
error, or results equal to PyTorch and compiled training equal to eager step by step (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.compile import RecompileWarning

BACKENDS = ["tenkai", "interp"]


def _compare_step_by_step(make, steps: int, backend: str, batches, replays: int = 0) -> None:
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
    assert f2.stats["replays"] >= (replays or steps - 2)


# ---------------------------------------------------------------- compiled modules


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_module_trains_like_eager(backend: str) -> None:
    """Backward through a compiled module's outputs fills .grad as the module's own (the
    tracing call and the replays alike: a replay's backward is the compiled forward's)."""
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    twin = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    twin.load_state_dict(model.state_dict())
    compiled = tenkai.compile(twin, backend=backend)
    opts = [tenkai.optim.SGD(m.parameters(), lr=0.1) for m in (model, twin)]
    x = tenkai.randn(4, 3)
    for k in range(4):
        grads = []
        for net, first, opt in zip((model, compiled), (model[0], twin[0]), opts, strict=True):
            opt.zero_grad()
            out = net(x)
            assert out.requires_grad and not out.is_leaf
            ((out ** 2).mean() + first.weight.sum()).backward()
            grads.append([p.grad.numpy().copy() for p in net.parameters()])
            opt.step()
        for a, b in zip(*grads, strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
    assert "CompiledFunctionBackward" in repr(compiled(x).grad_fn)
    assert compiled.stats["replays"] >= 3
    grads = tenkai.autograd.grad(compiled(x).sum(), [twin[2].bias])
    np.testing.assert_allclose(grads[0].numpy(), np.full(2, 4.0), rtol=1e-6)
    with tenkai.no_grad(), pytest.warns(RecompileWarning, match="grad mode"):
        np.testing.assert_allclose(compiled(x).numpy(), twin(x).numpy(), rtol=1e-6)


def test_backward_through_compiled_module_that_updates_state_says_how() -> None:
    """A forward that also writes state (BatchNorm's running statistics) cannot be recomputed
    for its backward: the replays' outputs say so and show the compiled training step."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    compiled = tenkai.compile(model, backend="interp")
    x = tenkai.randn(4, 3)
    compiled(x).sum().backward()  # the tracing call ran eagerly
    for _ in range(2):
        out = compiled(x)
        assert out.requires_grad and "CompiledFunctionBackward" in repr(out.grad_fn)
        with pytest.raises(RuntimeError, match="no gradient history") as info:
            out.sum().backward()
        assert "@tenkai.compile\n    def train_step" in str(info.value)


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


# ---------------------------------------------------------------- 0-size batches


def _empty_batch_cases(module):
    F_ = module.nn.functional
    long = module.long

    def grads_through_cnn():
        net = module.nn.Sequential(module.nn.Conv2d(1, 2, 3), module.nn.BatchNorm2d(2),
                                   module.nn.MaxPool2d(2), module.nn.Flatten(),
                                   module.nn.Linear(2, 3))
        loss = F_.cross_entropy(net(module.zeros(0, 1, 4, 4)), module.zeros(0, dtype=long))
        loss.backward()
        return [loss] + [p.grad for p in net.parameters()] + [net[1].running_mean,
                                                              net[1].running_var]

    def batchnorm(train: bool, dims: int):
        bn = (module.nn.BatchNorm1d(3) if dims == 1 else module.nn.BatchNorm2d(3)).train(train)
        out = bn(module.zeros(0, 3) if dims == 1 else module.zeros(0, 3, 2, 2))
        return [out, bn.running_mean, bn.running_var, bn.num_batches_tracked]

    return {
        "linear": lambda: [module.nn.Linear(3, 2)(module.zeros(0, 3))],
        "conv2d": lambda: [module.nn.Conv2d(3, 2, 3)(module.zeros(0, 3, 5, 5))],
        "conv1d": lambda: [module.nn.Conv1d(3, 2, 3)(module.zeros(0, 3, 5))],
        "batchnorm1d_train": lambda: batchnorm(True, 1),
        "batchnorm2d_train": lambda: batchnorm(True, 2),
        "batchnorm2d_eval": lambda: batchnorm(False, 2),
        "cross_entropy_mean": lambda: [F_.cross_entropy(module.zeros(0, 3),
                                                        module.zeros(0, dtype=long))],
        "cross_entropy_sum": lambda: [F_.cross_entropy(module.zeros(0, 3),
                                                       module.zeros(0, dtype=long),
                                                       reduction="sum")],
        "mse_mean": lambda: [F_.mse_loss(module.zeros(0, 3), module.zeros(0, 3))],
        "max_pool2d": lambda: [F_.max_pool2d(module.zeros(0, 3, 4, 4), 2)],
        "grads_through_cnn": grads_through_cnn,
    }


@pytest.mark.parametrize("case", sorted(_empty_batch_cases(tenkai)))
def test_empty_batches_match_torch(case: str) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = _empty_batch_cases(torch)[case]()
    tenkai.manual_seed(0)
    ours = _empty_batch_cases(tenkai)[case]()
    for a, b in zip(ours, theirs, strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), equal_nan=True)


def test_empty_spatial_input_is_pytorchs_error() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Conv2d(3, 2, 1)(torch.zeros(2, 3, 4, 0))
    with pytest.raises(RuntimeError) as ours:
        nn.Conv2d(3, 2, 1)(tenkai.zeros(2, 3, 4, 0))
    assert str(ours.value).endswith(str(theirs.value))


def test_batchnorm_single_value_per_channel_still_raises() -> None:
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(tenkai.zeros(1, 3))


@pytest.mark.filterwarnings("ignore::tenkai.compile.RecompileWarning")
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_empty_batches_in_compiled_steps_follow_eager(backend: str, kind: str) -> None:
    def make(compiled):
        if kind == "mlp":
            model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
        else:
            model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(2, 3))
        return model, tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    gen = np.random.default_rng(3)
    sizes = [4, 0, 0, 0, 4, 0]  # the empty step traces, then replays, between full ones
    shape = (4,) if kind == "mlp" else (1, 4, 4)
    data = [(tenkai.tensor(gen.standard_normal((n, *shape), dtype=np.float32)),
             tenkai.tensor(gen.integers(0, 3, n))) for n in sizes]
    _compare_step_by_step(make, len(sizes), backend, lambda k: data[k], replays=3)
