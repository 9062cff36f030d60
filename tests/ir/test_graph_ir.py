"""The graph container, printer, verifier, interpreter errors and the text parser.

The printer is golden-tested; the verifier is shown one broken invariant at a time (each
error must show the node in context); the parser must read back whatever the printer writes,
for every registry case graph and for autodiff's joint graphs, first and second order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from registry_cases import CASES
from test_registry import build, case_inputs, grad_params, samples_of

import tenkai.ir as ir
from tenkai.ir.parser import ParseError, parse
from tenkai.ir.passes import autodiff


def small_step() -> ir.Graph:
    """A linear layer, a relu and a sum: the shape of every training-step graph."""
    g = ir.Graph("step")
    x = g.add("input", shape=(4, 3), dtype="float32", name="x")
    w = g.add("param", shape=(2, 3), dtype="float32", name="fc.weight")
    b = g.add("param", shape=(2,), dtype="float32", name="fc.bias")
    wt = g.add("permute", [w], dims=(1, 0))
    y = g.add("add", [g.add("matmul", [x, wt]), b], name="logits")
    loss = g.add("sum", [g.add("relu", [y])], axes=(0, 1))
    g.add_output(loss)
    return g


GOLDEN_STEP = """\
graph step(x: f32[4,3], param fc.weight: f32[2,3], param fc.bias: f32[2]) {
  %0: f32[3,2] = permute(fc.weight) {dims=(1, 0)}
  %1: f32[4,2] = matmul(x, %0)
  %2: f32[4,2] = add(%1, fc.bias)  # logits
  %3: f32[4,2] = relu(%2)
  %4: f32[] = sum(%3) {axes=(0, 1), keepdim=False}
  return %4
}"""


def feeds_for(g: ir.Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for n in g.inputs + g.params:
        dt = g.dtype(n)
        value = rng.standard_normal(g.shape(n)) if dt.startswith("float") else \
            rng.integers(0, 2, g.shape(n))
        out[g.node_name(n)] = np.asarray(value, dtype=dt)
    return out


# ---------------------------------------------------------------- printer


def test_printer_golden() -> None:
    assert small_step().dump() == GOLDEN_STEP


def test_printer_numbering_ignores_node_ids() -> None:
    """Numbers follow print order, not ids: a deleted node or a copy changes nothing."""
    g = small_step()
    h = ir.Graph("step")
    dead = h.add("full", shape=(), value=0.0, dtype="float32")  # shifts every later id
    x = h.add("input", shape=(4, 3), dtype="float32", name="x")
    w = h.add("param", shape=(2, 3), dtype="float32", name="fc.weight")
    b = h.add("param", shape=(2,), dtype="float32", name="fc.bias")
    y = h.add("add", [h.add("matmul", [x, h.add("permute", [w], dims=(1, 0))]), b],
              name="logits")
    h.add_output(h.add("sum", [h.add("relu", [y])], axes=(0, 1)))
    h.nx.remove_node(dead)
    assert h.dump() == g.dump() == g.copy().dump()
    assert str(g) == g.dump() == g.dump()


def test_printer_const_values_and_special_floats() -> None:
    g = ir.Graph("consts")
    small = g.add("const", value=np.array([[1, 2], [3, 4]], np.int32))
    big = g.add("const", value=np.zeros(9, np.float32))
    inf = g.add("full", shape=(2,), value=float("-inf"), dtype="float64")
    scalar = g.add("full", shape=(), value=np.float32(0.5), dtype="float32")
    for n in (small, big, inf, scalar):
        g.add_output(n)
    text = g.dump()
    assert "const() {value=[[1, 2], [3, 4]]}" in text
    assert "const() {value=<f32[9]>}" in text
    assert "value=-inf" in text
    assert "value=0.5," in text  # a numpy scalar prints as a plain number


# ---------------------------------------------------------------- verifier

Breaker = Callable[[ir.Graph], None]


def _node(g: ir.Graph, op: str) -> int:
    return next(n for n in g.nodes() if g.op(n) == op)


def _make_cycle(g: ir.Graph) -> None:
    relu, mm = _node(g, "relu"), _node(g, "matmul")
    x = g.operands(mm)[0]
    g.nx.remove_edge(x, mm, key=0)
    g.nx.add_edge(relu, mm, key=0)


def _set(op: str, key: str, value: Any) -> Breaker:
    def breaker(g: ir.Graph) -> None:
        g.nx.nodes[_node(g, op)][key] = value
    return breaker


def _drop_operand(g: ir.Graph) -> None:
    add = _node(g, "add")
    g.nx.remove_edge(g.operands(add)[1], add, key=1)


def _gap_in_operands(g: ir.Graph) -> None:
    add = _node(g, "add")
    b = g.operands(add)[1]
    g.nx.remove_edge(b, add, key=1)
    g.nx.add_edge(b, add, key=2)


def _remove_outputs(g: ir.Graph) -> None:
    g.nx.remove_nodes_from(g.outputs)


def _misnumber_output(g: ir.Graph) -> None:
    g.nx.nodes[g.outputs[0]]["attrs"] = {"index": 3}


def _use_output(g: ir.Graph) -> None:
    out = g.outputs[0]
    g.add("neg", [out])


def _bad_operand_shape(g: ir.Graph) -> None:
    add = _node(g, "add")
    x = g.find("x")  # add(x, fc.bias): [4, 3] does not broadcast with [2]
    g.nx.remove_edge(g.operands(add)[0], add, key=0)
    g.nx.add_edge(x, add, key=0)


# (id, breaker, substrings the message must contain)
BROKEN: list[tuple[str, Breaker, list[str]]] = [
    ("cycle", _make_cycle, ["cycle", ">> node", "matmul", "relu"]),
    ("unknown_op", _set("relu", "op", "frobnicate"), ["unknown op 'frobnicate'", ">>"]),
    ("wrong_shape", _set("relu", "shape", (4, 5)),
     ["node says float32[4, 5]", "relu's rules give float32[4, 2]", ">>", "relu(%2)"]),
    ("wrong_dtype", _set("relu", "dtype", "float64"), ["float64", "float32", "relu"]),
    ("wrong_arity", _drop_operand, ["add takes 2 operand(s), node has 1", ">>"]),
    ("operand_gap", _gap_in_operands, ["operand positions [0, 2]", ">>"]),
    ("missing_output", _remove_outputs, ["no output nodes", "add_output"]),
    ("output_index", _misnumber_output, ["output indices are not 0..0"]),
    ("output_used", _use_output, ["output node is used as an operand"]),
    ("attrs_missing_default", _set("sum", "attrs", {"axes": (0, 1)}),
     ["not normalized", "sum", ">>"]),
    ("attrs_unknown", _set("relu", "attrs", {"alpha": 1}), ["unknown attribute", "alpha", ">>"]),
    ("attrs_missing_required", _set("permute", "attrs", {}),
     ["missing required attribute 'dims'", ">>"]),
    ("rule_rejects_operands", _bad_operand_shape,
     ["add: The size of tensor", "[4, 3], [2]", ">> %2: f32[4,2] = add(x, fc.bias)"]),
]


def test_verifier_accepts_valid_graph() -> None:
    small_step().verify()


@pytest.mark.parametrize("breaker,parts", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_verifier_catches(breaker: Breaker, parts: list[str]) -> None:
    g = small_step()
    breaker(g)
    with pytest.raises(ir.VerifyError) as info:
        ir.verify(g)
    for part in parts:
        assert part in str(info.value), f"message lacks {part!r}:\n{info.value}"


def test_verifier_window_marks_the_bad_node() -> None:
    g = small_step()
    _set("relu", "shape", (9,))(g)
    with pytest.raises(ir.VerifyError) as info:
        g.verify()
    marked = [line for line in str(info.value).splitlines() if line.lstrip().startswith(">>")]
    assert marked == ["  >> %3: f32[9] = relu(%2)"], str(info.value)
    assert "%2: f32[4,2] = add(%1, fc.bias)" in str(info.value)  # its neighbours, too


# ---------------------------------------------------------------- interpreter errors


def test_interpreter_error_names_the_node() -> None:
    g = ir.Graph("lookup")
    table = g.add("input", shape=(3, 2), dtype="float32", name="table")
    idx = g.add("input", shape=(2,), dtype="int64", name="idx")
    g.add_output(g.add("relu", [g.add("take", [table, idx], axis=0)]))
    with pytest.raises(IndexError, match="index 5 is out of bounds") as info:
        ir.run(g, {"table": np.zeros((3, 2), np.float32), "idx": np.array([1, 5])})
    note = "\n".join(getattr(info.value, "__notes__", []))
    assert "While executing node" in note and "of graph lookup" in note, note
    assert ">> %0: f32[2,2] = take(table, idx) {axis=0, bounds='index'}" in note, note


def test_interpreter_missing_feed_and_bad_shape() -> None:
    g = small_step()
    feeds = feeds_for(g)
    del feeds["fc.bias"]
    with pytest.raises(KeyError, match="no value fed for param 'fc.bias'"):
        ir.run(g, feeds)
    feeds = feeds_for(g)
    feeds["x"] = np.zeros((4, 4), np.float32)
    with pytest.raises(ValueError, match=r"feed for x: expected shape \[4, 3\], got \[4, 4\]"):
        ir.run(g, feeds)


# ---------------------------------------------------------------- parser round trip


def assert_round_trip(g: ir.Graph, arrays: Sequence[np.ndarray] = ()) -> ir.Graph:
    """Print, parse, print again; both graphs compute the same on random feeds (the case's
    own operands ``x0, x1, ...`` where given: cholesky needs positive-definite ones)."""
    text = g.dump()
    parsed = parse(text)
    assert parsed.dump() == text
    parsed.verify()
    feeds = {**feeds_for(g), **{f"x{i}": a for i, a in enumerate(arrays)}}
    for got, want in zip(ir.run(parsed, feeds), ir.run(g, feeds), strict=True):
        np.testing.assert_array_equal(got, want)
    return parsed


def test_round_trip_small_step() -> None:
    parsed = assert_round_trip(small_step())
    assert parsed.name == "step" and parsed.params == [parsed.find("fc.weight"),
                                                        parsed.find("fc.bias")]
    assert parsed.node_name(parsed.operands(parsed.outputs[0])[0]) is None
    assert any(parsed.node_name(n) == "logits" for n in parsed.nodes())


def _case_graph_params() -> list[Any]:
    params = []
    for op, case in CASES.items():
        if op not in ir.REGISTRY:
            continue
        for k, sample in enumerate(samples_of(case)[:3]):
            dtype = next(d for d in case.dtypes if sample.only is None or d in sample.only)
            params.append(pytest.param(op, k, dtype, id=f"{op}-{k}-{dtype}"))
    return params


@pytest.mark.parametrize("op,k,dtype", _case_graph_params())
def test_round_trip_case_graphs(op: str, k: int, dtype: str) -> None:
    case, attrs, arrays = case_inputs(op, k, dtype)
    g, _, _ = build(op, arrays, attrs)
    const = g.op(g.operands(g.outputs[0])[0]) == "const"
    if const and np.asarray(attrs["value"]).size > 8:
        with pytest.raises(ParseError, match="elided as <"):
            parse(g.dump())
        return
    assert_round_trip(g, arrays)


@pytest.mark.parametrize("op,k", grad_params(("fd", "zero")))
def test_round_trip_autodiff_graphs(op: str, k: int) -> None:
    case, attrs, arrays = case_inputs(op, k, "float64")
    g, ins, out = build(op, arrays, attrs)
    wrt = [n for n, a in zip(ins, arrays, strict=True) if a.dtype.kind == "f"]
    first = autodiff(g, [out], wrt=wrt)
    assert_round_trip(first.graph, arrays)


@pytest.mark.parametrize("op", ["tanh", "mul", "matmul", "div", "sum"])
def test_round_trip_second_order_graphs(op: str) -> None:
    case, attrs, arrays = case_inputs(op, 0, "float64")
    g, ins, out = build(op, arrays, attrs)
    first = autodiff(g, [out], wrt=ins)
    grads = [gid for gid in first.grads if gid is not None]
    second = autodiff(first.graph, grads, wrt=ins + first.seeds)
    names = [second.graph.node_name(n) for n in second.graph.inputs]
    assert len(set(names)) == len(names), f"input names repeat: {names}"
    assert_round_trip(second.graph)


def test_round_trip_training_step_gradient() -> None:
    g = small_step()
    loss = g.operands(g.outputs[0])[0]
    joint = autodiff(g, [loss], wrt=g.params).graph
    parsed = assert_round_trip(joint)
    assert parsed.find("grad_output0") in parsed.inputs


# ---------------------------------------------------------------- parser errors

PARSE_ERRORS: list[tuple[str, str]] = [
    ("", "empty text"),
    ("graf g() {\n  return\n}", "line 1: expected 'graph NAME(inputs) {'"),
    ("graph g(x: f32[2]) {\n  %0: f32[2] = exp(y)\n  return %0\n}",
     "line 2: 'y' is not defined"),
    ("graph g(x: f32[2]) {\n  %0: f32[3] = exp(x)\n  return %0\n}",
     "line 2: %0 is declared f32[3] but exp's rules give f32[2]"),
    ("graph g(x: f32[2]) {\n  %0: f32[2] = frob(x)\n  return %0\n}", "line 2: VerifyError"),
    ("graph g(x: f32[2]) {\n  %0 = exp(x)\n  return %0\n}", "line 2: expected '%K: TYPE"),
    ("graph g(x: q9[2]) {\n  return x\n}", "bad type 'q9[2]'"),
    ("graph g(x: f32[2]) {\n  %0: f32[2] = exp(x) {a=b}\n  return %0\n}", "not a literal"),
    ("graph g(x: f32[2]) {\n  %0: f32[2] = exp(x)\n}", "expected a 'return"),
    ("graph g(x: f32[2], x: f32[2]) {\n  return x\n}", "appears twice"),
    ("graph g(x: f32[2]) {\n  %0: f32[2] = exp(x)\n  %0: f32[2] = exp(x)\n  return %0\n}",
     "line 3: %0 is defined twice"),
]


@pytest.mark.parametrize("text,message", PARSE_ERRORS,
                         ids=[f"e{i}" for i in range(len(PARSE_ERRORS))])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert message in str(info.value), str(info.value)


def test_parse_fills_attr_defaults_and_reads_literals() -> None:
    g = parse("graph g(x: f32[2,3]) {\n"
              "  %0: f32[3] = sum(x) {axes=(0,)}\n"
              "  %1: f32[3] = clamp(%0) {min=-inf, max=nan}\n"
              "  return %1\n"
              "}")
    s = g.operands(g.outputs[0])[0]
    assert g.attrs(s)["min"] == -np.inf and np.isnan(g.attrs(s)["max"])
    assert g.attrs(g.operands(s)[0]) == {"axes": (0,), "keepdim": False}
    g.verify()


def test_parse_const_keeps_the_printed_dtype() -> None:
    for dtype in ("float32", "float16", "int32", "bool", "uint8"):
        g = ir.Graph("c")
        g.add_output(g.add("const", value=np.array([1, 0, 1], dtype=dtype)))
        parsed = assert_round_trip(g)
        assert ir.run(parsed)[0].dtype == np.dtype(dtype)



def test_topo_order_is_networkx_lexicographical_order_on_random_multigraphs() -> None:
    """topo_order reads the adjacency dicts itself; its order must stay exactly networkx's
    lexicographical topological order (the smallest ready id first), parallel edges (one node
    used twice as an operand) included, and a cycle must still raise."""
    import random

    import networkx as nx

    from tenkai.ir.graph_core import GraphCore

    rng = random.Random(7)
    for _ in range(200):
        g = GraphCore()
        ids = rng.sample(range(500), rng.randint(1, 30))
        rank = {n: k for k, n in enumerate(rng.sample(ids, len(ids)))}  # a hidden order
        g.nx.add_nodes_from(ids)
        for _ in range(rng.randint(0, 60)):
            a, b = rng.choice(ids), rng.choice(ids)
            if rank[a] < rank[b]:  # edges follow the hidden order, not the ids: a DAG
                g.nx.add_edge(a, b, key=rng.randint(0, 2))
        assert g.topo_order() == list(nx.lexicographical_topological_sort(g.nx))
    g = GraphCore()
    g.nx.add_edge(1, 2, key=0)
    g.nx.add_edge(2, 1, key=0)
    with pytest.raises(nx.NetworkXUnfeasible):
        g.topo_order()
    assert small_step().topo_order() == list(
        nx.lexicographical_topological_sort(small_step().nx))


def test_ancestors_and_descendants_match_networkx() -> None:
    """The graph's own walks (no networkx dispatch on the first trace) agree with networkx
    on a random DAG, multi-edges included, and include the nodes they start from."""
    import networkx as nx

    rng = np.random.default_rng(0)
    g = ir.Graph("walks")
    nodes = [g.add("input", shape=(2,), dtype="float32", name=f"x{k}") for k in range(3)]
    for _ in range(25):
        a, b = (int(n) for n in rng.choice(nodes, 2))
        nodes.append(g.add("add", [a, b]))
    for picks in ([nodes[0]], [nodes[5], nodes[-1]], nodes[3:9:2]):
        want_up = set(picks).union(*(nx.ancestors(g.nx, n) for n in picks))
        want_down = set(picks).union(*(nx.descendants(g.nx, n) for n in picks))
        assert g.ancestors(picks) == want_up
        assert g.descendants(picks) == want_down
