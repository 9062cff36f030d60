"""The NVPTX target's generator: kernel programs -> one LLVM module -> PTX, plus launch tables.

:func:`generate` maps every kernel onto the GPU (:mod:`tenkai.codegen.nvptx.mapping`), emits
each launch as a ``ptx_kernel`` function (:mod:`tenkai.codegen.nvptx.emit`) in one module with
NVPTX's triple and data layout, optimizes it with the one pipeline
(:mod:`tenkai.codegen.llvm.pipeline`) for llvmlite's ``nvptx64-nvidia-cuda`` target machine at
the target's SM and PTX ISA, and prints PTX from it. Emitting PTX needs no GPU.

Each program's entry in :attr:`GeneratedPTX.entries` is its buffer table (as on the CPU) plus
``"launches"``: the launches in order, each with its PTX function, buffer slots, grid, block
and dynamic shared memory (what a runtime needs to launch them), and ``"scratch"``: name ->
bytes of the scratch buffers its launches share (split reductions' partials, values passed
between launches; :mod:`tenkai.codegen.nvptx.stages`), which the runtime allocates, zeroed,
for each run. A row's ``"args"`` are slots in the program's buffers followed by the scratch
buffers in that order (slot ``len(buffers) + k`` is the k-th scratch buffer). There is no
``tk_step`` entry function: a GPU step is that sequence of launches, driven by the host.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.codegen.kir.nodes import KernelProgram, buffers_used
from tenkai.codegen.llvm.pipeline import optimize
from tenkai.codegen.nvptx.emit import LaunchEmitter
from tenkai.codegen.nvptx.epilogue import fuse_epilogues
from tenkai.codegen.nvptx.gemm import GemmEmitter, GemmLaunch, plan_gemm
from tenkai.codegen.nvptx.libdevice import link as link_libdevice
from tenkai.codegen.nvptx.mapping import Launch, describe_launches, plan
from tenkai.codegen.target import EntryTables, Target

KINDS = ("llvm", "llvm_opt", "ptx", "asm", "launch")


@functools.cache
def target_machine(arch: str, features: str, opt_level: int = 3) -> llvm.TargetMachine:
    """llvmlite's NVPTX target machine for ``arch`` (``sm_80``) and PTX ISA ``features``."""
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    target = llvm.Target.from_triple("nvptx64-nvidia-cuda")
    return target.create_target_machine(cpu=arch, features=features, opt=opt_level)


@dataclass
class GeneratedPTX(EntryTables):
    """The result of :func:`generate` (a ``GeneratedCode``): LLVM IR before and after
    optimization, the PTX, and per entry its buffer table with the launch table."""

    ir_text: str
    optimized_ir: str
    ptx: str
    entries: dict[str, dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)
    library_ir: str | None = None  # no support library: the PTX is self-contained
    target: Target | None = None
    library: None = None  # (the newer GeneratedCode protocol's name for it)


    def object_code(self) -> bytes:
        """The loadable form: the PTX text, as ``cuModuleLoadData`` takes it (NUL-terminated)."""
        return self.ptx.encode() + b"\0"

    def launches(self) -> list[dict[str, Any]]:
        """Every launch of every entry, in order."""
        return [row for table in self.entries.values() for row in table["launches"]]

    def as_text(self, kind: str = "ptx") -> str:
        """``"llvm"``, ``"llvm_opt"``, ``"ptx"`` (also ``"asm"``) or ``"launch"`` (the
        launch table, one line per launch, per entry)."""
        if kind == "llvm":
            return self.ir_text
        if kind == "llvm_opt":
            return self.optimized_ir
        if kind in ("ptx", "asm"):
            return self.ptx
        if kind == "launch":
            lines = []
            for entry, table in self.entries.items():
                lines.append(f"entry {entry}:")
                lines += ["  " + line for line in table["launch_text"]]
            return "\n".join(lines) + "\n"
        raise ValueError(f"cuda target: no {kind!r} text; its kinds are "
                         f"{', '.join(repr(k) for k in KINDS)}")


def build_module(programs: list[KernelProgram], target: Target
                 ) -> tuple[ir.Module, dict[str, list[Launch]]]:
    """The unoptimized module for ``programs`` and each entry's launches."""
    tm = target_machine(target.arch, target.features)
    module = ir.Module(name="tenkai_cuda")
    module.triple = target.triple
    module.data_layout = str(tm.target_data)
    launches: dict[str, list[Launch]] = {}
    for program in programs:
        buffers = {b.name: b for b in program.buffers}
        launches[program.entry] = []
        used = [set(buffers_used(kernel.body)) for kernel in program.kernels]
        kept = {b.name for b in program.buffers if b.role != "scratch"} | \
            set(program.outputs) | set(program.writes.values()) | \
            {name for pair in program.copies for name in pair}
        for k, kernel in enumerate(program.kernels):
            needed = kept.union(*(u for j, u in enumerate(used) if j != k))
            planned = plan(kernel, functools.partial(plan_gemm, target=target))
            for launch in fuse_epilogues(planned, needed):
                if isinstance(launch, GemmLaunch):
                    GemmEmitter(module, launch, buffers | launch.scratch, target).emit()
                else:
                    LaunchEmitter(module, launch, buffers | launch.scratch, target).emit()
                launches[program.entry].append(launch)
    return module, launches


def generate(programs: KernelProgram | list[KernelProgram], target: Target,
             opt_level: int = 3) -> GeneratedPTX:
    """Kernel program(s) -> :class:`GeneratedPTX` for ``target`` (an NVPTX Target)."""
    if target.kind != "gpu" or not target.triple.startswith("nvptx"):
        raise ValueError(f"cuda target: cannot generate for {target.name} {target.triple}; "
                         "pass tenkai.codegen.nvptx.describe(...)")
    progs = programs if isinstance(programs, list) else [programs]
    entries = [p.entry for p in progs]
    if len(set(entries)) != len(entries):
        raise ValueError(f"codegen.nvptx: programs sharing a module need distinct entries, got "
                         f"{entries}; lower them with distinct prefixes")
    t0 = time.perf_counter()
    module, launches = build_module(progs, target)
    text = str(module)
    t1 = time.perf_counter()
    tm = target_machine(target.arch, target.features, min(opt_level, 3))
    ref = llvm.parse_assembly(text)
    ref.verify()
    link_libdevice(ref)  # math_library "libdevice": its __nv_* functions (else nothing)
    if opt_level > 0:
        optimize(ref, tm, opt_level)
    optimized = str(ref)
    t2 = time.perf_counter()
    ptx = tm.emit_assembly(ref)
    t3 = time.perf_counter()
    tables = {}
    for p in progs:
        scratch = {name: buf.nbytes for la in launches[p.entry]
                   for name, buf in la.scratch.items()}
        slots = {name: k for k, name in enumerate([b.name for b in p.buffers] + list(scratch))}
        tables[p.entry] = {**p.buffer_table(), "library": None, "scratch": scratch,
                           "launches": [la.table(slots) for la in launches[p.entry]],
                           "launch_text": describe_launches(launches[p.entry])}
    return GeneratedPTX(text, optimized, ptx, tables,
                        {"build": t1 - t0, "optimize": t2 - t1, "ptx": t3 - t2}, target=target)
