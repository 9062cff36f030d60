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
target's code (targets import this module, never the reverse).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Any


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


def registered() -> list[str]:
    """Canonical names of the registered targets."""
    return sorted({reg.name for reg in _REGISTRY.values()})


def registration(name: str) -> Registration:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"tenkai: unknown target {name!r}; registered targets: "
                         f"{', '.join(registered())}") from None


def codegen_module(name: str) -> Any:
    """The codegen module of target ``name`` (imported on first use)."""
    return importlib.import_module(registration(name).codegen)


def runtime_module(name: str) -> Any:
    reg = registration(name)
    if reg.runtime is None:
        raise NotImplementedError(f"tenkai: target {reg.name!r} has no runtime on this "
                                  "installation (it can generate code, not run it)")
    return importlib.import_module(reg.runtime)


def describe(target: str | Target = "cpu", **options: Any) -> Target:
    """The :class:`Target` for a name (``"cpu"``) or an existing one (returned as is)."""
    if isinstance(target, Target):
        return target.with_options(**options) if options else target
    return codegen_module(target).describe(**options)


BUILTIN = (
    Registration("cpu", codegen="tenkai.codegen.cpu", runtime="tenkai.runtime.cpu",
                 aliases=("llvm", "host")),
    Registration("cuda", codegen="tenkai.codegen.nvptx", runtime=None, aliases=("nvptx",)),
)
for _reg in BUILTIN:
    register(_reg)
