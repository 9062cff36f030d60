"""Lowering to kernel IR: golden text, the UNSUPPORTED table, index algebra, views, in-place
state updates, loop collapsing, arena planning, and the generator's naming and errors.

Golden files live in ``tests/codegen/golden``; rewrite them with ``EXPECTTEST_ACCEPT=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from cpu_harness import single_group

import tenkai.ir as ir
from tenkai.codegen.kir.index import IndexAlgebra, c64
from tenkai.codegen.kir.nodes import Loop, Store, walk
from tenkai.codegen.lower import program as lower_mod
from tenkai.codegen.lower.kernel import reshape_strides
from tenkai.codegen.lower.program import LOWERED, UNSUPPORTED, lower_program
from tenkai.codegen.scalar.templates import template_for
from tenkai.ir import REGISTRY
from tenkai.ir.errors import ShapeError

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EXPECTTEST_ACCEPT") == "1" or not path.exists():
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text(), f"golden {name} changed; EXPECTTEST_ACCEPT=1 updates"


def _bias_softmax(fused: bool = True) -> ir.Graph:
    g = ir.Graph("bias_softmax")
    x = g.add("input", shape=(4, 8), dtype="float32", name="x")
    b = g.add("param", shape=(8,), dtype="float32", name="fc.bias")
    e = g.add("exp", [g.add("add", [x, b])])
    s = g.add("sum", [e], axes=(1,), keepdim=True)
    g.add_output(g.add("div", [e, s]))
    return single_group(g, "reduction") if fused else g


# ---------------------------------------------------------------- golden text


def test_fused_group_kernel_ir_golden() -> None:
    check_golden("bias_softmax.kir", lower_program(_bias_softmax()).as_text())


def test_unfused_program_golden() -> None:
    check_golden("bias_softmax_unfused.kir", lower_program(_bias_softmax(False)).as_text())


def test_llvm_ir_golden_and_names() -> None:
    from tenkai.codegen.cpu.codegen import build_module

    g = ir.Graph("t")
    x = g.add("input", shape=(16,), dtype="float32", name="x")
    b = g.add("param", shape=(16,), dtype="float32", name="fc.bias")
    g.add_output(g.add("relu", [g.add("mul", [g.add("add", [x, b]), x])]))
    text = str(build_module([lower_program(single_group(g))], parallel=False))
    text = "\n".join(line for line in text.splitlines() if not line.startswith("target "))
    check_golden("add_mul_relu.ll", text)
    assert ('define void @"k0_add_mul_relu"(ptr noalias %"x", ptr noalias %"fc.bias", '
            'ptr noalias %"n4_relu")') in text
    assert '%"n2_add" = fadd float' in text and '%"n3_mul" = fmul float' in text
    assert 'define void @"tk_step"(ptr %"buffers")' in text


# ---------------------------------------------------------------- the UNSUPPORTED table


def test_every_registry_op_lowers_or_is_listed_unsupported() -> None:
    assert not set(UNSUPPORTED) & set(LOWERED)
    missing = set(REGISTRY) - set(LOWERED) - set(UNSUPPORTED)
    assert not missing, f"ops with neither a lowering nor an UNSUPPORTED reason: {missing}"
    assert all(isinstance(r, str) and r for r in UNSUPPORTED.values())
    assert not set(UNSUPPORTED) - set(REGISTRY), "UNSUPPORTED lists ops not in the registry"


def test_unsupported_op_raises_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lower_mod.UNSUPPORTED, "exp", "testing the message")
    g = ir.Graph("t")
    g.add_output(g.add("exp", [g.add("input", shape=(2,), dtype="float32", name="x")]))
    with pytest.raises(NotImplementedError, match=r"^lower: exp not supported yet: testing"):
        lower_program(g)


def test_missing_template_names_target_op_and_dtype() -> None:
    with pytest.raises(NotImplementedError, match="cpu: no template for nope on float32"):
        template_for("nope", "float32")
    from llvmlite import ir as llir

    b = llir.IRBuilder(llir.Function(llir.Module(), llir.FunctionType(llir.VoidType(), []),
                                     "f").append_basic_block())
    with pytest.raises(NotImplementedError, match="cpu: no template for exp on int64"):
        template_for("exp", "int64")(b, llir.Constant(llir.IntType(64), 1), dtype="int64",
                                     out_dtype="int64")


def test_empty_max_reduction_fails_at_lowering() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(0, 3), dtype="float32", name="x")
    g.add_output(g.add("max", [x], axes=(0,), keepdim=False))
    with pytest.raises(ShapeError, match="non-zero size"):
        lower_program(g)


# ---------------------------------------------------------------- index algebra and views


def test_index_algebra_drops_needless_div_and_mod() -> None:
    idx = IndexAlgebra()
    i, j, k = idx.declare("i", 4), idx.declare("j", 2), idx.declare("k", 3)
    flat = idx.flat((i, j, k), (4, 2, 3))
    assert idx.idiv(flat, 3).as_text() == "((i * 2) + j)"
    assert idx.imod(flat, 3).as_text() == "k"
    assert idx.unflatten(flat, (4, 2, 3)) == (i, j, k)
    assert idx.idiv(idx.add(flat, 1), 3).as_text() == "(((i * 2) + j) + ((k + 1) // 3))"
    assert idx.clamp(k, 0, 2) == k
    assert idx.sub(flat, flat) == c64(0)


@pytest.mark.parametrize("shape,perm,new", [
    ((2, 3, 4), (0, 1, 2), (6, 4)), ((2, 3, 4), (1, 0, 2), (3, 8)), ((2, 3, 4), (2, 1, 0), (4, 6)),
    ((6, 4), (1, 0), (2, 2, 6)), ((1, 5, 1), (2, 1, 0), (5,)), ((3, 1, 4), (0, 1, 2), (3, 4, 1)),
])
def test_reshape_strides_match_numpy_views(shape: tuple, perm: tuple, new: tuple) -> None:
    base = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape).transpose(perm)
    strides = tuple(s // 4 for s in base.strides)
    got = reshape_strides(base.shape, strides, new)
    view = base.view()
    try:
        view.shape = new  # numpy raises when a copy would be needed
    except AttributeError:
        assert got is None
        return
    assert got is not None
    flat = np.arange(int(np.prod(shape)), dtype=np.float32)
    rebuilt = np.lib.stride_tricks.as_strided(flat, new, tuple(s * 4 for s in got))
    np.testing.assert_array_equal(rebuilt, view)


def test_permute_reshape_slice_fuse_into_one_strided_load() -> None:
    g = ir.Graph("t")
    w = g.add("param", shape=(3, 4), dtype="float32", name="w")
    t = g.add("reshape", [g.add("permute", [w], dims=(1, 0))], shape=(2, 2, 3))  # a view
    g.add_output(g.add("exp", [g.add("slice", [t], starts=(1, 0, 0), stops=(2, 2, 3),
                                     steps=(1, 1, 2))]))
    text = lower_program(single_group(g)).as_text()
    assert "w[" in text and "//" not in text and "%" not in text
    t2 = g.add("reshape", [g.add("permute", [w], dims=(1, 0))], shape=(2, 6))  # not a view
    g.add_output(g.add("exp", [t2]))
    assert "//" in lower_program(single_group(g)).as_text()


# ---------------------------------------------------------------- state updates and loops


def _sgd(transposed: bool = False) -> ir.Graph:
    g = ir.Graph("sgd")
    w = g.add("param", shape=(4, 4), dtype="float32", name="w")
    grad = g.add("input", shape=(4, 4), dtype="float32", name="grad")
    lr = g.add("input", shape=(), dtype="float32", name="lr")
    src = g.add("permute", [w], dims=(1, 0)) if transposed else w
    new = g.add("sub", [src, g.add("mul", [grad, lr])])
    g.add_output(g.add("sum", [grad], axes=(0, 1), keepdim=False))
    g.add_output(new)
    g.meta["writes"] = {1: "w"}
    return g


def test_state_update_is_stored_in_place() -> None:
    prog = lower_program(single_group(_sgd()))
    assert prog.copies == [] and prog.outputs[1] == "w"
    stores = {s.buf for k in prog.kernels for s in walk(k.body) if isinstance(s, Store)}
    assert "w" in stores


def test_state_update_read_elsewhere_is_copied_back() -> None:
    prog = lower_program(single_group(_sgd(transposed=True)))
    assert len(prog.copies) == 1 and prog.copies[0][1] == "w"
    assert prog.kernels[-1].name == "k_writeback"


def test_contiguous_nest_collapses_to_one_loop() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(4, 5, 6), dtype="float32", name="x")
    y = g.add("input", shape=(4, 5, 6), dtype="float32", name="y")
    g.add_output(g.add("add", [x, y]))
    kern = lower_program(g).kernels[0]
    loops = [s for s in walk(kern.body) if isinstance(s, Loop)]
    assert [(lp.extent, lp.parallel) for lp in loops] == [(120, True)]


def test_arena_reuses_dead_scratch() -> None:
    g = ir.Graph("t")
    h = g.add("input", shape=(64,), dtype="float32", name="x")
    for _ in range(4):
        h = g.add("exp", [h])
    g.add_output(h)
    prog = lower_program(g)
    scratch = [b for b in prog.buffers if b.role == "scratch"]
    assert len(scratch) == 3 and prog.arena_size == 2 * 256
    assert scratch[0].offset == scratch[2].offset
    assert re.fullmatch(r"k\d+_exp", prog.kernels[0].name)


def test_reduction_and_scalar_state_updates_are_in_place() -> None:
    g = ir.Graph("grads")
    gy = g.add("input", shape=(8, 5), dtype="float32", name="gy")
    step = g.add("param", shape=(), dtype="float32", name="opt.step")
    g.add("param", shape=(5,), dtype="float32", name="b.grad")
    new_step = g.add("add", [step, g.add("full", shape=(), value=1.0, dtype="float32")])
    g.add_output(g.add("sum", [gy], axes=(0,), keepdim=False))  # accumulated in its output
    g.add_output(g.add("mul", [new_step, new_step]))  # reads the new step after it is stored
    g.add_output(new_step)
    g.meta["writes"] = {0: "b.grad", 2: "opt.step"}
    prog = lower_program(single_group(g, "reduction"))
    assert prog.copies == [] and prog.outputs[0] == "b.grad" and prog.outputs[2] == "opt.step"


def test_reduction_stores_its_prologue_outputs_in_the_same_pass() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(6, 33), dtype="float32", name="x")
    e = g.add("exp", [x])
    g.add_output(e)
    g.add_output(g.add("sum", [e], axes=(1,), keepdim=False))
    kern = lower_program(single_group(g, "reduction")).kernels[0]
    assert len(kern.body) == 1, "one loop nest computes exp, stores it and sums it"
    text = kern.as_text()
    assert "n1_exp[((i * 33) + i.1)] = n1_exp" in text and "sum <add>= n1_exp" in text
