"""Module-level symbols, one helper each for every emitter: get-or-declare a function, define
an internal zero-initialized global."""

from __future__ import annotations

from llvmlite import ir


def declare_function(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    """``name`` if ``module`` already has it (declared or defined), else an external
    declaration of it with type ``fnty``."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, fnty, name)


def internal_global(module: ir.Module, name: str, ty: ir.Type, align: int = 64
                    ) -> ir.GlobalVariable:
    """A zero-initialized internal global of type ``ty`` (64-byte aligned by default: hot
    atomics get a cache line of their own)."""
    variable = ir.GlobalVariable(module, ty, name)
    variable.linkage = "internal"
    variable.initializer = ir.Constant(ty, None)
    variable.align = align
    return variable
