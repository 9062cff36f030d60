"""The one LLVM optimization pipeline: the new pass manager's default ``O<n>`` pipeline,
tuned for a target machine. Every LLVM target (and every module of one: programs, the CPU's
GEMM and thread-pool library, test harnesses) optimizes through :func:`optimize`.
"""

from __future__ import annotations

import llvmlite.binding as llvm


def optimize(module: llvm.ModuleRef, machine: llvm.TargetMachine, speed_level: int = 3,
             loop_interleaving: bool | None = None, vectorize: bool | None = None
             ) -> llvm.ModuleRef:
    """Run ``default<O{speed_level}>`` on ``module`` in place (and return it).

    From O2 up the loop and SLP vectorizers and loop unrolling are on. ``loop_interleaving``
    (several vector iterations in flight, what the GEMM's inner loops want) keeps LLVM's
    default for the level when None; ``vectorize=False`` turns the loop and SLP vectorizers
    off (code whose hot loops are vectorized by hand: the CPU's GEMM library). ``machine``
    supplies the cost model (vector widths, features): pass the machine the code will run on.
    """
    tuning = llvm.create_pipeline_tuning_options(speed_level=speed_level)
    vectors = speed_level >= 2 if vectorize is None else vectorize
    tuning.loop_vectorization = vectors
    tuning.slp_vectorization = vectors
    tuning.loop_unrolling = speed_level >= 2
    if loop_interleaving is not None:
        tuning.loop_interleaving = loop_interleaving
    builder = llvm.create_pass_builder(machine, tuning)
    builder.getModulePassManager().run(module, builder)
    return module
