"""tenkai.codegen: kernel IR, lowering from the graph, and one code generator per target.

The pipeline, stage by stage (docs/compiler.md §3-4, "Targets")::

    target = describe("cpu")                  # codegen/target.py: a Target (plain data)
    program = lower_program(fused_graph)      # ir.Graph -> KernelProgram (kernel IR)
    module = generate(program, target)        # -> the target's GeneratedCode (LLVM IR, ...)
    # runtime: runtime_module(target.name).load(module, module.entry, module.buffer_table)
    #   (module.entries[entry] for a module built from several programs: the table carries
    #    the shared GEMM/thread-pool library the module calls into)

Imports ``tenkai.ir`` only; the runtime executes the plain data this package produces.
"""

from typing import Any

from tenkai.codegen.kir.nodes import Buffer, Kernel, KernelProgram
from tenkai.codegen.lower.program import UNSUPPORTED, lower_program
from tenkai.codegen.target import GeneratedCode, Target, codegen_module, describe


def generate(program: KernelProgram | list[KernelProgram], target: str | Target = "cpu",
             opt_level: int = 3, parallel: bool = True, **options: Any) -> GeneratedCode:
    """Code for ``program`` (or several sharing one module) from the generator of ``target``
    (a registered name or a :class:`Target`; imports the target's code on first use)."""
    resolved = describe(target, **options)
    return codegen_module(resolved.name).generate(program, resolved, opt_level, parallel)


__all__ = ["UNSUPPORTED", "Buffer", "Kernel", "KernelProgram", "Target", "describe", "generate",
           "lower_program"]
