"""``model.compile()`` (PyTorch's ``nn.Module.compile``): the module compiles its forward in
place; training through it equals eager step by step (losses, parameters, gradients, Adam's
state); hooks still run; state_dict and pickling stay the module's."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tenkai


def _net() -> tenkai.nn.Module:
    tenkai.manual_seed(0)
    return tenkai.nn.Sequential(tenkai.nn.Linear(6, 8), tenkai.nn.Tanh(), tenkai.nn.Linear(8, 3))


def _train(compiled: bool, steps: int = 4) -> list:
    model = _net()
    if compiled:
        assert model.compile() is None  # in place, as PyTorch
    opt = tenkai.optim.Adam(model.parameters(), lr=0.05)
    x = tenkai.tensor(np.random.default_rng(0).standard_normal((5, 6)), dtype=tenkai.float32)
    y = tenkai.tensor([0, 2, 1, 1, 0])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss = tenkai.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        params = list(model.parameters())
        out.append((loss.item(), [p.detach().numpy().copy() for p in params],
                    [p.grad.numpy().copy() for p in params],
                    [{k: np.array(v.numpy() if hasattr(v, "numpy") else v)
                      for k, v in opt.state[p].items()} for p in params]))
    return out


def test_training_through_module_compile_equals_eager() -> None:
    for (le, pe, ge, se), (lc, pc, gc, sc) in zip(_train(False), _train(True), strict=True):
        assert lc == pytest.approx(le, rel=1e-5)
        for a, b in zip(pc + gc, pe + ge, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for a, b in zip(sc, se, strict=True):
            for key in a:
                np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_module_compile_runs_compiled_between_the_hooks() -> None:
    model = _net()
    x = tenkai.randn(4, 6)
    with tenkai.no_grad():
        want = model(x).numpy()
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append("pre"))
    model.register_forward_hook(lambda m, args, out: seen.append("post"))
    model.compile(backend="interp")
    with tenkai.no_grad():
        for _ in range(3):
            got = model(x)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    assert seen == ["pre", "post"] * 3
    assert model._compiled_call.stats["replays"] == 2  # really compiled: traced once
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_a_compiled_module_pickles_and_inlines_into_compiled_steps() -> None:
    model = _net()
    model.compile()
    buf = io.BytesIO()
    tenkai.save(model, buf)
    buf.seek(0)
    again = tenkai.load(buf, weights_only=False)
    x = tenkai.randn(2, 6)
    with tenkai.no_grad():
        np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert "_compiled_call" not in again.__dict__

    @tenkai.compile
    def forward_sum(inp):
        return model(inp).sum()

    with tenkai.no_grad():
        assert forward_sum(x).item() == pytest.approx(model(x).sum().item(), rel=1e-5)
