"""Targets from the user's side: ``tenkai.compile(fn, target=...)`` / ``backend=`` and the staged
API select a registered target (codegen/target.py); the cache key includes ``Target.key()``;
unknown targets and targets without a runtime fail with errors that name them."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.codegen import target as targets
from tenkai.codegen.target import Registration, Target, describe
from tenkai.compiler import step_cache


def _setup() -> tuple[Any, Any, Any, Any]:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = tenkai.randn(8, 20), tenkai.randint(0, 4, (8,))

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return model, train_step, x, y


def _losses(**compile_args: Any) -> tuple[list[float], Any]:
    _, step, x, y = _setup()
    fn = tenkai.compile(step, **compile_args)
    return [fn(x, y).item() for _ in range(3)], fn


@pytest.fixture
def codegen_only_target(monkeypatch):
    """A registered target that generates code but has no runtime (as NVPTX without a GPU)."""
    module = types.ModuleType("tenkai_test_codegen_only")
    module.describe = lambda **options: Target(  # type: ignore[attr-defined]
        name="codegen-only", triple="nvptx64-nvidia-cuda", arch="sm_80", kind="gpu",
        launch="grid", parallel="grid", options=tuple(sorted(options.items())))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    targets.register(Registration("codegen-only", codegen=module.__name__))
    yield "codegen-only"
    targets.unregister("codegen-only")


def test_target_name_object_and_backend_name_compile_the_same_step() -> None:
    default, fn = _losses()
    assert fn.target == describe("cpu") and fn.steps[0].program.target == describe("cpu")
    by_name, _ = _losses(target="cpu")
    by_object, fn = _losses(target=describe("cpu"))
    assert fn.steps[0].program.target is fn.target
    by_backend, fn = _losses(backend="cpu")
    assert fn.target.name == "cpu"
    interp, _ = _losses(backend="interp")
    assert default == by_name == by_object == by_backend
    np.testing.assert_allclose(default, interp, rtol=1e-5)


def test_a_target_with_options_compiles_and_keeps_them() -> None:
    target = describe("cpu", variant="test")
    losses, fn = _losses(target=target)
    assert fn.target.options == (("variant", "test"),)
    assert np.isfinite(losses).all()


def test_cache_key_includes_the_target() -> None:
    _, step, x, y = _setup()
    step(x, y)
    graph = tenkai.trace(step, x, y).graph
    flags = {"opt_level": 3, "parallel": True, "arena_reuse": True}
    plain = step_cache.key_components(graph, flags, describe("cpu"))
    assert {k: plain[k] for k in describe("cpu").key()} == describe("cpu").key()
    a = step_cache.key_components(graph, flags, describe("cpu", variant="a"))
    b = step_cache.key_components(graph, flags, describe("cpu", variant="b"))
    assert a["target.variant"] == "a" and len({str(plain), str(a), str(b)}) == 3


def test_unknown_targets_and_backends_name_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown target 'tpu'; registered targets: .*cpu"):
        tenkai.compile(lambda x: x, target="tpu")
    with pytest.raises(ValueError, match=r"unknown backend 'tpu'.*registered target.*'cpu'"):
        tenkai.compile(lambda x: x, backend="tpu")
    with pytest.raises(ValueError, match="takes no target"):
        tenkai.compile(lambda x: x, backend="interp", target="cpu")
    with pytest.raises(TypeError, match="target must be a target name"):
        tenkai.compile(lambda x: x, target=3)


def test_a_target_without_runtime_is_named(codegen_only_target: str) -> None:
    assert codegen_only_target in targets.registered()
    assert codegen_only_target not in targets.runnable()
    with pytest.raises(NotImplementedError, match="target 'codegen-only' has no runtime"):
        tenkai.compile(lambda x: x, target=codegen_only_target)
    with pytest.raises(NotImplementedError, match="target 'codegen-only' has no runtime"):
        tenkai.compile(lambda x: x, backend=codegen_only_target)
    _, step, x, y = _setup()
    step(x, y)
    lowered = tenkai.trace(step, x, y).lower()
    with pytest.raises(NotImplementedError, match="target 'codegen-only' has no runtime"):
        lowered.compile(target=codegen_only_target)


def test_staged_api_with_a_target() -> None:
    model, step, x, y = _setup()
    step(x, y)
    traced = tenkai.trace(step, x, y)
    target = describe("cpu", variant="staged")
    lowered = traced.lower(target=target)
    assert lowered.target is target
    with pytest.raises(ValueError, match="lowered for target 'cpu'"):
        lowered.compile(target="cpu")  # the plain host target, not the one lowered for
    exe = lowered.compile()
    assert exe.module.target is target
    assert "define" in exe.as_text("llvm") and "define" in exe.as_text("llvm_opt")
    assert exe.as_text("asm").strip()
    with pytest.raises(ValueError, match="cpu target: no 'ptx' text"):
        exe.as_text("ptx")
    before = [p.detach().numpy().copy() for p in model.parameters()]
    assert np.isfinite(exe(x, y).item())
    assert any(not np.array_equal(a, p.detach().numpy()) for a, p in
               zip(before, model.parameters(), strict=True))
    again = traced.compile(target="cpu")  # lower + compile in one call
    assert again.lowered is not None and again.lowered.target == describe("cpu")


def test_staged_api_shows_ptx_without_a_gpu() -> None:
    x = tenkai.randn(64, 16)

    def f(x):
        return (x.relu() * 2).sum()

    lowered = tenkai.trace(f, x).lower(target="cuda")
    ptx = lowered.as_text("ptx")
    assert ".target sm_80" in ptx and ".entry k0_relu_mul_sum" in ptx
    assert "grid=(" in lowered.as_text("launch")
    sm90 = tenkai.trace(f, x).lower(target=describe("cuda", arch="sm_90"))
    assert ".target sm_90" in sm90.as_text("ptx")
    assert "group 0 reduction" in lowered.as_text()  # the default kind: fused graph + kernels
    if not tenkai.cuda.is_available():  # the cuda runtime needs a driver (tests/runtime)
        with pytest.raises(RuntimeError, match="Found no NVIDIA driver on your system"):
            lowered.compile()
    cpu = tenkai.trace(f, x).lower()
    assert cpu.as_text("llvm").startswith("; ModuleID")
