"""The native CPU backend of ``tenkai.compile``: passes, kernel lowering, LLVM codegen and
the runtime executable, glued together for one traced graph."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def build_cpu(fused: Any, program: Any) -> tuple[Any, Any]:
    """Generate and JIT a lowered program; returns ``(run(feeds) -> outputs, module)``."""
    from tenkai.codegen import generate
    from tenkai.runtime.executable import Executable

    module = generate(program)
    exe = Executable(module.optimized_ir, module.entry, module.buffer_table)

    def run(feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return exe.run_feeds(feeds)

    run.executable = exe  # type: ignore[attr-defined]
    run.module = module  # type: ignore[attr-defined]
    return run, module


def compile_cpu(graph: Any) -> Any:
    """Compile a traced graph for the host CPU; returns ``run(feeds) -> list of arrays``."""
    from tenkai.codegen import lower_program
    from tenkai.ir.passes.pipeline import run_pipeline

    timings: dict[str, float] = {}
    start = time.perf_counter()
    fused = run_pipeline(graph, timings=timings)
    timings["passes"] = time.perf_counter() - start
    start = time.perf_counter()
    program = lower_program(fused)
    timings["lower"] = time.perf_counter() - start
    start = time.perf_counter()
    run, module = build_cpu(fused, program)
    timings["codegen+jit"] = time.perf_counter() - start
    run.timings = timings  # type: ignore[attr-defined]
    return run
