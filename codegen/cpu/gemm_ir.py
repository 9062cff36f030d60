"""Small llvmlite helpers shared by the GEMM generator's modules: min, ceil-div, opaque-pointer
retyping, element GEPs, the counted loop and internal function definitions.

The design notes (ABI, blocking scheme, parallelism, packing buffers) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm` (codegen/gemm.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from llvmlite import ir

from tenkai.codegen.cpu.pool import I64, PTR

# --------------------------------------------------------------------------- IR helpers


def _min(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    return builder.select(builder.icmp_signed("<", a, b), a, b, name=name)


def _ceil_div(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    return builder.sdiv(builder.add(a, builder.sub(b, I64(1))), b, name=name)


def _opaque(pointer: ir.NamedValue) -> ir.NamedValue:
    """Retype an alloca or global as an opaque ``ptr``.

    With llvmlite's default typed-pointer mode, allocas and globals carry ``T*`` types and
    ``IRBuilder.store`` rejects storing anything but ``T`` through them (or through GEPs of
    them). LLVM 22 has only opaque pointers, so nothing changes in the IR text's meaning.
    """
    pointer.type = PTR
    return pointer


def _element_ptr(
    builder: ir.IRBuilder, base: ir.Value, index: ir.Value, element: ir.Type, name: str = ""
) -> ir.Value:
    return builder.gep(base, [index], inbounds=True, name=name, source_etype=element)


@contextmanager
def counted_loop(
    builder: ir.IRBuilder, start: ir.Value, stop: ir.Value, step: ir.Value, name: str
) -> Iterator[ir.Value]:
    """``for (name = start; name < stop; name += step)``; the body must not terminate."""
    preheader = builder.block
    header = builder.append_basic_block(f"{name}.header")
    body = builder.append_basic_block(f"{name}.body")
    exit_block = builder.append_basic_block(f"{name}.exit")
    builder.branch(header)
    builder.position_at_end(header)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, preheader)
    builder.cbranch(builder.icmp_signed("<", index, stop), body, exit_block)
    builder.position_at_end(body)
    yield index
    index.add_incoming(builder.add(index, step, name=f"{name}.next"), builder.block)
    builder.branch(header)
    builder.position_at_end(exit_block)


def _new_function(
    module: ir.Module, name: str, ret: ir.Type, params: list[tuple[str, ir.Type]],
    internal: bool = True,
) -> tuple[ir.Function, ir.IRBuilder]:
    function = ir.Function(module, ir.FunctionType(ret, [ty for _, ty in params]), name)
    for argument, (arg_name, _) in zip(function.args, params, strict=True):
        argument.name = arg_name
    if internal:
        function.linkage = "internal"
    function.attributes.add("nounwind")
    return function, ir.IRBuilder(function.append_basic_block("entry"))
