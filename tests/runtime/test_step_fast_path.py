"""The per-step path of a compiled step (runtime/cpu/executable.py ``run_feeds``, frontend
``_step.replay``): an array object is checked and bound once, yet every call sees the current
contents, a different object is checked again, non-contiguous arrays are refreshed, and
runtime scalars (the learning rate) are read at every replay."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai
import tenkai.ir as tir
from tenkai.codegen.cpu.codegen import generate
from tenkai.codegen.lower.program import lower_program
from tenkai.ir.passes.pipeline import run_pipeline
from tenkai.runtime.cpu import CPUExecutable


def _executable() -> CPUExecutable:
    g = tir.Graph("scale")
    x = g.add("input", shape=(4, 6), dtype="float32", name="x")
    w = g.add("param", shape=(4, 6), dtype="float32", name="w")
    g.add_output(g.add("add", [g.add("mul", [x, x]), w]))
    module = generate(lower_program(run_pipeline(g)))
    return CPUExecutable(module.object_code(), module.entry, module.buffer_table)


def test_same_objects_are_read_afresh_each_call() -> None:
    exe = _executable()
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    w = np.ones((4, 6), dtype=np.float32)
    (first,) = exe.run_feeds({"x": x, "w": w})
    np.testing.assert_allclose(first, x * x + 1)
    x += 1  # same objects, new contents
    w *= 3
    (second,) = exe.run_feeds({"x": x, "w": w})
    np.testing.assert_allclose(second, x * x + 3)


def test_a_new_object_is_checked_again() -> None:
    exe = _executable()
    w = np.ones((4, 6), dtype=np.float32)
    exe.run_feeds({"x": np.zeros((4, 6), np.float32), "w": w})
    with pytest.raises(TypeError, match="expected dtype float32"):
        exe.run_feeds({"x": np.zeros((4, 6), np.float64), "w": w})
    with pytest.raises(ValueError, match="expected shape"):
        exe.run_feeds({"x": np.zeros((6, 4), np.float32), "w": w})
    y = np.full((4, 6), 2.0, np.float32)
    (out,) = exe.run_feeds({"x": y, "w": w})  # a valid new object after the failures
    np.testing.assert_allclose(out, 5.0)


def test_a_non_contiguous_input_is_copied_every_call() -> None:
    exe = _executable()
    base = np.arange(24, dtype=np.float32).reshape(6, 4)
    x = base.T  # (4, 6), not contiguous: bound through a copy
    w = np.zeros((4, 6), dtype=np.float32)
    (first,) = exe.run_feeds({"x": x, "w": w})
    np.testing.assert_allclose(first, x * x)
    base -= 5  # the same view object sees new values
    (second,) = exe.run_feeds({"x": x, "w": w})
    np.testing.assert_allclose(second, x * x)


def test_replays_read_the_current_learning_rate() -> None:
    tenkai.manual_seed(0)
    model = tenkai.nn.Linear(3, 2)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)
    x = tenkai.randn(5, 3)

    @tenkai.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).pow(2).sum()
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step(x)
    for lr in (0.0, 0.05):
        opt.param_groups[0]["lr"] = lr
        before = model.weight.detach().numpy().copy()
        grad_w = 2 * (x.numpy() @ before.T + model.bias.detach().numpy()).T @ x.numpy()
        step(x)
        np.testing.assert_allclose(model.weight.detach().numpy(), before - lr * grad_w,
                                   rtol=1e-4, atol=1e-5)
    assert step.stats["traces"] == 1 and step.stats["replays"] >= 4


def test_address_of_agrees_with_the_array_interface() -> None:
    from tenkai.runtime.cpu.executable import address_of

    base = np.arange(60, dtype=np.float64).reshape(6, 10)
    for arr in (base, base[2:, 3:], base.T, base[4, 5, ...], np.zeros(0, np.int8),
                np.frombuffer(b"abcdefgh", np.uint8)):
        assert address_of(arr) == arr.__array_interface__["data"][0]


def test_bind_one_checks_what_run_feeds_checks() -> None:
    exe = _executable()
    x, w = np.ones((4, 6), np.float32), np.zeros((4, 6), np.float32)
    exe.run_feeds({"x": x, "w": w})
    epoch = exe._epoch
    x2 = np.full((4, 6), 2.0, np.float32)
    assert exe.bind_one("x", x2) and exe._epoch > epoch and exe.bound("x") is x2
    np.testing.assert_allclose(exe.run_bound()[0], 4.0)
    with pytest.raises(TypeError, match="expected dtype float32"):
        exe.bind_one("x", np.ones((4, 6), np.float64))
    with pytest.raises(ValueError, match="expected shape"):
        exe.bind_one("x", np.ones((6, 4), np.float32))
    frozen = np.ones((4, 6), np.float32)
    frozen.flags.writeable = False
    assert exe.bind_one("x", frozen)  # an input is only read
    np.testing.assert_allclose(exe.run_bound()[0], 1.0)
    wide = np.arange(48, dtype=np.float32).reshape(4, 12)
    assert not exe.bind_one("x", wide[:, ::2])  # bound through a copy: run_feeds only
    assert not exe.by_pointer
    assert exe.bind_one("x", x2) and exe.by_pointer  # by pointer again
    np.testing.assert_allclose(exe.run_bound()[0], 4.0)
