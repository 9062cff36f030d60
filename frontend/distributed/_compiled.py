"""The gradient all-reduce inside a compiled training step: the step is cut in two.

While ``tenkai.compile`` traces a step, DistributedDataParallel's end-of-backward callback
reduces the gradients eagerly (so the traced run has eager's effects) and records a *cut*:
the graph nodes holding the gradients at that moment (:func:`record_cut`). When the step is
compiled (:func:`compile_with_cut`) its graph is split there:

* part 1 is everything the gradients depend on (forward, loss, backward, and whatever else
  does not depend on the gradients); its outputs are one flat buffer per DDP bucket (the
  bucket's gradients reshaped and concatenated by the generated code), then every other
  value part 2 needs from it;
* part 2 is everything that depends on the gradients (the optimizer update, fused as
  before), reading each gradient as a slice of its reduced bucket and part 1's values as
  inputs; its outputs are the step's outputs, so the replay writes parameters and state
  exactly as without the cut.

Between the two native calls the runtime all-reduces part 1's bucket outputs in place (one
nonblocking MPI all-reduce per bucket, all in flight at once, then one divide by the world
size): the runtime copies nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .. import _trace
from ._collectives import Work
from ._group import ProcessGroup, _mpi


@dataclass
class Cut:
    buckets: list[list[int]]  # graph nodes of the gradients at the reduction point, by bucket
    group: ProcessGroup


def record_cut(buckets: list[list[Any]], group: ProcessGroup) -> None:
    """Called by DDP at the end of a traced backward: remember where the step reduces."""
    tracer = _trace.active()
    seen: set[int] = set()
    nodes: list[list[int]] = []
    for bucket in buckets:
        nodes.append([])
        for g in bucket:
            nid = tracer.node_of.get(id(g._data))
            if nid is None:
                raise NotImplementedError("DistributedDataParallel inside tenkai.compile: a "
                                          "gradient was not produced by the traced backward")
            if nid not in seen:
                seen.add(nid)
                nodes[-1].append(nid)
    nodes = [b for b in nodes if b]
    cuts = tracer.__dict__.setdefault("reduction_cuts", [])
    if cuts:
        raise NotImplementedError(
            "DistributedDataParallel inside tenkai.compile: more than one reducing backward() "
            "in one compiled step is not supported yet; accumulate micro-batches under "
            "model.no_sync() and reduce once")
    cuts.append(Cut(nodes, group))


def record_before_replay(hook: Any, state: list[Any], what: str) -> None:
    """Called while tracing by code that acts on ``state`` tensors eagerly and must act again
    before every replay (DDP's buffer broadcast): the hook runs at the start of each replay.
    That is the traced call's order only if no traced op read ``state`` before this point."""
    tracer = _trace.active()
    if any(id(t._data) in tracer.node_of for t in state):
        raise NotImplementedError(
            f"{what} inside tenkai.compile: the step used these tensors before (a second "
            "forward of the model in one step?); a replay can only do it at the start of the "
            "step. Call the model once per compiled step, or train eagerly")
    tracer.__dict__.setdefault("before_replay", []).append(hook)


def _split(g: Any, buckets: list[list[int]]) -> tuple[Any, Any, int]:
    """Part 1, part 2 and how many of part 1's leading outputs are gradient buckets."""
    cut = [n for b in buckets for n in b]
    after: set[int] = set()
    for c in cut:
        after |= nx.descendants(g.nx, c)
    outputs = set(g.outputs)
    later = after | outputs
    sources = {n for n in g.nodes() if not g.operands(n)}  # inputs, params, constants
    handed = [n for n in g.topo_order() if n not in later and n not in sources
              and n not in cut and any(u in later for u in g.users(n))]

    first = g.copy(f"{g.name}_to_allreduce")
    first.nx.remove_nodes_from(later)
    for bucket in buckets:  # one flat output per bucket: one all-reduce per bucket
        flat = [first.add("reshape", [n], shape=(_numel(g, n),)) for n in bucket]
        first.add_output(flat[0] if len(flat) == 1 else first.add("cat", flat, axis=0))
    for n in handed:
        first.add_output(n)
    first.nx.remove_nodes_from(set(first.nodes()) - first.ancestors(first.outputs))
    first.meta["writes"] = {}

    second = g.copy(f"{g.name}_from_allreduce")
    for j, bucket in enumerate(buckets):
        size = sum(_numel(g, n) for n in bucket)
        fed = second.add("input", shape=(size,), dtype=g.dtype(bucket[0]), name=f"bucket{j}")
        start = 0
        for n in bucket:
            piece = second.add("slice", [fed], starts=(start,), stops=(start + _numel(g, n),),
                               steps=(1,))
            _redirect(second, n, second.add("reshape", [piece], shape=g.shape(n)), later)
            start += _numel(g, n)
    for j, n in enumerate(handed):
        fed = second.add("input", shape=g.shape(n), dtype=g.dtype(n), name=f"allreduce{j}")
        _redirect(second, n, fed, later)
    # sources stay: a parameter written by the step keeps its node even when part 1 now
    # computes everything that reads it
    dead = set(second.nodes()) - second.ancestors(second.outputs) - sources
    second.nx.remove_nodes_from(dead)
    return first, second, len(buckets)


def _numel(g: Any, n: int) -> int:
    return int(np.prod(g.shape(n), dtype=np.int64))


def _redirect(g: Any, old: int, new: int, users: set[int]) -> None:
    """The edges from ``old`` into ``users`` come from ``new`` instead (same operand slot)."""
    for _, user, key in list(g.nx.out_edges(old, keys=True)):
        if user in users:
            g.nx.remove_edge(old, user, key=key)
            g.nx.add_edge(new, user, key=key)


class CutProgram:
    """part 1 -> in-place all-reduce of its gradient outputs -> part 2 (feeds by name)."""

    def __init__(self, parts: list[tuple[Any, Any]], n_grads: int, group: ProcessGroup) -> None:
        self.parts, self.n_grads, self.group = parts, n_grads, group
        # each part's feeds: (name, node) of its inputs and parameters, found once
        self.feeds = [[(g.node_name(n), n) for n in g.nodes() if g.op(n) in ("input", "param")]
                      for g, _ in parts]
        self.stats: dict[str, int] = {}
        for _, program in parts:
            for name, count in getattr(program, "stats", {}).items():
                self.stats[name] = self.stats.get(name, 0) + count

    def _call(self, k: int, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        program = self.parts[k][1]
        if getattr(program, "by_node", False):
            return program({n: feeds[name] for name, n in self.feeds[k] if name in feeds})
        return program({name: feeds[name] for name, _ in self.feeds[k] if name in feeds})

    def __call__(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        first = self._call(0, feeds)
        buckets = [a if a.flags.c_contiguous and a.flags.writeable else np.array(a)
                   for a in first[:self.n_grads]]
        self.allreduce_mean(buckets)
        fed = dict(feeds)
        fed.update((f"bucket{j}", a) for j, a in enumerate(buckets))
        fed.update((f"allreduce{j}", a) for j, a in enumerate(first[self.n_grads:]))
        return self._call(1, fed)

    def allreduce_mean(self, grads: list[np.ndarray]) -> None:
        world = self.group.size()
        if world == 1:
            return
        MPI = _mpi()
        requests = [self.group.comm.Iallreduce(MPI.IN_PLACE, a, op=MPI.SUM) for a in grads]
        Work(requests, self.group, "compiled DistributedDataParallel gradient all_reduce").wait()
        for a in grads:
            np.divide(a, world, out=a)


def compile_with_cut(g: Any, cuts: list[Cut], backend: str, compile_graph: Any) -> CutProgram:
    """Compile the two parts of a traced step cut at its gradient reduction."""
    (cut,) = cuts
    first, second, n_grads = _split(g, cut.buckets)
    parts = [(first, compile_graph(first, backend)), (second, compile_graph(second, backend))]
    return CutProgram(parts, n_grads, cut.group)
