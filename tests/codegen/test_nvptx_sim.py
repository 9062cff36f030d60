"""The NVPTX target's kernels run in the CPU simulator (gpu_sim.py) and match the interpreter.

The simulator executes the LLVM IR the PTX is generated from, with every thread of a block
running concurrently, real barriers and warp shuffles, and shared memory checked for races;
so these tests check the GPU mapping itself (grid-stride loops and bounds, the block tree
reduction, launches split from one kernel), not only that the PTX assembles
(test_nvptx.py). Covered: one sample of every registry op that lowers for cuda, the fused
chains of test_llvm_ops.py, reductions over 1, 1000 and 10^6 elements and sizes that are not
multiples of the block (not test_llvm_ops.py's "large" chain: its 900 blocks of 256 OS threads
take minutes); a kernel with a barrier removed must be reported as racy.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from cpu_harness import assert_matches, random_feeds, single_group
from gpu_sim import SimulationError, Simulator
from test_llvm_ops import EXACT_RANDOM, FUSED, PARAMS, _build, _feeds_for
from test_nvptx import RAISES

import tenkai.ir as ir
from tenkai.codegen import nvptx
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.nvptx import stages
from tenkai.ir import dtypes

CUDA = nvptx.describe()
TOL = {"float16": (2e-3, 2e-3), "float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}


def _check(g: ir.Graph, feeds: dict[str, np.ndarray], label: str,
           tol: tuple[float, float] | None = None, max_grid: int | None = None) -> None:
    program = lower_program(g, target=CUDA)
    code = nvptx.generate(program)
    got = Simulator(code).run(program, feeds, max_grid)
    want = ir.run(g, feeds)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        dt = dtypes.from_numpy(np.asarray(b).dtype)
        assert_matches(a, np.asarray(b), f"{label} output {k}", tol or TOL.get(dt))


def _one_sample_per_op() -> list[object]:
    seen: dict[str, object] = {}
    for p in PARAMS:
        op, _, dtype = p.values
        if op not in RAISES and op not in seen and dtype in ("float32", "int64", "bool"):
            seen[op] = p
    return list(seen.values())


@pytest.mark.parametrize("op,k,dtype", _one_sample_per_op())
def test_registry_op_in_simulator(op: str, k: int, dtype: str) -> None:
    g, feeds = _build(op, k, dtype)
    try:
        want = ir.run(g, feeds)
    except Exception as err:
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    program = lower_program(g, target=CUDA)
    code = nvptx.generate(program)
    got = Simulator(code).run(program, feeds)
    out_dtype = g.dtype(g.outputs[0])
    tol = (0.0, 0.0) if (op, out_dtype) in EXACT_RANDOM else None
    assert_matches(got[0], np.asarray(want[0]), f"{op} sample {k} {dtype} (simulated)", tol)


@pytest.mark.parametrize("name", sorted(set(FUSED) - {"linear", "conv", "large"}))
@pytest.mark.parametrize("fused", [False, True])
def test_fused_chain_in_simulator(name: str, fused: bool) -> None:
    g = single_group(FUSED[name]()) if fused else FUSED[name]()
    _check(g, _feeds_for(g), f"{name} fused={fused}")


@pytest.mark.parametrize("n", [1, 1000, 10**6])
@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("max", "float64"),
                                      ("prod", "int64"), ("var", "float64")])
def test_full_reduction_in_simulator(n: int, op: str, dtype: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if n == 10**6:  # two stages over 4 virtual blocks (not 245: 256 OS threads each), on 3
        monkeypatch.setattr(stages, "SPLIT_CHUNK", 2**18)
    g, feeds, tol = full_reduction(n, op, dtype)
    _check(g, feeds, f"{op} over {n}", tol, max_grid=3 if n == 10**6 else None)


def full_reduction(n: int, op: str, dtype: str
                   ) -> tuple[ir.Graph, dict[str, np.ndarray], tuple[float, float] | None]:
    """``op`` over all ``n`` elements: (graph, feeds, tolerance: None is the dtype's)."""
    g = ir.Graph(f"{op}{n}")
    x = g.add("input", shape=(n,), dtype=dtype, name="x")
    g.add_output(g.add(op, [x], axes=(0,), keepdim=False))
    feeds = random_feeds(g, seed=n)
    if op == "prod":  # products of ones and minus ones: exact at any length
        feeds["x"] = np.where(np.arange(n) % 7 == 3, -1, 1).astype(np.int64)
    tol = (1e-4, 1e-4) if dtype == "float32" and n >= 10**6 else None  # summation order
    return g, feeds, tol


def test_rows_and_columns_not_multiples_of_the_block() -> None:
    g = ir.Graph("rows")
    x = g.add("input", shape=(13, 1001), dtype="float32", name="x")
    y = g.add("input", shape=(37, 45), dtype="float32", name="y")
    g.add_output(g.add("sum", [g.add("exp", [x])], axes=(1,), keepdim=True))
    g.add_output(g.add("min", [y], axes=(0,), keepdim=False))
    g.add_output(g.add("mean", [x], axes=(0, 1), keepdim=False))
    _check(g, random_feeds(g, seed=3), "rows/columns")


@pytest.mark.parametrize("fused", [False, True])
def test_fewer_blocks_than_the_table_grid_stride(fused: bool) -> None:
    """Two blocks for every launch: each block strides over many rows (shared memory reused
    across iterations, checked for races) and many elements."""
    g = ir.Graph("softmax")
    x = g.add("input", shape=(9, 300), dtype="float32", name="x")
    m = g.add("max", [x], axes=(1,), keepdim=True)
    e = g.add("exp", [g.add("sub", [x, m])])
    g.add_output(g.add("div", [e, g.add("sum", [e], axes=(1,), keepdim=True)]))
    g.add_output(g.add("sum", [x], axes=(0,), keepdim=False))
    g = single_group(g) if fused else g
    _check(g, random_feeds(g, seed=5), f"softmax on 2 blocks fused={fused}", max_grid=2)


def test_missing_barrier_is_reported_as_a_race() -> None:
    g = ir.Graph("t")
    x = g.add("input", shape=(1000,), dtype="float32", name="x")
    g.add_output(g.add("sum", [x], axes=(0,), keepdim=False))
    program = lower_program(g, target=CUDA)
    code = nvptx.generate(program)
    feeds = random_feeds(g, seed=0)
    Simulator(code).run(program, feeds)  # as generated: no race
    barrier = 'call void @"llvm.nvvm.barrier0"()\n'
    assert barrier in code.ir_text
    code.ir_text = code.ir_text.replace(barrier, "", 1)  # the one after the warp partials
    with pytest.raises(SimulationError, match=re.escape("kernel k1_sum: data race on shared "
                                                        "memory")):
        Simulator(code).run(program, feeds)


def checked_gather() -> ir.Graph:
    """A gather whose index is checked (the status word records a bad one)."""
    g = ir.Graph("gather")
    x = g.add("input", shape=(50, 40), dtype="float32", name="x")
    idx = g.add("input", shape=(50, 3), dtype="int64", name="idx")
    g.add_output(g.add("gather", [x, idx], axis=1, bounds="index"))
    return g


def test_failed_index_check_sets_the_status_word() -> None:
    program = lower_program(checked_gather(), target=CUDA)
    code = nvptx.generate(program)
    assert any(row["checks"] for row in code.launches())
    feeds = {"x": np.ones((50, 40), np.float32), "idx": np.zeros((50, 3), np.int64)}
    sim = Simulator(code)
    sim.run(program, feeds)
    assert sim.status is not None and sim.status.tolist() == [0, 0]
    feeds["idx"][[7, 30, 44], [0, 2, 1]] = [40, 41, -41]  # out of range
    sim.run(program, feeds)
    code_, value = sim.status.tolist()
    assert code_ in program.errors and value in (40, 41, -41)
