"""The GPU mapping of one kernel-IR ``Kernel``: which launches it becomes, over which grid.

This is the NVPTX target's own strategy (the shared lowering knows nothing of it). A kernel's
top-level statements are split into *launches*, one ``ptx_kernel`` function each, run in order
(a kernel boundary is the only grid-wide barrier a GPU has, so several top-level nests in one
kernel become several launches rather than one grid with per-nest bounds):

* ``grid``: a nest of parallel loops (``Loop(parallel=True)`` directly inside each other).
  Its flattened iteration space ``0 <= idx < extent`` is covered by
  ``blockIdx.x*blockDim.x + threadIdx.x`` in a grid-stride loop with a bounds check; each
  thread runs the innermost body for its iterations (inner serial loops, ``Acc`` state and
  small ``Reduce`` blocks in order, as the CPU does).
* ``block``: a parallel nest whose innermost body holds a ``Reduce`` over at least
  :data:`COOPERATIVE_MIN` iterations (or a run of top-level statements holding one: a full
  reduction, extent 1). One block per outer iteration (blocks stride over them): the threads
  of the block split each ``Reduce``'s iterations, then combine their partials with warp
  shuffles and a tree in shared memory (:mod:`tenkai.codegen.nvptx.emit`); ``Let`` statements
  run in every thread, parallel loops are split across the block's threads, anything else
  runs in thread 0, and a barrier follows every statement that is not a ``Let``.
* ``serial``: a run of top-level statements that must run in order (a serial loop, e.g. an
  ``index_add`` whose iterations may hit one element; ``Acc`` state outside a parallel loop):
  one thread (grid 1, block 1). Correct, not fast: atomics are future work (issue #10).

A ``Check`` that fails in several threads records one failure (the first to claim the status
word, atomically: code and value always belong together), not the CPU's last one in iteration
order; a launch row's ``checks`` says whether the runtime must read the status word after it
(and skip the later launches, as the CPU's entry does).

* ``gemm``: a top-level ``Contraction``, a launch of its own: a shared-memory tiled GEMM
  (:mod:`tenkai.codegen.nvptx.gemm`, which :func:`plan` is given as ``gemm``), one block per
  output tile, blocks striding over the tiles of every batch index.

A ``Contraction`` nested in a loop raises NotImplementedError, as does a launch reading a
value (``Let``/``Acc``/``Reduce``) that another launch defines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenkai.codegen.kir.nodes import (
    Acc,
    AccUpdate,
    Check,
    Contraction,
    Kernel,
    Let,
    Loop,
    Reduce,
    Stmt,
    Var,
    buffers_used,
    exprs_of,
    format_body,
    sub_exprs,
    walk,
)

MAX_BLOCK = 256  # threads per block (a multiple of the warp size)
WARP = 32
MAX_GRID = 65535  # blocks per launch; grid-stride loops cover the rest
COOPERATIVE_MIN = 32  # a Reduce over fewer iterations runs inside one thread

ISSUE = "issue #10"


@dataclass
class Launch:
    """One ``ptx_kernel`` function and its launch configuration.

    ``mapping``: ``grid`` | ``block`` | ``serial`` (module docstring). ``loops``: the flattened
    parallel nest as ``(var, extent)`` pairs (outermost first; ``block``: the iterations the
    blocks stride over, empty for a top-level run), ``extent`` their product; ``body`` the
    statements each iteration runs. ``shared``: dynamic shared memory bytes (0: the
    reductions' shared arrays are static, ``static_shared`` bytes).
    """

    name: str
    kernel: str
    mapping: str
    loops: list[tuple[str, int]]
    body: list[Stmt]
    params: list[str]
    block: int
    grid: int
    shared: int = 0
    static_shared: int = 0

    @property
    def extent(self) -> int:
        n = 1
        for _, e in self.loops:
            n *= e
        return n

    def table(self, slots: dict[str, int]) -> dict[str, object]:
        """This launch as plain data (the runtime's launch table row)."""
        return {"name": self.name, "kernel": self.kernel, "mapping": self.mapping,
                "extent": self.extent, "grid": (self.grid, 1, 1), "block": (self.block, 1, 1),
                "shared": self.shared, "static_shared": self.static_shared,
                "params": list(self.params), "args": [slots[p] for p in self.params],
                "checks": any(isinstance(s, Check) for s in walk(self.body))}


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def flatten(loop: Loop, parallel_only: bool = True) -> tuple[list[tuple[str, int]], list[Stmt]]:
    """The nest of loops starting at ``loop`` (each the only statement of the one above; only
    parallel ones if ``parallel_only``) as ``(var, extent)`` pairs, and its innermost body."""
    dims = [(loop.var, loop.extent)]
    body = loop.body
    while len(body) == 1 and isinstance(body[0], Loop) and (body[0].parallel or not parallel_only):
        dims.append((body[0].var, body[0].extent))
        body = body[0].body
    return dims, body


def reduce_nest(r: Reduce) -> tuple[list[tuple[str, int]], list[Stmt]]:
    """A ``Reduce``'s iterations as a flat nest (its body a single loop nest: any loops, since
    its iterations are independent apart from the accumulator), else one iteration."""
    if len(r.body) == 1 and isinstance(r.body[0], Loop):
        return flatten(r.body[0], parallel_only=False)
    return [], r.body


def _size(dims: list[tuple[str, int]]) -> int:
    n = 1
    for _, e in dims:
        n *= e
    return n


def _has(body: list[Stmt], kinds: tuple[type, ...]) -> bool:
    return any(isinstance(s, kinds) for s in walk(body))


def cooperative(body: list[Stmt]) -> bool:
    """Can one block run ``body`` together (module docstring, ``block``)?"""
    for s in body:
        if isinstance(s, Reduce):
            if _has(s.body, (Reduce, Acc, Contraction)):
                return False
        elif isinstance(s, (Acc, AccUpdate)) or _has([s], (Reduce, Acc, Contraction)):
            return False
    return any(isinstance(s, Reduce) for s in body)


def block_size(body: list[Stmt]) -> int:
    """Threads per block for a ``block`` launch: enough for its largest reduction or loop."""
    work = 1
    for s in body:
        if isinstance(s, Reduce):
            work = max(work, _size(reduce_nest(s)[0]))
        elif isinstance(s, Loop) and s.parallel:
            work = max(work, _size(flatten(s)[0]))
    return min(MAX_BLOCK, _round_up(work, WARP))


def _largest_reduce(body: list[Stmt]) -> int:
    return max((_size(reduce_nest(s)[0]) for s in body if isinstance(s, Reduce)), default=0)


def _launch(kernel: Kernel, k: int, mapping: str, loops: list[tuple[str, int]],
            body: list[Stmt]) -> Launch:
    name = f"{kernel.name}__{k}"
    params = [p for p in kernel.params if p in set(buffers_used(body))]
    n = _size(loops)
    if mapping == "grid":
        block = MAX_BLOCK if n >= MAX_BLOCK else _round_up(n, WARP)
        grid = min(-(-n // block), MAX_GRID)
    elif mapping == "block":
        block, grid = block_size(body), min(n, MAX_GRID)
    else:
        block, grid = 1, 1
    return Launch(name, kernel.name, mapping, loops, body, params, block, grid)


GemmPlanner = Callable[[Kernel, int, Contraction, list[str]], Launch]


def _contractions(kernel: Kernel, gemm: GemmPlanner | None) -> None:
    """Contractions must be top-level statements, and need a planner (codegen/nvptx/gemm.py)."""
    for s in walk(kernel.body):
        if isinstance(s, Contraction) and (gemm is None or not any(s is t for t in kernel.body)):
            where = ("inside a loop or branch (only top-level contractions become launches)"
                     if gemm is not None else "and no GEMM planner was given")
            raise NotImplementedError(
                f"nvptx: kernel {kernel.name}: statement `{format_body([s], 0)[0].strip()}` "
                f"is a contraction {where} ({ISSUE})")


def plan(kernel: Kernel, gemm: GemmPlanner | None = None) -> list[Launch]:
    """The launches of ``kernel`` in order (see the module docstring); ``gemm`` makes the
    launch of a top-level ``Contraction`` (:func:`tenkai.codegen.nvptx.gemm.plan_gemm`)."""
    _contractions(kernel, gemm)
    launches: list[Launch] = []
    run: list[Stmt] = []

    def flush() -> None:
        if not run:
            return
        coop = cooperative(run) and _largest_reduce(run) >= COOPERATIVE_MIN
        launches.append(_launch(kernel, len(launches), "block" if coop else "serial", [],
                                list(run)))
        run.clear()

    for s in kernel.body:
        if isinstance(s, Contraction) and gemm is not None:
            flush()
            params = [p for p in kernel.params if p in set(buffers_used([s]))]
            launches.append(gemm(kernel, len(launches), s, params))
        elif isinstance(s, Loop) and s.parallel:
            flush()
            loops, body = flatten(s)
            if _size(loops) == 0:
                continue  # no iterations: nothing to launch
            coop = cooperative(body) and _largest_reduce(body) >= COOPERATIVE_MIN
            launches.append(_launch(kernel, len(launches), "block" if coop else "grid",
                                    loops, body))
        else:
            run.append(s)
    flush()
    if len(launches) == 1:
        launches[0].name = kernel.name
    _check_scopes(kernel, launches)
    return launches


def _defined(body: list[Stmt]) -> set[str]:
    """Names a body binds at its top level (visible to the statements after them)."""
    out: set[str] = set()
    for s in body:
        if isinstance(s, (Let, Acc)):
            out.add(s.name)
        elif isinstance(s, Reduce):
            out.add(s.acc)
    return out


def _check_scopes(kernel: Kernel, launches: list[Launch]) -> None:
    """Every value a launch reads is defined inside it (launches share no registers)."""
    owner: dict[str, str] = {}
    for launch in launches:
        for name in _defined(launch.body):
            owner.setdefault(name, launch.name)
    for launch in launches:
        local = _defined(launch.body) | {v for v, _ in launch.loops}
        for s in walk(launch.body):
            if isinstance(s, Loop):
                local.add(s.var)
            elif isinstance(s, (Let, Acc)):
                local.add(s.name)
            elif isinstance(s, Reduce):
                local.add(s.acc)
        for s in walk(launch.body):
            names = {s.name} if isinstance(s, AccUpdate) else set()
            for e in exprs_of(s):
                names |= {x.name for x in sub_exprs(e) if isinstance(x, Var)}
            for name in sorted(names - local):
                raise NotImplementedError(
                    f"nvptx: kernel {kernel.name}: launch {launch.name} reads `{name}`, "
                    f"defined by launch {owner.get(name, '?')}; values shared between "
                    f"top-level nests of one GPU kernel are not implemented yet ({ISSUE})")


def describe_launches(launches: list[Launch]) -> list[str]:
    """One text line per launch (``as_text("launch")``)."""
    return [f"{la.name}: {la.mapping} extent={la.extent} grid=({la.grid},1,1) "
            f"block=({la.block},1,1) shared={la.shared} static_shared={la.static_shared} "
            f"params=({', '.join(la.params)})" for la in launches]


__all__ = ["COOPERATIVE_MIN", "MAX_BLOCK", "MAX_GRID", "WARP", "Launch", "block_size",
           "cooperative", "describe_launches", "flatten", "plan", "reduce_nest"]
