"""Optimizer updates that cannot be their gradient kernel's epilogue (gradient clipping puts a
global norm between every gradient and its update) run as one multi-tensor kernel, and the
compiled steps still follow eager training."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tenkai
import tenkai.nn.functional as F


def _setup(optimizer: str):
    tenkai.manual_seed(0)
    model = tenkai.nn.Sequential(tenkai.nn.Linear(12, 16), tenkai.nn.ReLU(),
                                 tenkai.nn.Linear(16, 5))
    x, y = tenkai.randn(8, 12), tenkai.randint(0, 5, (8,))
    return model, x, y, optimizer


def _step_for(model, optimizer: str):
    opt = (tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else tenkai.optim.Adam(model.parameters(), lr=0.01))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        tenkai.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_clipped_updates_run_in_one_kernel_and_match_eager(optimizer: str) -> None:
    model, x, y, _ = _setup(optimizer)
    twin = copy.deepcopy(model)
    eager, compiled_fn = _step_for(model, optimizer), _step_for(twin, optimizer)
    eager(x, y)
    compiled_fn(x, y)  # both create their optimizer state eagerly
    lowered = tenkai.trace(compiled_fn, x, y).lower()  # tracing runs one step
    eager(x, y)
    fused = lowered.fused
    params = {name for name in fused.meta["writes"].values() if not name.endswith(".grad")
              and not name.startswith("optimizer")}
    assert len(params) == 4
    writers = {k.name for k in lowered.program.kernels
               for p in params if p in k.params and k.kind == "elementwise"}
    assert len(writers) == 1, f"parameter updates spread over kernels {sorted(writers)}"
    compiled = tenkai.compile(compiled_fn)
    for _ in range(4):
        want, got = eager(x, y), compiled(x, y)
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)
