"""Memory planning: one buffer per materialized value, arena offsets by liveness, in-place
state updates (docs/compiler.md §2).

Input: a fused graph (``meta["groups"]``, ``meta["group_order"]``, see ``fusion.py``). Output:
a copy with ``meta["memory"]``, a :class:`MemoryPlan`. Time is the position ``t`` of a group
in ``group_order``; a buffer lives from the group that writes it to the last group that reads
it, both ends included (a group never writes over a buffer it reads).

* ``input``/``param`` slots: bound by the runtime, never in the arena.
* group outputs: in the arena, except graph outputs, which get persistent buffers of their
  own (the step returns them; they live to ``t = len(group_order)``). Offsets are chosen
  greedily, first fit by offset, in order of first write; offsets and sizes are multiples of
  :data:`ALIGN`. No two buffers whose lifetimes overlap share a byte. Codegen places every
  arena buffer at the plan's offset (it adds only kernel-local scratch, such as im2col
  columns, in bytes free at that kernel's time), so the printed plan is the allocation that
  runs.
* state updates (``meta["writes"]``: output index -> param name): the new value is written
  straight into the param's buffer (``inplace_of``) when that is safe (:func:`inplace_problem`),
  else it gets an arena buffer and the runtime copies it over after the step (``copy_to``).
* dead param space (:func:`borrow_param_space`): a param the step overwrites in place holds
  nothing anyone reads between its last read and that write (a gradient after ``zero_grad``
  until its backward kernel); scratch slots living wholly inside that span, after the last
  group that may fail an index check, sit inside the param's buffer (``within``), and the
  arena shrinks. ``MemoryPlan.unborrowed`` keeps the all-arena plan for targets whose runtime
  binds no scratch inside a param (:func:`arena_only`).
* ``const``/``full`` values are not buffers (codegen bakes them in). Values ``fuse``
  recomputes in their readers (``meta["recompute"]``) are no group outputs, so they get none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..dtypes import itemsize
from ..errors import VerifyError
from ..graph import Graph
from ..printer import type_str, value_names
from .fusion import FusionContext, free_nodes
from .simplify import copy_for_pass, numel, stamp, upstream

ALIGN = 64


@dataclass
class BufferSlot:
    """One buffer: the value of ``node``. ``offset`` is in the arena (None outside it);
    ``start``/``end`` are the group positions of its first write and last read."""

    node: int
    name: str
    type: str
    nbytes: int
    role: str  # input | param | output | scratch
    category: str  # parameter | gradient | optimizer | input | activation | scratch | output
    start: int
    end: int
    offset: int | None = None
    inplace_of: str | None = None
    copy_to: str | None = None
    within: str | None = None  # borrowed: at ``offset`` inside this param's buffer

    @property
    def size(self) -> int:
        """Bytes the slot takes in the arena (rounded up to :data:`ALIGN`)."""
        return -(-self.nbytes // ALIGN) * ALIGN

    def overlaps_in_time(self, other: BufferSlot) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass
class MemoryPlan:
    """Every buffer of one fused graph, the arena size and the peak of live arena bytes."""

    graph: str
    steps: int  # number of groups
    slots: list[BufferSlot] = field(default_factory=list)
    arena_bytes: int = 0
    peak_bytes: int = 0
    writes: list[dict[str, Any]] = field(default_factory=list)
    # the same plan with every scratch slot in the arena (for targets whose runtime does not
    # bind scratch inside a param's buffer); None when no slot is borrowed
    unborrowed: MemoryPlan | None = None

    def slot(self, node: int) -> BufferSlot:
        for s in self.slots:
            if s.node == node:
                return s
        raise KeyError(f"no buffer for node {node} in the memory plan of {self.graph}")

    def arena_slots(self) -> list[BufferSlot]:
        return [s for s in self.slots if s.offset is not None and s.within is None]

    def borrowed_slots(self) -> list[BufferSlot]:
        return [s for s in self.slots if s.within is not None]

    def live_bytes(self, t: int) -> int:
        return sum(s.size for s in self.arena_slots() if s.start <= t <= s.end)

    def as_text(self) -> str:
        """The plan in readable form: totals per category, then one line per buffer."""
        lines = [f"memory plan {self.graph}: {self.steps} groups"]
        for label, cat in (("parameters", "parameter"), ("gradients", "gradient"),
                           ("optimizer state", "optimizer"), ("inputs", "input"),
                           ("activations", "activation"), ("scratch", "scratch"),
                           ("outputs", "output")):
            chosen = [s for s in self.slots if s.category == cat]
            total = sum(s.nbytes for s in chosen)
            lines.append(f"  {label:<16}{len(chosen):>5} buffers {_human(total):>24}")
        no_reuse = sum(s.size for s in self.arena_slots())
        lines.append(f"  arena {_human(self.arena_bytes)}, peak live {_human(self.peak_bytes)}, "
                     f"without reuse {_human(no_reuse)}")
        if self.unborrowed is not None:
            moved = sum(s.size for s in self.borrowed_slots())
            lines.append(f"  inside dead param buffers {_human(moved)} "
                         f"(arena {_human(self.unborrowed.arena_bytes)} without)")
        for w in self.writes:
            lines.append(f"  write {w['param']} <- {w['name']}: {w['mode']}"
                         + (f" ({w['reason']})" if w["reason"] else ""))
        lines.append("  buffers:")
        for s in sorted(self.slots, key=lambda s: (s.start, s.node)):
            where = "-" if s.offset is None else f"@{s.offset}"
            extra = f" inplace_of={s.inplace_of}" if s.inplace_of else ""
            extra += f" copy_to={s.copy_to}" if s.copy_to else ""
            extra += f" within={s.within}" if s.within else ""
            lines.append(f"    {s.name:<12} {s.type:<16} {s.nbytes:>10} B {where:>10}  "
                         f"t={s.start}..{s.end}  {s.role}/{s.category}{extra}")
        return "\n".join(lines)


def _human(nbytes: int) -> str:
    """Bytes with thousands separators, plus KiB/MiB/GiB when that reads better."""
    value, unit = float(nbytes), "B"
    for next_unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{nbytes:,} B" if unit == "B" else f"{nbytes:,} B ({value:.1f} {unit})"


# ---------------------------------------------------------------- liveness


def _positions(g: Graph) -> tuple[dict[int, int], dict[int, int]]:
    """(node -> position of the group writing it, node -> position of its last reader)."""
    groups, order = g.meta["groups"], g.meta["group_order"]
    writer = {n: t for t, gid in enumerate(order) for n in groups[gid]["nodes"]}
    last: dict[int, int] = {}
    for t, gid in enumerate(order):
        for v in groups[gid]["inputs"]:
            last[v] = max(last.get(v, -1), t)
    return writer, last


def forward_nodes(g: Graph) -> set[int]:
    """The forward part of a training graph, used to tell activations from scratch. With
    cotangent seeds (inputs named ``grad_output*`` or nodes in ``meta["grad_seeds"]``): the
    ancestors of the outputs that do not depend on a seed (all seed-free nodes if every output
    does). Else, with ``meta["writes"]``: the ancestors of the returned (non-state) outputs.
    Else every node."""
    seeds = [n for n in g.inputs if (g.node_name(n) or "").startswith("grad_output")]
    seeds += [n for n in g.meta.get("grad_seeds", ()) if n in g.nx]
    writes = g.meta.get("writes") or {}
    values = {g.attrs(o)["index"]: g.operands(o)[0] for o in g.outputs}
    if seeds:
        backward = _descendants(g, seeds)
        free = [v for v in values.values() if v not in backward]
        return upstream(g, free) - backward if free else set(g.nodes()) - backward
    returned = [v for k, v in values.items() if k not in writes]
    return upstream(g, returned) if writes and returned else set(g.nodes())


def _descendants(g: Graph, seeds: list[int]) -> set[int]:
    out = set(seeds)
    for t in g.topo_order():
        if any(p in out for p in g.operands(t)):
            out.add(t)
    return out


def _state_category(name: str) -> str:
    if name.startswith("optimizer."):
        return "optimizer"
    return "gradient" if name.endswith(".grad") else "parameter"


# ---------------------------------------------------------------- in-place updates


def inplace_problem(ctx: FusionContext, v: int, param: int, writer: dict[int, int],
                    last: dict[int, int]) -> str | None:
    """Why writing ``v`` straight into ``param``'s buffer is unsafe, or None when it is safe:
    no group after v's group reads the param, and inside v's group the param is read only by
    elementwise ops at v's element index (no remap, reduction or contraction on the way)."""
    g = ctx.g
    if v not in writer:
        return "the new value is not computed by a group"
    t = writer[v]
    if last.get(param, -1) > t:
        return f"the old value is still read by a later group (t={last[param]})"
    if any(g.op(u) == "output" for u in g.users(param)):
        return "the old value is a graph output"
    if numel(g.shape(v)) != numel(g.shape(param)) or g.dtype(v) != g.dtype(param):
        return "the new value has another size or dtype"
    gid = g.nx.nodes[v]["group"]
    members = set(g.meta["groups"][gid]["nodes"])
    loads, _ = free_nodes(ctx, members)
    stack = [u for u in g.users(param) if u in members]
    seen = set(stack)
    while stack:  # every in-group value downstream of a read of the param
        u = stack.pop()
        if ctx.cls[u] != "elementwise" or u in loads or numel(g.shape(u)) != numel(g.shape(v)):
            return f"the group reads it through {g.op(u)}, not at the same index"
        for w in g.users(u):
            if w in members and w not in seen:
                seen.add(w)
                stack.append(w)
    return None


def _plan_writes(g: Graph, writer: dict[int, int], last: dict[int, int],
                 names: dict[int, str]) -> list[dict[str, Any]]:
    """One decision per ``meta["writes"]`` entry: mode ``inplace`` (write the param's buffer
    directly), ``copy`` (arena buffer, copied after the step; ``reason`` says why) or ``fill``
    (the new value is a constant)."""
    writes: dict[int, str] = g.meta.get("writes") or {}
    if not writes:
        return []
    by_index = {g.attrs(o)["index"]: g.operands(o)[0] for o in g.outputs}
    ctx = FusionContext.of(g)
    params = {g.node_name(n): n for n in g.params}
    decided: list[dict[str, Any]] = []
    taken: set[int] = set()  # values already written in place somewhere
    for index in sorted(writes):
        name, v = writes[index], by_index[index]
        reason: str | None = ""
        if g.op(v) in ("const", "full", "input", "param"):
            mode = "fill" if g.op(v) in ("const", "full") else "copy"
        else:
            reason = "the value already goes to another buffer in place" if v in taken else \
                inplace_problem(ctx, v, params[name], writer, last)
            mode = "copy" if reason else "inplace"
            if mode == "inplace":
                taken.add(v)
        decided.append({"index": index, "param": name, "node": v, "name": names.get(v, "?"),
                        "mode": mode, "reason": reason or ""})
    return decided


# ---------------------------------------------------------------- arena placement


def assign_offsets(slots: list[BufferSlot]) -> int:
    """Give each slot the lowest :data:`ALIGN`-ed offset that no time-overlapping, already
    placed slot uses (slots in order of first write, bigger first); returns the arena size."""
    active: list[BufferSlot] = []  # placed slots still live at the current start time
    arena = 0
    for s in sorted(slots, key=lambda s: (s.start, -s.size, s.node)):
        active = [p for p in active if p.end >= s.start]
        busy = sorted((p.offset or 0, (p.offset or 0) + p.size) for p in active if p.size)
        offset = 0
        for lo, hi in busy:
            if offset + s.size <= lo:
                break
            offset = max(offset, hi)
        s.offset = offset
        active.append(s)
        arena = max(arena, offset + s.size)
    return arena


def _peak(slots: list[BufferSlot], steps: int) -> int:
    """The largest sum of sizes of slots live at one time step (an event sweep)."""
    delta = [0] * (steps + 3)
    for s in slots:
        delta[s.start + 1] += s.size  # times shift by one: inputs start at t = -1
        delta[s.end + 2] -= s.size
    peak = live = 0
    for d in delta:
        live += d
        peak = max(peak, live)
    return peak


def _slot(g: Graph, n: int, names: dict[int, str], role: str, category: str, start: int,
          end: int) -> BufferSlot:
    nbytes = numel(g.shape(n)) * itemsize(g.dtype(n))
    return BufferSlot(n, names[n], type_str(g.shape(n), g.dtype(n)), nbytes, role, category,
                      start, end)


def plan_memory(g: Graph) -> Graph:
    """Plan every buffer of fused graph ``g``; see the module docstring for the contract."""
    start = time.perf_counter()
    if "groups" not in g.meta or "group_order" not in g.meta:
        raise ValueError(f"plan_memory: graph {g.name} is not fused; run fuse first")
    out = copy_for_pass(g)
    names = value_names(out)
    steps = len(out.meta["group_order"])
    writer, last = _positions(out)
    graph_outputs = {out.operands(o)[0] for o in out.outputs}
    forward = forward_nodes(out)
    plan = MemoryPlan(out.name, steps, writes=_plan_writes(out, writer, last, names))
    for n in out.inputs + out.params:
        category = "input" if out.op(n) == "input" else _state_category(out.node_name(n) or "")
        end = steps if n in graph_outputs else last.get(n, -1)
        plan.slots.append(_slot(out, n, names, out.op(n), category, -1, end))
    inplace = {w["node"]: w["param"] for w in plan.writes if w["mode"] == "inplace"}
    copies = {w["node"]: w["param"] for w in plan.writes if w["mode"] == "copy"}
    groups = out.meta["groups"]
    for gid in out.meta["group_order"]:
        for v in groups[gid]["outputs"]:
            if v in graph_outputs:
                role, category, end = "output", "output", steps
            else:
                role, end = "scratch", last.get(v, writer[v])
                reader_forward = all(u in forward for u in out.users(v))
                category = "activation" if v in forward and not reader_forward else "scratch"
            slot = _slot(out, v, names, role, category, writer[v], end)
            slot.inplace_of, slot.copy_to = inplace.get(v), copies.get(v)
            plan.slots.append(slot)
    arena = [s for s in plan.slots if s.role == "scratch"]
    plan.arena_bytes = assign_offsets(arena)
    plan.peak_bytes = _peak(plan.arena_slots(), steps)
    out.meta["memory"] = borrow_param_space(out, plan, last_check_group(out))
    stamp(out, "plan_memory", start)
    return out


# ---------------------------------------------------------------- borrowed param space


def borrow_param_space(g: Graph, plan: MemoryPlan, after: int = -1) -> MemoryPlan:
    """A copy of ``plan`` (of graph ``g``) in which scratch slots sit inside the buffer of a param
    the step overwrites in place, while that buffer holds nothing anyone reads: after the
    last group that reads the param's old value and before the group that writes its new
    one (a gradient the step recomputes from scratch is dead from the step's start until its
    backward kernel). The rest of the arena is placed again, so it shrinks by what moved.

    Only slots that start after group position ``after`` move (the caller passes the last
    group that may fail a run-time check, so a failed step has written no param's bytes), and
    only into a param of at least the slot's item size (offsets are multiples of
    :data:`ALIGN`, so the param's element alignment holds). A slot goes to the first host
    where it fits without time-overlapping a slot already there; hosts are tried largest
    first. Neither ``g`` nor ``plan`` is changed."""
    slots = [BufferSlot(**vars(s)) for s in plan.slots]
    by_node = {s.node: s for s in slots}
    params = {g.node_name(n): n for n in g.params}
    hosts: list[tuple[BufferSlot, int]] = []  # (param slot, position of its in-place write)
    for w in plan.writes:
        if w["mode"] == "inplace" and w["param"] in params and w["node"] in by_node:
            host = by_node[params[w["param"]]]
            hosts.append((host, by_node[w["node"]].start))
    hosts.sort(key=lambda h: -h[0].nbytes)
    placed: dict[str, list[BufferSlot]] = {h.name: [] for h, _ in hosts}
    for s in sorted(slots, key=lambda s: (s.start, -s.size, s.node)):
        if s.role != "scratch" or s.offset is None or s.start <= after or not s.size:
            continue
        for host, written in hosts:
            if not (host.end < s.start and s.end < written):
                continue
            if itemsize(g.dtype(s.node)) > itemsize(g.dtype(host.node)):
                continue
            offset = _first_fit(s, placed[host.name], host.nbytes)
            if offset is not None:
                s.offset, s.within = offset, host.name
                placed[host.name].append(s)
                break
    out = MemoryPlan(plan.graph, plan.steps, slots, writes=plan.writes, unborrowed=plan)
    if not out.borrowed_slots():
        return plan
    arena = out.arena_slots()
    for s in arena:
        s.offset = None
    out.arena_bytes = assign_offsets(arena)
    out.peak_bytes = _peak(arena, plan.steps)
    return out


def arena_only(plan: MemoryPlan, alignment: int) -> tuple[MemoryPlan, bool]:
    """``plan`` with every scratch slot in the arena (for a target whose runtime binds none
    inside a param), and False where only the borrowed plan's offsets are multiples of
    ``alignment`` (a caller that checked those must then give each buffer its own slot)."""
    if plan.unborrowed is None:
        return plan, True
    return plan.unborrowed, _aligned(plan.unborrowed, alignment) or not _aligned(plan, alignment)


def _aligned(plan: MemoryPlan, alignment: int) -> bool:
    return all(s.offset is None or s.offset % alignment == 0 for s in plan.slots)


def last_check_group(g: Graph) -> int:
    """The last group position that may fail a run-time index check (a node with a
    ``bounds`` attr, which the lowering checks): -1 when none can; the number of groups when
    a checked node is in no group (recomputed where it is read: anywhere)."""
    groups, order = g.meta.get("groups") or {}, g.meta.get("group_order") or []
    member = {n: t for t, gid in enumerate(order) for n in groups[gid]["nodes"]}
    last = -1
    for n in g.nodes():
        if "bounds" in (g.attrs(n) or {}):
            last = max(last, member.get(n, len(order)))
    return last


def _first_fit(s: BufferSlot, placed: list[BufferSlot], capacity: int) -> int | None:
    """The lowest :data:`ALIGN`-ed offset where ``s`` fits in ``capacity`` bytes beside the
    time-overlapping slots of ``placed``, or None."""
    offset = 0
    for lo, hi in sorted((p.offset or 0, (p.offset or 0) + p.size) for p in placed
                         if p.overlaps_in_time(s)):
        if offset + s.nbytes <= lo:
            break
        offset = max(offset, hi)
    return offset if offset + s.nbytes <= capacity else None


def check_plan(g: Graph) -> None:
    """Raise VerifyError unless ``meta["memory"]`` is consistent: aligned offsets inside the
    arena, no two buffers live at the same time share a byte, peak <= arena, and every group
    output that needs storage has a slot."""
    plan: MemoryPlan = g.meta["memory"]
    arena = plan.arena_slots()
    for k, a in enumerate(arena):
        assert a.offset is not None
        if a.offset % ALIGN or a.offset + a.size > plan.arena_bytes:
            raise VerifyError(f"memory plan {plan.graph}: {a.name} at {a.offset} is misaligned "
                              f"or outside the {plan.arena_bytes}-byte arena")
        for b in arena[k + 1:]:
            assert b.offset is not None
            if (a.size and b.size and a.overlaps_in_time(b)
                    and a.offset < b.offset + b.size and b.offset < a.offset + a.size):
                raise VerifyError(f"memory plan {plan.graph}: {a.name} and {b.name} are live "
                                  f"together (t={a.start}..{a.end}, t={b.start}..{b.end}) but "
                                  "share arena bytes")
    if plan.peak_bytes > plan.arena_bytes:
        raise VerifyError(f"memory plan {plan.graph}: peak {plan.peak_bytes} exceeds the arena")
    _check_borrowed(plan)
    needed = {v for rec in g.meta["groups"].values() for v in rec["outputs"]}
    missing = needed - {s.node for s in plan.slots}
    if missing:
        raise VerifyError(f"memory plan {plan.graph}: no buffer for group outputs "
                          f"{sorted(missing)}")


def _check_borrowed(plan: MemoryPlan) -> None:
    """Borrowed slots lie inside their host param while it is dead and never share bytes."""
    hosts = {s.name: s for s in plan.slots if s.role == "param"}
    borrowed = plan.borrowed_slots()
    for k, a in enumerate(borrowed):
        host = hosts.get(a.within or "")
        if (host is None or a.offset is None or a.offset % ALIGN
                or a.offset + a.nbytes > host.nbytes or a.start <= host.end):
            raise VerifyError(f"memory plan {plan.graph}: {a.name} is not inside a dead span "
                              f"of param {a.within}")
        for b in borrowed[k + 1:]:
            assert b.offset is not None
            if (b.within == a.within and a.overlaps_in_time(b)
                    and a.offset < b.offset + b.size and b.offset < a.offset + a.size):
                raise VerifyError(f"memory plan {plan.graph}: {a.name} and {b.name} share "
                                  f"bytes of {a.within} while both are live")


human = _human  # the public name for the memory dump (frontend/_cli_stages.py)
