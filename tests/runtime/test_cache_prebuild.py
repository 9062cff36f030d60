"""The background build of the CPU library into an empty disk cache (tenkai.compiler.prebuild):
when it starts, that its entries are the ones a step would load (no piece generated twice),
and that a step never depends on it."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time

import pytest

from tenkai.compiler import prebuild

library = importlib.import_module("tenkai.codegen.cpu.library")


@pytest.fixture
def prebuild_on(monkeypatch, tmp_path):
    monkeypatch.setattr(prebuild, "spare_core", lambda: True)  # whatever the machine's load
    monkeypatch.setenv("TENKAI_PREBUILD", "1")
    monkeypatch.setenv("TENKAI_CACHE", "1")
    monkeypatch.setenv("TENKAI_CACHE_KEY_FILE", str(tmp_path / "key" / "cache.key"))
    yield tmp_path
    for child in list(prebuild._RUNNING.values()):  # never leave a child behind
        child.kill()
        child.wait()
    prebuild._RUNNING.clear()


def _lib_files(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith("lib-") and n.endswith(".tkc"))


def test_no_child_when_off_or_not_needed(prebuild_on, monkeypatch) -> None:
    cache = prebuild_on / "cache"
    cache.mkdir()
    (cache / "lib-0123.tkc").write_bytes(b"x")  # a library is there (whatever its version)
    assert prebuild.start(str(cache)) is None
    empty = prebuild_on / "empty"
    empty.mkdir()
    (empty / prebuild.LOCK).write_text("1")  # another process's child is building
    assert prebuild.start(str(empty)) is None
    os.utime(empty / prebuild.LOCK, (0, 0))  # ... or died long ago: its lock is stale
    assert prebuild.lock_held(str(empty)) is False
    not_a_dir = prebuild_on / "file"
    not_a_dir.write_text("")
    assert prebuild.start(str(not_a_dir)) is None
    monkeypatch.setattr(prebuild, "spare_core", lambda: False)  # a busy machine: no child
    monkeypatch.setenv("TENKAI_PREBUILD", "")  # (the default: only with an idle core)
    assert prebuild.start(str(prebuild_on / "other")) is None
    monkeypatch.setenv("TENKAI_PREBUILD", "1")
    monkeypatch.setattr(prebuild, "spare_core", lambda: True)
    python = sys.executable
    monkeypatch.setattr(sys, "executable", "/usr/bin/uwsgi")  # an embedding host: no child
    assert prebuild.start(str(prebuild_on / "other")) is None
    monkeypatch.setattr(sys, "executable", python)
    monkeypatch.setenv("TENKAI_PREBUILD", "0")
    assert prebuild.start(str(prebuild_on / "other")) is None
    monkeypatch.setenv("TENKAI_PREBUILD", "1")
    monkeypatch.setenv("TENKAI_CACHE", "0")
    assert prebuild.start(str(prebuild_on / "other")) is None
    assert not prebuild._RUNNING
    assert prebuild.wait(str(prebuild_on / "other")) is False  # nothing to wait for


@pytest.mark.slow
def test_child_stores_the_pieces_a_step_loads(prebuild_on) -> None:
    """The child's entries are found under the keys the eager and compiled paths use: a new
    process with that cache generates no piece."""
    cache = prebuild_on / "cache"
    child = prebuild.start(str(cache))
    assert child is not None
    assert prebuild.start(str(cache)) is child  # one child per directory
    assert prebuild.wait(str(cache), timeout=300) is True
    assert len(_lib_files(cache)) == len(library.PREBUILT)
    assert not (cache / prebuild.LOCK).exists()
    assert prebuild.start(str(cache)) is None  # the library is there now
    script = ("import importlib, json, tenkai\n"
              "lib = importlib.import_module('tenkai.codegen.cpu.library')\n"
              "x = tenkai.ones(8, 8)\n"
              "y = float((x @ x).sum())\n"
              "print(json.dumps({'built': lib.STATS['pieces_built'], 'y': y}))\n")
    env = {**os.environ, "TENKAI_CACHE_DIR": str(cache), "TENKAI_PREBUILD": "0"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out == {"built": 0, "y": 512.0}


@pytest.mark.slow
def test_a_second_child_backs_off_while_one_builds(prebuild_on) -> None:
    cache = prebuild_on / "cache"
    cache.mkdir()
    (cache / prebuild.LOCK).write_text("1")
    os.utime(cache / prebuild.LOCK, (time.time(), time.time()))
    env = {**os.environ, "TENKAI_CACHE_DIR": str(cache), "TENKAI_PREBUILD": "0"}
    done = subprocess.run([sys.executable, prebuild.CHILD, str(cache)], env=env, timeout=300)
    assert done.returncode == 3 and _lib_files(cache) == []


def test_a_step_waits_for_the_child_instead_of_generating(prebuild_on, monkeypatch) -> None:
    """A piece missing from disk while this process's child runs: the step lets the child
    finish and loads its entry; if the child failed, the step generates the piece itself."""
    from tenkai.codegen.target import describe
    from tenkai.compiler import step_cache

    cache_dir = prebuild_on / "cache"
    cache = step_cache.open_cache(str(cache_dir), os.environ["TENKAI_CACHE_KEY_FILE"])
    target = describe("cpu")
    pool = library.pieces()["pool"]
    waited = []

    class Child:  # stands for the background process: it stores the piece when waited for
        def __init__(self, succeed: bool) -> None:
            self.succeed = succeed

        def poll(self) -> None:
            return None

        def wait(self, timeout: float) -> int:
            waited.append(timeout)
            if self.succeed:
                step_cache.prebuild_piece(cache, pool, target)
            return 0 if self.succeed else 1

    runtime = importlib.import_module("tenkai.runtime.cpu")
    monkeypatch.setattr(runtime, "library_loaded", lambda key: False)
    monkeypatch.setattr(runtime, "load_library", lambda obj, key, symbols: None)
    monkeypatch.setattr(step_cache, "_LIBRARIES", {})
    built = []
    real_entry = step_cache._library_entry
    monkeypatch.setattr(step_cache, "_library_entry",
                        lambda *a: built.append(a[1]) or real_entry(*a))

    prebuild._RUNNING[cache.directory] = Child(succeed=True)
    step_cache.ensure_library(cache, library.Library((pool,)), target)
    assert waited and built == [str(pool.key)]  # generated once: by the "child"
    assert len(_lib_files(cache_dir)) == 1

    for name in _lib_files(cache_dir):
        os.unlink(cache_dir / name)
    monkeypatch.setattr(step_cache, "_LIBRARIES", {})
    built.clear()
    prebuild._RUNNING[cache.directory] = Child(succeed=False)
    step_cache.ensure_library(cache, library.Library((pool,)), target)
    assert built == [str(pool.key)] and len(_lib_files(cache_dir)) == 1  # made here instead
    assert not prebuild._RUNNING


def test_spare_core_reads_the_machine(monkeypatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 0.0, 0.0))
    assert prebuild.spare_core() is True
    monkeypatch.setattr(os, "getloadavg", lambda: (3.5, 0.0, 0.0))
    assert prebuild.spare_core() is False
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert prebuild.spare_core() is False  # one core: the child would only compete
