"""Host IR for the GPU GEMM's operations (codegen/nvptx/gemm.py), for the cuda-sim simulator.

:func:`gemm_ops` rewrites, before :func:`tenkai.codegen.cuda_sim.hostir.host_ir` does the rest:

* ``llvm.nvvm.cp.async.ca.shared.global.{4,8}.s(dst, src, src_size)`` ->
  ``sim_cp_async_{4,8}``; ``llvm.nvvm.cp.async.commit.group`` -> ``sim_cp_async_commit``;
  ``llvm.nvvm.cp.async.wait.group(n)`` -> ``sim_cp_async_wait(n)`` (the simulator queues the
  copies per thread and performs them, as shared-memory writes checked for races, when a
  ``wait_group`` says they must be complete);
* ``llvm.nvvm.mma.m16n8k16.row.col.f32.f32`` / ``llvm.nvvm.mma.m16n8k8.row.col.tf32`` ->
  an internal IR function that spills the lane's fragments (10 words) into a buffer, calls
  ``sim_mma(kind, buffer)`` (the warp-wide product: kind 0 float16, 1 TF32) and returns the 4
  result words written after them;
* ``llvm.nvvm.f2tf32.rna`` -> ``sim_f2tf32`` (round to TF32, ties away from zero);
* shared-memory ``half`` loads and stores -> internal wrappers over the ``i16`` ones.
"""

from __future__ import annotations

import re

MMA = {"llvm.nvvm.mma.m16n8k16.row.col.f32.f32": ("sim_mma_f16", 0, "<2 x half>"),
       "llvm.nvvm.mma.m16n8k8.row.col.tf32": ("sim_mma_tf32", 1, "i32")}
RENAMES = {"llvm.nvvm.cp.async.ca.shared.global.4.s": "sim_cp_async_4",
           "llvm.nvvm.cp.async.ca.shared.global.8.s": "sim_cp_async_8",
           "llvm.nvvm.cp.async.commit.group": "sim_cp_async_commit",
           "llvm.nvvm.cp.async.wait.group": "sim_cp_async_wait",
           "llvm.nvvm.f2tf32.rna": "sim_f2tf32"}
RESULT = "{float, float, float, float}"


def _mma_wrapper(name: str, kind: int, operand: str) -> str:
    """``name``: the mma intrinsic's signature, through ``sim_mma`` and a 14-word buffer."""
    args = [f"{operand} %a{k}" for k in range(4)] + [f"{operand} %b{k}" for k in range(2)]
    args += [f"float %c{k}" for k in range(4)]
    lines = [f'define internal {RESULT} @"{name}"({", ".join(args)}) {{',
             "  %buf = alloca [14 x i32], align 4"]
    for k, reg in enumerate([f"a{j}" for j in range(4)] + ["b0", "b1"]
                            + [f"c{j}" for j in range(4)]):
        ty = "float" if reg.startswith("c") else operand
        lines.append(f"  %p{k} = getelementptr [14 x i32], ptr %buf, i64 0, i64 {k}")
        lines.append(f"  store {ty} %{reg}, ptr %p{k}")
    lines.append(f'  call void @"sim_mma"(i32 {kind}, ptr %buf)')
    value = "undef"
    for k in range(4):
        lines.append(f"  %q{k} = getelementptr [14 x i32], ptr %buf, i64 0, i64 {10 + k}")
        lines.append(f"  %d{k} = load float, ptr %q{k}")
        lines.append(f"  %r{k} = insertvalue {RESULT} {value}, float %d{k}, {k}")
        value = f"%r{k}"
    lines += [f"  ret {RESULT} %r3", "}"]
    return "\n".join(lines)


HALF_WRAPPERS = """
define internal half @"sim_sload_half"(ptr %p) {
  %v = call i16 @"sim_sload_i16"(ptr %p)
  %h = bitcast i16 %v to half
  ret half %h
}
define internal void @"sim_sstore_half"(ptr %p, half %v) {
  %i = bitcast half %v to i16
  call void @"sim_sstore_i16"(ptr %p, i16 %i)
  ret void
}
"""


def gemm_ops(text: str) -> tuple[str, list[str]]:
    """``text`` with the GEMM's NVVM operations rewritten (module docstring), and the
    definitions and declarations to append."""
    extra: list[str] = []
    for intrinsic, (name, kind, operand) in MMA.items():
        if f'@"{intrinsic}"' not in text:
            continue
        text = re.sub(rf'^declare .*@"{re.escape(intrinsic)}"\(.*$', "", text, flags=re.M)
        text = text.replace(f'@"{intrinsic}"', f'@"{name}"')
        extra.append(_mma_wrapper(name, kind, operand))
    if extra:
        extra.append('declare void @"sim_mma"(i32, ptr)')
    for intrinsic, name in RENAMES.items():
        text = text.replace(f'@"{intrinsic}"', f'@"{name}"')
    text = re.sub(r'^.*@"sim_cp_async_\d".*$',
                  lambda m: m.group(0).replace("addrspace(3) ", ""), text, flags=re.M)
    text = re.sub(r"(%\"[^\"]*\"|%[-\w.$]+) = load half, ptr addrspace\(3\) "
                  r"(%\"[^\"]*\"|%[-\w.$]+)(, align \d+)?",
                  r'\1 = call half @"sim_sload_half"(ptr \2)', text)
    text = re.sub(r"store half (%\"[^\"]*\"|%[-\w.$]+|[-+\w.]+), ptr addrspace\(3\) "
                  r"(%\"[^\"]*\"|%[-\w.$]+)(, align \d+)?",
                  r'call void @"sim_sstore_half"(ptr \2, half \1)', text)
    if '@"sim_sload_half"' in text or '@"sim_sstore_half"' in text:
        extra.append(HALF_WRAPPERS)  # (host_ir declares the i16 accessors they call)
    return text, extra


__all__ = ["MMA", "RENAMES", "gemm_ops"]
