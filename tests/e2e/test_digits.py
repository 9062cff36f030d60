"""End to end: examples/digits.py trains its MLP and CNN on scikit-learn's 8x8 digits to at
least 95% test accuracy (eager tenkai: DataLoader, nn modules, Adam, cross_entropy, eval).

The example seeds tenkai's generator, so the runs are deterministic; the epoch counts are the
smallest that reach the target with a margin (MLP: 0.950 after 6 epochs, 0.967 after 7; CNN:
0.944 after 2, 0.972 after 3).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("sklearn", reason="examples/digits.py needs scikit-learn's digits")

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits.py"
TARGET = 0.95


@pytest.fixture(scope="module")
def digits() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tenkai_example_digits", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.mark.parametrize(("model", "epochs", "lr"), [("MLP", 7, 1e-3), ("CNN", 3, 2e-3)])
def test_digits_reaches_target_accuracy(digits: ModuleType, model: str, epochs: int, lr: float,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    digits.torch.manual_seed(0)  # as the example's main() does before building each model
    net = getattr(digits, model)()
    accuracy = digits.train(net, epochs, lr)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == epochs and lines[-1].startswith(f"{model} epoch {epochs}: loss ")
    assert accuracy >= TARGET, "\n".join(lines)
    assert not net.training  # evaluate() left it in eval mode
