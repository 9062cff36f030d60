"""Compiled (lower -> LLVM CPU -> runtime) vs interpreted, for every op of the registry.

One test per (op, sample, dtype) of ``tests/ir/registry_cases.py`` with a lowering: a one-op
graph is compiled and compared with ``ir.run`` (the oracle) at per-dtype tolerances. All the
graphs are compiled in a few batched modules (one per kernel class) so the suite stays fast.
Random ops must match bit for bit in float32 (and uniform in float64 too).
"""

from __future__ import annotations

import functools
import os
import sys
import zlib
from typing import Any

import numpy as np
import pytest
from cpu_harness import (
    Compiled,
    assert_matches,
    check_against_interpreter,
    compile_batch,
    feed_names,
    random_feeds,
    single_group,
)

import tenkai.ir as ir
from tenkai.codegen.lower.program import UNSUPPORTED
from tenkai.ir import REGISTRY, dtypes

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ir"))
from registry_cases import CASES, OpCase, Sample, broadcast_samples, make_inputs  # noqa: E402

# every sample is compiled in one batch up front: one worker pays it (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("llvm_ops_batch")

N_RANDOM = int(os.environ.get("TENKAI_TEST_CASES", "3"))
EXACT_RANDOM = {("uniform", "float32"), ("uniform", "float64"), ("bernoulli", "float32"),
                ("bernoulli", "float64"), ("randint", "float32"), ("randint", "int64"),
                ("randint", "int32"), ("normal", "float32")}


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _samples(case: OpCase) -> list[Sample]:
    extra = broadcast_samples(case.op, len(case.samples[0].shapes), N_RANDOM) \
        if case.broadcast else ()
    return [*case.samples, *extra]


def _params() -> list[Any]:
    out = []
    for case in CASES.values():
        if case.op not in REGISTRY or case.op in UNSUPPORTED:
            continue
        for k, sample in enumerate(_samples(case)):
            for dt in case.dtypes:
                if sample.only is None or dt in sample.only:
                    out.append(pytest.param(case.op, k, dt, id=f"{case.op}-{k}-{dt}"))
    return out


PARAMS = _params()


def _build(op: str, k: int, dt: str) -> tuple[ir.Graph, dict[str, np.ndarray]] | None:
    """The one-op graph and its feeds; None when the reference itself rejects the sample."""
    case = CASES[op]
    sample = _samples(case)[k]
    attrs = REGISTRY[op].normalize_attrs(sample.attrs_for(dt))
    arrays = make_inputs(case, sample, dt, _rng(op, k, dt), attrs)
    g = ir.Graph(op)
    ins = [g.add("input", shape=a.shape, dtype=dtypes.from_numpy(a.dtype), name=f"x{i}")
           for i, a in enumerate(arrays)]
    g.add_output(g.add(op, ins, **attrs))
    return g, {f"x{i}": a for i, a in enumerate(arrays)}


@functools.cache
def _compiled() -> dict[tuple[str, int, str], tuple[Compiled, dict[str, np.ndarray]]]:
    """Every case compiled, batched by kernel class (one LLVM module each)."""
    by_kind: dict[str, list[tuple[tuple[str, int, str], ir.Graph, dict[str, np.ndarray]]]] = {}
    for p in PARAMS:
        key = tuple(p.values)
        g, feeds = _build(*key)  # type: ignore[misc]
        by_kind.setdefault(REGISTRY[key[0]].kind, []).append((key, g, feeds))
    out = {}
    for kind, entries in by_kind.items():
        compiled = compile_batch([g for _, g, _ in entries], tag=f"{kind[:4]}")
        for (key, _, feeds), item in zip(entries, compiled, strict=True):
            out[key] = (item, feeds)
    return out


@pytest.mark.parametrize("op,k,dtype", PARAMS)
def test_op_compiled_matches_interpreter(op: str, k: int, dtype: str) -> None:
    item, feeds = _compiled()[(op, k, dtype)]
    try:
        want = ir.run(item.graph, feeds)[0]
    except Exception as err:  # the reference rejects this sample: compiled code need not run
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    got = item.run(feeds)[0]
    case = CASES[op]
    out_dtype = item.graph.dtype(item.graph.outputs[0])
    tol = (0.0, 0.0) if (op, out_dtype) in EXACT_RANDOM else case.tol.get(out_dtype)
    assert_matches(got, want, f"{op} sample {k} {dtype}", tol)


def test_every_sample_is_compiled_in_a_batch() -> None:
    compiled = _compiled()
    errors = {key: repr(item.error) for key, (item, _) in compiled.items() if item.error}
    assert not errors, errors


# ---------------------------------------------------------------- fused chains


def _softmax() -> ir.Graph:
    g = ir.Graph("softmax")
    x = g.add("input", shape=(6, 33), dtype="float32", name="x")
    m = g.add("max", [x], axes=(1,), keepdim=True)
    e = g.add("exp", [g.add("sub", [x, m])])
    g.add_output(g.add("div", [e, g.add("sum", [e], axes=(1,), keepdim=True)]))
    return g


def _layernorm() -> ir.Graph:
    g = ir.Graph("layernorm")
    x = g.add("input", shape=(4, 17), dtype="float64", name="x")
    w = g.add("param", shape=(17,), dtype="float64", name="ln.weight")
    b = g.add("param", shape=(17,), dtype="float64", name="ln.bias")
    mean = g.add("mean", [x], axes=(1,), keepdim=True)
    var = g.add("var", [x], axes=(1,), keepdim=True, correction=0)
    eps = g.add("full", shape=(), value=1e-5, dtype="float64")
    norm = g.add("mul", [g.add("sub", [x, mean]), g.add("rsqrt", [g.add("add", [var, eps])])])
    g.add_output(g.add("add", [g.add("mul", [norm, w]), b]))
    return g


def _linear_epilogue() -> ir.Graph:
    g = ir.Graph("linear")
    x = g.add("input", shape=(2, 1, 3, 4), dtype="float32", name="x")
    w = g.add("param", shape=(5, 2, 4), dtype="float32", name="w")
    b = g.add("param", shape=(2,), dtype="float32", name="b")
    y = g.add("matmul", [x, g.add("permute", [w], dims=(0, 2, 1))])
    r = g.add("relu", [g.add("add", [y, b])])
    g.add_output(r)
    g.add_output(g.add("mean", [r], axes=(0, 1, 2, 3), keepdim=False))
    g.add_output(g.add("sum", [r], axes=(1,), keepdim=False))
    return g


def _movement_soup() -> ir.Graph:
    g = ir.Graph("movement")
    x = g.add("input", shape=(3, 4), dtype="float32", name="x")
    y = g.add("input", shape=(5, 6), dtype="float32", name="y")
    t = g.add("permute", [g.add("reshape", [x], shape=(2, 6))], dims=(1, 0))  # (6, 2)
    s = g.add("slice", [y], starts=(1, 0), stops=(5, 6), steps=(2, 3))  # (2, 2)
    p = g.add("pad", [s], pads=((1, 3), (0, 0)), value=0.5)  # (6, 2)
    col = g.add("slice", [t], starts=(0, 0), stops=(6, 1), steps=(1, 1))  # (6, 1)
    c = g.add("cat", [t, p, g.add("expand", [col], shape=(6, 3))], axis=1)  # (6, 7)
    mask = g.add("gt", [c, g.add("full", shape=(), value=0.0, dtype="float32")])
    w = g.add("where", [mask, c, g.add("neg", [c])])
    g.add_output(g.add("slice_assign", [w, g.add("exp", [s])], starts=(2, 1), stops=(6, 5),
                       steps=(2, 2)))
    return g


def _indexing() -> ir.Graph:
    g = ir.Graph("indexing")
    x = g.add("input", shape=(5, 4), dtype="float32", name="x")
    idx = g.add("input", shape=(3,), dtype="int64", name="idx")
    gi = g.add("input", shape=(5, 2), dtype="int64", name="gi")
    rows = g.add("tanh", [g.add("take", [x, idx], axis=0)])  # (3, 4)
    acc = g.add("index_add", [g.add("sigmoid", [x]), idx, rows], axis=0, bounds="index")
    gat = g.add("gather", [acc, gi], axis=1, bounds="index")  # wraps, as x[i]
    g.add_output(g.add("scatter_add", [g.add("mul", [x, x]), gi, g.add("erf", [gat])], axis=1,
                       bounds="index"))
    g.add_output(g.add("argmax", [acc], axis=1, keepdim=False))
    return g


def _dropout() -> ir.Graph:
    g = ir.Graph("dropout")
    x = g.add("input", shape=(7, 9), dtype="float32", name="x")
    seed = g.add("input", shape=(), dtype="int64", name="rng.seed")
    off = g.add("input", shape=(), dtype="int64", name="rng.offset0")
    p = g.add("full", shape=(7, 9), value=0.75, dtype="float32")
    keep = g.add("bernoulli", [p, seed, off])
    scale = g.add("full", shape=(), value=1 / 0.75, dtype="float32")
    g.add_output(g.add("mul", [g.add("mul", [x, keep]), scale]))
    g.add_output(g.add("normal", [seed, off], shape=(3, 5), dtype="float64", mean=1.0, std=2.0))
    return g


def _conv_block() -> ir.Graph:
    g = ir.Graph("conv")
    x = g.add("input", shape=(2, 3, 9, 8), dtype="float32", name="x")
    w = g.add("param", shape=(4, 3, 3, 3), dtype="float32", name="conv.weight")
    b = g.add("param", shape=(4,), dtype="float32", name="conv.bias")
    y = g.add("conv2d", [x, w], padding=(1, 1))
    y = g.add("relu", [g.add("add", [y, g.add("reshape", [b], shape=(4, 1, 1))])])
    mp = g.add("max_pool2d", [y], kernel_size=(2, 2), stride=(2, 2))
    g.add_output(g.add("avg_pool2d", [mp], kernel_size=(2, 2), stride=(1, 1), padding=(1, 1)))
    g.add_output(g.add("conv2d_grad_weight", [x, y], weight_shape=(4, 3, 3, 3),
                       padding=(1, 1)))
    return g


def _reductions() -> ir.Graph:
    g = ir.Graph("reductions")
    x = g.add("input", shape=(8, 5, 3), dtype="float64", name="x")
    e = g.add("exp", [x])
    g.add_output(g.add("sum", [e], axes=(0,), keepdim=False))
    g.add_output(g.add("mean", [e], axes=(0, 2), keepdim=True))
    g.add_output(g.add("max", [x], axes=(0, 1), keepdim=False))
    g.add_output(g.add("argmin", [e], axis=0, keepdim=True))
    g.add_output(g.add("prod", [g.add("cast", [x], dtype="int32")], axes=(1,), keepdim=False))
    return g


def _large() -> ir.Graph:
    """Big enough that loops are split across the thread pool (tk_parallel_for)."""
    g = ir.Graph("large")
    x = g.add("input", shape=(600, 300), dtype="float32", name="x")
    w = g.add("param", shape=(300,), dtype="float32", name="w")
    idx = g.add("input", shape=(600, 300), dtype="int64", name="idx")
    y = g.add("mul", [g.add("exp", [x]), w])
    g.add_output(y)
    g.add_output(g.add("sum", [y], axes=(1,), keepdim=False))
    g.add_output(g.add("max", [x], axes=(0,), keepdim=True))
    g.add_output(g.add("gather", [y, idx], axis=1, bounds="index"))
    g.add_output(g.add("var", [x], axes=(1,), keepdim=False))
    return g


FUSED = {"softmax": _softmax, "layernorm": _layernorm, "linear": _linear_epilogue,
         "movement": _movement_soup, "indexing": _indexing, "dropout": _dropout,
         "conv": _conv_block, "reductions": _reductions, "large": _large}


def _feeds_for(g: ir.Graph) -> dict[str, np.ndarray]:
    feeds = random_feeds(g, seed=1)
    for name in ("idx", "gi"):
        if name in feeds:
            feeds[name] = feeds[name] - 1  # negative indices wrap
    return feeds


@functools.cache
def _fused_compiled() -> dict[tuple[str, bool], Compiled]:
    graphs, keys = [], []
    for name, make in FUSED.items():
        for fused in (False, True):
            g = make()
            graphs.append(single_group(g) if fused else g)
            keys.append((name, fused))
    return dict(zip(keys, compile_batch(graphs, tag="f"), strict=True))


@pytest.mark.parametrize("fused", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("name", list(FUSED))
def test_fused_chain_matches_interpreter(name: str, fused: bool) -> None:
    item = _fused_compiled()[(name, fused)]
    # float32 sums of hundreds of mixed-sign terms: the summation order (vector lanes vs numpy's
    # pairwise) shows at ~1e-6 absolute
    tol = {"conv": (1e-4, 1e-5), "large": (1e-4, 2e-5)}.get(name)
    check_against_interpreter(item, _feeds_for(item.graph), f"{name} fused={fused}", tol)


def test_fused_group_is_one_kernel() -> None:
    item = _fused_compiled()[("softmax", True)]
    assert item.program is not None and len(item.program.kernels) == 1
    assert item.program.kernels[0].source_ops == ["max", "sub", "exp", "sum", "div"]


# ---------------------------------------------------------------- a tiny MLP, forward + backward


def _mlp_backward_graph() -> ir.Graph:
    """The joint forward+backward graph the eager autograd derives for a 2-layer MLP step."""
    import tenkai as torch
    import tenkai.nn.functional as F
    from tenkai import _autograd

    torch.manual_seed(0)
    x, t = torch.randn(8, 5), torch.randint(0, 3, (8,))
    w1, b1 = torch.randn(5, 16, requires_grad=True), torch.zeros(16, requires_grad=True)
    w2, b2 = torch.randn(16, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    loss = F.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, t)
    before = set(_autograd._CACHE)
    loss.backward()
    new = [plan for key, plan in _autograd._CACHE.items() if key not in before]
    plan = new[-1] if new else next(reversed(_autograd._CACHE.values()))
    g = plan.graph.copy("mlp_step")
    forward = [n for n in g.nodes() if n < plan.n_forward and g.op(n) not in ("input", "param")]
    roots = [n for n in forward if not any(u in forward for u in g.users(n))]
    for r in roots:
        g.add_output(r)  # the loss, so the forward half is checked too
    return g


@functools.cache
def _mlp_compiled() -> dict[bool, Compiled]:
    graphs = [_mlp_backward_graph(), single_group(_mlp_backward_graph())]
    return dict(zip((False, True), compile_batch(graphs, tag="mlp"), strict=True))


@pytest.mark.parametrize("fused", [False, True], ids=["unfused", "fused"])
def test_mlp_forward_backward_matches_interpreter(fused: bool) -> None:
    item = _mlp_compiled()[fused]
    g = item.graph
    feeds = random_feeds(g, seed=3)
    for n, name in feed_names(g).items():
        if g.dtype(n) == "int64":  # class targets for the gather/scatter of the loss
            feeds[name] = np.random.default_rng(4).integers(0, 3, g.shape(n))
    assert any(g.op(n) == "matmul" for n in g.nodes())
    check_against_interpreter(item, feeds, f"mlp fused={fused}", (1e-4, 1e-5))


# ---------------------------------------------------------------- transcendental accuracy

MATH_OPS = ("exp", "log", "expm1", "log1p", "tanh", "sigmoid", "erf")
SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 88.72, 88.73, -87.3,
           -103.9, 709.78, 709.79, -745.1, -745.2, 5e-324, 1e-45, 3.0, 6.5]


def _math_values(op: str, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(f"{op}{dtype}".encode()))
    big = 110.0 if dtype == "float32" else 760.0
    parts = [rng.uniform(-big, big, 1024), rng.uniform(-3, 3, 1024), rng.normal(0, 1e-3, 512),
             np.exp(rng.uniform(-90 if dtype == "float32" else -700, 88, 1024))]
    with np.errstate(over="ignore"):
        return np.concatenate(parts + [np.asarray(SPECIAL)]).astype(dtype)


@functools.cache
def _math_compiled() -> dict[tuple[str, str], tuple[Compiled, np.ndarray]]:
    keys, graphs, values = [], [], []
    for op in MATH_OPS:
        for dt in ("float32", "float64"):
            x = _math_values(op, dt)
            g = ir.Graph(op)
            g.add_output(g.add(op, [g.add("input", shape=x.shape, dtype=dt, name="x")]))
            keys.append((op, dt))
            graphs.append(g)
            values.append(x)
    items = compile_batch(graphs, tag="m")
    return {k: (it, x) for k, it, x in zip(keys, items, values, strict=True)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", MATH_OPS)
def test_vectorized_math_is_accurate_over_wide_ranges(op: str, dtype: str) -> None:
    item, x = _math_compiled()[(op, dtype)]
    got = item.run({"x": x})[0]
    with np.errstate(all="ignore"):
        want = ir.run(item.graph, {"x": x})[0]
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(all="ignore"):  # inf - inf where one side overflowed: counted as bad
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        ulps = np.where(same, 0.0, err / np.spacing(np.abs(want)).astype(np.float64))
    # erf's reference is itself ~50 ulp off near |x| = 2.5 (a Taylor series with cancellation)
    limit = 4.0 if op != "erf" else 64.0
    worst = int(np.nanargmax(np.where(np.isnan(ulps), np.inf, ulps)))
    assert np.all(ulps <= limit), (f"{op} {dtype}: {ulps[worst]} ulp at x={x[worst]!r}: "
                                   f"compiled {got[worst]!r}, reference {want[worst]!r}")


# ---------------------------------------------------------------- through the real pass pipeline


@functools.cache
def _pipeline_compiled() -> dict[str, Compiled]:
    from tenkai.ir.passes.pipeline import run_pipeline

    graphs = {name: run_pipeline(make()) for name, make in FUSED.items()}
    graphs["mlp"] = run_pipeline(_mlp_backward_graph())
    return dict(zip(graphs, compile_batch(list(graphs.values()), tag="pp"), strict=True))


@pytest.mark.parametrize("name", [*FUSED, "mlp"])
def test_pass_pipeline_output_compiles_and_matches(name: str) -> None:
    pytest.importorskip("tenkai.ir.passes.pipeline")
    item = _pipeline_compiled()[name]
    assert item.graph.meta.get("groups"), "fusion annotated the graph"
    feeds = _feeds_for(item.graph)
    for n, fname in feed_names(item.graph).items():
        if name == "mlp" and item.graph.dtype(n) == "int64":
            feeds[fname] = np.random.default_rng(4).integers(0, 3, item.graph.shape(n))
    check_against_interpreter(item, feeds, f"{name} after run_pipeline", (1e-4, 1e-5))
