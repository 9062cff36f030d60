"""The NVPTX target's code generator (codegen/nvptx): PTX that assembles, and its launch tables.

No GPU is needed: kernel programs lowered for ``target=describe("cuda")`` are generated into
PTX by llvmlite's NVPTX backend and assembled with ``ptxas`` for sm_80 and sm_90 (skipped with a
reason when ``ptxas`` is not on PATH); ``ptxas -v`` must report no register spills and shared
memory within the architecture's static limit. Many programs share one module, so one ptxas
call checks hundreds of kernels. Covered: every registry op that lowers for the cuda target
(the samples of tests/ir/registry_cases.py, as test_llvm_ops.py enumerates them; those that
raise are listed in :data:`RAISES`), the fused chains of test_llvm_ops.py, and reductions over
1, 1000 and 10^6 elements. That the kernels compute the right values is checked without a GPU
by test_nvptx_sim.py (the CPU simulator of gpu_sim.py).
"""

from __future__ import annotations

import collections
import functools
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from cpu_harness import single_group
from test_llvm_ops import FUSED, PARAMS, _build

import tenkai.ir as ir
from tenkai.codegen import nvptx
from tenkai.codegen import target as targets
from tenkai.codegen.kir.nodes import (
    Buffer,
    Const,
    Contraction,
    Kernel,
    KernelProgram,
    Let,
    Load,
    Loop,
    Store,
    TensorView,
    Var,
)
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.nvptx.mapping import MAX_BLOCK, MAX_GRID, WARP, plan
from tenkai.codegen.nvptx.toolkit import PTXAS_MISSING, find_ptxas
from tenkai.ir import REGISTRY

CUDA = nvptx.describe()
ARCHES = ("sm_80", "sm_90")
STATIC_SHARED_LIMIT = 48 * 1024  # bytes of static shared memory per block
# registry ops whose lowering for the cuda target raises (none since contractions became
# tiled GEMM launches, test_nvptx_gemm.py): op -> what the message must name
RAISES: dict[str, str] = {}

needs_ptxas = pytest.mark.skipif(find_ptxas() is None, reason=PTXAS_MISSING)


def ptxas(ptx: str, arch: str) -> str:
    """Assemble ``ptx`` for ``arch`` with ``ptxas -v``; its report (stderr). Fails the test on
    an error, a register spill, or static shared memory beyond the limit."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.ptx"
        path.write_text(ptx)
        run = subprocess.run([find_ptxas(), f"-arch={arch}", "-v", str(path), "-o",
                              str(Path(tmp) / "k.cubin")], capture_output=True, text=True,
                             timeout=600)
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"ptxas -arch={arch} rejects the PTX:\n{report[-4000:]}"
    spills = [(int(a), int(b)) for a, b in
              re.findall(r"(\d+) bytes spill stores, (\d+) bytes spill loads", report)]
    assert spills, f"ptxas -v printed no spill report:\n{report[:2000]}"
    assert all(a == 0 and b == 0 for a, b in spills), f"register spills:\n{report}"
    for smem in re.findall(r"(\d+) bytes smem", report):
        assert int(smem) <= STATIC_SHARED_LIMIT, f"shared memory over the limit:\n{report}"
    return report


def check_launch_table(code: nvptx.GeneratedPTX) -> None:
    """Every launch covers its iteration space (grid-stride loops cover the rest), has an
    entry in the PTX and warp-sized blocks where it reduces."""
    entries = set(re.findall(r"\.entry\s+([\w$.]+)\(", code.ptx))
    for row in code.launches():
        grid, block, n = row["grid"][0], row["block"][0], row["extent"]
        assert row["name"] in entries, f"{row['name']} is not in the PTX"
        assert row["shared"] == 0 and row["static_shared"] <= STATIC_SHARED_LIMIT
        assert 1 <= block <= MAX_BLOCK and 1 <= grid <= MAX_GRID
        if row["mapping"] == "gemm":  # blocks stride over the output tiles
            assert block % WARP == 0 and grid == min(n, MAX_GRID), row
            assert row["static_shared"] > 0, row
        elif row["mapping"] == "grid":
            items = row["items"]  # iterations, the innermost taken `vector` at a time
            assert items == n or (row["vector"] > 1 and items < n), row
            assert block % WARP == 0 and (grid * block >= items or grid == MAX_GRID), row
            assert grid * block < items + block, f"a whole block has nothing to do: {row}"
        elif row["mapping"] == "block":
            assert block % WARP == 0 and grid == min(n, MAX_GRID), row
        else:
            assert row["mapping"] == "serial" and (grid, block, n) == (1, 1, 1), row


@functools.cache
def registry_programs() -> tuple[dict[str, list[KernelProgram]], dict[str, str]]:
    """Every registry sample lowered for cuda, grouped by op kind; ops that raised -> message."""
    by_kind: dict[str, list[KernelProgram]] = collections.defaultdict(list)
    raised: dict[str, str] = {}
    for k, p in enumerate(PARAMS):
        op, sample, dtype = p.values
        g, _ = _build(op, sample, dtype)
        try:
            by_kind[REGISTRY[op].kind].append(lower_program(g, prefix=f"c{k}_", target=CUDA))
        except NotImplementedError as err:
            raised[op] = str(err)
    return dict(by_kind), raised


def test_ops_that_do_not_lower_for_cuda_are_listed() -> None:
    _, raised = registry_programs()
    assert set(raised) == set(RAISES)
    for op, message in raised.items():
        assert op in message and RAISES[op] in message, message


@pytest.mark.slow
@needs_ptxas
@pytest.mark.parametrize("kind", sorted({REGISTRY[p.values[0]].kind for p in PARAMS}))
def test_registry_ops_assemble_without_spills(kind: str) -> None:
    programs = registry_programs()[0].get(kind, [])
    if not programs:
        pytest.skip(f"every {kind} sample raises for cuda (listed in RAISES)")
    code = nvptx.generate(programs)
    check_launch_table(code)
    for arch in ARCHES:
        ptxas(code.ptx, arch)


def _fused_programs() -> tuple[list[KernelProgram], dict[str, str]]:
    programs, raised = [], {}
    for name, make in FUSED.items():
        for fused in (False, True):
            g = single_group(make()) if fused else make()
            try:
                programs.append(lower_program(g, prefix=f"{name}{int(fused)}_", target=CUDA))
            except NotImplementedError as err:
                raised[f"{name}{int(fused)}"] = str(err)
    return programs, raised


@needs_ptxas
def test_fused_chains_assemble() -> None:
    programs, raised = _fused_programs()
    assert not raised, raised
    code = nvptx.generate(programs)
    check_launch_table(code)
    mappings = collections.Counter(row["mapping"] for row in code.launches())
    assert mappings["grid"] and mappings["block"], mappings
    assert any(row["atomic"] for row in code.launches())  # the scatters of the backward chains
    for arch in ARCHES:
        report = ptxas(code.ptx, arch)
        assert report.count("Compiling entry function") == len(code.launches())


def _reduction(n: int, op: str, dtype: str, prefix: str) -> KernelProgram:
    g = ir.Graph(f"{op}{n}")
    x = g.add("input", shape=(n,), dtype=dtype, name="x")
    g.add_output(g.add(op, [x], axes=(0,), keepdim=False))
    return lower_program(g, prefix=prefix, target=CUDA)


REDUCTIONS = [("sum", "float32"), ("sum", "float64"), ("max", "float16"), ("min", "int64"),
              ("prod", "int32"), ("mean", "float32"), ("var", "float64")]


@needs_ptxas
@pytest.mark.parametrize("n", [1, 1000, 10**6])
def test_full_reductions(n: int) -> None:
    programs = [_reduction(n, op, dt, f"r{k}_") for k, (op, dt) in enumerate(REDUCTIONS)]
    code = nvptx.generate(programs)
    check_launch_table(code)
    rows = code.launches()
    if n == 10**6:  # two stages (stages.py): many blocks write partials, one block combines
        stage1 = [r for r in rows if r["mapping"] == "block" and r["extent"] > 1]
        assert len(stage1) == len(REDUCTIONS) + 1  # var reduces twice (mean, then squares)
        assert len(rows) == 2 * len(stage1)
        for row in stage1:
            assert row["grid"][0] > 100 and row["block"] == (MAX_BLOCK, 1, 1), row
            assert any(name.endswith(".part") for name in row["scratch"]), row
    else:
        assert len(rows) == len(REDUCTIONS)
    for row in rows:
        if n == 1:
            assert row["mapping"] in ("serial", "grid"), row
        elif n == 1000:  # one block splits the reduction, a tree combines the partials
            assert (row["mapping"], row["grid"], row["block"]) == \
                ("block", (1, 1, 1), (MAX_BLOCK, 1, 1)), row
            assert row["static_shared"] > 0
    ptx = code.as_text("ptx")
    if n > 1:
        for needle in ("shfl.sync.bfly.b32", "bar.sync", ".shared", "%tid.x"):
            assert needle in ptx, needle
    for arch in ARCHES:
        ptxas(ptx, arch)


def test_row_reductions_get_one_block_per_row() -> None:
    g = ir.Graph("rows")
    x = g.add("input", shape=(37, 1000), dtype="float32", name="x")
    g.add_output(g.add("sum", [x], axes=(1,), keepdim=False))
    g.add_output(g.add("max", [x], axes=(0,), keepdim=False))  # 1000 columns of 37
    code = nvptx.generate(lower_program(g, target=CUDA))
    rows = code.launches()
    assert [(r["mapping"], r["extent"], r["grid"][0], r["block"][0]) for r in rows] == \
        [("block", 37, 37, MAX_BLOCK), ("block", 1000, 1000, 64)]
    check_launch_table(code)


def test_elementwise_grid_stride_and_bounds() -> None:
    g = ir.Graph("big")
    x = g.add("input", shape=(20000, 4001), dtype="float32", name="x")
    g.add_output(g.add("exp", [x]))
    code = nvptx.generate(lower_program(g, target=CUDA))
    (row,) = code.launches()
    assert row["mapping"] == "grid" and row["extent"] == 20000 * 4001
    assert row["vector"] == 4 and row["items"] == -(-row["extent"] // 4)  # 4 floats a thread
    assert row["grid"] == (MAX_GRID, 1, 1) and row["block"] == (MAX_BLOCK, 1, 1)
    llvm = code.as_text("llvm")
    for needle in ("llvm.nvvm.read.ptx.sreg.tid.x", "llvm.nvvm.read.ptx.sreg.ctaid.x",
                   "llvm.nvvm.read.ptx.sreg.ntid.x", "llvm.nvvm.read.ptx.sreg.nctaid.x",
                   "ptx_kernel", "ptr addrspace(1) noalias align 256"):
        assert needle in llvm, needle
    assert 'target triple = "nvptx64-nvidia-cuda"' in llvm
    ptx = code.as_text("ptx")
    assert ".target sm_80" in ptx and ".ptr .global .align 256" in ptx
    assert "ld.global" in ptx and "st.global" in ptx


def test_as_text_kinds_and_launch_text() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(6, 300), dtype="float32", name="x")
    g.add_output(g.add("sum", [g.add("tanh", [x])], axes=(1,), keepdim=True))
    code = targets.codegen_module("cuda").generate(lower_program(g, target=CUDA))
    assert code.entry == "tk_step" and code.buffer_table["launches"] == code.launches()
    launch = code.as_text("launch")
    assert launch.startswith("entry tk_step:\n")
    for row in code.launches():
        assert f"{row['name']}: {row['mapping']} extent={row['extent']} " \
               f"grid=({row['grid'][0]},1,1) block=({row['block'][0]},1,1)" in launch
    assert code.as_text("asm") == code.as_text("ptx") == code.ptx
    assert code.as_text("llvm_opt") == code.optimized_ir != code.ir_text
    with pytest.raises(ValueError, match="cuda target: no 'obj' text; its kinds are"):
        code.as_text("obj")
    assert nvptx.support_library(CUDA) is None and code.library is None
    assert code.object_code() == code.ptx.encode() + b"\0"  # what cuModuleLoadData takes


def test_sm_90_and_ptx_isa_come_from_the_target() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(64,), dtype="float32", name="x")
    g.add_output(g.add("sigmoid", [x]))
    t90 = nvptx.describe("sm_90")
    ptx = nvptx.generate(lower_program(g, target=t90), target=t90).ptx
    assert ".target sm_90" in ptx and ".version 8.0" in ptx
    with pytest.raises(ValueError, match="cuda target: cannot generate for cpu"):
        nvptx.generate(lower_program(g), target=targets.describe("cpu"))


def _buffers(*names: str) -> list[Buffer]:
    return [Buffer(n, (4, 4), "float32", "input") for n in names]


def test_contraction_inside_a_loop_raises_naming_kernel_and_issue() -> None:
    view = TensorView("a", 0, (4, 4), (4, 1))
    inner = Contraction(view, view, TensorView("c", 0, (4, 4), (4, 1)))
    kernel = Kernel("k7_mm", ["a", "c"], [Loop("i", 2, [inner])])
    program = KernelProgram(_buffers("a", "c"), [kernel])
    with pytest.raises(NotImplementedError,
                       match=r"nvptx: kernel k7_mm: statement `contract c\+0.*inside a loop"
                             r".*issue #10"):
        nvptx.generate(program)


def test_values_shared_between_launches_go_through_scratch() -> None:
    first = Loop("i", 4, [Store("b", Var("i"), Load("a", Var("i"), "float32"))], parallel=True)
    kernel = Kernel("k3", ["a", "b"], [Let("s", Const(2.0, "float32")), first,
                                       Loop("j", 4, [Store("b", Var("j"), Var("s", "float32"))],
                                            parallel=True)])
    launches = plan(kernel)
    assert [la.name for la in launches] == ["k3__0", "k3__1", "k3__2"]
    assert launches[0].body[-1] == Store("k3__s", Const(0, "int64"), Var("s", "float32"))
    assert launches[2].body[0] == Let("s", Load("k3__s", Const(0, "int64"), "float32"))
    assert launches[2].params == ["b", "k3__s"] and list(launches[2].scratch) == ["k3__s"]
    assert kernel.body[0] == Let("s", Const(2.0, "float32"))  # the kernel is not modified


def test_empty_parallel_nest_launches_nothing() -> None:
    body = [Loop("i", 0, [Store("b", Var("i"), Load("a", Var("i"), "float32"))], parallel=True),
            Loop("j", 4, [Store("b", Var("j"), Load("a", Var("j"), "float32"))], parallel=True)]
    launches = plan(Kernel("k9", ["a", "b"], body))
    assert [(la.name, la.extent, la.block) for la in launches] == [("k9", 4, 32)]


def test_kernels_use_nvptx_address_spaces_annotations_and_aligned_noalias_params() -> None:
    """Every launch is a ``ptx_kernel`` (``.entry``) whose buffer parameters are global
    (``addrspace(1)``), ``noalias`` and aligned to the target's 256 bytes; reductions keep their
    partials in shared memory (``addrspace(3)``); thread ids come from ``llvm.nvvm`` sregs."""
    g = ir.Graph("t")
    x = g.add("input", shape=(6, 300), dtype="float32", name="x")
    g.add_output(g.add("sum", [g.add("tanh", [x])], axes=(1,), keepdim=True))
    code = nvptx.generate(lower_program(g, target=CUDA))
    defines = [line for line in code.ir_text.splitlines() if line.startswith("define")]
    assert len(defines) == len(code.launches()) >= 2
    for line in defines:
        assert line.startswith("define ptx_kernel void @"), line
        params = line.split("(", 1)[1].rsplit(")", 1)[0].split(", ")
        assert params and all(p.startswith("ptr addrspace(1) noalias align 256 ") for p in params)
    assert re.search(r"internal addrspace\(3\) global \[33 x i32\]", code.ir_text)
    assert '@"llvm.nvvm.read.ptx.sreg.tid.x"()' in code.ir_text
    entries = re.findall(r"\.visible \.entry (\w+)\(", code.ptx)
    assert entries == [row["name"] for row in code.launches()]
    assert code.ptx.count(".param .u64 .ptr .global .align 256") == sum(
        len(row["params"]) for row in code.launches())


@functools.cache
@functools.cache  # (built once per process, shared by the kinds' tests)
def backward_programs() -> tuple[dict[str, list[KernelProgram]], dict[str, str]]:
    """The joint forward+backward graph of every differentiable registry op's samples
    (test_compiled_graphs.py's backward cases, float32: float64 has the same kernels), through
    the passes as a compile does (so fused, GEMM epilogues included), lowered for cuda (an
    arena slot per buffer, as the compile path lowers for 256-byte aligned targets) and
    grouped by op kind; ops whose graph raised -> message."""
    from test_compiled_graphs import GRAD_PARAMS, _build_grad

    from tenkai.ir.passes import run_pipeline

    by_kind: dict[str, list[KernelProgram]] = collections.defaultdict(list)
    raised: dict[str, str] = {}
    for j, p in enumerate(GRAD_PARAMS):
        op, k, dtype = p.values
        if dtype != "float32":
            continue
        g = run_pipeline(_build_grad(op, k, dtype).graph)
        try:
            by_kind[REGISTRY[op].kind].append(lower_program(g, prefix=f"b{j}_", target=CUDA,
                                                            reuse_arena=False))
        except NotImplementedError as err:
            raised[op] = str(err)
    return dict(by_kind), raised


@pytest.mark.slow
@needs_ptxas
@pytest.mark.parametrize("kind", sorted({REGISTRY[p.values[0]].kind for p in PARAMS}))
def test_registry_op_backward_graphs_assemble_without_spills(kind: str) -> None:
    programs, raised = backward_programs()
    assert not raised, raised
    if kind not in programs:
        pytest.skip(f"no differentiable {kind} op has a float operand")
    code = nvptx.generate(programs[kind])
    check_launch_table(code)
    for arch in ARCHES:
        report = ptxas(code.ptx, arch)
        assert report.count("Compiling entry function") == len(code.launches())
