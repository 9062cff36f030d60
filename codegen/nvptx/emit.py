"""One launch of the GPU mapping (:mod:`tenkai.codegen.nvptx.mapping`) -> one ``ptx_kernel``.

:class:`LaunchEmitter` is the shared LLVM emitter (:mod:`tenkai.codegen.llvm.emit`) with a GPU
prologue: the function has the ``ptx_kernel`` calling convention, its buffer parameters are
``ptr addrspace(1) noalias align <target alignment>``, thread and block indices come from
``llvm.nvvm.read.ptx.sreg.*``. Statements and scalar math are the shared emitter's (with the
target's math library), so a value is computed by the same template as on the CPU and the
counter-based RNG gives the same bits per element.

* ``grid``: ``for idx = ctaid.x*ntid.x + tid.x; idx < extent; idx += ntid.x*nctaid.x`` (the
  bounds check is the loop test), ``idx`` split back into the nest's loop variables (32-bit
  division when the extent fits).
* ``block``: ``for o = ctaid.x; o < extent; o += nctaid.x`` (uniform in the block), then the
  cooperative body: a ``Reduce`` is split over the block's threads (``j = tid.x; j <
  iterations; j += BLOCK``) into per-thread partials, combined by a butterfly of
  ``llvm.nvvm.shfl.sync.bfly.i32`` within each warp, one partial per warp in shared memory
  (``addrspace(3)``, one ``[33 x iN]`` array per Reduce: slot 32 broadcasts the total),
  ``llvm.nvvm.barrier0``, and a second butterfly in warp 0. Values wider than 32 bits are
  shuffled as two halves. The block size is a compile-time constant (the launch table's).
* ``serial``: the body in thread 0 of block 0.
* ``atomic`` (a ``grid`` launch of a scatter): its accumulating stores are ``atomicrmw``
  adds (``atom.global.add.f32`` and friends in the PTX).
* ``vector`` > 1 (a ``grid`` launch, :mod:`tenkai.codegen.nvptx.vector`): the grid-stride
  loop walks groups of ``vector`` innermost iterations; a whole group runs the body once per
  lane, its contiguous loads as one ``load <vector x T>`` before the first lane and its
  contiguous stores as one vector store after the last; a partial group (the end of a row)
  loops over its iterations.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.kir.nodes import (
    STATUS_BUFFER,
    Acc,
    Buffer,
    Check,
    Expr,
    Kernel,
    Let,
    Load,
    Loop,
    Reduce,
    Stmt,
    Store,
)
from tenkai.codegen.llvm.emit import KernelEmitter
from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I32, I64, VOID, i64
from tenkai.codegen.nvptx.mapping import WARP, Launch, flatten, reduce_nest
from tenkai.codegen.nvptx.stages import accumulated
from tenkai.codegen.nvptx.vector import contiguous
from tenkai.codegen.scalar.library import math_library
from tenkai.codegen.scalar.templates import llvm_type, storage_type, template_for
from tenkai.codegen.scalar.types import intrinsic
from tenkai.codegen.target import Target
from tenkai.ir import dtypes

GLOBAL = 1  # NVPTX address spaces
SHARED = 3
GPTR = ir.PointerType(addrspace=GLOBAL)
FULL_MASK = ir.Constant(I32, -1)


def i32(value: int) -> ir.Constant:
    return ir.Constant(I32, value)


class LaunchEmitter(KernelEmitter):
    """Emits one :class:`~tenkai.codegen.nvptx.mapping.Launch` as a ``ptx_kernel``."""

    def __init__(self, module: ir.Module, launch: Launch, buffers: dict[str, Buffer],
                 target: Target) -> None:
        self.module, self.buffers, self.launch = module, buffers, launch
        self.kernel = Kernel(launch.name, launch.params, launch.body)
        self.contractions = None
        self.parallel = None
        self.math = math_library(target)
        self.depth = 0
        self._symbols = 0
        self.cooperative = False
        self.shared_bytes = 0
        self.lane: int | None = None  # the lane being emitted in a vector group
        self.vector_loads: dict[tuple[str, Expr], ir.Value] = {}
        self.vector_stores: dict[tuple[str, Expr], tuple[ir.Value, list[ir.Value]]] = {}
        fn = ir.Function(module, ir.FunctionType(VOID, [GPTR] * len(launch.params)),
                         name=launch.name)
        fn.calling_convention = "ptx_kernel"
        self.fn = fn
        self.begin(fn, launch.params)
        for arg in fn.args:
            arg.attributes.align = target.alignment

    # ------------------------------------------------------------ special registers
    def sreg(self, name: str) -> ir.Value:
        """``llvm.nvvm.read.ptx.sreg.<name>`` (``tid.x``, ``ctaid.x``, ...) as i64."""
        fn = declare_function(self.module, f"llvm.nvvm.read.ptx.sreg.{name}",
                              ir.FunctionType(I32, []))
        return self.b.zext(self.b.call(fn, []), I64, name=name.replace(".", "_"))

    def barrier(self) -> None:
        fn = declare_function(self.module, "llvm.nvvm.barrier0", ir.FunctionType(VOID, []))
        self.b.call(fn, [])

    def emit(self) -> ir.Function:
        la = self.launch
        if la.mapping == "grid":
            tid, bid = self.sreg("tid.x"), self.sreg("ctaid.x")
            ntid, nctaid = self.sreg("ntid.x"), self.sreg("nctaid.x")
            start = self.b.add(self.b.mul(bid, ntid), tid, name="gid")
            step = self.b.mul(ntid, nctaid, name="gstride")
            if la.vector > 1:
                (*outer, (var, extent)) = la.loops
                groups = [*outer, (f"{var}.v", -(-extent // la.vector))]
                self.strided(groups, start, step, la.body, "idx", run=self.vector_group)
            else:
                self.strided(la.loops, start, step, la.body, "idx")
        elif la.mapping == "block":
            self.cooperative = True
            self.tid = self.sreg("tid.x")
            bid, nctaid = self.sreg("ctaid.x"), self.sreg("nctaid.x")
            if la.loops:
                self.strided(la.loops, bid, nctaid, la.body, "blk", run=self.coop_block)
            else:
                self.coop_block(la.body)
        else:
            first = self.b.icmp_unsigned("==", self.b.or_(self.sreg("tid.x"),
                                                          self.sreg("ctaid.x")), i64(0))
            with self.b.if_then(first):
                self.block(la.body)
        self.finish()
        la.static_shared = self.shared_bytes
        return self.fn

    # ------------------------------------------------------------ vectors (vector.py)
    def vector_group(self, body: list[Stmt]) -> None:
        """``launch.vector`` consecutive iterations of the innermost loop (the group bound to
        ``<var>.v``): contiguous accesses as vectors where the group is whole, else the
        iterations left one by one."""
        la = self.launch
        var, extent = la.loops[-1]
        base = self.b.mul(self.env[f"{var}.v"][1], i64(la.vector), name=f"{var}.base")
        if extent % la.vector == 0:
            self.vector_lanes(body, var, base)
            return
        whole = self.b.icmp_signed("<=", self.b.add(base, i64(la.vector)), i64(extent))
        with self.b.if_else(whole) as (then, otherwise):
            with then:
                self.vector_lanes(body, var, base)
            with otherwise:
                self.range_loop(var, base, i64(extent), body, guard=False)

    def vector_lanes(self, body: list[Stmt], var: str, base: ir.Value) -> None:
        """``body`` once per lane with the innermost variable ``base + lane``; contiguous
        loads are one vector load (at lane 0), contiguous stores one vector store (after the
        last lane: iterations are independent and no buffer is both read and written)."""
        self.vector_loads.clear()
        self.vector_stores.clear()
        for lane in range(self.launch.vector):
            self.lane = lane
            self.env[var] = ("val", self.b.add(base, i64(lane)), "int64")
            self.block(body)
        self.lane = None
        for at, values in self.vector_stores.values():
            vec: ir.Value = ir.Constant(ir.VectorType(values[0].type, len(values)), ir.Undefined)
            for k, value in enumerate(values):
                vec = self.b.insert_element(vec, value, i32(k))
            st = self.b.store(vec, at)
            st.align = len(values) * _width(values[0].type) // 8

    def vectorized(self, index: Expr) -> bool:
        """Is an access at ``index`` one lane of a vector access (in a whole group)?"""
        return self.lane is not None and \
            contiguous(index, self.launch.loops, self.launch.vector)

    def _load(self, e: Load) -> ir.Value:
        if not self.vectorized(e.index):
            return super()._load(e)
        key = (e.buf, e.index)
        if key not in self.vector_loads:  # lane 0: the body is straight-line code
            ty = storage_type(e.dtype)
            vty = ir.VectorType(ty, self.launch.vector)
            ld = self.b.load(self.address(e.buf, self.expr(e.index), e.dtype), typ=vty)
            ld.align = self.launch.vector * dtypes.itemsize(e.dtype)
            self.vector_loads[key] = ld
        value = self.b.extract_element(self.vector_loads[key], i32(self.lane))
        if e.dtype == "bool":
            return self.b.icmp_unsigned("!=", value, ir.Constant(value.type, 0))
        return value

    def _store(self, s: Store) -> None:
        """A contiguous store of a vector lane is kept for the group's vector store; an
        accumulating store of an ``atomic`` launch (``buf[e] = buf[e] + v``) is ``atomicrmw
        fadd``/``add`` of ``v``; others are plain."""
        if self.vectorized(s.index):
            dt = self.buffers[s.buf].dtype
            value = self.expr(s.value)
            if dt == "bool":
                value = self.b.zext(value, storage_type(dt))
            key = (s.buf, s.index)
            if key not in self.vector_stores:
                self.vector_stores[key] = (self.address(s.buf, self.expr(s.index), dt), [])
            self.vector_stores[key][1].append(value)
            return
        addend = accumulated(s) if self.launch.atomic else None
        if addend is None:
            super()._store(s)
            return
        dt = self.buffers[s.buf].dtype
        value = self.expr(addend)
        at = self.address(s.buf, self.expr(s.index), dt)
        self.b.atomic_rmw("fadd" if dtypes.is_float(dt) else "add", at, value, "monotonic")

    def _check(self, s: Check) -> None:
        """Where ``s.cond`` fails: the first failing thread claims the status word with a
        compare-and-swap of its code (0 -> code) and writes its value; others leave it (so the
        pair is never torn; the CPU records the last failure in iteration order instead)."""
        ok = self.expr(s.cond)
        with self.b.if_then(self.b.not_(ok), likely=False):
            word = self.address(STATUS_BUFFER, i64(0), "int64")
            claim = self.b.cmpxchg(word, i64(0), i64(s.code), "monotonic", "monotonic")
            with self.b.if_then(self.b.extract_value(claim, 1)):
                value = self.expr(s.value)
                if value.type != I64:
                    value = self.b.sext(value, I64)
                self.b.store(value, self.address(STATUS_BUFFER, i64(1), "int64"))

    # ------------------------------------------------------------ loops over threads
    def strided(self, dims: list[tuple[str, int]], start: ir.Value, step: ir.Value,
                body: list[Stmt], name: str,
                run: Callable[[list[Stmt]], None] | None = None) -> None:
        """``for idx in range(start, extent(dims), step)`` (the bounds check is the loop
        test): split ``idx`` into ``dims``' loop variables, then ``run(body)`` (default: the
        statements as they are)."""
        n = 1
        for _, e in dims:
            n *= e
        with counted_loop(self.b, start, i64(n), name, step) as idx:
            self.split_index(idx, dims, n)
            self.depth += 1
            (run or self.block)(body)
            self.depth -= 1

    def split_index(self, idx: ir.Value, dims: list[tuple[str, int]], n: int) -> None:
        """Bind each ``(var, extent)`` of ``dims`` (outermost first) to its digit of ``idx``."""
        narrow = n < 2**31
        rest = self.b.trunc(idx, I32) if narrow else idx
        ty = I32 if narrow else I64
        for k in range(len(dims) - 1, -1, -1):
            var, extent = dims[k]
            if extent == 1:
                value: ir.Value = i64(0)
            elif k == 0:
                value = rest
            else:
                c = ir.Constant(ty, extent)
                value = self.b.urem(rest, c)
                rest = self.b.udiv(rest, c)
            if value.type != I64:
                value = self.b.zext(value, I64)
            self.env[var] = ("val", value, "int64")

    # ------------------------------------------------------------ cooperative body
    def coop_block(self, body: list[Stmt]) -> None:
        """``body`` run by all threads of a block together (mapping.py, ``block``)."""
        for s in body:
            if isinstance(s, Let):
                self.stmt(s)
                continue
            if isinstance(s, Reduce):
                self.coop_reduce(s)
            elif isinstance(s, Loop) and s.parallel:
                dims, inner = flatten(s)
                self.strided(dims, self.tid, i64(self.launch.block), inner, s.var)
            else:
                with self.b.if_then(self.b.icmp_unsigned("==", self.tid, i64(0))):
                    self.depth += 1
                    self.stmt(s)
                    self.depth -= 1
            self.barrier()

    def coop_reduce(self, s: Reduce) -> None:
        """``s`` split over the block's threads, then a tree of shuffles and shared memory;
        every thread ends with the total in ``s.acc``."""
        dims, inner = reduce_nest(s)
        self.stmt(Acc(s.acc, s.dtype, s.identity))
        slot = self.env[s.acc][1]
        self.strided(dims, self.tid, i64(self.launch.block), inner, f"{s.acc}.j")
        ty = llvm_type(s.dtype)
        value = self.warp_reduce(self.b.load(slot, typ=ty), s)
        nwarps = self.launch.block // WARP
        if nwarps > 1:
            bits = 64 if _width(ty) > 32 else 32
            ity = ir.IntType(bits)
            arr = ir.ArrayType(ity, WARP + 1)
            shared = ir.GlobalVariable(self.module, arr, self.new_symbol("shared"),
                                       addrspace=SHARED)
            shared.linkage = "internal"
            shared.initializer = ir.Constant(arr, ir.Undefined)
            shared.align = 8
            shared.type = ir.PointerType(addrspace=SHARED)  # opaque, as LLVM 22 has it
            self.shared_bytes += (WARP + 1) * bits // 8
            lane = self.b.and_(self.tid, i64(WARP - 1), name="lane")
            warp = self.b.lshr(self.tid, i64(5), name="warp")

            def at(k: ir.Value) -> ir.Value:
                return self.b.gep(shared, [i64(0), k], inbounds=True, source_etype=arr)

            with self.b.if_then(self.b.icmp_unsigned("==", lane, i64(0))):
                self.b.store(self.to_bits(value, ity), at(warp))
            self.barrier()
            with self.b.if_then(self.b.icmp_unsigned("==", warp, i64(0))):
                have = self.b.icmp_unsigned("<", lane, i64(nwarps))
                part = self.b.select(have, self.from_bits(self.b.load(at(lane), typ=ity), ty),
                                     self.expr(s.identity))
                total = self.warp_reduce(part, s)
                with self.b.if_then(self.b.icmp_unsigned("==", lane, i64(0))):
                    self.b.store(self.to_bits(total, ity), at(i64(WARP)))
            self.barrier()
            value = self.from_bits(self.b.load(at(i64(WARP)), typ=ity), ty)
        self.b.store(value, slot)

    def warp_reduce(self, value: ir.Value, s: Reduce) -> ir.Value:
        """Every lane of the warp gets ``op`` over the 32 lanes' values (a butterfly)."""
        for offset in (16, 8, 4, 2, 1):
            value = self.combine(s, value, self.shuffle(value, offset))
        return value

    def shuffle(self, value: ir.Value, offset: int) -> ir.Value:
        """``value`` of lane ``lane ^ offset`` (``shfl.sync.bfly``; 64 bits as two halves)."""
        fn = declare_function(self.module, "llvm.nvvm.shfl.sync.bfly.i32",
                              ir.FunctionType(I32, [I32, I32, I32, I32]))
        wide = _width(value.type) > 32
        ity = ir.IntType(64 if wide else 32)
        bits = self.to_bits(value, ity)
        if not wide:
            out = self.b.call(fn, [FULL_MASK, bits, i32(offset), i32(WARP - 1)])
            return self.from_bits(out, value.type)
        lo = self.b.call(fn, [FULL_MASK, self.b.trunc(bits, I32), i32(offset), i32(WARP - 1)])
        hi = self.b.call(fn, [FULL_MASK, self.b.trunc(self.b.lshr(bits, ir.Constant(ity, 32)),
                                                      I32), i32(offset), i32(WARP - 1)])
        joined = self.b.or_(self.b.zext(lo, ity),
                            self.b.shl(self.b.zext(hi, ity), ir.Constant(ity, 32)))
        return self.from_bits(joined, value.type)

    def to_bits(self, value: ir.Value, ity: ir.IntType) -> ir.Value:
        """``value``'s bits, zero-extended to ``ity``."""
        if not isinstance(value.type, ir.IntType):
            value = self.b.bitcast(value, ir.IntType(_width(value.type)))
        return value if value.type == ity else self.b.zext(value, ity)

    def from_bits(self, bits: ir.Value, ty: ir.Type) -> ir.Value:
        """The inverse of :meth:`to_bits`."""
        width = _width(ty)
        if bits.type.width != width:
            bits = self.b.trunc(bits, ir.IntType(width))
        return bits if isinstance(ty, ir.IntType) else self.b.bitcast(bits, ty)

    def combine(self, s: Reduce, a: ir.Value, b: ir.Value) -> ir.Value:
        """``s.op(a, b)`` as the shared emitter's ``AccUpdate`` computes it."""
        dt = s.dtype
        if dtypes.is_float(dt) and s.op in ("add", "mul"):
            op = self.b.fadd if s.op == "add" else self.b.fmul
            return op(a, b, flags=("reassoc",))
        if dtypes.is_float(dt):
            return intrinsic(self.b, f"llvm.{s.op}", [a, b])
        return template_for(s.op, dt, self.math)(self.b, a, b, dtype=dt, out_dtype=dt)


def _width(ty: ir.Type) -> int:
    """Bits of a scalar type."""
    if isinstance(ty, ir.IntType):
        return ty.width
    if isinstance(ty, ir.HalfType):
        return 16
    if isinstance(ty, ir.FloatType):
        return 32
    if isinstance(ty, ir.DoubleType):
        return 64
    raise NotImplementedError(f"nvptx: no shuffle for values of type {ty}")
