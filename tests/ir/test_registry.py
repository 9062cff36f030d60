"""Tests generated from the op registry: every op in ``tenkai.ir.REGISTRY`` gets them.

* completeness: an op with no entry in ``registry_cases.CASES`` (and no reason in ``EXEMPT``)
  fails ``test_op_has_case[<op>]``;
* forward: build a one-op graph, verify it, run the interpreter, check dtype/shape against the
  rules and values against PyTorch;
* gradients: VJP graphs vs central finite differences in float64 (random direction, plus the
  full Jacobian for tiny shapes), second order for a few ops, exact zeros for step functions;
* shape/dtype rule errors, random ops (determinism, statistics, Philox known answers).

``TENKAI_TEST_CASES`` sets how many random broadcast shape samples each broadcasting op gets.
"""

from __future__ import annotations

import functools
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from registry_cases import CASES, EXEMPT, OpCase, Sample, broadcast_samples, make_inputs

import tenkai.ir as ir
from tenkai.ir import REGISTRY, dtypes
from tenkai.ir.passes import autodiff

N_RANDOM = int(os.environ.get("TENKAI_TEST_CASES", "3"))
TOL = {"float16": (1e-3, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}
GRAD_MODES = ("fd", "zero", "none", "nondiff", "ignored", "raises")
EPS = 1e-6  # central-difference step in float64
FD_RTOL, FD_ATOL = 1e-6, 1e-7
JACOBIAN_MAX = 12  # full Jacobian check when inputs and output have at most this many elements


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def samples_of(case: OpCase) -> list[Sample]:
    arity = len(case.samples[0].shapes)
    extra = broadcast_samples(case.op, arity, N_RANDOM) if case.broadcast else ()
    return [*case.samples, *extra]


def grad_mode(case: OpCase) -> str:
    if case.grad is not None:
        return case.grad
    return "nondiff" if REGISTRY[case.op].vjp is None else "fd"


def _registered_cases() -> list[OpCase]:
    return [case for name, case in CASES.items() if name in REGISTRY]


# ---------------------------------------------------------------- graph helpers


def build(op: str, arrays: Sequence[np.ndarray], attrs: dict[str, Any]
          ) -> tuple[ir.Graph, list[int], int]:
    """A graph ``x0, x1, ... -> op -> output``; returns it, the input ids and the op node."""
    g = ir.Graph(op)
    ins = [g.add("input", shape=a.shape, dtype=dtypes.from_numpy(a.dtype), name=f"x{i}")
           for i, a in enumerate(arrays)]
    out = g.add(op, ins, **attrs)
    g.add_output(out)
    return g, ins, out


def evaluate(g: ir.Graph, nodes: Sequence[int], env: dict[int, np.ndarray]) -> list[np.ndarray]:
    """Values of ``nodes`` given values for some nodes (by id)."""
    return ir.Plan(g, list(nodes), set(env)).run(dict(env))


def case_inputs(op: str, k: int, dtype: str) -> tuple[OpCase, dict[str, Any], list[np.ndarray]]:
    case = CASES[op]
    sample = samples_of(case)[k]
    attrs = REGISTRY[op].normalize_attrs(sample.attrs_for(dtype))  # torch sees the defaults
    return case, attrs, make_inputs(case, sample, dtype, _rng(op, k, dtype), attrs)


def forward_params() -> list[Any]:
    params = []
    for case in _registered_cases():
        for k, sample in enumerate(samples_of(case)):
            for dt in case.dtypes:
                if sample.only is None or dt in sample.only:
                    params.append(pytest.param(case.op, k, dt, id=f"{case.op}-{k}-{dt}"))
    return params


@functools.cache
def grad_params(modes: tuple[str, ...]) -> list[Any]:
    """(op, sample) pairs for gradient tests: float64 samples that have a float operand."""
    params = []
    for case in _registered_cases():
        if grad_mode(case) not in modes or "float64" not in case.dtypes:
            continue
        for k, sample in enumerate(samples_of(case)):
            if not sample.grad or (sample.only and "float64" not in sample.only):
                continue
            if any(case.kind_of(i) == "x" for i in range(len(sample.shapes))):
                params.append(pytest.param(case.op, k, id=f"{case.op}-{k}"))
            if grad_mode(case) == "nondiff":
                break  # one sample shows the error
    return params


# ---------------------------------------------------------------- completeness


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_op_has_case(op: str) -> None:
    if op not in CASES and op not in EXEMPT:
        pytest.fail(f"op '{op}' is registered but has no test case: add an OpCase for it to "
                    "tests/ir/registry_cases.py (or a reason to EXEMPT)", pytrace=False)


def test_registry_fully_covered() -> None:
    problems = []
    missing = sorted(set(REGISTRY) - set(CASES) - set(EXEMPT))
    if missing:
        problems.append(f"ops without a registry test case: {', '.join(missing)}")
    stale = sorted((set(CASES) | set(EXEMPT)) - set(REGISTRY))
    if stale:
        problems.append(f"test cases for ops that are not registered: {', '.join(stale)}")
    both = sorted(set(CASES) & set(EXEMPT))
    if both:
        problems.append(f"ops both exempted and given a case: {', '.join(both)}")
    if not all(EXEMPT.values()):
        problems.append("every exemption needs a reason")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("op", sorted(set(CASES) & set(REGISTRY)))
def test_case_is_consistent(op: str) -> None:
    case, opdef = CASES[op], REGISTRY[op]
    assert case.samples, f"{op}: a case needs at least one sample"
    mode = grad_mode(case)
    assert mode in GRAD_MODES, f"{op}: grad mode {mode!r} not in {GRAD_MODES}"
    assert (mode == "nondiff") == (opdef.vjp is None), (
        f"{op}: case says grad={mode!r} but the op's vjp is {opdef.vjp}")
    assert case.torch is not None or case.note, f"{op}: no torch comparison and no note why"
    for k, sample in enumerate(case.samples):
        if opdef.arity >= 0:
            assert len(sample.shapes) == opdef.arity, f"{op} sample {k}: arity {opdef.arity}"
    if mode in ("fd", "zero", "ignored", "raises") and any(case.kind_of(i) == "x" for i in
                                      range(len(case.samples[0].shapes))):
        assert grad_params((mode,)) and any(p.values[0] == op for p in grad_params((mode,))), (
            f"{op}: differentiable but no float64 sample reaches the gradient checks")


# ---------------------------------------------------------------- forward


def _check_rules(op: str, g: ir.Graph, out: int, got: Any, label: str) -> None:
    assert isinstance(got, np.ndarray), f"{label}: reference returned {type(got).__name__}"
    assert dtypes.from_numpy(got.dtype) == g.dtype(out), (
        f"{label}: reference gave {got.dtype}, dtype_rule says {g.dtype(out)}")
    assert tuple(got.shape) == tuple(g.shape(out)), (
        f"{label}: reference gave shape {list(got.shape)}, shape_rule says {list(g.shape(out))}")


@pytest.mark.parametrize("op,k,dtype", forward_params())
def test_forward_rules(op: str, k: int, dtype: str) -> None:
    case, attrs, arrays = case_inputs(op, k, dtype)
    g, ins, out = build(op, arrays, attrs)
    g.verify()
    feeds = {f"x{i}": a for i, a in enumerate(arrays)}
    (got,) = ir.run(g, feeds)
    _check_rules(op, g, out, got, f"{op} sample {k} {dtype}")
    (again,) = ir.run(g, feeds)  # deterministic, random ops included
    np.testing.assert_array_equal(got, again, err_msg=f"{op}: two runs differ")


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, label: str) -> None:
    assert got.shape == want.shape, f"{label}: shape {list(got.shape)} vs {list(want.shape)}"
    if got.dtype.kind in "biu" or want.dtype.kind in "biu":
        bad = got != want
    else:
        both_nan = np.isnan(got) & np.isnan(want)
        with np.errstate(invalid="ignore"):
            bad = ~(np.isclose(got, want, rtol=rtol, atol=atol) | both_nan)
    if np.any(bad):
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"{label}: {int(bad.sum())} of {bad.size} elements differ; first at "
                             f"{at}: got {got[at]!r}, expected {want[at]!r}")


@pytest.mark.torch
@pytest.mark.parametrize("op,k,dtype", [p for p in forward_params() if CASES[p.values[0]].torch])
def test_forward_vs_torch(op: str, k: int, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    case, attrs, arrays = case_inputs(op, k, dtype)
    g, ins, out = build(op, arrays, attrs)
    (got,) = ir.run(g, {f"x{i}": a for i, a in enumerate(arrays)})
    tensors = [torch.from_numpy(np.array(a)) for a in arrays]
    want_t = case.torch(torch, *tensors, **attrs)
    label = f"{op} sample {k} {dtype} (shapes {[list(a.shape) for a in arrays]}, attrs {attrs})"
    want_dtype = str(want_t.dtype).removeprefix("torch.")
    assert want_dtype == g.dtype(out), f"{label}: torch gives {want_dtype}, IR {g.dtype(out)}"
    rtol, atol = case.tol.get(g.dtype(out), TOL.get(g.dtype(out), (0.0, 0.0)))
    assert_close(np.asarray(got), want_t.detach().numpy(), rtol, atol, label)


# ---------------------------------------------------------------- gradients vs finite differences

Fn = Callable[[list[np.ndarray]], list[np.ndarray]]
Vjp = Callable[[list[np.ndarray]], list[np.ndarray | None]]


def _dot(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(a, b, strict=True)))


def _shifted(primals: list[np.ndarray], i: int, delta: np.ndarray) -> list[np.ndarray]:
    return [p + delta if j == i else p for j, p in enumerate(primals)]


def _close(got: float, want: float) -> bool:
    return abs(got - want) <= FD_ATOL + FD_RTOL * max(abs(got), abs(want), 1.0)


def check_direction(label: str, f: Fn, vjp: Vjp, primals: list[np.ndarray],
                    cts: list[np.ndarray], rng: np.random.Generator) -> None:
    """<vjp(c)_i, t> == (<f(x + eps t e_i), c> - <f(x - eps t e_i), c>) / 2eps per argument i."""
    grads = vjp(cts)
    for i, x in enumerate(primals):
        t = rng.standard_normal(x.shape)
        g = grads[i]
        got = 0.0 if g is None else _dot([g], [t])
        hi, lo = f(_shifted(primals, i, EPS * t)), f(_shifted(primals, i, -EPS * t))
        want = (_dot(hi, cts) - _dot(lo, cts)) / (2 * EPS)
        assert _close(got, want), (
            f"{label}: argument {i}: <vjp(c), t> = {got!r} but finite differences give {want!r}")


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def check_jacobian(label: str, f: Fn, vjp: Vjp, primals: list[np.ndarray],
                   outs: list[np.ndarray]) -> None:
    """Every Jacobian entry: rows from VJPs of basis cotangents, columns from differences."""
    rows = []  # rows[o][r] = grads for cotangent e_r on output o
    for o, out in enumerate(outs):
        for r in range(out.size):
            cts = [np.zeros_like(y) for y in outs]
            cts[o].flat[r] = 1.0
            rows.append((o, r, vjp(cts)))
    for i, x in enumerate(primals):
        for j in range(x.size):
            e = np.zeros_like(x)
            e.flat[j] = EPS
            hi, lo = f(_shifted(primals, i, e)), f(_shifted(primals, i, -e))
            for o, r, grads in rows:
                want = float((hi[o].flat[r] - lo[o].flat[r]) / (2 * EPS))
                got = 0.0 if grads[i] is None else float(grads[i].flat[j])
                where = (f"output {o} element {_index(r, outs[o].shape)}, argument {i} "
                         f"element {_index(j, x.shape)}")
                assert _close(got, want), (
                    f"{label}: d {where}: vjp gives {got!r}, finite differences {want!r}")


def check_vjp(label: str, f: Fn, vjp: Vjp, primals: list[np.ndarray],
              rng: np.random.Generator) -> None:
    outs = f(primals)
    cts = [rng.standard_normal(y.shape) for y in outs]
    check_direction(label, f, vjp, primals, cts, rng)
    if max(x.size for x in primals) <= JACOBIAN_MAX >= sum(y.size for y in outs):
        check_jacobian(label, f, vjp, primals, outs)


def test_gradient_checker_catches_wrong_vjps() -> None:
    """The checks above are not vacuous: a VJP off by 1% or in one entry fails, naming it."""
    x = [np.array([0.3, -1.2, 0.7])]

    def f(p: list[np.ndarray]) -> list[np.ndarray]:
        return [np.sin(p[0])]

    def scaled(cts: list[np.ndarray]) -> list[np.ndarray | None]:
        return [1.01 * np.cos(x[0]) * cts[0]]

    def one_entry(cts: list[np.ndarray]) -> list[np.ndarray | None]:
        return [np.cos(x[0]) * cts[0] * np.array([1.0, 1.0, 0.0])]

    with pytest.raises(AssertionError, match="argument 0"):
        check_direction("sin", f, scaled, x, [np.ones(3)], _rng("meta"))
    with pytest.raises(AssertionError, match=r"output 0 element \(2,\), argument 0 element \(2,\)"):
        check_jacobian("sin", f, one_entry, x, f(x))


class Differentiated:
    """A one-op graph and its autodiff w.r.t. the float operands, as numpy functions."""

    def __init__(self, op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> None:
        self.g, self.ins, self.out = build(op, arrays, attrs)
        self.arrays = arrays
        self.wrt_pos = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
        self.wrt = [self.ins[i] for i in self.wrt_pos]
        self.result = autodiff(self.g, [self.out], wrt=self.wrt)
        self.result.graph.verify()

    def env(self, primals: list[np.ndarray]) -> dict[int, np.ndarray]:
        env = {n: a for n, a in zip(self.ins, self.arrays, strict=True)}
        env.update(zip(self.wrt, primals, strict=True))
        return env

    def f(self, primals: list[np.ndarray]) -> list[np.ndarray]:
        return evaluate(self.g, [self.out], self.env(primals))

    def vjp_at(self, primals: list[np.ndarray]) -> Vjp:
        def vjp(cts: list[np.ndarray]) -> list[np.ndarray | None]:
            env = self.env(primals)
            env[self.result.seeds[0]] = cts[0]
            present = [gid for gid in self.result.grads if gid is not None]
            values = dict(zip(present, evaluate(self.result.graph, present, env), strict=True))
            return [None if gid is None else values[gid] for gid in self.result.grads]
        return vjp

    @property
    def primals(self) -> list[np.ndarray]:
        return [self.arrays[i] for i in self.wrt_pos]


@pytest.mark.parametrize("op,k", grad_params(("fd",)))
def test_gradient_vs_finite_differences(op: str, k: int) -> None:
    case, attrs, arrays = case_inputs(op, k, "float64")
    d = Differentiated(op, arrays, attrs)
    for pos, gid in zip(d.wrt_pos, d.result.grads, strict=True):
        if gid is not None:
            assert d.result.graph.dtype(gid) == "float64", f"{op}: grad of arg {pos} not f64"
            assert d.result.graph.shape(gid) == arrays[pos].shape, f"{op}: grad {pos} shape"
    label = f"{op} sample {k} (shapes {[list(a.shape) for a in arrays]}, attrs {attrs})"
    check_vjp(label, d.f, d.vjp_at(d.primals), d.primals, _rng("grad", op, k))


@pytest.mark.parametrize("op,k", grad_params(("zero",)))
def test_gradient_is_zero(op: str, k: int) -> None:
    """Step functions (floor, sign, ...): the gradient exists and is exactly zero."""
    case, attrs, arrays = case_inputs(op, k, "float64")
    d = Differentiated(op, arrays, attrs)
    (y,) = d.f(d.primals)
    grads = d.vjp_at(d.primals)([_rng("ct", op, k).standard_normal(y.shape)])
    for i, g in enumerate(grads):
        assert g is not None, f"{op}: argument {i} got no gradient node"
        assert not np.any(g), f"{op}: argument {i}: gradient should be 0, got {g}"
    check_vjp(f"{op} sample {k}", d.f, d.vjp_at(d.primals), d.primals, _rng("grad", op, k))


@pytest.mark.parametrize("op,k", grad_params(("none",)))
def test_gradient_is_absent(op: str, k: int) -> None:
    """Random ops: no gradient flows to a float operand (bernoulli's p), like torch."""
    case, attrs, arrays = case_inputs(op, k, "float64")
    d = Differentiated(op, arrays, attrs)
    assert d.result.grads == [None] * len(d.wrt), f"{op}: expected no gradients"


@pytest.mark.parametrize("op,k", grad_params(("ignored",)))
def test_gradient_is_ignored(op: str, k: int) -> None:
    """Arbitrary bases (the full SVD's extra singular vectors): PyTorch ignores their
    cotangents, so the VJP is exactly zero (a finite difference would see the basis turn)."""
    case, attrs, arrays = case_inputs(op, k, "float64")
    d = Differentiated(op, arrays, attrs)
    (y,) = d.f(d.primals)
    grads = d.vjp_at(d.primals)([_rng("ct", op, k).standard_normal(y.shape)])
    assert grads and all(g is not None and not np.any(g) for g in grads), (
        f"{op}: the gradient should exist and be 0, got {grads}")


@pytest.mark.parametrize("op,k", grad_params(("raises",)))
def test_gradient_raises(op: str, k: int) -> None:
    """Ops PyTorch refuses to differentiate at backward time (complete QR with m > n)."""
    case, attrs, arrays = case_inputs(op, k, "float64")
    g, ins, out = build(op, arrays, attrs)
    wrt = [ins[i] for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    with pytest.raises(RuntimeError, match="not differentiable"):
        autodiff(g, [out], wrt=wrt)


@pytest.mark.parametrize("op,k", grad_params(("nondiff",)))
def test_nondifferentiable_op_raises(op: str, k: int) -> None:
    case, attrs, arrays = case_inputs(op, k, "float64")
    g, ins, out = build(op, arrays, attrs)
    wrt = [ins[i] for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    with pytest.raises(ir.AutogradError, match=f"{op} is not differentiable"):
        autodiff(g, [out], wrt=wrt)


# Points where the derivative is a convention (kinks, ties, zeros): must match PyTorch.
KINKS: list[tuple[str, list[list[float]], dict[str, Any]]] = [
    ("relu", [[-1.0, 0.0, 2.0]], {}),
    ("abs", [[-1.0, 0.0, 2.0]], {}),
    ("sign", [[-1.0, 0.0, 2.0]], {}),
    ("floor", [[-1.0, 0.0, 2.5]], {}),
    ("round", [[-1.5, 0.5, 2.0]], {}),
    ("sqrt", [[0.0, 1.0]], {}),
    ("maximum", [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], {}),
    ("minimum", [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], {}),
    ("max", [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]], {"axes": (1,)}),
    ("min", [[[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]]], {"axes": (0, 1)}),
    ("clamp", [[-1.0, -0.5, 0.0, 0.5, 1.0]], {"min": -0.5, "max": 0.5}),
    ("prod", [[[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]], {"axes": (1,)}),
    ("pow", [[0.0, 0.0, 1.0, 2.0], [2.0, 0.0, 0.0, 0.5]], {}),
    ("where", [[True, False], [0.0, 1.0], [2.0, 3.0]], {}),
]


@pytest.mark.torch
@pytest.mark.parametrize("op,values,attrs", KINKS, ids=[f"{k[0]}-{i}" for i, k in enumerate(KINKS)])
def test_gradient_conventions_match_torch(op: str, values: list[Any], attrs: dict[str, Any]
                                          ) -> None:
    torch = pytest.importorskip("torch")
    arrays = [np.asarray(v, dtype=bool if isinstance(v[0], bool) else np.float64) for v in values]
    attrs = REGISTRY[op].normalize_attrs(attrs)
    d = Differentiated(op, arrays, attrs)
    (y,) = d.f(d.primals)
    ct = _rng("kink", op).standard_normal(y.shape)
    grads = d.vjp_at(d.primals)([ct])
    tensors = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    CASES[op].torch(torch, *tensors, **attrs).backward(torch.from_numpy(ct))
    for pos, g in zip(d.wrt_pos, grads, strict=True):
        want = tensors[pos].grad.numpy()
        assert_close(np.zeros_like(want) if g is None else g, want, 1e-12, 1e-12,
                     f"{op} gradient of argument {pos} at {arrays}")


# ---------------------------------------------------------------- second order

SECOND_ORDER = ("tanh", "mul", "exp", "sigmoid", "matmul", "div", "sum")


def _second_order_params() -> list[Any]:
    return [p for p in grad_params(("fd",)) if p.values[0] in SECOND_ORDER
            and p.values[1] < 2]


@pytest.mark.parametrize("op,k", _second_order_params())
def test_second_order(op: str, k: int) -> None:
    """Differentiate the joint (forward + backward) graph again: backward is registry IR."""
    case, attrs, arrays = case_inputs(op, k, "float64")
    d = Differentiated(op, arrays, attrs)
    first, jg = d.result, d.result.graph
    grads = [gid for gid in first.grads if gid is not None]
    wrt = d.wrt + first.seeds  # the first-order gradient depends on x and on the cotangent
    second = autodiff(jg, grads, wrt=wrt)
    second.graph.verify()
    fixed = {n: a for n, a in zip(d.ins, arrays, strict=True)}

    def f(primals: list[np.ndarray]) -> list[np.ndarray]:
        return evaluate(jg, grads, {**fixed, **dict(zip(wrt, primals, strict=True))})

    def vjp_at(primals: list[np.ndarray]) -> Vjp:
        def vjp(cts: list[np.ndarray]) -> list[np.ndarray | None]:
            env = {**fixed, **dict(zip(wrt, primals, strict=True)),
                   **dict(zip(second.seeds, cts, strict=True))}
            present = [gid for gid in second.grads if gid is not None]
            values = dict(zip(present, evaluate(second.graph, present, env), strict=True))
            return [None if gid is None else values[gid] for gid in second.grads]
        return vjp

    rng = _rng("second", op, k)
    (y,) = d.f(d.primals)
    primals = [*d.primals, rng.standard_normal(y.shape)]
    check_vjp(f"{op} second order, sample {k}", f, vjp_at(primals), primals, rng)


# ---------------------------------------------------------------- rule errors


def _graph_with(*types: tuple[tuple[int, ...], str]) -> tuple[ir.Graph, list[int]]:
    g = ir.Graph("errors")
    return g, [g.add("input", shape=s, dtype=dt, name=f"x{i}") for i, (s, dt) in enumerate(types)]


F32 = "float32"
# (op, operand types, attrs, exception type, substrings the message must contain)
Types = list[tuple[tuple[int, ...], str]]
RULE_ERRORS: list[tuple[str, Types, dict[str, Any], type, list[str]]] = [
    ("add", [((2, 3), F32), ((4,), F32)], {}, RuntimeError, ["add", "[2, 3]", "[4]"]),
    ("where", [((2,), "bool"), ((2, 3), F32), ((4,), F32)], {}, RuntimeError,
     ["where", "[2, 3]", "[4]"]),
    ("matmul", [((2, 3), F32), ((4, 5), F32)], {}, RuntimeError,
     ["mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"]),
    ("matmul", [((3,), F32), ((3, 2), F32)], {}, RuntimeError, ["matmul", "[3]"]),
    ("reshape", [((2, 3), F32)], {"shape": (4, 2)}, RuntimeError,
     ["shape '[4, 2]' is invalid for input of size 6"]),
    ("expand", [((2, 3), F32)], {"shape": (4, 3)}, RuntimeError, ["expand", "[2, 3]", "[4, 3]"]),
    ("permute", [((2, 3), F32)], {"dims": (0, 0)}, RuntimeError, ["permute", "[2, 3]"]),
    ("cat", [((2, 3), F32), ((2, 4), F32)], {"axis": 0}, RuntimeError, ["cat", "[2, 3]", "[2, 4]"]),
    ("slice", [((4,), F32)], {"starts": (0,), "stops": (5,), "steps": (1,)}, RuntimeError,
     ["slice", "size 4"]),
    ("pad", [((2,), F32)], {"pads": ((-1, 0),)}, RuntimeError, ["pad", "[2]"]),
    ("sum", [((2, 3), F32)], {"axes": (2,)}, RuntimeError, ["sum", "(2,)", "[2, 3]"]),
    ("gather", [((2, 3), F32), ((3, 4), "int64")], {"axis": 0}, RuntimeError,
     ["gather", "[3, 4]", "[2, 3]"]),
    ("scatter_add", [((2, 3), F32), ((2, 4), "int64"), ((2, 4), F32)], {"axis": 0}, RuntimeError,
     ["scatter_add", "[2, 4]", "[2, 3]"]),
    ("index_add", [((4, 3), F32), ((2,), "int64"), ((3, 3), F32)], {"axis": 0}, RuntimeError,
     ["index_add: shape mismatch: value tensor of shape [3, 3] cannot be broadcast to indexing "
      "result of shape [2, 3]"]),
    ("slice_assign", [((4,), F32), ((3,), F32)], {"starts": (0,), "stops": (2,), "steps": (1,)},
     RuntimeError, ["slice_assign", "[3]", "[2]"]),
    ("take", [((3,), F32), ((2,), "int64")], {"axis": 1}, IndexError,
     ["take: Dimension out of range", "got 1", "[3]"]),
    ("gather", [((3,), F32), ((2,), "int64")], {"axis": 1}, IndexError, ["gather", "got 1"]),
    ("cat", [((3,), F32)], {"axis": 1}, IndexError, ["cat: Dimension out of range"]),
    ("cat", [], {"axis": 0}, RuntimeError, ["cat: expected a non-empty list"]),
    ("uniform", [((2,), "int64"), ((), "int64")], {"shape": (2,)}, RuntimeError,
     ["uniform: seed and offset must be scalars", "[2]"]),
    # dtype errors name both dtypes
    ("add", [((2,), F32), ((2,), "int64")], {}, RuntimeError, ["add", "float32", "int64"]),
    ("matmul", [((2, 2), F32), ((2, 2), "float64")], {}, RuntimeError,
     ["matmul", "float32", "float64"]),
    ("where", [((2,), "int64"), ((2,), F32), ((2,), F32)], {}, RuntimeError, ["where", "int64"]),
    ("exp", [((2,), "int64")], {}, RuntimeError, ["exp", "int64"]),
    ("div", [((2,), "int64"), ((2,), "int64")], {}, RuntimeError, ["div", "int64"]),
    ("mean", [((2,), "int64")], {"axes": (0,)}, RuntimeError, ["mean", "int64"]),
    ("take", [((3,), F32), ((2,), F32)], {"axis": 0}, RuntimeError, ["take", "float32"]),
    ("uniform", [((), F32), ((), "int64")], {"shape": (2,)}, RuntimeError,
     ["uniform: seed and offset must be int64", "float32"]),
    ("cat", [((2,), F32), ((2,), "float64")], {"axis": 0}, RuntimeError,
     ["cat", "float32", "float64"]),
    # graph-building misuse
    ("add", [((2,), F32)], {}, TypeError, ["add", "2 operand", "got 1"]),
    ("sum", [((2,), F32)], {}, TypeError, ["sum", "axes"]),
    ("exp", [((2,), F32)], {"axis": 0}, TypeError, ["exp", "unknown attribute", "axis"]),
]


@pytest.mark.parametrize("op,types,attrs,exc,parts", RULE_ERRORS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(RULE_ERRORS)])
def test_rule_errors(op: str, types: list[Any], attrs: dict[str, Any], exc: type,
                     parts: list[str]) -> None:
    g, ins = _graph_with(*types)
    with pytest.raises(exc) as info:
        g.add(op, ins, **attrs)
    if exc is not TypeError:  # TypeError: Python-level misuse of Graph.add itself
        assert isinstance(info.value, ir.TenkaiError), f"{op}: raise a TenkaiError subclass"
    for part in parts:
        assert part in str(info.value), f"{op}: message lacks {part!r}: {info.value}"


def test_take_out_of_range_raises_index_error() -> None:
    g, (x, idx) = _graph_with(((3,), F32), ((2,), "int64"))
    g.add_output(g.add("take", [x, idx], axis=0))
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        ir.run(g, {"x0": np.zeros(3, np.float32), "x1": np.array([0, 5])})


@pytest.mark.torch
def test_error_types_match_torch() -> None:
    """The same misuse raises the same builtin type in torch and in tenkai."""
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.zeros(2, 3) + torch.zeros(4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3"):
        torch.zeros(2, 3) @ torch.zeros(4, 5)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        torch.zeros(2, 3).reshape(4, 2)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        torch.zeros(3)[torch.tensor([0, 5])]


# ---------------------------------------------------------------- random ops


def random_graph(op: str, **attrs: Any) -> tuple[ir.Graph, Callable[..., np.ndarray]]:
    g, (seed, offset) = _graph_with(((), "int64"), ((), "int64"))
    g.add_output(g.add(op, [seed, offset], **attrs))

    def draw(s: int, o: int) -> np.ndarray:
        return ir.run(g, {"x0": np.int64(s), "x1": np.int64(o)})[0]
    return g, draw


@pytest.mark.parametrize("op,attrs", [("uniform", {}), ("normal", {}), ("randint", {"high": 7}),
                                      ("uniform", {"dtype": "float64"})])
def test_random_replays_by_seed_and_offset(op: str, attrs: dict[str, Any]) -> None:
    _, draw = random_graph(op, shape=(64,), **attrs)
    np.testing.assert_array_equal(draw(1, 0), draw(1, 0))
    assert np.any(draw(1, 0) != draw(1, 64)), f"{op}: a new offset must give new numbers"
    assert np.any(draw(1, 0) != draw(2, 0)), f"{op}: a new seed must give new numbers"
    # element i uses counter offset + i: shifting the offset shifts the stream
    np.testing.assert_array_equal(draw(5, 3)[:-3], draw(5, 0)[3:])


N_STAT = 20000
Z = 5.0  # standard errors allowed: fails by chance with probability < 1e-6


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-2.0, 3.0)])
def test_uniform_statistics(dtype: str, low: float, high: float) -> None:
    _, draw = random_graph("uniform", shape=(N_STAT,), dtype=dtype, low=low, high=high)
    u = draw(7, 11).astype(np.float64)
    assert low <= u.min() and u.max() < high
    width = high - low
    assert abs(u.mean() - (low + high) / 2) < Z * width * np.sqrt(1 / 12 / N_STAT)
    # Var of the sample variance of U(0,1): 1/180 / n
    assert abs(u.var() - width**2 / 12) < Z * width**2 * np.sqrt(1 / 180 / N_STAT)
    counts = np.histogram(u, bins=10, range=(low, high))[0]
    assert np.all(np.abs(counts - N_STAT / 10) < Z * np.sqrt(N_STAT / 10))


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (2.0, 0.5)])
def test_normal_statistics(mean: float, std: float) -> None:
    _, draw = random_graph("normal", shape=(N_STAT,), dtype="float64", mean=mean, std=std)
    z = draw(3, 0)
    assert abs(z.mean() - mean) < Z * std / np.sqrt(N_STAT)
    assert abs(z.std() - std) < Z * std / np.sqrt(2 * N_STAT)
    inside = np.mean(np.abs(z - mean) < std)  # 68.27% within one sigma
    assert abs(inside - 0.6827) < Z * np.sqrt(0.6827 * 0.3173 / N_STAT)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_bernoulli_rate(p: float) -> None:
    g, (prob, seed, offset) = _graph_with(((N_STAT,), "float32"), ((), "int64"), ((), "int64"))
    out = g.add("bernoulli", [prob, seed, offset])
    g.add_output(out)
    x = ir.run(g, {"x0": np.full(N_STAT, p, np.float32), "x1": np.int64(9), "x2": np.int64(0)})[0]
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - p) <= Z * np.sqrt(p * (1 - p) / N_STAT)


@pytest.mark.parametrize("low,high,dtype", [(0, 10, "int64"), (-3, 3, "int32"), (5, 6, "int64")])
def test_randint_range(low: int, high: int, dtype: str) -> None:
    _, draw = random_graph("randint", shape=(N_STAT,), low=low, high=high, dtype=dtype)
    x = draw(4, 2)
    assert x.dtype == np.dtype(dtype)
    assert x.min() == low and x.max() == high - 1, "every value of [low, high) appears"
    counts = np.bincount(x - low, minlength=high - low)
    expect = N_STAT / (high - low)
    assert np.all(np.abs(counts - expect) < Z * np.sqrt(expect) + 1)


# ---------------------------------------------------------------- Philox4x32-10

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85


def philox_reference(counter: tuple[int, int, int, int], key: tuple[int, int]
                     ) -> tuple[int, int, int, int]:
    """Random123's Philox4x32-10 in plain Python integers, written from the spec."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & 0xFFFFFFFF,
                          (p0 >> 32) ^ c3 ^ k1, p0 & 0xFFFFFFFF)
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return c0, c1, c2, c3


# Random123 known-answer vectors (kat_vectors: philox4x32 10 rounds).
PHILOX_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
]


@pytest.mark.parametrize("counter,key,want", PHILOX_KAT)
def test_philox_reference_known_answers(counter: Any, key: Any, want: Any) -> None:
    got = philox_reference(counter, key)
    assert got == want, f"philox({counter}, {key}) = {[hex(v) for v in got]}"


def test_philox_known_answer_zero() -> None:
    from tenkai.ir.ops_source import philox4x32

    got = tuple(int(w[0]) for w in philox4x32(np.zeros(1, np.uint64), 0))
    assert got == PHILOX_KAT[0][2], [hex(v) for v in got]


def test_philox_matches_reference_on_many_counters() -> None:
    """The vectorized version (c2 = c3 = 0, 64-bit counter and seed) equals the spec."""
    from tenkai.ir.ops_source import philox4x32

    rng = _rng("philox")
    counters = np.concatenate([rng.integers(0, 2**63, 6, dtype=np.uint64),
                               np.array([0, 1, 2**32 - 1, 2**32, 2**64 - 1], np.uint64)])
    for seed in (0, 1, 0xFFFFFFFF, 2**32 + 5, 2**64 - 1, int(rng.integers(0, 2**62))):
        words = philox4x32(counters, seed)
        for j, c in enumerate(counters.tolist()):
            want = philox_reference((c & 0xFFFFFFFF, c >> 32, 0, 0),
                                    (seed & 0xFFFFFFFF, seed >> 32))
            got = tuple(int(w[j]) for w in words)
            assert got == want, f"philox4x32(counter={c:#x}, seed={seed:#x})"
