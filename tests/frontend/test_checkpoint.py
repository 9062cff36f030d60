"""``torch.utils.checkpoint`` on tenkai against PyTorch 2.13: values, gradients (inputs and
parameters inside the checkpointed function), grad_fn names, the recomputation (the function
runs again in backward, its random draws repeated), errors and warnings, checkpoint_sequential,
and a compiled training step through a checkpoint equal to eager step by step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")

W = np.random.default_rng(0).standard_normal((4, 4))
X = np.random.default_rng(1).standard_normal((3, 4))


def _run(lib, reentrant):
    w = lib.tensor(W, requires_grad=True)
    x = lib.tensor(X, requires_grad=True)
    calls = []

    def block(a, scale):
        calls.append(1)
        return (a @ w).tanh() * scale, a.sin()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, z = lib.utils.checkpoint.checkpoint(block, x * 2, 3.0, use_reentrant=reentrant)
    names = (y.grad_fn.name(), [f.name() if f else None for f, _ in y.grad_fn.next_functions])
    ((y ** 2).sum() + z.sum()).backward()
    return y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), names, len(calls)


@pytest.mark.parametrize("reentrant", [True, False])
def test_values_gradients_and_grad_fns_follow_pytorch(reentrant: bool) -> None:
    (ty, tx, tw, tnames, tcalls), (ky, kx, kw, knames, kcalls) = \
        _run(torch, reentrant), _run(tenkai, reentrant)
    np.testing.assert_allclose(ky, ty, rtol=1e-12)
    np.testing.assert_allclose(kx, tx, rtol=1e-10)
    np.testing.assert_allclose(kw, tw, rtol=1e-10)
    strip = lambda n: (n[0].split("::")[-1], [(s or "").split("::")[-1] for s in n[1]])  # noqa: E731
    assert strip(knames) == strip(tnames)
    assert tcalls == 2  # PyTorch recomputes in backward, both ways
    assert kcalls == (2 if reentrant else 1)  # tenkai: reentrant only (see the module docs)


def test_recomputation_repeats_the_random_draws() -> None:
    tenkai.manual_seed(0)
    x = tenkai.ones(64, requires_grad=True)
    drop = tenkai.nn.Dropout(0.5)
    y = tenkai.utils.checkpoint.checkpoint(drop, x, use_reentrant=True)
    after = tenkai.rand(1).item()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.detach().numpy() != 0) * 2.0)
    tenkai.manual_seed(0)
    drop(tenkai.ones(64))
    assert tenkai.rand(1).item() == after  # the recompute left the generator where it was


def test_errors_and_warnings_as_pytorch() -> None:
    for lib in (torch, tenkai):
        x = lib.ones(2, requires_grad=True)
        cp = lib.utils.checkpoint.checkpoint
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
            cp(lambda a: a * 2, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
            cp(lambda a, k: a * k, x, use_reentrant=True, k=2)
        y = cp(lambda a: a.exp(), x, use_reentrant=True)
        with pytest.raises(RuntimeError, match="incompatible with .grad()"):
            lib.autograd.grad(y.sum(), x)
        y = cp(lambda a: a.exp(), x, use_reentrant=False)
        (g,) = lib.autograd.grad(y.sum(), x)
        np.testing.assert_allclose(np.asarray(g.tolist()), np.exp(1.0) * np.ones(2))
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            cp(lambda a: a * 2, lib.ones(2), use_reentrant=True)


def test_checkpoint_sequential_matches_pytorch() -> None:
    outs = []
    for lib in (torch, tenkai):
        lib.manual_seed(0)
        seq = lib.nn.Sequential(*[lib.nn.Linear(4, 4, dtype=lib.float64) for _ in range(5)])
        with lib.no_grad():
            for k, p in enumerate(seq.parameters()):
                p.copy_(lib.tensor(np.cos(np.arange(p.numel()) + k).reshape(tuple(p.shape))))
        x = lib.tensor(X, requires_grad=True)
        y = lib.utils.checkpoint.checkpoint_sequential(seq, 2, x, use_reentrant=True)
        y.sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy(), seq[0].weight.grad.numpy()])
    for a, b in zip(outs[1], outs[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _train(compiled: bool, on_data: bool) -> list:
    tenkai.manual_seed(0)
    model = tenkai.nn.Sequential(tenkai.nn.Linear(4, 8), tenkai.nn.Tanh(), tenkai.nn.Linear(8, 2))
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)
    x = tenkai.tensor(X, dtype=tenkai.float32)
    cp = tenkai.utils.checkpoint.checkpoint

    def step(inp):
        opt.zero_grad()
        if on_data:  # no input requires grad: model[0] gets no gradient, eager and compiled
            out = model[2](model[1](cp(model[0], inp, use_reentrant=True)))
        else:
            out = cp(model[2], cp(model[1], model[0](inp), use_reentrant=True),
                     use_reentrant=True)
        loss = (out ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    fn = tenkai.compile(step) if compiled else step
    out = []
    for _ in range(4):
        loss = fn(x).item()
        params = list(model.parameters())
        out.append((loss, [p.detach().numpy().copy() for p in params],
                    [None if p.grad is None else p.grad.numpy().copy() for p in params],
                    [opt.state[p]["exp_avg_sq"].numpy().copy() if p in opt.state else None
                     for p in params]))
    return out


@pytest.mark.parametrize("on_data", [False, True])
def test_compiled_training_through_a_checkpoint_equals_eager(on_data: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # on_data: "None of the inputs have ..."
        eager, comp = _train(False, on_data), _train(True, on_data)
    assert [g is None for g in eager[0][2]] == [on_data, on_data, False, False]
    for (le, pe, ge, se), (lc, pc, gc, sc) in zip(eager, comp, strict=True):
        assert lc == pytest.approx(le, rel=1e-5)
        for a, b in zip(pc + gc + sc, pe + ge + se, strict=True):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
