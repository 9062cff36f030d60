"""tenkai.codegen: kernel IR, lowering from the graph, and the LLVM CPU generator.

The pipeline, stage by stage (docs/compiler.md §3-4)::

    program = lower_program(fused_graph)      # ir.Graph -> KernelProgram (kernel IR)
    module = generate(program)                # -> GeneratedModule (LLVM IR, optimized)
    # runtime: Executable(module.optimized_ir, module.entry, module.buffer_table)
    #   (module.entries[entry] for a module built from several programs: the table carries
    #    the shared GEMM/thread-pool library the module calls into)

Imports ``tenkai.ir`` only; the runtime executes the plain data this package produces.
"""

from tenkai.codegen.kir.nodes import Buffer, Kernel, KernelProgram
from tenkai.codegen.lower.program import UNSUPPORTED, lower_program


def generate(program, opt_level: int = 3, parallel: bool = True):  # type: ignore[no-untyped-def]
    """Lazy alias of :func:`tenkai.codegen.cpu.codegen.generate` (imports llvmlite on use)."""
    from tenkai.codegen.cpu.codegen import generate as _generate

    return _generate(program, opt_level, parallel)


__all__ = ["UNSUPPORTED", "Buffer", "Kernel", "KernelProgram", "generate", "lower_program"]
