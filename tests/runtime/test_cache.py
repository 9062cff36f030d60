"""The on-disk cache format (tenkai.runtime.cache): round trip, corruption, explain, info."""

from __future__ import annotations

import os
import struct

import pytest

from tenkai.runtime.cache import (
    FORMAT_VERSION,
    MAGIC,
    CacheEntry,
    CacheWarning,
    CorruptEntry,
    DiskCache,
    decode,
    encode,
    key_digest,
)
from tenkai.runtime.cpu import jit

COMPONENTS = {"graph": "3fa2" + "0" * 60, "target": "cpu", "triple": "x86_64-unknown-linux-gnu",
              "arch": "znver4", "target_features": "+avx2,+avx512f,+fma",
              "tenkai": "0.1.0+src.1",
              "llvmlite": "0.50.0", "llvm": "20.1.0", "opt_level": "3"}


def _entry(components: dict[str, str] = COMPONENTS) -> CacheEntry:
    return CacheEntry(key_digest(components), dict(components),
                      {"entry": "tk_step", "table": {"outputs": ["out0"]}},
                      {"object": b"\x7fELF" + bytes(range(256)), "const:c1": b"\0" * 16})


def test_round_trip_and_atomic_store(tmp_path) -> None:
    cache = DiskCache(str(tmp_path))
    entry = _entry()
    path = cache.store(entry)
    assert os.path.basename(path) == entry.key + ".tkc"
    assert sorted(os.listdir(tmp_path)) == [entry.key + ".tkc"]  # no temp file left
    loaded = cache.load(entry.key)
    assert loaded == entry
    assert decode(encode(entry), entry.key).blobs["object"] == entry.blobs["object"]


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip(data: bytes) -> bytes:
    at = len(data) - 100  # inside the object code
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def _old_version(data: bytes) -> bytes:
    return MAGIC + struct.pack("<I", FORMAT_VERSION + 7) + data[12:]


@pytest.mark.parametrize("damage, why", [(_truncate, "truncated"),
                                         (_flip, "checksum mismatch"),
                                         (_old_version, "format version"),
                                         (lambda d: b"garbage", "truncated")])
def test_bad_entry_is_discarded_with_a_warning(tmp_path, damage, why) -> None:
    cache = DiskCache(str(tmp_path))
    entry = _entry()
    path = cache.store(entry)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(damage(data))
    with pytest.warns(CacheWarning, match=why):
        assert cache.load(entry.key) is None
    assert not os.path.exists(path)


def test_key_mismatch_is_not_trusted() -> None:
    entry = _entry()
    with pytest.raises(CorruptEntry, match="key mismatch"):
        decode(encode(entry), "0" * 64)


def test_key_covers_every_component() -> None:
    base = key_digest(COMPONENTS)
    for name in COMPONENTS:
        assert key_digest({**COMPONENTS, name: COMPONENTS[name] + "x"}) != base, name


def test_explain_no_entries_then_hit(tmp_path) -> None:
    cache = DiskCache(str(tmp_path))
    assert "no lookup recorded" in cache.explain()
    assert cache.lookup(COMPONENTS) is None
    assert cache.explain().splitlines()[-1] == "miss: no entries"
    cache.store(_entry())
    assert cache.lookup(COMPONENTS) is not None
    assert cache.explain().splitlines()[-1].startswith("hit: ")


@pytest.mark.parametrize("changes, reason", [
    ({"graph": "91bc" + "1" * 60}, "miss: graph hash differs (new 91bc.. vs cached 3fa2..)"),
    ({"llvmlite": "0.51.0"}, "miss: llvmlite version differs (new 0.51.0 vs cached 0.50.0)"),
    ({"target_features": "+avx2,-avx512f,+fma"},
     "miss: target features differ (new -avx512f vs cached +avx512f)"),
])
def test_explain_names_what_differs_from_the_closest_entry(tmp_path, changes, reason) -> None:
    cache = DiskCache(str(tmp_path))
    cache.store(_entry())
    cache.store(_entry({**COMPONENTS, "graph": "ffff" * 16, "llvm": "19.0.0"}))  # farther
    assert cache.lookup({**COMPONENTS, **changes}) is None
    assert cache.explain().splitlines()[1:] == [reason]


def test_info_and_clear(tmp_path) -> None:
    cache = DiskCache(str(tmp_path / "sub"))
    assert cache.info()["entries"] == 0
    cache.store(_entry())
    cache.store(_entry({**COMPONENTS, "opt_level": "2"}))
    cache.store(CacheEntry("ab" * 32, {}, {"symbols": []}, {"object": b"x"}), library=True)
    info = cache.info()
    assert (info["entries"], info["libraries"]) == (2, 1) and info["bytes"] > 500
    assert info["dir"] == str(tmp_path / "sub")
    assert cache.clear() == 3
    assert cache.info()["entries"] == 0


def test_unresolvable_imports_are_reported_before_loading() -> None:
    assert jit.missing_symbols(["malloc", "tk_no_such_function"]) == ["tk_no_such_function"]


def test_digest_of_is_remembered_under_the_files_stamp(tmp_path) -> None:
    """A source digest is computed once and read back while the files' names, sizes and
    modification times are unchanged; an edit recomputes it; a forged record (not signed with
    this installation's key) is ignored; nothing is written into the cache directory."""
    src = tmp_path / "a.py"
    src.write_text("x = 1\n")
    keys = str(tmp_path / "keys")
    cache = DiskCache(str(tmp_path / "cache"), secret=b"k" * 32, digest_dir=keys)
    files = [("a.py", str(src))]
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"digest{len(calls)}"

    assert cache.digest_of("sources", files, compute) == "digest1"
    assert cache.digest_of("sources", files, compute) == "digest1" and len(calls) == 1
    other = DiskCache(cache.directory, secret=b"j" * 32, digest_dir=keys)  # a forged record
    assert other.digest_of("sources", files, compute) == "digest2"
    src.write_text("x = 22\n")  # an edit changes the size (and the time)
    assert cache.digest_of("sources", files, compute) == "digest3"
    assert cache.digest_of("sources", files, compute) == "digest3" and len(calls) == 3
    os.utime(src, ns=(1, 1))  # same size, another modification time
    assert cache.digest_of("sources", files, compute) == "digest4"
    assert not os.path.exists(cache.directory)
    assert DiskCache(cache.directory).digest_of("sources", files, compute) == "digest5"


def test_tenkai_version_is_the_same_with_a_remembered_digest(tmp_path) -> None:
    from tenkai.compiler import step_cache

    cache = DiskCache(str(tmp_path / "c"), secret=b"k" * 32, digest_dir=str(tmp_path))
    plain = step_cache.tenkai_version()
    step_cache._VERSIONS.pop(cache.directory, None)
    assert step_cache.tenkai_version(cache) == plain  # computed and remembered
    step_cache._VERSIONS.pop(cache.directory, None)
    assert step_cache.tenkai_version(cache) == plain  # read back
    assert any(n.startswith("compiler-sources-") for n in os.listdir(tmp_path))
