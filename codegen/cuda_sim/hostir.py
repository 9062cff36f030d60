"""The NVPTX target's LLVM IR retargeted to the host, for the ``cuda-sim`` target's simulator.

:func:`host_ir` takes the module :func:`tenkai.codegen.nvptx.generate` built (``ir_text``, the
code the PTX comes from) and makes it runnable on the CPU: the host triple instead of NVPTX's
(and no NVPTX data layout), ``ptx_kernel`` and the global address space dropped, and every GPU
operation the host has no instruction for turned into a call of an external function that the
simulator (``tenkai.runtime.cuda_sim``) defines:

* special registers ``llvm.nvvm.read.ptx.sreg.{tid,ctaid,ntid,nctaid}.{x,y,z}`` ->
  ``sim_sreg_<reg>_<axis>()``;
* ``llvm.nvvm.barrier0`` -> ``sim_barrier()``;
* warp shuffles ``llvm.nvvm.shfl.sync.{bfly,down,up,idx}.{i32,f32}`` ->
  ``sim_shfl_<mode>_<type>(mask, value, b, c)``;
* every load and store of shared memory (``addrspace(3)``) of ``i8``, ``i16``, ``i32``,
  ``i64``, ``float`` or ``double`` -> ``sim_sload_<type>(ptr)`` / ``sim_sstore_<type>(ptr,
  value)``, which perform the access and record it for the race check;
* dynamic shared memory (an ``external addrspace(3) global``) -> a host global of
  :data:`DYNAMIC_SHARED_BYTES`.

The tiled GEMM's operations (``cp.async``, ``mma.sync``, TF32 rounding, ``half`` in shared
memory) are rewritten by :mod:`tenkai.codegen.cuda_sim.hostir_gemm` first.
Any other shared-memory access (atomics, vectors) or NVVM intrinsic raises
NotImplementedError naming it. :func:`host_object` compiles the result to host object code
with the host machine of ``codegen/cpu/machine.py`` (no IR optimization: the simulator checks
the generated code, not what the host's optimizer makes of it).
"""

from __future__ import annotations

import functools
import re

from tenkai.codegen.cpu.machine import emit_object, host_cpu
from tenkai.codegen.cuda_sim.hostir_gemm import gemm_ops

NAME = r'(%"[^"]*"|%[-\w.$]+)'
VALUE = r'(%"[^"]*"|%[-\w.$]+|[-+\w.]+)'  # a local value or a constant
POINTER = r'(%"[^"]*"|%[-\w.$]+|@"[^"]*"|@[-\w.$]+)'  # a local value or a global
SHARED_TYPES = ("i8", "i16", "i32", "i64", "float", "double")
SHUFFLE_MODES = ("bfly", "down", "up", "idx")
SHUFFLE_TYPES = ("i32", "f32")
SREGS = tuple(f"{reg}.{axis}" for reg in ("tid", "ctaid", "ntid", "nctaid")
              for axis in "xyz")
DYNAMIC_SHARED_BYTES = 227 * 1024  # the most dynamic shared memory a block may have (sm_90)


def _shared_accesses(text: str) -> str:
    types = "|".join(SHARED_TYPES)
    text = re.sub(rf"store ({types}) {VALUE}, ptr addrspace\(3\) {POINTER}(, align \d+)?",
                  r'call void @"sim_sstore_\1"(ptr \3, \1 \2)', text)
    text = re.sub(rf"{NAME} = load ({types}), ptr addrspace\(3\) {POINTER}(, align \d+)?",
                  r'\1 = call \2 @"sim_sload_\2"(ptr \3)', text)
    text = re.sub(r"= external addrspace\(3\) global \[0 x (\w+)\]",
                  f"= internal global [{DYNAMIC_SHARED_BYTES} x i8] zeroinitializer", text)
    leftover = [ln.strip() for ln in text.splitlines()
                if "addrspace(3)" in ln and "getelementptr" not in ln
                and not re.match(r'\s*@"?[^=]*"? = internal addrspace\(3\) global', ln)]
    if leftover:
        raise NotImplementedError(f"cuda-sim: unsupported shared-memory access {leftover[:3]}")
    return text


def host_ir(text: str) -> str:
    """The NVPTX module's IR made runnable on the host (see the module docstring)."""
    text = re.sub(r"^target triple = .*$", f'target triple = "{host_cpu().triple}"', text,
                  flags=re.M)
    text = re.sub(r"^target datalayout = .*$", "", text, flags=re.M)
    text, extra = gemm_ops(text)
    text = _shared_accesses(text)
    text = text.replace("addrspace(1) ", "").replace("addrspace(3) ", "")
    text = text.replace("ptx_kernel ", "")
    for reg in SREGS:
        text = text.replace(f'@"llvm.nvvm.read.ptx.sreg.{reg}"',
                            f'@"sim_sreg_{reg.replace(".", "_")}"')
    text = text.replace('@"llvm.nvvm.barrier0"', '@"sim_barrier"')
    for mode in SHUFFLE_MODES:
        for ty in SHUFFLE_TYPES:
            text = text.replace(f'@"llvm.nvvm.shfl.sync.{mode}.{ty}"',
                                f'@"sim_shfl_{mode}_{ty}"')
    if "llvm.nvvm." in text:
        raise NotImplementedError("cuda-sim: an NVVM intrinsic the simulator does not model: "
                                  + sorted(set(re.findall(r"llvm\.nvvm\.[\w.]+", text)))[0])
    used = text + "\n".join(extra)
    decls = [f'declare void @"sim_sstore_{t}"(ptr, {t})' for t in SHARED_TYPES
             if f'@"sim_sstore_{t}"' in used]
    decls += [f'declare {t} @"sim_sload_{t}"(ptr)' for t in SHARED_TYPES
              if f'@"sim_sload_{t}"' in used]
    return text + "\n" + "\n".join(extra + decls) + "\n"


@functools.lru_cache(maxsize=64)
def host_object(ir_text: str) -> bytes:
    """Host object code of an NVPTX module's IR (:func:`host_ir`, then the host machine)."""
    return emit_object(host_ir(ir_text))
