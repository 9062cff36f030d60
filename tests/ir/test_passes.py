"""The ir passes (simplify, fuse, plan_memory) and the pipeline driver, checked against
contracts written out here rather than the passes' own checkers: the interpreter's outputs
survive simplify; after fuse each compute node is in one group, groups are convex, the order
is topological, and running group by group from declared inputs reproduces the outputs; so does
replaying the memory plan on a garbage-filled byte arena (in-place writes into param buffers).
Graphs: Builder-made, training steps recorded by ``tenkai.trace`` (what compile feeds the
pipeline), and small random DAGs from hypothesis (``TENKAI_TEST_CASES`` examples).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tenkai as tk
import tenkai.ir as ir
import tenkai.nn.functional as F
from tenkai.ir.dtypes import to_numpy
from tenkai.ir.errors import TenkaiError, VerifyError
from tenkai.ir.ops import REGISTRY
from tenkai.ir.parser import parse
from tenkai.ir.passes import fuse, plan_memory, recompute, run_pipeline, simplify
from tenkai.ir.passes.fusion import FusionContext, classify

BOUNDARY = {"input", "param", "const", "full", "output"}
CASES = int(os.environ.get("TENKAI_TEST_CASES", "100"))
SETTINGS = settings(max_examples=CASES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _input(g: ir.Graph, name: str, shape: tuple, dtype: str = "float32", op: str = "input"):
    return g.value(g.add(op, shape=shape, dtype=dtype, name=name))


def softmax_graph(n: int = 8, c: int = 10, nll: bool = False) -> ir.Graph:
    """softmax(x) over dim 1, or (``nll``) mean NLL of log_softmax(x) at int64 targets."""
    g = ir.Graph("softmax")
    b, x = ir.Builder(g), _input(g, "x", (n, c))
    s = b.sub(x, b.max(x, axes=(1,), keepdim=True))
    e = b.exp(s)
    z = b.sum(e, axes=(1,), keepdim=True)
    if nll:
        lsm = b.sub(s, b.log(z))
        picked = b.reshape(b.gather(lsm, _input(g, "t", (n, 1), "int64"), axis=1), shape=(n,))
        out = b.mean(b.neg(picked), axes=(0,), keepdim=False)
    else:
        out = b.div(e, z)
    g.add_output(out.id)
    return g


def layer_norm_graph(n: int = 8, d: int = 16) -> ir.Graph:
    g = ir.Graph("layer_norm")
    b, x = ir.Builder(g), _input(g, "x", (n, d))
    gamma, beta = _input(g, "ln.weight", (d,), op="param"), _input(g, "ln.bias", (d,), op="param")
    xc = b.sub(x, b.mean(x, axes=(1,), keepdim=True))
    var = b.mean(b.mul(xc, xc), axes=(1,), keepdim=True)
    rstd = b.rsqrt(b.add(var, b.scalar(1e-5, "float32")))
    g.add_output(b.add(b.mul(b.mul(xc, rstd), gamma), beta).id)
    return g


def mean_square(out: Any) -> Any:
    return (out * out).mean()


def traced_step(model: Any, loss_fn: Any, *args: Any) -> ir.Graph:
    """The graph ``tenkai.trace`` records for one SGD-with-momentum training step: forward,
    backward, optimizer, with ``meta["writes"]`` naming the state each output updates."""
    opt = tk.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x: Any, *rest: Any) -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), *rest)
        loss.backward()
        opt.step()
        return loss

    step(*args)  # the first step creates the momentum buffers; trace the steady state
    return tk.trace(step, *args).graph


def feeds_for(g: ir.Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng, out = np.random.default_rng(seed), {}
    for n in g.inputs + g.params:
        dt, shape = g.dtype(n), g.shape(n)
        value = rng.standard_normal(shape) if dt.startswith("float") else rng.integers(0, 2, shape)
        out[g.node_name(n)] = np.asarray(value, dtype=to_numpy(dt))
    return out


def assert_same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)


# ---------------------------------------------------------------- random graphs


def _random_node(draw: Any, g: ir.Graph, vals: list[int]) -> int:
    kind = draw(st.sampled_from(["unary", "binary", "binary", "splat", "reduce", "matmul",
                                 "reshape", "permute", "expand", "const", "cast", "negneg"]))
    x = draw(st.sampled_from(vals))
    sx = g.shape(x)
    if kind == "negneg":
        return g.add("neg", [g.add("neg", [x])])
    if kind == "unary":
        return g.add(draw(st.sampled_from(["exp", "neg", "relu", "tanh"])), [x])
    if kind == "binary":
        y = draw(st.sampled_from(vals))
        return g.add(draw(st.sampled_from(["add", "mul", "sub", "maximum"])), [x, y])
    if kind == "splat":
        c = g.add("full", shape=draw(st.sampled_from([(), sx])),
                  value=draw(st.sampled_from([0.0, 1.0, 2.0])), dtype="float32")
        pair = [x, c] if draw(st.booleans()) else [c, x]
        return g.add(draw(st.sampled_from(["add", "mul", "sub", "div"])), pair)
    if kind == "reduce":  # few axis choices, so sibling reductions share a signature often
        axes = draw(st.sampled_from([(0,), tuple(range(len(sx)))])) if sx else (0,)
        return g.add(draw(st.sampled_from(["sum", "max"])), [x], axes=axes,
                     keepdim=draw(st.booleans()))
    if kind == "matmul" and len(sx) == 2:  # with a fitting value, else a new param
        ys = [v for v in vals if len(g.shape(v)) == 2 and g.shape(v)[0] == sx[1]]
        y = draw(st.sampled_from(ys)) if ys else g.add("param", shape=(sx[1], 2),
                                                       dtype="float32", name=f"w{len(vals)}")
        return g.add("matmul", [x, y])
    if kind == "reshape":
        n = int(np.prod(sx))
        return g.add("reshape", [x], shape=draw(st.sampled_from([(n,), sx[::-1], (1, *sx), sx])))
    if kind == "permute":
        return g.add("permute", [x], dims=tuple(draw(st.permutations(range(len(sx))))))
    if kind == "expand":
        shape = tuple(2 if d == 1 else d for d in sx) if 1 in sx else (2, *sx)
        return g.add("expand", [x], shape=shape)
    if kind == "cast":
        return g.add("cast", [g.add("cast", [x], dtype="float64")], dtype="float32")
    if kind == "matmul":
        raise ValueError("matmul needs a matrix")
    value = np.arange(int(np.prod(sx)), dtype=np.float32).reshape(sx) * draw(st.integers(0, 1))
    return g.add("add", [x, g.add("const", value=value)])


@st.composite
def random_graphs(draw: Any) -> ir.Graph:
    """Small random DAGs of elementwise, reduce, matmul and movement ops with valid shapes."""
    g = ir.Graph("random")
    vals = [g.add("input", shape=(2, 3), dtype="float32", name="a"),
            g.add("param", shape=(3, 2), dtype="float32", name="w"),
            g.add("input", shape=(1, 3), dtype="float32", name="c"),
            g.add("input", shape=(), dtype="float32", name="s")]
    for _ in range(draw(st.integers(2, 14))):
        try:
            vals.append(_random_node(draw, g, vals))
        except (ValueError, TenkaiError):
            continue  # shapes did not fit: draw another op
    extra = draw(st.lists(st.sampled_from(vals), max_size=2))
    for out in dict.fromkeys([vals[-1], *extra]):
        g.add_output(out)
    updates = [o for o in g.outputs if g.shape(g.operands(o)[0]) == (3, 2)]
    if updates and draw(st.booleans()):  # a state update of param w, maybe done in place
        g.meta["writes"] = {g.attrs(updates[0])["index"]: "w"}
    return g


# ---------------------------------------------------------------- contracts of fuse and plan


def assert_fusion_contract(f: ir.Graph) -> None:
    groups, order = f.meta["groups"], f.meta["group_order"]
    assert sorted(order) == sorted(groups)
    owner: dict[int, int] = {}
    for gid, rec in groups.items():
        members = set(rec["nodes"])
        assert rec["nodes"] == [n for n in f.topo_order() if n in members]
        for n in rec["nodes"]:
            assert n not in owner, f"node {n} is in two groups"
            owner[n] = gid
            assert f.nx.nodes[n]["group"] == gid
        assert set(rec["outputs"]) == {n for n in members
                                       if any(u not in members for u in f.users(n))}
        assert set(rec["inputs"]) == {p for n in members for p in f.operands(n)} - members
        leaving = {s for n in members for s in f.nx.successors(n)} - members
        reenter = set().union(*[nx.descendants(f.nx, s) for s in leaving]) & members
        assert not reenter, f"group {gid} is not convex"
        ops = [f.op(n) for n in members]
        anchors = [o for o in ops if REGISTRY[o].kind in ("contraction", "window")]
        assert len(anchors) <= 1 and (not anchors or rec["kind"] in ("contraction", "window"))
        if any(REGISTRY[o].kind == "reduction" for o in ops):
            assert rec["kind"] == "reduction"
    assert set(owner) == {n for n in f.nodes() if f.op(n) not in BOUNDARY}
    where = {gid: t for t, gid in enumerate(order)}
    for u, v in f.nx.edges():
        if u in owner and v in owner and owner[u] != owner[v]:
            assert where[owner[u]] < where[owner[v]], "group_order is not topological"


def execute_groups(f: ir.Graph, feeds: dict[str, np.ndarray]) -> list:
    """Run planned graph ``f`` one group at a time, each seeing only its declared inputs, with
    values where the memory plan puts them: in a garbage-filled byte arena, or in the params'
    own buffers for in-place updates; state copies happen after the step."""
    plan = f.meta["memory"]
    params = {f.node_name(n): feeds[f.node_name(n)].copy() for n in f.params}
    arena = np.full(plan.arena_bytes, 0xFF, dtype=np.uint8)
    slots = {s.node: s for s in plan.slots}
    hosts = {s.name: s.node for s in plan.slots if s.role == "param"}
    outputs = {s.node: np.full(f.shape(s.node), 0xFF, np.uint8)  # persistent, own buffers
               .view(np.uint8).repeat(np.dtype(to_numpy(f.dtype(s.node))).itemsize)
               .view(to_numpy(f.dtype(s.node))).reshape(f.shape(s.node))
               for s in plan.slots if s.role == "output"}

    def home(n: int) -> np.ndarray:  # where the plan keeps value n
        s = slots[n]
        if s.inplace_of:
            return params[s.inplace_of]
        if s.role == "output":
            return outputs[n]
        if s.within:  # inside a param's buffer while its value is dead
            host = params[f.node_name(hosts[s.within])].reshape(-1).view(np.uint8)
            return host[s.offset:s.offset + s.nbytes].view(to_numpy(f.dtype(n))).reshape(f.shape(n))
        return arena[s.offset:s.offset + s.nbytes].view(to_numpy(f.dtype(n))).reshape(f.shape(n))

    def read(n: int) -> np.ndarray:
        op = f.op(n)
        if op in ("input", "param"):
            return (params if op == "param" else feeds)[f.node_name(n)].copy()
        return REGISTRY[op].reference(**f.attrs(n)) if op in ("const", "full") else home(n).copy()

    for gid in f.meta["group_order"]:
        rec = f.meta["groups"][gid]
        local = {i: read(i) for i in rec["inputs"]}
        with np.errstate(all="ignore"):  # as the interpreter: inf and nan are values here
            for n in rec["nodes"]:
                local[n] = REGISTRY[f.op(n)].reference(*[local[i] for i in f.operands(n)],
                                                       **f.attrs(n))
        for n in rec["outputs"]:
            home(n)[...] = local[n]
    results = [read(f.operands(o)[0]) for o in f.outputs]
    for w in plan.writes:
        if w["mode"] != "inplace":
            params[w["param"]][...] = results[w["index"]]
    for index, pname in f.meta.get("writes", {}).items():
        np.testing.assert_array_equal(params[pname], results[index])
    return results


def _assert_borrowed_in_dead_spans(plan) -> None:
    """Scratch inside a param's buffer lives after the param's last read and before the group
    that writes its new value there; two such slots never share bytes while both live."""
    hosts = {s.name: s for s in plan.slots if s.role == "param"}
    written = {w["param"]: plan.slot(w["node"]).start for w in plan.writes
               if w["mode"] == "inplace"}
    for s in plan.borrowed_slots():
        host = hosts[s.within]
        assert host.end < s.start and s.end < written[s.within], s.name
        assert s.offset % 64 == 0 and s.offset + s.nbytes <= host.nbytes, s.name
        for o in plan.borrowed_slots():
            if o is not s and o.within == s.within and o.overlaps_in_time(s):
                assert o.offset + o.size <= s.offset or s.offset + s.size <= o.offset


def assert_plan_contract(f: ir.Graph) -> None:
    plan = f.meta["memory"]
    arena = plan.arena_slots()
    _assert_borrowed_in_dead_spans(plan)
    for t in range(-1, plan.steps + 1):  # replay liveness: no two live buffers share a byte
        live = sorted((s.offset, s.offset + s.size, s.name) for s in arena
                      if s.start <= t <= s.end and s.size)
        for (_, hi, a), (lo, _, b) in zip(live, live[1:], strict=False):
            assert hi <= lo, f"{a} and {b} overlap at t={t}"
    assert all(s.offset % 64 == 0 for s in arena)
    assert plan.peak_bytes <= plan.arena_bytes <= sum(s.size for s in arena)
    # the arena holds exactly the scratch values; graph outputs get buffers of their own
    assert all((s.offset is not None) == (s.role == "scratch") for s in plan.slots)
    where = {gid: t for t, gid in enumerate(f.meta["group_order"])}
    for s in (s for s in plan.slots if s.inplace_of):
        param = f.find(s.inplace_of)
        writer = f.nx.nodes[s.node]["group"]
        later = [gid for gid, rec in f.meta["groups"].items()
                 if param in rec["inputs"] and where[gid] > where[writer]]
        assert not later, f"{s.inplace_of} is updated in place but read later by {later}"
        for u in f.users(param):
            if f.nx.nodes[u].get("group") == writer:
                assert REGISTRY[f.op(u)].kind == "elementwise"
                assert f.shape(u) == f.shape(param)


def check_everything(g: ir.Graph) -> ir.Graph:
    """Run the pipeline (driver checks off) and assert all contracts; returns the result."""
    before = g.dump()
    feeds = feeds_for(g)
    want = ir.run(g, feeds)
    s = simplify(g)
    assert_same(ir.run(s, feeds), want)
    p = plan_memory(recompute(fuse(s)))
    ir.verify(p)
    assert_fusion_contract(p)
    assert_plan_contract(p)
    assert_same(execute_groups(p, feeds), want)
    assert g.dump() == before and "groups" not in g.meta, "a pass changed its input"
    assert not any("group" in g.nx.nodes[n] for n in g.nodes()), "a pass changed its input"
    return p


# ---------------------------------------------------------------- simplify


def test_simplify_rewrites_each_pattern() -> None:
    g = ir.Graph("t")
    b, x = ir.Builder(g), _input(g, "x", (4, 3))
    one, zero = b.scalar(1.0, "float32"), b.scalar(0.0, "float32")
    three = b.add(one, b.scalar(2.0, "float32"))  # folds to a full
    y = b.div(b.sub(b.add(b.mul(x, one), zero), zero), one)
    y = b.neg(b.neg(b.cast(y, dtype="float32")))
    y = b.add(b.mul(y, three), b.mul(three, y))  # CSE (commutative)
    y = b.reshape(b.reshape(y, shape=(12,)), shape=(3, 4))
    y = b.permute(b.permute(b.expand(y, shape=(3, 4)), dims=(1, 0)), dims=(1, 0))
    folded = b.sum(g.value(g.add("const", value=np.arange(6, dtype=np.float32).reshape(2, 3))),
                   axes=(0,), keepdim=False)
    g.add_output(y.id)
    g.add_output(folded.id)
    s = check_everything(g)
    assert sorted(s.op(n) for n in s.nodes()) == ["add", "const", "full", "input", "mul",
                                                   "output", "output", "reshape"]
    assert [p for p, _ in s.meta["passes"]] == ["simplify", "fuse", "recompute", "plan_memory"]


def test_simplify_keeps_what_it_must() -> None:
    g = ir.Graph("t")
    b = ir.Builder(g)
    a, c = _input(g, "a", (2,)), _input(g, "c", (2,))  # equal types, never merged
    seed, off1, off2 = (_input(g, n, (), "int64") for n in ("rng.seed", "rng.offset0", "rng.o1"))
    r1, r2 = (b.uniform(seed, off, shape=(2,)) for off in (off1, off2))
    r3 = b.uniform(seed, off1, shape=(2,))  # same seed and offset as r1: same numbers
    big = b.mul(g.value(g.add("const", value=np.arange(5000, dtype=np.float32))),
                b.scalar(2.0, "float32"))  # > 4096 elements, not a splat: stays unfolded
    nan0 = b.mul(a, b.scalar(0.0, "float32"))  # x * 0 is not 0 for NaN and inf
    b.exp(b.tanh(a))  # dead code goes, the unused param stays
    _input(g, "unused", (3,), op="param")
    for v in (b.add(a, c), r1, r2, r3, big, nan0):
        g.add_output(v.id)
    s = simplify(g)
    ops = sorted(s.op(n) for n in s.nodes() if s.op(n) not in ("output", "const", "full"))
    assert ops == ["add", "input", "input", "input", "input", "input", "mul", "mul", "param",
                   "uniform", "uniform"]
    assert s.operands(s.outputs[1])[0] == s.operands(s.outputs[3])[0]
    assert parse(simplify(softmax_graph()).dump()).dump() == simplify(softmax_graph()).dump()


@SETTINGS
@given(random_graphs())
def test_random_graphs_keep_every_contract(g: ir.Graph) -> None:
    check_everything(g)
    p = plan_memory(recompute(fuse(g)))  # fusing an unsimplified graph must work as well
    assert_fusion_contract(p)
    assert_plan_contract(p)
    assert_same(execute_groups(p, feeds_for(g)), ir.run(g, feeds_for(g)))


# ---------------------------------------------------------------- fusion: group counts


def kinds(f: ir.Graph) -> list[str]:
    return [f.meta["groups"][gid]["kind"] for gid in f.meta["group_order"]]


@pytest.mark.parametrize("build, expected", [
    # the max, then the sum, must finish before their readers: three kernels
    (softmax_graph, ["reduction", "reduction", "elementwise"]),
    # max | sub,exp,sum,log | x - lse (read by data-dependent index) | gather | neg,mean
    (functools.partial(softmax_graph, nll=True),
     ["reduction", "reduction", "elementwise", "indexing", "reduction"]),
    # mean | (x - mean)^2 -> mean -> rsqrt(+eps), storing x - mean | normalize * gamma + beta
    (layer_norm_graph, ["reduction", "reduction", "elementwise"]),
], ids=["softmax", "log_softmax_nll", "layer_norm"])
def test_group_counts(build: Any, expected: list[str]) -> None:
    assert kinds(check_everything(build())) == expected


@pytest.mark.parametrize("name, bound", [
    # matmul+bias | LN stats | normalize | 2 LN-backward reductions | dx | dW matmul + update
    # | the scalar momentum (a runtime input, like lr, so a scheduler needs no retrace)
    ("layer_norm", 8),
    # conv+bias | BN stats (+ running stats) | normalize | 2 BN-backward reductions | dx | dW
    # | the scalar momentum
    ("batch_norm", 9),
    # see test_mlp_training_step, with one matmul layer: 14
    ("cross_entropy", 14),
])
def test_traced_training_steps_stay_small(name: str, bound: int) -> None:
    tk.manual_seed(0)
    model, loss_fn, args = {
        "layer_norm": (tk.nn.Sequential(tk.nn.Linear(16, 16), tk.nn.LayerNorm(16)), mean_square,
                       (tk.randn(8, 16),)),
        "batch_norm": (tk.nn.Sequential(tk.nn.Conv2d(2, 4, 3, padding=1), tk.nn.BatchNorm2d(4)),
                       mean_square, (tk.randn(8, 2, 5, 5),)),
        "cross_entropy": (tk.nn.Linear(16, 10), F.cross_entropy,
                          (tk.randn(8, 16), tk.randint(0, 10, (8,)))),
    }[name]
    f = check_everything(traced_step(model, loss_fn, *args))
    assert len(f.meta["groups"]) <= bound, kinds(f)
    assert {w["mode"] for w in f.meta["memory"].writes} == {"inplace"}


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_dead_gradient_buffers_hold_scratch(loss: str) -> None:
    """zero_grad sets the gradients to None, so each gradient buffer holds nothing anyone reads
    from the step's start until its own backward kernel: activations and backward temporaries
    that die before then sit inside it, and the arena shrinks (execute_groups runs the groups
    with every value where the plan puts it, the gradient buffers filled with other values).
    Nothing moves before the last group that may fail an index check."""
    from tenkai.ir.passes.memory import last_check_group

    tk.manual_seed(0)
    model = tk.nn.Sequential(tk.nn.Linear(16, 64), tk.nn.ReLU(), tk.nn.Linear(64, 4))
    args = ((tk.randn(8, 16),) if loss == "mse"
            else (tk.randn(8, 16), tk.randint(0, 4, (8,))))
    f = check_everything(traced_step(model, mean_square if loss == "mse" else F.cross_entropy,
                                     *args))
    plan = f.meta["memory"]
    borrowed = plan.borrowed_slots()
    assert borrowed and {s.within for s in borrowed} <= {
        f.node_name(n) for n in f.params if (f.node_name(n) or "").endswith(".grad")}
    assert plan.unborrowed is not None and plan.arena_bytes <= plan.unborrowed.arena_bytes
    assert plan.arena_bytes < plan.unborrowed.arena_bytes or loss != "mse"
    after = last_check_group(f)
    assert (after == -1) == (loss == "mse")
    assert all(s.start > after for s in borrowed)
    assert "inside dead param buffers" in plan.as_text()


def test_mlp_training_step() -> None:
    """2-layer MLP + cross-entropy + SGD momentum as traced (forward, backward, 4 params x 3
    state writes; 68 compute nodes): 18 groups, each forced by a barrier or an opaque op: 5 matmuls
    (every optimizer update rides on its gradient's kernel as an epilogue), gather and
    scatter_add, 6 reductions (row max, row logsumexp, the loss mean, the softmax-backward
    row sum, 2 bias-gradient column sums), and 5 elementwise kernels: log-softmax (gather reads
    it at data-dependent indices), the ignore_index target fix-up, the loss gradient broadcast
    (needs the finished mean), and the scalars ``-lr`` and ``momentum`` (runtime inputs) that
    four update kernels read."""
    tk.manual_seed(0)
    model = tk.nn.Sequential(tk.nn.Linear(16, 32), tk.nn.ReLU(), tk.nn.Linear(32, 4))
    f = check_everything(traced_step(model, F.cross_entropy, tk.randn(8, 16),
                                     tk.randint(0, 4, (8,))))
    assert len(f.meta["groups"]) <= 18 and kinds(f).count("contraction") == 5, kinds(f)
    plan = f.meta["memory"]
    assert {w["mode"] for w in plan.writes} == {"inplace"} and len(plan.writes) == 12
    assert "0.weight.grad" in plan.as_text() and "optimizer state" in plan.as_text()


def test_matmul_takes_transposes_as_views_and_an_epilogue() -> None:
    g = ir.Graph("linear")
    b, x = ir.Builder(g), _input(g, "x", (4, 3))
    w, bias = _input(g, "fc.weight", (2, 3), op="param"), _input(g, "fc.bias", (2,), op="param")
    y = b.relu(b.add(b.matmul(x, b.permute(w, dims=(1, 0))), bias))
    g.add_output(y.id)
    f = check_everything(g)
    assert kinds(f) == ["contraction"]
    assert f.dump() == """\
graph linear(x: f32[4,3], param fc.weight: f32[2,3], param fc.bias: f32[2]) {
  %3 = group 0 contraction(x, fc.weight, fc.bias) {
    %0: f32[3,2] = permute(fc.weight) {dims=(1, 0)}
    %1: f32[4,2] = matmul(x, %0)
    %2: f32[4,2] = add(%1, fc.bias)
    %3: f32[4,2] = relu(%2)
    yield %3
  }
  return %3
}"""
    assert parse(g.dump()).dump() == g.dump()  # unfused text still round-trips


def test_opaque_ops_are_single_groups() -> None:
    g = ir.Graph("t")
    b, x = ir.Builder(g), _input(g, "x", (1, 2, 6, 6))
    w = _input(g, "conv.weight", (3, 2, 3, 3), op="param")
    seed, off = _input(g, "rng.seed", (), "int64"), _input(g, "rng.offset0", (), "int64")
    y = b.relu(b.conv2d(x, w, stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1))
    y = b.mul(b.max_pool2d(y, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0),
                           dilation=(1, 1), ceil_mode=False), b.uniform(seed, off, shape=(3, 3)))
    y = b.cat(y, y, axis=1)
    g.add_output(b.sum(y, axes=(0, 1, 2, 3)).id)
    f = check_everything(g)  # conv+relu, uniform, pool+mul, cat, sum
    assert kinds(f) == ["window", "random", "window", "indexing", "reduction"]


def test_recompute_clones_a_cheap_value_into_its_late_reader() -> None:
    # v = relu(a) is used in its own group (by e) and read late (after the sum of e); a stays
    # alive until then, so the late group computes its own relu(a) and v is never stored
    g = ir.Graph("t")
    b, x, w = ir.Builder(g), _input(g, "x", (64, 64)), _input(g, "w", (64, 64), op="param")
    v = b.relu(a := b.matmul(x, w))
    e = b.mul(v, b.scalar(3.0, "float32"))
    g.add_output(b.add(b.mul(v, b.sum(e, axes=(0, 1))), a).id)
    g.add_output(e.id)
    f = check_everything(g)
    ((node, record),) = f.meta["recompute"].items()
    assert record["op"] == "relu" and not record["dropped"]
    assert record["recompute_cost"] <= record["keep_cost"]
    (clone,) = record["clones"]
    (late,) = record["readers"]
    assert f.op(clone) == "relu" and f.operands(clone) == f.operands(node)
    assert f.nx.nodes[clone]["group"] == late
    assert node not in f.meta["groups"][late]["inputs"]  # the late group reads a, not v
    assert node not in f.meta["groups"][f.nx.nodes[node]["group"]]["outputs"]
    assert all(s.node != node for s in f.meta["memory"].slots)


def test_recompute_moves_a_mask_only_the_backward_reads() -> None:
    # relu's backward mask gt(r, 0) is computed in the forward group but read only by a late
    # group that reads r anyway: the mask moves there and is never stored
    g = ir.Graph("t")
    b, x, w = ir.Builder(g), _input(g, "x", (32, 16)), _input(g, "w", (16, 16), op="param")
    r = b.relu(b.matmul(x, w))
    mask = b.gt(r, b.scalar(0.0, "float32"))
    t = b.sum(b.exp(r), axes=(0, 1))  # a reduction between the forward and the mask's reader
    g.add_output(b.mul(b.where(mask, b.mul(r, t), b.scalar(0.0, "float32")), r).id)
    f = check_everything(g)
    record = f.meta["recompute"][mask.id]
    assert record["dropped"] and record["recompute_cost"] == 0
    assert mask.id not in f.nx and f.op(record["clones"][0]) == "gt"
    assert all(s.node != mask.id for s in f.meta["memory"].slots)


def test_recompute_clones_a_value_with_the_intermediates_of_its_group() -> None:
    # o1 and o2 are products of p = r * s, which r's group computes and stores nowhere, and
    # only a late reduction reads them (BatchNorm's backward after max_pool2d_grad): the
    # late group computes p and the products itself, so none of the three is stored
    g = ir.Graph("t")
    b, x, w = ir.Builder(g), _input(g, "x", (32, 16)), _input(g, "w", (16, 16), op="param")
    s = _input(g, "s", (1, 16))
    r = b.matmul(x, w)
    p = b.mul(r, s)
    o1, o2 = b.mul(p, r), b.mul(p, s)
    t = b.sum(b.exp(r), axes=(0, 1))
    g.add_output(b.mul(b.sum(o1, axes=(0,)), t).id)
    g.add_output(b.sum(o2, axes=(0,)).id)
    g.add_output(b.mul(r, t).id)
    f = check_everything(g)
    for v in (o1, o2):
        record = f.meta["recompute"][v.id]
        assert record["dropped"] and record["recompute_cost"] <= record["keep_cost"]
        (clone,) = record["clones"]
        (inner, _) = f.operands(clone)
        assert f.op(inner) == "mul" and inner != p.id  # its own clone of p, in the reader
        assert f.nx.nodes[inner]["group"] == f.nx.nodes[clone]["group"] == record["readers"][0]
    assert not {p.id, o1.id, o2.id} & set(f.nx)
    assert not {p.id, o1.id, o2.id} & {s.node for s in f.meta["memory"].slots}


def test_recompute_keeps_a_value_whose_operands_would_cost_more_to_read() -> None:
    # the late reader does not read r: recomputing the 1-byte mask would load 4-byte r instead
    g = ir.Graph("t")
    b, x, w = ir.Builder(g), _input(g, "x", (32, 16)), _input(g, "w", (16, 16), op="param")
    r = b.relu(b.matmul(x, w))
    mask = b.gt(r, b.scalar(0.0, "float32"))
    w2 = _input(g, "w2", (16, 16), op="param")
    late = b.where(mask, b.matmul(b.matmul(r, w2), w2), b.scalar(0.0, "float32"))
    g.add_output(b.mul(r, b.sum(late, axes=(0, 1))).id)  # r is read after the late group
    f = check_everything(g)
    assert mask.id not in f.meta["recompute"]
    assert mask.id in f.nx


def test_optimizer_updates_behind_a_global_norm_share_one_multi_tensor_kernel() -> None:
    # clipping by the global gradient norm sits between every gradient and its update, so no
    # update can be its gradient kernel's epilogue: they merge into one group of two spaces
    g = ir.Graph("t")
    b = ir.Builder(g)
    w, bias = _input(g, "w", (4, 3), op="param"), _input(g, "b", (3,), op="param")
    gw, gb = _input(g, "gw", (4, 3)), _input(g, "gb", (3,))
    norm = b.sqrt(b.add(b.sum(b.mul(gw, gw), axes=(0, 1)), b.sum(b.mul(gb, gb), axes=(0,))))
    coef = b.clamp(b.reciprocal(norm), max=1.0)
    lr = b.scalar(0.1, "float32")
    for p, grad in ((w, gw), (bias, gb)):
        g.add_output(b.sub(p, b.mul(lr, b.mul(grad, coef))).id)
    g.meta["writes"] = {0: "w", 1: "b"}
    f = check_everything(g)
    (gid,) = {f.nx.nodes[f.operands(o)[0]]["group"] for o in f.outputs}
    record = f.meta["groups"][gid]
    assert record["kind"] == "elementwise"
    assert {f.shape(n) for n in record["nodes"]} == {(4, 3), (3,)}
    assert [w["mode"] for w in f.meta["memory"].writes] == ["inplace", "inplace"]


def test_multi_tensor_groups_keep_their_spaces_apart() -> None:
    ctx_graph = ir.Graph("t")
    b = ir.Builder(ctx_graph)
    x, y = _input(ctx_graph, "x", (4, 3)), _input(ctx_graph, "y", (3,))
    ex, ey = b.exp(x), b.exp(y)
    both = b.add(ex, ey)  # an edge from the (3,) space into the (4, 3) space
    ctx_graph.add_output(both.id)
    ctx = FusionContext.of(ctx_graph)
    assert classify(ctx, {ex.id, ey.id}) == "elementwise"  # two independent spaces
    assert classify(ctx, {ex.id, ey.id}, multi_space=False) is None  # greedy never forms them
    assert classify(ctx, {ex.id, ey.id, both.id}) is None  # ey feeds another space


def test_memory_reuses_dead_buffers_and_refuses_unsafe_inplace() -> None:
    g = ir.Graph("t")
    b, x = ir.Builder(g), _input(g, "x", (16, 16))
    h, p = x, _input(g, "p", (16, 16), op="param")
    for _ in range(4):  # a chain of reductions: each buffer dies after the next group
        # (tanh: a value cheap enough to recompute would be, and never stored)
        h = b.tanh(b.add(h, b.sum(b.mul(h, h), axes=(1,), keepdim=True)))
    transposed = b.add(b.permute(p, dims=(1, 0)), b.scalar(1.0, "float32"))  # reads p remapped
    later = b.mul(b.sum(p, axes=(0, 1)), b.sum(h, axes=(0, 1)))
    for out in (later, transposed):
        g.add_output(out.id)
    g.meta["writes"] = {1: "p"}  # transposed is p's new value
    f = check_everything(g)
    plan = f.meta["memory"]
    assert plan.arena_bytes < sum(s.size for s in plan.arena_slots())
    (write,) = plan.writes
    assert write["mode"] == "copy" and write["reason"]
    assert plan.slot(write["node"]).copy_to == "p"
    with pytest.raises(ValueError, match="run fuse first"):
        plan_memory(softmax_graph())


def test_pipeline_verifies_times_and_dumps() -> None:
    dumps, timings, g = list[str](), dict[str, float](), layer_norm_graph()
    out = run_pipeline(g, dump_after=("fuse", "plan_memory"), dump=dumps.append, timings=timings)
    assert list(timings) == ["simplify", "fuse", "recompute", "plan_memory"]
    assert [name for name, _ in out.meta["passes"]] == list(timings)
    assert dumps[0].startswith("// IR after fuse\ngraph") and "= group 0 reduction(" in dumps[0]
    assert "peak live" in dumps[1] and "passes" not in g.meta


def test_pipeline_names_the_pass_that_broke_the_graph() -> None:
    def break_shapes(g: ir.Graph) -> ir.Graph:
        out = g.copy()
        out.nx.nodes[next(n for n in out.nodes() if out.op(n) == "exp")]["shape"] = (99,)
        return out

    def reverse_groups(g: ir.Graph) -> ir.Graph:
        out = g.copy()
        out.meta["group_order"] = out.meta["group_order"][::-1]
        return out

    with pytest.raises(VerifyError, match=r"in pass `break_shapes` \(after `simplify`\)"):
        run_pipeline(softmax_graph(), passes=(simplify, break_shapes, fuse))
    with pytest.raises(VerifyError, match=r"`reverse_groups` \(after `simplify`, `fuse`\).*later"):
        run_pipeline(softmax_graph(), passes=(simplify, fuse, reverse_groups))
    with pytest.raises(RuntimeError) as info:
        run_pipeline(softmax_graph(), passes=(fail,))
    assert "in pass `fail` (the first pass)" in info.value.__notes__


def fail(g: ir.Graph) -> ir.Graph:
    raise RuntimeError("a pass that crashes")


@pytest.mark.parametrize("batch", [(), (3,)])
def test_simplify_turns_a_transposed_product_around(batch) -> None:
    """permute(x^T @ dy) -> dy^T @ x (Linear's weight gradient in the weight's layout); not
    when the product has another user (the GEMM would run twice)."""
    swap = (*range(len(batch)), len(batch) + 1, len(batch))
    g = ir.Graph("t")
    b = ir.Builder(g)
    x, dy = _input(g, "x", (*batch, 5, 4)), _input(g, "dy", (*batch, 5, 6))
    grad = b.permute(b.matmul(b.permute(x, dims=swap), dy), dims=swap)  # (*batch, 6, 4)
    g.add_output(grad.id)
    s = check_everything(g)
    (mm,) = [n for n in s.nodes() if s.op(n) == "matmul"]
    assert s.op(s.operands(s.outputs[0])[0]) == "matmul"  # no permute after the product
    assert [s.op(v) for v in s.operands(mm)] == ["permute", "input"]
    kept = ir.Graph("t")
    b = ir.Builder(kept)
    x, dy = _input(kept, "x", (5, 4)), _input(kept, "dy", (5, 6))
    product = b.matmul(b.permute(x, dims=(1, 0)), dy)
    kept.add_output(b.permute(product, dims=(1, 0)).id)
    kept.add_output(product.id)
    s = check_everything(kept)
    assert sorted(s.op(n) for n in s.nodes() if s.op(n) in ("matmul", "permute")) == [
        "matmul", "permute", "permute"]


def test_arena_only_plan_for_targets_that_bind_no_scratch_in_params() -> None:
    """A target whose runtime binds no scratch inside params lowers the plan's arena-only
    version; where only the borrowed offsets met its alignment, it must not reuse the arena."""
    from tenkai.ir.passes.memory import BufferSlot, MemoryPlan, arena_only

    def slot(node: int, offset: int, within: str | None = None) -> BufferSlot:
        return BufferSlot(node, f"%{node}", "f32[16]", 64, "scratch", "scratch", 0, 1, offset,
                          within=within)

    plain = MemoryPlan("g", 2, [slot(1, 0), slot(2, 64)], arena_bytes=128)
    assert arena_only(plain, 64) == (plain, True)
    borrowed = MemoryPlan("g", 2, [slot(1, 0), slot(2, 0, "w.grad")], arena_bytes=64,
                          unborrowed=plain)
    assert arena_only(borrowed, 64) == (plain, True)
    assert arena_only(borrowed, 128) == (plain, False)  # 64 misses 128; the borrowed plan fits
    assert plain.arena_slots() == plain.slots and borrowed.arena_slots() == borrowed.slots[:1]
