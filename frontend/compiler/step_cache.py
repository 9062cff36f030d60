"""The compiled-step cache of ``tenkai.compile``: keys, entries, and loading a cached step.

A step is cached under the SHA-256 of its *key components* (:func:`key_components`): the
canonical graph hash (the traced graph's text, which has no ids, plus the bytes of large
constants, the input/param signature and ``meta["writes"]``), the target (``Target.key()``:
name, triple, CPU or architecture, features, options), the tenkai (version + source hash),
llvmlite and LLVM versions, and every codegen flag. An entry holds what a later process needs
to skip the passes, lowering, LLVM optimization and code generation: the object code, the
buffer table (constants as blobs), the names it imports and the kernel summaries for
``TENKAI_DEBUG``. Each piece of the target's support library the step calls (CPU: the thread
pool, the GEMM of each dtype) is cached once as its own object file (``lib-<key>.tkc``) and
loaded on a hit. Code is made and loaded only through the target's modules
(``tenkai.codegen.target``).

Entries live in memory (this process) and on disk (:mod:`tenkai.runtime.cache`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

import tenkai.codegen
import tenkai.ir
import tenkai.runtime
from tenkai._version import __version__
from tenkai.codegen.target import SupportLibrary, Target, codegen_module, runtime_module
from tenkai.compiler import prebuild
from tenkai.ir.graph import Graph
from tenkai.runtime.cache import CacheEntry, CacheWarning, DiskCache, key_digest, load_secret

_MEMORY: OrderedDict[str, CacheEntry] = OrderedDict()
_MEMORY_SIZE = 64
_LIBRARIES: dict[str, CacheEntry] = {}  # library piece key -> its object code entry
_WARNED_UNWRITABLE: set[str] = set()


# ---------------------------------------------------------------- the directory


def open_cache(directory: str, key_file: str) -> DiskCache | None:
    """The disk cache at ``directory`` signed with the key in ``key_file``; None (warning once)
    when ``directory`` exists but is not a directory or the key can be neither read nor made:
    steps then compile without the disk cache."""
    problem = None
    if os.path.exists(directory) and not os.path.isdir(directory):
        problem = (f"TENKAI_CACHE_DIR {directory} is not a directory; point it at a directory "
                   "(or set TENKAI_CACHE=0)")
    else:
        try:
            return DiskCache(directory, _secret(key_file),
                             digest_dir=os.path.dirname(key_file))
        except OSError as err:
            problem = (f"no cache key ({err}); set TENKAI_CACHE_KEY_FILE to a writable path "
                       "(or TENKAI_CACHE=0)")
    if problem not in _WARNED_UNWRITABLE:
        _WARNED_UNWRITABLE.add(problem)
        warnings.warn(f"tenkai cache: {problem}; compiling without the disk cache",
                      CacheWarning, stacklevel=3)
    return None


@functools.lru_cache(maxsize=8)
def _secret(key_file: str) -> bytes:
    return load_secret(key_file)


# ---------------------------------------------------------------- keys


def graph_hash(g: Graph) -> str:
    """Canonical hash of a traced graph (equal for equal traces in any process)."""
    h = hashlib.sha256(g.dump().encode())
    for position, n in enumerate(g.topo_order()):
        for name, value in sorted(g.attrs(n).items()):
            if isinstance(value, np.ndarray):  # the text abbreviates large arrays
                h.update(f"\n{position}.{name}:{value.dtype.str}{value.shape}".encode())
                h.update(np.ascontiguousarray(value).tobytes())
        if g.op(n) in ("input", "param"):
            h.update(f"\n{g.op(n)} {g.node_name(n)} {g.shape(n)} {g.dtype(n)}".encode())
    writes = sorted((int(k), v) for k, v in g.meta.get("writes", {}).items())
    h.update(("\nwrites " + json.dumps(writes)).encode())
    # what the trace assumed (tenkai._guards, without object ids): part of the key
    h.update(("\nguards " + json.dumps(sorted(g.meta.get("guards", [])))).encode())
    return h.hexdigest()


def _compiler_sources() -> list[tuple[str, str]]:
    """``(name, path)`` of every source of the compiler (ir, codegen, runtime and this compile
    path, every subpackage included), in a fixed order."""
    here = os.path.dirname(os.path.abspath(__file__))
    tops = [os.path.dirname(os.path.abspath(pkg.__file__ or ""))
            for pkg in (tenkai.ir, tenkai.codegen, tenkai.runtime)] + [here]
    out = []
    for top in tops:
        cut = len(os.path.dirname(top)) + 1  # names relative to the folder above ``top``
        for root, subdirs, names in os.walk(top):
            subdirs.sort()
            out += [(path[cut:], path) for path in
                    (root + os.sep + f for f in sorted(names) if f.endswith(".py"))]
    return out


def _sources_digest(sources: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, path in sources:
        with open(path, "rb") as source:
            h.update(name.encode() + b"\0" + source.read())
    return h.hexdigest()[:12]


_VERSIONS: dict[str, str] = {}  # cache directory ("" without one) -> tenkai_version()


def tenkai_version(cache: DiskCache | None = None) -> str:
    """The package version (``tenkai._version``: no package metadata to scan) plus a hash of
    the compiler's sources (ir, codegen, runtime and
    this compile path, every subpackage included): an edited compiler never reuses stale
    code. With ``cache``, the hash is remembered beside its key file under the files' sizes
    and modification times (:meth:`DiskCache.digest_of`), so a process that finds them
    unchanged reads no source; computed once per process either way."""
    where = cache.directory if cache is not None else ""
    if where not in _VERSIONS:
        sources = _compiler_sources()
        digest = (cache.digest_of("compiler-sources", sources, lambda: _sources_digest(sources))
                  if cache is not None else _sources_digest(sources))
        _VERSIONS[where] = f"{__version__}+src.{digest}"
    return _VERSIONS[where]


def target_components(target: Target) -> dict[str, str]:
    """The target (``Target.key()``) and toolchain versions: what code depends on besides IR."""
    import llvmlite
    import llvmlite.binding as llvm

    return {**target.key(), "llvmlite": llvmlite.__version__,
            "llvm": ".".join(str(v) for v in llvm.llvm_version_info)}


def key_components(g: Graph, flags: dict[str, Any], target: Target,
                   cache: DiskCache | None = None) -> dict[str, str]:
    """Everything the compiled code of ``g`` for ``target`` depends on, as strings
    (``cache``: where :func:`tenkai_version` may remember its source hash)."""
    return {"graph": graph_hash(g), **target_components(target),
            "tenkai": tenkai_version(cache),
            "error_sites": error_sites(g), **{k: str(v) for k, v in sorted(flags.items())}}


def error_sites(g: Graph) -> str:
    """The user source lines the compiled index checks name in their errors (graph_hash
    ignores ``loc``; a step traced from other lines must not reuse messages naming old ones)."""
    locs = [g.loc(n) or "" for n in g.topo_order() if "bounds" in g.attrs(n)]
    return hashlib.sha256("\n".join(locs).encode()).hexdigest()[:16] if locs else "none"


# ---------------------------------------------------------------- entries


def make_entry(components: dict[str, str], module: Any, obj: bytes,
               kernels: list[dict[str, Any]], library: dict[str, Any] | None,
               imports: list[str]) -> CacheEntry:
    """The entry of a freshly compiled step (constants go to blobs, the rest to JSON);
    ``imports``: the external symbols its object code needs."""
    table = module.buffer_table
    rows, blobs = [], {"object": obj}
    for row in table["buffers"]:
        plain = {**row, "shape": list(row["shape"]), "init": None}
        if row["init"] is not None:
            init = np.ascontiguousarray(row["init"])
            blobs["const:" + row["name"]] = init.tobytes()
            plain["init"] = {"dtype": init.dtype.str, "shape": list(init.shape)}
        rows.append(plain)
    plain_table = {**{k: v for k, v in table.items() if k not in ("buffers", "library")},
                   "buffers": rows,
                   "writes": {str(k): v for k, v in table["writes"].items()},
                   "errors": {str(k): v for k, v in table["errors"].items()}}
    meta = {"entry": module.entry, "table": plain_table, "kernels": kernels,
            "imports": imports, "library": library}
    return CacheEntry(key_digest(components), components, meta, blobs)


def restore_table(entry: CacheEntry) -> dict[str, Any]:
    """The runtime buffer table of ``entry`` (constants rebuilt from their blobs)."""
    table = dict(entry.meta["table"])
    rows = []
    for row in table["buffers"]:
        row = dict(row)
        if row.get("init") is not None:
            spec = row["init"]
            blob = entry.blobs["const:" + row["name"]]
            row["init"] = np.frombuffer(blob, dtype=np.dtype(spec["dtype"])).reshape(
                spec["shape"]).copy()
        rows.append(row)
    table["buffers"] = rows
    table["library"] = None  # loaded from its own cached object before the step
    return table


def library_components(ir_key: str, target: Target) -> dict[str, str]:
    return {"library_ir": ir_key, **target_components(target)}


def ensure_library(cache: DiskCache | None, library: SupportLibrary | None, target: Target,
                   keys: list[str] | None = None) -> dict[str, Any] | None:
    """Load the target's support library from object code and make sure ``cache`` holds it;
    returns its reference for the step entry (``{"pieces": [key, ...]}``). A library made of
    ``pieces`` (CPU: the pool, one GEMM per dtype) is cached and loaded piece by piece, each
    once. Each object comes from this process's memory, the disk cache, or the codegen
    (``piece.object_code()``); with only ``keys`` (a cache hit whose piece file is gone) the
    codegen's library must have a piece with that key."""
    by_key: dict[str, Any] = {}
    if keys is None:
        if library is None:
            return None
        parts = list(getattr(library, "pieces", None) or [library])
        by_key = {str(p.key): p for p in parts}
        keys = list(by_key)
    for key in keys:
        _ensure_piece(cache, by_key.get(key), target, key)
    return {"pieces": keys}


def _ensure_piece(cache: DiskCache | None, piece: Any, target: Target, ir_key: str) -> None:
    runtime = runtime_module(target.name)
    key = key_digest(library_components(ir_key, target))
    on_disk = cache is None or os.path.exists(cache.path(key, library=True))
    if runtime.library_loaded(ir_key) and on_disk:
        return
    entry = _LIBRARIES.get(ir_key)
    if entry is None and cache is not None and on_disk:
        entry = cache.load(key, library=True)
        on_disk = entry is not None  # a corrupt file was just deleted
    if entry is None and cache is not None and prebuild.wait(cache.directory):
        entry = cache.load(key, library=True)  # the background child's (compiler/prebuild.py)
        on_disk = entry is not None
    if entry is None:
        entry = _library_entry(key, ir_key, piece, target)
    _LIBRARIES[ir_key] = entry
    if cache is not None and not on_disk:
        store(cache, entry, library=True)
    try:
        runtime.load_library(entry.blobs["object"], ir_key, list(entry.meta["symbols"]))
    except (KeyError, ValueError, TypeError) as err:  # objcheck.ObjectRejected is a ValueError
        _LIBRARIES.pop(ir_key, None)
        if cache is not None and os.path.exists(cache.path(key, library=True)):
            cache.discard(cache.path(key, library=True), f"it does not load ({err})")
        entry = _LIBRARIES[ir_key] = _library_entry(key, ir_key, piece, target)
        if cache is not None:
            store(cache, entry, library=True)
        runtime.load_library(entry.blobs["object"], ir_key, entry.meta["symbols"])


def _library_entry(key: str, ir_key: str, piece: Any, target: Target) -> CacheEntry:
    """A fresh library entry: the codegen's object code of the piece (found by its key in
    the target's support library when not given)."""
    if piece is None:
        library = codegen_module(target.name).support_library(target)
        parts = list(getattr(library, "pieces", None) or ([library] if library else []))
        piece = next((p for p in parts if str(p.key) == ir_key), None)
        if piece is None:
            raise LookupError("the shared GEMM library changed since this entry was made")
    return CacheEntry(key, library_components(ir_key, target),
                      {"symbols": list(piece.symbols)}, {"object": piece.object_code()})


def prebuild_piece(cache: DiskCache, piece: Any, target: Target) -> bool:
    """Generate library ``piece`` and store it in ``cache`` unless it is there already (the
    background child of :mod:`tenkai.compiler.prebuild`); True if it was generated."""
    ir_key = str(piece.key)
    key = key_digest(library_components(ir_key, target))
    if os.path.exists(cache.path(key, library=True)):
        return False
    store(cache, _library_entry(key, ir_key, piece, target), library=True)
    return True


def store(cache: DiskCache, entry: CacheEntry, library: bool = False) -> None:
    """Write ``entry``; an unwritable directory warns once and is otherwise ignored."""
    try:
        cache.store(entry, library=library)
    except (OSError, TypeError) as err:  # TypeError: unencodable metadata (a tenkai bug)
        if cache.directory not in _WARNED_UNWRITABLE:
            _WARNED_UNWRITABLE.add(cache.directory)
            warnings.warn(f"tenkai cache: cannot write {cache.directory} ({err}); set "
                          "TENKAI_CACHE_DIR to a writable directory or TENKAI_CACHE=0",
                          CacheWarning, stacklevel=3)


def remember(entry: CacheEntry) -> None:
    """Keep ``entry`` in this process's memory cache (least recently used evicted)."""
    _MEMORY[entry.key] = entry
    _MEMORY.move_to_end(entry.key)
    while len(_MEMORY) > _MEMORY_SIZE:
        _MEMORY.popitem(last=False)


def clear_memory() -> None:
    """Forget the in-memory entries (the disk cache is untouched)."""
    _MEMORY.clear()


def lookup(cache: DiskCache, components: dict[str, str]) -> tuple[CacheEntry | None, str]:
    """``(entry, where)``: where is ``"memory"``, ``"disk"`` or ``"miss"``."""
    key = key_digest(components)
    if key in _MEMORY:
        _MEMORY.move_to_end(key)
        return _MEMORY[key], "memory"
    entry = cache.lookup(components)
    if entry is None:
        return None, "miss"
    remember(entry)
    return entry, "disk"


def load_executable(cache: DiskCache, entry: CacheEntry, target: Target
                    ) -> tuple[Any, float]:
    """``(Executable, seconds)`` of a cached entry; raises LookupError when it is unusable."""
    start = time.perf_counter()
    try:  # the header's meta is checked as it is used: a damaged one is a miss, not a crash
        lib = entry.meta.get("library")
        if lib:
            ensure_library(cache, None, target, [str(k) for k in lib["pieces"]])
        # the object's own imports are checked again by objcheck when it is loaded
        exe = runtime_module(target.name).load(entry.blobs["object"], str(entry.meta["entry"]),
                                               restore_table(entry))
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise LookupError(f"it does not load ({err})") from None
    return exe, time.perf_counter() - start


def forget(cache: DiskCache, entry: CacheEntry, why: str) -> None:
    """Drop an entry that failed to load, from memory and disk, with a warning."""
    _MEMORY.pop(entry.key, None)
    path = cache.path(entry.key)
    if os.path.exists(path):
        cache.discard(path, why)
    else:
        warnings.warn(f"tenkai cache: entry {entry.key[:12]} unusable: {why}; rebuilding it",
                      CacheWarning, stacklevel=3)
