"""Linking NVIDIA's libdevice into an NVPTX module (``math_library="libdevice"``).

With that library the scalar templates call ``__nv_<fn>f`` / ``__nv_<fn>``
(:mod:`tenkai.codegen.scalar.library`); :func:`link` reads ``libdevice.10.bc`` (found by
:mod:`tenkai.codegen.nvptx.toolkit`: the nvidia-cuda-nvcc wheel or a CUDA install), parses it
with llvmlite, gives it the module's triple and data layout, links it in and makes every
function it defined internal, so the optimizer inlines what the kernels call (libdevice's
functions are ``alwaysinline``) and drops the rest. libdevice asks ``__nvvm_reflect`` whether
to flush denormals; LLVM's NVVMReflect pass (in the NVPTX pipeline) answers from the module
flag ``nvvm-reflect-ftz``, absent here, so 0: no flushing, IEEE results like the CPU's.
"""

from __future__ import annotations

import functools

import llvmlite.binding as llvm

from tenkai.codegen.nvptx.toolkit import libdevice_path

PREFIX = "__nv_"


@functools.cache
def bitcode() -> bytes:
    """The bytes of ``libdevice.10.bc`` (FileNotFoundError saying how to install it)."""
    with open(libdevice_path(), "rb") as f:
        return f.read()


def wanted(module: llvm.ModuleRef) -> list[str]:
    """The libdevice functions ``module`` declares (calls without a body)."""
    return sorted(f.name for f in module.functions
                  if f.is_declaration and f.name.startswith(PREFIX))


def link(module: llvm.ModuleRef) -> list[str]:
    """Link libdevice into ``module`` when it declares ``__nv_*`` functions; returns their
    names (empty: nothing linked)."""
    names = wanted(module)
    if not names:
        return []
    lib = llvm.parse_bitcode(bitcode())
    lib.triple, lib.data_layout = module.triple, module.data_layout
    defined = [f.name for f in lib.functions if not f.is_declaration]
    missing = sorted(set(names) - set(defined))
    if missing:
        raise NotImplementedError(f"cuda: libdevice ({libdevice_path()}) has no "
                                  f"{', '.join(missing)}")
    module.link_in(lib)
    for name in defined:
        module.get_function(name).linkage = llvm.Linkage.internal
    return names
