"""The derived backward graph of one recorded subgraph, ready to replay.

``_autograd.py`` turns a recorded subgraph into an ``ir.Graph``, derives its backward graph
once per structure (cached there) and runs it: with the reference interpreter
(:meth:`BackwardPlan.run`), or through the eager ops (``_replay.py``) when the gradients must
themselves be recorded.
"""

from __future__ import annotations

import copy
import math
import weakref
from typing import Any

import numpy as np

from tenkai.ir import REGISTRY, Graph, Plan, index_rules
from tenkai.ir.dtypes import from_numpy
from tenkai.ir.ops import RANDOM
from tenkai.ir.passes import autodiff

from . import _native_kernels as nk
from . import _profiling, _trace
from ._gradfn import display_name
from ._native_eager import freeze, route_plan
from ._node import ANOMALY, Node, anomaly_trace, forward_value
from .config import debug_level, verify_enabled

# the largest folded constant (elements): a plan stays cached, and so do its constants
FOLD_ELEMENTS = 1 << 16


class BackwardPlan:
    """The derived backward graph of one subgraph structure, ready to replay."""

    def __init__(self, order: list[Node], roots: list[Node], wrt: list[Node]) -> None:
        index = {id(n): k for k, n in enumerate(order)}
        g = Graph("backward")
        for k, n in enumerate(order):  # node k of the tape becomes IR node k
            if n.op is None:
                g.add("input", shape=n.value.shape, dtype=ir_dtype(n.value))
            else:  # loc "tape:k" marks the backward nodes built from node k's VJP (see _saved)
                g.add(n.op, [index[id(i)] for i in n.inputs], loc=f"tape:{k}", **n.attrs)
        result = autodiff(g, [index[id(r)] for r in roots], [index[id(w)] for w in wrt])
        _check_and_report(result.graph)
        self.graph, self.seeds, self.n_forward = result.graph, result.seeds, len(order)
        self.grads = result.grads
        wanted = [gid for gid in self.grads if gid is not None]
        self.plan = Plan(self.graph, wanted, set(range(len(order))) | set(self.seeds))
        self.plan.steps = route_plan(  # quicker movement steps, native eager kernels
            [(n, _QUICK.get(self.graph.op(n), ref), ins, attrs)
             for n, ref, ins, attrs in self.plan.steps], self.graph)
        self.saved = self._saved()
        # what run() executes: the plan less its constant steps (the replay through the eager
        # ops, _replay.py, runs every step of self.plan, so a trace records them all)
        self.consts, self.fast = self._fold_constants()
        # the forward values the steps read (and any gradient that is one): the rest of the
        # tape need not be fetched at each replay
        reads = {j for _n, _ref, operands, _attrs in self.plan.steps for j in operands}
        reads.update(gid for gid in self.grads if gid is not None)
        self.reads = sorted(k for k in reads if k < len(order))
        # the steps with the functions the first run's operand signatures chose (see run)
        self.frozen: Plan | None = None
        self.seed_types: list[tuple] = []

    def _saved(self) -> list[tuple[int, int]]:
        """``(k, j)`` pairs: the VJP of forward node k reads forward node j (a saved tensor)."""
        pairs = set()
        for nid, _ref, operands, _attrs in self.plan.steps:
            loc = self.graph.loc(nid) or ""
            for j in operands:
                if j < self.n_forward and loc.startswith("tape:"):
                    pairs.add((int(loc[5:]), j))
        return sorted(pairs)

    def _fold_constants(self) -> tuple[dict[int, np.ndarray], Plan]:
        """Compute once the steps that read no forward value and no seed (``full`` zeros and
        scalars, and what is computed from them only), up to :data:`FOLD_ELEMENTS` elements
        each: every replay gives them the same values. They leave the plan's steps; a step
        that fails here stays in (it raises at run time, as before)."""
        consts: dict[int, np.ndarray] = {}
        kept = []
        with np.errstate(all="ignore"):
            for step in self.plan.steps:
                n, ref, ins, attrs = step
                if all(i in consts for i in ins) and REGISTRY[self.graph.op(n)].kind != RANDOM:
                    try:
                        value = np.asarray(ref(*[consts[i] for i in ins], **attrs))
                    except Exception:  # noqa: BLE001  (raised again when the step runs)
                        value = None
                    if value is not None and value.size <= FOLD_ELEMENTS:
                        consts[n] = value
                        continue
                kept.append(step)
        self._const_ids = {id(v) for v in consts.values()}
        fast = copy.copy(self.plan)
        fast.steps = kept
        return consts, fast

    def run(self, order: list[Node], seeds: list[np.ndarray], mark: bool = False
            ) -> list[np.ndarray | None]:
        """The gradients; ``mark``: remember those no one else holds (:func:`owned`)."""
        env: dict[int, Any] = {}
        for k in self.reads:
            value = order[k].value
            env[k] = value if value is not None else forward_value(order[k])
        env.update(self.consts)
        env.update(zip(self.seeds, seeds, strict=True))
        if _profiling.ACTIVE[0] is None and not ANOMALY.enabled:
            self._run_steps(env, seeds)
        else:
            self._run_observed(order, env)
        grads = [None if gid is None else self._own(env[gid]) for gid in self.grads]
        if mark:
            given = [env[k] for k in self.reads] + list(seeds) + list(self.consts.values())
            _mark_fresh(grads, given)
        return grads

    def _run_steps(self, env: dict[int, Any], seeds: list[np.ndarray]) -> None:
        """Run the steps. The first run asks each routed step for its function per operand
        signature; later runs with seeds of the same shapes and dtypes (the forward values'
        follow from the plan's structure) run the functions it chose directly."""
        kinds = [(s.shape, s.dtype) for s in seeds]
        native = nk.enabled()
        if self.frozen is not None and native and kinds == self.seed_types:
            self.frozen.run(env)
            return
        deferred = _trace.DEFERRED_KERNELS[0]
        self.fast.run(env)
        if native and not _trace.deferred_since(deferred):  # (a trace's deferral: ask again)
            self.frozen = copy.copy(self.fast)
            self.frozen.steps = freeze(self.fast.steps, env)
            self.seed_types = kinds

    def _own(self, grad: np.ndarray) -> np.ndarray:
        """A gradient that is (a view of) a folded constant is copied: callers may keep it
        (``autograd.grad`` returns it) and write into it."""
        ids = self._const_ids
        if ids and (id(grad) in ids or id(getattr(grad, "base", None)) in ids):
            return np.array(grad, copy=True)
        return grad

    def _run_observed(self, order: list[Node], env: dict[int, Any]) -> None:
        """The plan's steps one by one: each timed as its forward node's backward function
        (``autograd::engine::evaluate_function: MulBackward0``) while a profiler records, and
        checked for NaN in anomaly mode (``tenkai.autograd.detect_anomaly``)."""
        rec = _profiling.ACTIVE[0]
        ev, current, nbytes = None, None, 0  # one event per run of one function's steps
        with np.errstate(all="ignore"):
            for n, ref, ins, attrs in self.fast.steps:
                loc = self.graph.loc(n) or ""
                fwd = order[int(loc[5:])] if loc.startswith("tape:") else None
                name = display_name(fwd) if fwd is not None and fwd.op is not None else None
                if rec is not None and fwd is not current:
                    if ev is not None:
                        rec.end(ev, nbytes)
                    ev, current, nbytes = None, fwd, 0
                    if name is not None:
                        ev = rec.begin(f"autograd::engine::evaluate_function: {name}",
                                       [env[i].shape for i in ins])
                env[n] = ref(*[env[i] for i in ins], **attrs)
                value = env[n]
                if ev is not None and rec.profile_memory:
                    nbytes += int(value.nbytes)
                if (ANOMALY.enabled and ANOMALY.check_nan and name is not None
                        and value.dtype.kind in "fc" and np.isnan(value).any()):
                    where = anomaly_trace(fwd)
                    raise RuntimeError(f"Function '{name}' returned nan values in its output."
                                       + (f"\nTraceback of forward call that caused the "
                                          f"error:\n{where}" if where else ""))
        if ev is not None:
            rec.end(ev, nbytes)


# Gradients a plan run made that nothing else holds (no forward value, seed, folded constant
# or other gradient shares their memory): ``.grad`` may take them without a copy. Keyed by
# id, each with a weak reference (an entry leaves when its array dies or is taken).
_FRESH: dict[int, Any] = {}


def _owner(a: Any) -> Any:
    """The array that owns ``a``'s memory (numpy's views point at it), or None (not known)."""
    base = getattr(a, "base", 0)
    if base is None:
        return a
    return base if type(base) is np.ndarray and base.base is None else None


def _mark_fresh(grads: list[Any], given: list[Any]) -> None:
    taken = {id(_owner(a)) for a in given}
    roots = [None if g is None else _owner(g) for g in grads]
    counts: dict[int, int] = {}
    for r in roots:
        if r is not None:
            counts[id(r)] = counts.get(id(r), 0) + 1
    for g, r in zip(grads, roots, strict=True):
        if r is not None and type(g) is np.ndarray and counts[id(r)] == 1 \
                and id(r) not in taken:
            key = id(g)
            _FRESH[key] = weakref.ref(g, lambda _ref, key=key: _FRESH.pop(key, None))


def owned(grad: Any) -> bool:
    """Whether ``grad`` came from a plan run (``mark``) and nothing else holds its memory
    (asked once: the answer is forgotten)."""
    ref = _FRESH.pop(id(grad), None)
    return ref is not None and ref() is grad


def _check_and_report(graph: Graph) -> None:
    """Verifier and debug output for a newly derived backward graph (see tenkai.config)."""
    if verify_enabled() and graph.outputs:  # no outputs: nothing was reachable
        graph.verify()
    level = debug_level()
    if level >= 1:
        print(f"[tenkai] derived backward graph: {graph.nx.number_of_nodes()} nodes")
    if level >= 2:
        print(graph.dump())


# ---------------------------------------------------------------- quicker movement steps


def _reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The ``reshape`` reference's result (``np.reshape``), without its dispatch."""
    return x.reshape(shape)


# expands up to this many elements are materialized: ``np.broadcast_to`` costs ~5-10 us a
# call, a small copy ~1 us (and ``.grad`` takes a fresh array without copying it again)
QUICK_EXPAND = 4096


def _expand(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The ``expand`` reference's values (``np.broadcast_to``): small results as a fresh
    array, the operand itself when nothing expands."""
    if x.shape == shape:
        return x
    if math.prod(shape) <= QUICK_EXPAND:
        out = np.empty(shape, x.dtype)
        out[...] = x
        return out
    return np.broadcast_to(x, shape)


def _scatter_add(x: np.ndarray, idx: np.ndarray, src: np.ndarray, axis: int, bounds: str
                 ) -> np.ndarray:
    """The ``scatter_add`` reference's result (a gather's gradient: ``cross_entropy``'s) when
    ``idx`` picks one position per line along ``axis`` (``(N, 1)`` class indices): the
    positions are then distinct, so one fancy-indexed add makes what ``np.add.at`` makes,
    with the flat positions from the output's strides instead of ``np.indices``."""
    if x.ndim == 0 or idx.ndim != x.ndim or idx.shape[axis] != 1 or idx.dtype.kind != "i":
        return _SCATTER_ADD(x, idx, src, axis=axis, bounds=bounds)
    checked = index_rules.check(idx, x.shape[axis], axis, bounds)
    out = np.array(x, copy=True, order="C")
    item, n = out.itemsize, idx.ndim
    flat = checked * (out.strides[axis] // item)
    for d, size in enumerate(idx.shape):
        if d != axis and size > 1:
            line = np.arange(size) * (out.strides[d] // item)
            flat = flat + line.reshape((1,) * d + (size,) + (1,) * (n - d - 1))
    part = src[tuple([slice(0, d) for d in idx.shape])]
    view = out.reshape(-1)
    view[flat.reshape(-1)] += part.reshape(-1)
    return out


_SCATTER_ADD = REGISTRY["scatter_add"].reference

# backward plans run these in place of the registry's references (same values; tested
# against them in tests/frontend/test_backward_floor.py)
_QUICK = {"reshape": _reshape, "expand": _expand, "scatter_add": _scatter_add}


def ir_dtype(value: np.ndarray) -> str:
    """The IR dtype name of a numpy value."""
    return from_numpy(value.dtype)
