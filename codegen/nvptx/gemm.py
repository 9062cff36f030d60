"""Contractions on the GPU: every ``Contraction`` is a launch of its own (mapping ``"gemm"``).

The kernel is a shared-memory tiled GEMM (:class:`GemmConfig` says which tile):

* one block computes one ``BM x BN`` tile of ``out`` for one batch index; the tiles of every
  batch index are numbered ``t = (batch * tiles_m + tile_m) * tiles_n + tile_n`` and the
  blocks stride over them (``for t = ctaid.x; t < tiles; t += nctaid.x``), so the batch is
  folded into grid.x and any grid size covers the work;
* batch dims where ``out`` has stride 0 (an accumulating contraction summing over images, the
  convolution's weight gradient) are not spread over blocks (they would race on ``out``): each
  block walks them as more steps of its K loop, so they are summed in registers;
* the K loop runs in steps of ``BK``: the block's threads copy the ``BM x BK`` tile of ``a``
  and the ``BK x BN`` tile of ``b`` into shared memory (``As[kk][m]``, ``Bs[kk][n]``, or
  ``[m|n][kk]`` for float16 pairs along K; rows padded by 16 bytes) through the operands'
  strides (transposed and broadcast views need no copy; a convolution's ``WindowView``
  computes each element's window position; elements outside ``M``/``N``/``K`` or in the
  padding are zeros), double buffered: step ``s+1``'s copies are issued before step ``s`` is
  computed. 4- and 8-byte elements are ``cp.async`` copies
  (``llvm.nvvm.cp.async.ca.shared.global.{4,8}.s``, a smaller source size zero-fills), 2-byte
  elements 4-byte ``cp.async`` pairs where the operand is contiguous and aligned for it,
  committed as one group per step and awaited with ``cp.async.wait_group 1``; other 2-byte
  and 1-byte elements are loaded and stored;
* compute: ``"fma"``: each thread owns a ``TM x TN`` micro tile (registers) and does
  ``TM*TN`` fused multiply-adds per ``kk``; ``"f16"``: float16 on tensor cores, every warp a
  ``WM x WN`` warp tile of ``mma.sync.m16n8k16.row.col.f32.f16.f16.f32`` (float32
  accumulation, :mod:`tenkai.codegen.nvptx.gemm_mma`); ``"tf32"``: float32 with
  ``float32_matmul_precision`` ``"high"`` or ``"medium"`` (the target option, so in the cache
  key), ``mma.sync.m16n8k8`` on TF32 operands (``cvt.rna.tf32.f32``), float32 accumulation;
* split K: where the output has too few tiles to fill the GPU and the K loop (K steps times
  the summed batch) is long (a convolution's weight gradient, a small Linear's forward),
  :func:`splits_for` cuts the steps into ``splits`` contiguous ranges, one work item each
  (``t = tile * splits + split``). A range's block stores its accumulators to scratch
  ``<kernel>__<k>.part`` (in register order, coalesced), fences, and counts itself in
  ``<kernel>__<k>.count[tile]`` with an atomic add; the block that counts last loads every
  range's partials in range order (so the sum is the same bits whichever block finishes
  last), resets the counter and runs the epilogue below. The scratch is zeroed per run;
* epilogue: every element inside ``M x N`` is stored through ``out``'s strides (added to the
  old value when ``accumulate``; float16 results are rounded from the float32 accumulator),
  then, where the kernel's next nest was fused into the launch (a bias, an activation:
  :mod:`tenkai.codegen.nvptx.epilogue`), that nest's body runs for the element.

The launch row records grid, block and the tiles' static shared memory (``static_shared``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llvmlite import ir

from tenkai.codegen.kir.nodes import (
    Buffer,
    Contraction,
    Kernel,
    Load,
    Stmt,
    TensorView,
    WindowView,
)
from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I32, VOID, i64
from tenkai.codegen.nvptx.emit import SHARED, LaunchEmitter, i32
from tenkai.codegen.nvptx.gemm_mma import fragment_positions, mma_compute, mma_origin
from tenkai.codegen.nvptx.gemm_split import combine_ranges, shared_flag, split_scratch, splits_for
from tenkai.codegen.nvptx.mapping import MAX_GRID, WARP, Launch
from tenkai.codegen.scalar.templates import constant, llvm_type, storage_type
from tenkai.codegen.scalar.types import intrinsic
from tenkai.codegen.target import Target
from tenkai.ir import dtypes

ISSUE = "issue #10"
PRECISION = "float32_matmul_precision"  # the Target option tenkai.set_float32_matmul_precision sets
DTYPES = ("float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64")


@dataclass(frozen=True)
class GemmConfig:
    """The tile of one GEMM launch: block tile ``bm x bn``, K step ``bk``; ``compute`` is
    ``"fma"`` (micro tile ``tm x tn`` per thread), ``"f16"`` or ``"tf32"`` (warp tile
    ``wm x wn`` of ``mma.sync``). Per operand (``a``, ``b``): ``copy_*`` is how its tile
    goes from global to shared memory (``"async"``: one ``cp.async`` per element; ``"pair"``:
    one 4-byte ``cp.async`` per two 2-byte elements contiguous in both memories; ``"sync"``:
    load and store), ``layout_*`` its shared layout (``"k"``: ``[kk][m or n]``; ``"mn"``:
    ``[m or n][kk]``, for pairs along K)."""

    bm: int
    bn: int
    bk: int
    compute: str = "fma"
    tm: int = 0
    tn: int = 0
    wm: int = 0
    wn: int = 0
    copy_a: str = "async"
    copy_b: str = "async"
    layout_a: str = "k"
    layout_b: str = "k"

    @property
    def async_copy(self) -> bool:
        """Does any operand use ``cp.async`` (then steps commit and wait for groups)?"""
        return self.copy_a != "sync" or self.copy_b != "sync"

    @property
    def threads(self) -> int:
        if self.compute == "fma":
            return (self.bm // self.tm) * (self.bn // self.tn)
        return (self.bm // self.wm) * (self.bn // self.wn) * WARP

    def pad(self, dtype: str) -> int:
        """Elements added to every shared row (16 bytes: rows stay 16-byte aligned)."""
        return 16 // dtypes.itemsize(dtype)

    def shared_shape(self, which: str, dtype: str) -> tuple[int, int]:
        """(rows, padded row length) of one buffer of operand ``which``'s tile."""
        mn = self.bm if which == "a" else self.bn
        layout = self.layout_a if which == "a" else self.layout_b
        return (self.bk, mn + self.pad(dtype)) if layout == "k" else (mn, self.bk + self.pad(dtype))

    def shared_bytes(self, dtype: str) -> int:
        """Both buffers of both tiles."""
        elements = sum(r * c for r, c in (self.shared_shape(w, dtype) for w in "ab"))
        return 2 * elements * dtypes.itemsize(dtype)


def precision(target: Target) -> str:
    """The target's ``float32_matmul_precision`` option (PyTorch's default ``"highest"``)."""
    return str(dict(target.options).get(PRECISION, "highest"))


def config_for(stmt: Contraction, target: Target) -> GemmConfig:
    """The tile :func:`plan_gemm` uses for ``stmt`` on ``target``."""
    dt = stmt.dtype
    if dt not in DTYPES:
        raise NotImplementedError(f"nvptx: contractions on {dt} are not implemented "
                                  f"(supported: {', '.join(DTYPES)})")
    size = dtypes.itemsize(dt)
    copies: dict[str, str] = {}
    for which, view in (("a", stmt.a), ("b", stmt.b)):
        copies[f"copy_{which}"], copies[f"layout_{which}"] = _operand_copy(view, which, size)
    if dt == "float16":
        return GemmConfig(64, 64, 32, "f16", wm=32, wn=32, **copies)
    if dt == "float32" and precision(target) in ("high", "medium"):
        return GemmConfig(64, 64, 16, "tf32", wm=32, wn=32, **copies)
    if dt == "float32" and stmt.m >= 128 and stmt.n >= 128:
        return GemmConfig(128, 128, 8, tm=8, tn=8, **copies)
    return GemmConfig(64, 64, 16 if size <= 4 else 8, tm=4, tn=4, **copies)


def _operand_copy(view: TensorView, which: str, size: int) -> tuple[str, str]:
    """(copy, layout) of an operand (:class:`GemmConfig`): 4- and 8-byte elements are copied
    by ``cp.async`` one by one; 2-byte elements in 4-byte pairs where the operand is
    contiguous along K or M/N and every pair starts 4-byte aligned (even offset and other
    strides), the shared layout then contiguous along the same dim; else loaded and stored."""
    if size in (4, 8):
        return "async", "k"
    if size != 2 or isinstance(view, WindowView):
        return "sync", "k"
    *batch, rs, cs = view.strides
    k_stride, mn_stride = (cs, rs) if which == "a" else (rs, cs)
    even = all(v % 2 == 0 for v in (*batch, view.offset))
    if even and mn_stride == 1 and k_stride % 2 == 0:
        return "pair", "k"
    if even and k_stride == 1 and mn_stride % 2 == 0:
        return "pair", "mn"
    return "sync", "k"


@dataclass
class GemmLaunch(Launch):
    """A ``gemm`` launch: ``body`` is the one ``Contraction``, ``config`` its tile;
    ``epilogue``: statements each stored element runs (:mod:`tenkai.codegen.nvptx.epilogue`),
    with ``epilogue_vars`` binding their loop variables to ``"row"``, ``"col"``, ``"flat"``
    (``row * N + col``) or ``"zero"``;
    ``store_product`` False: the product itself is not stored (nothing else reads it)."""

    config: GemmConfig | None = None
    epilogue: list[Stmt] = field(default_factory=list)
    epilogue_vars: dict[str, str] = field(default_factory=dict)
    store_product: bool = True  # False: only the epilogue reads the product (not stored)
    splits: int = 1  # K-step ranges per tile (module docstring: split K)

    @property
    def stmt(self) -> Contraction:
        stmt = self.body[0]
        assert isinstance(stmt, Contraction)
        return stmt


def split_batch(stmt: Contraction) -> tuple[list[tuple[int, int, int, int]],
                                            list[tuple[int, int, int, int]]]:
    """The batch dims as ``(extent, a stride, b stride, out stride)``: those spread over
    blocks, and those summed inside a block (``out`` stride 0, extent > 1)."""
    nb = len(stmt.batch)
    dims = [(stmt.batch[j], stmt.a.strides[j], stmt.b.strides[j], stmt.out.strides[j])
            for j in range(nb) if stmt.batch[j] != 1]
    summed = [d for d in dims if d[3] == 0]
    if summed and not stmt.accumulate:
        raise NotImplementedError(
            "nvptx: a contraction whose output is broadcast over a batch dim (stride 0) "
            "without accumulate (each batch index overwriting the last) is not implemented")
    return [d for d in dims if d[3] != 0], summed


def k_steps(stmt: Contraction, cfg: GemmConfig) -> int:
    """The steps of a tile's K loop: ``BK`` steps of K, for every summed batch index."""
    steps = -(-stmt.k // cfg.bk)
    for extent, *_ in split_batch(stmt)[1]:
        steps *= extent
    return steps


def plan_gemm(kernel: Kernel, k: int, stmt: Contraction, params: list[str],
              target: Target) -> GemmLaunch:
    """The launch of ``stmt``, the ``k``-th of ``kernel``."""
    cfg = config_for(stmt, target)
    spread, _ = split_batch(stmt)
    tiles = -(-stmt.m // cfg.bm) * -(-stmt.n // cfg.bn)
    for extent, *_ in spread:
        tiles *= extent
    name = f"{kernel.name}__{k}"
    splits = splits_for(tiles, k_steps(stmt, cfg))
    accs = cfg.tm * cfg.tn if cfg.compute == "fma" else len(fragment_positions(cfg.wm, cfg.wn))
    scratch = split_scratch(name, tiles, splits, accs * cfg.threads, stmt.dtype)
    return GemmLaunch(name, kernel.name, "gemm", [("tile", tiles * splits)], [stmt],
                      params + list(scratch), cfg.threads, min(tiles * splits, MAX_GRID),
                      static_shared=cfg.shared_bytes(stmt.dtype), scratch=scratch, config=cfg,
                      splits=splits)


class GemmEmitter(LaunchEmitter):
    """Emits a :class:`GemmLaunch` as a ``ptx_kernel`` (module docstring)."""

    def __init__(self, module: ir.Module, launch: GemmLaunch, buffers: dict[str, Buffer],
                 target: Target) -> None:
        super().__init__(module, launch, buffers, target)
        self.contract, self.cfg = launch.stmt, launch.config
        self.product: ir.Value | None = None  # the element a fused epilogue runs for
        assert self.cfg is not None
        s = self.contract
        self.dt = s.dtype
        self.acc_dt = "float32" if s.dtype == "float16" else s.dtype
        self.ety = storage_type(s.dtype)
        self.spread, self.summed = split_batch(s)
        self.tiles_m, self.tiles_n = -(-s.m // self.cfg.bm), -(-s.n // self.cfg.bn)
        self.kt = -(-s.k // self.cfg.bk)
        self.steps = k_steps(s, self.cfg)
        self.splits = launch.splits

    # ------------------------------------------------------------ layout
    def shared_array(self, which: str) -> tuple[ir.GlobalVariable, ir.ArrayType, int]:
        """One operand's two shared buffers (:meth:`GemmConfig.shared_shape`)."""
        rows, row = self.cfg.shared_shape(which, self.dt)
        arr = ir.ArrayType(self.ety, 2 * rows * row)
        g = ir.GlobalVariable(self.module, arr, self.new_symbol("tile"), addrspace=SHARED)
        g.linkage = "internal"
        g.initializer = ir.Constant(arr, ir.Undefined)
        g.align = 16
        g.type = ir.PointerType(addrspace=SHARED)  # opaque, as LLVM 22 has it
        return g, arr, row

    def tile_at(self, which: str, buf: ir.Value, kk: ir.Value, col: ir.Value) -> ir.Value:
        """Address of element ``[kk][col]`` of buffer ``buf`` of ``As`` or ``Bs``."""
        g, arr, row = self.As if which == "a" else self.Bs
        rows, _ = self.cfg.shared_shape(which, self.dt)
        if (self.cfg.layout_a if which == "a" else self.cfg.layout_b) == "k":
            major, minor = kk, col
        else:
            major, minor = col, kk
        index = self.b.add(self.b.mul(self.b.add(self.b.mul(buf, i64(rows)), major),
                                      i64(row)), minor)
        return self.b.gep(g, [i64(0), index], inbounds=True, source_etype=arr)

    # ------------------------------------------------------------ the kernel
    def emit(self) -> ir.Function:
        cfg = self.cfg
        self.tid = self.sreg("tid.x")
        self.As = self.shared_array("a")
        self.Bs = self.shared_array("b")
        self.make_accumulators()
        if self.splits > 1:
            self.last_flag = shared_flag(self)
        tiles = self.launch.extent
        with counted_loop(self.b, self.sreg("ctaid.x"), i64(tiles), "tile",
                          step=self.sreg("nctaid.x")) as t:
            self.tile(t)
        self.finish()
        self.launch.static_shared = cfg.shared_bytes(self.dt)
        return self.fn

    def decode(self, index: ir.Value, dims: list[tuple[int, ...]], name: str
               ) -> list[ir.Value]:
        """The per-operand offsets of the batch element ``index`` over ``dims``."""
        n = len(dims[0]) - 1 if dims else 0
        offsets: list[ir.Value] = [i64(0)] * n
        rest = index
        for k in range(len(dims) - 1, -1, -1):
            d = dims[k]
            coord = self.b.urem(rest, i64(d[0]), name=f"{name}.c") if k else rest
            rest = self.b.udiv(rest, i64(d[0]))
            offsets = [self.b.add(o, self.b.mul(coord, i64(st)))
                       for o, st in zip(offsets, d[1:], strict=True)]
        return offsets

    def tile(self, t: ir.Value) -> None:
        """One work item: an output tile (and with split K, one range of its K steps): zero,
        the pipelined K loop, the epilogue (split K: by the range that finishes last)."""
        s, cfg, b = self.contract, self.cfg, self.b
        lo, hi = i64(0), i64(self.steps)
        if self.splits > 1:
            split = b.urem(t, i64(self.splits), name="split")
            t = b.udiv(t, i64(self.splits), name="tile")
            per = -(-self.steps // self.splits)
            lo = b.mul(split, i64(per), name="step_lo")
            hi = b.select(b.icmp_signed("<", b.add(lo, i64(per)), i64(self.steps)),
                          b.add(lo, i64(per)), i64(self.steps), name="step_hi")
        tn = b.urem(t, i64(self.tiles_n), name="tile_n")
        rest = b.udiv(t, i64(self.tiles_n))
        tm = b.urem(rest, i64(self.tiles_m), name="tile_m")
        batch = b.udiv(rest, i64(self.tiles_m), name="batch")
        offs = self.decode(batch, self.spread, "batch") if self.spread else [i64(0)] * 3
        self.a_off = b.add(offs[0], i64(s.a.offset))
        self.b_off = b.add(offs[1], i64(s.b.offset))
        self.c_off = b.add(offs[2], i64(s.out.offset))
        self.row0 = b.mul(tm, i64(cfg.bm), name="row0")
        self.col0 = b.mul(tn, i64(cfg.bn), name="col0")
        zero = constant(0, self.acc_dt)
        for slot in self.acc:
            b.store(zero, slot)
        self.issue(lo, b.and_(lo, i64(1)))
        self.commit()
        with counted_loop(b, lo, hi, "step") as step:
            nxt = self.b.add(step, i64(1))
            with self.b.if_then(self.b.icmp_signed("<", nxt, hi)):
                self.issue(nxt, self.b.and_(nxt, i64(1)))
            self.commit()
            self.wait(1)
            self.barrier()
            self.compute(self.b.and_(step, i64(1)))
            self.barrier()
        if self.splits > 1:
            with b.if_then(combine_ranges(self, t, split)):
                self.epilogue()
        else:
            self.epilogue()

    # ------------------------------------------------------------ global -> shared
    def commit(self) -> None:
        if self.cfg.async_copy:
            fn = declare_function(self.module, "llvm.nvvm.cp.async.commit.group",
                                  ir.FunctionType(VOID, []))
            self.b.call(fn, [])

    def wait(self, pending: int) -> None:
        if self.cfg.async_copy:
            fn = declare_function(self.module, "llvm.nvvm.cp.async.wait.group",
                                  ir.FunctionType(VOID, [I32]))
            self.b.call(fn, [i32(pending)])

    def issue(self, step: ir.Value, buf: ir.Value) -> None:
        """Start copying K step ``step``'s tiles into shared buffer ``buf``."""
        s, cfg, b = self.contract, self.cfg, self.b
        kt = b.urem(step, i64(self.kt))
        k0 = b.mul(kt, i64(cfg.bk), name="k0")
        a_off, b_off = self.a_off, self.b_off
        if self.summed:
            ra, rb, _ = self.decode(b.udiv(step, i64(self.kt)), self.summed, "sum")
            a_off, b_off = b.add(a_off, ra), b.add(b_off, rb)
        *_, rs, cs = s.a.strides
        self.copy_tile("a", s.a, a_off, (k0, s.k, cs, cfg.bk), (self.row0, s.m, rs, cfg.bm), buf)
        *_, rs, cs = s.b.strides
        self.copy_tile("b", s.b, b_off, (k0, s.k, rs, cfg.bk), (self.col0, s.n, cs, cfg.bn), buf)

    def copy_tile(self, which: str, view: TensorView, offset: ir.Value,
                  k: tuple[ir.Value, int, int, int], mn: tuple[ir.Value, int, int, int],
                  buf: ir.Value) -> None:
        """Copy operand ``which``'s tile (its K and M/N dims each ``(start, bound, stride,
        size)``) into shared buffer ``buf``. Consecutive threads take consecutive elements
        (pairs) along the operand's smaller stride (a window view: along pixels), so global
        loads coalesce where it is 1."""
        b, threads = self.b, self.cfg.threads
        mode = self.cfg.copy_a if which == "a" else self.cfg.copy_b
        window = view if isinstance(view, WindowView) else None
        if mode == "pair":  # contiguous along the dim the shared layout keeps contiguous
            k_fast = (self.cfg.layout_a if which == "a" else self.cfg.layout_b) == "mn"
        elif window is not None:
            k_fast = not window.k_rows
        else:
            k_fast = abs(k[2]) < abs(mn[2])
        fast, slow = (k, mn) if k_fast else (mn, k)
        width = 2 if mode == "pair" else 1
        nf = fast[3] // width
        total = nf * slow[3]
        for i in range(-(-total // threads)):
            e = b.add(self.tid, i64(i * threads))
            f, sl = b.mul(b.urem(e, i64(nf)), i64(width)), b.udiv(e, i64(nf))
            fg, sg = b.add(fast[0], f), b.add(slow[0], sl)
            ok = b.icmp_signed("<", sg, i64(slow[1]))
            if total % threads:
                ok = b.and_(ok, b.icmp_unsigned("<", e, i64(total)))
            (kk, kg), (mm, mg) = ((f, fg), (sl, sg)) if k_fast else ((sl, sg), (f, fg))
            if window is None:
                index = b.add(offset, b.add(b.mul(kg, i64(k[2])), b.mul(mg, i64(mn[2]))))
            else:  # only b is ever a window: its rows are K, its columns N
                index, inside = self.window_index(window, offset, kg, mg)
                ok = b.and_(ok, inside)
            dst = self.tile_at(which, buf, kk, mm)
            if mode == "pair":
                self.copy_pair(dst, view.buf, index, ok, fg, fast[1])
            else:
                self.copy(dst, view.buf, index,
                          b.and_(ok, b.icmp_signed("<", fg, i64(fast[1]))), mode)

    def window_index(self, v: WindowView, offset: ir.Value, row: ir.Value, col: ir.Value
                     ) -> tuple[ir.Value, ir.Value]:
        """Index of element ``(row, col)`` of an implicit GEMM's window operand, and whether
        it is inside the image (else it reads padding: zero)."""
        b = self.b
        kidx, pidx = (row, col) if v.k_rows else (col, row)
        _, kh_n, kw_n = v.window
        ci, rest = b.udiv(kidx, i64(kh_n * kw_n)), b.urem(kidx, i64(kh_n * kw_n))
        kh, kw = b.udiv(rest, i64(kw_n)), b.urem(rest, i64(kw_n))
        oh, ow = b.udiv(pidx, i64(v.out_hw[1])), b.urem(pidx, i64(v.out_hw[1]))
        ih = b.add(b.sub(b.mul(oh, i64(v.stride[0])), i64(v.pad[0])),
                   b.mul(kh, i64(v.dilation[0])), name="ih")
        iw = b.add(b.sub(b.mul(ow, i64(v.stride[1])), i64(v.pad[1])),
                   b.mul(kw, i64(v.dilation[1])), name="iw")
        inside = b.and_(b.icmp_unsigned("<", ih, i64(v.in_hw[0])),  # negative: huge
                        b.icmp_unsigned("<", iw, i64(v.in_hw[1])))
        sc, sh, sw = v.image
        index = b.add(offset, b.add(b.mul(ci, i64(sc)),
                                    b.add(b.mul(ih, i64(sh)), b.mul(iw, i64(sw)))))
        return index, inside

    def copy(self, dst: ir.Value, buffer: str, index: ir.Value, ok: ir.Value,
             mode: str) -> None:
        """``dst = ok ? buffer[index] : 0`` (``cp.async`` with a zero-fill source size)."""
        b = self.b
        src = self.address(buffer, b.select(ok, index, i64(0)), self.dt)
        if mode == "async":
            size = dtypes.itemsize(self.dt)
            self.cp_async(size, dst, src, b.select(ok, i32(size), i32(0)))
            return
        value = b.load(src, typ=self.ety)
        b.store(b.select(ok, value, constant(0, self.dt)), dst)

    def copy_pair(self, dst: ir.Value, buffer: str, index: ir.Value, ok: ir.Value,
                  first: ir.Value, bound: int) -> None:
        """Two 2-byte elements ``index``, ``index + 1`` (along the dim whose global position
        ``first`` has ``bound``) by one 4-byte ``cp.async``: 2 source bytes when only the first
        is inside, 0 when neither is (or ``ok`` is false): the rest is zero-filled."""
        b = self.b
        nbytes = b.select(b.icmp_signed("<", b.add(first, i64(1)), i64(bound)), i32(4),
                          b.select(b.icmp_signed("<", first, i64(bound)), i32(2), i32(0)))
        nbytes = b.select(ok, nbytes, i32(0))
        have = b.icmp_unsigned("!=", nbytes, i32(0))
        src = self.address(buffer, b.select(have, index, i64(0)), self.dt)
        self.cp_async(4, dst, src, nbytes)

    def cp_async(self, size: int, dst: ir.Value, src: ir.Value, nbytes: ir.Value) -> None:
        """``cp.async.ca.shared.global`` of ``size`` bytes, ``nbytes`` of them read."""
        fn = declare_function(
            self.module, f"llvm.nvvm.cp.async.ca.shared.global.{size}.s",
            ir.FunctionType(VOID, [ir.PointerType(addrspace=SHARED),
                                   ir.PointerType(addrspace=1), I32]))
        self.b.call(fn, [dst, src, nbytes])

    # ------------------------------------------------------------ compute
    def make_accumulators(self) -> None:
        """The thread's accumulators (entry-block allocas: registers after SROA), in the
        order :meth:`positions` lists their elements."""
        entry = self.entry_builder()
        n = len(self.positions_static())
        ty = llvm_type(self.acc_dt)
        self.acc = [entry.alloca(ty, name=f"acc{k}") for k in range(n)]

    def positions_static(self) -> list[tuple[int, int]]:
        """Per accumulator: its (row, col) offset inside the thread's share, in units the
        compute strategy defines (see :meth:`positions`)."""
        cfg = self.cfg
        if cfg.compute == "fma":
            return [(i, j) for i in range(cfg.tm) for j in range(cfg.tn)]
        return fragment_positions(cfg.wm, cfg.wn)

    def fma_origin(self) -> tuple[ir.Value, ir.Value]:
        cfg = self.cfg
        across = cfg.bn // cfg.tn
        ty = self.b.udiv(self.tid, i64(across))
        tx = self.b.urem(self.tid, i64(across))
        return self.b.mul(ty, i64(cfg.tm)), self.b.mul(tx, i64(cfg.tn))

    def compute(self, buf: ir.Value) -> None:
        """Multiply the shared tiles of buffer ``buf`` into the accumulators."""
        if self.cfg.compute != "fma":
            mma_compute(self, buf)
            return
        cfg, b = self.cfg, self.b
        ty = llvm_type(self.dt)
        m0, n0 = self.fma_origin()
        for kk in range(cfg.bk):
            av = [b.load(self.tile_at("a", buf, i64(kk), b.add(m0, i64(i))), typ=ty)
                  for i in range(cfg.tm)]
            bv = [b.load(self.tile_at("b", buf, i64(kk), b.add(n0, i64(j))), typ=ty)
                  for j in range(cfg.tn)]
            for k, (i, j) in enumerate(self.positions_static()):
                old = b.load(self.acc[k], typ=ty)
                if dtypes.is_float(self.dt):
                    new = intrinsic(b, "llvm.fma", [av[i], bv[j], old])
                else:
                    new = b.add(old, b.mul(av[i], bv[j]))
                b.store(new, self.acc[k])

    # ------------------------------------------------------------ epilogue
    def epilogue(self) -> None:
        """Store every accumulator inside ``M x N`` (added to ``out`` when accumulating)."""
        if self.cfg.compute == "fma":
            m0, n0 = self.fma_origin()
        else:
            m0, n0 = mma_origin(self)
        s, b = self.contract, self.b
        *_, rs, cs = s.out.strides
        acc_ty = llvm_type(self.acc_dt)
        base_r, base_c = b.add(self.row0, m0), b.add(self.col0, n0)
        for slot, (i, j) in zip(self.acc, self.positions_static(), strict=True):
            row, col = b.add(base_r, i64(i)), b.add(base_c, i64(j))
            inside = b.and_(b.icmp_signed("<", row, i64(s.m)), b.icmp_signed("<", col, i64(s.n)))
            with b.if_then(inside):
                index = b.add(self.c_off, b.add(b.mul(row, i64(rs)), b.mul(col, i64(cs))))
                at = self.address(s.out.buf, index, self.dt)
                value = b.load(slot, typ=acc_ty)
                if s.accumulate:
                    old = b.load(at, typ=self.ety)
                    if self.dt != self.acc_dt:
                        old = b.fpext(old, acc_ty)
                    value = b.fadd(old, value) if dtypes.is_float(self.dt) else b.add(old, value)
                if self.dt != self.acc_dt:
                    value = b.fptrunc(value, self.ety)
                if self.launch.store_product:
                    b.store(value, at)
                if self.launch.epilogue:
                    self.fused_element(row, col, value)

    def fused_element(self, row: ir.Value, col: ir.Value, value: ir.Value) -> None:
        """The fused epilogue's statements for element ``(row, col)`` of the product, whose
        value is ``value`` (what a load of it gives: the epilogue reads it only there)."""
        at = {"row": row, "col": col, "zero": i64(0),
              "flat": self.b.add(self.b.mul(row, i64(self.contract.n)), col)}
        for var, role in self.launch.epilogue_vars.items():
            self.env[var] = ("val", at[role], "int64")
        self.product = value
        self.block(self.launch.epilogue)
        self.product = None

    def _load(self, e: Load) -> ir.Value:
        if self.product is not None and e.buf == self.contract.out.buf:
            return self.product
        return super()._load(e)


__all__ = ["DTYPES", "PRECISION", "GemmConfig", "GemmEmitter", "GemmLaunch", "config_for",
           "k_steps", "plan_gemm", "precision", "split_batch", "splits_for"]
