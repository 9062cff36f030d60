"""Recompute-vs-keep: a pass over a fused graph (docs/compiler.md §2) that recomputes cheap
values where they are read late instead of storing them.

Input: a fused graph (``meta["groups"]``/``meta["group_order"]``, see ``fusion.py``). Output: a
copy in which some elementwise group outputs are cloned into their readers, with the groups
renumbered in execution order and ``meta["recompute"]``: node -> {op, keep_cost,
recompute_cost, readers (new gids), clones, dropped}.

An elementwise group output ``v`` that later groups read (e.g. the ``relu(h) > 0`` mask the
backward needs) is recomputed inside those *late* readers when all its operands are still alive
there anyway: the pass clones ``v`` into each late reader (the clone reads ``v``'s operands)
and, when ``v``'s own group does not use it, drops ``v`` there, so ``v`` is never stored at
all; else ``v`` is no longer a group output. Cost model: recomputing costs ``elements *
op_cost`` flops per extra evaluation (readers, minus the evaluation dropped from the producer)
plus the bytes of operands a reader does not read yet; keeping costs ``v``'s bytes, stored once
and loaded by every reader. One flop is far cheaper than one byte of memory traffic, so cheap
ops (relu, compare, add, mul, cast) are recomputed and exp, log, pow are kept unless the value
is narrow. Every reader must stay a legal group (:func:`fusion.classify`) with the clone in it.
This pass restructures the graph: clones are ordinary nodes of its output.

Scalar chains (:func:`fold_scalar_groups`) come first: a group of one-element values computed
from boundary values only (``-lr`` cast to the parameters' dtype, a bias-correction factor of
Adam from its step count) is a kernel of its own with a stored result, though every reader
could compute it as a loop-invariant prelude for a few scalar flops. Each value of such a group
is cloned into all its readers, node by node from the last, without the cost model (a kernel
launch and a buffer saved against a handful of scalar operations); what stays is the chain
of graph outputs (Adam's new step count). The records say ``"scalar": True``.
"""

from __future__ import annotations

import time
from typing import Any

from ..dtypes import itemsize
from ..graph import Graph
from .fusion import BOUNDARY, OP_COST, FusionContext, annotate_groups, classify
from .simplify import copy_for_pass, stamp


def recompute(g: Graph) -> Graph:
    """Clone cheap values into their late readers; see the module docstring for the contract."""
    start = time.perf_counter()
    if "groups" not in g.meta or "group_order" not in g.meta:
        raise ValueError(f"recompute: graph {g.name} is not fused; run fuse first")
    out = copy_for_pass(g)
    order = list(out.meta["group_order"])
    groups = {gid: set(out.meta["groups"][gid]["nodes"]) for gid in order}
    ctx = FusionContext.of(out)
    decisions = fold_scalar_groups(ctx, groups, order)
    decisions.update(rematerialize(ctx, groups, order))
    kept = [gid for gid in order if groups[gid]]  # a group whose only node moved is gone
    annotate_groups(out, FusionContext.of(out), [groups[gid] for gid in kept])
    renumber = {old: new for new, old in enumerate(kept)}
    for record in decisions.values():
        record["readers"] = [renumber[r] for r in record["readers"]]
    out.meta["recompute"] = decisions
    stamp(out, "recompute", start)
    return out


def fold_scalar_groups(ctx: FusionContext, groups: dict[int, set[int]],
                       order: list[int]) -> dict[int, dict[str, Any]]:
    """Clone the values of every scalar-chain group (module docstring) into the groups that
    read them, when each reader stays legal, and drop them from their group unless it still
    uses them (a graph output it keeps, such as Adam's new step count, stays there):
    mutates ``ctx.g``, ``ctx`` and ``groups`` as :func:`rematerialize` does; returns node ->
    its record (costs 0: not weighed)."""
    g = ctx.g
    graph_outputs = {g.operands(o)[0] for o in g.outputs}
    owner = {n: gid for gid, members in groups.items() for n in members}
    decisions: dict[int, dict[str, Any]] = {}
    for gid in order:
        members = groups[gid]
        if not all(ctx.sizes[n] == 1 and ctx.cls[n] in ("elementwise", "remap")
                   and all(p in members or ctx.cls[p] == "boundary" for p in ctx.operands[n])
                   for n in members):
            continue
        for v in sorted(members, key=ctx.pos.__getitem__, reverse=True):
            if v in graph_outputs:
                continue
            readers = sorted({owner[u] for u in ctx.users[v]} - {gid}, key=order.index)
            if not readers:
                continue
            used_here = any(owner[u] == gid for u in ctx.users[v])
            op = g.op(v)
            clones = _clone_into(ctx, groups, owner, [v], readers, drop=not used_here)
            if clones is not None:
                decisions[v] = {"op": op, "keep_cost": 0, "recompute_cost": 0,
                                "readers": readers, "clones": clones,
                                "dropped": not used_here, "scalar": True}
    return decisions


def rematerialize(ctx: FusionContext, groups: dict[int, set[int]],
                  order: list[int]) -> dict[int, dict[str, Any]]:
    """Recompute cheap elementwise group outputs in their late readers (module docstring):
    mutates ``ctx.g`` (clones, rewired users, dropped originals), ``ctx`` and ``groups``;
    returns node -> {op, keep_cost, recompute_cost, readers (gids), clones, dropped}."""
    g = ctx.g
    where = {gid: t for t, gid in enumerate(order)}
    owner = {n: gid for gid, members in groups.items() for n in members}
    last: dict[int, int] = {}  # value -> position of its last reading group
    for n, gid in owner.items():
        for p in ctx.operands[n]:
            if owner.get(p) != gid:
                last[p] = max(last.get(p, -1), where[gid])
    graph_outputs = {g.operands(o)[0] for o in g.outputs}
    decisions: dict[int, dict[str, Any]] = {}
    for gid in order:
        for v in sorted(groups[gid], key=ctx.pos.__getitem__):
            if ctx.cls[v] != "elementwise" or v in graph_outputs:
                continue
            readers = sorted({owner[u] for u in ctx.users[v]} - {gid}, key=where.__getitem__)
            if not readers:
                continue  # not a group output
            cone = _cone(ctx, groups[gid], owner, v, graph_outputs)
            leaves = _leaves(ctx, cone)
            if any(a in decisions for a in leaves) or not _leaves_ok(
                    ctx, owner, gid, leaves, last, where[readers[-1]], v):
                continue  # an operand is recomputed itself, or not stored where it could be
            used_here = any(owner[u] == gid for u in ctx.users[v])
            keep = _keep_cost(ctx, v, readers)
            cost = _recompute_cost(ctx, groups, cone, readers, used_here)
            op = g.op(v)
            if cost <= keep:
                clones = _clone_into(ctx, groups, owner, cone, readers, drop=not used_here)
                if clones is not None:
                    for a in leaves:
                        last[a] = max(last.get(a, -1), where[readers[-1]])
                    decisions[v] = {"op": op, "keep_cost": keep, "recompute_cost": cost,
                                    "readers": readers, "clones": clones,
                                    "dropped": not used_here}
    return decisions


# at most this many nodes are recomputed for one value (its own op and its group's
# intermediate values it is computed from)
MAX_CONE = 8


def _cone(ctx: FusionContext, members: set[int], owner: dict[int, int], v: int,
          graph_outputs: set[int]) -> list[int]:
    """``v`` and the elementwise values of its group that it is computed from and that no
    other group reads (not stored: a clone of ``v`` must compute them again), in
    topological order; ``[v]`` when there are more than :data:`MAX_CONE`."""
    cone = {v}
    todo = [v]
    while todo:
        for p in ctx.operands[todo.pop()]:
            if (p in members and p not in cone and ctx.cls[p] == "elementwise"
                    and p not in graph_outputs
                    and all(owner.get(u) == owner[v] for u in ctx.users[p])):
                cone.add(p)
                todo.append(p)
    if len(cone) > MAX_CONE:
        return [v]
    return sorted(cone, key=ctx.pos.__getitem__)


def _leaves(ctx: FusionContext, cone: list[int]) -> set[int]:
    """The operands of a cone's nodes outside the cone (what its clones read)."""
    inside = set(cone)
    return {p for n in cone for p in ctx.operands[n] if p not in inside}


def _leaves_ok(ctx: FusionContext, owner: dict[int, int], gid: int, leaves: set[int],
               last: dict[int, int], until: int, v: int) -> bool:
    """Every leaf is a constant or a stored value (read outside group ``gid``), and those
    the clones would keep alive longer than they live now are together no larger than ``v``,
    whose buffer the move frees for at least that long (values under 1/64 of ``v`` are not
    counted: a per-channel statistic read by a later reduction), so the peak never grows."""
    longer = 0
    for a in leaves:
        if ctx.g.op(a) in BOUNDARY:
            continue
        if owner.get(a) == gid and all(owner.get(u) == gid for u in ctx.users[a]):
            return False  # a value only its own kernel computes: never stored
        if last.get(a, -1) < until and _nbytes(ctx, a) * 64 > _nbytes(ctx, v):
            longer += _nbytes(ctx, a)
    return longer <= _nbytes(ctx, v)


def _nbytes(ctx: FusionContext, v: int) -> int:
    return ctx.sizes[v] * itemsize(ctx.g.dtype(v))


def _keep_cost(ctx: FusionContext, v: int, readers: list[int]) -> int:
    """Bytes of traffic keeping ``v`` costs: one store and one load per reader group."""
    return _nbytes(ctx, v) * (1 + len(readers))


def _recompute_cost(ctx: FusionContext, groups: dict[int, set[int]], cone: list[int],
                    readers: list[int], used_here: bool) -> int:
    """Flops of the extra evaluations plus the bytes of operands a reader does not read yet."""
    extra = len(readers) - (0 if used_here else 1)
    cost = sum(ctx.sizes[n] * OP_COST.get(ctx.g.op(n), 1) for n in cone) * max(extra, 0)
    leaves = _leaves(ctx, cone)
    for r in readers:
        members = groups[r]
        already = {p for n in members for p in ctx.operands[n] if p not in members}
        cost += sum(_nbytes(ctx, a) for a in leaves - already
                    if ctx.g.op(a) not in ("const", "full"))
    return cost


_TABLES = ("pos", "cls", "sizes", "operands", "users")


def _clone_into(ctx: FusionContext, groups: dict[int, set[int]], owner: dict[int, int],
                cone: list[int], readers: list[int], drop: bool) -> list[int] | None:
    """Give each reader group its own copy of ``cone`` (its last node ``v`` and the values of
    its group it is computed from), reading the cone's leaves, and drop ``v`` when ``drop``
    (with the cone values nothing else reads then), if every changed group stays legal;
    returns the clone ids of ``v`` per reader, or None (nothing changed)."""
    g = ctx.g
    v = cone[-1]
    saved = {name: dict(getattr(ctx, name)) for name in _TABLES}
    next_id = g._next_id
    maps: list[dict[int, int]] = []
    for r in readers:
        clone: dict[int, int] = {}
        for n in cone:
            c = clone[n] = next_id
            next_id += 1
            ctx.pos[c], ctx.cls[c], ctx.sizes[c] = ctx.pos[n], ctx.cls[n], ctx.sizes[n]
            ctx.operands[c] = [clone.get(p, p) for p in ctx.operands[n]]
            ctx.users[c] = []
            for p in set(ctx.operands[c]):
                ctx.users[p] = ctx.users[p] + [c]
        uses = [u for u in ctx.users[v] if owner.get(u) == r]
        for u in uses:
            ctx.operands[u] = [clone[v] if p == v else p for p in ctx.operands[u]]
        ctx.users[v] = [u for u in ctx.users[v] if u not in uses]
        ctx.users[clone[v]] = uses
        maps.append(clone)
    dead = []
    if drop:
        for n in reversed(cone):
            if n == v or not ctx.users[n]:
                dead.append(n)
                for p in set(ctx.operands[n]):
                    ctx.users[p] = [u for u in ctx.users[p] if u != n]
    home = groups[owner[v]] - set(dead)
    legal = all(classify(ctx, groups[r] | set(clone.values())) is not None
                for clone, r in zip(maps, readers, strict=True))
    if not legal or (dead and home and classify(ctx, home) is None):
        for name, table in saved.items():
            setattr(ctx, name, table)
        return None
    for clone, r in zip(maps, readers, strict=True):
        for n in cone:
            node = g.nx.nodes[n]
            got = g.add(node["op"], [clone.get(p, p) for p in g.operands(n)], loc=node.get("loc"),
                        **node["attrs"])
            assert got == clone[n], "rematerialize: clone ids out of step with the graph"
            groups[r].add(got)
            owner[got] = r
        for u in ctx.users[clone[v]]:
            for src, _, key in [e for e in g.nx.in_edges(u, keys=True) if e[0] == v]:
                g.nx.remove_edge(src, u, key=key)
                g.nx.add_edge(clone[v], u, key=key)
    for n in dead:
        groups[owner[n]].discard(n)
        g.nx.remove_node(n)
        for name in _TABLES:
            del getattr(ctx, name)[n]
        del owner[n]
    return [clone[v] for clone in maps]
