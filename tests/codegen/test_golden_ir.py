"""The LLVM IR generated for the seed training steps is pinned (golden text, names normalized).

The CPU target's code generation must not drift by accident: a refactor of codegen/ keeps the
unoptimized LLVM IR of these three steps identical up to value and symbol names. A deliberate
change regenerates the files with
``TENKAI_ACCEPT=1 python -m pytest tests/codegen/test_golden_ir.py`` and shows up as a diff
of ``tests/codegen/golden/*.ll`` in review.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

import tenkai
from tenkai.bench import _mlp, cnn, two_layer

GOLDEN = Path(__file__).parent / "golden"
STEPS = {
    "two_layer": two_layer,  # seed 002: tensors + autograd, SGD
    "mlp_adam": lambda torch: _mlp(torch, (784, 128, 64, 10), 64, adam=True),
    "cnn": cnn,  # 2x(conv, relu, maxpool) + linear, SGD
}
_LOCAL = re.compile(r'%("(?:[^"\\]|\\.)*"|[-\w.$]+)')
_GLOBAL = re.compile(r'@("(?:[^"\\]|\\.)*"|[-\w.$]+)')
_LABEL = re.compile(r'^("(?:[^"\\]|\\.)*"|[-\w.$]+):')


class _Renamer:
    """Names in order of first appearance: ``prefix0``, ``prefix1``, ..."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.names = prefix, {}

    def __call__(self, name: str) -> str:
        return self.names.setdefault(name, f"{self.prefix}{len(self.names)}")


def normalize(text: str) -> str:
    """LLVM IR with every symbol renamed by first appearance (``@g0``, ``@g1``, ...) and every
    local value and label renamed per function (``%v0``, ...), so only names may differ."""
    symbols, values = _Renamer("g"), _Renamer("v")
    out = []
    for line in text.splitlines():
        if line.startswith("define "):
            values = _Renamer("v")
        line = _GLOBAL.sub(lambda m: "@" + symbols(m.group(1)), line)
        line = _LABEL.sub(lambda m: values(m.group(1)) + ":", line)  # noqa: B023 (used at once)
        line = _LOCAL.sub(lambda m: "%" + values(m.group(1)), line)  # noqa: B023
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def generated_ir(name: str) -> str:
    step, args = STEPS[name](tenkai)
    step(*args)  # the first step creates optimizer state (Adam's moments) eagerly
    return tenkai.trace(step, *args).lower().compile().as_text()


@pytest.mark.parametrize("name", sorted(STEPS))
def test_llvm_ir_matches_golden(name: str) -> None:
    got = normalize(generated_ir(name))
    path = GOLDEN / f"{name}.ll"
    if os.environ.get("TENKAI_ACCEPT") == "1":
        path.write_text(got)
    want = path.read_text()
    if got != want:
        diff = "".join(list(difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), str(path), "generated", n=2))[:80])
        pytest.fail(f"the LLVM IR of {name} changed (beyond names); if intended, rerun with "
                    f"TENKAI_ACCEPT=1\n{diff}")


def test_normalize_keeps_structure_and_drops_names() -> None:
    a = 'define void @"k0"(ptr %"x") {\n  %"t.1" = load float, ptr %"x"\n  ret void\n}'
    b = 'define void @"kernel_a"(ptr %"arg") {\n  %"y" = load float, ptr %"arg"\n  ret void\n}'
    c = 'define void @"k0"(ptr %"x") {\n  %"t.1" = load double, ptr %"x"\n  ret void\n}'
    assert normalize(a) == normalize(b)
    assert normalize(a) != normalize(c)
