"""Whole graphs through the full compile path vs the interpreter, forward and backward.

Every compiled graph goes the way ``tenkai.compile`` takes it (frontend/compiler/backend.py):
``run_pipeline`` (simplify -> fuse -> recompute -> plan_memory) -> ``lower_program`` ->
``generate`` -> ``Executable``; its outputs are compared with ``ir.run`` on the graph *before*
the passes.
Compile time dominates, so graphs are compiled in batches (many programs per LLVM module,
``cpu_harness.compile_batch``) and each batch once per session.

1. Backward per op: every registry op with a VJP, on each ``registry_cases`` sample with a
   float operand (float32 and float64, plus the ``TENKAI_TEST_CASES``-capped random broadcast
   samples), as a one-op graph differentiated by ``ir.passes.autodiff``: the joint graph's
   forward value and every gradient, at per-dtype tolerances. (Forward alone is
   tests/codegen/test_llvm_ops.py.)
2. Fused groups: chains mixing kernel classes (elementwise -> reduction -> elementwise, matmul +
   bias + relu, softmax / log_softmax / cross-entropy, layer norm, conv + bias + relu + pool,
   indexing between elementwise ops, attention, ...), forward and backward, in both float
   dtypes; the fusion pass must have made multi-node groups (and the named ones).
3. Hypothesis random graphs (``graph_strategies.py``): forward, with some outputs made in-place
   state updates of params (``meta["writes"]``); and the autodiff of the sum of one output plus
   an SGD update of every param (a training step). ``TENKAI_TEST_CASES`` examples each
   (default 30, derandomized so CI sees the same graphs; raise it to search further).

A bug found here gets a minimal ``xfail(strict=True)`` test naming the function at fault (and
an entry in ``XFAIL_FUSED`` / ``XFAIL_CHAINS`` for generated cases it breaks) until it is
fixed; fixed ones keep the minimal test as a regression test (fusion group cycles, in-place
state writes read back by a reduction, zero-size reshapes in a group). Marked ``slow`` (CI runs
them; ``-m "not slow"`` skips them, and their batches are then never compiled): the window
ops (conv/pool compile the longest), the float32 half of section 1b (its float64 half has
the same structure), the conv and large chains.
"""

from __future__ import annotations

import functools
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from cpu_harness import TOL, Compiled, assert_matches, compile_batch
from graph_strategies import FLOATS, GraphCase, random_graphs
from hypothesis import HealthCheck, given, settings

import tenkai.ir as ir
from tenkai.codegen.lower.program import UNSUPPORTED
from tenkai.ir import REGISTRY, dtypes
from tenkai.ir.passes import autodiff, run_pipeline

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ir"))
from registry_cases import CASES, OpCase, Sample, broadcast_samples, make_inputs  # noqa: E402

# every sample is compiled in one batch up front: one worker pays it (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("compiled_graphs_batch")

N_BROADCAST = int(os.environ.get("TENKAI_TEST_CASES", "3"))  # as test_llvm_ops / test_registry
N_EXAMPLES = int(os.environ.get("TENKAI_TEST_CASES", "30"))
EXAMPLES = settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# ---------------------------------------------------------------- compile + compare


def compile_pipeline(graphs: Sequence[ir.Graph], tag: str) -> list[Compiled]:
    """Each graph through ``run_pipeline``, then all of them lowered into one module (an error
    stays on its graph's entry). ``Compiled.graph`` is the passed (fused) graph."""
    passed: list[ir.Graph | BaseException] = []
    for g in graphs:
        try:
            passed.append(run_pipeline(g))
        except Exception as err:  # reported by the test that owns this graph
            passed.append(err)
    ok = [p for p in passed if isinstance(p, ir.Graph)]
    compiled = iter(compile_batch(ok, tag=tag))
    return [next(compiled) if isinstance(p, ir.Graph) else Compiled(g, error=p)
            for g, p in zip(graphs, passed, strict=True)]


Tol = Callable[[np.ndarray], "tuple[float, float]"]


def dtype_tol(want: np.ndarray) -> tuple[float, float]:
    """cpu_harness's per-dtype tolerance (exact for ints and bools)."""
    return TOL.get(str(want.dtype), (0.0, 0.0))


def scaled_tol(g: ir.Graph, rtol32: float, rtol64: float) -> Tol:
    """A relative tolerance (``rtol32`` for every float output when any value of ``g`` is
    float32: a float64 gradient of a float32 computation has float32 precision) plus an
    absolute one scaled by the output's largest magnitude: sums and dot products of mixed-sign
    terms lose digits relative to their terms, not their result, and the summation order
    (vector lanes vs numpy's pairwise) differs."""
    rtol = rtol32 if any(g.dtype(n) == "float32" for n in g.nodes()) else rtol64

    def tol(want: np.ndarray) -> tuple[float, float]:
        if want.dtype.kind != "f":
            return (0.0, 0.0)
        finite = np.abs(want[np.isfinite(want)])
        return rtol, rtol * max(1.0, float(finite.max()) if finite.size else 1.0)
    return tol


def _out(g: ir.Graph, *values: ir.Value) -> None:
    """Make ``values`` graph outputs, in order."""
    for v in values:
        g.add_output(v.id)


def _groups(f: ir.Graph) -> list[list[str]]:
    """The op names of every fusion group, in execution order."""
    return [[f.op(n) for n in f.meta["groups"][gid]["nodes"]] for gid in f.meta["group_order"]]


def _compile_one(g: ir.Graph, tag: str) -> Compiled:
    (item,) = compile_pipeline([g], tag=tag)
    if item.error is not None:
        raise item.error
    return item


def check_compiled(item: Compiled, original: ir.Graph, feeds: dict[str, np.ndarray],
                   label: str, tol: Tol = dtype_tol,
                   params: dict[str, np.ndarray] | None = None) -> list[np.ndarray]:
    """Compiled ``item`` vs ``ir.run(original)`` on the same feeds, every output; returns the
    interpreter's values. ``params``: arrays to bind as the params themselves (state updates
    land in them), instead of copies of the feeds."""
    want = ir.run(original, feeds)
    exe_feeds = {k: np.copy(v) for k, v in feeds.items()
                 if item.executable is None or k in item.executable.slot}
    exe_feeds.update({k: v for k, v in (params or {}).items() if k in exe_feeds})
    got = [np.copy(a) for a in item.run(exe_feeds)]
    assert len(got) == len(want), f"{label}: {len(got)} outputs, expected {len(want)}"
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_matches(a, np.asarray(b), f"{label} output {k}", tol(np.asarray(b)))
    return want


def cotangents(jg: ir.Graph, seeds: Sequence[int], rng: np.random.Generator
               ) -> dict[str, np.ndarray]:
    """A random cotangent for each autodiff seed input (by its name)."""
    out = {}
    for s in seeds:
        shape, dt = jg.shape(s), jg.dtype(s)
        if dt == "bool":
            value: Any = rng.random(shape) < 0.5
        elif dtypes.is_float(dt):
            value = rng.uniform(-1.0, 1.0, shape)
        else:
            value = rng.integers(-2, 3, shape)
        out[jg.node_name(s)] = np.asarray(value, dtype=dtypes.to_numpy(dt))
    return out


def differentiate(g: ir.Graph, name: str | None = None) -> ir.passes.GradGraph:
    """autodiff of every output of ``g`` w.r.t. every float input and param."""
    outs = [g.operands(o)[0] for o in g.outputs]
    wrt = [n for n in sorted(g.inputs + g.params) if dtypes.is_float(g.dtype(n))]
    return autodiff(g, outs, wrt, name=name)


def add_sgd_updates(jg: ir.Graph, wrt: Sequence[int], grads: Sequence[int | None],
                    lr: float = 0.1) -> dict[int, str]:
    """Append ``p - lr * grad`` outputs for every param with a gradient, as in-place state
    updates (``jg.meta["writes"]``, a training step's optimizer); returns the writes."""
    b, writes = ir.Builder(jg), dict(jg.meta.get("writes", {}))
    for w, gid in zip(wrt, grads, strict=True):
        if gid is not None and jg.op(w) == "param":
            step = b.mul(jg.value(gid), b.scalar(lr, jg.dtype(w)))
            writes[len(jg.outputs)] = jg.node_name(w)
            jg.add_output(b.sub(jg.value(w), step).id)
    jg.meta["writes"] = writes
    return writes


def check_step(item: Compiled, original: ir.Graph, feeds: dict[str, np.ndarray], label: str,
               tol: Tol) -> None:
    """:func:`check_compiled` with the params bound as arrays of their own, then each param
    written by the step (``meta["writes"]``) must hold the interpreter's output."""
    params = {k: np.copy(v) for k, v in feeds.items() if original.op(original.find(k)) == "param"}
    want = check_compiled(item, original, feeds, label, tol, params=params)
    for index, name in original.meta.get("writes", {}).items():
        value = np.asarray(want[index])
        assert_matches(params[name], value, f"{label}: param {name} after the step", tol(value))


# ---------------------------------------------------------------- 1. backward of every op


def _samples(case: OpCase) -> list[Sample]:
    extra = broadcast_samples(case.op, len(case.samples[0].shapes), N_BROADCAST) \
        if case.broadcast else ()
    return [*case.samples, *extra]


def _differentiable(case: OpCase) -> bool:
    return case.op in REGISTRY and REGISTRY[case.op].vjp is not None and case.op not in UNSUPPORTED


def _float_operand(case: OpCase, sample: Sample) -> bool:
    return any(case.kind_of(i) == "x" for i in range(len(sample.shapes)))


def _grad_params() -> list[Any]:
    out = []
    for case in CASES.values():
        if case.op not in REGISTRY or not _differentiable(case):
            continue
        for k, sample in enumerate(_samples(case)):
            if not _float_operand(case, sample):
                continue  # uniform/normal/randint: only int64 seed operands, nothing to grad
            for dt in FLOATS:
                if dt in case.dtypes and (sample.only is None or dt in sample.only):
                    marks = [pytest.mark.slow] if REGISTRY[case.op].kind == "window" else []
                    out.append(pytest.param(case.op, k, dt, id=f"{case.op}-{k}-{dt}",
                                            marks=marks))
    return out


GRAD_PARAMS = _grad_params()


@dataclass
class OpGrad:
    """One op's joint forward+backward graph, its feeds and what autodiff returned."""

    graph: ir.Graph  # the joint graph, before the passes
    feeds: dict[str, np.ndarray]
    grads: list[int | None]
    wrt_names: list[str]


def _build_grad(op: str, k: int, dt: str) -> OpGrad:
    case = CASES[op]
    sample = _samples(case)[k]
    attrs = REGISTRY[op].normalize_attrs(sample.attrs_for(dt))
    arrays = make_inputs(case, sample, dt, _rng(op, k, dt), attrs)
    g = ir.Graph(op)
    ins = [g.add("input", shape=a.shape, dtype=dtypes.from_numpy(a.dtype), name=f"x{i}")
           for i, a in enumerate(arrays)]
    g.add_output(g.add(op, ins, **attrs))
    wrt = [n for n, a in zip(ins, arrays, strict=True) if a.dtype.kind == "f"]
    result = autodiff(g, g.operands(g.outputs[0]), wrt, name=f"{op}_grad")
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    feeds.update(cotangents(result.graph, result.seeds, _rng("ct", op, k, dt)))
    return OpGrad(result.graph, feeds, result.grads, [g.node_name(w) for w in wrt])


@functools.cache
def _grad_batch(kind: str) -> dict[tuple[str, int, str], tuple[Compiled, OpGrad]]:
    """Every backward case of one kernel class, compiled in one module (lazily: ``-k`` or
    ``-m "not slow"`` selections only pay for the classes they run)."""
    keys = [tuple(p.values) for p in GRAD_PARAMS if REGISTRY[p.values[0]].kind == kind]
    built = {key: _build_grad(*key) for key in keys}  # type: ignore[misc]
    items = compile_pipeline([b.graph for b in built.values()], tag=f"g{kind[:4]}")
    return {key: (item, b) for (key, b), item in zip(built.items(), items, strict=True)}


@pytest.mark.parametrize("op,k,dtype", GRAD_PARAMS)
def test_op_backward_compiled_matches_interpreter(op: str, k: int, dtype: str) -> None:
    item, built = _grad_batch(REGISTRY[op].kind)[(op, k, dtype)]
    try:
        ir.run(built.graph, built.feeds)
    except Exception as err:  # the reference rejects this sample: compiled code need not run
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    if CASES[op].grad == "none":  # random ops: no gradient reaches a float operand
        assert built.grads == [None] * len(built.grads)
    elif _samples(CASES[op])[k].grad:  # (grad=False samples: casts to ints, nan variances)
        assert all(gid is not None for gid in built.grads), f"{op}: a float operand got no grad"
    case_tol = CASES[op].tol

    def tol(want: np.ndarray) -> tuple[float, float]:
        return case_tol.get(str(want.dtype)) or dtype_tol(want)

    check_compiled(item, built.graph, built.feeds, f"{op} sample {k} {dtype} (forward+backward)",
                   tol)


def test_every_differentiable_op_has_backward_cases() -> None:
    """Completeness: every registry op with a VJP and a float operand is compiled backward."""
    covered = {p.values[0] for p in GRAD_PARAMS}
    seed_only = {op for op, case in CASES.items() if op in REGISTRY
                 and not any(_float_operand(case, s) for s in case.samples)}
    wanted = {op for op, d in REGISTRY.items()
              if d.vjp is not None and op not in ("output", *seed_only, *UNSUPPORTED)}
    assert wanted <= covered, f"no backward case for {sorted(wanted - covered)}"


# ---------------------------------------------------------------- 1b. every op inside a fused group

# kinds whose op must share a group with its neighbours (indexing, random, cat/pad, arange
# are single-node groups by the fusion rules; sources are inlined into their readers)
FUSIBLE = ("elementwise", "reduction", "contraction", "window", "movement")
OWN_GROUP = {"cat", "pad"}
# (op, sample, backward) -> reason, for cases a known bug breaks: xfail(strict=True)
XFAIL_FUSED: dict[tuple[str, int, bool], str] = {}


def _fused_params() -> list[Any]:
    out = []
    for case in CASES.values():
        if case.op not in REGISTRY or case.op in UNSUPPORTED:
            continue
        for k, sample in enumerate(_samples(case)):
            for dt in FLOATS:
                if dt in case.dtypes and (sample.only is None or dt in sample.only):
                    for backward in (False, True):
                        if backward and not (_differentiable(case)
                                             and _float_operand(case, sample)):
                            continue
                        slow = REGISTRY[case.op].kind == "window" or dt == "float32"
                        marks = [pytest.mark.slow] if slow else []
                        if (case.op, k, backward) in XFAIL_FUSED:
                            marks.append(pytest.mark.xfail(
                                strict=True, reason=XFAIL_FUSED[(case.op, k, backward)]))
                        mode = "backward" if backward else "forward"
                        out.append(pytest.param(case.op, k, dt, backward, marks=marks,
                                                id=f"{case.op}-{k}-{dt}-{mode}"))
    return out


FUSED_PARAMS = _fused_params()


def _twice_half(b: ir.Builder, x: ir.Value) -> ir.Value:
    """``x * 0.5 + x * 0.5``: an elementwise prologue that keeps every value exactly (the
    sample's domain, ties of round included) but that simplify does not fold away."""
    h = b.mul(x, b.scalar(0.5, x.dtype))
    return b.add(h, h)


def _build_fused(op: str, k: int, dt: str, backward: bool) -> OpGrad:
    """prologue (float operands) -> op -> epilogue ``3y + y`` (a cast to ``dt`` first for bool
    and integer results); backward: autodiff w.r.t. the float operands, plus the seeds."""
    case = CASES[op]
    sample = _samples(case)[k]
    attrs = REGISTRY[op].normalize_attrs(sample.attrs_for(dt))
    arrays = make_inputs(case, sample, dt, _rng(op, k, dt), attrs)
    g = ir.Graph(f"{op}_fused")
    b = ir.Builder(g)
    ins = [g.value(g.add("input", shape=a.shape, dtype=dtypes.from_numpy(a.dtype),
                         name=f"x{i}")) for i, a in enumerate(arrays)]
    args = [_twice_half(b, v) if dtypes.is_float(v.dtype) else v for v in ins]
    y = b.emit(op, *args, **attrs)
    if not dtypes.is_float(y.dtype):
        y = b.cast(y, dtype=dt)
    g.add_output(b.add(b.mul(y, b.scalar(3.0, y.dtype)), y).id)
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    wrt = [v.id for v in ins if dtypes.is_float(v.dtype)]
    if not backward:
        return OpGrad(g, feeds, [], [g.node_name(w) for w in wrt])
    result = autodiff(g, g.operands(g.outputs[0]), wrt, name=f"{op}_fused_grad")
    feeds.update(cotangents(result.graph, result.seeds, _rng("ct", op, k, dt, "fused")))
    return OpGrad(result.graph, feeds, result.grads, [g.node_name(w) for w in wrt])


@functools.cache
def _fused_batch(kind: str, dt: str) -> dict[tuple[str, int, str, bool], tuple[Compiled, OpGrad]]:
    """One module per (kernel class, dtype): the float32 ones are marked slow, and a
    deselected batch is never compiled."""
    keys = [tuple(p.values) for p in FUSED_PARAMS
            if REGISTRY[p.values[0]].kind == kind and p.values[2] == dt]
    built = {key: _build_fused(*key) for key in keys}  # type: ignore[misc]
    items = compile_pipeline([b.graph for b in built.values()], tag=f"u{kind[:4]}{dt[-2:]}")
    return {key: (item, b) for (key, b), item in zip(built.items(), items, strict=True)}


@pytest.mark.parametrize("op,k,dtype,backward", FUSED_PARAMS)
def test_op_in_fused_group_compiled_matches_interpreter(op: str, k: int, dtype: str,
                                                        backward: bool) -> None:
    item, built = _fused_batch(REGISTRY[op].kind, dtype)[(op, k, dtype, backward)]
    try:
        ir.run(built.graph, built.feeds)
    except Exception as err:  # the reference rejects this sample: compiled code need not run
        pytest.skip(f"reference raises {type(err).__name__}: {err}")
    if item.error is not None:
        raise item.error
    fused = item.graph
    mine = [rec["nodes"] for rec in fused.meta["groups"].values()
            if any(fused.op(n) == op for n in rec["nodes"])]
    if REGISTRY[op].kind in FUSIBLE and op not in OWN_GROUP and mine:  # (none: simplified)
        assert any(len(nodes) > 1 for nodes in mine), \
            f"{op}: alone in its group(s): {_groups(fused)}"
    case_tol = CASES[op].tol

    def tol(want: np.ndarray) -> tuple[float, float]:
        return case_tol.get(str(want.dtype)) or dtype_tol(want)

    check_compiled(item, built.graph, built.feeds,
                   f"{op} sample {k} {dtype} fused {'backward' if backward else 'forward'}", tol)


@pytest.mark.parametrize("src,dst", [((3, 0), (0, 3)), ((2, 0, 3), (3, 0, 2))])
def test_reshape_of_a_zero_size_value_in_a_group(src: tuple[int, ...], dst: tuple[int, ...]
                                                 ) -> None:
    """Regression: reshape(x * 3) of a zero-size x (what the VJP of ``3 * reshape(x)`` of an
    empty tensor looks like after fusion) crashed lowering with ZeroDivisionError: the
    reshape's index math (IndexExprs.unflatten -> imod) divided by the zero dim."""
    g = ir.Graph("zero_reshape")
    b = ir.Builder(g)
    x = g.value(g.add("input", shape=src, dtype="float32", name="x"))
    _out(g, b.reshape(b.mul(x, b.scalar(3.0, "float32")), shape=dst))
    check_compiled(_compile_one(g, "zr"), g, {"x": np.zeros(src, np.float32)}, "zero reshape")


# ---------------------------------------------------------------- 2. fused groups


@dataclass
class Chain:
    """A graph mixing kernel classes, its feeds, and op-name sets the fusion pass must put
    into one group (forward graph)."""

    graph: ir.Graph
    feeds: dict[str, np.ndarray]
    together: list[set[str]]


def _new(name: str, dt: str) -> tuple[ir.Graph, ir.Builder, dict[str, np.ndarray],
                                      np.random.Generator]:
    g = ir.Graph(name)
    return g, ir.Builder(g), {}, _rng("chain", name, dt)


def _in(g: ir.Graph, feeds: dict[str, np.ndarray], rng: np.random.Generator, name: str,
        shape: tuple[int, ...], dt: str, lo: float = -2.0, hi: float = 2.0,
        param: bool = False) -> ir.Value:
    node = g.add("param" if param else "input", shape=shape, dtype=dt, name=name)
    if dtypes.is_float(dt):
        feeds[name] = np.asarray(rng.uniform(lo, hi, shape), dtype=dtypes.to_numpy(dt))
    else:  # indices in [lo, hi)
        feeds[name] = np.asarray(rng.integers(int(lo), int(hi), shape), dtype=dtypes.to_numpy(dt))
    return g.value(node)


def _log_softmax(b: ir.Builder, x: ir.Value, axis: int) -> ir.Value:
    s = b.sub(x, b.max(x, axes=(axis,), keepdim=True))
    return b.sub(s, b.log(b.sum(b.exp(s), axes=(axis,), keepdim=True)))


def chain_ew_reduce_ew(dt: str) -> Chain:
    """Row-normalize tanh(x) * w + b, and log-mean-exp over the other axis."""
    g, b, feeds, rng = _new("ew_reduce_ew", dt)
    x, w = _in(g, feeds, rng, "x", (5, 12), dt), _in(g, feeds, rng, "w", (12,), dt, param=True)
    bias = _in(g, feeds, rng, "b", (5, 1), dt, param=True)
    y = b.add(b.mul(b.tanh(x), w), bias)
    norm = b.sqrt(b.add(b.sum(b.mul(y, y), axes=(1,), keepdim=True), b.scalar(1e-3, dt)))
    lme = b.log(b.mean(b.exp(y), axes=(0,), keepdim=False))
    _out(g, b.div(y, norm), b.mul(lme, b.scalar(2.0, dt)))
    return Chain(g, feeds, [{"tanh", "mul", "add", "sum"}, {"mean", "log"}])


def chain_linear_relu(dt: str) -> Chain:
    """relu(x @ W^T + b) on a 2-D and a batched 3-D input, and an MSE on top."""
    g, b, feeds, rng = _new("linear_relu", dt)
    x = _in(g, feeds, rng, "x", (6, 7), dt)
    xb = _in(g, feeds, rng, "xb", (2, 3, 7), dt)
    w = _in(g, feeds, rng, "fc.weight", (5, 7), dt, param=True)
    bias = _in(g, feeds, rng, "fc.bias", (5,), dt, param=True)
    wt = b.permute(w, dims=(1, 0))
    h = b.relu(b.add(b.matmul(x, wt), bias))
    hb = b.relu(b.add(b.matmul(xb, wt), bias))
    t = _in(g, feeds, rng, "target", (6, 5), dt)
    d = b.sub(h, t)
    _out(g, hb, b.mean(b.mul(d, d), axes=(0, 1), keepdim=False))
    return Chain(g, feeds, [{"matmul", "add", "relu"}])  # (the shared transpose: its own)


def chain_softmax(dt: str) -> Chain:
    g, b, feeds, rng = _new("softmax", dt)
    x = _in(g, feeds, rng, "x", (7, 10), dt, -4.0, 4.0)
    s = b.sub(x, b.max(x, axes=(1,), keepdim=True))
    e = b.exp(s)
    _out(g, b.div(e, b.sum(e, axes=(1,), keepdim=True)))
    return Chain(g, feeds, [{"sub", "exp", "sum"}])


def chain_log_softmax(dt: str) -> Chain:
    """log_softmax over axis 0 of a transposed input (a strided reduction axis)."""
    g, b, feeds, rng = _new("log_softmax", dt)
    x = _in(g, feeds, rng, "x", (9, 6), dt, -4.0, 4.0)
    _out(g, _log_softmax(b, b.permute(x, dims=(1, 0)), 1))
    return Chain(g, feeds, [{"exp", "sum", "log"}])


def chain_cross_entropy(dt: str) -> Chain:
    """mean NLL of log_softmax at int64 targets (gather), plus a label-smoothing term."""
    g, b, feeds, rng = _new("cross_entropy", dt)
    n, c = 8, 5
    x = _in(g, feeds, rng, "logits", (n, c), dt, -3.0, 3.0)
    t = _in(g, feeds, rng, "t", (n, 1), "int64", 0, c)
    lsm = _log_softmax(b, x, 1)
    nll = b.neg(b.reshape(b.gather(lsm, t, axis=1), shape=(n,)))
    smooth = b.neg(b.mean(lsm, axes=(0, 1), keepdim=False))
    loss = b.add(b.mul(b.mean(nll, axes=(0,), keepdim=False), b.scalar(0.9, dt)),
                 b.mul(smooth, b.scalar(0.1, dt)))
    _out(g, loss)
    return Chain(g, feeds, [{"exp", "sum", "log"}])


def chain_layer_norm(dt: str) -> Chain:
    """Layer norm written twice: with the ``var`` op and with mean((x - mean)^2)."""
    g, b, feeds, rng = _new("layer_norm", dt)
    d = 16
    x = _in(g, feeds, rng, "x", (2, 4, d), dt)
    gamma = _in(g, feeds, rng, "ln.weight", (d,), dt, 0.5, 1.5, param=True)
    beta = _in(g, feeds, rng, "ln.bias", (d,), dt, param=True)
    eps = b.scalar(1e-5, dt)
    mean = b.mean(x, axes=(2,), keepdim=True)
    xc = b.sub(x, mean)
    var = b.mean(b.mul(xc, xc), axes=(2,), keepdim=True)
    y1 = b.add(b.mul(b.mul(xc, b.rsqrt(b.add(var, eps))), gamma), beta)
    var2 = b.var(x, axes=(2,), keepdim=True, correction=0)
    y2 = b.div(b.sub(x, mean), b.sqrt(b.add(var2, eps)))
    _out(g, y1, b.mul(y2, gamma))
    return Chain(g, feeds, [{"sub", "mul", "mean"}, {"add", "rsqrt"}])


def chain_conv_block(dt: str) -> Chain:
    """conv2d + bias + relu -> max_pool2d -> avg_pool2d -> flatten -> linear."""
    g, b, feeds, rng = _new("conv_block", dt)
    x = _in(g, feeds, rng, "x", (2, 3, 8, 8), dt)
    w = _in(g, feeds, rng, "conv.weight", (4, 3, 3, 3), dt, -0.5, 0.5, param=True)
    cb = _in(g, feeds, rng, "conv.bias", (4,), dt, param=True)
    y = b.relu(b.add(b.conv2d(x, w, padding=(1, 1)), b.reshape(cb, shape=(4, 1, 1))))
    p = b.max_pool2d(y, kernel_size=(2, 2), stride=(2, 2))
    a = b.avg_pool2d(p, kernel_size=(2, 2), stride=(2, 2))
    fw = _in(g, feeds, rng, "fc.weight", (16, 3), dt, -0.5, 0.5, param=True)
    _out(g, b.tanh(b.matmul(b.reshape(a, shape=(2, 16)), fw)))
    return Chain(g, feeds, [{"conv2d", "add", "relu"}])


def chain_indexing(dt: str, put: bool = False) -> Chain:
    """take / gather / index_add / scatter_add (and with ``put``: index_put, slice_assign)
    between elementwise ops (negative indices too: every op here uses advanced indexing's
    wrapping rule, ``bounds="index"``)."""
    g, b, feeds, rng = _new("indexing_put" if put else "indexing", dt)
    x = _in(g, feeds, rng, "x", (5, 4), dt)
    idx = _in(g, feeds, rng, "idx", (3,), "int64", -5, 5)
    gi = _in(g, feeds, rng, "gi", (5, 2), "int64", -4, 4)
    pos = np.asarray(rng.permutation(5)[:2] - 5 * (rng.random(2) < 0.5), dtype=np.int64)
    upos = g.value(g.add("const", value=pos))  # distinct rows: index_put is order-free
    rows = b.tanh(b.mul(b.take(b.exp(b.neg(x)), idx, axis=0), b.scalar(0.5, dt)))  # (3, 4)
    acc = b.index_add(b.sigmoid(x), idx, b.mul(rows, rows), axis=0, bounds="index")  # (5, 4)
    gat = b.gather(b.sin(acc), gi, axis=1, bounds="index")  # (5, 2)
    sc = b.relu(b.scatter_add(b.mul(x, x), gi, b.erf(gat), axis=1, bounds="index"))
    if put:
        sc = b.index_put(sc, upos, b.cos(b.slice(acc, starts=(0, 0), stops=(2, 4),
                                                 steps=(1, 1))), axis=0)
        sc = b.slice_assign(sc, b.abs(gat), starts=(0, 1), stops=(5, 3), steps=(1, 1))
    _out(g, b.add(b.mul(sc, b.scalar(3.0, dt)), x))
    return Chain(g, feeds, [{"neg", "exp"}, {"mul", "tanh"}])


def chain_attention(dt: str) -> Chain:
    """softmax(q k^T / sqrt(d)) v with projections: contraction -> reduction -> contraction."""
    g, b, feeds, rng = _new("attention", dt)
    x = _in(g, feeds, rng, "x", (2, 5, 8), dt, -1.0, 1.0)
    wq, wk, wv = (_in(g, feeds, rng, f"w{c}", (8, 4), dt, -0.7, 0.7, param=True) for c in "qkv")
    q, k, v = b.matmul(x, wq), b.matmul(x, wk), b.matmul(x, wv)
    s = b.mul(b.matmul(q, b.permute(k, dims=(0, 2, 1))), b.scalar(0.5, dt))
    e = b.exp(b.sub(s, b.max(s, axes=(2,), keepdim=True)))
    p = b.div(e, b.sum(e, axes=(2,), keepdim=True))
    _out(g, b.add(b.matmul(p, v), b.slice(x, starts=(0, 0, 0), stops=(2, 5, 8),
                                           steps=(1, 1, 2))))
    return Chain(g, feeds, [{"permute", "matmul", "mul"}])


def chain_movement_mix(dt: str) -> Chain:
    """pad / cat / expand / slice / reshape between elementwise ops and a reduction."""
    g, b, feeds, rng = _new("movement_mix", dt)
    x = _in(g, feeds, rng, "x", (3, 4), dt)
    y = _in(g, feeds, rng, "y", (3, 2), dt)
    p = b.pad(b.exp(y), pads=((0, 0), (1, 1)), value=0.5)  # (3, 4)
    c = b.cat(b.sigmoid(x), p, b.expand(b.slice(x, starts=(0, 0), stops=(3, 1),
                                                 steps=(1, 1)), shape=(3, 2)), axis=1)  # (3, 10)
    r = b.reshape(b.permute(b.mul(c, c), dims=(1, 0)), shape=(5, 6))
    m = b.max(r, axes=(0,), keepdim=True)
    _out(g, b.sub(r, m), b.sum(b.log1p(b.abs(r)), axes=(1,), keepdim=False))
    return Chain(g, feeds, [{"mul", "permute"}])


def chain_mixed_precision(dt: str) -> Chain:
    """float32 storage, float64 accumulation (casts in both directions), clamp and where."""
    g, b, feeds, rng = _new("mixed_precision", dt)
    other = "float64" if dt == "float32" else "float32"
    x = _in(g, feeds, rng, "x", (6, 9), dt)
    w = _in(g, feeds, rng, "w", (9, 3), dt, param=True)
    h = b.cast(b.matmul(b.clamp(x, min=-1.5, max=1.0), w), dtype=other)
    s = b.sum(b.mul(h, h), axes=(0,), keepdim=True)
    gate = b.gt(x, b.scalar(0.0, dt))
    z = b.where(gate, b.exp(b.mul(x, b.scalar(0.5, dt))), b.neg(x))
    _out(g, b.cast(b.div(h, b.add(s, b.scalar(1.0, other))), dtype=dt),
         b.sum(z, axes=(1,), keepdim=False))
    # h * h moves into the sum's loop (recompute-vs-keep): the sum reads h there, not h * h
    return Chain(g, feeds, [{"matmul", "cast"}, {"mul", "sum"}, {"gt", "where", "exp", "sum"}])


def chain_large(dt: str) -> Chain:
    """Big enough for the parallel paths: loop nests split across the thread pool (over
    2 * 65536 innermost iterations) and the threaded GEMM (M*N*K over 64^3): a linear layer
    with a relu epilogue, then softmax and layer-norm statistics over 520-wide rows."""
    g, b, feeds, rng = _new("large", dt)
    x = _in(g, feeds, rng, "x", (300, 96), dt, -1.0, 1.0)
    w = _in(g, feeds, rng, "w", (96, 520), dt, -0.2, 0.2, param=True)
    bias = _in(g, feeds, rng, "b", (520,), dt, param=True)
    h = b.relu(b.add(b.matmul(x, w), bias))  # (300, 520)
    e = b.exp(b.sub(h, b.max(h, axes=(1,), keepdim=True)))
    p = b.div(e, b.sum(e, axes=(1,), keepdim=True))
    xc = b.sub(h, b.mean(h, axes=(1,), keepdim=True))
    ln = b.mul(xc, b.rsqrt(b.add(b.mean(b.mul(xc, xc), axes=(1,), keepdim=True),
                                 b.scalar(1e-5, dt))))
    _out(g, b.add(b.mul(p, b.scalar(100.0, dt)), ln))
    return Chain(g, feeds, [{"matmul", "add", "relu"}])


CHAINS: dict[str, Callable[[str], Chain]] = {
    "ew_reduce_ew": chain_ew_reduce_ew, "linear_relu": chain_linear_relu,
    "softmax": chain_softmax, "log_softmax": chain_log_softmax,
    "cross_entropy": chain_cross_entropy, "layer_norm": chain_layer_norm,
    "conv_block": chain_conv_block, "indexing": chain_indexing,
    "indexing_put": functools.partial(chain_indexing, put=True), "attention": chain_attention,
    "movement_mix": chain_movement_mix, "mixed_precision": chain_mixed_precision,
    "large": chain_large,
}
SLOW_CHAINS = {"conv_block", "large"}


def _chain_graph(name: str, dt: str, backward: bool) -> tuple[ir.Graph, dict[str, np.ndarray],
                                                              Chain]:
    chain = CHAINS[name](dt)
    if not backward:
        return chain.graph, chain.feeds, chain
    result = differentiate(chain.graph, name=f"{name}_grad")
    g = chain.graph
    add_sgd_updates(result.graph, [n for n in sorted(g.inputs + g.params)
                                   if dtypes.is_float(g.dtype(n))], result.grads)
    feeds = {**chain.feeds, **cotangents(result.graph, result.seeds, _rng("ct", name, dt))}
    return result.graph, feeds, chain


@functools.cache
def _chains_compiled(slow: bool) -> dict[tuple[str, str, bool], tuple[Compiled, ir.Graph,
                                                                      dict[str, np.ndarray],
                                                                      Chain]]:
    """Every chain, forward and backward, in both dtypes: one module for the slow chains,
    one for the others."""
    keys = [(n, dt, bw) for n in CHAINS if (n in SLOW_CHAINS) == slow for dt in FLOATS
            for bw in (False, True)]
    built = [_chain_graph(*key) for key in keys]
    items = compile_pipeline([g for g, _, _ in built], tag="ch")
    return {key: (item, *b) for key, item, b in zip(keys, items, built, strict=True)}


# chain (name, backward) -> reason, for chains a known bug breaks: xfail(strict=True)
XFAIL_CHAINS: dict[tuple[str, bool], str] = {}


def _chain_params() -> list[Any]:
    out = []
    for name in CHAINS:
        for dt in FLOATS:
            for backward in (False, True):
                marks = [pytest.mark.slow] if name in SLOW_CHAINS else []
                if (name, backward) in XFAIL_CHAINS:
                    marks.append(pytest.mark.xfail(strict=True,
                                                   reason=XFAIL_CHAINS[(name, backward)]))
                out.append(pytest.param(name, dt, backward, marks=marks,
                                        id=f"{name}-{dt}-{'backward' if backward else 'forward'}"))
    return out


@pytest.mark.parametrize("name,dtype,backward", _chain_params())
def test_fused_chain_compiled_matches_interpreter(name: str, dtype: str, backward: bool) -> None:
    item, graph, feeds, chain = _chains_compiled(name in SLOW_CHAINS)[(name, dtype, backward)]
    if item.error is not None:
        raise item.error
    fused = item.graph
    groups = _groups(fused)
    multi = [ops for ops in groups if len(ops) > 1]
    assert multi, f"{name}: fusion made no multi-node group: {groups}"
    if backward:  # some group fuses backward nodes (ids past the forward graph's)
        first_new = max(chain.graph.nodes()) + 1
        assert any(len(fused.meta["groups"][gid]["nodes"]) > 1
                   and any(n >= first_new for n in fused.meta["groups"][gid]["nodes"])
                   for gid in fused.meta["group_order"]), f"{name}: backward not fused: {groups}"
    else:
        for ops in chain.together:
            assert any(ops <= set(grp) for grp in groups), \
                f"{name}: expected {sorted(ops)} in one group, got {groups}"
    check_step(item, graph, feeds, f"{name} {dtype} {'backward' if backward else 'forward'}",
               scaled_tol(graph, 1e-4, 1e-9))


def test_fuse_finds_paths_through_groups_that_span_positions() -> None:
    """Regression: relu(x) -> index_put -> mul(., 3) and mul(y, 3) -> slice_assign ->
    index_put -> add(relu(x), .). Once {relu, add} is one group and the two muls (siblings
    reading the same 3.0) merge, the group path mul(y) -> slice_assign -> index_put ->
    {relu, add} -> index_put -> mul(p) must be seen: ``_Partition.reaches`` used to prune it
    (slice_assign's topological position is past mul(p)'s although {relu, add} spans both
    sides) and fuse raised "the groups form a cycle"."""
    g = ir.Graph("fuse_cycle")
    b = ir.Builder(g)
    x, y = (g.value(g.add("input", shape=(5, 4), dtype="float32", name=n)) for n in "xy")
    s = g.value(g.add("input", shape=(2, 4), dtype="float32", name="s"))
    idx = g.value(g.add("const", value=np.array([2, 4])))
    three, zero = b.scalar(3.0, "float32"), b.scalar(0.0, "float32")
    r = b.relu(x)
    o1 = b.mul(b.index_put(r, idx, s, axis=0), three)
    q = b.slice_assign(b.mul(y, three), zero, starts=(0, 1), stops=(5, 3), steps=(1, 1))
    o2 = b.add(r, b.index_put(q, idx, zero, axis=0))
    _out(g, o1, o2)
    feeds = {"x": _rng("fc").uniform(-1, 1, (5, 4)).astype(np.float32),
             "y": _rng("fc", 1).uniform(-1, 1, (5, 4)).astype(np.float32),
             "s": _rng("fc", 2).uniform(-1, 1, (2, 4)).astype(np.float32)}
    check_compiled(_compile_one(g, "cyc"), g, feeds, "fuse cycle")


@pytest.mark.parametrize("axes", [(1,), (0,), (0, 1)])
def test_inplace_update_is_not_seen_by_a_reduction_of_the_old_param(axes: tuple[int, ...]
                                                                     ) -> None:
    """Regression: an SGD step ``w <- w - 0.1 * grad`` (in place) that also returns ``sum(w)``
    of the old weights. Fused as one reduction kernel that co-stores the update, the store
    ``w[i] = new`` came before the sum's own ``acc += w[i]``, and ``_inplace_ok`` allowed it."""
    g = ir.Graph("inplace_sibling")
    b = ir.Builder(g)
    w = g.value(g.add("param", shape=(4, 3), dtype="float32", name="w"))
    grad = g.value(g.add("input", shape=(4, 3), dtype="float32", name="grad"))
    _out(g, b.sub(w, b.mul(grad, b.scalar(0.1, "float32"))), b.sum(w, axes=axes))
    g.meta["writes"] = {0: "w"}
    rng = _rng("inplace", axes)
    feeds = {n: rng.uniform(-1, 1, (4, 3)).astype(np.float32) for n in ("w", "grad")}
    check_step(_compile_one(g, "ip"), g, feeds, "in-place sibling", dtype_tol)


# ---------------------------------------------------------------- 3. random graphs



@EXAMPLES
@given(case=random_graphs(writes=True))
def test_random_graph_compiled_matches_interpreter(case: GraphCase) -> None:
    """Forward; some outputs are state updates of params (``meta["writes"]``): the compiled
    step must write them into the param arrays, without earlier reads seeing new values."""
    check_step(_compile_one(case.graph, "rf"), case.graph, case.feeds(), "random graph",
               scaled_tol(case.graph, 2e-4, 1e-9))


@EXAMPLES
@given(case=random_graphs(differentiable=True))
def test_random_graph_gradients_compiled_match_interpreter(case: GraphCase) -> None:
    """The autodiff of sum(one output) w.r.t. every float input and param, plus an SGD update
    of every param as an in-place state write (a training step)."""
    g = case.graph
    loss_of = g.operands(case.float_outputs[-1])[0]
    b = ir.Builder(g)
    loss = b.sum(g.value(loss_of), axes=tuple(range(len(g.shape(loss_of)))), keepdim=False)
    g.add_output(loss.id)
    wrt = [n for n in sorted(g.inputs + g.params) if dtypes.is_float(g.dtype(n))]
    result = autodiff(g, [loss.id], wrt, name="random_grad")
    jg = result.graph
    add_sgd_updates(jg, wrt, result.grads)
    feeds = {**case.feeds(), **cotangents(jg, result.seeds, _rng("ct", case.seed))}
    check_step(_compile_one(jg, "rb"), jg, feeds, "random graph backward",
               scaled_tol(jg, 2e-4, 1e-9))
