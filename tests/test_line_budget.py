"""The soft line budget (CONTRIBUTING.md, "Size"): source files aim for under ~500 lines and
functions for under ~50. This test holds the hard caps (600 lines a file, 100 a function) so
that nothing grows into a monolith unnoticed; the report names every offender at once."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("frontend", "ir", "codegen", "runtime")
FILE_CAP, FUNCTION_CAP = 600, 100


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_sources_exist() -> None:
    assert len(_sources()) > 50  # the budget below checks the real tree, not an empty glob


def test_files_and_functions_stay_within_the_line_budget() -> None:
    over: list[str] = []
    for path in _sources():
        text = path.read_text()
        lines = text.count("\n")
        name = path.relative_to(ROOT)
        if lines > FILE_CAP:
            over.append(f"{name}: {lines} lines (cap {FILE_CAP}); split it by section")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_CAP:
                    over.append(f"{name}:{node.lineno} {node.name}: {length} lines "
                                f"(cap {FUNCTION_CAP})")
    assert not over, "over the line budget:\n  " + "\n  ".join(over)
