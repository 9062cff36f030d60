"""Fused epilogues of the GPU GEMM (codegen/nvptx/epilogue.py): the elementwise nest after a
contraction (a bias, an activation) runs in the GEMM's stores, one launch instead of two.

Values: the simulator (gpu_sim.py) against the interpreter, float32/float16/float64, partial
tiles, 1-row and 1-column products. PTX: ptxas -v for sm_80 and sm_90 without spills. Nests
that could see another thread's element or write an operand stay launches of
their own (hand-made kernel IR), and their results are unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from cpu_harness import assert_matches, single_group
from gpu_sim import Simulator
from test_nvptx import ARCHES, check_launch_table, needs_ptxas, ptxas
from test_nvptx_gemm import _feeds

import tenkai.ir as ir
from tenkai.codegen import nvptx
from tenkai.codegen.kir.nodes import (
    Buffer,
    Const,
    Contraction,
    Kernel,
    KernelProgram,
    Let,
    Load,
    Loop,
    Scalar,
    Store,
    TensorView,
    Var,
)
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.nvptx.epilogue import affine

CUDA = nvptx.describe()
SHAPES = [(33, 20, 40), (1, 7, 9), (9, 7, 1), (64, 16, 64)]


def _linear_relu(m: int, k: int, n: int, dtype: str) -> ir.Graph:
    g = ir.Graph("lin")
    x = g.add("input", shape=(m, k), dtype=dtype, name="x")
    w = g.add("param", shape=(k, n), dtype=dtype, name="w")
    b = g.add("param", shape=(n,), dtype=dtype, name="b")
    g.add_output(g.add("relu", [g.add("add", [g.add("matmul", [x, w]), b])]))
    return single_group(g)


@pytest.mark.slow  # (four GEMMs' threads simulated per dtype)
@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_bias_and_activation_run_in_the_gemm_stores(dtype: str) -> None:
    for m, k, n in SHAPES:
        g = _linear_relu(m, k, n, dtype)
        program = lower_program(g, target=CUDA)
        code = nvptx.generate(program)
        (row,) = code.launches()  # one launch: the GEMM with its epilogue
        assert row["mapping"] == "gemm" and {"b", "n5_relu"} <= set(row["params"]), row
        # t3_matmul, the product, is kernel-local scratch only the epilogue reads
        assert code.as_text("launch").rstrip().endswith(" epilogue (product not stored)")
        feeds = _feeds(g, seed=m)
        got = Simulator(code).run(program, feeds)
        tol = (1e-2, 1e-2) if dtype == "float16" else (1e-5, 1e-6)
        assert_matches(got[0], np.asarray(ir.run(g, feeds)[0]), f"{dtype} {m}x{k}x{n}", tol)


@pytest.mark.slow  # (ptxas -v twice over every tile kind)
@needs_ptxas
@pytest.mark.parametrize("precision", ["highest", "high"])
def test_fused_epilogues_assemble_without_spills(precision: str) -> None:
    """FMA tiles (float32, float64), float16 and TF32 tensor-core tiles with epilogues."""
    target = nvptx.describe(float32_matmul_precision=precision)
    dts = ("float32", "float16", "float64") if precision == "highest" else ("float32",)
    programs = [lower_program(_linear_relu(m, k, n, dt), prefix=f"e{j}{dt[-2:]}_",
                              target=target)
                for j, (m, k, n) in enumerate(SHAPES) for dt in dts]
    code = nvptx.generate(programs, target=target)
    check_launch_table(code)
    assert [r["mapping"] for r in code.launches()] == ["gemm"] * len(programs)
    for arch in ARCHES:
        report = ptxas(code.ptx, arch)
        assert report.count("Compiling entry function") == len(programs)


# ---------------------------------------------------------------- nests that stay launches
M, K, N = 5, 3, 6


def _kernel(body: list) -> KernelProgram:
    buffers = [Buffer("a", (M, K), "float32", "input"), Buffer("w", (K, N), "float32", "input"),
               Buffer("p", (M, N), "float32", "output"), Buffer("y", (M, N), "float32",
                                                                "output")]
    gemm = Contraction(TensorView("a", 0, (M, K), (K, 1)), TensorView("w", 0, (K, N), (N, 1)),
                       TensorView("p", 0, (M, N), (N, 1)))
    return KernelProgram(buffers, [Kernel("k0", ["a", "w", "p", "y"], [gemm, *body])],
                         outputs=["p", "y"])


def _at(i: str, j: str, rows: int = N) -> Scalar:
    return Scalar("add", (Scalar("mul", (Var(i), Const(rows, "int64")), "int64"), Var(j)),
                  "int64")


def _nest(value, store: str = "y", index=None, extra=()) -> Loop:
    inner = [*extra, Store(store, index if index is not None else _at("i", "j"), value)]
    return Loop("i", M, [Loop("j", N, inner, parallel=True)], parallel=True)


def _relu(e):
    return Scalar("relu", (e,), "float32")


UNFUSED = {
    # reads the product at another element (row M-1-i: maybe another block's, not yet stored)
    "other_element": _nest(_relu(Load("p", Scalar("add", (Scalar("mul", (Scalar(
        "sub", (Const(M - 1, "int64"), Var("i")), "int64"), Const(N, "int64")), "int64"),
        Var("j")), "int64"), "float32"))),
    # writes an operand other blocks still read
    "writes_operand": _nest(Load("p", _at("i", "j"), "float32"), store="a",
                            index=Scalar("imod", (_at("i", "j"), Const(M * K, "int64")),
                                         "int64")),
    # reads the product through a let-bound index (not provably the element)
    "let_index": _nest(Load("p", Var("e"), "float32"), extra=[Let("e", _at("i", "j"))]),
}


@pytest.mark.parametrize("case", sorted(UNFUSED))
def test_nests_that_could_see_other_elements_stay_launches(case: str) -> None:
    program = _kernel([UNFUSED[case]])
    code = nvptx.generate(program)
    assert [r["mapping"] for r in code.launches()] == ["gemm", "grid"], case
    assert "epilogue" not in code.as_text("launch")


FUSED = {
    # y = relu(p): p (an output) is stored, then the epilogue runs on its value
    "rows_cols": (_nest(_relu(Load("p", _at("i", "j"), "float32"))), " epilogue"),
    # one loop over the M*N elements of the row-major product (as optimizer updates are)
    "flat": (Loop("e", M * N, [Store("y", Var("e"), _relu(Load("p", Var("e"), "float32")))],
                  parallel=True), " epilogue"),
    # p = relu(p) in place, y = p: the epilogue stores p's final value, the GEMM does not
    "in_place": (_nest(Var("r", "float32"), store="y", extra=[
        Let("r", _relu(Load("p", _at("i", "j"), "float32"))), Store("p", _at("i", "j"),
                                                                    Var("r", "float32"))]),
                 " epilogue (product not stored)"),
}


@pytest.mark.parametrize("case", sorted(FUSED))
def test_fusable_hand_made_nests_and_their_values(case: str) -> None:
    nest, suffix = FUSED[case]
    program = _kernel([nest])
    code = nvptx.generate(program)
    assert [r["mapping"] for r in code.launches()] == ["gemm"]
    assert code.as_text("launch").rstrip().endswith(suffix)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((K, N)).astype(np.float32)
    p, y = Simulator(code).run(program, {"a": a, "w": w})
    relu = np.maximum(a @ w, 0)
    np.testing.assert_allclose(p, relu if case == "in_place" else a @ w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, relu, rtol=1e-5, atol=1e-6)


def test_affine_indices() -> None:
    names = {"i", "j"}
    assert affine(_at("i", "j"), names) == {"i": N, "j": 1}
    assert affine(Scalar("sub", (Const(7, "int64"), Var("j")), "int64"), names) == \
        {None: 7, "j": -1}
    assert affine(Scalar("mul", (Var("i"), Var("j")), "int64"), names) is None
    assert affine(Scalar("imod", (Var("i"), Const(3, "int64")), "int64"), names) is None
    assert affine(Var("e"), names) is None
