"""Small llvmlite helpers shared by the GEMM generator's modules: min, ceil-div, opaque-pointer
retyping, element GEPs and internal function definitions (loops: :mod:`tenkai.codegen.llvm.loops`).

The design notes (ABI, blocking scheme, parallelism, packing buffers) are in the docstring of
:mod:`tenkai.codegen.cpu.gemm`.
"""

from __future__ import annotations

from llvmlite import ir

from tenkai.codegen.llvm.types import I64, PTR


def minimum(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    """Signed ``min(a, b)``."""
    return builder.select(builder.icmp_signed("<", a, b), a, b, name=name)


def ceil_div(builder: ir.IRBuilder, a: ir.Value, b: ir.Value, name: str) -> ir.Value:
    """``ceil(a / b)`` for positive ``b``."""
    return builder.sdiv(builder.add(a, builder.sub(b, I64(1))), b, name=name)


def opaque(pointer: ir.NamedValue) -> ir.NamedValue:
    """Retype an alloca or global as an opaque ``ptr``.

    With llvmlite's default typed-pointer mode, allocas and globals carry ``T*`` types and
    ``IRBuilder.store`` rejects storing anything but ``T`` through them (or through GEPs of
    them). LLVM 22 has only opaque pointers, so nothing changes in the IR text's meaning.
    """
    pointer.type = PTR
    return pointer


def element_ptr(
    builder: ir.IRBuilder, base: ir.Value, index: ir.Value, element: ir.Type, name: str = ""
) -> ir.Value:
    """``&base[index]`` for elements of type ``element``."""
    return builder.gep(base, [index], inbounds=True, name=name, source_etype=element)


def new_function(
    module: ir.Module, name: str, ret: ir.Type, params: list[tuple[str, ir.Type]],
    internal: bool = True,
) -> tuple[ir.Function, ir.IRBuilder]:
    """Define ``name(params) -> ret`` (nounwind, internal unless told) and a builder at its
    entry block."""
    function = ir.Function(module, ir.FunctionType(ret, [ty for _, ty in params]), name)
    for argument, (arg_name, _) in zip(function.args, params, strict=True):
        argument.name = arg_name
    if internal:
        function.linkage = "internal"
    function.attributes.add("nounwind")
    return function, ir.IRBuilder(function.append_basic_block("entry"))
