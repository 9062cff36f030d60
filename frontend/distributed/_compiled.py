"""The gradient all-reduce inside a compiled training step: the step is cut in two.

While ``tenkai.compile`` traces a step, DistributedDataParallel's end-of-backward callback
reduces the gradients eagerly (so the traced run has eager's effects) and records a *cut*:
the graph nodes holding the gradients at that moment (:func:`record_cut`). When the step is
compiled (:func:`compile_with_cut`) its graph is split there:

* part 1 is everything the gradients depend on (forward, loss, backward, and whatever else
  does not depend on the gradients); its outputs are the gradients, then every other value
  part 2 needs from it;
* part 2 is everything that depends on the gradients (the optimizer update, fused as
  before), reading the reduced gradients and part 1's values as inputs; its outputs are the
  step's outputs, so the replay writes parameters and state exactly as without the cut.

Between the two native calls the runtime all-reduces part 1's gradient outputs in place
(nonblocking MPI all-reduces, all in flight at once, then one divide by the world size):
no copy of a gradient is made on the way.
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
    nodes: list[int]  # graph nodes of the gradients at the reduction point
    group: ProcessGroup


def record_cut(grads: list[Any], group: ProcessGroup) -> None:
    """Called by DDP at the end of a traced backward: remember where the step reduces."""
    tracer = _trace.ACTIVE
    nodes = []
    for g in grads:
        nid = tracer.node_of.get(id(g._data))
        if nid is None:
            raise NotImplementedError("DistributedDataParallel inside tenkai.compile: a "
                                      "gradient was not produced by the traced backward")
        if nid not in nodes:
            nodes.append(nid)
    cuts = tracer.__dict__.setdefault("reduction_cuts", [])
    if cuts:
        raise NotImplementedError(
            "DistributedDataParallel inside tenkai.compile: more than one reducing backward() "
            "in one compiled step is not supported yet; accumulate micro-batches under "
            "model.no_sync() and reduce once")
    cuts.append(Cut(nodes, group))


def _split(g: Any, cut: list[int]) -> tuple[Any, Any, int]:
    """Part 1, part 2 and how many of part 1's leading outputs are gradients."""
    after: set[int] = set()
    for c in cut:
        after |= nx.descendants(g.nx, c)
    outputs = set(g.outputs)
    later = after | outputs
    sources = {n for n in g.nodes() if not g.operands(n)}  # inputs, params, constants
    handed = [n for n in g.topo_order() if n not in later and n not in sources
              and n not in cut and any(u in later for u in g.users(n))]
    boundary = list(cut) + handed

    first = g.copy(f"{g.name}_to_allreduce")
    first.nx.remove_nodes_from(later)
    for n in boundary:
        first.add_output(n)
    first.nx.remove_nodes_from(set(first.nodes()) - first.ancestors(first.outputs))
    first.meta["writes"] = {}

    second = g.copy(f"{g.name}_from_allreduce")
    for j, n in enumerate(boundary):
        fed = second.add("input", shape=g.shape(n), dtype=g.dtype(n), name=f"allreduce{j}")
        for _, user, key in list(second.nx.out_edges(n, keys=True)):
            if user in later:
                second.nx.remove_edge(n, user, key=key)
                second.nx.add_edge(fed, user, key=key)
    # sources stay: a parameter written by the step keeps its node even when part 1 now
    # computes everything that reads it
    dead = set(second.nodes()) - second.ancestors(second.outputs) - sources
    second.nx.remove_nodes_from(dead)
    return first, second, len(cut)


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
        grads = [a if a.flags.c_contiguous and a.flags.writeable else np.array(a)
                 for a in first[:self.n_grads]]
        self.allreduce_mean(grads)
        fed = dict(feeds)
        fed.update((f"allreduce{j}", a) for j, a in enumerate(grads + list(first[self.n_grads:])))
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
    first, second, n_grads = _split(g, cut.nodes)
    parts = [(first, compile_graph(first, backend)), (second, compile_graph(second, backend))]
    return CutProgram(parts, n_grads, cut.group)
