"""Faults in the compiled-step cache never crash the process: each damaged entry is discarded
or ignored with a CacheWarning, and the rebuilt step trains exactly as eager (issue 8).

The damage is done and the step compiled in a subprocess (``cache_faults_child.py``), so an
entry that crashed LLVM (a segfault, an abort on an unresolved symbol) would show as a killed
child here instead of killing the test run. Tampered entries are re-signed with the test
installation's key, so they get past the signature and exercise the object-code checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tenkai.cli import main
from tenkai.runtime.cache import LAST_LOOKUP, CacheWarning, DiskCache, key_digest

CHILD = os.path.join(os.path.dirname(__file__), "cache_faults_child.py")

# case -> words of the CacheWarning it must raise ("" for none)
EXPECTED = {
    "clean": "",
    "header_lacks_meta": "header lacks the field 'meta'",
    "header_blob_span": "has no valid [offset, length]",
    "header_components_list": "header field 'components' is a list",
    "meta_table_garbage": "it does not load",
    "unsigned_flip": "checksum mismatch",
    "signed_truncated_object": "truncated object",
    "signed_tiny_object": "truncated object (10 bytes, no ELF header)",
    "signed_unknown_import": "nothing defines",
    "signed_not_elf": "not an ELF object",
    "signed_other_machine": "object for machine 40",
    "signed_section_table_past_end": "the section table ends at",
    "directory_as_entry": "not a readable entry file",
    "file_as_cache_dir": "is not a directory",
    "damaged_library": "it does not load",
}


def _run_child(tmp_path, cases: list[str]) -> list[dict]:
    env = {**os.environ, "TENKAI_CACHE_DIR": str(tmp_path / "cache"),
           "TENKAI_CACHE_KEY_FILE": str(tmp_path / "key" / "cache.key")}
    done = subprocess.run([sys.executable, CHILD, *cases], env=env, capture_output=True,
                          text=True, timeout=300)
    ran = [line[5:] for line in done.stderr.splitlines() if line.startswith("case ")]
    assert done.returncode == 0, (f"the child died (rc {done.returncode}) in case "
                                  f"{ran[-1] if ran else '?'}:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def _check(results: list[dict], cases: list[str]) -> None:
    assert [r["case"] for r in results] == cases
    for result in results:
        case, words = result["case"], EXPECTED[result["case"]]
        assert result["same_as_eager"], case
        assert not result["other_warnings"], (case, result["other_warnings"])
        if words:
            assert result["hits"] == (case == "damaged_library"), case  # its step entry is whole
            assert any(words in w for w in result["warnings"]), (case, result["warnings"])
        else:
            assert not result["warnings"], (case, result["warnings"])


QUICK = ["clean", "header_lacks_meta", "signed_unknown_import", "clean", "directory_as_entry"]


def test_damaged_entries_are_refused_and_rebuilt(tmp_path) -> None:
    results = _run_child(tmp_path, QUICK)
    _check(results, QUICK)
    assert results[3]["hits"] == 1  # the rebuilt entry is whole again


@pytest.mark.slow
def test_every_kind_of_damage_is_refused_and_rebuilt(tmp_path) -> None:
    cases = ["clean"] + [c for c in EXPECTED if c not in ("clean", "damaged_library")]
    cases += ["clean", "clean"]
    results = _run_child(tmp_path, cases)
    _check(results, cases)
    assert results[-1]["hits"] == 1


@pytest.mark.slow
def test_damaged_library_object_is_rebuilt_in_a_fresh_process(tmp_path) -> None:
    _check(_run_child(tmp_path, ["clean"]), ["clean"])
    # a new process: the shared GEMM library comes from its (now damaged) cache file
    _check(_run_child(tmp_path, ["damaged_library", "clean"]), ["damaged_library", "clean"])


# ---------------------------------------------------------------- tenkai cache explain


RECORDS = {
    "garbage JSON": b"{not json",
    "not an object": b"[1, 2]",
    "missing key": json.dumps({"result": "miss", "components": {}}).encode(),
    "key of the wrong type": json.dumps({"key": 7, "result": "hit",
                                         "components": {}}).encode(),
    "components a list": json.dumps({"key": "ab" * 32, "result": "miss",
                                     "components": [1]}).encode(),
    "time a string": json.dumps({"key": "ab" * 32, "result": "hit", "components": {},
                                 "time": "noon"}).encode(),
    "reasons a string": json.dumps({"key": "ab" * 32, "result": "miss", "components": {},
                                    "reasons": "abc"}).encode(),
    "unknown result": json.dumps({"key": "ab" * 32, "result": "maybe",
                                  "components": {}}).encode(),
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("damage", sorted(RECORDS))
def test_explain_survives_a_damaged_lookup_record(tmp_path, capsys, damage) -> None:
    (tmp_path / LAST_LOOKUP).write_bytes(RECORDS[damage])
    assert main(["cache", "explain", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"the lookup record {tmp_path / LAST_LOOKUP} is "
                                               "damaged (")
    assert out[0].endswith("the next compile with the cache on rewrites it")


def test_cli_on_a_file_as_cache_dir(tmp_path, capsys) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    for action in ("info", "explain", "clear"):
        assert main(["cache", action, "--dir", str(path)]) == 2
        assert "is not a directory" in capsys.readouterr().err
    assert path.read_text() == "x"


def test_disk_cache_on_a_file_or_a_directory_entry(tmp_path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    cache = DiskCache(str(path))
    with pytest.warns(CacheWarning, match="not a readable entry file"):
        assert cache.load("ab" * 32) is None
    assert cache.info()["entries"] == 0 and cache.clear() == 0 and cache.entries() == []
    cache = DiskCache(str(tmp_path / "dir"))
    where = cache.path(key_digest({"graph": "x"}))
    os.makedirs(where)
    with pytest.warns(CacheWarning, match="Is a directory"):
        assert cache.lookup({"graph": "x"}) is None
    assert os.path.isdir(where)  # a user's directory is never deleted
