"""The host CPU as LLVM sees it, chosen in one place: its triple, CPU name and features, the
target machines built for them, and the object code and assembly they emit.

Everything that generates or optimizes code for the CPU target asks this module (the target
description :func:`tenkai.codegen.cpu.describe`, the optimization pipeline's cost model, the
GEMM's vector width, object code for the runtime to load); nothing else calls
``llvm.get_host_cpu_name`` or ``get_host_cpu_features``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

import llvmlite.binding as llvm

from tenkai.codegen.llvm.pipeline import optimize


@dataclass(frozen=True)
class HostCPU:
    """The LLVM triple, CPU name (``znver5``) and feature string (``+avx512f,...``)."""

    triple: str
    name: str
    features: str

    def has(self, feature: str) -> bool:
        """Is ``+feature`` on (``has("avx512f")``)?"""
        return f"+{feature}" in self.features.split(",")


@functools.cache
def host_cpu() -> HostCPU:
    """The CPU this process runs on (the native target is initialized on first use)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return HostCPU(llvm.get_process_triple(), llvm.get_host_cpu_name(),
                   llvm.get_host_cpu_features().flatten())


@functools.cache
def target_machine(opt_level: int = 3, jit: bool = False) -> llvm.TargetMachine:
    """The target machine for the host CPU at ``opt_level``, created once per setting.

    ``jit=True`` is the machine for code an MCJIT engine loads (its code model reaches
    anywhere in the address space): :func:`emit_object` uses it."""
    cpu = host_cpu()
    target = llvm.Target.from_triple(cpu.triple)
    return target.create_target_machine(cpu=cpu.name, features=cpu.features, opt=opt_level,
                                        reloc="default", codemodel="jitdefault", jit=jit)


def host_flags() -> dict[str, Any]:
    """What the generated code targets: triple, CPU, whether AVX2/AVX-512 are on."""
    cpu = host_cpu()
    return {"triple": cpu.triple, "cpu": cpu.name, "avx2": cpu.has("avx2"),
            "avx512f": cpu.has("avx512f"), "features": cpu.features}


def host_vector_bits() -> int:
    """Widest usable SIMD register in bits: 512 with AVX-512F, 256 with AVX2+FMA, else 128."""
    cpu = host_cpu()
    if cpu.has("avx512f"):
        return 512
    if cpu.has("avx2") and cpu.has("fma"):
        return 256
    return 128


@dataclass(frozen=True)
class CacheSizes:
    """Data cache sizes in bytes: L1d and L2 of one core, L3 (shared) of the package."""

    l1d: int
    l2: int
    l3: int


# what a core without readable cache information is assumed to have (a Zen 4/5 or Ice Lake
# class core's L1d and L2 are at least this large; L3 gets a conservative 16 MiB)
DEFAULT_CACHES = CacheSizes(l1d=32 << 10, l2=1 << 20, l3=16 << 20)
CACHE_SYSFS = "/sys/devices/system/cpu/cpu0/cache"


def _parse_size(text: str) -> int:
    """Linux's ``size`` file: ``48K``, ``1280K``, ``48M``."""
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def read_cache_sizes(root: str = CACHE_SYSFS) -> CacheSizes:
    """The data caches of CPU 0 as Linux reports them (``<root>/index*/{level,type,size}``);
    a level it does not report keeps :data:`DEFAULT_CACHES`' size."""
    found: dict[int, int] = {}
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return DEFAULT_CACHES
    for entry in entries:
        if not entry.startswith("index"):
            continue
        try:
            with open(os.path.join(root, entry, "level")) as f:
                level = int(f.read())
            with open(os.path.join(root, entry, "type")) as f:
                kind = f.read().strip()
            with open(os.path.join(root, entry, "size")) as f:
                size = _parse_size(f.read())
        except (OSError, ValueError):
            continue
        if kind in ("Data", "Unified") and size > 0:
            found[level] = size
    return CacheSizes(l1d=found.get(1, DEFAULT_CACHES.l1d), l2=found.get(2, DEFAULT_CACHES.l2),
                      l3=found.get(3, DEFAULT_CACHES.l3))


@functools.cache
def host_caches() -> CacheSizes:
    """The host's data cache sizes (:func:`read_cache_sizes`), read once per process."""
    return read_cache_sizes()


def emit_object(ir: str | llvm.ModuleRef) -> bytes:
    """Host object code (ELF on Linux) for LLVM IR text or a parsed module, ready for the
    runtime's loader. Code generation rewrites a module passed in (its IR passes): print it
    first if its text is wanted."""
    module = llvm.parse_assembly(ir) if isinstance(ir, str) else ir
    return target_machine(3, jit=True).emit_object(module)


def emit_assembly(ir_text: str, opt_level: int = 3) -> str:
    """Host assembly for LLVM IR text."""
    return target_machine(opt_level).emit_assembly(llvm.parse_assembly(ir_text))


def optimize_ir(ir_text: str, opt_level: int = 3, loop_interleaving: bool | None = None,
                vectorize: bool | None = None) -> llvm.ModuleRef:
    """Parse and verify LLVM IR text, then run the optimization pipeline
    (:func:`tenkai.codegen.llvm.pipeline.optimize`) for the host at ``opt_level``
    (``vectorize=False``: without the loop and SLP vectorizers)."""
    module = llvm.parse_assembly(ir_text)
    module.verify()
    return optimize(module, target_machine(opt_level), opt_level, loop_interleaving,
                    vectorize=vectorize)
