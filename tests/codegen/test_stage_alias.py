"""A stage whose value only its elementwise epilogue reads (matmul + bias + relu, conv2d + bias
+ relu) is computed straight into the epilogue's output buffer, which the epilogue then
rewrites element by element: no kernel-local copy of the whole value (codegen/lower/program.py
``_alias_target``). Where something else reads the stage's value it keeps its own scratch."""

from __future__ import annotations

import pytest
from cpu_harness import check_against_interpreter, compile_batch, random_feeds

import tenkai.ir as ir
from tenkai.codegen.lower.program import lower_program


def _two_groups(g: ir.Graph, first: list[int], second: list[int], kind: str) -> ir.Graph:
    g.meta["groups"] = {0: {"kind": kind, "nodes": first, "inputs": [], "outputs": []},
                        1: {"kind": "elementwise", "nodes": second, "inputs": [],
                            "outputs": []}}
    g.meta["group_order"] = [0, 1]
    return g


def _linear_relu(extra: str | None = None) -> ir.Graph:
    """Group 0: matmul + bias + relu (+ ``extra``: a sum of the matmul, or a graph output of
    the relu); group 1: exp of the relu."""
    g = ir.Graph(f"linear_relu_{extra}")
    x = g.add("input", shape=(6, 5), dtype="float32", name="x")
    w = g.add("param", shape=(5, 7), dtype="float32", name="w")
    b = g.add("param", shape=(7,), dtype="float32", name="b")
    mm = g.add("matmul", [x, w])
    add = g.add("add", [mm, b])
    relu = g.add("relu", [add])
    first = [mm, add, relu]
    if extra == "sum":
        first.append(g.add("sum", [mm], axes=(1,), keepdim=False))
        g.add_output(first[-1])
    if extra == "returned":
        g.add_output(relu)
    e = g.add("exp", [relu])
    g.add_output(e)
    return _two_groups(g, first, [e], "contraction")


def _conv_relu() -> ir.Graph:
    g = ir.Graph("conv_relu")
    x = g.add("input", shape=(3, 2, 5, 5), dtype="float32", name="x")
    w = g.add("param", shape=(4, 2, 3, 3), dtype="float32", name="w")
    b = g.add("param", shape=(4,), dtype="float32", name="b")
    y = g.add("conv2d", [x, w], stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)
    add = g.add("add", [y, g.add("reshape", [b], shape=(4, 1, 1))])
    relu = g.add("relu", [add])
    mask = g.add("gt", [relu, g.add("full", shape=(), value=0.0, dtype="float32")])
    t = g.add("tanh", [relu])
    g.add_output(t)
    g.add_output(g.add("cast", [mask], dtype="float32"))
    first = [n for n in g.topo_order() if g.op(n) in ("conv2d", "reshape", "add", "relu", "gt")]
    return _two_groups(g, first, [n for n in g.topo_order() if g.op(n) in ("tanh", "cast")],
                       "window")


def _local(program) -> list[str]:
    return [b.name for b in program.buffers if b.name.startswith("t")]


@pytest.mark.parametrize("make, local", [
    (lambda: _linear_relu(), []),  # the matmul writes the relu's buffer
    (lambda: _linear_relu("sum"), ["matmul"]),  # the sum reads the matmul: own scratch
    (lambda: _linear_relu("returned"), ["matmul"]),  # the relu is a graph output
    (_conv_relu, ["cols"]),  # the conv writes the relu's buffer; the gt mask stored with it
], ids=["alias", "read_elsewhere", "graph_output", "conv"])
def test_stage_value_goes_to_the_epilogue_output(make, local) -> None:
    g = make()
    names = _local(lower_program(g))
    assert sorted(n.split("_", 1)[1].split(".")[0] for n in names) == local, names
    (item,) = compile_batch([g], tag=f"al_{g.name}_")
    check_against_interpreter(item, random_feeds(g, seed=5), g.name, (1e-5, 1e-6))
