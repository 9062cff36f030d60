"""Fusion: decide which nodes run together as one kernel, by annotation (docs/compiler.md §2).

Input: a graph that verifies. Output: a copy in which every non-boundary node (boundary:
``input``, ``param``, ``const``, ``full``, ``output``) has a node attribute ``group``, plus
``meta["groups"]`` (gid -> kind, nodes, outputs, inputs) and ``meta["group_order"]`` (a valid
execution order). The graph itself is not restructured.

Vocabulary. A *remap* is a movement op that only renames indices: reshape, permute, expand,
slice. Inside a group, a remap is a *load* when its in-group operands are loads too and all
its users are in the group: it is not computed, it only changes the index at which the group
reads an outside buffer (any remap chain is an index expression; a load feeding a matmul must
also be a strided view, since the GEMM takes strides). A *prelude* is a one-element value (or a
remap of one) computed from loads and preludes only, with all users in the group: loop
invariant, e.g. ``grad / count`` broadcast into a loss gradient. Every other member is *core*:
a value the kernel computes per element (and stores when it is a group output).

Rules (registry kernel classes; :func:`classify` decides, for any node set, whether it is one
legal group and of which kind):

1. elementwise / movement: core nodes all have the same number of elements, so there is one
   iteration space; broadcasting operands, where/clamp/cast included, are read through their
   broadcast index. Kind ``movement`` when every core node is a remap.
   Multi-tensor (rule 1b, formed only for optimizer updates, see below): several elementwise
   spaces in one group, with no in-group edge between core nodes of different element counts
   (each space is an independent loop nest of the one kernel).
2. reduction: one or more reductions with the same input shape and axes (sibling reductions,
   e.g. ``sum(g)`` and ``sum(g * xhat)``, share the loop). Core nodes upstream of a reduction
   are its *prologue* (input-space elements, computed once each inside the reduction loop, and
   stored when needed outside: ``x - mean`` for layer norm); core nodes downstream of it are
   its *epilogue* (output-space elements: ``log`` of a sum, ``rsqrt(var + eps)``); unrelated
   core nodes join whichever space has their element count. Data flows prologue -> reduction
   -> epilogue only, so a reduction never reads another's result in the same group (softmax
   therefore is max | exp+sum | div: three groups).
3. contraction (matmul) / window (conv, pool): exactly one anchor; its operands are outside
   or loads (matmul: strided views, i.e. transposed/broadcast weights; window: none); every
   other core node is an elementwise epilogue with the anchor's element count that does not
   feed the anchor (bias add, relu, an optimizer update of a weight gradient).
4. indexing (take/gather/scatter_add/index_add/index_put/slice_assign, and cat/pad), random
   ops and anything unknown (arange: "opaque") are single-node groups.

Groups are formed greedily: nodes in topological order try to merge their operands' groups
into their own (remaps wait one sweep, so a transpose becomes its matmul's view rather than a
copy in its producer); then groups reading a common value try to merge (sibling reductions).
A merge happens when the union is legal (:func:`classify`) and creates no cycle between groups
(which keeps every group convex). Sweeps repeat until none merges. Last, the optimizer updates
(``meta["writes"]`` values) that did not become the epilogue of their gradient's kernel, e.g.
because gradient clipping puts a global norm between every gradient and its update, are merged
into multi-tensor groups (rule 1b): one kernel updates all those parameters and their state.

Recompute-vs-keep is the next pass, ``recompute.py``.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import VerifyError
from ..graph import Graph
from ..ops import CONTRACTION, ELEMENTWISE, INDEXING, RANDOM, REDUCTION, REGISTRY, WINDOW
from .simplify import copy_for_pass, numel, stamp

BOUNDARY = frozenset({"input", "param", "const", "full", "output"})
REMAPS = frozenset({"reshape", "permute", "expand", "slice"})
OWN_GROUP_OPS = {"cat": "indexing", "pad": "indexing", "arange": "opaque"}
SINGLE_KINDS = frozenset({"indexing", "random", "opaque"})
ANCHORS = frozenset({"reduction", "contraction", "window"})
# reduction group phases: which phase may read which (core-to-core edges)
PHASE_EDGES = frozenset({("pro", "pro"), ("pro", "red"), ("red", "epi"), ("epi", "epi")})
OP_COST = {"exp": 8, "expm1": 8, "log": 8, "log1p": 8, "tanh": 8, "sigmoid": 8, "sin": 8,
           "cos": 8, "erf": 16, "pow": 16, "sqrt": 4, "rsqrt": 4, "div": 4, "reciprocal": 4}
MAX_SWEEPS = 4
KIND_CLASS = {ELEMENTWISE: "elementwise", REDUCTION: "reduction", CONTRACTION: "contraction",
              WINDOW: "window", INDEXING: "indexing", RANDOM: "random"}


def fusion_class(g: Graph, n: int) -> str:
    """What fusion treats ``n`` as: boundary, remap, elementwise, an anchor kind (reduction,
    contraction, window) or a single-node kind (indexing, random, opaque)."""
    op = g.op(n)
    if op in BOUNDARY:
        return "boundary"
    if op in OWN_GROUP_OPS:
        return OWN_GROUP_OPS[op]
    if op in REMAPS:
        return "remap"
    return KIND_CLASS.get(REGISTRY[op].kind, "opaque")


@dataclass
class FusionContext:
    """Per-graph facts :func:`classify` needs, computed once (networkx lookups are slow):
    topological positions, fusion classes, operands, users and element counts."""

    g: Graph
    pos: dict[int, int] = field(default_factory=dict)
    cls: dict[int, str] = field(default_factory=dict)
    operands: dict[int, list[int]] = field(default_factory=dict)
    users: dict[int, list[int]] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, g: Graph) -> FusionContext:
        order = g.topo_order()
        return cls(g, {n: k for k, n in enumerate(order)}, {n: fusion_class(g, n) for n in order},
                   {n: g.operands(n) for n in order}, {n: g.users(n) for n in order},
                   {n: numel(g.shape(n)) for n in order})

    def plain_size(self, members: set[int]) -> int | None:
        """The element count when every member is an elementwise op of that one count (such
        groups merge without a full :func:`classify`), else None."""
        sizes = {self.sizes[n] for n in members}
        if len(sizes) == 1 and all(self.cls[n] == "elementwise" for n in members):
            return sizes.pop()
        return None


# ---------------------------------------------------------------- legality of one group


def free_nodes(ctx: FusionContext, members: set[int]) -> tuple[set[int], set[int]]:
    """(loads, preludes) of a candidate group: members whose users are all in the group and
    that the kernel does not compute per element. A *load* is a remap whose in-group operands
    are loads (an index expression over an outside buffer); a *prelude* is a one-element
    elementwise value, or a remap, computed from loads and preludes only (loop invariant)."""
    loads: set[int] = set()
    preludes: set[int] = set()
    for n in sorted(members, key=ctx.pos.__getitem__):
        users = ctx.users[n]
        if not users or any(u not in members for u in users):
            continue
        ins = [i for i in ctx.operands[n] if i in members]
        if ctx.cls[n] == "remap" and all(i in loads for i in ins):
            loads.add(n)
        elif (ctx.cls[n] == "remap" or (ctx.cls[n] == "elementwise" and ctx.sizes[n] == 1)) \
                and all(i in loads or i in preludes for i in ins):
            preludes.add(n)
    return loads, preludes


def _reach(ctx: FusionContext, starts: list[int], within: set[int], forward: bool) -> set[int]:
    """Nodes of ``within`` reachable from ``starts`` (excluded) along in-group edges."""
    seen: set[int] = set()
    stack = list(starts)
    edges = ctx.users if forward else ctx.operands
    while stack:
        n = stack.pop()
        for m in edges[n]:
            if m in within and m not in seen:
                seen.add(m)
                stack.append(m)
    return seen


def _contiguous(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


def _same_layout(shape: tuple[int, ...], a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(x == y for d, x, y in zip(shape, a, b, strict=True) if d != 1)


def view_strides(g: Graph, n: int, members: set[int]) -> tuple[int, ...] | None:
    """Element strides of ``n`` as a view of the outside buffer its load chain starts from;
    None when the chain is not a strided view (a slice, or a reshape of a non-contiguous view)."""
    if n not in members:
        return _contiguous(g.shape(n))
    if g.op(n) not in REMAPS:
        return None
    (x,) = g.operands(n)
    base = view_strides(g, x, members)
    if base is None:
        return None
    old, new, op = g.shape(x), g.shape(n), g.op(n)
    if op == "permute":
        return tuple(base[d] for d in g.attrs(n)["dims"])
    if op == "expand":
        lead = len(new) - len(old)
        return (0,) * lead + tuple(0 if o == 1 and m != 1 else s
                                   for o, m, s in zip(old, new[lead:], base, strict=True))
    if op == "reshape" and _same_layout(old, base, _contiguous(old)):
        return _contiguous(new)
    return None


def _reduction_signature(g: Graph, n: int) -> tuple[Any, ...]:
    a = g.attrs(n)
    axes = tuple(a["axes"]) if "axes" in a else (a["axis"],)
    return (g.shape(g.operands(n)[0]), axes)


def _classify_reduction(ctx: FusionContext, core: list[int], members: set[int]) -> str | None:
    g = ctx.g
    reds = [n for n in core if ctx.cls[n] == "reduction"]
    if len({_reduction_signature(g, r) for r in reds}) != 1:
        return None
    space_in, space_out = ctx.sizes[ctx.operands[reds[0]][0]], ctx.sizes[reds[0]]
    core_set = set(core)
    desc = _reach(ctx, reds, core_set, forward=True)
    anc = _reach(ctx, reds, core_set, forward=False)
    if desc & anc or desc & set(reds):
        return None  # a reduction would read another reduction's result
    phase = {r: "red" for r in reds}
    for n in set(core) - set(reds):  # unrelated nodes join the space with their element count
        related = "epi" if n in desc else "pro" if n in anc else None
        phase[n] = related or ("epi" if ctx.sizes[n] == space_out else "pro")
        if ctx.sizes[n] != (space_out if phase[n] == "epi" else space_in):
            return None
    for n in core:
        for p in ctx.operands[n]:
            if p in core_set and (phase[p], phase[n]) not in PHASE_EDGES:
                return None
    return "reduction"


def _classify_anchored(ctx: FusionContext, core: list[int], members: set[int],
                       loads: set[int]) -> str | None:
    g = ctx.g
    anchors = [n for n in core if ctx.cls[n] in ANCHORS]
    if len(anchors) != 1:
        return None
    anchor = anchors[0]
    for p in ctx.operands[anchor]:
        if p in members and (ctx.cls[anchor] == "window" or p not in loads
                             or view_strides(g, p, members) is None):
            return None
    core_set = set(core)
    if _reach(ctx, [anchor], core_set, forward=False):
        return None  # computed values feeding the anchor: that is another kernel
    if any(ctx.sizes[n] != ctx.sizes[anchor] for n in core):
        return None
    return ctx.cls[anchor]


def classify(ctx: FusionContext, members: set[int], multi_space: bool = True) -> str | None:
    """The kind of group ``members`` forms under the module's rules, or None when they may
    not form one group (``multi_space=False``: without rule 1b, as greedy merging asks).
    Convexity is not checked here (see :func:`check_groups`)."""
    kinds = {ctx.cls[n] for n in members}
    if "boundary" in kinds:
        return None
    single = kinds & SINGLE_KINDS
    if single:
        return next(iter(single)) if len(members) == 1 else None
    loads, preludes = free_nodes(ctx, members)
    core = [n for n in sorted(members, key=ctx.pos.__getitem__)
            if n not in loads and n not in preludes]
    anchor_kinds = {ctx.cls[n] for n in core} & ANCHORS
    if not anchor_kinds:
        if len({ctx.sizes[n] for n in core}) != 1:
            return "elementwise" if multi_space and _independent_spaces(ctx, core) else None
        return "movement" if all(ctx.cls[n] == "remap" for n in core) else "elementwise"
    if anchor_kinds == {"reduction"}:
        return _classify_reduction(ctx, core, members)
    return _classify_anchored(ctx, core, members, loads)


def _independent_spaces(ctx: FusionContext, core: list[int]) -> bool:
    """Rule 1b: elementwise core nodes only, and no core-to-core edge between spaces."""
    core_set = set(core)
    return all(ctx.cls[n] == "elementwise" for n in core) and all(
        ctx.sizes[p] == ctx.sizes[n] for n in core for p in ctx.operands[n] if p in core_set)


def spaces(members: set[int], operands: Callable[[int], list[int]]) -> list[list[int]]:
    """The independent loop spaces of a group (members connected by in-group edges), each
    sorted by node id, earliest space first; ``operands(n)`` gives a node's operands."""
    parent = {n: n for n in members}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in members:
        for p in operands(n):
            if p in members:
                parent[root(p)] = root(n)
    out: dict[int, list[int]] = {}
    for n in sorted(members):
        out.setdefault(root(n), []).append(n)
    return sorted(out.values(), key=lambda c: c[0])


# ---------------------------------------------------------------- greedy merging


@dataclass
class _Partition:
    """Groups during merging: members, a node -> group map and the group-level DAG."""

    group: dict[int, int]
    members: dict[int, set[int]]
    succ: dict[int, set[int]]
    pred: dict[int, set[int]]
    lo: dict[int, int]  # smallest topological position in the group
    hi: dict[int, int]  # largest
    plain: dict[int, int | None]  # FusionContext.plain_size of the group

    @classmethod
    def singletons(cls, ctx: FusionContext, nodes: list[int]) -> _Partition:
        part = cls({n: n for n in nodes}, {n: {n} for n in nodes}, {n: set() for n in nodes},
                   {n: set() for n in nodes}, {n: ctx.pos[n] for n in nodes},
                   {n: ctx.pos[n] for n in nodes}, {n: ctx.plain_size({n}) for n in nodes})
        for n in nodes:
            for p in ctx.operands[n]:
                if p in part.group:
                    part.succ[p].add(n)
                    part.pred[n].add(p)
        return part

    def reaches(self, src: int, dst: int, skip_direct: bool) -> bool:
        """Whether a path of group edges leads from ``src`` to ``dst`` (ignoring the direct
        edge when ``skip_direct``)."""
        stack = [s for s in self.succ[src] if not (skip_direct and s == dst)]
        seen = set(stack)
        while stack:
            x = stack.pop()
            if x == dst:
                return True
            for s in self.succ[x]:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return False

    def merge(self, a: int, b: int) -> None:
        """Fold group ``b`` into group ``a``."""
        for n in self.members[b]:
            self.group[n] = a
        self.members[a] |= self.members.pop(b)
        same = self.plain[a] is not None and self.plain[a] == self.plain.pop(b)
        self.plain[a] = self.plain[a] if same else None
        self.lo[a], self.hi[a] = min(self.lo[a], self.lo.pop(b)), max(self.hi[a], self.hi.pop(b))
        for s in self.succ.pop(b) - {a}:
            self.pred[s] = (self.pred[s] - {b}) | {a}
            self.succ[a].add(s)
        for p in self.pred.pop(b) - {a}:
            self.succ[p] = (self.succ[p] - {b}) | {a}
            self.pred[a].add(p)
        self.succ[a].discard(b)
        self.pred[a].discard(b)


def _try_merge(ctx: FusionContext, part: _Partition, a: int, b: int) -> bool:
    union = part.members[a] | part.members[b]
    plain = part.plain[a] is not None and part.plain[a] == part.plain[b]
    if not plain and classify(ctx, union, multi_space=False) is None:
        return False
    if part.reaches(a, b, skip_direct=True) or part.reaches(b, a, skip_direct=True):
        return False  # another group sits between them: merging would make a cycle
    part.merge(a, b)
    return True


def _vertical_sweep(ctx: FusionContext, part: _Partition, nodes: list[int],
                    remaps_too: bool) -> bool:
    """Each node tries to absorb its operands' groups. Without ``remaps_too`` remaps start no
    merge, so a transpose is first offered to its consumer (as a load) than to its producer."""
    merged = False
    for n in nodes:
        if not remaps_too and ctx.cls[n] == "remap":
            continue
        for p in ctx.operands[n]:
            if p in part.group and part.group[p] != part.group[n]:
                merged |= _try_merge(ctx, part, part.group[p], part.group[n])
    return merged


def _sibling_sets(ctx: FusionContext, part: _Partition) -> list[list[int]]:
    """Sets of groups that read a common boundary value or a common producer group."""
    sets = [sorted({part.group[u] for u in ctx.users[v] if u in part.group})
            for v in ctx.g.nodes() if ctx.cls[v] == "boundary"]
    sets += [sorted(part.succ[gid]) for gid in sorted(part.members)]
    return [s for s in sets if len(s) > 1]


def _horizontal_sweep(ctx: FusionContext, part: _Partition, max_siblings: int = 8) -> bool:
    """Siblings try to merge: reductions of one input over the same axes share a loop, as do
    independent elementwise loops over one space."""
    merged = False
    for siblings in _sibling_sets(ctx, part):
        live = sorted((s for s in siblings if s in part.members),
                      key=part.lo.__getitem__)[:max_siblings]
        for i, a in enumerate(live):
            for b in live[i + 1:]:
                if a in part.members and b in part.members:
                    merged |= _try_merge(ctx, part, a, b)
    return merged


def _greedy_groups(ctx: FusionContext) -> _Partition:
    nodes = [n for n in ctx.g.topo_order() if ctx.cls[n] != "boundary"]
    part = _Partition.singletons(ctx, nodes)
    _vertical_sweep(ctx, part, nodes, remaps_too=False)
    for _ in range(MAX_SWEEPS):
        merged = _vertical_sweep(ctx, part, nodes, remaps_too=True)
        merged |= _horizontal_sweep(ctx, part)
        if not merged:
            break
    _merge_updates(ctx, part)
    return part


def _merge_updates(ctx: FusionContext, part: _Partition) -> None:
    """Merge the elementwise groups holding optimizer updates into multi-tensor groups
    (rule 1b), earliest first, as long as no other group sits between two of them."""
    g = ctx.g
    writes = g.meta.get("writes") or {}
    values = {g.operands(o)[0] for o in g.outputs if g.attrs(o)["index"] in writes}
    updates = sorted({part.group[v] for v in values if v in part.group
                      and classify(ctx, part.members[part.group[v]]) == "elementwise"},
                     key=part.lo.__getitem__)
    merged: list[int] = []
    for gid in updates:
        for target in merged:
            union = part.members[target] | part.members[gid]
            if classify(ctx, union) is not None and not part.reaches(target, gid, False) \
                    and not part.reaches(gid, target, False):
                part.merge(target, gid)
                break
        else:
            merged.append(gid)


def _execution_order(part: _Partition) -> list[set[int]]:
    """Groups in a topological order of the group DAG (Kahn), earliest first node first."""
    waiting = {gid: len(preds) for gid, preds in part.pred.items()}
    heap = [(part.lo[gid], gid) for gid, n in waiting.items() if not n]
    heapq.heapify(heap)
    order: list[set[int]] = []
    while heap:
        _, gid = heapq.heappop(heap)
        order.append(part.members[gid])
        for s in part.succ[gid]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(heap, (part.lo[s], s))
    if len(order) != len(part.members):
        raise VerifyError("fuse: the groups form a cycle (a bug in the merge checks)")
    return order


def annotate_groups(g: Graph, ctx: FusionContext, ordered: list[set[int]]) -> None:
    """Write ``ordered`` (groups in execution order) into ``g``: node attribute ``group``,
    ``meta["groups"]`` and ``meta["group_order"]`` (gids 0, 1, ... in that order)."""
    groups: dict[int, dict[str, Any]] = {}
    for gid, members in enumerate(ordered):
        kind = classify(ctx, members)
        assert kind is not None, f"{g.name}: an illegal group {sorted(members)}"
        groups[gid] = _group_record(ctx, kind, members)
        for n in members:
            g.nx.nodes[n]["group"] = gid
    g.meta["groups"] = groups
    g.meta["group_order"] = list(groups)


def _group_record(ctx: FusionContext, kind: str, members: set[int]) -> dict[str, Any]:
    g = ctx.g
    nodes = sorted(members, key=ctx.pos.__getitem__)
    outputs = [n for n in nodes if any(u not in members for u in g.users(n))]
    inputs = sorted({p for n in nodes for p in g.operands(n) if p not in members},
                    key=ctx.pos.__getitem__)
    return {"kind": kind, "nodes": nodes, "outputs": outputs, "inputs": inputs}


# ---------------------------------------------------------------- the pass


def fuse(g: Graph) -> Graph:
    """Annotate ``g``'s nodes with fusion groups; see the module docstring for the contract."""
    start = time.perf_counter()
    out = copy_for_pass(g)
    ctx = FusionContext.of(out)
    annotate_groups(out, ctx, _execution_order(_greedy_groups(ctx)))
    stamp(out, "fuse", start)
    return out


def check_groups(g: Graph) -> None:
    """Raise VerifyError unless ``g``'s fusion annotation keeps the §2 contract: every
    non-boundary node in exactly one legal group and ``group_order`` topological (which makes
    every group convex: a path out of a group and back would need a later group first)."""
    groups, order = g.meta.get("groups"), g.meta.get("group_order")
    if groups is None or order is None or sorted(order) != sorted(groups):
        raise VerifyError(f"graph {g.name}: meta groups/group_order missing or inconsistent")
    ctx = FusionContext.of(g)
    owner = {n: gid for gid, rec in groups.items() for n in rec["nodes"]}
    if len(owner) != sum(len(rec["nodes"]) for rec in groups.values()):
        raise VerifyError(f"graph {g.name}: a node is listed in two groups")
    for n in g.nodes():
        expected = None if ctx.cls[n] == "boundary" else owner.get(n, "none")
        if g.nx.nodes[n].get("group") != expected:
            raise VerifyError(f"graph {g.name}: node {n} ({g.op(n)}) has group "
                              f"{g.nx.nodes[n].get('group')}, the groups table says {expected}")
    where = {gid: t for t, gid in enumerate(order)}
    for gid, rec in groups.items():
        members = set(rec["nodes"])
        if len(members) != len(rec["nodes"]) or classify(ctx, members) != rec["kind"]:
            raise VerifyError(f"graph {g.name}: group {gid} is not a legal {rec['kind']} group")
        for n in members:
            for p in g.operands(n):
                if p in owner and owner[p] != gid and where[owner[p]] >= where[gid]:
                    raise VerifyError(f"graph {g.name}: group {gid} reads node {p} of group "
                                      f"{owner[p]}, which group_order runs later")
