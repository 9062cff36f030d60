"""The one LLVM optimization pipeline: the new pass manager's default ``O<n>`` pipeline,
tuned for a target machine. Every LLVM target (and every module of one: programs, the CPU's
GEMM and thread-pool library, test harnesses) optimizes through :func:`optimize`.
"""

from __future__ import annotations

import functools

import llvmlite.binding as llvm

# Let the loop vectorizer turn strided accesses that together cover a range (a 2x2 pooling
# window's cells: x[2*ow], x[2*ow + 1] of two rows) into wide loads and shuffles, masked in a
# folded tail too, instead of one gather/scatter per access (the CNN's pooling gradient:
# 560 -> 75 us). LLVM keeps these off unless asked; they are process-wide settings.
VECTORIZER_OPTIONS = ("-enable-interleaved-mem-accesses=true",
                      "-enable-masked-interleaved-mem-accesses=true")


@functools.cache
def _set_vectorizer_options() -> None:
    for option in VECTORIZER_OPTIONS:
        llvm.set_option("tenkai", option)


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
    _set_vectorizer_options()
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
