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

A step with several reducing ``backward()`` calls (gradient accumulation without
``no_sync()``) records one cut per reduction, in order; the graph is cut at the first, the
rest of it at the second, and so on: ``k`` cuts give ``k + 1`` native calls with an in-place
all-reduce after each of the first ``k``. Each cut's fed values have names of their own
(``cut<i>_bucket<j>``, ``cut<i>_value<j>``), so a later part can read any earlier one.
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
    tracer.__dict__.setdefault("reduction_cuts", []).append(Cut(nodes, group))


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


def _split(g: Any, buckets: list[list[int]], prefix: str = "cut0_"
           ) -> tuple[Any, Any, int]:
    """Part 1, part 2 and how many of part 1's leading outputs are gradient buckets; part 2
    reads them as inputs ``<prefix>bucket<j>`` and part 1's other values as
    ``<prefix>value<j>``. Node ids of part 2 are ``g``'s, so a later cut can be applied to it."""
    missing = [n for b in buckets for n in b if n not in g.nx]
    if missing:
        raise NotImplementedError(
            "DistributedDataParallel inside tenkai.compile: a gradient reduced by a later "
            "backward() of the step was computed before an earlier reduction (a parameter the "
            "earlier backward did not reach); reduce once per step, accumulating the other "
            "micro-batches under model.no_sync()")
    cut = [n for b in buckets for n in b]
    after: set[int] = set()
    for c in cut:
        after |= nx.descendants(g.nx, c)
    outputs = set(g.outputs)
    later = after | outputs
    sources = {n for n in g.nodes() if not g.operands(n)}  # inputs, params, constants
    handed = [n for n in g.topo_order() if n not in later and n not in sources
              and n not in cut and any(u in later for u in g.users(n))]

    first = g.copy(f"{g.name}_{prefix}to_allreduce")
    first.nx.remove_nodes_from(later)
    for bucket in buckets:  # one flat output per bucket: one all-reduce per bucket
        flat = [first.add("reshape", [n], shape=(_numel(g, n),)) for n in bucket]
        first.add_output(flat[0] if len(flat) == 1 else first.add("cat", flat, axis=0))
    for n in handed:
        first.add_output(n)
    first.nx.remove_nodes_from(set(first.nodes()) - first.ancestors(first.outputs))
    first.meta["writes"] = {}

    second = g.copy(f"{g.name}_{prefix}from_allreduce")
    for j, bucket in enumerate(buckets):
        size = sum(_numel(g, n) for n in bucket)
        fed = second.add("input", shape=(size,), dtype=g.dtype(bucket[0]),
                         name=f"{prefix}bucket{j}")
        start = 0
        for n in bucket:
            piece = second.add("slice", [fed], starts=(start,), stops=(start + _numel(g, n),),
                               steps=(1,))
            _redirect(second, n, second.add("reshape", [piece], shape=g.shape(n)), later)
            start += _numel(g, n)
    for j, n in enumerate(handed):
        fed = second.add("input", shape=g.shape(n), dtype=g.dtype(n),
                         name=f"{prefix}value{j}")
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
    """part 1 -> in-place all-reduce of its gradient outputs -> part 2 ... (feeds by name).

    ``parts``: ``(graph, program)`` per native call, in order; ``n_grads``: for every part but
    the last, how many of its leading outputs are gradient buckets (the rest are values later
    parts read, fed as ``cut<i>_value<j>``)."""

    def __init__(self, parts: list[tuple[Any, Any]], n_grads: list[int],
                 group: ProcessGroup) -> None:
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
        fed = dict(feeds)
        for i, n_grads in enumerate(self.n_grads):
            out = self._call(i, fed)
            buckets = [a if a.flags.c_contiguous and a.flags.writeable else np.array(a)
                       for a in out[:n_grads]]
            self.allreduce_mean(buckets)
            fed.update((f"cut{i}_bucket{j}", a) for j, a in enumerate(buckets))
            fed.update((f"cut{i}_value{j}", a) for j, a in enumerate(out[n_grads:]))
        return self._call(len(self.n_grads), fed)

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
    """Compile the parts of a traced step cut at its gradient reductions (one more part than
    cuts, in order)."""
    graphs: list[Any] = []
    n_grads: list[int] = []
    rest = g
    for i, cut in enumerate(cuts):
        if cut.group is not cuts[0].group:
            raise NotImplementedError(
                "DistributedDataParallel inside tenkai.compile: reductions over two process "
                "groups in one compiled step are not supported; use one DDP model per step")
        first, rest, count = _split(rest, cut.buckets, f"cut{i}_")
        graphs.append(first)
        n_grads.append(count)
    graphs.append(rest)
    parts = [(part, compile_graph(part, backend)) for part in graphs]
    return CutProgram(parts, n_grads, cuts[0].group)
