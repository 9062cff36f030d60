"""Rewrites of the GPU mapping's pieces (:class:`~tenkai.codegen.nvptx.nests.Piece`) that
need memory of their own: per-entry *scratch* buffers the runtime allocates, zeroed, per run.

* :func:`split_reductions`: a ``Reduce`` over many iterations with few outputs (a full sum
  of 10^6 elements) becomes two launches. Stage 1 is a ``block`` launch over
  ``loops + [(<acc>.blk, parts)]``: virtual block ``b`` reduces iterations ``[b*chunk,
  (b+1)*chunk)`` (its threads split them, a tree combines them) and writes its partial to
  scratch ``<kernel>__<acc>.part``; stage 2 (the next launch) reduces the ``parts`` partials
  in one block per outer iteration. Blocks stride over the virtual blocks, so the result does
  not depend on the grid a runtime launches: the same bits every run.
* :func:`share_values`: a launch reading a ``Let``/``Acc``/``Reduce`` value that an earlier
  launch of the same kernel defines loads it from scratch ``<kernel>__<name>`` (one element
  per iteration of the defining launch's loops), which the defining launch stores at its end.
* :func:`atomic_nest`: a serial loop nest whose iterations only accumulate into a buffer
  (``index_add``, ``scatter_add``, embedding backward: ``out[e] = out[e] + v``) runs over the
  grid with ``atomicrmw add`` (emit.py); float sums then depend on the order of the atomics.
"""

from __future__ import annotations

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Buffer,
    Const,
    Contraction,
    Expr,
    If,
    Let,
    Load,
    Loop,
    Reduce,
    Scalar,
    Stmt,
    Store,
    Var,
    exprs_of,
    sub_exprs,
    walk,
)
from tenkai.codegen.nvptx.nests import (
    MAX_BLOCK,
    Dims,
    Piece,
    flatten,
    has,
    mapping_of,
    reduce_nest,
    round_up,
    shareable,
    size,
)

SPLIT_CHUNK = 16 * MAX_BLOCK  # a split reduction gives each block at least this many iterations
MAX_PARTIALS = 1024  # and makes at most this many partials per output
MIN_PARTS = 4  # fewer: one block is about as fast as a second launch
SPLIT_OUTER_MAX = 64  # split only where fewer outputs than this leave most of the GPU idle
ATOMIC_DTYPES = frozenset({"float16", "float32", "float64", "int32", "int64"})  # sm_70+
ISSUE = "issue #10"


def _i64(value: int) -> Const:
    return Const(int(value), "int64")


def _add(a: Expr, b: Expr) -> Expr:
    return Scalar("add", (a, b), "int64")


def _mul(a: Expr, k: int) -> Expr:
    return Scalar("mul", (a, _i64(k)), "int64")


def flat_index(dims: Dims) -> Expr:
    """The row-major flat index of the loop variables of ``dims`` (0 for no loops)."""
    out: Expr | None = None
    stride = 1
    for var, extent in reversed(dims):
        term = Var(var) if stride == 1 else _mul(Var(var), stride)
        out = term if out is None else _add(term, out)
        stride *= extent
    return _i64(0) if out is None else out


def chunking(n: int) -> tuple[int, int]:
    """``(chunk, parts)``: iterations per virtual block of a split reduction over ``n``."""
    chunk = max(SPLIT_CHUNK, round_up(-(-n // MAX_PARTIALS), MAX_BLOCK))
    return chunk, -(-n // chunk)


def _long(s: Stmt) -> bool:
    return isinstance(s, Reduce) and chunking(size(reduce_nest(s)[0]))[1] >= MIN_PARTS


# ---------------------------------------------------------------- grid reductions
def split_reductions(kernel: str, loops: Dims, body: list[Stmt],
                     scratch: dict[str, Buffer]) -> list[Piece]:
    """The pieces of a parallel nest (``loops``; ``[]``: a top-level run) running ``body``,
    with every long reduction split in two stages (module docstring)."""
    mapping = mapping_of(loops, body)
    if mapping != "block" or size(loops) >= SPLIT_OUTER_MAX or not any(map(_long, body)):
        return [Piece(mapping, loops, body)]
    pieces: list[Piece] = []
    run: list[Stmt] = []

    def piece() -> Piece:  # a block still shares the rest of a row (a short stage 2, a loop)
        split = any(isinstance(s, Reduce) or (isinstance(s, Loop) and s.parallel) for s in run)
        return Piece("block" if split and shareable(run) else mapping_of(loops, run), loops, run)

    for s in body:
        if isinstance(s, Reduce) and _long(s):
            if run:
                pieces.append(piece())
            stage1, stage2 = _two_stages(kernel, loops, s, scratch)
            pieces.append(stage1)
            run = [stage2]
        else:
            run.append(s)
    pieces.append(piece())
    return pieces


def _two_stages(kernel: str, loops: Dims, r: Reduce,
                scratch: dict[str, Buffer]) -> tuple[Piece, Reduce]:
    dims, inner = reduce_nest(r)
    n = size(dims)
    chunk, parts = chunking(n)
    blk, j, p = f"{r.acc}.blk", f"{r.acc}.j", f"{r.acc}.p"
    buf = f"{kernel}__{r.acc}.part"
    scratch[buf] = Buffer(buf, (size(loops) * parts,), r.dtype, "scratch")
    first = _mul(flat_index(loops), parts)
    t = _add(_mul(Var(blk), chunk), Var(j))
    it: list[Stmt] = [*unflatten(dims, t), *inner]
    if n % chunk:
        it = [If(Scalar("lt", (t, _i64(n)), "bool"), it)]
    stage1 = Piece("block", [*loops, (blk, parts)],
                   [Reduce(r.acc, r.dtype, r.op, r.identity, [Loop(j, chunk, it)]),
                    Store(buf, _add(first, Var(blk)), Var(r.acc, r.dtype))])
    update = AccUpdate(r.acc, r.op, Load(buf, _add(first, Var(p)), r.dtype))
    return stage1, Reduce(r.acc, r.dtype, r.op, r.identity, [Loop(p, parts, [update])])


def unflatten(dims: Dims, t: Expr) -> list[Stmt]:
    """``Let`` each loop variable of ``dims`` to its digit of flat index ``t``."""
    out: list[Stmt] = []
    stride = size(dims)
    for k, (var, extent) in enumerate(dims):
        stride //= extent
        digit = t if stride == 1 else Scalar("idiv", (t, _i64(stride)), "int64")
        if k:
            digit = Scalar("imod", (digit, _i64(extent)), "int64")
        out.append(Let(var, digit))
    return out


# ---------------------------------------------------------------- atomics
def accumulated(s: Store) -> Expr | None:
    """``v`` where ``s`` is ``buf[e] = buf[e] + v`` (or ``v + buf[e]``), else None."""
    v = s.value
    if isinstance(v, Scalar) and v.op == "add" and len(v.args) == 2:
        for k in (0, 1):
            a = v.args[k]
            if isinstance(a, Load) and a.buf == s.buf and a.index == s.index \
                    and a.dtype == v.dtype:
                return v.args[1 - k]
    return None


def atomic_nest(loop: Loop) -> bool:
    """Does the (serial) nest at ``loop`` only accumulate (module docstring)? Every store adds
    to an element of an atomic-capable dtype, and no buffer it adds to is read otherwise."""
    dims, inner = flatten(loop, parallel_only=False)
    if size(dims) < 2 or has(inner, (Reduce, Acc, AccUpdate, Contraction)):
        return False
    stores = [s for s in walk(inner) if isinstance(s, Store)]
    targets = {s.buf for s in stores}
    if not stores or any(accumulated(s) is None or s.value.dtype not in ATOMIC_DTYPES
                         for s in stores):
        return False
    for s in walk(inner):
        exprs = [s.index, accumulated(s)] if isinstance(s, Store) else exprs_of(s)
        for e in exprs:
            if any(isinstance(x, Load) and x.buf in targets for x in sub_exprs(e)):
                return False
    return True


# ---------------------------------------------------------------- values across launches
def defined(body: list[Stmt]) -> dict[str, str]:
    """Names a body binds at its top level (visible after them) -> their dtypes."""
    out: dict[str, str] = {}
    for s in body:
        if isinstance(s, Let):
            out[s.name] = s.value.dtype
        elif isinstance(s, Acc):
            out[s.name] = s.dtype
        elif isinstance(s, Reduce):
            out[s.acc] = s.dtype
    return out


def _reads(piece: Piece) -> tuple[list[str], set[str]]:
    """Names ``piece`` reads but does not define, in first-use order, and those it updates."""
    local = set(defined(piece.body)) | {v for v, _ in piece.loops}
    for s in walk(piece.body):
        if isinstance(s, Loop):
            local.add(s.var)
        local |= set(defined([s]))
    seen: dict[str, None] = {}
    updated: set[str] = set()
    for s in walk(piece.body):
        if isinstance(s, AccUpdate):
            updated.add(s.name)
            seen.setdefault(s.name, None)
        for e in exprs_of(s):
            for x in sub_exprs(e):
                if isinstance(x, Var):
                    seen.setdefault(x.name, None)
    return [n for n in seen if n not in local], updated


def launch_name(kernel: str, k: int, count: int) -> str:
    return kernel if count == 1 else f"{kernel}__{k}"


def share_values(kernel: str, pieces: list[Piece], scratch: dict[str, Buffer]) -> None:
    """Route every value a piece reads from an earlier piece through scratch (module
    docstring); bodies are replaced, never mutated (they may be the kernel's own lists)."""
    for k, piece in enumerate(pieces):
        names, updated = _reads(piece)
        loads: list[Stmt] = []
        for name in names:
            where = f"nvptx: kernel {kernel}: launch {launch_name(kernel, k, len(pieces))}"
            d = next((d for d in range(k - 1, -1, -1) if name in defined(pieces[d].body)),
                     None)
            if d is None:
                raise ValueError(f"{where} reads `{name}`, which no launch before it defines")
            owner = pieces[d]
            if name in updated:
                raise NotImplementedError(
                    f"{where} updates `{name}`, an accumulator of launch "
                    f"{launch_name(kernel, d, len(pieces))}; accumulators carried across "
                    f"launches of one GPU kernel are not implemented yet ({ISSUE})")
            if owner.loops != piece.loops[:len(owner.loops)]:
                raise NotImplementedError(
                    f"{where} reads `{name}` of launch {launch_name(kernel, d, len(pieces))} "
                    f"over other loops; values shared between differently nested launches "
                    f"are not implemented yet ({ISSUE})")
            dtype = defined(owner.body)[name]
            buf, index = f"{kernel}__{name}", flat_index(owner.loops)
            if name not in owner.spilled:
                scratch[buf] = Buffer(buf, (size(owner.loops),), dtype, "scratch")
                owner.body = [*owner.body, Store(buf, index, Var(name, dtype))]
                owner.spilled.add(name)
            loads.append(Let(name, Load(buf, index, dtype)))
        if loads:
            piece.body = [*loads, *piece.body]
