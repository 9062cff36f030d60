"""The native CPU backend of ``tenkai.compile``: passes, kernel lowering, LLVM codegen and
the runtime executable, glued together for one traced graph."""

from __future__ import annotations

from typing import Any


def compile_cpu(graph: Any) -> Any:
    """Compile a traced graph for the host CPU; returns ``run(feeds) -> list of arrays``."""
    try:
        from tenkai.codegen import compile_graph
    except ImportError as err:
        raise NotImplementedError(
            "tenkai.compile: the LLVM CPU backend is not available yet "
            f"({err}); use tenkai.compile(fn, backend='interp')") from None
    return compile_graph(graph)
