"""The NVPTX target (CUDA PTX through LLVM's NVPTX backend): its description.

Its strategies: each kernel launched over a grid of blocks, contractions as tiled GEMM kernels of
their own, convolution as an implicit GEMM, parallel iterations mapped onto the grid. Its math
comes from tenkai's own implementations (codegen/scalar): LLVM's NVPTX backend lowers only the
functions in :data:`NATIVE_MATH` (``llvm.sin``/``llvm.cos``/``llvm.pow`` fail with "Cannot
select", ``llvm.exp``/``llvm.log`` have no libcall, and ``llvm.exp.f16`` aborts the process).
This module is the target's *codegen module* (``TargetCodegen``): :func:`describe`,
:func:`generate` (PTX and launch tables, :mod:`tenkai.codegen.nvptx.codegen`; the GPU mapping:
:mod:`tenkai.codegen.nvptx.mapping`; contractions and convolution:
:mod:`tenkai.codegen.nvptx.gemm`) and :func:`support_library`. Its runtime is
``tenkai.runtime.cuda`` (the CUDA driver API); ``cuda-sim`` runs the same kernels on a CPU
simulator.
"""

from __future__ import annotations

from typing import Any

from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.nvptx.codegen import GeneratedPTX
from tenkai.codegen.nvptx.codegen import generate as _generate_ptx
from tenkai.codegen.target import Target

TRIPLE = "nvptx64-nvidia-cuda"
ARCHES = ("sm_80", "sm_86", "sm_89", "sm_90")
PTX_ISA = "+ptx80"  # PTX 8.0 (CUDA 12.0): enough for sm_90
# what LLVM's NVPTX backend lowers to instructions for half, float and double (checked by
# tests/codegen/test_scalar_targets.py, which compiles every template for this target)
NATIVE_MATH = frozenset({"sqrt", "fabs", "floor", "ceil", "trunc", "roundeven", "rint",
                         "copysign", "fma", "maxnum", "minnum", "maximum", "minimum"})


def describe(arch: str = "sm_80", **options: Any) -> Target:
    """NVPTX for ``arch`` (``"sm_80"`` by default) as a :class:`Target`."""
    if arch not in ARCHES:
        raise ValueError(f"cuda: unknown GPU architecture {arch!r}; choose one of "
                         f"{', '.join(ARCHES)}")
    return Target(name="cuda", triple=TRIPLE, arch=arch, features=PTX_ISA, kind="gpu",
                  launch="grid", alignment=256, contraction="tiled",
                  convolution="implicit_gemm", parallel="grid", math_library="tenkai",
                  native_math=NATIVE_MATH, options=tuple(sorted(options.items())))


def generate(programs: KernelProgram | list[KernelProgram], target: Target | None = None,
             opt_level: int = 3, parallel: bool = True) -> GeneratedPTX:
    """Kernel program(s) (lowered with ``target=describe(...)``) -> PTX and launch tables
    (:class:`~tenkai.codegen.nvptx.codegen.GeneratedPTX`); ``target`` None: :func:`describe`.
    ``parallel`` is accepted for the interface: a GPU kernel always runs over its grid."""
    return _generate_ptx(programs, target or describe(), opt_level)


def support_library(target: Target) -> str | None:
    """None: the generated PTX is self-contained (its math is in the module)."""
    return None


__all__ = ["ARCHES", "NATIVE_MATH", "TRIPLE", "GeneratedPTX", "describe", "generate",
           "support_library"]
