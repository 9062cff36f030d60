"""The on-disk cache of compiled steps: object code plus the plain data a runtime needs.

One entry is one file ``<key>.tkc`` in the cache directory (``lib-<key>.tkc`` for the shared
GEMM/thread-pool library). ``key`` is the SHA-256 of the entry's *key components*, a flat
``str -> str`` dict the caller builds (graph hash, target, its CPU or architecture, versions,
codegen flags); this module adds the file format version. The file layout::

    b"TENKAI\\0C"  u32 format version  u32 header length  header (JSON)  blobs  signature (32)

The header holds the key, the key components, caller metadata (``meta``, JSON) and the offset
and length of every blob (object code, constants). The header's fields and types are checked
before use (a missing or mistyped field is a corrupt entry, never a KeyError).

What "validated" means for the object code an entry carries (it is linked into the process):

1. *Signed by this installation.* The trailing 32 bytes are HMAC-SHA256 over everything before
   them, keyed by a secret of this installation (:func:`load_secret`: 32 random bytes in a
   0600 file *outside* the cache directory, so whoever can write the cache directory cannot
   sign entries). A plain checksum would catch truncation and flipped bits but not a tampered
   entry whose checksum was recomputed; the keyed signature catches both, so only bytes this
   installation wrote are ever executed.
2. *Well formed for this host.* Before LLVM sees the object, :mod:`tenkai.runtime.objcheck`
   parses its ELF header, section table, symbols and relocations (bounds, machine, type) and
   checks that every symbol it imports is defined, so even an entry signed by this installation
   but damaged by a bug cannot crash or abort the process inside RuntimeDyld.

A file that fails any check is deleted with a :class:`CacheWarning` and the caller rebuilds:
an entry is never trusted.
Files are written to a temporary name and ``os.replace``-d into place, so readers in other
processes see a whole entry or none.

Every step lookup records its key components in ``last_lookup.json`` (with, on a miss, how
they differ from the closest existing entry), which ``tenkai cache explain`` prints.
Imports no other part of tenkai.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import struct
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 2  # 2: keyed signature (HMAC-SHA256) instead of a plain SHA-256
MAGIC = b"TENKAI\x00C"
SUFFIX = ".tkc"
LIBRARY_PREFIX = "lib-"
LAST_LOOKUP = "last_lookup.json"
_PREFIX = struct.Struct("<8sII")  # magic, format version, header length
_DIGEST = 32

# component -> how ``explain`` names it
LABELS = {"format": "cache format version", "graph": "graph hash", "target": "target",
          "triple": "target triple", "arch": "target CPU or architecture",
          "target_features": "target features",
          "tenkai": "tenkai version", "llvmlite": "llvmlite version", "llvm": "LLVM version",
          "opt_level": "opt level", "parallel": "parallel loops", "arena_reuse": "arena reuse"}


class CacheWarning(UserWarning):
    """A cache entry was unusable (corrupt, truncated, another format): it was discarded."""


class CorruptEntry(Exception):
    """Why the bytes of an entry cannot be trusted (turned into a CacheWarning)."""


@dataclass
class CacheEntry:
    """One cached item: ``meta`` is JSON data, ``blobs`` raw bytes (object code, arrays)."""

    key: str
    components: dict[str, str]
    meta: dict[str, Any] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)


def key_digest(components: dict[str, str]) -> str:
    """The entry key of ``components`` (the format version included)."""
    full = {**components, "format": str(FORMAT_VERSION)}
    text = json.dumps(full, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- the file format


def load_secret(path: str) -> bytes:
    """This installation's signing key: the 32 bytes in ``path``, created (mode 0600, atomically)
    on first use. Raises OSError when it can be neither read nor created."""
    with contextlib.suppress(FileNotFoundError):
        with open(path, "rb") as f:
            secret = f.read()
        if len(secret) == _DIGEST:
            return secret
        raise OSError(f"{path} does not hold a {_DIGEST}-byte tenkai cache key; delete it to "
                      "make a new one (the cached entries are then rebuilt)")
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-key-")
    try:
        with os.fdopen(fd, "wb") as f:  # mkstemp creates it 0600
            f.write(os.urandom(_DIGEST))
        with contextlib.suppress(FileExistsError):  # another process may have won the race
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return load_secret(path)


def sign(body: bytes, secret: bytes) -> bytes:
    """The keyed signature of an entry's bytes."""
    return hmac.new(secret, body, hashlib.sha256).digest()


def encode(entry: CacheEntry, secret: bytes = b"") -> bytes:
    """The file bytes of ``entry`` signed with ``secret`` (see the module docstring)."""
    offsets, pos = {}, 0
    for name, blob in entry.blobs.items():
        offsets[name] = [pos, len(blob)]
        pos += len(blob)
    header = json.dumps({"key": entry.key, "components": entry.components,
                         "meta": entry.meta, "blobs": offsets}, sort_keys=True,
                        default=_plain).encode()
    body = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)) + header + b"".join(
        entry.blobs.values())
    return body + sign(body, secret)


def _plain(value: Any) -> Any:
    """JSON for the numpy scalars and tuples that plain-data tables may hold."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"tenkai cache: cannot store {type(value).__name__} in an entry header")


def _read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """``(header, offset of the first blob)``; checks the magic, version and header length."""
    if len(data) < _PREFIX.size:
        raise CorruptEntry(f"truncated ({len(data)} bytes)")
    magic, version, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise CorruptEntry("not a tenkai cache file (bad magic)")
    if version != FORMAT_VERSION:
        raise CorruptEntry(f"format version {version}, this tenkai reads {FORMAT_VERSION}")
    end = _PREFIX.size + length
    if end > len(data):
        raise CorruptEntry(f"truncated ({len(data)} bytes, header needs {end})")
    try:
        header = json.loads(data[_PREFIX.size:end])
    except ValueError as err:
        raise CorruptEntry(f"unreadable header ({err})") from None
    if not isinstance(header, dict):
        raise CorruptEntry("unreadable header (not a JSON object)")
    return header, end


def decode(data: bytes, key: str, secret: bytes = b"") -> CacheEntry:
    """The entry in ``data``; raises :class:`CorruptEntry` saying what is wrong."""
    header, start = _read_header(data)
    if len(data) < start + _DIGEST or not hmac.compare_digest(
            sign(data[:-_DIGEST], secret), data[-_DIGEST:]):
        raise CorruptEntry("checksum mismatch (truncated or corrupted file, or not signed with "
                           "this installation's cache key)")
    _check_header(header)
    if header["key"] != key:
        raise CorruptEntry(f"key mismatch (file holds {header['key'][:12]})")
    blobs = {}
    payload = data[start:-_DIGEST]
    for name, (offset, length) in header["blobs"].items():
        if offset + length > len(payload):
            raise CorruptEntry(f"blob {name!r} lies outside the file")
        blobs[name] = payload[offset:offset + length]
    return CacheEntry(key, dict(header["components"]), dict(header["meta"]), blobs)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_header(header: dict[str, Any]) -> None:
    """Every field an entry needs, with its type (a damaged header is a corrupt entry)."""
    for name, kind in (("key", str), ("components", dict), ("meta", dict), ("blobs", dict)):
        if name not in header:
            raise CorruptEntry(f"header lacks the field {name!r}")
        if not isinstance(header[name], kind):
            raise CorruptEntry(f"header field {name!r} is a {type(header[name]).__name__}, "
                               f"not a {kind.__name__}")
    if not all(isinstance(k, str) and isinstance(v, str)
               for k, v in header["components"].items()):
        raise CorruptEntry("header field 'components' holds non-string values")
    for name, span in header["blobs"].items():
        if not (isinstance(span, list) and len(span) == 2 and all(map(_is_int, span))):
            raise CorruptEntry(f"blob {name!r} has no valid [offset, length] ({span!r:.40})")


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- source digests


def file_stamp(paths: list[tuple[str, str]]) -> str:
    """SHA-256 of each ``(name, path)``'s name, size and modification time in nanoseconds:
    what :meth:`DiskCache.digest_of` compares before trusting a remembered digest."""
    h = hashlib.sha256()
    for name, path in paths:
        st = os.stat(path)
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


# ---------------------------------------------------------------- the directory


class DiskCache:
    """The cache directory: load/store entries, record lookups, explain, info, clear."""

    def __init__(self, directory: str, secret: bytes = b"", digest_dir: str | None = None
                 ) -> None:
        self.directory = os.path.abspath(os.path.expanduser(directory))
        self.secret = secret  # signs and verifies entries (see load_secret)
        # where digest_of remembers source digests (beside the key file; None: nowhere)
        self.digest_dir = digest_dir

    def path(self, key: str, library: bool = False) -> str:
        return os.path.join(self.directory,
                            (LIBRARY_PREFIX if library else "") + key + SUFFIX)

    def load(self, key: str, library: bool = False) -> CacheEntry | None:
        """The entry stored under ``key``, or None; a bad file is deleted with a warning."""
        path = self.path(key, library)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as err:  # a directory where the file should be, a file as the cache dir
            warnings.warn(f"tenkai cache: ignored {path}: not a readable entry file ({err}); "
                          "compiling without it", CacheWarning, stacklevel=3)
            return None
        try:
            return decode(data, key, self.secret)
        except CorruptEntry as err:
            self.discard(path, str(err))
            return None

    def discard(self, path: str, why: str) -> None:
        """Delete a bad entry, warning with the reason (the caller rebuilds it)."""
        warnings.warn(f"tenkai cache: discarded {path}: {why}; rebuilding it", CacheWarning,
                      stacklevel=4)
        with contextlib.suppress(OSError):
            os.unlink(path)

    def store(self, entry: CacheEntry, library: bool = False) -> str:
        """Write ``entry`` atomically; returns its path."""
        path = self.path(entry.key, library)
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path} is a directory, not an entry file; remove it")
        write_atomic(path, encode(entry, self.secret))
        return path

    def digest_of(self, kind: str, paths: list[tuple[str, str]], compute: Any) -> str:
        """``compute()`` (a digest of the files ``paths``: ``(name, path)`` pairs), remembered
        in :attr:`digest_dir` under :func:`file_stamp` of the files: a later process whose
        files have the same names, sizes and modification times reads it back instead of
        hashing every file again. One record per ``kind`` and set of paths; it is signed like
        an entry (a forged one is ignored and rewritten); a changed file recomputes it.
        Without a ``digest_dir`` it is always computed."""
        if self.digest_dir is None:
            return str(compute())
        stamp = file_stamp(paths)
        where = hashlib.sha256("\0".join(p for _, p in paths).encode()).hexdigest()[:16]
        path = os.path.join(self.digest_dir, f"{kind}-{where}.digest")
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            with open(path, "rb") as f:
                record = json.loads(f.read())
            mac = sign(f"{kind}\0{stamp}\0{record['digest']}".encode(), self.secret).hex()
            if record["stamp"] == stamp and hmac.compare_digest(record["mac"], mac):
                return str(record["digest"])
        digest = str(compute())
        mac = sign(f"{kind}\0{stamp}\0{digest}".encode(), self.secret).hex()
        with contextlib.suppress(OSError):
            write_atomic(path, json.dumps({"stamp": stamp, "digest": digest,
                                           "mac": mac}).encode())
        return digest

    # ------------------------------------------------------------ lookups with a record
    def lookup(self, components: dict[str, str]) -> CacheEntry | None:
        """Load the step entry for ``components`` and record the lookup for ``explain``."""
        key = key_digest(components)
        existed = os.path.isfile(self.path(key))
        entry = self.load(key)
        record: dict[str, Any] = {"time": time.time(), "key": key, "components": components,
                                  "result": "hit" if entry is not None else "miss"}
        if entry is None:
            record["reasons"] = (["the entry with this key was unusable and was discarded "
                                  "(see the CacheWarning)"] if existed
                                 else self._miss_reasons(key, components))
        with contextlib.suppress(OSError):
            write_atomic(os.path.join(self.directory, LAST_LOOKUP),
                         json.dumps(record, indent=1, sort_keys=True).encode())
        return entry

    def _miss_reasons(self, key: str, components: dict[str, str]) -> list[str]:
        others = [c for k, c in self.entries() if k != key]
        if not others:
            return ["no entries"]
        def distance(c: dict[str, str]) -> int:
            return sum(c.get(k) != v for k, v in components.items()) + len(
                set(c) - set(components))

        closest = min(others, key=distance)
        names = sorted(set(components) | set(closest), key=_component_order)
        reasons = [describe_difference(k, components.get(k), closest.get(k))
                   for k in names if components.get(k) != closest.get(k)]
        return reasons or ["an entry with equal components has another key"]

    def entries(self) -> list[tuple[str, dict[str, str]]]:
        """``(key, components)`` of every readable step or eager-kernel entry (an eager kernel's
        components name it: ``eager_kernel``; headers only, unverified)."""
        out = []
        for name in sorted(self._files()):
            if name.startswith(LIBRARY_PREFIX):
                continue
            try:
                with open(os.path.join(self.directory, name), "rb") as f:
                    head = f.read(_PREFIX.size)
                    _, _, length = _PREFIX.unpack(head)
                    header, _ = _read_header(head + f.read(length))
                components = header["components"]
                if not all(isinstance(k, str) and isinstance(v, str)
                           for k, v in components.items()):
                    continue
            except (OSError, CorruptEntry, struct.error, KeyError, TypeError, AttributeError):
                continue
            out.append((name[:-len(SUFFIX)], dict(components)))
        return out

    def _files(self) -> list[str]:
        try:
            return [n for n in os.listdir(self.directory)
                    if n.endswith(SUFFIX) and not n.startswith(".tmp-")]
        except OSError:  # absent, or not a directory
            return []

    # ------------------------------------------------------------ the `tenkai cache` command
    def explain(self) -> str:
        """Why the last step lookup in this directory hit or missed (one clear line when the
        record is missing or damaged)."""
        path = os.path.join(self.directory, LAST_LOOKUP)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            return (f"no lookup recorded in {self.directory} (compile a step with the cache "
                    "on, then run this again)")
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        problem = _record_problem(record)
        if problem:
            return (f"the lookup record {path} is damaged ({problem}); the next compile with "
                    "the cache on rewrites it")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.get("time", 0)))
        graph = str(record["components"].get("graph", "?"))[:12]
        head = f"last lookup {when}: key {record['key'][:12]} (graph {graph})"
        if record["result"] == "hit":
            return f"{head}\nhit: {self.path(record['key'])}"
        return "\n".join([head] + [f"miss: {r}" for r in record.get("reasons") or ["unknown"]])

    def info(self) -> dict[str, Any]:
        """The directory, entry counts and total size in bytes."""
        files = self._files()
        size = 0
        for name in files:
            with contextlib.suppress(OSError):
                size += os.path.getsize(os.path.join(self.directory, name))
        libraries = sum(n.startswith(LIBRARY_PREFIX) for n in files)
        eager = sum("eager_kernel" in components for _, components in self.entries())
        return {"dir": self.directory, "entries": len(files) - libraries - eager,
                "libraries": libraries, "eager_kernels": eager, "bytes": size}

    def clear(self) -> int:
        """Delete every entry (and the lookup record); returns the number of files removed."""
        removed = 0
        for name in [*self._files(), LAST_LOOKUP]:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(os.path.join(self.directory, name))
                removed += name != LAST_LOOKUP
        return removed


def _record_problem(record: Any) -> str | None:
    """What is wrong with a lookup record read back from disk, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    fields = (("key", str), ("result", str), ("components", dict))
    for name, kind in fields:
        if not isinstance(record.get(name), kind):
            return f"field {name!r} is missing or not a {kind.__name__}"
    if record["result"] not in ("hit", "miss"):
        return f"result {record['result']!r:.20} is neither hit nor miss"
    if not isinstance(record.get("time", 0), (int, float)) or isinstance(record.get("time"),
                                                                          bool):
        return "field 'time' is not a number"
    reasons = record.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return "field 'reasons' is not a list of strings"
    return None


def describe_difference(component: str, new: str | None, cached: str | None) -> str:
    """``"graph hash differs (new 3fa2.. vs cached 91bc..)"``."""
    label = LABELS.get(component, component)
    if component.endswith("features") and new is not None and cached is not None:
        ours, theirs = set(new.split(",")), set(cached.split(","))
        return (f"{label} differ (new {_few(ours - theirs)} vs cached "
                f"{_few(theirs - ours)})")
    return f"{label} differs (new {_short(new)} vs cached {_short(cached)})"


def _few(features: set[str]) -> str:
    shown = sorted(features)[:4]
    return ",".join(shown) + (f",+{len(features) - 4} more" if len(features) > 4 else "")


def _component_order(name: str) -> tuple[int, str]:
    order = list(LABELS)
    return (order.index(name) if name in order else len(order), name)


def _short(value: str | None) -> str:
    if value is None:
        return "<absent>"
    if len(value) <= 24:
        return value
    if all(c in "0123456789abcdef" for c in value):
        return value[:4] + ".."
    return value[:20] + f".. ({hashlib.sha256(value.encode()).hexdigest()[:4]})"
