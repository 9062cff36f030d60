"""The shared runtime library: the tuned GEMMs (:mod:`tenkai.codegen.cpu.gemm`) and the thread
pool (:mod:`tenkai.codegen.cpu.pool`), generated per need in independent pieces.

Program modules only *declare* ``tk_gemm_f32``/``tk_gemm_f64``/``tk_parallel_for``; the runtime
loads each piece's object code once and publishes its symbols, so every program shares one GEMM
and one pool: no per-program recompilation of the GEMM and no thread pool per compiled step.

**Pieces** (:class:`Piece`): ``pool`` (``tk_parallel_for``, ``tk_get/set_num_threads``, ...),
``gemm_f32`` and ``gemm_f64`` (each declares the pool functions it calls, so it needs ``pool``
loaded first). A program's :class:`Library` (``GeneratedModule.library``, every buffer table's
``"library"``) lists only the pieces it calls (:func:`library_for`): a float32 network never
generates the float64 GEMM. A piece is known by a *static* :attr:`Piece.key` (the hash of the
generator's sources, the host CPU and its cache sizes, the LLVM version and the optimization
recipe), so finding a cached piece costs no code generation; its IR and object code are made
on first use, once per process (the disk cache keeps them across processes).

**Recipe** (:data:`RECIPE`): the O3 pipeline without the loop and SLP vectorizers (every hot
loop of the GEMM and the pool is vectorized by hand; the vectorizers only multiplied code size
and compile time), with the packing routines and the macro-kernel kept out of line (gemm.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass

import llvmlite.binding as llvm
from llvmlite import ir

from tenkai.codegen.cpu.gemm_config import TUNED_DTYPES
from tenkai.codegen.cpu.machine import (
    emit_object,
    host_caches,
    host_cpu,
    optimize_ir,
    target_machine,
)
from tenkai.codegen.llvm.functions import declare_function
from tenkai.codegen.llvm.gemm_ref import GEMM_TYPE

RECIPE = "O3-novectorize-interleave"
PIECE_ORDER = ("pool",) + tuple(f"gemm_{dt}" for dt in TUNED_DTYPES)
# the pieces a float32 network calls: built ahead, into an empty disk cache, by a background
# process that ``import tenkai`` starts (tenkai.compiler.prebuild)
PREBUILT = ("pool", "gemm_f32")
STATS = {"pieces_built": 0}  # pieces whose object code this process generated (tests count)


@functools.cache
def generator_sources() -> str:
    """SHA-256 of the sources the pieces are generated from (codegen/cpu, codegen/llvm,
    codegen/scalar and the dtype table): an edited generator never reuses a stale piece."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for folder in ("cpu", "llvm", "scalar"):
        top = os.path.join(root, folder)
        for name in sorted(n for n in os.listdir(top) if n.endswith(".py")):
            with open(os.path.join(top, name), "rb") as f:
                h.update(f"{folder}/{name}\0".encode() + f.read())
    with open(os.path.join(os.path.dirname(root), "ir", "dtypes.py"), "rb") as f:
        h.update(f.read())
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Piece:
    """One independently built part of the library (a ``SupportLibrary`` of
    :mod:`tenkai.codegen.target`: ``key``, ``symbols``, ``ir_text``, ``object_code()``)."""

    name: str
    requires: tuple[str, ...] = ()

    @functools.cached_property
    def functions(self) -> dict[str, ir.FunctionType]:
        """Its public functions and their LLVM types (imports the piece's generator: a step
        loaded from the cache never needs them)."""
        return piece_functions(self.name)

    @functools.cached_property
    def key(self) -> str:
        """Static: known without generating anything (see the module docstring)."""
        cpu, caches = host_cpu(), host_caches()  # the GEMM's blocking follows the caches
        text = json.dumps({"piece": self.name, "sources": generator_sources(),
                           "cpu": [cpu.triple, cpu.name, cpu.features],
                           "caches": [caches.l1d, caches.l2, caches.l3], "recipe": RECIPE,
                           "llvm": list(llvm.llvm_version_info)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def symbols(self) -> list[str]:
        return sorted(self.functions)

    @property
    def ir_text(self) -> str:
        """Its optimized LLVM IR (generated on first use)."""
        return piece_ir(self.name)

    def object_code(self) -> bytes:
        """Its host object code (emitted once per process)."""
        return piece_object(self.name)


def new_module(name: str) -> ir.Module:
    """An empty LLVM module for the host target (its triple and data layout)."""
    tm = target_machine()
    module = ir.Module(name=name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    return module


def piece_functions(name: str) -> dict[str, ir.FunctionType]:
    """The public functions of piece ``name`` and their types."""
    if name == "pool":
        from tenkai.codegen.cpu import pool

        return dict(pool.PUBLIC_TYPES)
    if name.startswith("gemm_") and name[5:] in TUNED_DTYPES:
        return {f"tk_{name}": GEMM_TYPE}
    raise KeyError(f"codegen.cpu: no library piece named {name!r}; pieces: {PIECE_ORDER}")


def build_piece(name: str) -> ir.Module:
    """The unoptimized module of piece ``name``."""
    # the generators are imported here, on first use: loading cached pieces needs none of them
    from tenkai.codegen.cpu import gemm, pool

    module = new_module(f"tenkai_{name}")
    if name == "pool":
        pool.add_parallel_runtime(module)
    elif name.startswith("gemm_") and name[5:] in TUNED_DTYPES:
        runtime = {n: declare_function(module, n, pool.PUBLIC_TYPES[n]) for n in pool.PUBLIC_NAMES}
        gemm.add_gemm(module, name[5:], runtime=runtime)
    else:
        raise KeyError(f"codegen.cpu: no library piece named {name!r}; pieces: {PIECE_ORDER}")
    return module


def _optimized(module: ir.Module) -> llvm.ModuleRef:
    return optimize_ir(str(module), 3, loop_interleaving=True, vectorize=False)


@functools.cache
def piece_ir(name: str) -> str:
    return str(_optimized(build_piece(name)))


@functools.cache
def piece_object(name: str) -> bytes:
    STATS["pieces_built"] += 1
    return emit_object(piece_ir(name))


@functools.cache
def pieces() -> dict[str, Piece]:
    """Every piece this host can build, by name (nothing is generated)."""
    out = {"pool": Piece("pool")}
    for dt in TUNED_DTYPES:
        out[f"gemm_{dt}"] = Piece(f"gemm_{dt}", ("pool",))
    return out


@dataclass(frozen=True)
class Library:
    """The pieces a module calls, in load order (dependencies first); ``key`` and
    ``symbols`` cover them all. The runtime loads :attr:`pieces` one by one (each once per
    process); :meth:`object_code` / :attr:`ir_text` are the pieces linked into one module, for
    tools that want the whole library as one object."""

    pieces: tuple[Piece, ...]

    @functools.cached_property
    def functions(self) -> dict[str, ir.FunctionType]:
        return {n: t for p in self.pieces for n, t in p.functions.items()}

    @property
    def key(self) -> str:
        return hashlib.sha256(" ".join(p.key for p in self.pieces).encode()).hexdigest()

    @property
    def symbols(self) -> list[str]:
        return sorted(self.functions)

    def piece(self, key: str) -> Piece | None:
        return next((p for p in self.pieces if p.key == key), None)

    @property
    def ir_text(self) -> str:
        return linked_ir(tuple(p.name for p in self.pieces))

    def object_code(self) -> bytes:
        if len(self.pieces) == 1:
            return self.pieces[0].object_code()
        return linked_object(tuple(p.name for p in self.pieces))


@functools.cache
def linked_ir(names: tuple[str, ...]) -> str:
    """The optimized IR of pieces ``names`` linked into one module."""
    first = llvm.parse_assembly(piece_ir(names[0]))
    for name in names[1:]:
        first.link_in(llvm.parse_assembly(piece_ir(name)))
    return str(first)


@functools.cache
def linked_object(names: tuple[str, ...]) -> bytes:
    return emit_object(linked_ir(names))


def _with_requirements(names: set[str]) -> Library | None:
    table = pieces()
    wanted = set(names)
    for name in names:
        wanted.update(table[name].requires)
    chosen = tuple(table[n] for n in PIECE_ORDER if n in wanted)
    return Library(chosen) if chosen else None


@functools.cache
def library() -> Library | None:
    """Every piece for this host (their functions' types; nothing is generated until a
    piece's IR or object code is asked for)."""
    return _with_requirements(set(pieces()))


def library_for(module: ir.Module) -> Library | None:
    """The pieces ``module`` calls (declares), with the pieces they need; None if none."""
    names = {p.name for p in pieces().values()
             if any(f in module.globals and module.globals[f].is_declaration
                    for f in p.functions)}
    return _with_requirements(names)


def declare(module: ir.Module, name: str) -> ir.Function | None:
    """A declaration of library function ``name`` in ``module`` (None if the library lacks it)."""
    lib = library()
    if lib is None or name not in lib.functions:
        return None
    return declare_function(module, name, lib.functions[name])


def uses_library(module: ir.Module) -> bool:
    """Does ``module`` call into the library?"""
    return library_for(module) is not None
