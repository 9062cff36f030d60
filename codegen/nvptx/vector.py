"""128-bit vector loads and stores for ``grid`` launches (placeholder: filled in below)."""

from __future__ import annotations

from tenkai.codegen.kir.nodes import Stmt


def vector_width(loops: list[tuple[str, int]], body: list[Stmt]) -> int:
    return 1
