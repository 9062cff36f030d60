"""Every environment variable tenkai reads, in one place.

| var | effect |
|---|---|
| `TENKAI_VERIFY=0/1` | IR verifier on derived graphs and after every pass (default: on in pytest) |
| `TENKAI_DEBUG=1..4` | 1: pass timings, a line per kernel, first call's kernel times; 2+: IR |
| `TENKAI_PRINT_AFTER=fuse,lower` | print the IR after the named stages only (`STAGES`, or `all`) |
| `TENKAI_DUMP_DIR=path` | write each compile's stages to `path/<step>-<graph hash>/NN_<stage>` |
| `TENKAI_PROFILE=n` | time every kernel of the first n calls of each step (default 1 with DEBUG) |
| `TENKAI_VALIDATE=1` | check each call against the interpreter, group by group (ValidationError) |
| `TENKAI_CACHE=0` | turn off the compiled-step cache (memory and disk) |
| `TENKAI_CACHE_DIR=path` | the on-disk cache (default `~/.cache/tenkai`); see `tenkai cache` |
| `TENKAI_CACHE_KEY_FILE=path` | key that signs cache entries (`~/.config/tenkai/cache.key`) |
| `TENKAI_PREBUILD=0/1` | build the CPU library ahead into an empty cache (default: core idle) |
| `RANK`, `WORLD_SIZE` | PyTorch's; if set, must match the MPI launcher (`tenkai.distributed`) |

Details. ``TENKAI_DEBUG=1`` prints, per compile, each pass with its time, the lowering and LLVM
times, and one stable line per kernel (name, source ops, output shapes, estimated flops and
bytes); with ``TENKAI_PROFILE`` (default 1 under DEBUG) the first calls print each kernel's
time, GFLOP/s and GB/s; it also prints one line per derived backward graph. Level 2 adds the
IR after every pass and the kernel IR, 3 the LLVM IR (before and after optimization), 4 the
host assembly. ``TENKAI_PRINT_AFTER`` stages are the passes ``simplify``, ``fuse``,
``recompute``, ``plan_memory``, then ``lower`` (kernel IR), ``llvm``, ``llvm_opt`` and ``asm``.
``TENKAI_DUMP_DIR`` files: ``00_traced.txt``, ``01_backward.txt``, ``02_simplified.txt``,
``03_fused.txt``, ``04_recomputed.txt``, ``05_memory_plan.txt``, ``06_kernels.txt``,
``07_llvm.ll``, ``08_llvm_opt.ll``, ``09_asm.s``; for a GPU target (``cuda``) the directory is
``<step>-<hash>-cuda`` and the code files are ``07_llvm.ll``, ``08_llvm_opt.ll``, ``09_asm.ptx``
(the module's PTX), ``10_<kernel>.ptx`` (one per kernel: its launches' PTX, generated alone, so
it assembles by itself) and ``11_launches.json`` / ``11_launches.txt`` (per launch: PTX
function, grid, block, dynamic and static shared memory, parameters and buffer slots). Besides
``tenkai.compile``, the staged API dumps too: ``tenkai.trace(f, x).lower(target=...)`` writes
the stages, generating its code (``as_text``, ``generate``, ``compile``) writes the code files,
for a target with or without a runtime; ``tenkai dump --target cuda --all -o DIR`` writes the
same files. ``TENKAI_VALIDATE`` is read when a step is
compiled: its every call then runs the numpy interpreter too and raises ``ValidationError`` at
the first fused group whose outputs differ (or hold a NaN the interpreter does not).

Each is read when used, so tests can scope it with ``monkeypatch.setenv``. Steps compiled with
`TENKAI_VALIDATE`, `TENKAI_DUMP_DIR`, `TENKAI_PRINT_AFTER` or `TENKAI_DEBUG=2` run every stage
and bypass the cache (they need what the stages produce).
"""

from __future__ import annotations

import os
import sys

STAGES = ("simplify", "fuse", "recompute", "plan_memory", "lower", "llvm", "llvm_opt", "asm")
DEFAULT_CACHE_DIR = "~/.cache/tenkai"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _int(name: str, default: int = 0) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected an integer (e.g. {name}=1)") from None


def verify_enabled() -> bool:
    flag = os.environ.get("TENKAI_VERIFY")
    if flag is None:
        return "pytest" in sys.modules
    return flag not in ("", "0")


def debug_level() -> int:
    try:
        return int(os.environ.get("TENKAI_DEBUG", "0") or 0)
    except ValueError:
        return 0


def print_after() -> set[str]:
    """The stages whose IR ``TENKAI_PRINT_AFTER`` asks for (every stage at TENKAI_DEBUG=2)."""
    raw = os.environ.get("TENKAI_PRINT_AFTER", "")
    names = {n.strip() for n in raw.split(",") if n.strip()}
    if "all" in names:
        return set(STAGES)
    unknown = sorted(names - set(STAGES))
    if unknown:
        raise ValueError(f"TENKAI_PRINT_AFTER: unknown stage(s) {unknown}; choose from "
                         f"{', '.join(STAGES)} or all")
    level = debug_level()
    return names | set(STAGES[:4] if level >= 2 else ()) | set(
        STAGES[4:6] if level >= 3 else ()) | set(STAGES[6:] if level >= 4 else ())


def dump_dir() -> str | None:
    """``TENKAI_DUMP_DIR``: where each compile writes its stages, or None."""
    return os.environ.get("TENKAI_DUMP_DIR") or None


def profile_calls() -> int:
    """How many calls of each compiled step are profiled kernel by kernel."""
    return _int("TENKAI_PROFILE", 1 if debug_level() >= 1 else 0)


def validate_enabled() -> bool:
    return _flag("TENKAI_VALIDATE")


def cache_enabled() -> bool:
    return _flag("TENKAI_CACHE", default=True)


def prebuild_enabled() -> bool:
    """``TENKAI_PREBUILD`` (default on): whether ``import tenkai`` may start building the
    CPU's shared library into an empty disk cache in a background process
    (:mod:`tenkai.compiler.prebuild`); off with ``TENKAI_CACHE=0``."""
    return _flag("TENKAI_PREBUILD", default=True) and cache_enabled()


def prebuild_forced() -> bool:
    """``TENKAI_PREBUILD=1`` set explicitly: prebuild even when no core looks idle."""
    return bool(os.environ.get("TENKAI_PREBUILD", "").strip()) and prebuild_enabled()


def cache_key_file() -> str:
    """``TENKAI_CACHE_KEY_FILE``, or ``$XDG_CONFIG_HOME/tenkai/cache.key`` (``~/.config``): the
    installation's secret that signs cache entries; outside the cache directory on purpose."""
    path = os.environ.get("TENKAI_CACHE_KEY_FILE")
    if not path:
        config = os.environ.get("XDG_CONFIG_HOME") or os.path.join("~", ".config")
        path = os.path.join(config, "tenkai", "cache.key")
    return os.path.abspath(os.path.expanduser(path))


def cache_dir() -> str:
    """``TENKAI_CACHE_DIR``, or ``~/.cache/tenkai``, with ``~`` expanded."""
    return os.path.abspath(os.path.expanduser(os.environ.get("TENKAI_CACHE_DIR")
                                              or DEFAULT_CACHE_DIR))


def distributed_env() -> tuple[int, int]:
    """PyTorch's ``RANK`` and ``WORLD_SIZE`` (-1 when unset), checked by init_process_group."""
    return _int("RANK", -1), _int("WORLD_SIZE", -1)
