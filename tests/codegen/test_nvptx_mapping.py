"""The GPU mapping's launches beyond one block per output (codegen/nvptx: stages.py, vector.py).

* two-stage grid reductions: many blocks write partials to per-entry scratch, a second launch
  combines them (the same bits whatever grid runs them);
* values one launch defines and a later one reads, through scratch;
* scatters (``index_add``, ``scatter_add``, embedding backward) as a grid of atomic adds;
* 128-bit vector loads and stores in grid launches, with odd sizes.

Each is checked three ways: the launch table says what the mapping chose, the PTX holds the
intended instructions and assembles with ``ptxas`` for sm_80 and sm_90 without spills
(skipped without ptxas), and the CPU simulator (gpu_sim.py) matches the interpreter. The
simulator runs a block's 256 threads as OS threads, so its tests shrink the split's chunk
(``stages.SPLIT_CHUNK``) to keep the virtual blocks few: the same code with other constants.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from cpu_harness import assert_matches, random_feeds, single_group
from gpu_sim import Simulator
from test_nvptx import ARCHES, check_launch_table, needs_ptxas, ptxas

import tenkai.ir as ir
from tenkai.codegen import nvptx
from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Buffer,
    Const,
    Kernel,
    KernelProgram,
    Let,
    Load,
    Loop,
    Scalar,
    Store,
    Var,
)
from tenkai.codegen.lower.program import lower_program
from tenkai.codegen.nvptx import stages
from tenkai.codegen.nvptx.mapping import MAX_BLOCK, plan
from tenkai.ir import dtypes

CUDA = nvptx.describe()
TOL = {"float16": (2e-3, 2e-3), "float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}


def _simulate(g: ir.Graph, feeds: dict[str, np.ndarray], tol: tuple[float, float] | None = None,
              max_grid: int | None = None) -> list[np.ndarray]:
    program = lower_program(g, target=CUDA)
    code = nvptx.generate(program)
    check_launch_table(code)
    got = Simulator(code).run(program, feeds, max_grid)
    for k, (a, b) in enumerate(zip(got, ir.run(g, feeds), strict=True)):
        dt = dtypes.from_numpy(np.asarray(b).dtype)
        assert_matches(a, np.asarray(b), f"{g.name} output {k}", tol or TOL.get(dt))
    return got


def _reduction(n: int | tuple[int, ...], op: str, dtype: str, axes: tuple[int, ...] = (0,),
               name: str = "r") -> ir.Graph:
    g = ir.Graph(name)
    x = g.add("input", shape=n if isinstance(n, tuple) else (n,), dtype=dtype, name="x")
    g.add_output(g.add(op, [x], axes=axes, keepdim=False))
    return g


# ---------------------------------------------------------------- two-stage reductions
def test_long_full_reduction_is_two_launches_over_many_blocks() -> None:
    code = nvptx.generate(lower_program(_reduction(10**6, "sum", "float32"), target=CUDA))
    check_launch_table(code)
    first, second = code.launches()
    chunk, parts = stages.chunking(10**6)
    assert (chunk, parts) == (4096, 245)
    assert (first["mapping"], first["extent"], first["grid"], first["block"]) == \
        ("block", parts, (parts, 1, 1), (MAX_BLOCK, 1, 1))
    assert (second["mapping"], second["grid"], second["block"]) == \
        ("block", (1, 1, 1), (MAX_BLOCK, 1, 1))
    part = "k1_sum__sum.part"
    assert code.entries["tk_step"]["scratch"] == {part: parts * 4}
    assert first["scratch"] == second["scratch"] == {part: parts * 4}
    slot = len(code.entries["tk_step"]["buffers"])  # scratch slots follow the buffers
    assert first["params"] == ["x", part] and first["args"] == [0, slot]
    assert second["params"] == ["n1_sum", part] and second["args"] == [1, slot]
    assert code.ptx.count(".entry ") == 2
    assert "k1_sum__0: block extent=245 grid=(245,1,1)" in code.as_text("launch")


def test_short_or_many_output_reductions_are_not_split() -> None:
    for g in (_reduction(3 * 4096, "sum", "float32"),  # 3 chunks' worth: one block does it
              _reduction((64, 10**5), "sum", "float32", axes=(1,))):  # 64 blocks already
        rows = nvptx.generate(lower_program(g, target=CUDA)).launches()
        assert [r["mapping"] for r in rows] == ["block"], rows
        assert not rows[0]["scratch"]


@needs_ptxas
def test_split_reductions_assemble_without_spills() -> None:
    cases = [(10**6, "sum", "float32"), (10**6, "var", "float64"), (10**6, "max", "float16"),
             (10**6, "prod", "int32"), (10**6 + 3, "mean", "float32"),
             ((3, 300001), "min", "int64")]
    programs = [lower_program(_reduction(n, op, dt, axes=(len(n) - 1,) if isinstance(n, tuple)
                                         else (0,)), prefix=f"s{k}_", target=CUDA)
                for k, (n, op, dt) in enumerate(cases)]
    code = nvptx.generate(programs)
    check_launch_table(code)
    assert len(code.launches()) == 2 * len(cases) + 2  # var: mean, then squares
    for arch in ARCHES:
        report = ptxas(code.ptx, arch)
        assert report.count("Compiling entry function") == len(code.launches())


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Split reductions into chunks of 8192 iterations (the simulator's threads are slow)."""
    monkeypatch.setattr(stages, "SPLIT_CHUNK", 8192)
    return 8192


@pytest.mark.parametrize("n", [1, 1000, 3 * 8192 + 77])
@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("max", "float64"),
                                      ("var", "float64")])
def test_split_reduction_in_simulator(n: int, op: str, dtype: str, small_chunks: int) -> None:
    g = _reduction(n, op, dtype, name=f"{op}{n}")
    code = nvptx.generate(lower_program(g, target=CUDA))
    assert len(code.launches()) == (2 + 2 * (op == "var") if n > small_chunks else 1)
    _simulate(g, random_feeds(g, seed=n), max_grid=2)


@pytest.mark.slow
@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("prod", "int64")])
def test_split_reduction_of_a_million_in_simulator(op: str, dtype: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stages, "SPLIT_CHUNK", 2**17)  # 8 virtual blocks on 3 real ones
    g = _reduction(10**6, op, dtype, name=op)
    feeds = random_feeds(g, seed=6)
    if op == "prod":
        feeds["x"] = np.where(np.arange(10**6) % 7 == 3, -1, 1).astype(np.int64)
    _simulate(g, feeds, (1e-4, 1e-4) if dtype == "float32" else None, max_grid=3)


def test_split_reduction_is_deterministic_whatever_the_grid(small_chunks: int) -> None:
    g = _reduction(5 * small_chunks + 1, "sum", "float32")
    feeds = random_feeds(g, seed=2)
    program = lower_program(g, target=CUDA)
    sim = Simulator(nvptx.generate(program))
    (a,), (b,) = sim.run(program, feeds, max_grid=1), sim.run(program, feeds, max_grid=4)
    assert a.tobytes() == b.tobytes()


def test_row_reductions_with_few_rows_split_per_row(small_chunks: int) -> None:
    g = _reduction((2, 4 * small_chunks + 5), "sum", "float32", axes=(1,))
    rows = nvptx.generate(lower_program(g, target=CUDA)).launches()
    assert [(r["mapping"], r["extent"]) for r in rows] == [("block", 2 * 5), ("block", 2)]
    _simulate(g, random_feeds(g, seed=4), max_grid=2)


@pytest.mark.slow
def test_softmax_of_two_long_rows(small_chunks: int) -> None:
    """Both reductions of each row split in two stages (the lowering passes the row's max
    and sum between its nests in the program's scratch), then one grid normalizes."""
    g = ir.Graph("softmax")
    x = g.add("input", shape=(2, 5 * small_chunks - 3), dtype="float32", name="x")
    e = g.add("exp", [g.add("sub", [x, g.add("max", [x], axes=(1,), keepdim=True)])])
    g.add_output(g.add("div", [e, g.add("sum", [e], axes=(1,), keepdim=True)]))
    g = single_group(g)
    code = nvptx.generate(lower_program(g, target=CUDA))
    rows = code.launches()
    assert [(r["mapping"], r["extent"]) for r in rows] == [
        ("block", 10), ("block", 2), ("block", 10), ("block", 2), ("grid", 2 * (5 * 8192 - 3))]
    _simulate(g, random_feeds(g, seed=3), max_grid=3)


# ---------------------------------------------------------------- values across launches
def test_reduction_then_a_parallel_nest_of_one_kernel() -> None:
    g = ir.Graph("center")  # the mean goes through the program's own scratch buffer
    x = g.add("input", shape=(1000,), dtype="float32", name="x")
    g.add_output(g.add("sub", [x, g.add("mean", [x], axes=(0,), keepdim=True)]))
    g = single_group(g)
    code = nvptx.generate(lower_program(g, target=CUDA))
    assert [r["mapping"] for r in code.launches()] == ["block", "grid"]
    _simulate(g, random_feeds(g, seed=1))


def _program(kernel: Kernel, n: int = 8) -> KernelProgram:
    return KernelProgram([Buffer("a", (n,), "float32", "input"),
                          Buffer("b", (n,), "float32", "output")], [kernel], outputs=["b"])


def test_let_of_a_serial_run_read_by_a_grid_launch() -> None:
    twice = Scalar("mul", (Load("a", Const(0, "int64"), "float32"), Const(2.0, "float32")),
                   "float32")
    body = [Let("s", twice), Loop("i", 8, [Store("b", Var("i"), Scalar(
        "add", (Load("a", Var("i"), "float32"), Var("s", "float32")), "float32"))],
        parallel=True)]
    program = _program(Kernel("k1", ["a", "b"], body))
    code = nvptx.generate(program)
    assert [r["mapping"] for r in code.launches()] == ["serial", "grid"]
    assert code.entries["tk_step"]["scratch"] == {"k1__s": 4}
    a = np.arange(1, 9, dtype=np.float32)
    (b,) = Simulator(code).run(program, {"a": a})
    np.testing.assert_array_equal(b, a + 2 * a[0])


def test_accumulator_updated_across_launches_raises() -> None:
    body = [Acc("t", "float32", Const(0.0, "float32")),
            Loop("i", 8, [Store("b", Var("i"), Load("a", Var("i"), "float32"))], parallel=True),
            Loop("j", 8, [AccUpdate("t", "add", Load("a", Var("j"), "float32"))]),
            Store("b", Const(0, "int64"), Var("t", "float32"))]
    with pytest.raises(NotImplementedError, match=re.escape(
            "nvptx: kernel k2: launch k2__2 updates `t`, an accumulator of launch k2__0; "
            "accumulators carried across launches of one GPU kernel are not implemented yet")):
        plan(Kernel("k2", ["a", "b"], body))


# ---------------------------------------------------------------- atomic scatters
def _scatter(op: str, dtype: str) -> tuple[ir.Graph, dict[str, np.ndarray]]:
    g = ir.Graph(op)
    x = g.add("input", shape=(10, 33), dtype=dtype, name="x")
    rng = np.random.default_rng(3)
    if op == "index_add":
        idx = g.add("input", shape=(40,), dtype="int64", name="idx")
        src = g.add("input", shape=(40, 33), dtype=dtype, name="src")
        g.add_output(g.add("index_add", [x, idx, src], axis=0))
        index = np.arange(40) % 3 * 4  # rows 0, 4, 8, each hit 13 or 14 times
    elif op == "scatter_add":
        idx = g.add("input", shape=(40, 33), dtype="int64", name="idx")
        src = g.add("input", shape=(40, 33), dtype=dtype, name="src")
        g.add_output(g.add("scatter_add", [x, idx, src], axis=0))
        index = rng.integers(0, 10, size=(40, 33))
    else:  # the backward of an embedding lookup: take's vjp adds rows into a zero table
        idx = g.add("input", shape=(40,), dtype="int64", name="idx")
        rows = g.add("take", [x, idx], axis=0)
        src = g.add("input", shape=(40, 33), dtype=dtype, name="src")
        zeros = g.add("full", shape=(10, 33), value=0, dtype=dtype)
        g.add_output(g.add("index_add", [zeros, idx, g.add("add", [src, rows])], axis=0))
        index = rng.integers(0, 10, size=40)
    feeds = random_feeds(g, seed=5)
    feeds["idx"] = index.astype(np.int64)
    return g, feeds


@pytest.mark.parametrize("op", ["index_add", "scatter_add", "embedding_backward"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_scatter_with_duplicate_indices_runs_atomically(op: str, dtype: str) -> None:
    g, feeds = _scatter(op, dtype)
    if dtype == "int64":
        feeds = {k: (v * 100).astype(np.int64) if v.dtype.kind == "f" else v
                 for k, v in feeds.items()}
    code = nvptx.generate(lower_program(g, target=CUDA))
    atomic = [r for r in code.launches() if r["atomic"]]
    assert len(atomic) == 1 and atomic[0]["mapping"] == "grid" and atomic[0]["grid"][0] > 1
    kind = {"float32": "f32", "float64": "f64", "float16": "noftz.f16", "int64": "u64"}[dtype]
    assert re.search(rf"(atom|red)\.global\.add\.{re.escape(kind)}\b", code.ptx), dtype
    tol = {"float16": (2e-2, 2e-2)}.get(dtype)  # atomics add in another order: half rounds
    _simulate(g, feeds, tol)


def test_scatter_that_reads_its_target_stays_serial() -> None:
    inner = [Store("b", Scalar("imod", (Var("i"), Const(3, "int64")), "int64"), Scalar(
        "mul", (Load("b", Scalar("imod", (Var("i"), Const(3, "int64")), "int64"), "float32"),
                Load("a", Var("i"), "float32")), "float32"))]
    (launch,) = plan(Kernel("k4", ["a", "b"], [Loop("i", 8, inner)]))
    assert (launch.mapping, launch.atomic) == ("serial", False)  # a product, not a sum


@needs_ptxas
def test_atomic_scatters_assemble() -> None:
    programs = [lower_program(_scatter(op, dt)[0], prefix=f"a{k}{j}_", target=CUDA)
                for k, op in enumerate(["index_add", "scatter_add", "embedding_backward"])
                for j, dt in enumerate(["float32", "float64", "float16", "int64"])]
    code = nvptx.generate(programs)
    for arch in ARCHES:
        ptxas(code.ptx, arch)


# ---------------------------------------------------------------- vector loads and stores
@pytest.mark.parametrize("shape,dtype,lanes,access,stores", [
    ((1001,), "float32", 4, "v4.b32", True),  # flat, the last group runs 1 iteration
    ((7, 12), "float32", 4, "v4.b32", True), ((37, 64), "float64", 2, "v2.b64", True),
    ((3, 1004), "float16", 4, "v2.b32", True),  # 4 halves: 64 bits as two words
    ((5, 6), "int32", 2, "v2.b32", True),
    ((7, 13), "float32", 4, "v4.b32", False)])  # rows of 13: only the broadcast row aligns
def test_vectorized_elementwise_with_odd_sizes(shape: tuple[int, ...], dtype: str, lanes: int,
                                               access: str, stores: bool) -> None:
    g = ir.Graph("vec")
    x = g.add("input", shape=shape, dtype=dtype, name="x")
    y = g.add("input", shape=shape[-1:], dtype=dtype, name="y")  # broadcast over rows
    g.add_output(g.add("mul", [g.add("add", [x, y]), x]))
    g = single_group(g)
    code = nvptx.generate(lower_program(g, target=CUDA))
    (row,) = code.launches()
    assert row["vector"] == lanes, row
    assert re.search(rf"ld\.global(\.nc)?\.{re.escape(access)}", code.ptx), code.ptx
    assert (f"st.global.{access}" in code.ptx) == stores
    _simulate(g, random_feeds(g, seed=7))
    _simulate(g, random_feeds(g, seed=8), max_grid=1)  # one block strides over all groups


def test_gathers_and_misaligned_rows_stay_scalar() -> None:
    g = ir.Graph("gather")
    x = g.add("input", shape=(50, 40), dtype="float32", name="x")
    idx = g.add("input", shape=(50, 3), dtype="int64", name="idx")
    g.add_output(g.add("gather", [x, idx], axis=1))
    rows = nvptx.generate(lower_program(g, target=CUDA)).launches()
    assert all(r["vector"] == 1 for r in rows)
    g = ir.Graph("slice")  # rows of 5 inside rows of 7: no aligned group of 4
    x = g.add("input", shape=(6, 7), dtype="float32", name="x")
    g.add_output(g.add("exp", [g.add("slice", [x], starts=(0, 1), stops=(6, 6),
                                     steps=(1, 1))]))
    code = nvptx.generate(lower_program(single_group(g), target=CUDA))
    assert "ld.global.nc.v4" not in code.ptx
    _simulate(single_group(g), random_feeds(g, seed=9))


@needs_ptxas
def test_vectorized_chains_assemble_without_spills() -> None:
    programs = []
    for k, (shape, dtype) in enumerate([((4096,), "float32"), ((33, 64), "float64"),
                                        ((1003,), "float16")]):
        g = ir.Graph("v")
        x = g.add("input", shape=shape, dtype=dtype, name="x")
        g.add_output(g.add("tanh", [g.add("exp", [g.add("sigmoid", [x])])]))
        programs.append(lower_program(single_group(g), prefix=f"v{k}_", target=CUDA))
    code = nvptx.generate(programs)
    assert all(r["vector"] > 1 for r in code.launches())
    for arch in ARCHES:
        ptxas(code.ptx, arch)
