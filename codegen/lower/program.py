"""Lowering: a (fused) ``ir.Graph`` -> :class:`KernelProgram` (docs/compiler.md §3).

Input: a graph that verifies, optionally annotated by the fusion pass (``g.meta["groups"]``,
``g.meta["group_order"]``); without annotations every non-boundary node is its own group.
Output: one :class:`Kernel` per group in launch order, the buffer table (inputs and params by
name, group outputs as ``n<id>_<op>``, kernel-local scratch ``t<id>_<op>``, large constants
``c<id>``), the output list and the state updates (``g.meta["writes"]``), done in place when
the producing loop nest reads the parameter only at the element it writes, else copied back at
the end of the step.

Sources (``full``, ``arange``, scalar ``const``) are never kernels: they are inlined where
used. Every registry op either lowers or is listed in :data:`UNSUPPORTED` with a reason.

Lowering is shared by every target and asks the :class:`Target` where they differ (arena
alignment, contraction and convolution strategies, reduction loop order: lower/strategy.py).
The stage tables of lower/stages.py, lower/window.py and lower/conv.py and the inline rules of
lower/inline.py are put together here; the kernel builder sees them through its
:class:`tenkai.codegen.lower.kernel.Lowering` interface, so no module of this folder imports
the driver back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tenkai.codegen.kir.nodes import (
    STATUS_BUFFER,
    AccUpdate,
    Buffer,
    Check,
    Kernel,
    KernelProgram,
    Load,
    Store,
    buffers_used,
    walk,
)
from tenkai.codegen.kir.opt import collapse_loops
from tenkai.codegen.kir.utils import loads_of, rename_buffers, stores_of
from tenkai.codegen.lower.conv import CONV_STAGES
from tenkai.codegen.lower.inline import INLINE
from tenkai.codegen.lower.kernel import KernelBuilder
from tenkai.codegen.lower.stages import CO_STORE_OPS, STAGES
from tenkai.codegen.lower.strategy import DEFAULT_TARGET, align
from tenkai.codegen.lower.window import WINDOW_EPILOGUES, WINDOW_STAGES
from tenkai.codegen.target import Target
from tenkai.ir import dtypes
from tenkai.ir.graph import Graph
from tenkai.ir.ops import REGISTRY
from tenkai.ir.ops_linalg import LINALG_OPS
from tenkai.ir.passes.fusion import spaces
from tenkai.ir.passes.memory import arena_only
from tenkai.ir.printer import value_names

BOUNDARY = ("input", "param", "output")
ALL_STAGES = {**STAGES, **WINDOW_STAGES, **CONV_STAGES}

# op -> why it does not lower yet. Every registry op is in exactly one of LOWERED / UNSUPPORTED.
UNSUPPORTED: dict[str, str] = {
    op: "llvm_cpu has no LAPACK-style factorization kernels; compile with backend='interp'"
    for op in LINALG_OPS}
LOWERED = frozenset(INLINE) | frozenset(ALL_STAGES) | frozenset(BOUNDARY)
# targets whose runtime binds a scratch buffer inside a param's buffer (Buffer.within)
BORROWING_TARGETS = ("cpu",)


def lower_program(g: Graph, prefix: str = "", reuse_arena: bool = True,
                  info: dict[str, Any] | None = None,
                  target: Target | None = None) -> KernelProgram:
    """Lower ``g`` to kernel IR; ``prefix`` is prepended to every kernel name and the entry
    (so several programs can share one LLVM module). ``target`` makes the strategy choices
    (None: the CPU target's, :data:`~tenkai.codegen.lower.strategy.DEFAULT_TARGET`).

    ``reuse_arena=False`` gives every scratch buffer its own arena slot, so after a step each
    group output still holds its value (for checking kernels one by one). ``info``, when
    given, receives ``"group_outputs"`` (buffer name -> the graph node whose value it holds
    after the step) and ``"kernel_nodes"`` (kernel name -> the graph nodes it computes).
    """
    lowering = ProgramLowering(g, prefix, reuse_arena, target)
    program = lowering.run()
    if info is not None:
        info["group_outputs"] = lowering.group_outputs()
        info["kernel_nodes"] = dict(lowering.kernel_nodes)
    return program


class ProgramLowering:
    """State of one lowering: buffers, node -> buffer map, kernels, error codes (the
    :class:`tenkai.codegen.lower.kernel.Lowering` its kernel builders work against)."""

    def __init__(self, g: Graph, prefix: str = "", reuse_arena: bool = True,
                 target: Target | None = None) -> None:
        self.g, self.prefix, self.reuse_arena = g, prefix, reuse_arena
        self.target = target or DEFAULT_TARGET
        self.inline_rules = INLINE
        self.kernel_nodes: dict[str, list[int]] = {}
        self.buffers: dict[str, Buffer] = {}
        self.node_buf: dict[int, str] = {}
        self.inline_sources: set[int] = set()
        self.kernels: list[Kernel] = []
        self.errors: dict[int, str] = {}
        self.error_types: dict[int, str] = {}
        self.checked: set[Any] = set()  # index checks done in full by an earlier kernel
        self.checked_here: set[Any] = set()  # ... by the kernel being built
        self.outputs: list[str] = []
        self.copies: list[tuple[str, str]] = []
        self._local: set[str] = set()
        self._aliased: dict[int, str] = {}  # epilogue output -> buffer its stage wrote first
        self._topo = {n: k for k, n in enumerate(g.topo_order())}
        self.plan = g.meta.get("memory")  # ir.passes.memory.MemoryPlan, when planned
        if self.plan is not None and self.target.name not in BORROWING_TARGETS:
            self.plan, fits = arena_only(self.plan, self.target.alignment)
            self.reuse_arena = reuse_arena and fits
        order = g.meta.get("group_order") or []
        self._position = {gid: t for t, gid in enumerate(order)}
        self._kernel_time: dict[str, int] = {}  # kernel -> group position (plan time)
        self._steps = len(order)

    # ------------------------------------------------------------ driver
    def run(self) -> KernelProgram:
        self._check_supported()
        self._boundary_buffers()
        groups, order = self._groups()
        for gid in order:
            self._time = self._position.get(gid, self._steps)
            self._lower_group(gid, groups[gid])
            self.checked |= self.checked_here
            self.checked_here = set()
        self._time = self._steps
        self._outputs()
        self._writes()
        self._writeback_kernel()
        if any(isinstance(s, Check) for k in self.kernels for s in walk(k.body)):
            self._add(Buffer(STATUS_BUFFER, (2,), "int64", "status"))
        arena = self._plan_arena()
        return KernelProgram(list(self.buffers.values()), self.kernels, self.prefix + "tk_step",
                             self.outputs, dict(self.g.meta.get("writes", {})), self.copies,
                             self.errors, arena, self.error_types, self._guarded_writes())

    def _guarded_writes(self) -> list[str]:
        """Params written in place by a kernel that runs before (or is) the last kernel with a
        check: the runtime snapshots them and restores them when a check fails, so a failed
        step never changes state. Empty when every check precedes every state write (the
        usual case: the forward's checks make the backward's redundant, see check_index)."""
        params = {b.name for b in self.buffers.values() if b.role == "param"}
        checking = [k for k, kern in enumerate(self.kernels)
                    if any(isinstance(s, Check) for s in walk(kern.body))]
        if not checking:
            return []
        out: list[str] = []
        host = {b.name: b.within for b in self.buffers.values() if b.within}
        for kern in self.kernels[:checking[-1] + 1]:
            stored = [host.get(b, b) for b in stores_of(kern.body)]
            out += [b for b in stored if b in params and b not in out]
        return out

    def _check_supported(self) -> None:
        for n in self.g.nodes():
            op = self.g.op(n)
            if op in UNSUPPORTED:
                raise NotImplementedError(f"lower: {op} not supported yet: {UNSUPPORTED[op]}")
            if op not in LOWERED:
                raise NotImplementedError(f"lower: {op} not supported yet: no lowering rule")

    def _add(self, buf: Buffer) -> str:
        if buf.name in self.buffers:
            raise AssertionError(f"lower: buffer {buf.name!r} defined twice")
        self.buffers[buf.name] = buf
        return buf.name

    def error_code(self, message: str, kind: str = "IndexError") -> int:
        """A status code for a run-time error message (``{value}``: the offending value) of
        exception type ``kind`` (``IndexError`` or ``RuntimeError``, as PyTorch raises)."""
        for code, text in self.errors.items():
            if text == message and self.error_types.get(code) == kind:
                return code
        code = len(self.errors) + 1
        self.errors[code] = message
        self.error_types[code] = kind
        return code

    # ------------------------------------------------------------ buffers
    def _boundary_buffers(self) -> None:
        g, names = self.g, value_names(self.g)
        for n in g.topo_order():
            op = g.op(n)
            if op in ("input", "param"):
                self.node_buf[n] = self._add(Buffer(names[n], g.shape(n), g.dtype(n), op))
            elif op == "const" and int(np.prod(g.shape(n))) > 1:
                data = np.ascontiguousarray(np.asarray(g.attrs(n)["value"]),
                                            dtype=dtypes.to_numpy(g.dtype(n)))
                self.node_buf[n] = self._add(Buffer(f"c{n}", g.shape(n), g.dtype(n), "const",
                                                    init=data))
            elif op in ("full", "arange", "const"):
                self.inline_sources.add(n)

    def node_buffer(self, n: int) -> str:
        """A fresh program buffer for node ``n`` (scratch until it turns out to be an output)."""
        return self._add(Buffer(f"n{n}_{self.g.op(n)}", self.g.shape(n), self.g.dtype(n),
                                "scratch"))

    def local_scratch(self, kb: KernelBuilder, n: int) -> str:
        """Scratch for node ``n``'s value, used only inside the kernel being built."""
        return self.scratch(f"t{n}_{self.g.op(n)}", self.g.shape(n), self.g.dtype(n))

    def scratch(self, base: str, shape: tuple[int, ...], dtype: str) -> str:
        """A kernel-local scratch buffer (im2col columns, materialized operands)."""
        name, k = base, 0
        while name in self.buffers:
            k += 1
            name = f"{base}.{k}"
        self._local.add(name)
        return self._add(Buffer(name, tuple(shape), dtype, "scratch"))

    def scratch_room(self) -> int | None:
        """The largest run of arena bytes the memory plan leaves free at the group being
        lowered (between its live slots, or between them and the planned arena's end): kernel
        scratch that fits there costs no arena bytes. None without a plan (or reuse)."""
        if not self.plan or not self.reuse_arena:
            return None
        t = self._time
        busy = sorted((s.offset or 0, (s.offset or 0) + s.size) for s in self.plan.arena_slots()
                      if s.start <= t <= s.end and s.size)
        room, at = 0, 0
        for lo, hi in busy:
            room = max(room, lo - at)
            at = max(at, hi)
        return max(room, self.plan.arena_bytes - at)

    # ------------------------------------------------------------ groups
    def _groups(self) -> tuple[dict[Any, list[int]], list[Any]]:
        g = self.g
        skip = set(self.node_buf) | self.inline_sources
        skip |= {n for n in g.nodes() if g.op(n) in BOUNDARY}
        meta = g.meta.get("groups")
        groups: dict[Any, list[int]] = {}
        order: list[Any] = []
        if meta:
            for gid in g.meta.get("group_order", list(meta)):
                nodes = [n for n in meta[gid]["nodes"] if n not in skip]
                if nodes:
                    groups[gid] = self._group_nodes(meta[gid].get("kind"), nodes)
                    order.append(gid)
        covered = {n for nodes in groups.values() for n in nodes}
        for n in g.topo_order():  # no fusion annotations (or gaps): one group per node
            if n not in skip and n not in covered:
                groups[n] = [n]
                order.append(n)
        return groups, order

    def _group_nodes(self, kind: str | None, nodes: list[int]) -> list[int]:
        """A group's nodes in topological order; a multi-tensor group (elementwise, several
        sizes) space after space, so that each space is one loop nest."""
        topo = sorted(nodes, key=self._topo.__getitem__)
        if kind != "elementwise" or len({self.g.shape(n) for n in nodes}) == 1:
            return topo
        parts = spaces(set(nodes), self.g.operands)
        return [n for part in sorted(parts, key=lambda c: min(self._topo[n] for n in c))
                for n in sorted(part, key=self._topo.__getitem__)]

    def _lower_group(self, gid: Any, nodes: list[int]) -> None:
        g = self.g
        members = set(nodes)
        ops = list(dict.fromkeys(g.op(n) for n in nodes))
        kb = KernelBuilder(self, nodes, _kernel_name(self.prefix, gid, ops))
        external = {n for n in nodes if any(u not in members for u in g.users(n))}
        owned: dict[int, str] = {}
        pending: list[int] = []
        done: set[int] = set()  # stored by a stage's epilogue
        for n in nodes:
            op = g.op(n)
            if n in done:
                continue
            if op in ALL_STAGES:
                siblings = self._siblings(kb, n, pending, owned)
                windowed = WINDOW_EPILOGUES.get(op, _never)(g, n)
                alias = None if windowed or n in external else \
                    self._alias_target(n, nodes, external)
                if n in external:
                    buf = self.node_buffer(n)
                elif alias is not None:  # the stage writes its epilogue's output buffer
                    buf = self._aliased[alias] = self.node_buffer(alias)
                else:
                    buf = self.local_scratch(kb, n)
                chain = _epilogue(g, n, nodes) if windowed else []
                kb.epilogue = {m: self.node_buffer(m) for m in chain if m in external}
                kb.keep_stage_output = n in external or any(
                    u in members and u not in chain for u in g.users(n))
                ALL_STAGES[op](kb, n, buf)
                if kb.co_stores:  # the stage had no loop over their space (a 0-d input)
                    kb.store_nodes([m for m, _ in kb.co_stores], dict(kb.co_stores))
                    kb.co_stores = []
                kb.stored.update(siblings)
                owned.update(siblings)
                kb.stored.update(kb.epilogue)
                owned.update(kb.epilogue)
                done.update(kb.epilogue)
                if not kb.keep_stage_output:  # only its epilogue read it: never stored
                    del self.buffers[buf]
                    self._local.discard(buf)
                else:
                    kb.stored[n] = buf
                kb.epilogue, kb.keep_stage_output = {}, True
                if n in external:
                    owned[n] = buf
            elif n in external:
                if pending and g.shape(pending[0]) != g.shape(n):
                    self._flush(kb, pending, owned)
                pending.append(n)
        self._flush(kb, pending, owned)
        self.node_buf.update(owned)
        kind = _group_kind(g, gid, nodes)
        if kb.root:
            self.kernel_nodes[kb.name] = list(nodes)
        self._finish_kernel(kb, kind, ops)

    def _alias_target(self, n: int, nodes: list[int], external: set[int]) -> int | None:
        """The group output that stage ``n`` (used only inside its group) can be computed
        straight into, instead of a kernel-local scratch copy of its whole value: ``n``'s
        in-group readers are all its elementwise epilogue (:func:`_epilogue`: each reads ``n``
        only at the element it defines), and the epilogue's outputs are stored together in
        one loop nest (no stage or other output in between), which computes every value
        before it stores any. The target has ``n``'s shape and dtype and is no graph output
        (a state update written in place must not hold ``n`` meanwhile). None when none is."""
        g = self.g
        chain = set(_epilogue(g, n, nodes))
        members = set(nodes)
        down: set[int] = set()
        stack = [n]
        while stack:
            for u in g.users(stack.pop()):
                if u in members and u not in down:
                    down.add(u)
                    stack.append(u)
        if not down or not down <= chain:
            return None
        outs = [m for m in nodes if m in down and m in external]
        if not outs:
            return None
        between = nodes[nodes.index(n) + 1:nodes.index(outs[-1])]
        if any(g.op(p) in ALL_STAGES or (p in external and p not in down) for p in between):
            return None
        returned = {g.operands(o)[0] for o in g.outputs}
        for m in outs:
            if (g.shape(m), g.dtype(m)) == (g.shape(n), g.dtype(n)) and m not in returned:
                return m
        return None

    def _siblings(self, kb: KernelBuilder, n: int, pending: list[int],
                  owned: dict[int, str]) -> dict[int, str]:
        """Before stage ``n``: pending outputs with the shape of a reduction's input are handed
        to it (``kb.co_stores``: stored from inside its loop, one pass over the data); the
        others get their own loop nest now. Returns the handed-over nodes' buffers. Outputs
        pending over an aliased stage value (:meth:`_alias_target`) are never handed over:
        they are stored together, in a loop nest of their own."""
        space = self.g.shape(self.g.operands(n)[0]) if self.g.op(n) in CO_STORE_OPS else None
        if any(m in self._aliased for m in pending):
            space = None
        siblings = {m: "" for m in pending if self.g.shape(m) == space}
        self._flush(kb, [m for m in pending if m not in siblings], owned)
        pending.clear()
        siblings = {m: self.node_buffer(m) for m in siblings}
        kb.co_stores = list(siblings.items())
        return siblings

    def _flush(self, kb: KernelBuilder, pending: list[int], owned: dict[int, str]) -> None:
        if not pending:
            return
        bufs = {n: self._aliased.pop(n, None) or self.node_buffer(n) for n in pending}
        kb.store_nodes(pending, bufs)
        owned.update(bufs)
        pending.clear()

    def _finish_kernel(self, kb: KernelBuilder, kind: str, ops: list[str]) -> None:
        if not kb.root:
            return
        body = collapse_loops(kb.root)
        self.kernels.append(Kernel(kb.name, buffers_used(body), body, kind, ops))
        # plan time (group position) when fused, else the kernel's own position
        self._kernel_time[kb.name] = self._time if self._position else len(self.kernels) - 1

    # ------------------------------------------------------------ outputs and writes
    def _outputs(self) -> None:
        g = self.g
        kb = KernelBuilder(self, [], f"{self.prefix}k_outputs")
        for o in g.outputs:
            src = g.operands(o)[0]
            buf = self.node_buf.get(src)
            if buf is not None and self.buffers[buf].role == "scratch":
                self.buffers[buf].role = "output"
                self.outputs.append(buf)
                continue
            name = self._add(Buffer(f"out{g.attrs(o)['index']}", g.shape(src), g.dtype(src),
                                    "output"))
            kb.store_nodes([src], {src: name})
            self.outputs.append(name)
        self._finish_kernel(kb, "movement", ["copy"])

    def _writes(self) -> None:
        """State updates: in place where the memory plan says so (checked against the kernels
        as built), else copied after the step. Without a plan, in place wherever safe."""
        planned = {w["index"]: w["mode"] for w in self.plan.writes} if self.plan else {}
        for index, param in sorted(self.g.meta.get("writes", {}).items()):
            src = self.outputs[index]
            if src == param:
                continue
            safe = self._inplace_ok(index, src, param)
            if planned.get(index) == "inplace" and not safe:
                raise AssertionError(f"lower: the memory plan writes {param} in place, but the "
                                     f"kernels as built read it after storing {src}")
            if safe and planned.get(index, "inplace") == "inplace":
                self._rename(src, param)
                self.outputs[index] = param
                del self.buffers[src]
            else:
                self.copies.append((src, param))

    def _inplace_ok(self, index: int, src: str, param: str) -> bool:
        """Can the kernel producing ``src`` store straight into ``param``? Yes when no later
        kernel reads ``param``, the producing kernel reads it only before its first store of
        ``src`` (or, inside that same loop nest, only at the element being stored: values are
        computed before stores), and ``src`` is used by no other output."""
        sb, pb = self.buffers[src], self.buffers.get(param)
        if pb is None or pb.role != "param" or sb.role != "output" or src in self._local:
            return False
        if (sb.shape, sb.dtype) != (pb.shape, pb.dtype) or self.outputs.count(src) != 1:
            return False
        writers = [k for k, kern in enumerate(self.kernels) if src in stores_of(kern.body)]
        if len(writers) != 1 or any(param in stores_of(k.body) for k in self.kernels):
            return False
        kp = writers[0]
        if any(param in k.params for k in self.kernels[kp + 1:]):
            return False
        body = self.kernels[kp].body
        first = next(i for i, s in enumerate(body) if src in stores_of([s]))
        for i, s in enumerate(body[first:], start=first):
            reads = loads_of([s]).get(param)
            if not reads:
                continue
            if i > first or len(set(stores_of([s])[src]) | set(reads)) != 1:
                return False
            if _read_by_another_write(s, src, param):
                return False  # that write may run after the element is overwritten
        return True

    def group_outputs(self) -> dict[str, int]:
        """Buffer name -> the non-boundary node whose value it holds after the step."""
        return {buf: n for n, buf in self.node_buf.items()
                if buf in self.buffers and self.g.op(n) not in BOUNDARY
                and self.buffers[buf].role in ("scratch", "output", "param")}

    def _rename(self, old: str, new: str) -> None:
        self.node_buf.update({n: new for n, buf in self.node_buf.items() if buf == old})
        for kern in self.kernels:
            if old in kern.params:
                kern.body = rename_buffers(kern.body, {old: new})
                kern.params = buffers_used(kern.body)

    def _writeback_kernel(self) -> None:
        """Copy the state updates that could not be done in place (after every kernel)."""
        if not self.copies:
            return
        kb = KernelBuilder(self, [], f"{self.prefix}k_writeback")
        for src, dst in self.copies:
            b = self.buffers[src]
            with kb.loops(b.shape, parallel=True) as coords:
                index = kb.idx.flat(coords, b.shape)
                kb.emit(Store(dst, index, Load(src, index, b.dtype)))
        self._finish_kernel(kb, "movement", ["writeback"])

    # ------------------------------------------------------------ arena
    def _plan_arena(self) -> int:
        """Arena offsets for scratch buffers. With a memory plan (and reuse), every group
        output sits where the plan put it, and kernel-local scratch (im2col columns,
        materialized operands) takes the lowest free offset at its kernel's time; without
        one, first fit by kernel-level liveness (without reuse: each buffer its own bytes)."""
        live: dict[str, list[int]] = {}
        for kern in self.kernels:
            t = self._kernel_time[kern.name]
            for name in kern.params:
                if self.buffers[name].role == "scratch":
                    span = live.setdefault(name, [t, t])
                    span[0], span[1] = min(span[0], t), max(span[1], t)
        placed: list[tuple[int, int, int, int]] = []  # (start, end, offset, size)
        fixed = self._planned_offsets(live) if self.plan and self.reuse_arena else {}
        for name in [n for n in fixed if self.buffers[n].within]:
            del fixed[name]  # inside a param's buffer (placed by _planned_offsets)
            del live[name]
        for name, (start, end, offset) in fixed.items():
            nbytes = align(max(self.buffers[name].nbytes, 1), self.target)
            placed.append((start, end, offset, nbytes))
            self.buffers[name].offset = offset
        size = max([self.plan.arena_bytes if fixed else 0] + [p[2] + p[3] for p in placed])
        for name in sorted(set(live) - set(fixed), key=lambda b: (live[b][0], b)):
            start, end = live[name] if self.reuse_arena else (0, self._steps + 1)
            nbytes = align(max(self.buffers[name].nbytes, 1), self.target)
            offset = 0
            for s, e, off, sz in sorted(placed, key=lambda p: p[2]):
                if s <= end and start <= e and offset < off + sz and off < offset + nbytes:
                    offset = align(off + sz, self.target)
            placed.append((start, end, offset, nbytes))
            self.buffers[name].offset = offset
            size = max(size, offset + nbytes)
        for b in self.buffers.values():  # scratch never touched by a kernel: no space
            if b.role == "scratch" and b.offset is None:
                b.offset = 0
        return size

    def _planned_offsets(self, live: dict[str, list[int]]) -> dict[str, tuple[int, int, int]]:
        """Buffer -> (start, end, offset) from the memory plan for every group output in the
        arena; raises AssertionError where the kernels as built disagree with the plan (a
        buffer the plan has no arena slot for, or one used outside the slot's lifetime)."""
        assert self.plan is not None
        slots = {s.node: s for s in self.plan.slots}
        out: dict[str, tuple[int, int, int]] = {}
        for n, name in self.node_buf.items():
            if name not in live or name in self._local or self.g.op(n) in BOUNDARY:
                continue
            slot = slots.get(n)
            if slot is None or slot.offset is None:
                raise AssertionError(f"lower: scratch buffer {name} (node %{n}) has no arena "
                                     f"slot in the memory plan of {self.plan.graph}")
            if slot.offset % self.target.alignment:
                raise NotImplementedError(
                    f"lower: the memory plan of {self.plan.graph} puts {name} at byte "
                    f"{slot.offset}, but target {self.target.name!r} needs "
                    f"{self.target.alignment}-byte alignment; plan memory with the target's "
                    "alignment (ir/passes/memory.py ALIGN) or lower with reuse_arena=False")
            start, end = live[name]
            if start < slot.start or end > slot.end:
                raise AssertionError(f"lower: buffer {name} is used at t={start}..{end}, "
                                     f"outside its planned lifetime t={slot.start}..{slot.end}")
            out[name] = (slot.start, slot.end, slot.offset)
            if slot.within is not None:
                self.buffers[name].offset, self.buffers[name].within = slot.offset, slot.within
        return out



def _read_by_another_write(stmt: Any, src: str, param: str) -> bool:
    """Whether ``param`` feeds an accumulator update or a store to a buffer other than
    ``src`` inside ``stmt``: a reduction co-storing a sibling output (``acc += w[i]``, or
    ``out[j] = out[j] + w[i, j]``) can run after ``w[i] = new`` in the same iteration."""
    for s in walk([stmt]):
        if isinstance(s, AccUpdate) and param in loads_of([s]):
            return True
        if isinstance(s, Store) and s.buf != src and param in loads_of([s]):
            return True
    return False


def _never(g: Graph, n: int) -> bool:
    return False


def _epilogue(g: Graph, n: int, nodes: list[int]) -> list[int]:
    """The group's elementwise nodes after stage ``n`` that a stage defining each element of
    ``n`` once (:meth:`KernelBuilder.define`) can compute in the same pass: of ``n``'s shape,
    reading ``n`` only at the element being defined (through other such nodes), their other
    operands already available there (outside the group, before ``n``, or computed inline
    from those)."""
    position = {m: k for k, m in enumerate(nodes)}
    shape = g.shape(n)
    chain: set[int] = set()

    def ready(p: int) -> bool:  # available inside n's loops without reading n
        if p not in position or position[p] < position[n]:
            return True
        if p == n or p in chain or g.op(p) in ALL_STAGES:
            return False
        return all(ready(q) for q in g.operands(p))

    for m in nodes[position[n] + 1:]:
        if REGISTRY[g.op(m)].kind != "elementwise" or g.shape(m) != shape:
            continue
        ins = [q for q in g.operands(m) if q == n or q in chain]
        rest = [q for q in g.operands(m) if q != n and q not in chain]
        if ins and all(g.shape(q) == shape for q in ins) and all(ready(q) for q in rest):
            chain.add(m)
    return [m for m in nodes if m in chain]


def _kernel_name(prefix: str, gid: Any, ops: list[str]) -> str:
    return f"{prefix}k{gid}_" + "_".join(ops[:3])


def _group_kind(g: Graph, gid: Any, nodes: list[int]) -> str:
    meta = g.meta.get("groups") or {}
    if gid in meta and "kind" in meta[gid]:
        return str(meta[gid]["kind"])
    kinds = [REGISTRY[g.op(n)].kind for n in nodes]
    for kind in ("contraction", "window", "reduction", "indexing", "random"):
        if kind in kinds:
            return kind
    return kinds[0] if kinds else "elementwise"


__all__ = ["BOUNDARY", "LOWERED", "UNSUPPORTED", "ProgramLowering", "lower_program"]
