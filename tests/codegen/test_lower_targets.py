"""Lowering asks the target: strategies it does not implement raise, the arena follows the
target's alignment, non-CPU targets get ``Reduce`` blocks instead of the CPU's cache-ordered
reductions; the neutral ``Contraction`` / ``Reduce`` statements print, visit and rename; the
CPU maps a contraction onto its ``tk_gemm`` call; ``codegen/lower`` never loads llvmlite."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from cpu_harness import Compiled, check_against_interpreter, random_feeds, single_group

import tenkai.ir as ir
from tenkai.codegen.cpu.contraction import gemm_call
from tenkai.codegen.cpu.outline import work
from tenkai.codegen.kir.index import IndexAlgebra, c64
from tenkai.codegen.kir.nodes import (
    AccUpdate,
    Const,
    Contraction,
    Load,
    Loop,
    Reduce,
    Store,
    TensorView,
    Var,
    buffers_used,
    exprs_of,
    format_body,
    walk,
)
from tenkai.codegen.kir.opt import collapse_loops
from tenkai.codegen.kir.utils import loads_of, rename_buffers, stores_of
from tenkai.codegen.lower.geometry import inside, window_inputs, window_position
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.lower.strategy import DEFAULT_TARGET
from tenkai.codegen.target import Target

TILED = Target(name="t", triple="x", arch="y", contraction="systolic")  # not implemented
# a GPU-like target whose contraction strategy lowering already has
GRID = Target(name="grid", triple="x", arch="y", kind="gpu", launch="grid", parallel="grid")


def _matmul(batch: tuple[int, ...] = ()) -> ir.Graph:
    g = ir.Graph("mm")
    a = g.add("input", shape=(*batch, 3, 4), dtype="float32", name="a")
    b = g.add("input", shape=(4, 5), dtype="float32", name="b")
    g.add_output(g.add("matmul", [a, b]))
    return g


def _conv() -> ir.Graph:
    g = ir.Graph("conv")
    x = g.add("input", shape=(2, 3, 6, 6), dtype="float32", name="x")
    w = g.add("param", shape=(4, 3, 3, 3), dtype="float32", name="w")
    g.add_output(g.add("conv2d", [x, w], stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                       groups=1))
    return g


def _exp_chain() -> ir.Graph:
    g = ir.Graph("t")
    h = g.add("input", shape=(64,), dtype="float32", name="x")
    for _ in range(4):
        h = g.add("exp", [h])
    g.add_output(h)
    return g


# ---------------------------------------------------------------- strategies


def test_unimplemented_contraction_strategy_names_target_and_strategy() -> None:
    with pytest.raises(NotImplementedError, match=r"matmul on target 't'.*'systolic'"):
        lower_program(_matmul(), target=TILED)
    with pytest.raises(NotImplementedError, match=r"conv2d on target 't'.*'systolic'"):
        lower_program(_conv(), target=TILED)


def test_tiled_and_implicit_gemm_lower_to_contractions() -> None:
    """The GPU's strategies lower to target-neutral Contractions; implicit_gemm reads the
    input through a window view instead of materializing the column matrix."""
    target = Target(name="gpu", triple="nvptx64-nvidia-cuda", arch="sm_80", kind="gpu",
                    contraction="tiled", convolution="implicit_gemm")
    for graph in (_matmul((2,)), _conv()):
        text = lower_program(graph, target=target).as_text()
        assert text.count("contract ") == 1, text
    text = lower_program(_conv(), target=target).as_text()
    assert "_cols" not in text and "@ window(x+0[2,27,36]" in text, text
    assert "t0_cols" in lower_program(_conv()).as_text()
    with pytest.raises(NotImplementedError, match="'implicit_gemm' needs contraction='tiled'"):
        lower_program(_conv(), target=dataclasses.replace(target, contraction="gemm_call"))


def test_programs_without_contractions_lower_for_any_target() -> None:
    program = lower_program(_exp_chain(), target=TILED)
    assert [k.name for k in program.kernels] == [k.name for k in lower_program(
        _exp_chain()).kernels]


def test_default_target_is_the_cpu_choices() -> None:
    assert (DEFAULT_TARGET.kind, DEFAULT_TARGET.contraction, DEFAULT_TARGET.convolution,
            DEFAULT_TARGET.alignment) == ("cpu", "gemm_call", "im2col", 64)
    assert lower_program(_conv()).as_text() == lower_program(_conv(),
                                                             target=DEFAULT_TARGET).as_text()


@pytest.mark.parametrize("alignment", [16, 64, 1024])
def test_arena_alignment_follows_the_target(alignment: int) -> None:
    target = Target(name="a", triple="x", arch="y", alignment=alignment)
    program = lower_program(_exp_chain(), target=target)
    scratch = [b for b in program.buffers if b.role == "scratch"]
    assert len(scratch) == 3 and all(b.offset % alignment == 0 for b in scratch)
    assert program.arena_size == 2 * max(256, alignment)  # two live 256-byte buffers


def test_lowering_never_imports_llvmlite() -> None:
    code = ("import sys, tenkai.codegen.lower.program as p, tenkai.codegen.kir.nodes\n"
            "assert not [m for m in sys.modules if m.startswith('llvmlite')], 'llvmlite'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- reductions


def _reductions() -> list[ir.Graph]:
    graphs = []
    for op, axes in (("sum", (0,)), ("mean", (0, 2)), ("max", (1,)), ("prod", (0,)),
                     ("var", (0,))):
        g = ir.Graph(f"r_{op}")
        x = g.add("input", shape=(6, 5, 4), dtype="float32", name="x")
        attrs = {"correction": 1} if op == "var" else {}
        g.add_output(g.add(op, [g.add("exp", [x])], axes=axes, keepdim=False, **attrs))
        graphs.append(single_group(g, "reduction"))
    return graphs


def test_cpu_reduction_keeping_the_inner_dim_accumulates_into_the_output() -> None:
    text = lower_program(_reductions()[0]).as_text()
    assert "reduce " not in text and "n2_sum[" in text  # out[j] = out[j] + x[i, j]


def test_grid_target_gets_reduce_blocks_that_compute_the_same_values() -> None:
    from tenkai.codegen.cpu.codegen import generate
    from tenkai.runtime.cpu import CPUExecutable as Executable

    graphs = _reductions()
    programs = [lower_program(g, prefix=f"r{k}_", target=GRID) for k, g in enumerate(graphs)]
    for program in programs:
        blocks = [s for k in program.kernels for s in walk(k.body) if isinstance(s, Reduce)]
        assert blocks, program.as_text()
        for block in blocks:  # each block's contributions use its own combine op
            updates = [s for s in walk(block.body) if isinstance(s, AccUpdate)]
            assert updates and {u.op for u in updates} == {block.op}
            assert {u.name for u in updates} == {block.acc}
    module = generate(programs)  # the CPU emitter runs the neutral form as it is
    for k, (g, program) in enumerate(zip(graphs, programs, strict=True)):
        exe = Executable(module, program.entry, module.entries[program.entry])
        check_against_interpreter(Compiled(g, program, exe), random_feeds(g, k), g.name,
                                  (1e-4, 1e-5))


# ---------------------------------------------------------------- statements


def _contraction() -> Contraction:
    a = TensorView("a", 2, (3, 4, 5), (0, 5, 1))  # broadcast over the batch
    b = TensorView("b", 0, (3, 5, 6), (30, 6, 1))
    out = TensorView("c", 0, (3, 4, 6), (24, 6, 1))
    return Contraction(a, b, out, accumulate=True, dtype="float32")


def test_contraction_prints_visits_and_renames() -> None:
    s = _contraction()
    assert (s.batch, s.m, s.n, s.k) == ((3,), 4, 6, 5)
    assert format_body([s], 0) == [
        "contract c+0[3,4,6]/[24,6,1] += a+2[3,4,5]/[0,5,1] @ b+0[3,5,6]/[30,6,1] f32"]
    assert buffers_used([s]) == ["a", "b", "c"]
    assert set(loads_of([s])) == {"a", "b"} and set(stores_of([s])) == {"c"}
    renamed = rename_buffers([s], {"c": "w", "a": "x"})[0]
    assert isinstance(renamed, Contraction)
    assert (renamed.a.buf, renamed.b.buf, renamed.out.buf) == ("x", "b", "w")
    assert work([s]) == 3 * 4 * 6 * 5


def test_contraction_rejects_mismatched_views() -> None:
    a = TensorView("a", 0, (4, 5), (5, 1))
    with pytest.raises(ValueError, match="contraction shapes do not match"):
        Contraction(a, TensorView("b", 0, (4, 6), (6, 1)), TensorView("c", 0, (4, 6), (6, 1)))


def test_reduce_prints_visits_renames_and_collapses() -> None:
    idx = IndexAlgebra()
    i, j = idx.declare("i", 4), idx.declare("j", 8)
    index = idx.add(idx.mul(i, 8), j)
    inner = Loop("j", 8, [AccUpdate("s", "add", Load("x", index, "float32"))])
    block = Reduce("s", "float32", "add", Const(0.0, "float32"), [Loop("i", 4, [inner])])
    body = [block, Store("y", c64(0), Var("s", "float32"))]
    assert format_body(body, 0) == [
        "reduce s: f32 <add> from 0.0:f32 {",
        "  for i in 0..4 {",
        "    for j in 0..8 {",
        "      s <add>= x[((i * 8) + j)]",
        "    }",
        "  }",
        "}",
        "y[0] = s",
    ]
    assert [type(s).__name__ for s in walk(body)] == ["Reduce", "Loop", "Loop", "AccUpdate",
                                                      "Store"]
    assert exprs_of(block) == [Const(0.0, "float32")]
    assert buffers_used(body) == ["x", "y"] and set(loads_of(body)) == {"x"}
    renamed = rename_buffers(body, {"x": "z"})[0]
    assert isinstance(renamed, Reduce) and "z[" in format_body([renamed], 0)[3]
    collapsed = collapse_loops(body)[0]
    assert isinstance(collapsed, Reduce)
    loops = [s for s in walk(collapsed.body) if isinstance(s, Loop)]
    assert [lp.extent for lp in loops] == [32]  # the reduction nest collapsed inside the block
    assert work(body) == 1 + 32 + 1
    with pytest.raises(ValueError, match="combine op 'set'"):
        Reduce("s", "float32", "set", Const(0.0, "float32"), [])


# ---------------------------------------------------------------- the CPU's GEMM mapping


def test_cpu_maps_a_batched_matmul_onto_tk_gemm() -> None:
    program = lower_program(_matmul(batch=(2,)))
    (stmt,) = [s for k in program.kernels for s in walk(k.body) if isinstance(s, Contraction)]
    call = gemm_call(stmt)
    assert (call.a, call.b, call.c) == ("a", "b", program.outputs[0])
    assert (call.m, call.n, call.k) == (3, 5, 4)
    assert (call.a_strides, call.b_strides, call.c_stride) == ((4, 1), (5, 1), 5)
    assert call.batch == ((2, 12, 0, 15),) and not call.accumulate


def test_cpu_gemm_needs_a_row_major_output() -> None:
    s = _contraction()
    bad = Contraction(s.a, s.b, TensorView("c", 0, (3, 4, 6), (24, 1, 4)))
    with pytest.raises(NotImplementedError, match="tk_gemm writes C row-major"):
        gemm_call(bad)
    assert gemm_call(s).batch == ((3, 0, 30, 24),)


def test_degenerate_batch_contracts_nothing() -> None:
    program = lower_program(_matmul(batch=(1,)))
    (stmt,) = [s for k in program.kernels for s in walk(k.body) if isinstance(s, Contraction)]
    assert stmt.batch == ()  # extent-1 batch dims are dropped


# ---------------------------------------------------------------- window geometry


def test_window_position_is_stride_pad_dilation() -> None:
    idx = IndexAlgebra()
    oh, kh = idx.declare("oh", 5), idx.declare("kh", 3)
    assert window_position(idx, oh, kh, 2, 1, 3).as_text() == "(((kh * 3) + (oh * 2)) + -1)"
    ih, iw = window_inputs(idx, (oh, oh), (kh, 0), (1, 1), (0, 0))
    assert iw.as_text() == "oh" and ih.as_text() == "(kh + oh)"
    # kh + oh in [0, 6]: only the upper bound of a 6-wide input needs a test
    assert inside(idx, (ih,), (6,)).as_text() == "((kh + oh) < 6)"
    assert inside(idx, (ih,), (7,)) == Const(True, "bool")


def test_a_memory_plan_coarser_than_the_target_alignment_is_refused() -> None:
    from tenkai.ir.passes.pipeline import run_pipeline

    g = ir.Graph("t")
    h = g.add("input", shape=(4, 12), dtype="float32", name="x")  # 192 bytes a value
    w = g.add("param", shape=(12, 12), dtype="float32", name="w")
    for _ in range(4):  # matmuls do not fuse with each other: three values in the arena
        h = g.add("matmul", [h, w])
    g.add_output(h)
    fused = run_pipeline(g)
    offsets = {s.offset for s in fused.meta["memory"].slots if s.offset is not None}
    assert any(off % 128 for off in offsets)  # the plan aligns to 64 bytes
    wide = Target(name="wide", triple="x", arch="y", alignment=128)
    with pytest.raises(NotImplementedError, match="target 'wide' needs 128-byte alignment"):
        lower_program(fused, target=wide)
    program = lower_program(fused, reuse_arena=False, target=wide)
    assert all(b.offset % 128 == 0 for b in program.buffers if b.role == "scratch")
