"""Getting or declaring functions in an llvmlite module: one helper for every emitter."""

from __future__ import annotations

from llvmlite import ir


def declare_function(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    """``name`` if ``module`` already has it (declared or defined), else an external
    declaration of it with type ``fnty``."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, fnty, name)
