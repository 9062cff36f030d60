"""tenkai.jit: the torch.jit entry points model code calls, with PyTorch's behaviour where it
is observable from Python (results, decorators, errors), and NotImplementedError naming the
alternative for TorchScript archives."""

from __future__ import annotations

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")


class _Block:
    """A module using the annotations library code uses (timm-style)."""

    @staticmethod
    def build(lib):
        class Block(lib.nn.Module):
            scale: lib.jit.Final[float]

            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(3, 2)
                self.scale = 2.0

            def forward(self, x):
                if lib.jit.is_scripting() or lib.jit.is_tracing():
                    return self.fc(x)
                return self.helper(self.fc(x)) * self.scale

            @lib.jit.ignore
            def helper(self, y):
                return y.relu()

            @lib.jit.unused
            def debug(self):
                return "unused"

        return Block


def test_script_and_trace_run_like_the_eager_module() -> None:
    lib = tenkai
    tenkai.manual_seed(0)
    block = _Block.build(lib)()
    x = tenkai.randn(4, 3)
    want = block(x)
    scripted = tenkai.jit.script(block)
    assert scripted(x).allclose(want)
    traced = tenkai.jit.trace(block, (x,))
    assert traced(x).allclose(want)
    assert tenkai.jit.trace_module(block, {"forward": (x,)})(x).allclose(want)
    assert scripted.debug() == "unused"
    assert not tenkai.jit.is_scripting() and not tenkai.jit.is_tracing()


def test_tracing_reports_errors_at_trace_time_like_torch() -> None:
    for lib in (tenkai, torch):
        lin = lib.nn.Linear(3, 2)
        with pytest.raises(RuntimeError):
            lib.jit.trace(lin, (lib.randn(4, 5),))
        with pytest.raises(RuntimeError, match="example_kwarg_inputs should be a dict"):
            lib.jit.trace(lin)


def test_decorators_annotate_fork_and_wait_match_torch() -> None:
    for lib in (tenkai, torch):
        with pytest.warns(FutureWarning, match="ignore\\(True\\) has been deprecated"):
            @lib.jit.ignore(drop=True)
            def dropped(x):
                return x + 1

        @lib.jit.export
        def exported(x):
            return x * 2

        assert dropped(1) == 2 and exported(3) == 6
        assert lib.jit.annotate(list[int], []) == []
        fut = lib.jit.fork(lambda a, b: a + b, lib.ones(2), b=lib.ones(2))
        np.testing.assert_array_equal(lib.jit.wait(fut).numpy(), [2.0, 2.0])


def test_freeze_needs_eval_mode_like_torch() -> None:
    for lib in (tenkai, torch):
        lin = lib.nn.Linear(2, 2)
        with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
            lib.jit.freeze(lib.jit.script(lin))
    assert tenkai.jit.freeze(tenkai.nn.Linear(2, 2).eval()) is not None
    assert not tenkai.jit.optimize_for_inference(tenkai.nn.Linear(2, 2)).training


def test_archives_raise_naming_the_alternative(tmp_path) -> None:
    with pytest.raises(NotImplementedError, match="tenkai.save"):
        tenkai.jit.save(tenkai.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(NotImplementedError, match="load_state_dict"):
        tenkai.jit.load(tmp_path / "m.pt")


def test_compiled_step_with_jit_annotations_follows_eager() -> None:
    """Model code that asks is_scripting() compiles with tenkai.compile like any other."""
    def run(compiled: bool) -> list[float]:
        tenkai.manual_seed(1)
        block = _Block.build(tenkai)()
        opt = tenkai.optim.SGD(block.parameters(), lr=0.1)
        x, y = tenkai.randn(8, 3), tenkai.randn(8, 2)

        def step(x, y):
            loss = ((block(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        fn = tenkai.compile(step) if compiled else step
        return [fn(x, y).item() for _ in range(3)]

    np.testing.assert_allclose(run(True), run(False), rtol=1e-6)
