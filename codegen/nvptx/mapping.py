"""The GPU mapping of one kernel-IR ``Kernel``: which launches it becomes, over which grid.

This is the NVPTX target's own strategy (the shared lowering knows nothing of it). A kernel's
top-level statements are split into *launches*, one ``ptx_kernel`` function each, run in order
(a kernel boundary is the only grid-wide barrier a GPU has, so several top-level nests in one
kernel become several launches rather than one grid with per-nest bounds):

* ``grid``: a nest of parallel loops (``Loop(parallel=True)`` directly inside each other).
  Its flattened iteration space ``0 <= idx < extent`` is covered by
  ``blockIdx.x*blockDim.x + threadIdx.x`` in a grid-stride loop with a bounds check; each
  thread runs the innermost body for its iterations (inner serial loops, ``Acc`` state and
  small ``Reduce`` blocks in order, as the CPU does). Where the innermost loop walks
  contiguous, aligned memory, each thread takes ``vector`` consecutive iterations with
  128-bit loads and stores (:mod:`tenkai.codegen.nvptx.vector`).
* ``block``: a parallel nest whose innermost body holds a ``Reduce`` over at least
  :data:`COOPERATIVE_MIN` iterations (or a run of top-level statements holding one: a full
  reduction, extent 1). One block per outer iteration (blocks stride over them): the threads
  of the block split each ``Reduce``'s iterations, then combine their partials with warp
  shuffles and a tree in shared memory (:mod:`tenkai.codegen.nvptx.emit`); ``Let`` statements
  run in every thread, parallel loops are split across the block's threads, anything else
  runs in thread 0, and a barrier follows every statement that is not a ``Let``. A long
  reduction with few outputs is split over many blocks in two launches
  (:func:`~tenkai.codegen.nvptx.stages.split_reductions`).
* ``serial``: a run of top-level statements that must run in order (``Acc`` state outside a
  parallel loop, a serial loop that does more than accumulate): one thread (grid 1, block 1).
  A serial nest that only accumulates (``index_add``, ``scatter_add``, embedding backward)
  is a ``grid`` launch with atomic adds instead (``atomic``;
  :func:`~tenkai.codegen.nvptx.stages.atomic_nest`).

Values (``Let``/``Acc``/``Reduce``) one launch defines and a later one reads go through
per-entry scratch buffers (:func:`~tenkai.codegen.nvptx.stages.share_values`); a launch's
``scratch`` names them with their sizes, and its ``params`` list them after the kernel's.

A ``Check`` that fails in several threads records one failure (the first to claim the status
word, atomically: code and value always belong together), not the CPU's last one in iteration
order; a launch row's ``checks`` says whether the runtime must read the status word after it
(and skip the later launches, as the CPU's entry does).

* ``gemm``: a top-level ``Contraction``, a launch of its own: a shared-memory tiled GEMM
  (:mod:`tenkai.codegen.nvptx.gemm`, which :func:`plan` is given as ``gemm``), one block per
  output tile, blocks striding over the tiles of every batch index.

A ``Contraction`` nested in a loop raises NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tenkai.codegen.kir.nodes import (
    Buffer,
    Check,
    Contraction,
    Kernel,
    Loop,
    Stmt,
    buffers_used,
    format_body,
    walk,
)
from tenkai.codegen.nvptx.nests import (
    COOPERATIVE_MIN,
    MAX_BLOCK,
    MAX_GRID,
    WARP,
    Piece,
    block_size,
    cooperative,
    flatten,
    reduce_nest,
    round_up,
    size,
)
from tenkai.codegen.nvptx.stages import atomic_nest, share_values, split_reductions
from tenkai.codegen.nvptx.vector import vector_width

ISSUE = "issue #10"


@dataclass
class Launch:
    """One ``ptx_kernel`` function and its launch configuration.

    ``mapping``: ``grid`` | ``block`` | ``serial`` (module docstring). ``loops``: the flattened
    parallel nest as ``(var, extent)`` pairs (outermost first; ``block``: the iterations the
    blocks stride over, empty for a top-level run), ``extent`` their product; ``body`` the
    statements each iteration runs. ``shared``: dynamic shared memory bytes (0: the
    reductions' shared arrays are static, ``static_shared`` bytes). ``scratch``: the per-entry
    scratch buffers among ``params``. ``atomic``: its accumulating stores are atomic adds.
    ``vector``: consecutive iterations of the innermost loop per thread (``grid``), ``items``
    the work items the grid covers (``extent`` where ``vector`` is 1).
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
    scratch: dict[str, Buffer] = field(default_factory=dict)
    atomic: bool = False
    vector: int = 1

    @property
    def extent(self) -> int:
        return size(self.loops)

    @property
    def items(self) -> int:
        """Work items: iterations, with the innermost loop's taken ``vector`` at a time."""
        if self.vector == 1 or not self.loops:
            return self.extent
        return size(self.loops[:-1]) * -(-self.loops[-1][1] // self.vector)

    def table(self, slots: dict[str, int]) -> dict[str, object]:
        """This launch as plain data (the runtime's launch table row); ``slots``: buffer name
        -> slot, the program's buffers then the entry's scratch buffers in its order."""
        return {"name": self.name, "kernel": self.kernel, "mapping": self.mapping,
                "extent": self.extent, "items": self.items, "vector": self.vector,
                "atomic": self.atomic, "grid": (self.grid, 1, 1), "block": (self.block, 1, 1),
                "shared": self.shared, "static_shared": self.static_shared,
                "params": list(self.params), "args": [slots[p] for p in self.params],
                "scratch": {n: b.nbytes for n, b in self.scratch.items()},
                "checks": any(isinstance(s, Check) for s in walk(self.body))}


def _launch(kernel: Kernel, k: int, piece: Piece, scratch: dict[str, Buffer]) -> Launch:
    used = buffers_used(piece.body)
    params = [p for p in kernel.params if p in set(used)] + [p for p in used if p in scratch]
    launch = Launch(f"{kernel.name}__{k}", kernel.name, piece.mapping, piece.loops,
                    piece.body, params, 1, 1, atomic=piece.atomic,
                    scratch={p: scratch[p] for p in params if p in scratch})
    if piece.mapping == "grid":
        launch.vector = 1 if piece.atomic else vector_width(piece.loops, piece.body)
        n = launch.items
        launch.block = MAX_BLOCK if n >= MAX_BLOCK else round_up(n, WARP)
        launch.grid = min(-(-n // launch.block), MAX_GRID)
    elif piece.mapping == "block":
        launch.block, launch.grid = block_size(piece.body), min(launch.extent, MAX_GRID)
    return launch


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
    pieces: list[Piece] = []
    scratch: dict[str, Buffer] = {}
    run: list[Stmt] = []

    def flush() -> None:
        if run:
            pieces.extend(split_reductions(kernel.name, [], list(run), scratch))
            run.clear()

    for s in kernel.body:
        if isinstance(s, Contraction):
            flush()
            pieces.append(Piece("gemm", [], [s]))
        elif isinstance(s, Loop) and s.parallel:
            flush()
            loops, body = flatten(s)
            if size(loops) == 0:
                continue  # no iterations: nothing to launch
            pieces.extend(split_reductions(kernel.name, loops, body, scratch))
        elif isinstance(s, Loop) and atomic_nest(s):
            flush()
            loops, body = flatten(s, parallel_only=False)
            if size(loops):
                pieces.append(Piece("grid", loops, body, atomic=True))
        else:
            run.append(s)
    flush()
    share_values(kernel.name, pieces, scratch)
    launches = [_launch(kernel, k, piece, scratch) if piece.mapping != "gemm"
                else _gemm_launch(kernel, k, piece, gemm) for k, piece in enumerate(pieces)]
    if len(launches) == 1:
        launches[0].name = kernel.name
    return launches


def _gemm_launch(kernel: Kernel, k: int, piece: Piece, gemm: GemmPlanner | None) -> Launch:
    stmt = piece.body[0]
    assert gemm is not None and isinstance(stmt, Contraction)  # (_contractions checked)
    return gemm(kernel, k, stmt, [p for p in kernel.params if p in set(buffers_used([stmt]))])


def describe_launches(launches: list[Launch]) -> list[str]:
    """One text line per launch (``as_text("launch")``)."""
    return [f"{la.name}: {la.mapping} extent={la.extent} grid=({la.grid},1,1) "
            f"block=({la.block},1,1) shared={la.shared} static_shared={la.static_shared} "
            f"params=({', '.join(la.params)})" + (f" vector={la.vector}" if la.vector > 1
                                                  else "") + (" atomic" if la.atomic else "")
            + (" epilogue" if getattr(la, "epilogue", None) else "")
            + (" (product not stored)" if not getattr(la, "store_product", True) else "")
            for la in launches]


__all__ = ["COOPERATIVE_MIN", "MAX_BLOCK", "MAX_GRID", "WARP", "Launch", "block_size",
           "cooperative", "describe_launches", "flatten", "plan", "reduce_nest"]
