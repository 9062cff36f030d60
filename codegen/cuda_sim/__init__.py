"""The ``cuda-sim`` target: the NVPTX target's kernels, run by a CPU simulator of the GPU.

Code generation is the ``cuda`` target's (:mod:`tenkai.codegen.nvptx`: the same lowering
strategies, GPU mapping, PTX and launch tables); what differs is the loadable code: the LLVM
IR the PTX comes from, retargeted to the host (:mod:`tenkai.codegen.cuda_sim.hostir`) and
compiled to host object code, which the simulator (``tenkai.runtime.cuda_sim``) loads and runs
launch by launch, block by block, thread by thread, checking shared memory for data races and
barriers for threads that never arrive. So a machine without a GPU runs (and tests) the GPU
mapping itself. This module is the target's *codegen module* (``TargetCodegen``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import Any

from tenkai.codegen import nvptx
from tenkai.codegen.cuda_sim.hostir import DYNAMIC_SHARED_BYTES, host_ir, host_object
from tenkai.codegen.kir.nodes import KernelProgram
from tenkai.codegen.nvptx import GeneratedPTX
from tenkai.codegen.target import Target

NAME = "cuda-sim"
KINDS = ("llvm", "llvm_opt", "ptx", "asm", "launch", "host")


@dataclass
class GeneratedSim(GeneratedPTX):
    """:class:`~tenkai.codegen.nvptx.GeneratedPTX` whose loadable code is host object code of
    the retargeted IR (``as_text("host")`` shows that IR)."""

    def object_code(self) -> bytes:
        """Host object code of the kernels (what ``tenkai.runtime.cuda_sim`` loads)."""
        return host_object(self.ir_text)

    def as_text(self, kind: str = "ptx") -> str:
        """The ``cuda`` target's kinds (``"llvm"``, ``"llvm_opt"``, ``"ptx"``/``"asm"``,
        ``"launch"``) and ``"host"``: the IR retargeted to the host."""
        if kind == "host":
            return host_ir(self.ir_text)
        if kind not in KINDS:
            raise ValueError(f"{NAME} target: no {kind!r} text; its kinds are "
                             f"{', '.join(repr(k) for k in KINDS)}")
        return super().as_text(kind)


def describe(arch: str = "sm_80", **options: Any) -> Target:
    """The ``cuda`` target for ``arch`` (same strategies, triple and PTX), named ``cuda-sim``
    (so its cache keys differ)."""
    return replace(nvptx.describe(arch, **options), name=NAME)


def generate(programs: KernelProgram | list[KernelProgram], target: Target | None = None,
             opt_level: int = 3, parallel: bool = True) -> GeneratedSim:
    """Kernel program(s) -> PTX, launch tables and host object code
    (:class:`GeneratedSim`); ``target`` None: :func:`describe`."""
    ptx = nvptx.generate(programs, target or describe(), opt_level, parallel)
    code = GeneratedSim(**{f.name: getattr(ptx, f.name) for f in fields(GeneratedPTX) if f.init})
    start = time.perf_counter()
    code.object_code()
    code.timings["host_object"] = time.perf_counter() - start
    return code


def support_library(target: Target) -> Any:
    """None: the host object is self-contained (the simulator defines what it calls)."""
    return None


__all__ = ["DYNAMIC_SHARED_BYTES", "KINDS", "NAME", "GeneratedSim", "describe", "generate",
           "host_ir", "host_object", "support_library"]
