"""Targets: what a code generator compiles for, and the registry that finds one by name.

A :class:`Target` is plain data (no llvmlite objects): the LLVM triple and architecture, the
CPU features or SM version, and the capabilities that the backend-neutral layers ask about
instead of assuming a CPU (docs/compiler.md, "Targets"):

* ``native_math``: scalar math functions the target lowers itself (an LLVM intrinsic or an
  instruction); every other one comes from the target's math library (``math_library``);
* ``launch``: ``"call"`` (one native call runs the whole step) or ``"grid"`` (each kernel is
  launched over a grid of blocks);
* ``alignment``: byte alignment of every buffer and arena slot;
* ``contraction`` / ``convolution``: how matmul and conv are lowered (``"gemm_call"``: a call
  into the target's tuned GEMM; ``"im2col"``: unfold to columns + GEMM; ``"tiled"`` /
  ``"implicit_gemm"``: a kernel of its own);
* ``parallel``: how parallel iterations run (``"threads"``: outlined loop chunks on a thread
  pool; ``"grid"``: blocks and threads of a GPU grid).

Adding a target is a folder under ``codegen/`` (and ``runtime/``) plus one :func:`register`
call in :data:`BUILTIN`: the registry names modules by string, so nothing here imports a
target's code (targets import this module, never the reverse). What the two modules provide is
written down below as :class:`TargetCodegen` and :class:`TargetRuntime`, and what a target's
``generate`` returns as :class:`GeneratedCode` (with its :class:`SupportLibrary`). Code is
generated on the codegen side only (``GeneratedCode.object_code()``); the runtime loads it.
The frontend's compile path (``tenkai/compiler/``) uses nothing else of a target.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast


@dataclass(frozen=True)
class Target:
    """One compilation target (see the module docstring for the capability fields)."""

    name: str
    triple: str
    arch: str  # host CPU name ("znver4") or GPU architecture ("sm_80")
    features: str = ""  # LLVM feature string ("+avx512f,...") or PTX ISA ("+ptx80")
    kind: str = "cpu"  # "cpu" | "gpu"
    launch: str = "call"
    alignment: int = 64
    contraction: str = "gemm_call"
    convolution: str = "im2col"
    parallel: str = "threads"
    math_library: str = "tenkai"
    native_math: frozenset[str] = field(default_factory=frozenset)
    options: tuple[tuple[str, Any], ...] = ()  # anything else a target wants in its cache key

    def key(self) -> dict[str, str]:
        """What compiled code for this target depends on, as strings (part of cache keys)."""
        return {"target": self.name, "triple": self.triple, "arch": self.arch,
                "target_features": self.features,
                **{f"target.{k}": str(v) for k, v in self.options}}

    def with_options(self, **options: Any) -> Target:
        return replace(self, options=tuple(sorted({**dict(self.options), **options}.items())))


class SupportLibrary(Protocol):
    """A target's shared support library (CPU: the tuned GEMM and the thread pool), which the
    generated code links against: the runtime loads its object code once per :attr:`key`
    and publishes :attr:`symbols` before loading code that calls them."""

    ir_text: str

    @property
    def key(self) -> str:
        """What it is known by (a hash of its IR), in the runtime and in the compile cache."""
        ...

    @property
    def symbols(self) -> list[str]:
        """The functions it exports."""
        ...

    def object_code(self) -> bytes:
        """Its loadable code (host object code)."""
        ...


class EntryTables:
    """``entry`` and ``buffer_table`` of generated code built from one program: the shared
    part of every target's GeneratedCode class, which holds ``entries`` (entry symbol ->
    buffer table)."""

    entries: dict[str, dict[str, Any]]

    @property
    def entry(self) -> str:
        """The entry symbol (for code built from one program)."""
        return next(iter(self.entries))

    @property
    def buffer_table(self) -> dict[str, Any]:
        return self.entries[self.entry]


class GeneratedCode(Protocol):
    """What a target's ``generate`` returns: the code of one or more kernel programs.

    ``entries`` maps each entry symbol to its buffer table (the data the runtime needs; its
    ``"library"`` is :attr:`library`); ``library`` is the shared support library the code links
    against, or None; ``timings`` holds seconds per codegen stage.
    """

    target: Target | None
    ir_text: str  # the module as built, before optimization
    optimized_ir: str
    entries: dict[str, dict[str, Any]]
    timings: dict[str, float]
    library: SupportLibrary | None

    @property
    def entry(self) -> str:
        """The entry symbol (of a module built from one program)."""
        ...

    @property
    def buffer_table(self) -> dict[str, Any]:
        """The buffer table of :attr:`entry`."""
        ...

    def as_text(self, kind: str) -> str:
        """The code as text: ``"llvm"`` (as built), ``"llvm_opt"`` (optimized), ``"asm"``
        (the target's assembly: x86 assembly, PTX); other kinds raise ValueError naming the
        kinds this target has."""
        ...

    def object_code(self) -> bytes:
        """The loadable form of the code, what the runtime loads and an on-disk cache stores
        (host object code; made by the target's code generator, never by its runtime)."""
        ...


class TargetCodegen(Protocol):
    """What a target's codegen module (``Registration.codegen``) provides."""

    def describe(self, **options: Any) -> Target:
        """This target as plain data (options land in ``Target.options``, so in cache keys)."""
        ...

    def generate(self, programs: Any, target: Target | None = None, opt_level: int = 3,
                 parallel: bool = True) -> GeneratedCode:
        """Kernel program(s) (``tenkai.codegen.KernelProgram``, or a list sharing one module)
        -> their code for ``target`` (None: :meth:`describe`'s default)."""
        ...

    def support_library(self, target: Target) -> SupportLibrary | None:
        """The shared support library the generated code links against, or None (a cache hit
        whose library file is gone rebuilds its object code from this)."""
        ...


class TargetRuntime(Protocol):
    """What a target's runtime module (``Registration.runtime``) provides. It loads code, it
    never generates any: ``code`` is the bytes of :meth:`GeneratedCode.object_code` or an
    object with an ``object_code()`` method (duck typing: runtimes do not import codegen)."""

    def load(self, code: Any, entry: str, buffer_table: Mapping[str, Any]) -> Any:
        """An executable (``tenkai.runtime.Executable``) running ``entry`` of ``code``."""
        ...

    def imports(self, code: Any) -> list[str]:
        """External symbols ``code`` needs defined before its object code may be loaded."""
        ...

    def library_loaded(self, key: str) -> bool:
        """Is the support library known by ``key`` (:attr:`SupportLibrary.key`) loaded?"""
        ...

    def load_library(self, code: Any, key: str, symbols: Sequence[str]) -> None:
        """Load the support library (its object code, exporting ``symbols``) once per ``key``."""
        ...

    def set_threads(self, n: int) -> int:
        """Size the target's host thread pool, where it has one, also for a support library
        loaded later (n < 1: its default); returns how many loaded libraries were set."""
        ...

    def get_threads(self) -> int:
        """The number of threads of the target's host thread pool (1 where it has none)."""
        ...


@dataclass(frozen=True)
class Registration:
    """Where a target's pieces live: ``codegen`` and ``runtime`` are module paths, each
    imported on first use; ``codegen`` provides ``describe(**options) -> Target``."""

    name: str
    codegen: str
    runtime: str | None = None
    aliases: tuple[str, ...] = ()


_REGISTRY: dict[str, Registration] = {}


def register(reg: Registration) -> None:
    """Add (or replace) a target; its name and aliases resolve to it."""
    for name in (reg.name, *reg.aliases):
        _REGISTRY[name] = reg


def unregister(name: str) -> None:
    """Remove the target ``name`` (and its aliases); unknown names raise ValueError."""
    reg = registration(name)
    for key in [k for k, v in _REGISTRY.items() if v is reg]:
        del _REGISTRY[key]


def registered() -> list[str]:
    """Canonical names of the registered targets."""
    return sorted({reg.name for reg in _REGISTRY.values()})


def registration(name: str) -> Registration:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"tenkai: unknown target {name!r}; registered targets: "
                         f"{', '.join(registered())}") from None


def codegen_module(name: str) -> TargetCodegen:
    """The codegen module of target ``name`` (imported on first use)."""
    return cast(TargetCodegen, importlib.import_module(registration(name).codegen))


def runtime_module(name: str) -> TargetRuntime:
    """The runtime module of target ``name``; NotImplementedError when it has none."""
    reg = registration(name)
    if reg.runtime is None:
        raise NotImplementedError(f"tenkai: target {reg.name!r} has no runtime on this "
                                  "installation (it can generate code, not run it); "
                                  f"targets that run: {', '.join(runnable())}")
    return cast(TargetRuntime, importlib.import_module(reg.runtime))


def runnable() -> list[str]:
    """Canonical names of the registered targets that have a runtime."""
    return sorted({reg.name for reg in _REGISTRY.values() if reg.runtime is not None})


def describe(target: str | Target = "cpu", **options: Any) -> Target:
    """The :class:`Target` for a name (``"cpu"``) or an existing one (returned as is)."""
    if isinstance(target, Target):
        return target.with_options(**options) if options else target
    return codegen_module(target).describe(**options)


BUILTIN = (
    Registration("cpu", codegen="tenkai.codegen.cpu", runtime="tenkai.runtime.cpu",
                 aliases=("llvm", "host")),
    Registration("cuda", codegen="tenkai.codegen.nvptx", runtime=None, aliases=("nvptx",)),
    # the cuda target's kernels on a CPU simulator of the GPU (runs anywhere; for tests)
    Registration("cuda-sim", codegen="tenkai.codegen.cuda_sim",
                 runtime="tenkai.runtime.cuda_sim", aliases=("cuda_sim",)),
)
for _reg in BUILTIN:
    register(_reg)
