"""The native backend of ``tenkai.compile``: passes, kernel lowering, the target's code
generator and its runtime, glued together for one traced graph.

:func:`compile_graph` is the whole path for one :class:`~tenkai.codegen.target.Target`::

    settings = Settings.from_env()                       # tenkai.config, read once per compile
    hit?  key_components(graph, flags, target) -> memory / disk cache   # compiler/step_cache.py
    miss: run_pipeline -> lower -> codegen.generate -> .object_code() -> runtime.load (and store)
    -> NativeStep: run(feeds) -> outputs, plus stats, timings, kernel summaries

The target's code generator and runtime are the modules ``tenkai.codegen.target`` registers
for it (``codegen_module`` / ``runtime_module``): nothing here names a target.
Debugging aids hang off the same path: ``TENKAI_DEBUG`` / ``TENKAI_PRINT_AFTER`` /
``TENKAI_DUMP_DIR`` (compiler/debug.py) and ``TENKAI_VALIDATE`` (compiler/validate.py); the
ones that need every stage's output bypass the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tenkai import config
from tenkai.codegen.target import GeneratedCode, Target, codegen_module, runtime_module
from tenkai.compiler import step_cache
from tenkai.compiler.debug import (
    PASS_STAGES,
    StageLog,
    backward_text,
    dump_path,
    kernel_summaries,
    report_compile,
    say,
    timing_line,
)
from tenkai.compiler.validate import ValidationError, Validator
from tenkai.runtime.cache import CacheEntry, DiskCache

OPT_LEVEL = 3
# callbacks told the name of each finished compile stage (``tenkai bench``'s progress bar)
COMPILE_PROGRESS: list[Any] = []


class _StageTimes(dict):
    """Seconds per compile stage; each stage recorded is also reported to COMPILE_PROGRESS."""

    def __setitem__(self, stage: str, seconds: float) -> None:
        super().__setitem__(stage, seconds)
        for callback in COMPILE_PROGRESS:
            callback(stage)

__all__ = ["NativeStep", "Settings", "ValidationError", "build", "compile_graph", "lower"]


@dataclass(frozen=True)
class Settings:
    """The environment's say in one compile (see tenkai.config)."""

    debug: int
    print_stages: frozenset[str]
    dump_dir: str | None
    validate: bool
    cache: bool
    cache_dir: str
    profile_calls: int
    verify: bool

    @classmethod
    def from_env(cls) -> Settings:
        return cls(config.debug_level(), frozenset(config.print_after()), config.dump_dir(),
                   config.validate_enabled(), config.cache_enabled(), config.cache_dir(),
                   config.profile_calls(), config.verify_enabled())

    @property
    def cacheable(self) -> bool:
        """Whether the cache may serve this compile (not when every stage is wanted)."""
        return self.cache and not (self.validate or self.print_stages or self.dump_dir)


class NativeStep:
    """A compiled step as the frontend calls it: ``step(feeds) -> list of outputs``.

    ``executable``: the runtime Executable; ``module``: the GeneratedModule (None when loaded
    from the cache); ``timings``: seconds per compile stage; ``stats``: cache counters
    (``disk_cache_hits``, ``disk_cache_misses``, ``memory_cache_hits``) and ``calls``;
    ``kernels``: one summary per kernel; ``last_profile``: ``(kernel, seconds)`` pairs.
    """

    by_node = False  # fed by input/param name (the interpreter backend is fed by node id)

    def __init__(self, executable: Any, name: str, kernels: list[dict[str, Any]],
                 timings: dict[str, float], stats: dict[str, int] | None = None,
                 module: Any = None, validator: Validator | None = None,
                 profile_calls: int = 0, target: Target | None = None) -> None:
        self.executable, self.name, self.kernels = executable, name, kernels
        self.target = target
        self.timings, self.module, self.validator = timings, module, validator
        self.stats = {"disk_cache_hits": 0, "disk_cache_misses": 0, "memory_cache_hits": 0,
                      **(stats or {}), "calls": 0}
        self.profile_calls = profile_calls
        self.last_profile: list[tuple[str, float]] = []

    def __call__(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.stats["calls"] += 1
        if self.validator is None:
            outs = self.executable.run_feeds(feeds)
        else:
            outs = self._run_validated(feeds)
        if self.stats["calls"] <= self.profile_calls:
            self.profile()
        return outs

    def _run_validated(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        assert self.validator is not None
        snapshot = {k: np.array(v, copy=True) for k, v in feeds.items()}
        outs = self.executable.run_feeds(feeds)
        try:
            self.validator.check(self.executable, snapshot)
        except ValidationError:
            for name in self.executable.writes.values():  # undo the in-place state updates
                np.copyto(feeds[name], snapshot[name])
            raise
        return outs

    def measure_kernels(self, repeats: int = 1) -> list[tuple[str, float]]:
        """``(kernel, seconds)`` per kernel (best of ``repeats``) on the buffers of the step
        just run; the step's outputs and state updates are restored afterwards."""
        exe = self.executable
        keep = {name: np.array(exe.buffer(name), copy=True)
                for name in {*exe.output_names, *exe.writes.values()}}
        times = exe.kernel_times(repeats)
        for name, value in keep.items():
            np.copyto(exe.buffer(name), value)
        self.last_profile = times
        return times

    def profile(self) -> list[tuple[str, float]]:
        """Time every kernel once on the buffers of the step just run and print a line per
        kernel; the step's outputs and state updates are kept (restored afterwards)."""
        times = self.measure_kernels(1)
        summary = {k["name"]: k for k in self.kernels}
        for name, seconds in times:
            k = summary.get(name, {"name": name, "ops": [], "outputs": [], "flops": 0,
                                   "bytes": 0})
            say(timing_line(k, seconds))
        say(f"time {self.name} total {sum(t for _, t in times) * 1e6:.1f} us "
            f"({len(times)} kernels, call {self.stats['calls']})")
        return times


def lower(fused: Any, target: Target, reuse_arena: bool = True,
          info: dict[str, Any] | None = None) -> Any:
    """The kernel program of a fused graph for ``target`` (``tenkai.codegen.lower_program``)."""
    from tenkai.codegen import lower_program

    # the memory plan's offsets are multiples of 64 bytes; where they miss a target's coarser
    # alignment (cuda: 256) every scratch buffer gets a slot of its own (plan_fits)
    reuse_arena = reuse_arena and plan_fits(fused, target)
    # the one call site of the lowering: the target makes its strategy choices
    return lower_program(fused, reuse_arena=reuse_arena, info=info, target=target)


def plan_fits(fused: Any, target: Target) -> bool:
    """Whether the memory plan's arena offsets meet ``target``'s alignment (the plan aligns to
    64 bytes; cuda wants 256). If not, :func:`lower` gives every scratch buffer a slot of its
    own (``reuse_arena=False``) instead of failing."""
    plan = fused.meta.get("memory")
    return plan is None or all(s.offset is None or s.offset % target.alignment == 0
                               for s in plan.slots)


def with_matmul_precision(target: Target) -> Target:
    """``target`` with ``tenkai.get_float32_matmul_precision()`` as its option
    ``float32_matmul_precision`` (so in its cache key) when its contractions are its own
    tiled kernels (cuda: "high"/"medium" run float32 matmuls as TF32 ``mma.sync``)."""
    from tenkai._defaults import get_float32_matmul_precision

    if target.contraction != "tiled" or "float32_matmul_precision" in dict(target.options):
        return target
    return target.with_options(float32_matmul_precision=get_float32_matmul_precision())


def generate(program: Any, target: Target, flags: dict[str, Any] | None = None
             ) -> GeneratedCode:
    """The target's code for a kernel program (``flags``: opt_level, parallel)."""
    flags = flags or {"opt_level": OPT_LEVEL, "parallel": True}
    target = with_matmul_precision(target)
    return codegen_module(target.name).generate(program, target, int(flags["opt_level"]),
                                                bool(flags["parallel"]))


def build(fused: Any, program: Any, target: Target) -> tuple[NativeStep, GeneratedCode]:
    """Generate and load a lowered program (the staged API); returns ``(step, module)``."""
    module = generate(program, target)
    exe = runtime_module(target.name).load(module.object_code(), module.entry,
                                           module.buffer_table)
    return NativeStep(exe, fused.name, [], dict(module.timings), module=module,
                      target=target), module


def compile_graph(graph: Any, target: Target) -> NativeStep:
    """Compile a traced graph for ``target`` (see the module docstring)."""
    runtime_module(target.name)  # a target that cannot run fails before any work
    target = with_matmul_precision(target)
    settings = Settings.from_env()
    flags = {"opt_level": OPT_LEVEL, "parallel": True, "arena_reuse": not settings.validate}
    cache = (step_cache.open_cache(settings.cache_dir, config.cache_key_file())
             if settings.cacheable else None)
    components = (step_cache.key_components(graph, flags, target, cache)
                  if cache is not None else {})
    stats: dict[str, int] = {}
    if cache is not None:
        step = _from_cache(graph.name, cache, components, settings, target)
        if step is not None:
            return step
        stats["disk_cache_misses"] = 1
    return _compile(graph, settings, flags, cache, components, stats, target)


def _from_cache(name: str, cache: DiskCache, components: dict[str, str],
                settings: Settings, target: Target) -> NativeStep | None:
    """The step from the memory or disk cache, or None (a bad entry is dropped, warning)."""
    start = time.perf_counter()
    entry, where = step_cache.lookup(cache, components)
    if entry is None:
        return None
    lookup_s = time.perf_counter() - start
    try:
        exe, load_s = step_cache.load_executable(cache, entry, target)
    except LookupError as err:
        step_cache.forget(cache, entry, str(err))
        return None
    timings = {"cache_lookup": lookup_s, "load": load_s}
    kernels = list(entry.meta.get("kernels", []))
    if settings.debug >= 1:
        report_compile(name, timings, kernels, f"{where} cache hit {entry.key[:12]}")
    return NativeStep(exe, name, kernels, timings, {f"{where}_cache_hits": 1},
                      profile_calls=settings.profile_calls, target=target)


def _stage_log(graph: Any, settings: Settings, target: Target | None = None) -> StageLog:
    dump = settings.dump_dir
    if dump is not None:
        dump = dump_path(dump, graph.name, step_cache.graph_hash(graph), target)
    log = StageLog(graph.name, set(settings.print_stages), dump)
    log.add("traced", graph.dump)
    log.add("backward", lambda: backward_text(graph))
    return log


def _compile(graph: Any, settings: Settings, flags: dict[str, Any], cache: DiskCache | None,
             components: dict[str, str], stats: dict[str, int], target: Target) -> NativeStep:
    """Every stage, from the traced graph to a loaded executable (stored when caching)."""
    from tenkai.ir.passes.pipeline import run_pipeline

    log = _stage_log(graph, settings, target)
    timings: dict[str, float] = _StageTimes()
    fused = run_pipeline(graph, verify=settings.verify,
                         dump_after=[s for s in PASS_STAGES if log.wants(s)],
                         dump=log.pass_dump, timings=timings)
    start = time.perf_counter()
    info: dict[str, Any] = {}
    program = lower(fused, target, reuse_arena=flags["arena_reuse"], info=info)
    timings["lower"] = time.perf_counter() - start
    log.add("lower", program.as_text)
    module = generate(program, target, flags)
    timings.update({f"llvm_{k}": v for k, v in module.timings.items()})
    module.buffer_table["group_outputs"] = dict(info["group_outputs"])
    log.add_code(module, program, target)
    kernels = kernel_summaries(fused, program, info)
    start = time.perf_counter()
    module.object_code()  # the step's object code (emitted once, kept by the module)
    timings["llvm_emit"] = time.perf_counter() - start
    exe = _load(module, cache, components, kernels, target, timings)
    if settings.debug >= 1:
        report_compile(graph.name, timings, kernels)
    validator = Validator(fused, program, info) if settings.validate else None
    return NativeStep(exe, graph.name, kernels, timings, stats, module, validator,
                      settings.profile_calls, target)


def _load(module: GeneratedCode, cache: DiskCache | None, components: dict[str, str],
          kernels: list[dict[str, Any]], target: Target, timings: dict[str, float]) -> Any:
    """The executable of a generated module, loaded from its object code (the codegen makes it
    once; with a cache, the bytes stored are the code that runs). Records ``library`` (the
    support library's pieces: from memory, the disk cache, or generated now) and ``jit``."""
    runtime = runtime_module(target.name)
    obj = module.object_code()
    start = time.perf_counter()
    if cache is None:
        lib = module.library
        for piece in getattr(lib, "pieces", None) or ([lib] if lib else []):
            runtime.load_library(piece, str(piece.key), list(piece.symbols))
        library = None
    else:
        library = step_cache.ensure_library(cache, module.library, target)
    timings["library"] = time.perf_counter() - start
    start = time.perf_counter()
    exe = runtime.load(obj, module.entry, {**module.buffer_table, "library": None})
    timings["jit"] = time.perf_counter() - start
    if cache is not None:
        entry: CacheEntry = step_cache.make_entry(components, module, obj, kernels, library,
                                                  runtime.imports(obj))
        step_cache.store(cache, entry)
        step_cache.remember(entry)
    return exe
