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
            clones = _clone_into(ctx, groups, owner, v, readers, drop=not used_here)
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
            if not readers or any(p in decisions for p in ctx.operands[v]):
                continue  # not a group output, or an operand is recomputed itself
            used_here = any(owner[u] == gid for u in ctx.users[v])
            if not all(g.op(a) in BOUNDARY or last.get(a, -1) >= where[r]
                       for a in ctx.operands[v] for r in readers):
                continue
            keep = _keep_cost(ctx, v, readers)
            cost = _recompute_cost(ctx, groups, v, readers, used_here)
            op = g.op(v)
            if cost <= keep:
                clones = _clone_into(ctx, groups, owner, v, readers, drop=not used_here)
                if clones is not None:
                    decisions[v] = {"op": op, "keep_cost": keep, "recompute_cost": cost,
                                    "readers": readers, "clones": clones,
                                    "dropped": not used_here}
    return decisions


def _nbytes(ctx: FusionContext, v: int) -> int:
    return ctx.sizes[v] * itemsize(ctx.g.dtype(v))


def _keep_cost(ctx: FusionContext, v: int, readers: list[int]) -> int:
    """Bytes of traffic keeping ``v`` costs: one store and one load per reader group."""
    return _nbytes(ctx, v) * (1 + len(readers))


def _recompute_cost(ctx: FusionContext, groups: dict[int, set[int]], v: int,
                    readers: list[int], used_here: bool) -> int:
    """Flops of the extra evaluations plus the bytes of operands a reader does not read yet."""
    extra = len(readers) - (0 if used_here else 1)
    cost = ctx.sizes[v] * OP_COST.get(ctx.g.op(v), 1) * extra
    for r in readers:
        members = groups[r]
        already = {p for n in members for p in ctx.operands[n] if p not in members}
        cost += sum(_nbytes(ctx, a) for a in set(ctx.operands[v]) - already
                    if ctx.g.op(a) not in ("const", "full"))
    return cost


def _clone_into(ctx: FusionContext, groups: dict[int, set[int]], owner: dict[int, int], v: int,
                readers: list[int], drop: bool) -> list[int] | None:
    """Give each reader group its own copy of ``v`` (and drop ``v`` when ``drop``), if every
    changed group stays legal; returns the clone ids, or None (nothing changed)."""
    g = ctx.g
    ids = list(range(g._next_id, g._next_id + len(readers)))
    saved_users = {p: list(ctx.users[p]) for p in {v, *ctx.operands[v]}}
    saved_ops: dict[int, list[int]] = {}
    for c, r in zip(ids, readers, strict=True):
        uses = [u for u in ctx.users[v] if owner[u] == r]
        for u in uses:
            saved_ops[u] = ctx.operands[u]
            ctx.operands[u] = [c if p == v else p for p in ctx.operands[u]]
        ctx.users[v] = [u for u in ctx.users[v] if u not in uses]
        ctx.pos[c], ctx.cls[c], ctx.sizes[c] = ctx.pos[v], ctx.cls[v], ctx.sizes[v]
        ctx.operands[c], ctx.users[c] = list(ctx.operands[v]), uses
        for p in set(ctx.operands[v]):
            ctx.users[p] = ctx.users[p] + [c]
    if drop:
        for p in set(ctx.operands[v]):
            ctx.users[p] = [u for u in ctx.users[p] if u != v]
    home = groups[owner[v]] - {v} if drop else groups[owner[v]]
    legal = all(classify(ctx, groups[r] | {c}) is not None
                for c, r in zip(ids, readers, strict=True))
    if not legal or (drop and home and classify(ctx, home) is None):
        ctx.users.update(saved_users)
        ctx.operands.update(saved_ops)
        for c in ids:
            for table in (ctx.pos, ctx.cls, ctx.sizes, ctx.operands, ctx.users):
                del table[c]
        return None
    node = g.nx.nodes[v]
    for c, r in zip(ids, readers, strict=True):
        got = g.add(node["op"], ctx.operands[v], loc=node.get("loc"), **node["attrs"])
        assert got == c, "rematerialize: clone ids out of step with the graph"
        for u in ctx.users[c]:
            for src, _, key in [e for e in g.nx.in_edges(u, keys=True) if e[0] == v]:
                g.nx.remove_edge(src, u, key=key)
                g.nx.add_edge(c, u, key=key)
        groups[r].add(c)
        owner[c] = r
    if drop:
        groups[owner[v]].discard(v)
        g.nx.remove_node(v)
        for table in (ctx.pos, ctx.cls, ctx.sizes, ctx.operands, ctx.users):
            del table[v]
        del owner[v]
    return ids
